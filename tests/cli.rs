//! The binary itself: `cargo run`'s defaults, the management commands and the
//! configuration layers, run as a subprocess like a user would.

use crate::helpers::*;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn mocklink(db: &TestDb, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_mocklink"))
        .args(args)
        .env("DATABASE_URL", &db.url)
        .env_remove("MOCKLINK_CONFIG")
        .output()
        .expect("run mocklink");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[tokio::test]
async fn users_and_clients_are_managed_without_sql() {
    let db = TestDb::create().await;
    let (ok, out) = mocklink(
        &db,
        &[
            "user",
            "add",
            "alice",
            "--password",
            "wonderland",
            "--product",
            "free",
        ],
    );
    assert!(ok, "{out}");
    let (ok, out) = mocklink(&db, &["user", "add", "alice", "--password", "x"]);
    assert!(!ok && out.contains("already exists"), "{out}");
    let (_, out) = mocklink(&db, &["user", "list"]);
    assert!(out.contains("alice") && out.contains("free"), "{out}");
    let (ok, out) = mocklink(&db, &["user", "add", "Bad Name"]);
    assert!(!ok && out.contains("user names are"), "{out}");

    let (ok, out) = mocklink(
        &db,
        &[
            "client",
            "add",
            "my-skill",
            "--alexa-vendor-id",
            "ABC",
            "--scopes",
            "user-read-private",
        ],
    );
    assert!(ok, "{out}");
    assert!(
        out.contains("client secret: "),
        "a generated secret is printed once: {out}"
    );
    let (ok, out) = mocklink(
        &db,
        &[
            "client",
            "add",
            "bad",
            "--redirect-uri",
            "http://example.com/cb",
        ],
    );
    assert!(!ok && out.contains("loopback"), "{out}");
    let (_, out) = mocklink(&db, &["client", "list"]);
    assert!(
        out.contains("https://layla.amazon.com/api/skill/link/ABC"),
        "{out}"
    );

    // The app sees what the CLI made: alice logs in to my-skill.
    let app = spawn_on(std::sync::Arc::new(db), |_| {}).await;
    let url = format!(
        "{}/authorize?response_type=code&client_id=my-skill&redirect_uri=https%3A%2F%2Fpitangui.amazon.com%2Fapi%2Fskill%2Flink%2FABC&scope=user-read-private",
        app.url
    );
    let back = app.browse(&url, "alice", "wonderland", "allow").await;
    assert!(query_param(&back, "code").is_some());

    let (ok, _) = mocklink(&app.db, &["user", "remove", "alice"]);
    assert!(ok);
    let (ok, out) = mocklink(&app.db, &["client", "remove", "nope"]);
    assert!(!ok && out.contains("no client"), "{out}");
}

#[tokio::test]
async fn keys_rotate_keeps_old_tokens_valid_and_publishes_both_keys() {
    let app = spawn_app().await;
    let (access, _) = app.demo_tokens("user-read-private").await;
    let (ok, out) = mocklink(&app.db, &["keys", "rotate"]);
    assert!(ok, "{out}");
    app.state.keys.reload(&app.state.store).await.unwrap();
    let jwks: serde_json::Value = app
        .get("/.well-known/jwks.json")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 2);
    assert_eq!(
        app.introspect(&access).await["active"],
        true,
        "the old key still verifies"
    );
    let (new_access, _) = app.demo_tokens("user-read-private").await;
    let kid = jsonwebtoken::decode_header(&new_access)
        .unwrap()
        .kid
        .unwrap();
    assert_eq!(kid, app.state.keys.active_kid());
    assert_ne!(
        jsonwebtoken::decode_header(&access).unwrap().kid.unwrap(),
        kid
    );
}

/// Starts `mocklink <args>` with `envs` and returns it with its banner (and
/// the log lines before it: start-up logs to stdout too).
pub(crate) fn serve_binary(
    db: &TestDb,
    args: &[&str],
    envs: &[(&str, &str)],
) -> (std::process::Child, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_mocklink"))
        .args(args)
        .current_dir(dir.path())
        .env("DATABASE_URL", &db.url)
        .env_remove("MOCKLINK_CONFIG")
        .env_remove("MOCKLINK_LOG")
        .env_remove("RUST_LOG")
        .env_remove("PORT")
        .envs(envs.iter().copied())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut banner = String::new();
    for line in lines.take(40).map_while(Result::ok) {
        banner.push_str(&line);
        banner.push('\n');
        if line.starts_with("Metadata:") {
            break;
        }
    }
    (child, banner)
}

