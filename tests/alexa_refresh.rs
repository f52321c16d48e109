//! Token lifetime as Alexa handles it: lazy refresh near expiry, unlink on a
//! failed refresh, "Disable skill", and tolerant token-response parsing.

use crate::alexa_support::*;
use crate::helpers::*;
use crate::skill_support::FakeApi;
use serde_json::json;

/// Equal up to the few real seconds a slow test machine may take.
fn assert_about(actual: i64, expected: i64) {
    assert!(
        (actual - expected).abs() <= 5,
        "{actual} is not about {expected}"
    );
}

async fn revoke(app: &TestApp, token: &str) {
    let res = app
        .http
        .post(format!("{}/api/revoke", app.url))
        .basic_auth(DEMO_CLIENT, Some(DEMO_SECRET))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn an_expired_token_is_refreshed_on_the_next_request() {
    let app = spawn_app().await;
    let id = new_user(&app).await;
    let flow = link(&app, &id).await;
    let before = stored_link(&app, &id).await.unwrap();

    // Still fresh: no refresh.
    app.clock.advance(3000);
    let r = talk(&app, &id, json!({"intent": "AMAZON.HelpIntent"})).await;
    assert_eq!(r["linked"], json!(true));
    assert_eq!(
        stored_link(&app, &id).await.unwrap().access_token,
        before.access_token
    );

    // Within the refresh margin of expiry: refreshed before the request goes out.
    app.clock.advance(590);
    let r = talk(&app, &id, json!({"intent": "AMAZON.StopIntent"})).await;
    assert_eq!(r["linked"], json!(true), "{r}");
    let after = stored_link(&app, &id).await.unwrap();
    assert_ne!(after.access_token, before.access_token);
    assert_ne!(
        after.refresh_token, before.refresh_token,
        "the demo client rotates"
    );
    assert_about(after.refreshed_at.unwrap(), app.clock.now());
    assert_about(after.expires_at, app.clock.now() + 3600);
    let sent = r["request"]["context"]["System"]["user"]["accessToken"]
        .as_str()
        .unwrap();
    assert!(after.access_token.starts_with(sent.trim_end_matches('…')));

    let log = flow_log(&app, &flow).await;
    let refresh: Vec<_> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["step"] == "refresh")
        .collect();
    assert!(
        refresh[0]["body"]
            .as_str()
            .unwrap()
            .contains("grant_type=refresh_token"),
        "{log}"
    );
    assert_eq!(refresh[1]["status"], 200);
    assert!(refresh[2]["body"]
        .as_str()
        .unwrap()
        .starts_with("refreshed"));
    assert!(!log.to_string().contains(&after.access_token));
}

#[tokio::test]
async fn a_failed_refresh_unlinks_and_the_next_request_has_no_token() {
    let app = spawn_app().await;
    let id = new_user(&app).await;
    let flow = link(&app, &id).await;
    let stored = stored_link(&app, &id).await.unwrap();
    // The user's link is revoked at the provider (refresh token and grant).
    revoke(&app, stored.refresh_token.as_deref().unwrap()).await;
    app.clock.advance(3600);
    let r = talk(&app, &id, json!({"utterance": "open mock music"})).await;
    assert_eq!(r["request_type"], "LaunchRequest");
    assert_eq!(r["linked"], json!(false), "{r}");
    assert!(r["request"]["context"]["System"]["user"]
        .get("accessToken")
        .is_none());
    assert_eq!(r["card"], json!({"type": "LinkAccount"}));
    assert_eq!(user_status(&app, &id).await["linked"], json!(false));
    let log = flow_log(&app, &flow).await;
    assert!(
        log.to_string().contains("refresh failed: invalid_grant"),
        "{log}"
    );
}

#[tokio::test]
async fn disable_skill_unlinks() {
    let app = spawn_app().await;
    let id = new_user(&app).await;
    link(&app, &id).await;
    let (status, r) = api_post(&app, &format!("/alexa/api/users/{id}/disable"), json!({})).await;
    assert_eq!((status, r), (200, json!({"unlinked": true})));
    assert_eq!(user_status(&app, &id).await["linked"], json!(false));
    let r = talk(&app, &id, json!({"launch": true})).await;
    assert_eq!(r["linked"], json!(false));
    assert_eq!(r["card"], json!({"type": "LinkAccount"}));
    let (_, r) = api_post(&app, &format!("/alexa/api/users/{id}/disable"), json!({})).await;
    assert_eq!(r, json!({"unlinked": false}));
}

