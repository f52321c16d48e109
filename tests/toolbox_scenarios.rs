//! Scenarios: scripted faults at the token endpoint, the login and consent
//! steps, and the api; each visible, counted or expiring, and clearable.

use crate::api_support::call;
use crate::helpers::*;
use crate::toolbox_support::*;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// A real token pair for the demo user, minted through the admin API.
async fn minted(app: &TestApp) -> Value {
    let (status, body) = admin(
        app,
        "POST",
        "/tokens",
        Some(json!({"user": "demo", "client_id": DEMO_CLIENT, "scope": "user-read-private user-read-playback-state"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn refresh(app: &TestApp, refresh_token: &str) -> (u16, Value, reqwest::header::HeaderMap) {
    token_post(
        app,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ],
    )
    .await
}

async fn scenarios(app: &TestApp) -> Vec<Value> {
    let (status, body) = admin(app, "GET", "/scenarios", None).await;
    assert_eq!(status, 200);
    body["scenarios"].as_array().unwrap().clone()
}

#[tokio::test]
async fn the_next_n_token_requests_fail_with_the_chosen_error_then_all_is_well() {
    let app = spawn_app().await;
    let tokens = minted(&app).await;
    let rt = tokens["refresh_token"].as_str().unwrap();
    let set = set_scenario(
        &app,
        json!({"kind": "token_error", "client_id": DEMO_CLIENT, "error": "invalid_grant", "count": 2}),
    )
    .await;
    assert_eq!(set["remaining"], 2);
    assert_eq!(set["status"], 400);

    for left in [1, 0] {
        let (status, body, _) = refresh(&app, rt).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["error"], "invalid_grant");
        assert!(body["error_description"]
            .as_str()
            .unwrap()
            .contains("scripted"));
        let listed = scenarios(&app).await;
        if left == 0 {
            assert!(
                listed.is_empty(),
                "a used-up scenario is no longer listed: {listed:?}"
            );
        } else {
            assert_eq!(listed[0]["remaining"], left);
        }
    }
    // The refresh token was never touched: it still works.
    let (status, body, _) = refresh(&app, rt).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn concurrent_requests_never_take_more_failures_than_were_set() {
    let app = spawn_app().await;
    set_scenario(
        &app,
        json!({"kind": "token_error", "error": "server_error", "count": 3}),
    )
    .await;
    let requests =
        (0..10).map(|_| token_post(&app, &[("grant_type", "client_credentials"), ("scope", "")]));
    let results = futures_util::future::join_all(requests).await;
    let failed = results.iter().filter(|(s, _, _)| *s == 500).count();
    let ok = results.iter().filter(|(s, _, _)| *s == 200).count();
    assert_eq!(
        (failed, ok),
        (3, 7),
        "{:?}",
        results.iter().map(|r| r.0).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn a_status_alone_or_temporarily_unavailable_answer_as_real_outages_do() {
    let app = spawn_app().await;
    set_scenario(
        &app,
        json!({"kind": "token_error", "status": 502, "count": 1}),
    )
    .await;
    set_scenario(
        &app,
        json!({"kind": "token_error", "error": "temporarily_unavailable", "count": 1}),
    )
    .await;
    let cc = [("grant_type", "client_credentials"), ("scope", "")];
    let (status, body, _) = token_post(&app, &cc).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (502, Some("server_error"))
    );
    let (status, body, headers) = token_post(&app, &cc).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"], "temporarily_unavailable");
    assert_eq!(headers["retry-after"], "1");
    assert_eq!(token_post(&app, &cc).await.0, 200);
}

#[tokio::test]
async fn invalid_client_comes_with_a_basic_challenge() {
    let app = spawn_app().await;
    set_scenario(
        &app,
        json!({"kind": "token_error", "client_id": DEMO_CLIENT, "error": "invalid_client", "count": 1}),
    )
    .await;
    let (status, body, headers) =
        token_post(&app, &[("grant_type", "client_credentials"), ("scope", "")]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    assert!(headers["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Basic"));
}

#[tokio::test]
async fn a_delayed_token_response_takes_at_least_the_scripted_time() {
    let app = spawn_app().await;
    let tokens = minted(&app).await;
    set_scenario(
        &app,
        json!({"kind": "token_delay", "client_id": DEMO_CLIENT, "delay_ms": 400, "count": 1}),
    )
    .await;
    let started = Instant::now();
    let (status, body, _) = refresh(&app, tokens["refresh_token"].as_str().unwrap()).await;
    let took = started.elapsed();
    assert_eq!(status, 200, "{body}");
    assert!(
        took >= Duration::from_millis(400),
        "answered after {took:?}"
    );
    // Used up: the next answer does not wait (a generous deadline, not a sleep).
    let started = Instant::now();
    let (status, body, _) = refresh(&app, body["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, 200, "{body}");
    assert!(started.elapsed() < Duration::from_millis(400) * 5);
}

#[tokio::test]
async fn token_responses_can_carry_expires_in_as_text_or_not_at_all_and_no_refresh_token() {
    let app = spawn_app().await;
    let tokens = minted(&app).await;
    set_scenario(&app, json!({"kind": "expires_in_string", "count": 1})).await;
    set_scenario(
        &app,
        json!({"kind": "omit_refresh_token", "user": "demo", "count": 1}),
    )
    .await;
    let rt = tokens["refresh_token"].as_str().unwrap();
    let (status, body, _) = refresh(&app, rt).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["expires_in"], json!("3600"));
    assert!(body.get("refresh_token").is_none(), "{body}");

    // The demo client rotates: the old refresh token is retired, so log in anew.
    let tokens = minted(&app).await;
    set_scenario(
        &app,
        json!({"kind": "expires_in_omitted", "client_id": DEMO_CLIENT, "count": 1}),
    )
    .await;
    let (status, body, _) = refresh(&app, tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("expires_in").is_none(), "{body}");
    assert!(body["refresh_token"].is_string());
    let (_, body, _) = refresh(&app, body["refresh_token"].as_str().unwrap()).await;
    assert_eq!(body["expires_in"], json!(3600), "back to normal: {body}");
}

#[tokio::test]
async fn tokens_can_be_scripted_to_expire_in_seconds() {
    let app = spawn_app().await;
    let tokens = minted(&app).await;
    set_scenario(
        &app,
        json!({"kind": "token_lifetime", "seconds": 30, "count": 1}),
    )
    .await;
    let (status, body, _) = refresh(&app, tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["expires_in"], 30);
    let access = body["access_token"].as_str().unwrap();
    assert_eq!(
        call(&app, "GET", "/v1/me", Some(access), None)
            .await
            .status(),
        200
    );
    let (status, _) = admin(&app, "POST", "/clock/advance", Some(json!({"seconds": 60}))).await;
    assert_eq!(status, 200);
    let res = call(&app, "GET", "/v1/me", Some(access), None).await;
    assert_eq!(res.status(), 401);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["message"], "The access token expired");
}

#[tokio::test]
async fn the_api_answers_scripted_errors_for_chosen_paths_only() {
    let app = spawn_app().await;
    let tokens = minted(&app).await;
    let access = tokens["access_token"].as_str().unwrap();
    set_scenario(
        &app,
        json!({"kind": "api_error", "path": "/v1/me/player", "status": 429, "seconds": 7, "count": 1}),
    )
    .await;
    set_scenario(
        &app,
        json!({"kind": "api_error", "path": "/v1/me/player", "status": 503, "count": 1}),
    )
    .await;

    // Another path is untouched.
    assert_eq!(
        call(&app, "GET", "/v1/me", Some(access), None)
            .await
            .status(),
        200
    );
    let res = call(&app, "GET", "/v1/me/player/devices", Some(access), None).await;
    assert_eq!(res.status(), 429);
    assert_eq!(res.headers()["retry-after"], "7");
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body["error"],
        json!({"status": 429, "message": "API rate limit exceeded"})
    );
    let res = call(&app, "GET", "/v1/me/player", Some(access), None).await;
    assert_eq!(res.status(), 503);
    assert_eq!(res.headers()["retry-after"], "1");
    assert_eq!(
        call(&app, "GET", "/v1/me/player/devices", Some(access), None)
            .await
            .status(),
        200
    );

    set_scenario(
        &app,
        json!({"kind": "api_error", "status": 401, "user": "demo", "count": 1}),
    )
    .await;
    set_scenario(
        &app,
        json!({"kind": "api_error", "status": 500, "count": 1}),
    )
    .await;
    let res = call(&app, "GET", "/v1/me", Some(access), None).await;
    assert_eq!(res.status(), 401);
    assert!(res.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .contains("invalid_token"));
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["message"], "The access token expired");
    assert_eq!(
        call(&app, "GET", "/v1/me", Some(access), None)
            .await
            .status(),
        500
    );
    assert_eq!(
        call(&app, "GET", "/v1/me", Some(access), None)
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn consent_can_deny_automatically() {
    let app = spawn_app().await;
    set_scenario(
        &app,
        json!({"kind": "consent_deny", "client_id": DEMO_CLIENT, "user": "demo", "count": 1}),
    )
    .await;
    let back = app
        .browse_and_agree(&app.demo_authorize_url("user-read-private", &[]))
        .await;
    assert_eq!(
        query_param(&back, "error").as_deref(),
        Some("access_denied")
    );
    assert_eq!(query_param(&back, "state").as_deref(), Some("st"));
    // Used up: the same person now gets a code.
    let back = app
        .browse_and_agree(&app.demo_authorize_url("user-read-private", &[]))
        .await;
    assert!(query_param(&back, "code").is_some(), "{back}");
}

/// Consent remembered, then a scenario denies it for this user: the
/// authorize step answers access_denied and stores no grant (it would
/// otherwise store the code as it reads the session, issue 16).
#[tokio::test]
async fn a_consent_deny_scenario_overrides_a_remembered_consent() {
    let app = spawn_app().await;
    let url = app.demo_authorize_url("user-read-private", &[]);
    let back = app.browse_and_agree(&url).await;
    assert!(query_param(&back, "code").is_some(), "{back}");
    set_scenario(
        &app,
        json!({"kind": "consent_deny", "client_id": DEMO_CLIENT, "user": "demo", "count": 1}),
    )
    .await;
    let before = app.grant_count().await;
    let res = app.browser.get(&url).send().await.unwrap();
    assert!(res.status().is_redirection(), "{}", res.status());
    let back = url::Url::parse(&location(&res)).unwrap();
    assert_eq!(
        query_param(&back, "error").as_deref(),
        Some("access_denied")
    );
    assert_eq!(
        app.grant_count().await,
        before,
        "no grant stored for a denied request"
    );
    // Used up: the remembered consent answers with a code again.
    let res = app.browser.get(&url).send().await.unwrap();
    assert!(location(&res).contains("code="), "{}", location(&res));
    assert_eq!(app.grant_count().await, before + 1);
}

#[tokio::test]
async fn login_can_always_fail_until_the_scenario_is_cleared() {
    let app = spawn_app().await;
    let set = set_scenario(
        &app,
        json!({"kind": "login_fail", "user": "demo", "expires_in": 600}),
    )
    .await;
    let page = app
        .get(&app.demo_authorize_url("user-read-private", &[])[app.url.len()..])
        .await
        .text()
        .await
        .unwrap();
    for _ in 0..2 {
        let res = app.submit_login(&page, "demo", "demo").await;
        assert_eq!(res.status(), 200, "no redirect: the login failed");
        let text = res.text().await.unwrap();
        assert!(text.contains("Incorrect user name or password."), "{text}");
    }
    let (status, _) = admin(
        &app,
        "DELETE",
        &format!("/scenarios/{}", set["id"].as_str().unwrap()),
        None,
    )
    .await;
    assert_eq!(status, 204);
    assert!(scenarios(&app).await.is_empty());
    let res = app.submit_login(&page, "demo", "demo").await;
    assert_eq!(res.status(), 303);
}

#[tokio::test]
async fn a_scenario_with_an_expiry_ends_on_the_virtual_clock() {
    let app = spawn_app().await;
    set_scenario(
        &app,
        json!({"kind": "token_error", "error": "server_error", "expires_in": 120}),
    )
    .await;
    let cc = [("grant_type", "client_credentials"), ("scope", "")];
    assert_eq!(token_post(&app, &cc).await.0, 500);
    assert_eq!(
        token_post(&app, &cc).await.0,
        500,
        "no count: fails until it expires"
    );
    let listed = scenarios(&app).await;
    assert_eq!(listed.len(), 1);
    assert!(listed[0]["expires_at"].as_i64().unwrap() > app.clock.now());
    admin(
        &app,
        "POST",
        "/clock/advance",
        Some(json!({"seconds": 121})),
    )
    .await;
    assert!(scenarios(&app).await.is_empty());
    // Another instance's cache would see it within a second; this one at once
    // or after its short cache lifetime: poll with a deadline.
    let ok = eventually(Duration::from_secs(3), async || {
        token_post(&app, &cc).await.0 == 200
    })
    .await;
    assert!(ok, "the expired scenario still applies");
}

#[tokio::test]
async fn clearing_all_scenarios_restores_normal_service() {
    let app = spawn_app().await;
    set_scenario(
        &app,
        json!({"kind": "token_error", "error": "invalid_grant", "count": 5}),
    )
    .await;
    set_scenario(
        &app,
        json!({"id": "mine", "kind": "login_fail", "count": 5}),
    )
    .await;
    let (status, body) = admin(
        &app,
        "POST",
        "/scenarios",
        Some(json!({"id": "mine", "kind": "login_fail", "count": 1})),
    )
    .await;
    admin_error(status, &body, 400, "invalid_request");
    let (status, body) = admin(&app, "DELETE", "/scenarios", None).await;
    assert_eq!((status, body), (200, json!({"deleted": 2})));
    let cc = [("grant_type", "client_credentials"), ("scope", "")];
    assert_eq!(token_post(&app, &cc).await.0, 200);
}

#[tokio::test]
async fn revoking_all_tokens_of_a_user_ends_their_access_and_refresh_tokens_now() {
    let app = spawn_app().await;
    let a = minted(&app).await;
    let b = minted(&app).await;
    let access = a["access_token"].as_str().unwrap();
    assert_eq!(
        call(&app, "GET", "/v1/me", Some(access), None)
            .await
            .status(),
        200
    );
    let (status, body) = admin(&app, "POST", "/users/demo/revoke", None).await;
    assert_eq!(
        (status, body),
        (200, json!({"user": "demo", "revoked_grants": 2}))
    );
    let res = call(&app, "GET", "/v1/me", Some(access), None).await;
    assert_eq!(res.status(), 401);
    let (status, body, _) = refresh(&app, b["refresh_token"].as_str().unwrap()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}

#[tokio::test]
async fn scenarios_from_the_config_file_are_set_at_start_and_visible() {
    let app = spawn_app_with(|s| {
        s.toolbox.scenarios.push(
            serde_json::from_value(
                json!({"kind": "token_error", "error": "invalid_grant", "count": 1}),
            )
            .unwrap(),
        )
    })
    .await;
    let listed = scenarios(&app).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], "config-1");
    let cc = [("grant_type", "client_credentials"), ("scope", "")];
    assert_eq!(token_post(&app, &cc).await.0, 400);
    assert_eq!(token_post(&app, &cc).await.0, 200);
}

#[tokio::test]
async fn a_bad_config_scenario_stops_start_up_with_a_clear_message() {
    let db = std::sync::Arc::new(TestDb::create().await);
    let mut settings = mocklink::config::Settings {
        database_url: db.url.clone(),
        listen: "127.0.0.1:0".parse().unwrap(),
        ..Default::default()
    };
    settings
        .toolbox
        .scenarios
        .push(serde_json::from_value(json!({"kind": "token_delay", "count": 1})).unwrap());
    let err = mocklink::startup::prepare(settings, Default::default())
        .await
        .err()
        .expect("start-up fails");
    assert!(
        err.to_string()
            .contains("scenario 1: token_delay needs delay_ms"),
        "{err}"
    );
}

#[tokio::test]
async fn a_scenario_set_on_one_instance_is_applied_by_another_within_a_second() {
    let a = spawn_app().await;
    let b = spawn_on(a.db.clone(), |_| {}).await;
    let cc = [("grant_type", "client_credentials"), ("scope", "")];
    // B has looked (and cached "nothing set") before A sets the scenario.
    assert_eq!(token_post(&b, &cc).await.0, 200);
    set_scenario(
        &a,
        json!({"kind": "token_error", "error": "temporarily_unavailable", "expires_in": 300}),
    )
    .await;
    let seen = eventually(Duration::from_secs(5), async || {
        token_post(&b, &cc).await.0 == 503
    })
    .await;
    assert!(seen, "the other instance never applied the scenario");
    admin(&a, "DELETE", "/scenarios", None).await;
    let cleared = eventually(Duration::from_secs(5), async || {
        token_post(&b, &cc).await.0 == 200
    })
    .await;
    assert!(
        cleared,
        "the other instance kept applying a cleared scenario"
    );
}