pub(crate) fn banner_value(banner: &str, label: &str) -> String {
    banner
        .lines()
        .find_map(|l| l.trim().strip_prefix(label))
        .unwrap_or_else(|| panic!("no {label} in:\n{banner}"))
        .trim()
        .to_owned()
}

#[tokio::test]
async fn cargo_run_defaults_print_the_console_values_and_serve() {
    let db = TestDb::create().await;
    let (mut child, banner) = serve_binary(&db, &[], &[("MOCKLINK_LISTEN", "127.0.0.1:0")]);
    assert_eq!(banner_value(&banner, "Your Client ID"), "alexa-skill");
    assert_eq!(banner_value(&banner, "Your Secret"), "alexa-skill-secret");
    assert!(banner.contains("Demo login: demo / demo"), "{banner}");
    let res = reqwest::Client::new()
        .post(banner_value(&banner, "Access Token URI"))
        .basic_auth("alexa-skill", Some("alexa-skill-secret"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    child.kill().unwrap();
    let _ = child.wait();
}

#[tokio::test]
async fn a_public_bind_with_demo_secrets_warns() {
    let db = TestDb::create().await;
    let (mut child, banner) = serve_binary(&db, &["serve", "--listen", "0.0.0.0:0"], &[]);
    child.kill().unwrap();
    let _ = child.wait();
    assert!(banner.contains("well-known demo password"), "{banner}");
}

#[tokio::test]
async fn the_config_file_is_read_and_the_environment_overrides_it() {
    let db = TestDb::create().await;
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/mocklink.example.toml");
    let (mut child, banner) = serve_binary(
        &db,
        &["--config", example],
        &[
            ("MOCKLINK_LISTEN", "127.0.0.1:0"),
            ("MOCKLINK_DEMO_CLIENT_ID", "from-env"),
        ],
    );
    child.kill().unwrap();
    let _ = child.wait();
    assert_eq!(banner_value(&banner, "Your Client ID"), "from-env");
    assert!(
        !banner_value(&banner, "Access Token URI").contains(":8080/"),
        "the file's listen was overridden"
    );
    let store = mocklink::store::Store::connect(&db.url).await.unwrap();
    let clients: Vec<_> = store
        .clients()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id.to_string())
        .collect();
    assert!(
        clients.contains(&"my-skill".to_owned()) && clients.contains(&"pkce-app".to_owned()),
        "{clients:?}"
    );
    assert!(store
        .user(&mocklink::domain::Username::parse("alice").unwrap())
        .await
        .unwrap()
        .is_some());
    store.close().await;
}

#[test]
fn help_explains_every_command() {
    let out = Command::new(env!("CARGO_BIN_EXE_mocklink"))
        .arg("--help")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for word in [
        "serve",
        "migrate",
        "user",
        "client",
        "keys",
        "--config",
        "--database-url",
        "MOCKLINK_",
    ] {
        assert!(text.contains(word), "--help lacks {word}:\n{text}");
    }
}

#[test]
fn a_missing_or_invalid_config_file_is_a_clear_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_mocklink"))
        .args(["--config", "/nonexistent.toml", "migrate"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent.toml does not exist"));
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "code_ttl_seconds = 5\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_mocklink"))
        .arg("--config")
        .arg(&bad)
        .arg("migrate")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("code_ttl_seconds must be between 60 and 600"));
}

#[tokio::test]
async fn healthcheck_reports_a_ready_instance_and_fails_on_a_dead_one() {
    let app = spawn_app().await;
    let ok = Command::new(env!("CARGO_BIN_EXE_mocklink"))
        .args(["healthcheck", "--url", &app.url])
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let dead = Command::new(env!("CARGO_BIN_EXE_mocklink"))
        .args(["healthcheck", "--url", "http://127.0.0.1:1"])
        .output()
        .unwrap();
    assert!(!dead.status.success());
}

