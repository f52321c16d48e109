//! Issue 17: behind a tunnel, the toolbox and the simulator are never
//! reachable by strangers or by other web pages. One test per finding, named
//! after it, through the real HTTP interface, plus a walk of every admin and
//! simulator route of the OpenAPI document with a tunnel-shaped request.

use crate::admin_ui_support::*;
use crate::helpers::*;
use mocklink::config::Settings;
use mocklink::domain::Secret;
use serde_json::{json, Value};

const TUNNEL_HOST: &str = "abc.tunnel.example";
const PASSWORD: &str = "tunnel-admin-pw";

/// A request as a tunnel agent on this machine forwards it: it connects from
/// 127.0.0.1 (every test client does), names the public host and adds
/// `X-Forwarded-For`.
fn tunnelled(app: &TestApp, method: &str, path: &str) -> reqwest::RequestBuilder {
    app.http
        .request(method.parse().unwrap(), format!("{}{path}", app.url))
        .header("Host", TUNNEL_HOST)
        .header("X-Forwarded-For", "203.0.113.5")
}

/// The tunnel in front, as the README recommends: public URL on the tunnel.
fn behind_a_tunnel(s: &mut Settings) {
    s.public_url = Some(format!("https://{TUNNEL_HOST}"));
}

/// The tunnel in front, but the public URL left on loopback (the tunnel's
/// host allowed by hand).
fn tunnel_to_loopback(s: &mut Settings) {
    s.allowed_hosts = vec![TUNNEL_HOST.into()];
}

fn with_password(s: &mut Settings) {
    s.toolbox.admin_password = Some(Secret::new(PASSWORD));
}

async fn mint(req: reqwest::RequestBuilder) -> (u16, Value) {
    let res = req
        .json(&json!({"user": "demo", "client_id": DEMO_CLIENT}))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

// ---------- finding 1 (high): the toolbox open behind a tunnel ----------

#[tokio::test]
async fn finding1_a_tunnel_cannot_mint_tokens_without_the_admin_password() {
    // Public URL on the tunnel, no password: the toolbox is off.
    let app = spawn_app_with(behind_a_tunnel).await;
    let (status, body) = mint(tunnelled(&app, "POST", "/admin/api/tokens")).await;
    assert_eq!(status, 404, "{body}");
    assert!(body.get("access_token").is_none());
    let why = body["error_description"].as_str().unwrap();
    assert!(why.contains("MOCKLINK_ADMIN_PASSWORD"), "{why}");

    // Public URL left on loopback, tunnel host allowed: loopback-only
    // refuses what the tunnel forwards (its Host, its X-Forwarded-For)...
    let app = spawn_app_with(tunnel_to_loopback).await;
    let (status, body) = mint(tunnelled(&app, "POST", "/admin/api/tokens")).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"], "forbidden");
    // ...and either sign alone (a proxy keeping Host, or adding no header).
    let (status, _) = mint(
        app.http
            .post(format!("{}/admin/api/tokens", app.url))
            .header("X-Real-IP", "203.0.113.5"),
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = mint(
        app.http
            .post(format!("{}/admin/api/tokens", app.url))
            .header("Host", TUNNEL_HOST),
    )
    .await;
    assert_eq!(status, 403);
    // A browser or script on this machine is served as before, no password.
    let (status, body) = mint(app.http.post(format!("{}/admin/api/tokens", app.url))).await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = mint(app.http.post(format!(
        "{}/admin/api/tokens",
        app.url.replace("127.0.0.1", "localhost")
    )))
    .await;
    assert_eq!(status, 200);

    // With the password, the tunnel works for whoever has it.
    let app = spawn_app_with(|s| {
        behind_a_tunnel(s);
        with_password(s);
    })
    .await;
    let (status, _) = mint(tunnelled(&app, "POST", "/admin/api/tokens")).await;
    assert_eq!(status, 401);
    let (status, body) =
        mint(tunnelled(&app, "POST", "/admin/api/tokens").bearer_auth(PASSWORD)).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["access_token"].is_string());
}

#[tokio::test]
async fn finding1_the_simulator_is_a_control_surface_too() {
    let app = spawn_app_with(tunnel_to_loopback).await;
    for (method, path) in [
        ("GET", "/alexa"),
        ("GET", "/alexa/api/users"),
        ("POST", "/alexa/api/users"),
    ] {
        let res = tunnelled(&app, method, path)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "{method} {path}");
    }
    assert!(no_simulator_users(&app).await);
    // The account-linking redirect is not a control surface: the browser
    // comes back there through the tunnel, and it is checked by its state.
    let res = tunnelled(
        &app,
        "GET",
        &format!("/api/skill/link/{DEMO_VENDOR}?code=x&state=forged"),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), 400);
    let body = res.text().await.unwrap();
    assert!(body.contains("state"), "{body}");
}

