//! ../shared/spec/security.md section A (items 1–10): `/authorize`, login and
//! consent, black-box over HTTP. Redirects are never followed: each test reads
//! `Location` (or its absence) itself.

use crate::helpers::*;
use std::io::{Read, Write};

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Asserts a readable 400 HTML error page and no redirect.
async fn assert_error_page(res: reqwest::Response, what: &str) -> String {
    assert_eq!(res.status(), 400, "{what}");
    assert!(res.headers().get("location").is_none(), "{what}");
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"),
        "{what}"
    );
    res.text().await.unwrap()
}

#[tokio::test]
async fn item01_redirect_uri_must_match_exactly() {
    let app = spawn_app().await;
    for bad in [
        format!("{ALEXA_REDIRECT}/x"),
        format!("{ALEXA_REDIRECT}/"),
        format!("{ALEXA_REDIRECT}?a=1"),
        ALEXA_REDIRECT.replace("amazon.com", "amazon.com:8443"),
        ALEXA_REDIRECT.replace("/link/", "/LINK/"),
        "https://good@evil.example/cb".to_owned(),
        format!(
            "https://pitangui.amazon.com@evil.example/api/skill/link/{}",
            DEMO_VENDOR
        ),
    ] {
        let q = form_urlencoded::Serializer::new(String::new())
            .append_pair("client_id", DEMO_CLIENT)
            .append_pair("response_type", "code")
            .append_pair("redirect_uri", &bad)
            .finish();
        let body = assert_error_page(app.get(&format!("/authorize?{q}")).await, &bad).await;
        assert!(body.contains("Invalid redirect URI"), "{bad}");
    }
    // The registered URI itself is accepted: the rule is exactness, not refusal.
    let res = app
        .get(&app.demo_authorize_url("", &[])[app.url.len()..])
        .await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn item02_unknown_or_missing_client_gets_an_error_page_and_never_a_redirect() {
    let app = spawn_app().await;
    for q in [
        "client_id=nope&response_type=code",
        "response_type=code",
        "client_id=&response_type=code",
        "client_id=alexa-skill&client_id=alexa-skill&response_type=code",
    ] {
        let res = app
            .get(&format!(
                "/authorize?{q}&redirect_uri={}",
                urlencode(ALEXA_REDIRECT)
            ))
            .await;
        let body = assert_error_page(res, q).await;
        assert!(body.contains("INVALID_CLIENT"), "{q}");
    }
    // A known client with no redirect_uri: also a page, never a guess.
    let res = app
        .get(&format!(
            "/authorize?client_id={DEMO_CLIENT}&response_type=code"
        ))
        .await;
    assert_error_page(res, "no redirect_uri").await;
}

async fn error_redirect(app: &TestApp, query: &str) -> url::Url {
    let res = app.get(&format!("/authorize?{query}")).await;
    assert!(
        res.status().is_redirection(),
        "expected an error redirect for {query}, got {}",
        res.status()
    );
    let back = url::Url::parse(&location(&res)).unwrap();
    assert!(back.as_str().starts_with(ALEXA_REDIRECT), "{back}");
    assert_eq!(query_param(&back, "code"), None);
    back
}

#[tokio::test]
async fn item03_once_client_and_redirect_are_valid_errors_redirect_to_the_client() {
    let app = spawn_app().await;
    let base = format!(
        "client_id={DEMO_CLIENT}&redirect_uri={}&state=st",
        urlencode(ALEXA_REDIRECT)
    );
    for (extra, error) in [
        ("&response_type=token", "unsupported_response_type"),
        ("&response_type=code&scope=no-such-scope", "invalid_scope"),
        ("", "invalid_request"),
        ("&response_type=code&response_type=code", "invalid_request"),
    ] {
        let back = error_redirect(&app, &format!("{base}{extra}")).await;
        assert_eq!(
            query_param(&back, "error").as_deref(),
            Some(error),
            "{extra}"
        );
        assert!(query_param(&back, "error_description").is_some());
    }
}

#[tokio::test]
async fn item03_denying_consent_redirects_with_access_denied() {
    let app = spawn_app().await;
    let back = app
        .browse(
            &app.demo_authorize_url("user-read-private", &[]),
            "demo",
            "demo",
            "deny",
        )
        .await;
    assert!(back.as_str().starts_with(ALEXA_REDIRECT), "{back}");
    assert_eq!(
        query_param(&back, "error").as_deref(),
        Some("access_denied")
    );
    assert_eq!(query_param(&back, "state").as_deref(), Some("st"));
    assert_eq!(query_param(&back, "code"), None);
}

#[tokio::test]
async fn item04_state_is_echoed_exactly_on_success_and_error_and_absent_if_not_sent() {
    let app = spawn_app().await;
    let base = format!(
        "{}/authorize?client_id={DEMO_CLIENT}&redirect_uri={}",
        app.url,
        urlencode(ALEXA_REDIRECT)
    );
    let back = app
        .browse_and_agree(&format!("{base}&response_type=code&state=a%2Bb%20c%26d"))
        .await;
    assert!(query_param(&back, "code").is_some());
    assert_eq!(query_param(&back, "state").as_deref(), Some("a+b c&d"));
    // Consent is remembered now: straight back, without a state this time.
    let back = app
        .browse_and_agree(&format!("{base}&response_type=code"))
        .await;
    assert!(query_param(&back, "code").is_some());
    assert_eq!(query_param(&back, "state"), None, "{back}");
    // Errors echo it the same way, or leave it out.
    let q = &base[base.find('?').unwrap() + 1..];
    let back = error_redirect(
        &app,
        &format!("{q}&response_type=token&state=a%2Bb%20c%26d"),
    )
    .await;
    assert_eq!(query_param(&back, "state").as_deref(), Some("a+b c&d"));
    let back = error_redirect(&app, &format!("{q}&response_type=token")).await;
    assert_eq!(query_param(&back, "state"), None, "{back}");
}

#[tokio::test]
async fn item05_iss_is_in_every_authorization_response_and_advertised() {
    let app = spawn_app().await;
    let issuer = app.url.as_str();
    // Success through the consent page (303) and with remembered consent (302).
    let back = app
        .browse_and_agree(&app.demo_authorize_url("user-read-private", &[]))
        .await;
    assert!(query_param(&back, "code").is_some());
    assert_eq!(query_param(&back, "iss").as_deref(), Some(issuer));
    let res = app
        .get(&app.demo_authorize_url("user-read-private", &[])[app.url.len()..])
        .await;
    assert_eq!(res.status(), 302);
    let back = url::Url::parse(&location(&res)).unwrap();
    assert!(query_param(&back, "code").is_some());
    assert_eq!(query_param(&back, "iss").as_deref(), Some(issuer));
    // An error redirect and a refusal at the consent page.
    let back = error_redirect(
        &app,
        &app.demo_authorize_url("no-such-scope", &[])[app.url.len() + "/authorize?".len()..],
    )
    .await;
    assert_eq!(query_param(&back, "iss").as_deref(), Some(issuer));
    let back = app
        .browse(
            &app.demo_authorize_url("user-read-private", &[("show_dialog", "true")]),
            "demo",
            "demo",
            "deny",
        )
        .await;
    assert_eq!(
        query_param(&back, "error").as_deref(),
        Some("access_denied")
    );
    assert_eq!(query_param(&back, "iss").as_deref(), Some(issuer));
    let meta: serde_json::Value = app
        .get("/.well-known/oauth-authorization-server")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(meta["authorization_response_iss_parameter_supported"], true);
    assert_eq!(meta["issuer"], issuer);
}

#[tokio::test]
async fn item06_form_posts_redirect_with_303_never_307() {
    let app = spawn_app().await;
    let page = app.login_page().await;
    let res = app.submit_login(&page, "demo", "demo").await;
    assert_eq!(res.status(), 303, "login");
    let consent = app.get(&location(&res)).await.text().await.unwrap();
    let res = app.submit_consent(&consent, "allow").await;
    assert_eq!(res.status(), 303, "consent allow");
    let code = query_param(&url::Url::parse(&location(&res)).unwrap(), "code").unwrap();
    assert_eq!(app.exchange_demo_code(&code).await.0, 200);
    let consent = app
        .get(&app.demo_authorize_url("", &[("show_dialog", "true")])[app.url.len()..])
        .await
        .text()
        .await
        .unwrap();
    let res = app.submit_consent(&consent, "deny").await;
    assert_eq!(res.status(), 303, "consent deny");
    assert!(location(&res).contains("error=access_denied"));
    // Unlinking from the account page is a form POST too.
    let apps = app.get("/account/apps").await.text().await.unwrap();
    let res = app
        .post_form(
            "/account/apps/unlink",
            &[
                ("csrf_token", &form_value(&apps, "csrf_token").unwrap()),
                ("grant_id", &form_value(&apps, "grant_id").unwrap()),
            ],
        )
        .await;
    assert_eq!(res.status(), 303, "unlink");
}

#[tokio::test]
async fn item07_login_and_consent_posts_need_the_session_csrf_token() {
    let app = spawn_app().await;
    let page = app.login_page().await;
    let return_to = form_value(&page, "return_to").unwrap();
    for csrf in [Some("forged"), None] {
        let mut form = vec![
            ("return_to", return_to.as_str()),
            ("username", "demo"),
            ("password", "demo"),
        ];
        if let Some(c) = csrf {
            form.push(("csrf_token", c));
        }
        let res = app.post_form("/login", &form).await;
        assert_eq!(res.status(), 403, "login with {csrf:?}");
        assert!(res.headers().get("location").is_none());
        assert!(res.headers().get("set-cookie").is_none(), "not logged in");
    }
    // A fresh browser without the session cookie cannot use the page's token either.
    let csrf = form_value(&page, "csrf_token").unwrap();
    let res = app
        .http
        .post(format!("{}/login", app.url))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("return_to", &return_to),
            ("username", "demo"),
            ("password", "demo"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403, "another browser");

    let res = app.submit_login(&page, "demo", "demo").await;
    let consent = app.get(&location(&res)).await.text().await.unwrap();
    let request = form_value(&consent, "authorization_request").unwrap();
    // The anonymous session's token died with it at login.
    for csrf in [Some("forged"), Some(csrf.as_str()), None] {
        let mut form = vec![
            ("authorization_request", request.as_str()),
            ("decision", "allow"),
        ];
        if let Some(c) = csrf {
            form.push(("csrf_token", c));
        }
        let res = app.post_form("/consent", &form).await;
        assert_eq!(res.status(), 403, "consent with {csrf:?}");
        assert!(res.headers().get("location").is_none(), "no code");
    }
    let grants: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM grants")
        .fetch_one(app.state.store.pool())
        .await
        .unwrap();
    assert_eq!(grants, 0, "no code was issued");

    // Unlinking is guarded the same way: the link survives a forged form.
    let res = app.submit_consent(&consent, "allow").await;
    assert_eq!(res.status(), 303);
    let code = query_param(&url::Url::parse(&location(&res)).unwrap(), "code").unwrap();
    assert_eq!(app.exchange_demo_code(&code).await.0, 200);
    let apps = app.get("/account/apps").await.text().await.unwrap();
    let grant = form_value(&apps, "grant_id").unwrap();
    let res = app
        .post_form(
            "/account/apps/unlink",
            &[("csrf_token", "forged"), ("grant_id", &grant)],
        )
        .await;
    assert_eq!(res.status(), 403);
    let apps = app.get("/account/apps").await.text().await.unwrap();
    assert!(apps.contains(&grant), "still linked");
}

#[tokio::test]
async fn item07_anonymous_visits_write_no_session_row() {
    let app = spawn_app().await;
    let sessions = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM sessions")
            .fetch_one(app.state.store.pool())
            .await
            .unwrap()
    };
    let authorize = &app.demo_authorize_url("", &[])[app.url.len()..];
    for i in 0..100 {
        // A cookieless client each time, as a flood would be.
        let path = if i % 2 == 0 {
            authorize
        } else {
            "/account/apps"
        };
        let res = app
            .http
            .get(format!("{}{path}", app.url))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert!(res.text().await.unwrap().contains("action=\"/login\""));
    }
    assert_eq!(sessions().await, 0, "no row before login");
    // Logging in is what writes one.
    let page = app.login_page().await;
    assert_eq!(app.submit_login(&page, "demo", "demo").await.status(), 303);
    assert_eq!(sessions().await, 1);
}

