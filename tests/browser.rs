//! The pages in a real browser (headless Chromium): the linking story as a
//! person lives it, with the keyboard only, without JavaScript, and the
//! error pages; each page checked for accessibility basics and saved as a
//! screenshot. See `browser_support` for how the browser is run.

use crate::browser_support::*;
use crate::helpers::*;
use fantoccini::key::Key;
use mocklink::config::ClientSeed;
use mocklink::store::RefreshPolicy;
use std::io::{Read, Write};
use std::net::TcpListener;

const CLIENT: &str = "browser-app";

/// A redirect target the browser can really land on: a tiny HTTP server
/// that answers every request with a page, so the final URL (with its code
/// or error) is readable from the browser.
fn callback_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind callback server");
    let url = format!("http://{}/callback", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let body = "<!doctype html><html lang=\"en\"><title>Callback</title><h1>Back at the app</h1></html>";
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

/// An app with a client whose redirect URI is a live callback server.
async fn app_with_callback() -> (TestApp, String) {
    let callback = callback_server();
    let redirect = callback.clone();
    let app = spawn_app_with(move |s| {
        s.clients.push(ClientSeed {
            id: CLIENT.into(),
            name: Some("Browser Test App".into()),
            secret: Some("browser-app-secret".into()),
            redirect_uris: vec![redirect],
            scopes: None,
            refresh_policy: RefreshPolicy::Rotate,
            refresh_grace_seconds: 0,
            access_token_ttl_seconds: 3600,
            refresh_token_ttl_seconds: 86400,
            extended_quota: false,
        })
    })
    .await;
    (app, callback)
}

fn authorize_url(app: &TestApp, callback: &str, state: &str) -> String {
    let query: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", CLIENT)
        .append_pair("redirect_uri", callback)
        .append_pair("scope", "user-read-private user-read-playback-state")
        .append_pair("state", state)
        .finish();
    format!("{}/authorize?{query}", app.url)
}

fn at_callback(callback: &str) -> impl Fn(&url::Url) -> bool + '_ {
    move |u: &url::Url| u.as_str().starts_with(callback)
}

/// Fills and sends the login form with the mouse.
async fn log_in(b: &Browser, user: &str, password: &str) {
    b.find("#username").await.send_keys(user).await.unwrap();
    b.find("#password").await.send_keys(password).await.unwrap();
    b.submit("form[action='/login'] button[type=submit]").await;
}

#[tokio::test]
async fn browser_login_and_consent_with_the_keyboard_only() {
    let (app, callback) = app_with_callback().await;
    with_browser(true, async |b| {
        b.goto(&authorize_url(&app, &callback, "kb-1")).await;
        assert_eq!(b.title().await, "Log in · mocklink");
        b.assert_accessible("login").await;
        b.screenshot("login").await;
        b.assert_focus_order("login").await;

        // A fresh load puts the focus in the user name field (autofocus).
        b.goto(&authorize_url(&app, &callback, "kb-1")).await;
        b.wait_for_focus("username").await;
        b.submit_with_keys(&[
            KeyPress::Text("demo"),
            KeyPress::Key(Key::Tab),
            KeyPress::Text("demo"),
            KeyPress::Key(Key::Enter),
        ])
        .await;
        b.find("form[action='/consent']").await;
        assert_eq!(b.title().await, "Allow access · mocklink");
        assert!(b.text("h1").await.contains("Browser Test App"));
        b.assert_accessible("consent").await;
        b.screenshot("consent").await;
        b.assert_focus_order("consent").await;

        // Tab from the top of the page to "Agree", then Enter.
        b.focus_top().await;
        let mut steps = 0;
        while b.focused().await != "Agree" {
            b.keys(&[KeyPress::Key(Key::Tab)]).await;
            steps += 1;
            assert!(steps < 10, "Agree is not reachable with Tab");
        }
        b.submit_with_keys(&[KeyPress::Key(Key::Enter)]).await;
        let back = b.wait_for_url(at_callback(&callback)).await;
        assert!(query_param(&back, "code").is_some(), "{back}");
        assert_eq!(query_param(&back, "state").as_deref(), Some("kb-1"));
        assert_eq!(query_param(&back, "iss").as_deref(), Some(app.url.as_str()));
    })
    .await;
}

