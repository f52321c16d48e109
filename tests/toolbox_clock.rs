//! The virtual clock and minted tokens: expiry in seconds instead of an hour,
//! shared by every instance, and the simulator refreshing as Alexa would.

use crate::alexa_support::*;
use crate::api_support::call;
use crate::helpers::*;
use crate::toolbox_support::*;
use serde_json::{json, Value};
use std::time::Duration;

#[tokio::test]
async fn the_clock_advances_shows_its_offset_and_resets() {
    let app = spawn_app().await;
    let (status, c) = admin(&app, "GET", "/clock", None).await;
    assert_eq!(status, 200);
    assert_eq!(
        (c["offset_seconds"].clone(), c["shifted"].clone()),
        (json!(0), json!(false))
    );
    let before = app.clock.now();
    let (_, c) = admin(
        &app,
        "POST",
        "/clock/advance",
        Some(json!({"seconds": 1000})),
    )
    .await;
    assert_eq!(c["offset_seconds"], 1000);
    admin(
        &app,
        "POST",
        "/clock/advance",
        Some(json!({"seconds": 500})),
    )
    .await;
    let (_, c) = admin(&app, "GET", "/clock", None).await;
    assert_eq!(
        (c["offset_seconds"].clone(), c["shifted"].clone()),
        (json!(1500), json!(true))
    );
    assert!(c["now"].as_i64().unwrap() >= before + 1500);
    assert!(app.clock.now() >= before + 1500);
    let (status, c) = admin(&app, "POST", "/clock/reset", None).await;
    assert_eq!((status, c["offset_seconds"].clone()), (200, json!(0)));
    assert!(app.clock.now() < before + 1500);
}

#[tokio::test]
async fn every_instance_on_the_database_agrees_on_the_virtual_clock() {
    let a = spawn_app().await;
    let b = spawn_on(a.db.clone(), |_| {}).await;
    admin(&a, "POST", "/clock/advance", Some(json!({"seconds": 7200}))).await;
    let agreed = eventually(Duration::from_secs(5), async || {
        admin(&b, "GET", "/clock", None).await.1["offset_seconds"] == 7200
    })
    .await;
    assert!(agreed, "the second instance never saw the shift");
    // And a restarted instance starts shifted.
    let c = spawn_on(a.db.clone(), |_| {}).await;
    assert_eq!(
        admin(&c, "GET", "/clock", None).await.1["offset_seconds"],
        7200
    );
}