#[tokio::test]
async fn finding1_the_banner_says_the_toolbox_is_off_and_how_to_turn_it_on() {
    let db = TestDb::create().await;
    let (mut child, banner) = crate::cli::serve_binary(
        &db,
        &[],
        &[
            ("MOCKLINK_LISTEN", "127.0.0.1:0"),
            ("MOCKLINK_PUBLIC_URL", "https://abc.tunnel.example"),
        ],
    );
    child.kill().unwrap();
    let _ = child.wait();
    assert!(banner.contains("OFF"), "{banner}");
    assert!(banner.contains("MOCKLINK_ADMIN_PASSWORD"), "{banner}");
}

// ---------- the walk: every admin and simulator route ----------

/// A name, the settings, and the status every toolbox route answers.
type Setup = (&'static str, fn(&mut Settings), u16);

/// Every admin and simulator route of the OpenAPI document, and every admin
/// and simulator page, asked the way a tunnel forwards a stranger's request:
/// no admin, inspector or simulator answer without the password.
#[tokio::test]
async fn a_tunnel_shaped_request_gets_no_toolbox_answer_on_any_route() {
    let setups: [Setup; 3] = [
        (
            "public URL on the tunnel, no password",
            behind_a_tunnel,
            404,
        ),
        (
            "public URL on loopback, no password",
            tunnel_to_loopback,
            403,
        ),
        (
            "with a password",
            |s| {
                behind_a_tunnel(s);
                with_password(s);
            },
            401,
        ),
    ];
    for (setup, customize, expected) in setups {
        let app = spawn_app_with(customize).await;
        let doc: Value = app.get("/openapi.json").await.json().await.unwrap();
        let mut routes = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            let is_skill = path == &app.state.settings.skill.path;
            if !(path.starts_with("/admin") || path.starts_with("/alexa")) || is_skill {
                continue;
            }
            for method in item.as_object().unwrap().keys() {
                let concrete = path
                    .replace("{id}", "amzn1.ask.account.X")
                    .replace("{user}", "demo")
                    .replace("{flow}", "f")
                    .replace("{vendor}", DEMO_VENDOR);
                routes.push((method.to_uppercase(), concrete));
            }
        }
        assert!(
            routes.len() >= 18,
            "the document lists the routes: {routes:?}"
        );
        for page in ADMIN_PAGES.iter().chain(&[
            "/admin/inspector",
            "/alexa",
            "/alexa/users/amzn1.ask.account.X",
            "/alexa/flows/f",
        ]) {
            routes.push(("GET".into(), (*page).to_owned()));
        }
        for form in [
            "/admin/grants/revoke",
            "/admin/scenarios",
            "/admin/keys/rotate",
            "/admin/clock/advance",
            "/admin/inspector/clear",
            "/alexa/users",
            "/alexa/skills",
            "/alexa/skills/s/delete",
        ] {
            routes.push(("POST".into(), form.to_owned()));
        }
        for (method, path) in routes {
            let res = tunnelled(&app, &method, &path)
                .header("Content-Type", "application/json")
                .body("{}")
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            let body = res.text().await.unwrap();
            assert_eq!(status, expected, "{setup}: {method} {path}: {body}");
            assert!(
                !body.contains("access_token")
                    && !body.contains("amzn1.ask.account.")
                    && !body.contains("csrf_token"),
                "{setup}: {method} {path} answered: {body}"
            );
        }
        // Nothing happened.
        assert!(no_simulator_users(&app).await, "{setup}");
        assert_eq!(app.state.clock.shared_offset(), 0, "{setup}");
    }
}

// ---------- finding 2 (medium): CSRF on the admin JSON API ----------

