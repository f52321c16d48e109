//! Every setting keeps its TOML key and its `MOCKLINK_*` variable, whatever
//! the shape of `config::Settings` inside: each is set, one run of the real
//! binary's `mocklink config` reads it back. And every `MOCKLINK_*` variable
//! the README names is one of them (or a documented non-setting).

use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::process::Command;

/// Each setting with a value other than its default that passes validation,
/// as an environment variable would carry it. Settings that must be set
/// together share a group number.
const SAMPLES: &[(&str, &str, u8)] = &[
    ("roles", "provider,api", 0),
    ("listen", "127.0.0.1:9099", 0),
    ("public_url", "https://mock.example", 0),
    ("simulator_url", "https://sim.example", 0),
    ("database_url", "sqlite:other.db", 0),
    ("audience", "other-api", 0),
    ("signing_alg", "ES256", 0),
    ("alexa_vendor_id", "VENDOR123", 0),
    ("code_ttl_seconds", "120", 0),
    ("session_ttl_seconds", "61", 0),
    ("demo_seed", "false", 0),
    ("demo_username", "alice", 0),
    ("demo_password", "pw-sample", 0),
    ("demo_client_id", "my-skill", 0),
    ("demo_client_secret", "secret-sample", 0),
    ("log_json", "true", 0),
    ("tls_cert", "/tmp/cert.pem", 1),
    ("tls_key", "/tmp/key.pem", 1),
    ("trust_forwarded_headers", "true", 0),
    ("allowed_hosts", "provider,skill", 0),
    ("demo_personas", "false", 0),
    (
        "proxy_upstreams",
        r#"{myskill={token_url="https://id.example/oauth/token"}}"#,
        0,
    ),
    (
        "alexa_skills",
        r#"{music-uk={locale="en-GB",client_secret="uk-secret"}}"#,
        0,
    ),
    ("admin_password", "hunter2", 0),
    ("inspector", "false", 0),
    ("inspector_max_per_client", "42", 0),
    ("skill_path", "/skill2", 0),
    ("skill_api_base_url", "http://127.0.0.1:1/v1", 0),
    ("skill_application_id", "amzn1.ask.skill.sample", 0),
    ("skill_verify_signatures", "true", 0),
    (
        "skill_cert_url_prefix",
        "https://s3.amazonaws.com/echo.api/other/",
        0,
    ),
    ("skill_trusted_roots_file", "/tmp/roots.pem", 0),
    ("skill_request_budget_ms", "1500", 0),
    (
        "alexa_authorization_url",
        "https://auth.example/authorize",
        0,
    ),
    ("alexa_token_url", "https://auth.example/token", 0),
    ("alexa_client_id", "other-client", 0),
    ("alexa_client_secret", "other-secret", 0),
    ("alexa_access_token_scheme", "REQUEST_BODY_CREDENTIALS", 0),
    ("alexa_scopes", "user-read-private", 0),
    ("alexa_pkce", "true", 0),
    ("alexa_default_token_expiration_seconds", "900", 0),
    ("alexa_refresh_margin_seconds", "5", 0),
    ("alexa_skill_endpoint", "https://skill.example/alexa", 0),
    ("alexa_skill_id", "amzn1.ask.skill.other", 0),
    ("alexa_interaction_model_file", "/tmp/model.json", 0),
    ("alexa_skill_timeout_ms", "1000", 0),
    ("alexa_skill_events", "false", 0),
    ("alexa_stale_token", "drop", 0),
    ("alexa_refresh_backoff_seconds", "5", 0),
    ("alexa_strict", "true", 0),
    ("alexa_signing_key_file", "/tmp/signing.pem", 2),
    (
        "alexa_signature_cert_chain_url",
        "https://s3.amazonaws.com/echo.api/test.pem",
        2,
    ),
];

/// Lists of tables: set in the TOML file only (an environment variable
/// cannot hold them readably).
const TOML_ONLY: &[&str] = &["users", "clients", "scenarios"];

