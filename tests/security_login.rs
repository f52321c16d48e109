//! ../shared/spec/security.md section B (items 11–14): password storage,
//! login rate limits, the session cookie and what reaches the logs.

use crate::helpers::*;

#[tokio::test]
async fn item11_password_hashes_are_argon2id_with_owasp_parameters() {
    let app = spawn_app().await;
    let hashes: Vec<(String, String)> = sqlx::query_as("SELECT id, password_hash FROM users")
        .fetch_all(app.state.store.pool())
        .await
        .unwrap();
    assert!(hashes.iter().any(|(id, _)| id == "demo"), "{hashes:?}");
    for (id, hash) in &hashes {
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{id}: {hash}"
        );
    }
    // And the stored hash is what a login is checked against.
    let page = app.login_page().await;
    assert_eq!(app.submit_login(&page, "demo", "demo").await.status(), 303);
}

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

#[tokio::test]
async fn item12_unknown_user_and_wrong_password_get_the_same_message() {
    let app = spawn_app().await;
    let page = app.login_page().await;
    let res = app.submit_login(&page, "demo", "wrong").await;
    assert_eq!(res.status(), 200);
    let body = res.text().await.unwrap();
    assert!(body.contains("Incorrect user name or password."));
    // Same message for a user that does not exist.
    let res = app.submit_login(&body, "nobody", "demo").await;
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Incorrect user name or password."));
}

/// `n` logins from `forwarded_for`, all wrong but the last; the last status.
async fn failed_logins_from(app: &TestApp, forwarded_for: &str, n: usize) -> u16 {
    logins_from(app, forwarded_for, n, true).await
}

async fn logins_from(app: &TestApp, forwarded_for: &str, n: usize, last_right: bool) -> u16 {
    let page = app.login_page().await;
    let csrf = form_value(&page, "csrf_token").unwrap();
    let mut last = 0;
    for i in 0..n {
        let password = if last_right && i + 1 == n {
            "demo"
        } else {
            "wrong"
        };
        let res = app
            .browser
            .post(format!("{}/login", app.url))
            .header("X-Forwarded-For", forwarded_for)
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("return_to", "/account/apps"),
                ("username", "demo"),
                ("password", password),
            ])
            .send()
            .await
            .unwrap();
        last = res.status().as_u16();
        if last == 303 {
            break;
        }
    }
    last
}

#[tokio::test]
async fn item12_forwarded_addresses_count_only_when_trusted() {
    // Untrusted: a spoofed header does not give an attacker fresh addresses.
    let app = spawn_app().await;
    assert_eq!(failed_logins_from(&app, "1.1.1.1", 6).await, 429);
    assert_eq!(
        failed_logins_from(&app, "2.2.2.2", 1).await,
        429,
        "same peer, same limit"
    );

    // Trusted (behind the operator's proxy): each client address has its own.
    let app = spawn_app_with(|s| s.trust_forwarded_headers = true).await;
    assert_eq!(failed_logins_from(&app, "1.1.1.1", 6).await, 429);
    assert_eq!(failed_logins_from(&app, "2.2.2.2", 1).await, 303);
    // Only the entry the proxy appended counts: a client-chosen prefix does not
    // give a fresh address.
    assert_eq!(failed_logins_from(&app, "7.7.7.7, 3.3.3.3", 6).await, 429);
    assert_eq!(failed_logins_from(&app, "8.8.8.8, 3.3.3.3", 1).await, 429);
}

#[tokio::test]
async fn item12_many_addresses_guessing_one_account_hit_the_account_wide_limit() {
    let app = spawn_app_with(|s| s.trust_forwarded_headers = true).await;
    for i in 0..5 {
        // Four failures from each of five addresses: under the per-address limit.
        assert_eq!(
            logins_from(&app, &format!("10.0.0.{i}"), 4, false).await,
            200
        );
    }
    assert_eq!(
        failed_logins_from(&app, "10.0.1.1", 1).await,
        429,
        "20 failures on the account"
    );
    // The lock ends with the window.
    app.clock.advance(15 * 60 + 1);
    assert_eq!(failed_logins_from(&app, "10.0.1.1", 1).await, 303);
}

/// The `Set-Cookie` header that sets `name`, if any.
fn set_cookie(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with(&format!("{name}=")))
}

fn pair(set_cookie: &str) -> &str {
    set_cookie.split(';').next().unwrap()
}

#[tokio::test]
async fn item13_the_session_cookie_is_httponly_lax_root_path_and_new_at_login() {
    let app = spawn_app().await;
    // Before login there is no session, only the login form's signed CSRF
    // cookie, with the same attributes.
    let res = app
        .http
        .get(app.demo_authorize_url("", &[]))
        .send()
        .await
        .unwrap();
    assert!(set_cookie(&res, "mocklink_session").is_none());
    let csrf = set_cookie(&res, "mocklink_csrf").expect("a CSRF cookie");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(csrf.contains(attribute), "{csrf}");
    }
    assert!(!csrf.contains("Secure"), "plain http: {csrf}");
    let page = res.text().await.unwrap();
    // A session id planted before login (fixation) is not what login hands out.
    let planted = "mocklink_session=planted-by-someone-else";
    let res = app
        .http
        .post(format!("{}/login", app.url))
        .header("Cookie", format!("{}; {planted}", pair(&csrf)))
        .form(&[
            (
                "csrf_token",
                form_value(&page, "csrf_token").unwrap().as_str(),
            ),
            ("return_to", "/account/apps"),
            ("username", "demo"),
            ("password", "demo"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let session = set_cookie(&res, "mocklink_session").expect("a session cookie");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(session.contains(attribute), "{session}");
    }
    assert_ne!(pair(&session), planted);
    let apps = |cookie: String| {
        let app = &app;
        async move {
            app.http
                .get(format!("{}/account/apps", app.url))
                .header("Cookie", cookie)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    assert!(apps(pair(&session).to_owned())
        .await
        .contains("Logged in as"));
    assert!(apps(planted.to_owned()).await.contains("action=\"/login\""));
}

#[tokio::test]
async fn item13_under_https_the_cookies_are_secure_with_the_host_prefix() {
    let app = spawn_app_with(|s| s.public_url = Some("https://mock.example".into())).await;
    let res = app
        .http
        .get(app.demo_authorize_url("", &[]))
        .send()
        .await
        .unwrap();
    let csrf = set_cookie(&res, "__Host-mocklink_csrf").expect("a __Host- CSRF cookie");
    let page = res.text().await.unwrap();
    let res = app
        .http
        .post(format!("{}/login", app.url))
        .header("Cookie", pair(&csrf))
        .form(&[
            (
                "csrf_token",
                form_value(&page, "csrf_token").unwrap().as_str(),
            ),
            ("return_to", "/account/apps"),
            ("username", "demo"),
            ("password", "demo"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let session = set_cookie(&res, "__Host-mocklink_session").expect("a __Host- session cookie");
    for cookie in [&csrf, &session] {
        for attribute in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
            assert!(cookie.contains(attribute), "{cookie}");
        }
    }
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
