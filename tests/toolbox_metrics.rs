//! GET /metrics: Prometheus text with requests by route and status, latency
//! histograms, and token outcomes by grant type and error code.

use crate::api_support::call;
use crate::helpers::*;
use crate::toolbox_support::*;
use serde_json::json;

async fn metrics(app: &TestApp) -> String {
    let res = app
        .http
        .get(format!("{}/metrics", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    res.text().await.unwrap()
}

/// The value of the sample line that starts with `series`.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[tokio::test]
async fn requests_tokens_and_failures_are_counted() {
    let app = spawn_app().await;
    let cc = [("grant_type", "client_credentials"), ("scope", "")];
    assert_eq!(token_post(&app, &cc).await.0, 200);
    assert_eq!(token_post(&app, &cc).await.0, 200);
    assert_eq!(
        token_post(
            &app,
            &[("grant_type", "refresh_token"), ("refresh_token", "nope")]
        )
        .await
        .0,
        400
    );
    set_scenario(
        &app,
        json!({"kind": "token_error", "error": "temporarily_unavailable", "count": 1}),
    )
    .await;
    assert_eq!(token_post(&app, &cc).await.0, 503);
    // A path with an id is counted under its pattern, not its raw path.
    let (_, t) = admin(
        &app,
        "POST",
        "/tokens",
        Some(json!({"user": "demo", "client_id": DEMO_CLIENT})),
    )
    .await;
    let access = t["access_token"].as_str().unwrap();
    call(
        &app,
        "GET",
        "/v1/tracks/0000000000000000000000",
        Some(access),
        None,
    )
    .await;
    call(
        &app,
        "GET",
        "/v1/tracks/1111111111111111111111",
        Some(access),
        None,
    )
    .await;

    let text = metrics(&app).await;
    assert_eq!(
        sample(
            &text,
            "mocklink_tokens_issued_total{grant_type=\"client_credentials\"}"
        ),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            "mocklink_token_errors_total{error=\"invalid_grant\",grant_type=\"refresh_token\"}"
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "mocklink_token_errors_total{error=\"temporarily_unavailable\",grant_type=\"client_credentials\"}"),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            "mocklink_http_requests_total{method=\"POST\",route=\"/api/token\",status=\"200\"}"
        ),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            "mocklink_http_requests_total{method=\"POST\",route=\"/api/token\",status=\"400\"}"
        ),
        Some(1.0),
        "{text}"
    );
    let by_pattern = text
        .lines()
        .filter(|l| {
            l.starts_with("mocklink_http_requests_total") && l.contains("route=\"/v1/tracks/{id}\"")
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>();
    assert_eq!(by_pattern, 2.0, "{text}");
    assert!(
        !text.contains("1111111111111111111111"),
        "raw paths never become labels"
    );
    assert_eq!(
        sample(
            &text,
            "mocklink_http_request_duration_seconds_count{method=\"POST\",route=\"/api/token\"}"
        ),
        Some(4.0),
        "{text}"
    );
    assert!(text.contains("mocklink_http_request_duration_seconds_bucket{method=\"POST\",route=\"/api/token\",le=\"4.5\"}"));
}

#[tokio::test]
async fn unknown_paths_share_one_label() {
    let app = spawn_app().await;
    app.get("/no/such/page/12345").await;
    let text = metrics(&app).await;
    assert!(
        text.lines().any(
            |l| l.starts_with("mocklink_http_requests_total{method=\"GET\"")
                && l.contains("status=\"404\"")
        ),
        "{text}"
    );
    assert!(!text.contains("12345"));
}

#[tokio::test]
async fn the_in_process_test_server_mints_with_the_admin_password_when_one_is_set() {
    let server = mocklink::testing::TestServer::start_with(|s| {
        s.toolbox.admin_password = Some(mocklink::domain::Secret::new("pw-for-tests"))
    })
    .await
    .expect("starts");
    let token = server
        .mint_token("free", "user-read-private")
        .await
        .expect("a token");
    let me: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/v1/me", server.url()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["product"], "free");
    let err = server.mint_token("nobody", "").await.unwrap_err();
    assert!(err.contains("404"), "{err}");
    server.stop().await;
}
