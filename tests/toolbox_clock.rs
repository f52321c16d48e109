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