#[tokio::test]
async fn browser_deny_returns_access_denied_to_the_app() {
    let (app, callback) = app_with_callback().await;
    with_browser(true, async |b| {
        b.goto(&authorize_url(&app, &callback, "deny-1")).await;
        log_in(b, "demo", "demo").await;
        b.submit("button[value=deny]").await;
        let back = b.wait_for_url(at_callback(&callback)).await;
        assert_eq!(
            query_param(&back, "error").as_deref(),
            Some("access_denied")
        );
        assert_eq!(query_param(&back, "state").as_deref(), Some("deny-1"));
        assert_eq!(query_param(&back, "code"), None);
    })
    .await;
}

#[tokio::test]
async fn browser_wrong_password_shows_a_visible_error() {
    let (app, callback) = app_with_callback().await;
    with_browser(true, async |b| {
        b.goto(&authorize_url(&app, &callback, "pw-1")).await;
        log_in(b, "demo", "not-the-password").await;
        let error = b.find("#login-error").await;
        assert!(error.is_displayed().await.unwrap());
        assert_eq!(error.attr("role").await.unwrap().as_deref(), Some("alert"));
        assert!(!error.text().await.unwrap().is_empty());
        // The error is tied to the field it is about, and the name is kept.
        let username = b.find("#username").await;
        assert_eq!(
            username.attr("aria-describedby").await.unwrap().as_deref(),
            Some("login-error")
        );
        assert_eq!(
            username.prop("value").await.unwrap().as_deref(),
            Some("demo")
        );
        b.assert_accessible("login with an error").await;
        b.screenshot("login-error").await;
    })
    .await;
}

#[tokio::test]
async fn browser_forged_csrf_token_gets_a_readable_error_page() {
    let (app, callback) = app_with_callback().await;
    with_browser(true, async |b| {
        b.goto(&authorize_url(&app, &callback, "csrf-1")).await;
        b.client
            .execute(
                "document.querySelector('form[action=\"/login\"] input[name=csrf_token]').value = 'forged';",
                vec![],
            )
            .await
            .unwrap();
        log_in(b, "demo", "demo").await;
        assert_eq!(b.title().await, "Form expired · mocklink");
        let alert = b.find("[role=alert]").await;
        assert!(alert.is_displayed().await.unwrap());
        assert!(alert.text().await.unwrap().contains("reload the page"));
        assert!(!b.url().await.as_str().starts_with(&callback));
        b.assert_accessible("CSRF error page").await;
        b.screenshot("csrf-error").await;
    })
    .await;
}

#[tokio::test]
async fn browser_expired_session_shows_a_readable_error_and_no_code() {
    let (app, callback) = app_with_callback().await;
    with_browser(true, async |b| {
        b.goto(&authorize_url(&app, &callback, "exp-1")).await;
        log_in(b, "demo", "demo").await;
        b.find("form[action='/consent']").await;
        // The person walks away; the session ends while the page is open.
        app.clock
            .advance(app.state.settings.session_ttl_seconds + 1);
        b.submit("button[value=allow]").await;
        assert_eq!(b.title().await, "Form expired · mocklink");
        assert!(b.find("[role=alert]").await.is_displayed().await.unwrap());
        assert!(!b.url().await.as_str().starts_with(&callback));

        // Starting again works: the login page, then a code.
        b.goto(&authorize_url(&app, &callback, "exp-2")).await;
        log_in(b, "demo", "demo").await;
        b.submit("button[value=allow]").await;
        let back = b.wait_for_url(at_callback(&callback)).await;
        assert!(query_param(&back, "code").is_some());
    })
    .await;
}

#[tokio::test]
async fn browser_unknown_client_gets_an_error_page_and_no_redirect() {
    let (app, callback) = app_with_callback().await;
    with_browser(true, async |b| {
        let url = authorize_url(&app, &callback, "s").replace(CLIENT, "nope");
        b.goto(&url).await;
        assert!(b.url().await.as_str().starts_with(&app.url));
        assert!(b.find("[role=alert]").await.is_displayed().await.unwrap());
        b.assert_accessible("error page").await;
        b.screenshot("error-unknown-client").await;
    })
    .await;
}

