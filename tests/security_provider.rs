//! Black-box tests for ../shared/spec/security.md items on the provider that
//! other files do not already pin down; each test names its item.

use crate::helpers::*;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

#[tokio::test]
async fn item12_the_sixth_failed_login_is_429_even_with_the_right_password_and_the_lock_ends() {
    let app = spawn_app().await;
    let mut page = app.login_page().await;
    for _ in 0..5 {
        let res = app.submit_login(&page, "demo", "wrong").await;
        assert_eq!(res.status(), 200);
        page = res.text().await.unwrap();
    }
    let res = app.submit_login(&page, "demo", "demo").await;
    assert_eq!(res.status(), 429);
    assert!(
        res.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse::<i64>()
            .unwrap()
            > 0
    );
    let body = res.text().await.unwrap();
    assert!(
        body.contains("Too many failed attempts"),
        "a readable message on the page"
    );
    // Not forever: the window passes and the right password works again.
    app.clock.advance(15 * 60 + 1);
    assert_eq!(app.submit_login(&body, "demo", "demo").await.status(), 303);
}

#[tokio::test]
async fn item12_failed_client_authentication_is_rate_limited_with_retry_after() {
    let app = spawn_app().await;
    for _ in 0..10 {
        let res = app
            .token_request(
                "grant_type=client_credentials",
                Some((DEMO_CLIENT, "wrong")),
            )
            .await;
        assert_eq!(res.status(), 401);
    }
    let res = app
        .token_request(
            "grant_type=client_credentials",
            Some((DEMO_CLIENT, DEMO_SECRET)),
        )
        .await;
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key("retry-after"));
    app.clock.advance(15 * 60 + 1);
    let res = app
        .token_request(
            "grant_type=client_credentials",
            Some((DEMO_CLIENT, DEMO_SECRET)),
        )
        .await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn item13_under_https_the_session_cookie_is_secure_with_the_host_prefix() {
    let app = spawn_app_with(|s| s.public_url = Some("https://mock.example".into())).await;
    let res = app
        .browser
        .get(app.demo_authorize_url("", &[]))
        .send()
        .await
        .unwrap();
    let cookie = res.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("__Host-mocklink_session="), "{cookie}");
    assert!(
        cookie.contains("Secure") && cookie.contains("HttpOnly") && cookie.contains("Path=/"),
        "{cookie}"
    );
}

fn forge(header: serde_json::Value, claims: &serde_json::Value, signature: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        URL_SAFE_NO_PAD.encode(signature)
    )
}

#[tokio::test]
async fn item27_forged_tokens_are_inactive_alg_none_hs256_unknown_kid_wrong_typ_edited_payload() {
    let app = spawn_app().await;
    let (access, _) = app.demo_tokens("user-read-private").await;
    assert_eq!(app.introspect(&access).await["active"], true);
    let parts: Vec<&str> = access.split('.').collect();
    let header: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    let claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    let kid = header["kid"].as_str().unwrap();
    let jwks: serde_json::Value = app
        .get("/.well-known/jwks.json")
        .await
        .json()
        .await
        .unwrap();

    let none = forge(
        serde_json::json!({"alg": "none", "typ": "at+jwt", "kid": kid}),
        &claims,
        b"",
    );
    // HS256 keyed with the public key's bytes (the classic confusion attack).
    let public_key = jwks["keys"][0]["n"].as_str().unwrap().as_bytes().to_vec();
    let hs_header = serde_json::json!({"alg": "HS256", "typ": "at+jwt", "kid": kid});
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(hs_header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let hs = {
        use aws_lc_rs::hmac;
        let key = hmac::Key::new(hmac::HMAC_SHA256, &public_key);
        format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(hmac::sign(&key, signing_input.as_bytes()).as_ref())
        )
    };
    let unknown_kid = format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(
            serde_json::json!({"alg": "RS256", "typ": "at+jwt", "kid": "nope"}).to_string()
        ),
        parts[1],
        parts[2]
    );
    let wrong_typ = format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD
            .encode(serde_json::json!({"alg": "RS256", "typ": "JWT", "kid": kid}).to_string()),
        parts[1],
        parts[2]
    );
    let mut edited_claims = claims.clone();
    edited_claims["sub"] = "someone-else".into();
    let edited = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(edited_claims.to_string()),
        parts[2]
    );
    for (name, token) in [
        ("alg none", none),
        ("HS256", hs),
        ("unknown kid", unknown_kid),
        ("wrong typ", wrong_typ),
        ("edited payload", edited),
    ] {
        assert_eq!(
            app.introspect(&token).await,
            serde_json::json!({"active": false}),
            "{name}"
        );
    }
}