/// The login form of a fresh cookieless browser: its CSRF cookie (`name=value`)
/// and the form's token.
async fn anonymous_form(app: &TestApp) -> (String, String) {
    let res = app
        .http
        .get(app.demo_authorize_url("", &[]))
        .send()
        .await
        .unwrap();
    let cookie = res.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("mocklink_csrf="), "{cookie}");
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let page = res.text().await.unwrap();
    (cookie, form_value(&page, "csrf_token").unwrap())
}

async fn login_with(app: &TestApp, cookie: &str, token: &str) -> u16 {
    app.http
        .post(format!("{}/login", app.url))
        .header("Cookie", cookie)
        .form(&[
            ("csrf_token", token),
            ("return_to", "/account/apps"),
            ("username", "demo"),
            ("password", "demo"),
        ])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn item07_a_forged_or_another_browsers_csrf_cookie_is_refused() {
    let app = spawn_app().await;
    let (cookie_a, token_a) = anonymous_form(&app).await;
    let (cookie_b, token_b) = anonymous_form(&app).await;
    // Each browser's token goes with its own cookie only.
    assert_eq!(login_with(&app, &cookie_a, &token_b).await, 403);
    assert_eq!(login_with(&app, &cookie_b, &token_a).await, 403);
    // A cookie this server did not sign: an altered one, or a well-formed one
    // signed by another server (another database, another secret).
    let (payload, mac) = cookie_a.rsplit_once('.').unwrap();
    let flipped = if mac.starts_with('A') { "B" } else { "A" };
    let altered = format!("{payload}.{flipped}{}", &mac[1..]);
    assert_eq!(login_with(&app, &altered, &token_a).await, 403);
    let nonce_changed = cookie_a.replacen('.', ".x", 1);
    assert_eq!(login_with(&app, &nonce_changed, &token_a).await, 403);
    let elsewhere = spawn_app().await;
    let (cookie_c, token_c) = anonymous_form(&elsewhere).await;
    assert_eq!(login_with(&app, &cookie_c, &token_c).await, 403);
    assert_eq!(login_with(&app, "", &token_a).await, 403);
    // The real pair works, until the cookie is older than a session may live.
    assert_eq!(login_with(&app, &cookie_b, &token_b).await, 303);
    app.clock
        .advance(app.state.settings.session_ttl_seconds + 1);
    assert_eq!(login_with(&app, &cookie_a, &token_a).await, 403);
}

#[tokio::test]
async fn item08_html_pages_cannot_be_framed_and_send_no_referrer() {
    let app = spawn_app().await;
    let mut pages = vec![
        (
            "login",
            app.get(&app.demo_authorize_url("", &[])[app.url.len()..])
                .await,
        ),
        ("error", app.get("/authorize?client_id=nope").await),
        ("home", app.get("/").await),
        (
            "csrf refusal",
            app.post_form("/login", &[("csrf_token", "x")]).await,
        ),
    ];
    let page = app.login_page().await;
    let res = app.submit_login(&page, "demo", "demo").await;
    pages.push(("consent", app.get(&location(&res)).await));
    pages.push(("linked apps", app.get("/account/apps").await));
    for (name, res) in pages {
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{name}"
        );
        assert_eq!(res.headers()["x-frame-options"], "DENY", "{name}");
        assert!(
            res.headers()["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("frame-ancestors 'none'"),
            "{name}"
        );
        assert_eq!(res.headers()["referrer-policy"], "no-referrer", "{name}");
    }
}

/// Sends a GET with a request target exactly as given (no client-side
/// percent-encoding, as a hostile page or script could) and returns the body.
fn raw_get(app: &TestApp, target: &str) -> String {
    let addr = app.url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    response
}

/// `<script>` must arrive as text: `&lt;script&gt;` (askama writes the
/// numeric form `&#60;script&#62;`, which is the same to a browser).
fn assert_escaped(body: &str, what: &str) {
    assert!(!body.contains("<script>"), "{what}: reflected unescaped");
    assert!(
        body.contains("&lt;script&gt;") || body.contains("&#60;script&#62;"),
        "{what}: not reflected at all"
    );
}

#[tokio::test]
async fn item09_consent_names_client_and_scopes_and_reflected_values_are_escaped() {
    let app = spawn_app_with(|s| {
        let mut c = crate::provider_flow::public_client("xss-app");
        c.name = Some("<script>alert('client')</script>".into());
        c.secret = Some("xss-secret".into());
        s.clients.push(c);
    })
    .await;
    // The request (state included) travels through the login form. A browser
    // percent-encodes `<`, `>` and `"` (the server refuses them raw), but `'`
    // may arrive as it is and must be escaped.
    let hostile = app
        .demo_authorize_url("", &[])
        .replace("state=st", "state=%3Cscript%3E");
    let body = app
        .http
        .get(hostile)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!body.contains("<script>"), "{body}");
    let target = format!(
        "/authorize?response_type=code&client_id={DEMO_CLIENT}&redirect_uri={}&state=it's",
        urlencode(ALEXA_REDIRECT)
    );
    let login = raw_get(&app, &target);
    assert!(
        !login.contains("state=it's"),
        "raw state reflected: {login}"
    );
    assert!(
        ["&#x27;", "&#39;", "&apos;"]
            .iter()
            .any(|q| login.contains(&format!("state=it{q}s"))),
        "{login}"
    );
    // A failed login shows the user name that was typed.
    let page = app.login_page().await;
    let res = app
        .submit_login(&page, "<script>alert(2)</script>", "x")
        .await;
    assert_escaped(&res.text().await.unwrap(), "user name");

    let res = app.submit_login(&page, "demo", "demo").await;
    assert_eq!(res.status(), 303);
    let consent = app
        .get(&app.demo_authorize_url("user-read-private user-read-email", &[])[app.url.len()..])
        .await
        .text()
        .await
        .unwrap();
    assert!(consent.contains("Mock Music (Alexa skill)"), "client named");
    for scope in ["user-read-private", "user-read-email"] {
        assert!(consent.contains(scope), "scope {scope} named");
    }
    // The consent page of a client with a hostile name.
    let consent = app
        .get(&format!(
            "/authorize?response_type=code&client_id=xss-app&redirect_uri={}",
            urlencode("http://127.0.0.1:9/cb")
        ))
        .await
        .text()
        .await
        .unwrap();
    assert!(consent.contains("action=\"/consent\""), "{consent}");
    assert_escaped(&consent, "client name");
}