#[tokio::test]
async fn browser_linked_apps_page_lists_and_unlinks() {
    let (app, callback) = app_with_callback().await;
    with_browser(true, async |b| {
        b.goto(&authorize_url(&app, &callback, "apps-1")).await;
        log_in(b, "demo", "demo").await;
        b.submit("button[value=allow]").await;
        let back = b.wait_for_url(at_callback(&callback)).await;
        // The app redeems its code: now it is linked.
        let body: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "authorization_code")
            .append_pair("code", &query_param(&back, "code").unwrap())
            .append_pair("redirect_uri", &callback)
            .finish();
        let res = app
            .token_request(&body, Some((CLIENT, "browser-app-secret")))
            .await;
        assert_eq!(res.status(), 200);

        b.goto(&format!("{}/account/apps", app.url)).await;
        assert!(b.text("main").await.contains("Browser Test App"));
        b.assert_accessible("linked apps").await;
        b.screenshot("linked-apps").await;
        b.assert_focus_order("linked apps").await;
        b.submit("main form button[type=submit]").await;
        assert!(!b.text("main").await.contains("Browser Test App"));
    })
    .await;
}

/// The provider's pages after the simulator sent the browser there: login
/// and consent, each only when this browser has no session or consent yet.
async fn agree_if_asked(b: &Browser) {
    if !b.find_all("#username").await.is_empty() {
        log_in(b, "demo", "demo").await;
    }
    if !b.find_all("button[value=allow]").await.is_empty() {
        b.submit("button[value=allow]").await;
    }
}

/// The simulator's "Enable skill" round trip, as a person does it: the
/// simulator page, the provider's login and consent, back to the simulator.
async fn enable_skill_round_trip(app: &TestApp, b: &Browser) {
    b.goto(&format!("{}/alexa", app.url)).await;
    if b.javascript {
        b.assert_accessible("simulator home").await;
        b.screenshot("alexa-home").await;
    }
    b.submit("a[href^='/alexa/users/']").await;
    assert_eq!(b.text("#link-status").await, "Not linked.");
    if b.javascript {
        b.assert_accessible("simulator user").await;
        b.screenshot("alexa-user").await;
    }
    b.submit("form[action$='/enable'] button").await;
    agree_if_asked(b).await;
    let page = b.text("main").await;
    assert!(
        page.contains("mock music has been successfully linked."),
        "{page}"
    );
    if b.javascript {
        b.assert_accessible("simulator linked").await;
        b.screenshot("alexa-linked").await;
    }
}

#[tokio::test]
async fn browser_simulator_enable_skill_round_trip() {
    let app = spawn_app().await;
    with_browser(true, async |b| enable_skill_round_trip(&app, b).await).await;
}

#[tokio::test]
async fn browser_everything_works_without_javascript() {
    let (app, callback) = app_with_callback().await;
    with_browser(false, async |b| {
        // JavaScript really is off in this browser.
        b.goto("data:text/html,<title>off</title><script>document.title='on'</script>")
            .await;
        assert_eq!(b.title().await, "off");

        b.goto(&authorize_url(&app, &callback, "nojs-1")).await;
        log_in(b, "demo", "demo").await;
        b.submit("button[value=allow]").await;
        let back = b.wait_for_url(at_callback(&callback)).await;
        assert!(query_param(&back, "code").is_some());

        enable_skill_round_trip(&app, b).await;
    })
    .await;
}

/// Every admin page, audited and photographed; the copy buttons appear only
/// where JavaScript runs.
#[tokio::test]
async fn browser_admin_pages_are_accessible() {
    let app = spawn_app().await;
    with_browser(true, async |b| {
        for (path, name) in [
            ("/admin", "admin-overview"),
            ("/admin/users", "admin-users"),
            ("/admin/clients", "admin-clients"),
            ("/admin/grants", "admin-grants"),
            ("/admin/scenarios", "admin-scenarios"),
            ("/admin/inspector", "admin-inspector-empty"),
            ("/admin/keys", "admin-keys"),
            ("/admin/clock", "admin-clock"),
        ] {
            b.goto(&format!("{}{path}", app.url)).await;
            b.assert_accessible(name).await;
            b.screenshot(name).await;
            b.assert_focus_order(name).await;
        }
        b.goto(&format!("{}/admin", app.url)).await;
        let copy = b.find("button[data-copy]").await;
        assert!(
            copy.is_displayed().await.unwrap(),
            "copy button shown with JS"
        );
    })
    .await;
}

