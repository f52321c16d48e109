//! ../shared/spec/security.md section F (items 34–35): input hygiene. Bodies
//! over the cap, unreadable bodies and SQL-shaped values get the ordinary,
//! clear answers, never a 5xx or a stack trace.

use crate::api_support::*;
use crate::helpers::*;

fn err(json: &serde_json::Value) -> &str {
    json["error"].as_str().unwrap_or("<no error field>")
}

#[tokio::test]
async fn item34_token_endpoint_malformed_oversized_and_missing_parameters_are_400_json_never_500() {
    let app = spawn_app().await;
    let basic = Some((DEMO_CLIENT, DEMO_SECRET));
    let cases: Vec<(String, &str, u16, &str)> = vec![
        (
            "".into(),
            "application/x-www-form-urlencoded",
            400,
            "invalid_request",
        ),
        (
            "grant_type=authorization_code".into(),
            "application/x-www-form-urlencoded",
            400,
            "invalid_request",
        ),
        (
            "grant_type=refresh_token".into(),
            "application/x-www-form-urlencoded",
            400,
            "invalid_request",
        ),
        (
            "grant_type=client_credentials&grant_type=client_credentials".into(),
            "application/x-www-form-urlencoded",
            400,
            "invalid_request",
        ),
        (
            "{\"grant_type\":\"client_credentials\"}".into(),
            "application/json",
            400,
            "invalid_request",
        ),
        (
            "grant_type=authorization_code&code=%ZZ".into(),
            "application/x-www-form-urlencoded",
            400,
            "invalid_grant",
        ),
        // A NUL in any parameter is malformed (PostgreSQL cannot even compare it).
        (
            "grant_type=authorization_code&code=%ZZ%00".into(),
            "application/x-www-form-urlencoded",
            400,
            "invalid_request",
        ),
        (
            "grant_type=authorization_code&code=abc&redirect_uri=https%3A%2F%2Fx%00y".into(),
            "application/x-www-form-urlencoded",
            400,
            "invalid_request",
        ),
        (
            format!("grant_type=client_credentials&pad={}", "x".repeat(70_000)),
            "application/x-www-form-urlencoded",
            413,
            "invalid_request",
        ),
    ];
    for (body, ctype, status, code) in cases {
        let mut req = app
            .http
            .post(format!("{}/api/token", app.url))
            .header("Content-Type", ctype)
            .body(body.clone());
        if let Some((id, s)) = basic {
            req = req.basic_auth(id, Some(s));
        }
        let res = req.send().await.unwrap();
        assert_eq!(
            res.status().as_u16(),
            status,
            "body {}",
            &body[..body.len().min(60)]
        );
        assert_eq!(res.headers()["cache-control"], "no-store");
        let json: serde_json::Value = res.json().await.expect("JSON error body");
        assert_eq!(err(&json), code, "body {}", &body[..body.len().min(60)]);
    }
    let raw = app
        .http
        .post(format!("{}/api/token", app.url))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(vec![b'a', b'=', 0xff, 0xfe])
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 400);
    let get = app
        .http
        .get(format!("{}/api/token", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), 405);
}

#[tokio::test]
async fn item34_page_forms_over_the_cap_or_unreadable_get_a_readable_page() {
    let app = spawn_app().await;
    let page = app.login_page().await;
    let csrf = form_value(&page, "csrf_token").unwrap();
    let big = format!(
        "csrf_token={csrf}&username=demo&password={}",
        "x".repeat(70_000)
    );
    for (what, ctype, body, status) in [
        (
            "too large",
            "application/x-www-form-urlencoded",
            big.into_bytes(),
            413,
        ),
        // The page form reader decodes invalid UTF-8 lossily, so this is the
        // form's next check failing (its CSRF token), not a 400: still a page.
        (
            "not UTF-8",
            "application/x-www-form-urlencoded",
            b"csrf_token=\xff\xfe&username=demo".to_vec(),
            403,
        ),
        (
            "JSON",
            "application/json",
            b"{\"username\":\"demo\"}".to_vec(),
            400,
        ),
        ("no content type", "", b"username=demo".to_vec(), 400),
    ] {
        let mut req = app.browser.post(format!("{}/login", app.url)).body(body);
        if !ctype.is_empty() {
            req = req.header("Content-Type", ctype);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), status, "{what}");
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{what}"
        );
        let text = res.text().await.unwrap();
        assert!(text.contains("<h1>"), "a readable page: {what}");
        assert!(!text.contains("panicked"), "{what}");
    }
}