#[tokio::test]
async fn expires_in_as_a_string_is_accepted_and_a_missing_refresh_token_keeps_the_old_one() {
    // A token endpoint that answers like LWA: expires_in as a string, and a
    // refresh response without a new refresh token.
    let token_endpoint = FakeApi::start_seq(vec![
        (200, json!({"access_token": "Atza|first", "token_type": "bearer", "expires_in": "600", "refresh_token": "Atzr|one"})),
        (200, json!({"access_token": "Atza|second", "token_type": "Bearer", "expires_in": 600})),
        (200, json!({"access_token": "Atza|third", "token_type": "Bearer", "refresh_token": "Atzr|two"})),
    ])
    .await;
    let token_url = format!("{}/token", token_endpoint.url);
    let app = spawn_app_with(|s| s.simulator.token_url = Some(token_url)).await;
    let id = new_user(&app).await;
    link(&app, &id).await;
    let l = stored_link(&app, &id).await.unwrap();
    assert_eq!(l.access_token, "Atza|first");
    assert_about(l.expires_at, app.clock.now() + 600);

    app.clock.advance(600);
    talk(&app, &id, json!({"intent": "AMAZON.HelpIntent"})).await;
    let l = stored_link(&app, &id).await.unwrap();
    assert_eq!(l.access_token, "Atza|second");
    assert_eq!(
        l.refresh_token.as_deref(),
        Some("Atzr|one"),
        "the old refresh token is kept"
    );

    app.clock.advance(600);
    talk(&app, &id, json!({"intent": "AMAZON.HelpIntent"})).await;
    let seen = token_endpoint.requests();
    assert!(
        seen[2].body.contains("refresh_token=Atzr%7Cone"),
        "{:?}",
        seen[2].body
    );
    let l = stored_link(&app, &id).await.unwrap();
    assert_eq!(l.access_token, "Atza|third");
    assert_eq!(l.refresh_token.as_deref(), Some("Atzr|two"));
    // No expires_in: the default token expiration applies.
    assert_about(l.expires_at, app.clock.now() + 3600);
}

#[tokio::test]
async fn a_provider_outage_during_refresh_keeps_the_link_and_retries_after_a_backoff() {
    let app = spawn_app().await;
    let id = new_user(&app).await;
    let flow = link(&app, &id).await;
    // The provider's token endpoint is down for exactly one request.
    crate::toolbox_support::set_scenario(
        &app,
        json!({"kind": "token_error", "client_id": "alexa-skill", "error": "temporarily_unavailable", "count": 1}),
    )
    .await;
    app.clock.advance(3600);
    let r = talk(&app, &id, json!({"launch": true})).await;
    // Assumption (alexa_stale_token = send, the default): the expired token goes out.
    assert_eq!(r["linked"], json!(true), "{r}");
    let u = user_status(&app, &id).await;
    assert_eq!(u["linked"], json!(true), "an outage is not a refusal");
    assert_eq!(u["refresh_failures"], json!(1));
    assert_about(u["next_refresh_in"].as_i64().unwrap(), 60);
    // Within the backoff: no new refresh, whatever the number of requests.
    talk(&app, &id, json!({"launch": true})).await;
    talk(&app, &id, json!({"launch": true})).await;
    let refreshes = |log: &serde_json::Value| {
        log.as_array()
            .unwrap()
            .iter()
            .filter(|e| e["step"] == "refresh" && e["direction"] == "request")
            .count()
    };
    assert_eq!(refreshes(&flow_log(&app, &flow).await), 1, "backed off");
    // After the backoff the refresh goes through and the user is greeted.
    app.clock.advance(61);
    let r = talk(&app, &id, json!({"launch": true})).await;
    assert_eq!(r["linked"], json!(true), "{r}");
    assert!(r["speech"].as_str().unwrap().contains("Demo User"), "{r}");
    assert_eq!(refreshes(&flow_log(&app, &flow).await), 2);
    let u = user_status(&app, &id).await;
    assert_eq!(u["refresh_failures"], json!(0));
    assert_eq!(u["next_refresh_in"], json!(null));
}