#[tokio::test]
async fn item31_a_client_cannot_revoke_another_clients_token_and_it_stays_valid() {
    let app = spawn_app_with(|s| {
        let mut c = crate::provider_flow::public_client("other");
        c.secret = Some("other-secret".into());
        s.clients.push(c);
    })
    .await;
    let (access, refresh) = app.demo_tokens("user-read-private").await;
    for token in [&access, &refresh] {
        let res = app
            .http
            .post(format!("{}/api/revoke", app.url))
            .basic_auth("other", Some("other-secret"))
            .form(&[("token", token.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400);
        assert_eq!(
            res.json::<serde_json::Value>().await.unwrap()["error"],
            "unauthorized_client"
        );
    }
    assert_eq!(app.introspect(&access).await["active"], true);
    assert_eq!(app.introspect(&refresh).await["active"], true);
}

/// Runs the whole flow against the real binary and returns everything secret
/// it handed out or was given, plus its complete log output.
#[tokio::test]
async fn item14_logs_of_a_full_flow_contain_no_password_secret_code_or_token() {
    use std::process::{Command, Stdio};
    let db = TestDb::create().await;
    let password = "Canary-9f3e";
    let secret = "Canary-client-5e1d";
    let add_user = Command::new(env!("CARGO_BIN_EXE_mocklink"))
        .args(["user", "add", "canary", "--password", password])
        .env("DATABASE_URL", &db.url)
        .output()
        .unwrap();
    assert!(add_user.status.success());
    let add_client = Command::new(env!("CARGO_BIN_EXE_mocklink"))
        .args([
            "client",
            "add",
            "canary-app",
            "--secret",
            secret,
            "--redirect-uri",
            "http://127.0.0.1:9/cb",
        ])
        .env("DATABASE_URL", &db.url)
        .output()
        .unwrap();
    assert!(add_client.status.success());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let log_path = std::env::temp_dir().join(format!("mocklink-log-{port}.txt"));
    let log_file = std::fs::File::create(&log_path).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_mocklink"))
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--log-json",
        ])
        .env("DATABASE_URL", &db.url)
        .env("MOCKLINK_LOG", "debug")
        .stdout(Stdio::from(log_file.try_clone().unwrap()))
        .stderr(Stdio::from(log_file))
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let up = eventually(std::time::Duration::from_secs(20), async || {
        reqwest::get(format!("{base}/healthz"))
            .await
            .is_ok_and(|r| r.status() == 200)
    })
    .await;
    assert!(up);

    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let authorize = format!("{base}/authorize?response_type=code&client_id=canary-app&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcb&scope=user-read-private&state=s");
    let page = browser
        .get(&authorize)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let form = |name| form_value(&page, name).unwrap();
    let res = browser
        .post(format!("{base}/login"))
        .form(&[
            ("csrf_token", form("csrf_token")),
            ("return_to", form("return_to")),
            ("username", "canary".into()),
            ("password", password.into()),
        ])
        .send()
        .await
        .unwrap();
    let consent = browser
        .get(format!("{base}{}", location(&res)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let res = browser
        .post(format!("{base}/consent"))
        .form(&[
            ("csrf_token", form_value(&consent, "csrf_token").unwrap()),
            (
                "authorization_request",
                form_value(&consent, "authorization_request").unwrap(),
            ),
            ("decision", "allow".into()),
        ])
        .send()
        .await
        .unwrap();
    let back = url::Url::parse(&location(&res)).unwrap();
    let code = query_param(&back, "code").unwrap();
    let http = reqwest::Client::new();
    let tokens: serde_json::Value = http
        .post(format!("{base}/api/token"))
        .basic_auth("canary-app", Some(secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://127.0.0.1:9/cb"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    let again = http
        .post(format!("{base}/api/token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh),
            ("client_id", "canary-app"),
            ("client_secret", secret),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 200);
    let replay = http
        .post(format!("{base}/api/token"))
        .basic_auth("canary-app", Some(secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://127.0.0.1:9/cb"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 400);
    http.post(format!("{base}/api/introspect"))
        .basic_auth("canary-app", Some(secret))
        .form(&[("token", &access)])
        .send()
        .await
        .unwrap();
    child.kill().unwrap();
    let _ = child.wait();

    let logs = std::fs::read_to_string(&log_path).unwrap();
    let _ = std::fs::remove_file(&log_path);
    assert!(
        logs.contains("token_issued"),
        "the flow was logged at all:\n{logs}"
    );
    for (what, value) in [
        ("password", password.to_owned()),
        ("client secret", secret.to_owned()),
        ("code", code),
        ("access token", access[access.len() - 30..].to_owned()),
        ("refresh token", refresh),
    ] {
        assert!(!logs.contains(&value), "the logs contain the {what}");
    }
}

#[tokio::test]
async fn item12_parallel_wrong_passwords_get_at_most_the_limit_of_answers() {
    let app = std::sync::Arc::new(spawn_app().await);
    let page = app.login_page().await;
    let csrf = form_value(&page, "csrf_token").unwrap();
    let mut tasks = Vec::new();
    for _ in 0..12 {
        let (app, csrf) = (app.clone(), csrf.clone());
        tasks.push(tokio::spawn(async move {
            app.post_form(
                "/login",
                &[
                    ("csrf_token", &csrf),
                    ("return_to", "/"),
                    ("username", "demo"),
                    ("password", "wrong"),
                ],
            )
            .await
            .status()
            .as_u16()
        }));
    }
    let mut answered = 0;
    for t in tasks {
        match t.await.unwrap() {
            200 => answered += 1,
            429 => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert!(
        answered <= 5,
        "{answered} guesses were answered; the limit is 5"
    );
}