#[tokio::test]
async fn item34_api_bodies_over_the_cap_are_413_in_spotifys_shape() {
    let app = spawn_app().await;
    let token = user_token(&app, ALL_SCOPES).await;
    let huge = format!("{{\"name\":\"{}\"}}", "x".repeat(100 * 1024));
    let res = app
        .http
        .post(format!("{}/v1/me/playlists", app.url))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    expect_error(res, 413).await;
}

#[tokio::test]
async fn item35_sql_in_any_input_is_only_data() {
    let app = spawn_app().await;
    let redirect: String = form_urlencoded::byte_serialize(ALEXA_REDIRECT.as_bytes()).collect();
    // Client ids that would pick the demo client if spliced into SQL.
    for id in ["' OR '1'='1", "alexa-skill'--", "x'OR'1'='1"] {
        let q: String = form_urlencoded::byte_serialize(id.as_bytes()).collect();
        let res = app
            .get(&format!(
                "/authorize?response_type=code&client_id={q}&redirect_uri={redirect}"
            ))
            .await;
        assert_eq!(res.status(), 400, "{id}");
        assert!(res.headers().get("location").is_none(), "{id}");
        let body = res.text().await.unwrap();
        assert!(body.contains("not registered"), "{id}: {body}");
        let res = app
            .token_request("grant_type=client_credentials", Some((id, DEMO_SECRET)))
            .await;
        assert_eq!(res.status(), 401, "{id}");
        let json: serde_json::Value = res.json().await.unwrap();
        assert_eq!(json["error"], "invalid_client", "{id}");
    }
    // User names: a normal failed login, even with the right password.
    for user in ["admin'--", "demo'--", "' OR '1'='1"] {
        let page = app.login_page().await;
        let res = app.submit_login(&page, user, "demo").await;
        assert_eq!(res.status(), 200, "{user}");
        assert!(res
            .text()
            .await
            .unwrap()
            .contains("Incorrect user name or password."));
    }
    // Codes, refresh tokens and tokens to introspect are just unknown.
    for (body, code) in [
        (
            format!("grant_type=authorization_code&code=%27%20OR%20%271%27%3D%271&redirect_uri={redirect}"),
            "invalid_grant",
        ),
        (
            "grant_type=refresh_token&refresh_token=%27%20OR%20%271%27%3D%271".to_owned(),
            "invalid_grant",
        ),
    ] {
        let res = app
            .token_request(&body, Some((DEMO_CLIENT, DEMO_SECRET)))
            .await;
        assert_eq!(res.status(), 400);
        assert_eq!(res.json::<serde_json::Value>().await.unwrap()["error"], code);
    }
    assert_eq!(
        app.introspect("' OR '1'='1").await,
        serde_json::json!({"active": false})
    );
    // A grant id reaches a lookup unparsed: an injected one must not unlink
    // the user's real grant.
    let (access, _) = app.demo_tokens("user-read-private").await;
    let apps = app.get("/account/apps").await.text().await.unwrap();
    let csrf = form_value(&apps, "csrf_token").unwrap();
    for grant in ["' OR '1'='1", "x' OR user_id = 'demo"] {
        let res = app
            .post_form(
                "/account/apps/unlink",
                &[("csrf_token", &csrf), ("grant_id", grant)],
            )
            .await;
        assert_eq!(res.status(), 400, "{grant}");
        assert!(res.text().await.unwrap().contains("No such linked app."));
    }
    assert_eq!(app.introspect(&access).await["active"], true);
    // Search text is matched literally.
    let res = app
        .http
        .get(format!(
            "{}/v1/search?type=track&q=%27%20OR%20%271%27%3D%271",
            app.url
        ))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let json: serde_json::Value = res.json().await.unwrap();
    assert_eq!(json["tracks"]["total"], 0, "{json}");
}