/// The API explorer, reached from the home page, renders every operation
/// of `/openapi.json` from the binary's own files under its strict CSP, and
/// "Try it out" reaches this server.
#[tokio::test]
async fn browser_api_explorer_renders_the_openapi_document() {
    let app = spawn_app().await;
    let doc: serde_json::Value = app.get("/openapi.json").await.json().await.unwrap();
    let operations: usize = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().keys())
        .filter(|k| ["get", "put", "post", "delete", "patch", "head"].contains(&k.as_str()))
        .count();
    with_browser(true, async |b| {
        b.goto(&format!("{}/", app.url)).await;
        b.submit("a[href='/docs']").await;
        assert_eq!(b.url().await.path(), "/docs");
        assert!(b
            .text(".swagger-ui .info .title")
            .await
            .contains("mocklink"));
        let shown = b.find_all(".opblock").await.len();
        assert_eq!(shown, operations, "one block per documented operation");
        assert_eq!(b.title().await, "API explorer · mocklink");
        b.screenshot("api-explorer").await;

        // Try it out on GET /healthz: the request goes to this server.
        b.find("#operations-ops-healthz .opblock-summary")
            .await
            .click()
            .await
            .unwrap();
        b.find("#operations-ops-healthz .try-out__btn")
            .await
            .click()
            .await
            .unwrap();
        b.find("#operations-ops-healthz .execute")
            .await
            .click()
            .await
            .unwrap();
        let status = b
            .text("#operations-ops-healthz .live-responses-table tr.response .response-col_status")
            .await;
        assert_eq!(status.trim(), "200");
    })
    .await;
}

/// "Alexa says unable to link" in one click, then seen in the simulator.
async fn unable_to_link_story(app: &TestApp, b: &Browser) {
    b.goto(&format!("{}/admin/scenarios", app.url)).await;
    b.submit("#preset-unable-to-link button[type=submit]").await;
    assert!(b.text("table#scenarios").await.contains("invalid_grant"));

    b.goto(&format!("{}/alexa", app.url)).await;
    b.submit("a[href^='/alexa/users/']").await;
    b.submit("form[action$='/enable'] button").await;
    agree_if_asked(b).await;
    let page = b.text("main").await;
    assert!(
        page.contains("We were unable to link mock music at this time"),
        "{page}"
    );
}

#[tokio::test]
async fn browser_admin_one_click_unable_to_link_then_the_simulator_fails_to_link() {
    let app = spawn_app().await;
    with_browser(true, async |b| {
        unable_to_link_story(&app, b).await;
        b.screenshot("alexa-unable-to-link").await;

        // The inspector says why, in one look: the failed exchange, its answer.
        b.goto(&format!("{}/admin/inspector", app.url)).await;
        let story = b.text("main").await;
        assert!(story.contains("FAILED"), "{story}");
        assert!(story.contains("invalid_grant"), "{story}");
        b.assert_accessible("inspector").await;
        b.screenshot("admin-inspector").await;
        b.assert_focus_order("inspector").await;
    })
    .await;
}

#[tokio::test]
async fn browser_admin_pages_work_without_javascript() {
    let app = spawn_app().await;
    with_browser(false, async |b| {
        b.goto(&format!("{}/admin", app.url)).await;
        let copy = b.find("button[data-copy]").await;
        assert!(!copy.is_displayed().await.unwrap(), "no dead copy buttons");
        assert!(!b
            .find("input#console-authorization-uri")
            .await
            .prop("value")
            .await
            .unwrap()
            .unwrap_or_default()
            .is_empty());

        unable_to_link_story(&app, b).await;

        // The clock: advance one hour, the banner shows everywhere; reset.
        b.goto(&format!("{}/admin/clock", app.url)).await;
        b.submit("#clock-advance button[type=submit]").await;
        b.goto(&format!("{}/admin/users", app.url)).await;
        assert!(b.find("#clock-banner").await.is_displayed().await.unwrap());
        b.submit("#clock-banner-reset button").await;
        assert!(b.find_all("#clock-banner").await.is_empty());

        // Keys: one click rotates.
        b.goto(&format!("{}/admin/keys", app.url)).await;
        let before = b.find_all("table#keys tbody tr").await.len();
        b.submit("#rotate-key button[type=submit]").await;
        assert_eq!(b.find_all("table#keys tbody tr").await.len(), before + 1);
    })
    .await;
}
