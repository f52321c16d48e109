#![allow(dead_code)] // shared by the api_* test modules
//! Getting api tokens the way clients do, and calling /v1 with them.

use crate::helpers::*;
use mocklink::config::UserSeed;
use oauth2::{AuthType, AuthorizationCode, CsrfToken, Scope, TokenResponse};

pub const FREE_USER: &str = "freebie";
pub const FREE_PASSWORD: &str = "freebie-password";

/// Every scope the api checks.
pub const ALL_SCOPES: &str = "user-read-private user-read-email user-read-playback-state \
     user-modify-playback-state user-read-currently-playing playlist-read-private \
     playlist-modify-public playlist-modify-private user-library-read user-library-modify \
     user-top-read user-read-recently-played";

/// An app that also has a free-tier user.
pub async fn spawn_app_with_free_user() -> TestApp {
    spawn_app_with(|s| {
        s.users.push(UserSeed {
            username: FREE_USER.into(),
            password: FREE_PASSWORD.into(),
            display_name: Some("Free Tier".into()),
            email: None,
            country: "DE".into(),
            product: "free".into(),
            persona: None,
            locked: false,
            empty_library: false,
        })
    })
    .await
}

/// An access token for the demo user with exactly `scopes` (space-separated),
/// through /authorize, the login and consent pages, and /api/token.
pub async fn user_token(app: &TestApp, scopes: &str) -> String {
    user_token_as(app, "demo", "demo", scopes).await
}

pub async fn user_token_as(app: &TestApp, user: &str, password: &str, scopes: &str) -> String {
    let client = app.oauth_client(AuthType::BasicAuth);
    let mut req = client
        .authorize_url(CsrfToken::new_random)
        .add_extra_param("show_dialog", "true");
    for s in scopes.split_whitespace() {
        req = req.add_scope(Scope::new(s.into()));
    }
    let (url, _) = req.url();
    let back = app.browse(url.as_str(), user, password, "allow").await;
    let code = query_param(&back, "code").expect("a code");
    client
        .exchange_code(AuthorizationCode::new(code))
        .request_async(&app.http)
        .await
        .expect("the code is exchanged")
        .access_token()
        .secret()
        .clone()
}

/// A client-credentials token of the demo client.
pub async fn client_token(app: &TestApp) -> String {
    let res = app
        .token_request(
            "grant_type=client_credentials",
            Some((DEMO_CLIENT, DEMO_SECRET)),
        )
        .await;
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

/// `method path` with an optional bearer token and JSON body.
pub async fn call(
    app: &TestApp,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<serde_json::Value>,
) -> reqwest::Response {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = app.http.request(method, format!("{}{}", app.url, path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await.expect("request")
}

pub async fn get_json(app: &TestApp, path: &str, token: &str) -> serde_json::Value {
    let res = call(app, "GET", path, Some(token), None).await;
    assert_eq!(res.status(), 200, "GET {path}");
    res.json().await.unwrap()
}

/// Asserts Spotify's error shape and returns the message.
pub async fn expect_error(res: reqwest::Response, status: u16) -> serde_json::Value {
    assert_eq!(res.status(), status, "status of {}", res.url());
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json"),
        "JSON error body"
    );
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["status"], status, "{body}");
    assert!(body["error"]["message"].is_string(), "{body}");
    body["error"].clone()
}

/// The demo user's devices; the first one is the kitchen speaker.
pub async fn device_ids(app: &TestApp, token: &str) -> Vec<String> {
    let body = get_json(app, "/v1/me/player/devices", token).await;
    body["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Ids of a few catalog tracks, found through search.
pub async fn some_track_ids(app: &TestApp, token: &str, n: usize) -> Vec<String> {
    let body = get_json(
        app,
        &format!("/v1/search?q=the&type=track&limit={n}"),
        token,
    )
    .await;
    body["tracks"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_owned())
        .collect()
}
