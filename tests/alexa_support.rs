#![allow(dead_code)]
//! Driving the Alexa simulator through its JSON API, with the browser part of
//! account linking played by the test helpers.

use crate::helpers::*;
use serde_json::{json, Value};

pub async fn api_post(app: &TestApp, path: &str, body: Value) -> (u16, Value) {
    api_send(app, reqwest::Method::POST, path, body).await
}

/// A JSON call with any method; the status and the JSON answer (or null).
pub async fn api_send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    body: Value,
) -> (u16, Value) {
    let res = app
        .http
        .request(method, format!("{}{}", app.url, path))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

pub async fn api_get(app: &TestApp, path: &str) -> (u16, Value) {
    let res = app
        .http
        .get(format!("{}{}", app.url, path))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// A new simulated Alexa user; returns its id.
pub async fn new_user(app: &TestApp) -> String {
    let (status, u) = api_post(app, "/alexa/api/users", json!({})).await;
    assert_eq!(status, 201, "{u}");
    let id = u["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("amzn1.ask.account."));
    id
}

pub async fn user_status(app: &TestApp, id: &str) -> Value {
    api_get(app, &format!("/alexa/api/users/{id}")).await.1
}

/// "Enable skill": returns (authorize URL, flow id).
pub async fn enable(app: &TestApp, id: &str) -> (String, String) {
    let (status, e) = api_post(app, &format!("/alexa/api/users/{id}/enable"), json!({})).await;
    assert_eq!(status, 200, "{e}");
    (
        e["authorize_url"].as_str().unwrap().to_owned(),
        e["flow_id"].as_str().unwrap().to_owned(),
    )
}

/// The browser follows the provider's redirect back to the simulator.
pub async fn follow_back(app: &TestApp, back: &url::Url) -> (u16, String) {
    let res = app.browser.get(back.as_str()).send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.text().await.unwrap())
}

/// Enable, log in and agree as the demo user, come back: a linked user.
pub async fn link(app: &TestApp, id: &str) -> String {
    let (url, flow) = enable(app, id).await;
    let back = app.browse_and_agree(&url).await;
    assert!(
        back.as_str()
            .starts_with(&format!("{}/api/skill/link/{DEMO_VENDOR}?", app.url)),
        "redirected to {back}"
    );
    let (status, page) = follow_back(app, &back).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("successfully linked"), "{page}");
    flow
}

pub async fn talk(app: &TestApp, id: &str, input: Value) -> Value {
    let (status, r) = api_post(app, &format!("/alexa/api/users/{id}/talk"), input).await;
    assert_eq!(status, 200, "{r}");
    r
}

/// A flow's logged steps (`entries` of its JSON).
pub async fn flow_log(app: &TestApp, flow: &str) -> Value {
    flow_json(app, flow).await["entries"].clone()
}

/// A flow's whole JSON: `flow_id`, `user_id`, `entries`, `findings`.
pub async fn flow_json(app: &TestApp, flow: &str) -> Value {
    let (status, log) = api_get(app, &format!("/alexa/api/flows/{flow}")).await;
    assert_eq!(status, 200, "{log}");
    assert!(
        log["entries"].is_array() && log["findings"].is_array(),
        "{log}"
    );
    log
}

/// The findings of a flow for one rule.
pub async fn findings_of(app: &TestApp, flow: &str, rule: &str) -> Vec<Value> {
    flow_json(app, flow).await["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule)
        .cloned()
        .collect()
}

/// The link's stored tokens (the simulator is Alexa: it keeps them).
pub async fn stored_link(app: &TestApp, id: &str) -> Option<mocklink::store::AlexaLink> {
    app.state.store.alexa_link(id, "default").await.unwrap()
}