#[tokio::test]
async fn item10_http_redirect_uris_only_for_loopback_ip_literals() {
    let db = std::sync::Arc::new(TestDb::create().await);
    for (i, uri) in [
        "http://localhost:9/cb",
        "http://example.com/cb",
        "http://10.0.0.1/cb",
        "http://127.0.0.1.nip.io/cb",
    ]
    .iter()
    .enumerate()
    {
        let (ok, out) = run_cli(
            &db,
            &[
                "client",
                "add",
                &format!("refused-{i}"),
                "--redirect-uri",
                uri,
            ],
            &[],
        );
        assert!(!ok && out.contains("loopback"), "{uri}: {out}");
    }
    for (id, uri) in [
        ("v4", "http://127.0.0.1:9/cb"),
        ("v6", "http://[::1]:9/cb"),
        ("tls", "https://example.com/cb"),
    ] {
        let (ok, out) = run_cli(&db, &["client", "add", id, "--redirect-uri", uri], &[]);
        assert!(ok, "{uri}: {out}");
    }
    let app = spawn_on(db, |_| {}).await;
    let authorize = |client: &str, uri: &str| {
        format!(
            "/authorize?response_type=code&client_id={client}&redirect_uri={}&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256",
            urlencode(uri)
        )
    };
    assert_eq!(
        app.get(&authorize("v4", "http://127.0.0.1:9/cb"))
            .await
            .status(),
        200
    );
    // Nothing got registered for the refused URIs, and a loopback name is
    // not the registered loopback literal.
    assert_error_page(
        app.get(&authorize("refused-0", "http://localhost:9/cb"))
            .await,
        "refused client",
    )
    .await;
    assert_error_page(
        app.get(&authorize("v4", "http://localhost:9/cb")).await,
        "localhost for 127.0.0.1",
    )
    .await;
}