#[tokio::test]
async fn an_instance_serves_only_its_roles() {
    use mocklink::config::Role;
    let skill_only = spawn_app_with(|s| s.roles = vec![Role::Skill]).await;
    assert_eq!(skill_only.get("/healthz").await.status(), 200);
    assert_eq!(
        skill_only
            .get("/authorize?client_id=alexa-skill")
            .await
            .status(),
        404
    );
    let provider = spawn_app_with(|s| s.roles = vec![Role::Provider]).await;
    assert_eq!(
        provider
            .get("/authorize?client_id=alexa-skill")
            .await
            .status(),
        400
    );
}

#[tokio::test]
async fn scenarios_are_set_listed_and_cleared_from_the_command_line() {
    let app = spawn_app().await;
    let (ok, help) = mocklink(&app.db, &["scenario", "add", "--help"]);
    assert!(
        ok && help.contains("Examples:") && help.contains("token_delay"),
        "{help}"
    );

    // "Token refresh failed": only the next refresh, not the code exchange.
    let (ok, out) = mocklink(
        &app.db,
        &[
            "scenario",
            "add",
            "token_error",
            "--client-id",
            DEMO_CLIENT,
            "--error",
            "invalid_grant",
            "--grant-type",
            "refresh_token",
            "--count",
            "1",
            "--id",
            "cli-1",
        ],
    );
    assert!(ok, "{out}");
    assert!(out.contains("set scenario cli-1 (token_error)"), "{out}");
    let (_, out) = mocklink(&app.db, &["scenario", "list"]);
    assert!(
        out.contains("cli-1")
            && out.contains("grant_type=refresh_token")
            && out.contains("remaining=1"),
        "{out}"
    );
    // The running server applies it (its cache lives under a second).
    let (access, mut refresh) = app.demo_tokens("user-read-private").await;
    assert!(!access.is_empty(), "the code exchange was not affected");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let (status, body) = app.refresh_demo(&refresh).await;
        if status == 200 && std::time::Instant::now() < deadline {
            // Not seen yet (the server caches the list for under a second).
            refresh = body["refresh_token"].as_str().unwrap().to_owned();
            continue;
        }
        assert_eq!(
            (status, body["error"].clone()),
            (400, serde_json::json!("invalid_grant"))
        );
        assert!(
            body["error_description"]
                .as_str()
                .unwrap()
                .contains("scenario cli-1"),
            "{body}"
        );
        break;
    }
    let (_, out) = mocklink(&app.db, &["scenario", "list"]);
    assert!(out.contains("no scenario in force"), "{out}");

    // The admin API's validation, word for word.
    let (ok, out) = mocklink(
        &app.db,
        &[
            "scenario",
            "add",
            "token_error",
            "--client-id",
            DEMO_CLIENT,
            "--count",
            "1",
        ],
    );
    assert!(
        !ok && out.contains("token_error needs an error, a status, or both"),
        "{out}"
    );
    let (ok, out) = mocklink(
        &app.db,
        &[
            "scenario",
            "add",
            "login_fail",
            "--client-id",
            "nope",
            "--count",
            "1",
        ],
    );
    assert!(!ok && out.contains("no client 'nope'"), "{out}");
    let (ok, out) = mocklink(&app.db, &["scenario", "add", "meltdown", "--count", "1"]);
    assert!(!ok && out.contains("invalid value 'meltdown'"), "{out}");

    for id in ["x1", "x2"] {
        let (ok, out) = mocklink(
            &app.db,
            &[
                "scenario",
                "add",
                "api_error",
                "--status",
                "503",
                "--expires-in",
                "600",
                "--id",
                id,
            ],
        );
        assert!(ok, "{out}");
    }
    let (ok, out) = mocklink(&app.db, &["scenario", "clear", "x1"]);
    assert!(ok && out.contains("cleared scenario x1"), "{out}");
    let (ok, out) = mocklink(&app.db, &["scenario", "clear", "x1"]);
    assert!(!ok && out.contains("no scenario 'x1'"), "{out}");
    let (ok, out) = mocklink(&app.db, &["scenario", "clear", "--all"]);
    assert!(ok && out.contains("cleared"), "{out}");
    let (_, out) = mocklink(&app.db, &["scenario", "list"]);
    assert!(out.contains("no scenario in force"), "{out}");
    let (ok, _) = mocklink(&app.db, &["scenario", "clear"]);
    assert!(!ok, "clear needs ids or --all");
}