#[tokio::test]
async fn a_minted_token_is_a_real_token_pair() {
    let app = spawn_app().await;
    let (status, t) = admin(
        &app,
        "POST",
        "/tokens",
        Some(json!({"user": "demo", "client_id": DEMO_CLIENT, "scope": "user-read-private user-read-email", "expires_in": 90})),
    )
    .await;
    assert_eq!(status, 200, "{t}");
    assert_eq!(t["expires_in"], 90);
    let scope = t["scope"].as_str().unwrap();
    assert!(
        scope.contains("user-read-private")
            && scope.contains("user-read-email")
            && !scope.contains("playback"),
        "{scope}"
    );
    let access = t["access_token"].as_str().unwrap();
    let me: Value = call(&app, "GET", "/v1/me", Some(access), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["id"], "demo");
    let info = app.introspect(access).await;
    assert_eq!(
        (info["active"].clone(), info["client_id"].clone()),
        (json!(true), json!(DEMO_CLIENT))
    );
    assert!(info["exp"].as_i64().unwrap() <= app.clock.now() + 90);
    let (status, body) = app.refresh_demo(t["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, 200, "{body}");
    // Listed among the user's linked apps, so it can be unlinked like any other.
    let grants = app
        .state
        .store
        .linked_apps(&mocklink::domain::Username::parse("demo").unwrap())
        .await
        .unwrap();
    assert!(grants
        .iter()
        .any(|g| g.grant_id == t["grant_id"].as_str().unwrap()));
}

#[tokio::test]
async fn past_the_token_lifetime_the_api_says_expired_and_the_simulator_refreshes() {
    let app = spawn_app().await;
    let id = new_user(&app).await;
    link(&app, &id).await;
    let before = stored_link(&app, &id).await.unwrap();
    let old = before.access_token.clone();
    assert_eq!(
        call(&app, "GET", "/v1/me", Some(&old), None).await.status(),
        200
    );

    let (status, _) = admin(
        &app,
        "POST",
        "/clock/advance",
        Some(json!({"seconds": 3700})),
    )
    .await;
    assert_eq!(status, 200);
    let res = call(&app, "GET", "/v1/me", Some(&old), None).await;
    assert_eq!(res.status(), 401);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["message"], "The access token expired");

    let r = talk(&app, &id, json!({"intent": "AMAZON.HelpIntent"})).await;
    assert_eq!(r["linked"], json!(true), "{r}");
    let after = stored_link(&app, &id).await.unwrap();
    assert_ne!(after.access_token, old, "the simulator refreshed");
    assert!(after.expires_at > app.clock.now() + 3000);
    assert_eq!(
        call(&app, "GET", "/v1/me", Some(&after.access_token), None)
            .await
            .status(),
        200
    );
}

/// A second confidential client beside the demo one.
fn with_other_client(s: &mut mocklink::config::Settings) {
    s.clients.push(mocklink::config::ClientSeed {
        id: "other-app".into(),
        name: Some("Other app".into()),
        secret: Some("other-secret".into()),
        redirect_uris: vec!["http://127.0.0.1:8888/callback".into()],
        scopes: None,
        refresh_policy: Default::default(),
        refresh_grace_seconds: 0,
        access_token_ttl_seconds: 3600,
        refresh_token_ttl_seconds: 180 * 24 * 3600,
        extended_quota: false,
    });
}

#[tokio::test]
async fn advancing_one_clients_clock_expires_its_tokens_only_and_the_simulator_refreshes() {
    let app = spawn_app_with(with_other_client).await;
    let id = new_user(&app).await;
    link(&app, &id).await;
    let before = stored_link(&app, &id).await.unwrap();
    let (_, other) = admin(
        &app,
        "POST",
        "/tokens",
        Some(json!({"user": "demo", "client_id": "other-app"})),
    )
    .await;
    let other = other["access_token"].as_str().unwrap().to_owned();

    let (status, c) = admin(
        &app,
        "POST",
        "/clock/advance",
        Some(json!({"seconds": 3700, "client_id": DEMO_CLIENT})),
    )
    .await;
    assert_eq!(status, 200, "{c}");
    assert_eq!(c["offset_seconds"], 0, "the global clock did not move");
    assert_eq!(c["shifted"], true);
    assert_eq!(c["clients"][0]["client_id"], DEMO_CLIENT);
    assert_eq!(c["clients"][0]["offset_seconds"], 3700);

    // A's token expired at the api and at introspection; B's is still good.
    let res = call(&app, "GET", "/v1/me", Some(&before.access_token), None).await;
    assert_eq!(res.status(), 401);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["message"], "The access token expired");
    assert_eq!(app.introspect(&before.access_token).await["active"], false);
    assert_eq!(
        call(&app, "GET", "/v1/me", Some(&other), None)
            .await
            .status(),
        200
    );

    // The simulator (Alexa, linked as A) refreshes on the next request, and
    // the new token is issued and judged in A's time.
    let r = talk(&app, &id, json!({"intent": "AMAZON.HelpIntent"})).await;
    assert_eq!(r["linked"], json!(true), "{r}");
    let after = stored_link(&app, &id).await.unwrap();
    assert_ne!(after.access_token, before.access_token, "refreshed");
    assert_eq!(
        call(&app, "GET", "/v1/me", Some(&after.access_token), None)
            .await
            .status(),
        200
    );
    let info = app.introspect(&after.access_token).await;
    assert!(
        info["iat"].as_i64().unwrap() >= app.clock.now() + 3690,
        "{info}"
    );

    // Another instance on the database sees A's clock too.
    let b = spawn_on(app.db.clone(), |_| {}).await;
    assert_eq!(
        admin(&b, "GET", "/clock", None).await.1["clients"][0]["offset_seconds"],
        3700
    );

    // Reset only A's clock; unknown clients are a clear 404.
    let (status, c) = admin(
        &app,
        "POST",
        "/clock/reset",
        Some(json!({"client_id": DEMO_CLIENT})),
    )
    .await;
    assert_eq!((status, c["clients"].clone()), (200, json!([])));
    let (status, body) = admin(
        &app,
        "POST",
        "/clock/advance",
        Some(json!({"seconds": 60, "client_id": "ghost"})),
    )
    .await;
    admin_error(status, &body, 404, "not_found");
    let (status, body) = admin(
        &app,
        "POST",
        "/clock/reset",
        Some(json!({"client": "typo"})),
    )
    .await;
    admin_error(status, &body, 400, "invalid_request");
    let agreed = eventually(Duration::from_secs(5), async || {
        admin(&b, "GET", "/clock", None).await.1["clients"] == json!([])
    })
    .await;
    assert!(agreed, "the second instance saw the reset");
}

#[tokio::test]
async fn a_clients_clock_expires_its_codes_and_its_refresh_tokens() {
    let app = spawn_app_with(with_other_client).await;
    let code = app.demo_code("user-read-private").await;
    let (_, refresh) = app.demo_tokens("user-read-private").await;
    // Past the code lifetime (600 s) for the demo client only.
    admin(
        &app,
        "POST",
        "/clock/advance",
        Some(json!({"seconds": 700, "client_id": DEMO_CLIENT})),
    )
    .await;
    let (status, body) = app.exchange_demo_code(&code).await;
    assert_eq!(
        (status, body["error"].clone()),
        (400, json!("invalid_grant"))
    );
    assert_eq!(body["error_description"], "Authorization code expired");
    // Past the refresh-token lifetime (180 days).
    admin(
        &app,
        "POST",
        "/clock/advance",
        Some(json!({"seconds": 180 * 24 * 3600, "client_id": DEMO_CLIENT})),
    )
    .await;
    let (status, body) = app.refresh_demo(&refresh).await;
    assert_eq!(
        (status, body["error_description"].clone()),
        (400, json!("Refresh token expired"))
    );
    // The other client's grant is in real time still.
    let (_, other) = admin(
        &app,
        "POST",
        "/tokens",
        Some(json!({"user": "demo", "client_id": "other-app"})),
    )
    .await;
    let res = app
        .http
        .post(format!("{}/api/token", app.url))
        .basic_auth("other-app", Some("other-secret"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", other["refresh_token"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}