/// `MOCKLINK_*` variables the README names that are not settings.
const NOT_SETTINGS: &[&str] = &[
    "MOCKLINK_CONFIG",
    "MOCKLINK_LOG",
    "MOCKLINK_TEST_DATABASE_URL",
    "MOCKLINK_TEST_LOG",
    "MOCKLINK_REQUIRE_BROWSER",
    "MOCKLINK_REQUIRE_NODE",
    "MOCKLINK_UPDATE_SCREENSHOTS",
    "MOCKLINK_CHROMEDRIVER",
    "MOCKLINK_CHROMIUM",
    "MOCKLINK_NEW_PASSWORD",
    "MOCKLINK_NEW_CLIENT_SECRET",
];

/// `mocklink config` in an empty folder, with only `vars` in its environment.
fn effective(vars: &[(String, String)], args: &[&str]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_mocklink"))
        .args(args)
        .arg("config")
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(vars.iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "mocklink config with {vars:?} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// What `mocklink config` prints for a sample value.
fn expected(key: &str, raw: &str) -> Value {
    if [
        "admin_password",
        "demo_password",
        "demo_client_secret",
        "alexa_client_secret",
    ]
    .contains(&key)
    {
        let digest = mocklink::store::digest(raw);
        return json!(format!("(secret, sha256 {})", &digest[..8]));
    }
    if key == "alexa_skills" {
        // The secret shown as a digest, like every secret.
        let digest = mocklink::store::digest("uk-secret");
        return json!({"music-uk": {"locale": "en-GB", "skip_on_enablement": false,
            "client_secret": format!("(secret, sha256 {})", &digest[..8])}});
    }
    if key == "proxy_upstreams" {
        return json!({"myskill": {"token_url": "https://id.example/oauth/token"}});
    }
    if key == "roles" || key == "allowed_hosts" {
        return json!(raw.split(',').collect::<Vec<_>>());
    }
    match raw.parse::<i64>() {
        Ok(n) => json!(n),
        Err(_) => match raw {
            "true" => json!(true),
            "false" => json!(false),
            _ => json!(raw),
        },
    }
}

/// The samples, one run per group (group 0: one key per run).
fn runs() -> Vec<Vec<(&'static str, &'static str)>> {
    let mut runs: Vec<Vec<_>> = SAMPLES
        .iter()
        .filter(|(_, _, g)| *g == 0)
        .map(|(k, v, _)| vec![(*k, *v)])
        .collect();
    for group in 1..=2 {
        runs.push(
            SAMPLES
                .iter()
                .filter(|(_, _, g)| *g == group)
                .map(|(k, v, _)| (*k, *v))
                .collect(),
        );
    }
    runs
}

#[test]
fn every_setting_has_a_sample_here() {
    let defaults = effective(&[], &[]);
    let keys: BTreeSet<&str> = defaults
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    let sampled: BTreeSet<&str> = SAMPLES
        .iter()
        .map(|(k, _, _)| *k)
        .chain(TOML_ONLY.iter().copied())
        .collect();
    assert_eq!(
        keys, sampled,
        "every setting (and only settings) has a sample"
    );
    for (key, raw, _) in SAMPLES {
        assert_ne!(
            defaults[*key],
            expected(key, raw),
            "{key}: the sample is the default"
        );
    }
}

#[test]
fn every_setting_is_read_from_its_environment_variable() {
    for run in runs() {
        let vars: Vec<(String, String)> = run
            .iter()
            .map(|(k, v)| {
                (
                    format!("MOCKLINK_{}", k.to_ascii_uppercase()),
                    v.to_string(),
                )
            })
            .collect();
        let got = effective(&vars, &[]);
        for (key, raw) in &run {
            assert_eq!(
                got[*key],
                expected(key, raw),
                "MOCKLINK_{}",
                key.to_ascii_uppercase()
            );
        }
    }
    // DATABASE_URL works too (containers and PaaS set it).
    let got = effective(&[("DATABASE_URL".into(), "sqlite:from-env.db".into())], &[]);
    assert_eq!(got["database_url"], "sqlite:from-env.db");
}

#[test]
fn every_setting_is_read_from_its_toml_key() {
    let dir = tempfile::tempdir().unwrap();
    let mut toml = String::new();
    for (key, raw, _) in SAMPLES {
        let value = match expected(key, raw) {
            // A table: TOML's inline table is the environment's syntax with spaces.
            Value::Object(_) => raw.replace('=', " = "),
            Value::String(_) => format!("{:?}", raw),
            Value::Array(items) => format!(
                "[{}]",
                items
                    .iter()
                    .map(|i| i.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            other => other.to_string(),
        };
        toml.push_str(&format!("{key} = {value}\n"));
    }
    toml.push_str(
        "[[users]]\nusername = \"bob\"\npassword = \"pw\"\n\n\
         [[clients]]\nid = \"other\"\nredirect_uris = [\"https://example.com/cb\"]\n\n\
         [[scenarios]]\nkind = \"consent_deny\"\ncount = 1\n",
    );
    let file = dir.path().join("mocklink.toml");
    std::fs::write(&file, toml).unwrap();
    let got = effective(&[], &["--config", file.to_str().unwrap()]);
    for (key, raw, _) in SAMPLES {
        assert_eq!(got[*key], expected(key, raw), "TOML key {key}");
    }
    assert_eq!(got["users"][0]["username"], "bob");
    assert_eq!(got["clients"][0]["id"], "other");
    assert_eq!(got["scenarios"][0]["kind"], "consent_deny");
}

#[test]
fn port_means_every_interface_at_that_port_unless_mocklink_listen_says() {
    let var = |k: &str, v: &str| (k.to_owned(), v.to_owned());
    let listen = |vars: &[(String, String)], args: &[&str]| effective(vars, args)["listen"].clone();
    assert_eq!(listen(&[var("PORT", "9123")], &[]), "0.0.0.0:9123");
    assert_eq!(
        listen(
            &[
                var("PORT", "9123"),
                var("MOCKLINK_LISTEN", "127.0.0.1:9000")
            ],
            &[]
        ),
        "127.0.0.1:9000"
    );
    assert_eq!(listen(&[var("PORT", "")], &[]), "127.0.0.1:8080");
    // Above the config file (the platform decides the port), as an env var.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mocklink.toml");
    std::fs::write(&file, "listen = \"127.0.0.1:7000\"\n").unwrap();
    let file = file.to_str().unwrap();
    assert_eq!(
        listen(&[var("PORT", "9123")], &["--config", file]),
        "0.0.0.0:9123"
    );
    assert_eq!(listen(&[], &["--config", file]), "127.0.0.1:7000");
    // Not a port: a clear error, not a silent default.
    let out = Command::new(env!("CARGO_BIN_EXE_mocklink"))
        .arg("config")
        .current_dir(dir.path())
        .env_clear()
        .env("PORT", "http")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("PORT must be a port number"), "{err}");
}

#[test]
fn an_unknown_key_is_refused_in_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mocklink.toml");
    std::fs::write(&file, "listen = \"127.0.0.1:1\"\nno_such_setting = 1\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_mocklink"))
        .args(["--config", file.to_str().unwrap(), "config"])
        .current_dir(dir.path())
        .env_clear()
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no_such_setting"), "{err}");
}

#[test]
fn every_variable_in_the_readme_is_a_setting_or_named_here() {
    let readme = include_str!("../README.md");
    let keys: BTreeSet<String> = SAMPLES
        .iter()
        .map(|(k, _, _)| format!("MOCKLINK_{}", k.to_ascii_uppercase()))
        .collect();
    let mut named = BTreeSet::new();
    for (i, _) in readme.match_indices("MOCKLINK_") {
        let var: String = readme[i..]
            .chars()
            .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
            .collect();
        // `MOCKLINK_*` or "`MOCKLINK_` followed by…" name the prefix, not a variable.
        if !var.ends_with('_') {
            named.insert(var);
        }
    }
    assert!(named.len() > 10, "the README names the variables");
    for var in named {
        assert!(
            keys.contains(&var) || NOT_SETTINGS.contains(&var.as_str()),
            "the README names {var}, which is neither a setting nor a known non-setting"
        );
    }
}
