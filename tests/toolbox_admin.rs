//! Who may use the admin API, and how it answers mistakes.

use crate::helpers::*;
use crate::toolbox_support::*;
use serde_json::json;

#[tokio::test]
async fn without_a_password_loopback_callers_are_admitted() {
    let app = spawn_app().await;
    let (status, body) = admin(&app, "GET", "/scenarios", None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"scenarios": []}));
}

#[tokio::test]
async fn a_forwarded_request_is_never_taken_for_a_loopback_one() {
    // Trusted or not, a forwarding header says a proxy or tunnel is in
    // between: without a password, refused (issue 17: this was admitted
    // while the header was not trusted).
    let app = spawn_app().await;
    let res = app
        .http
        .get(format!("{}/admin/api/clock", app.url))
        .header("X-Forwarded-For", "203.0.113.9")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    // Trusted (behind a proxy): a remote client behind a local proxy is refused.
    let app = spawn_app_with(|s| s.trust_forwarded_headers = true).await;
    let res = app
        .http
        .get(format!("{}/admin/api/clock", app.url))
        .header("X-Forwarded-For", "203.0.113.9")
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let body = res.json().await.unwrap();
    let why = admin_error(status, &body, 403, "forbidden");
    assert!(why.contains("loopback"), "{why}");
    // Even a proxy saying its client is on loopback: the proxy itself may
    // forward anyone's request (issue 17: this was admitted).
    let res = app
        .http
        .get(format!("{}/admin/api/clock", app.url))
        .header("X-Forwarded-For", "127.0.0.1")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    // Without any, a script on this machine is admitted.
    let res = app
        .http
        .get(format!("{}/admin/api/clock", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn with_a_password_it_is_required_as_basic_or_bearer() {
    let app = spawn_app_with(|s| {
        s.toolbox.admin_password = Some(mocklink::domain::Secret::new("s3cret-admin"))
    })
    .await;
    let url = format!("{}/admin/api/scenarios", app.url);

    let res = app.http.get(&url).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Basic"));
    let body = res.json().await.unwrap();
    admin_error(401, &body, 401, "unauthorized");

    let res = app
        .http
        .get(&url)
        .bearer_auth("wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let res = app
        .http
        .get(&url)
        .basic_auth("root", Some("s3cret-admin"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401, "the Basic user name must be admin");

    let res = app
        .http
        .get(&url)
        .bearer_auth("s3cret-admin")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = app
        .http
        .get(&url)
        .basic_auth("admin", Some("s3cret-admin"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn mistakes_get_clear_json_errors() {
    let app = spawn_app().await;
    let (s, b) = admin(&app, "GET", "/nowhere", None).await;
    admin_error(s, &b, 404, "not_found");

    let res = app
        .http
        .post(format!("{}/admin/api/scenarios", app.url))
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let body = res.json().await.unwrap();
    assert!(admin_error(status, &body, 400, "invalid_request").contains("invalid JSON"));

    let cases = [
        (json!({"kind": "bogus", "count": 1}), 400, "unknown variant"),
        (json!({"kind": "login_fail"}), 400, "count"),
        (json!({"kind": "login_fail", "count": 0}), 400, "count"),
        (json!({"kind": "token_error", "count": 1}), 400, "error"),
        (
            json!({"kind": "token_error", "error": "invalid_scope", "count": 1}),
            400,
            "one of",
        ),
        (
            json!({"kind": "token_error", "error": "invalid_grant", "user": "demo", "count": 1}),
            400,
            "per client",
        ),
        (json!({"kind": "token_delay", "count": 1}), 400, "delay_ms"),
        (
            json!({"kind": "login_fail", "count": 1, "delay_ms": 5}),
            400,
            "does not apply",
        ),
        (
            json!({"kind": "api_error", "status": 200, "count": 1}),
            400,
            "status",
        ),
        (
            json!({"kind": "api_error", "status": 500, "path": "/admin", "count": 1}),
            400,
            "path",
        ),
        (
            json!({"kind": "login_fail", "count": 1, "surprise": true}),
            400,
            "unknown field",
        ),
        (
            json!({"kind": "login_fail", "count": 1, "client_id": "nobody"}),
            404,
            "no client",
        ),
        (
            json!({"kind": "login_fail", "count": 1, "user": "nobody"}),
            404,
            "no user",
        ),
    ];
    for (spec, expected, words) in cases {
        let (s, b) = admin(&app, "POST", "/scenarios", Some(spec.clone())).await;
        assert_eq!(s, expected, "{spec} -> {b}");
        let why = b["error_description"].as_str().unwrap_or_default();
        assert!(why.contains(words), "{spec} -> {b}");
    }

    let (s, b) = admin(&app, "DELETE", "/scenarios/none-such", None).await;
    admin_error(s, &b, 404, "not_found");
    let (s, b) = admin(&app, "POST", "/clock/advance", Some(json!({"seconds": -5}))).await;
    admin_error(s, &b, 400, "invalid_request");
    let (s, b) = admin(&app, "POST", "/clock/advance", Some(json!({"secs": 5}))).await;
    admin_error(s, &b, 400, "invalid_request");
    let (s, b) = admin(&app, "POST", "/users/nobody/revoke", None).await;
    admin_error(s, &b, 404, "not_found");
    let (s, b) = admin(&app, "POST", "/tokens", Some(json!({"user": "demo"}))).await;
    admin_error(s, &b, 400, "invalid_request");
    let (s, b) = admin(
        &app,
        "POST",
        "/tokens",
        Some(json!({"user": "demo", "client_id": DEMO_CLIENT, "scope": "no-such-scope"})),
    )
    .await;
    admin_error(s, &b, 400, "invalid_request");
}
