//! `/authorize`, the login and consent pages, and the linked-apps page.

use crate::helpers::*;

#[tokio::test]
async fn an_unknown_client_gets_an_error_page_and_never_a_redirect() {
    let app = spawn_app().await;
    for q in [
        "client_id=nope&response_type=code",
        "response_type=code",
        "client_id=%27%20OR%20%271%27%3D%271",
    ] {
        let res = app
            .get(&format!(
                "/authorize?{q}&redirect_uri=https%3A%2F%2Fevil.example%2Fcb"
            ))
            .await;
        assert_eq!(res.status(), 400, "{q}");
        assert!(res.headers().get("location").is_none());
        assert!(res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
        assert!(res.text().await.unwrap().contains("INVALID_CLIENT"));
    }
}

#[tokio::test]
async fn a_redirect_uri_that_is_not_registered_exactly_gets_an_error_page() {
    let app = spawn_app().await;
    for bad in [
        format!("{ALEXA_REDIRECT}/x"),
        format!("{ALEXA_REDIRECT}/"),
        format!("{ALEXA_REDIRECT}?a=1"),
        ALEXA_REDIRECT.replace("amazon.com", "amazon.com:8443"),
        "https://good@evil.example/cb".to_owned(),
    ] {
        let q = form_urlencoded::Serializer::new(String::new())
            .append_pair("client_id", DEMO_CLIENT)
            .append_pair("response_type", "code")
            .append_pair("redirect_uri", &bad)
            .finish();
        let res = app.get(&format!("/authorize?{q}")).await;
        assert_eq!(res.status(), 400, "{bad}");
        assert!(res.headers().get("location").is_none(), "{bad}");
    }
}

async fn redirect_error(app: &TestApp, extra: &[(&str, &str)], scope: &str) -> url::Url {
    let res = app
        .browser
        .get(app.demo_authorize_url(scope, extra))
        .send()
        .await
        .unwrap();
    assert!(
        res.status().is_redirection(),
        "expected an error redirect, got {}",
        res.status()
    );
    url::Url::parse(&location(&res)).unwrap()
}

#[tokio::test]
async fn once_client_and_redirect_are_valid_errors_go_back_to_the_client() {
    let app = spawn_app().await;
    let back = redirect_error(&app, &[], "no-such-scope").await;
    assert!(back.as_str().starts_with(ALEXA_REDIRECT));
    assert_eq!(
        query_param(&back, "error").as_deref(),
        Some("invalid_scope")
    );
    assert_eq!(query_param(&back, "state").as_deref(), Some("st"));
    assert_eq!(query_param(&back, "iss").as_deref(), Some(app.url.as_str()));

    let q = format!(
        "client_id={DEMO_CLIENT}&redirect_uri={}&response_type=token&state=s",
        urlencode(ALEXA_REDIRECT)
    );
    let back = url::Url::parse(&location(&app.get(&format!("/authorize?{q}")).await)).unwrap();
    assert_eq!(
        query_param(&back, "error").as_deref(),
        Some("unsupported_response_type")
    );

    let q = format!(
        "client_id={DEMO_CLIENT}&redirect_uri={}",
        urlencode(ALEXA_REDIRECT)
    );
    let back = url::Url::parse(&location(&app.get(&format!("/authorize?{q}")).await)).unwrap();
    assert_eq!(
        query_param(&back, "error").as_deref(),
        Some("invalid_request")
    );
    assert_eq!(
        query_param(&back, "state"),
        None,
        "no state sent, none echoed"
    );

    for pkce in [
        vec![
            (
                "code_challenge",
                "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            ),
            ("code_challenge_method", "plain"),
        ],
        vec![(
            "code_challenge",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        )],
        vec![
            ("code_challenge", "short"),
            ("code_challenge_method", "S256"),
        ],
    ] {
        let back = redirect_error(&app, &pkce, "").await;
        assert_eq!(
            query_param(&back, "error").as_deref(),
            Some("invalid_request"),
            "{pkce:?}"
        );
    }
}

#[tokio::test]
async fn state_is_echoed_exactly() {
    let app = spawn_app().await;
    let url = format!(
        "{}/authorize?response_type=code&client_id={DEMO_CLIENT}&redirect_uri={}&state=a%2Bb%20c%26d",
        app.url,
        urlencode(ALEXA_REDIRECT)
    );
    let back = app.browse_and_agree(&url).await;
    assert_eq!(query_param(&back, "state").as_deref(), Some("a+b c&d"));
}

#[tokio::test]
async fn denying_at_consent_redirects_with_access_denied() {
    let app = spawn_app().await;
    let back = app
        .browse(
            &app.demo_authorize_url("user-read-private", &[]),
            "demo",
            "demo",
            "deny",
        )
        .await;
    assert_eq!(
        query_param(&back, "error").as_deref(),
        Some("access_denied")
    );
    assert_eq!(query_param(&back, "state").as_deref(), Some("st"));
    assert_eq!(query_param(&back, "code"), None);
}

#[tokio::test]
async fn the_login_page_shows_a_readable_error_for_a_wrong_password_and_no_code() {
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

#[tokio::test]
async fn login_and_consent_forms_need_the_session_csrf_token() {
    let app = spawn_app().await;
    let page = app.login_page().await;
    let return_to = form_value(&page, "return_to").unwrap();
    let res = app
        .post_form(
            "/login",
            &[
                ("csrf_token", "forged"),
                ("return_to", &return_to),
                ("username", "demo"),
                ("password", "demo"),
            ],
        )
        .await;
    assert_eq!(res.status(), 403);
    assert!(res.headers().get("location").is_none());
    // A fresh browser without the session cookie cannot use the page's token either.
    let stranger = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let csrf = form_value(&page, "csrf_token").unwrap();
    let res = stranger
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
    assert_eq!(res.status(), 403);

    let res = app.submit_login(&page, "demo", "demo").await;
    let consent = app.get(&location(&res)).await.text().await.unwrap();
    let request = form_value(&consent, "authorization_request").unwrap();
    let res = app
        .post_form(
            "/consent",
            &[
                ("csrf_token", "forged"),
                ("authorization_request", &request),
                ("decision", "allow"),
            ],
        )
        .await;
    assert_eq!(res.status(), 403);
    assert!(res.headers().get("location").is_none());
}

#[tokio::test]
async fn pages_are_hardened_and_escape_reflected_values() {
    let app = spawn_app().await;
    let url = format!(
        "{}/authorize?response_type=code&client_id={DEMO_CLIENT}&redirect_uri={}&state=%3Cscript%3Ex%3C%2Fscript%3E",
        app.url,
        urlencode(ALEXA_REDIRECT)
    );
    let res = app.browser.get(url).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["x-frame-options"], "DENY");
    assert!(res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("frame-ancestors 'none'"));
    assert_eq!(res.headers()["referrer-policy"], "no-referrer");
    assert_eq!(res.headers()["cache-control"], "no-store");
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"),
        "{cookie}"
    );
    let body = res.text().await.unwrap();
    assert!(!body.contains("<script>x"), "reflected values are escaped");
}

#[tokio::test]
async fn login_gives_a_new_session_id() {
    let app = spawn_app().await;
    let res = app
        .browser
        .get(app.demo_authorize_url("", &[]))
        .send()
        .await
        .unwrap();
    let before = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    let page = res.text().await.unwrap();
    let res = app.submit_login(&page, "demo", "demo").await;
    assert_eq!(res.status(), 303, "a form POST answers 303, never 307");
    let after = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert_ne!(before.split(';').next(), after.split(';').next());
}

#[tokio::test]
async fn linked_apps_lists_the_grant_and_unlinking_revokes_its_tokens() {
    let app = spawn_app().await;
    let (access, _) = app.demo_tokens("user-read-private").await;
    let page = app.get("/account/apps").await.text().await.unwrap();
    assert!(page.contains("Mock Music (Alexa skill)"), "{page}");
    let csrf = form_value(&page, "csrf_token").unwrap();
    let grant = form_value(&page, "grant_id").unwrap();
    let res = app
        .post_form(
            "/account/apps/unlink",
            &[("csrf_token", &csrf), ("grant_id", &grant)],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(app.introspect(&access).await["active"], false);
    let page = app.get("/account/apps").await.text().await.unwrap();
    assert!(page.contains("No apps are linked"));
    // Consent was forgotten too: the next authorization asks again.
    let res = app
        .browser
        .get(app.demo_authorize_url("user-read-private", &[]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
