#![allow(dead_code)]
//! Calling the admin API the way a test in any language would: JSON over HTTP.

use crate::helpers::*;
use serde_json::Value;

/// `method /admin/api{path}` from loopback, without a password, as a JSON
/// client sends it (a bodiless POST says `Content-Type: application/json`
/// too).
pub async fn admin(app: &TestApp, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let is_post = method == reqwest::Method::POST;
    let mut req = app
        .http
        .request(method, format!("{}/admin/api{}", app.url, path));
    if let Some(b) = body {
        req = req.json(&b);
    } else if is_post {
        req = req.header("Content-Type", "application/json");
    }
    let res = req.send().await.expect("request");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// Sets a scenario and returns it as stored.
pub async fn set_scenario(app: &TestApp, spec: Value) -> Value {
    let (status, body) = admin(app, "POST", "/scenarios", Some(spec)).await;
    assert_eq!(status, 201, "{body}");
    body
}

/// Asserts the admin API's error shape; returns the description.
pub fn admin_error(status: u16, body: &Value, expected: u16, code: &str) -> String {
    assert_eq!(status, expected, "{body}");
    assert_eq!(body["error"], code, "{body}");
    body["error_description"]
        .as_str()
        .expect("a description")
        .to_owned()
}

/// Refreshes with the demo client in the request body; (status, JSON).
pub async fn token_post(
    app: &TestApp,
    form: &[(&str, &str)],
) -> (u16, Value, reqwest::header::HeaderMap) {
    let res = app
        .http
        .post(format!("{}/api/token", app.url))
        .basic_auth(DEMO_CLIENT, Some(DEMO_SECRET))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    (status, res.json().await.unwrap_or(Value::Null), headers)
}