#[tokio::test]
async fn finding2_another_web_page_cannot_call_the_admin_json_api() {
    let app = spawn_app().await;
    let url = |p: &str| format!("{}/admin/api{p}", app.url);
    let body = json!({"user": "demo", "client_id": DEMO_CLIENT}).to_string();
    // A no-cors form or fetch: text/plain, no preflight.
    let res = app
        .http
        .post(url("/tokens"))
        .header("Content-Type", "text/plain")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let res = app
        .http
        .post(url("/clock/advance"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(r#"{"seconds": 3600}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(app.state.clock.shared_offset(), 0);
    // A bodiless POST needs the JSON content type too (or the password).
    let res = app
        .http
        .post(url("/users/demo/revoke"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let res = app
        .http
        .post(url("/users/demo/revoke"))
        .header("Content-Type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // What the browser says about the page is believed.
    for (name, value) in [
        ("Origin", "https://evil.example"),
        ("Origin", "null"),
        ("Origin", "http://localhost:1"),
        ("Sec-Fetch-Site", "cross-site"),
        ("Sec-Fetch-Site", "same-site"),
    ] {
        let res = app
            .http
            .post(url("/tokens"))
            .header(name, value)
            .header("Content-Type", "application/json")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "{name}: {value}");
        let res = app
            .http
            .delete(url("/scenarios"))
            .header(name, value)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "DELETE with {name}: {value}");
    }
    // Our own origin and an API client (no Origin) are fine.
    let res = app
        .http
        .post(url("/tokens"))
        .header("Origin", &app.url)
        .header("Sec-Fetch-Site", "same-origin")
        .header("Content-Type", "application/json; charset=utf-8")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    // With a password: a bodiless POST may carry it instead.
    let app = spawn_app_with(with_password).await;
    let res = app
        .http
        .post(format!("{}/admin/api/clock/reset", app.url))
        .basic_auth("admin", Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn finding2_another_web_page_cannot_call_the_simulator_json_api() {
    let app = spawn_app().await;
    let url = format!("{}/alexa/api/users", app.url);
    for (name, value) in [
        ("Origin", "https://evil.example"),
        ("Sec-Fetch-Site", "cross-site"),
    ] {
        let res = app
            .http
            .post(&url)
            .header(name, value)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "{name}: {value}");
    }
    let res = app
        .http
        .post(&url)
        .header("Content-Type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert!(no_simulator_users(&app).await);
}

// ---------- finding 3 (medium): DNS rebinding ----------

#[tokio::test]
async fn finding3_a_rebound_host_name_is_refused_on_every_route() {
    let app = spawn_app().await;
    for path in [
        "/admin",
        "/admin/api/clock",
        "/admin/api/inspector",
        "/alexa",
        "/alexa/api/users",
        "/authorize",
        "/healthz",
        "/v1/me",
    ] {
        let res = app
            .http
            .get(format!("{}{path}", app.url))
            .header("Host", "evil.example")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 421, "{path}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"], "misdirected_request", "{path}");
        // A browser gets the page.
        let res = app
            .http
            .get(format!("{}{path}", app.url))
            .header("Host", "evil.example:8080")
            .header("Accept", "text/html,application/xhtml+xml")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 421, "{path}");
        assert!(res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
    }
    // The loopback names, with any port, and the allowlist are served.
    let app = spawn_app_with(|s| s.allowed_hosts = vec!["provider".into()]).await;
    for host in [
        "localhost",
        "LOCALHOST:1234",
        "127.0.0.1",
        "[::1]:8080",
        "provider:8080",
    ] {
        let res = app
            .http
            .get(format!("{}/healthz", app.url))
            .header("Host", host)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{host}");
    }
}

#[tokio::test]
async fn finding3_a_form_from_the_requests_own_origin_is_not_same_origin() {
    // A rebound page names its own host in both Host and Origin; the old
    // rule took `scheme://Host` as this server's origin.
    let app = spawn_app().await;
    let (_, page) = admin_page(&app, "/admin/clock").await;
    let token = attr(
        page.select(&sel("input[name=csrf_token]")).next().unwrap(),
        "value",
    );
    let evil = "http://rebound.example";
    let res = app
        .browser
        .post(format!("{}/admin/clock/advance", app.url))
        .header("Host", "rebound.example")
        .header("Origin", evil)
        .form(&[("csrf_token", token.as_str()), ("seconds", "3600")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 421);
    // Even for a host that is allowed, the Origin must be one of ours.
    let app = spawn_app_with(|s| s.allowed_hosts = vec!["rebound.example".into()]).await;
    let (_, page) = admin_page(&app, "/admin/clock").await;
    let token = attr(
        page.select(&sel("input[name=csrf_token]")).next().unwrap(),
        "value",
    );
    let res = app
        .browser
        .post(format!("{}/admin/clock/advance", app.url))
        .header("Origin", "http://rebound.example:1")
        .form(&[("csrf_token", token.as_str()), ("seconds", "3600")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(app.state.clock.shared_offset(), 0);
}

// ---------- finding 4 (low) ----------

async fn login_with(app: &TestApp, forwarded: (&str, &str), password: &str) -> u16 {
    let page = app.login_page().await;
    let csrf = form_value(&page, "csrf_token").unwrap();
    app.browser
        .post(format!("{}/login", app.url))
        .header(forwarded.0, forwarded.1)
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("return_to", "/account/apps"),
            ("username", "demo"),
            ("password", password),
        ])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn finding4_forwarded_of_rfc_7239_names_the_client_by_its_last_hop() {
    let app = spawn_app_with(|s| s.trust_forwarded_headers = true).await;
    let from = |ip: &str| format!("for=198.51.100.1;proto=https, for=\"{ip}:4711\";by=127.0.0.1");
    for _ in 0..5 {
        assert_eq!(
            login_with(&app, ("Forwarded", &from("203.0.113.7")), "wrong").await,
            200
        );
    }
    assert_eq!(
        login_with(&app, ("Forwarded", &from("203.0.113.7")), "demo").await,
        429
    );
    // Another client behind the same proxy is not the one locked out.
    assert_eq!(
        login_with(&app, ("Forwarded", &from("203.0.113.8")), "demo").await,
        303
    );
}

#[tokio::test]
async fn finding4_an_unreadable_forwarding_chain_is_refused_not_taken_as_the_proxy() {
    let app = spawn_app_with(|s| s.trust_forwarded_headers = true).await;
    for (name, value) in [
        ("X-Forwarded-For", "203.0.113.7, not-an-address"),
        ("Forwarded", "for=203.0.113.7, for=garbage"),
        ("Forwarded", "for=2001:db8::1"),
    ] {
        let res = app
            .http
            .get(format!(
                "{}/.well-known/oauth-authorization-server",
                app.url
            ))
            .header(name, value)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{name}: {value}");
    }
    // Two headers naming different clients: refused too.
    let res = app
        .http
        .get(format!("{}/healthz", app.url))
        .header("X-Forwarded-For", "203.0.113.7")
        .header("Forwarded", "for=203.0.113.9")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    // Untrusted, the headers are not read at all.
    let app = spawn_app().await;
    let res = app
        .http
        .get(format!("{}/healthz", app.url))
        .header("X-Forwarded-For", "garbage")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn finding4_admin_password_guesses_are_throttled() {
    let app = spawn_app_with(with_password).await;
    let call = |password: &'static str| {
        app.http
            .get(format!("{}/admin/api/clock", app.url))
            .bearer_auth(password)
            .send()
    };
    for i in 0..10 {
        assert_eq!(call("guess").await.unwrap().status(), 401, "guess {i}");
    }
    let res = call("guess").await.unwrap();
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key("retry-after"));
    // Locked out: the right password too, until the window ends.
    assert_eq!(call(PASSWORD).await.unwrap().status(), 429);
    // The pages say so too.
    let res = app
        .browser
        .get(format!("{}/admin", app.url))
        .basic_auth("admin", Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
}

#[tokio::test]
async fn finding4_a_return_to_that_leaves_the_site_or_breaks_the_header_is_a_400_page() {
    let app = spawn_app().await;
    for bad in [
        "/a\r\nSet-Cookie: x=1",
        "/\t/evil.example",
        "/\\evil.example",
        "//evil.example",
        "/a b",
    ] {
        let page = app.login_page().await;
        let csrf = form_value(&page, "csrf_token").unwrap();
        let res = app
            .browser
            .post(format!("{}/login", app.url))
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("return_to", bad),
                ("username", "demo"),
                ("password", "demo"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{bad:?}");
        assert!(res.headers().get("location").is_none(), "{bad:?}");
        assert!(res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
    }
}

#[tokio::test]
async fn finding4_the_banner_masks_a_configured_client_secret() {
    let db = TestDb::create().await;
    let secret = "alexa-7c1f9e2b4d6a8c0e1f3b5d7a";
    let (mut child, banner) = crate::cli::serve_binary(
        &db,
        &[],
        &[
            ("MOCKLINK_LISTEN", "127.0.0.1:0"),
            ("MOCKLINK_DEMO_CLIENT_SECRET", secret),
        ],
    );
    child.kill().unwrap();
    let _ = child.wait();
    assert!(!banner.contains(secret), "{banner}");
    assert!(banner.contains("alexa-…(set)"), "{banner}");
}

#[tokio::test]
async fn finding4_csrf_cookies_are_secure_under_https() {
    // A tunnel ends TLS and says so; the public URL was left on http.
    let app = spawn_app_with(|s| {
        tunnel_to_loopback(s);
        with_password(s);
        s.trust_forwarded_headers = true;
    })
    .await;
    for path in ["/admin", "/alexa"] {
        let res = tunnelled(&app, "GET", path)
            .header("X-Forwarded-Proto", "https")
            .basic_auth("admin", Some(PASSWORD))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{path}");
        let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
        assert!(cookie.contains("Secure"), "{path}: {cookie}");
    }
}

#[tokio::test]
async fn finding4_two_instances_cannot_together_admit_more_failed_logins_than_the_limit() {
    // Two processes on one database (a per-process lock cannot order them):
    // this test's app, and the binary.
    let first = spawn_app().await;
    let (mut child, banner) =
        crate::cli::serve_binary(&first.db, &[], &[("MOCKLINK_LISTEN", "127.0.0.1:0")]);
    let second = banner
        .lines()
        .find_map(|l| l.trim().strip_prefix("Access Token URI"))
        .map(|u| u.trim().trim_end_matches("/api/token").to_owned())
        .unwrap_or_else(|| panic!("{banner}"));
    let browser = || {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    };
    let mut instances = Vec::new();
    for base in [first.url.clone(), second] {
        let client = browser();
        let page = client
            .get(format!(
                "{base}{}",
                &first.demo_authorize_url("user-read-private", &[])[first.url.len()..]
            ))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = form_value(&page, "csrf_token").unwrap_or_else(|| panic!("{page}"));
        instances.push((client, format!("{base}/login"), csrf));
    }
    let mut calls = Vec::new();
    for i in 0..24 {
        let (client, url, csrf) = instances[i % 2].clone();
        calls.push(tokio::spawn(async move {
            client
                .post(url)
                .form(&[
                    ("csrf_token", csrf.as_str()),
                    ("return_to", "/account/apps"),
                    ("username", "demo"),
                    ("password", "wrong"),
                ])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    let mut answered = 0;
    for c in calls {
        match c.await.unwrap() {
            200 => answered += 1,
            429 => {}
            other => panic!("unexpected {other}"),
        }
    }
    child.kill().unwrap();
    let _ = child.wait();
    assert_eq!(answered, 5, "exactly the limit of guesses was answered");
    let rows: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM auth_failures WHERE key = 'login:demo@127.0.0.1'")
            .fetch_one(first.state.store.pool())
            .await
            .unwrap();
    assert_eq!(rows, 5);
}

#[tokio::test]
async fn finding4_an_unparsable_json_body_creates_no_simulator_user() {
    let app = spawn_app().await;
    let res = app
        .http
        .post(format!("{}/alexa/api/users", app.url))
        .header("Content-Type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "bad_request");
    assert!(no_simulator_users(&app).await);
    // No body at all is still `{}`.
    let res = app
        .http
        .post(format!("{}/alexa/api/users", app.url))
        .header("Content-Type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
}

/// Nothing the simulator keeps was created.
async fn no_simulator_users(app: &TestApp) -> bool {
    app.state
        .store
        .alexa_users("default")
        .await
        .unwrap()
        .is_empty()
}
