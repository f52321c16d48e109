//! "Enable skill" against our own provider, as Alexa runs it: both client
//! authentication schemes, PKCE, and every failure branch of the linking.

use crate::alexa_support::*;
use crate::helpers::*;
use serde_json::{json, Value};

fn entries<'a>(log: &'a Value, step: &str) -> Vec<&'a Value> {
    log.as_array()
        .unwrap()
        .iter()
        .filter(|e| e["step"] == step)
        .collect()
}

fn assert_no_secrets(log: &Value, secrets: &[&str]) {
    let text = log.to_string();
    for s in secrets {
        assert!(!text.contains(s), "the flow log leaks a secret");
    }
}

#[tokio::test]
async fn enable_skill_links_with_http_basic_and_logs_every_step_redacted() {
    let app = spawn_app().await;
    let id = new_user(&app).await;
    let (url, _) = enable(&app, &id).await;
    let parsed = url::Url::parse(&url).unwrap();
    assert!(url.starts_with(&format!("{}/authorize?", app.url)));
    assert_eq!(
        query_param(&parsed, "response_type").as_deref(),
        Some("code")
    );
    assert_eq!(
        query_param(&parsed, "client_id").as_deref(),
        Some(DEMO_CLIENT)
    );
    assert_eq!(
        query_param(&parsed, "redirect_uri").unwrap(),
        format!("{}/api/skill/link/{DEMO_VENDOR}", app.url)
    );
    assert_eq!(
        query_param(&parsed, "scope").unwrap(),
        mocklink::config::DEMO_SCOPES
    );
    assert!(query_param(&parsed, "state").unwrap().len() >= 16);
    assert!(query_param(&parsed, "code_challenge").is_none());

    let flow = link(&app, &id).await;
    let status = user_status(&app, &id).await;
    assert_eq!(status["linked"], json!(true), "{status}");
    let mut granted: Vec<&str> = status["scopes"].as_str().unwrap().split(' ').collect();
    let mut asked: Vec<&str> = mocklink::config::DEMO_SCOPES.split(' ').collect();
    granted.sort();
    asked.sort();
    assert_eq!(granted, asked);
    // Seconds may tick between linking and asking.
    assert!(
        (3590..=3600).contains(&status["expires_in"].as_i64().unwrap()),
        "{status}"
    );
    assert_eq!(status["link_flow_id"], json!(flow));

    let stored = stored_link(&app, &id).await.unwrap();
    assert!(stored.refresh_token.is_some());
    let log = flow_log(&app, &flow).await;
    let token = entries(&log, "token exchange");
    assert_eq!(token.len(), 2, "{log}");
    assert_eq!(token[0]["method"], "POST");
    assert!(token[0]["headers"]["authorization"]
        .as_str()
        .unwrap()
        .starts_with("Basic "));
    let body = token[0]["body"].as_str().unwrap();
    assert!(body.contains("grant_type=authorization_code"), "{body}");
    assert!(!body.contains("client_secret"), "{body}");
    assert_eq!(token[1]["status"], 200);
    assert!(!entries(&log, "redirect back").is_empty());
    let basic = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(format!("{DEMO_CLIENT}:{DEMO_SECRET}"))
    };
    assert_no_secrets(
        &log,
        &[
            &stored.access_token,
            stored.refresh_token.as_deref().unwrap(),
            DEMO_SECRET,
            &basic,
        ],
    );

    // The next request carries the token.
    let r = talk(&app, &id, json!({"utterance": "what's playing"})).await;
    assert_eq!(r["linked"], json!(true), "{r}");
    assert_eq!(r["intent"], "WhatsPlayingIntent");
    let hint = r["request"]["context"]["System"]["user"]["accessToken"]
        .as_str()
        .unwrap();
    assert!(
        hint.ends_with('…') && hint.chars().count() == 5,
        "the token is redacted in results"
    );
}

#[tokio::test]
async fn enable_skill_links_with_credentials_in_the_body() {
    let app = spawn_app_with(|s| {
        s.simulator.access_token_scheme =
            mocklink::config::AccessTokenScheme::RequestBodyCredentials
    })
    .await;
    let id = new_user(&app).await;
    let flow = link(&app, &id).await;
    assert_eq!(user_status(&app, &id).await["linked"], json!(true));
    let log = flow_log(&app, &flow).await;
    let req = entries(&log, "token exchange")[0];
    assert!(req["headers"]["authorization"].is_null(), "{req}");
    let body = req["body"].as_str().unwrap();
    assert!(body.contains("client_id=alexa-skill"), "{body}");
    assert!(body.contains("client_secret=alex…"), "{body}");
    assert_no_secrets(&log, &[DEMO_SECRET]);
}

#[tokio::test]
async fn enable_skill_uses_pkce_when_configured() {
    let app = spawn_app_with(|s| s.simulator.pkce = true).await;
    let id = new_user(&app).await;
    let (url, _) = enable(&app, &id).await;
    let parsed = url::Url::parse(&url).unwrap();
    assert_eq!(
        query_param(&parsed, "code_challenge_method").as_deref(),
        Some("S256")
    );
    assert!(query_param(&parsed, "code_challenge").is_some());
    let back = app.browse_and_agree(&url).await;
    let (status, page) = follow_back(&app, &back).await;
    assert_eq!(status, 200, "{page}");
    let flow = user_status(&app, &id).await["link_flow_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let log = flow_log(&app, &flow).await;
    assert!(entries(&log, "token exchange")[0]["body"]
        .as_str()
        .unwrap()
        .contains("code_verifier="));
}

#[tokio::test]
async fn a_mismatched_state_is_refused_with_a_clear_page() {
    let app = spawn_app().await;
    let id = new_user(&app).await;
    let (url, _) = enable(&app, &id).await;
    let mut back = app.browse_and_agree(&url).await;
    let code = query_param(&back, "code").unwrap();
    back.query_pairs_mut()
        .clear()
        .append_pair("code", &code)
        .append_pair("state", "forged-state");
    let (status, page) = follow_back(&app, &back).await;
    assert_eq!(status, 400);
    assert!(
        page.contains("Unable to link your account") && page.contains("state"),
        "{page}"
    );
    assert_eq!(user_status(&app, &id).await["linked"], json!(false));
    // No state at all is the same failure.
    back.query_pairs_mut().clear().append_pair("code", &code);
    assert_eq!(follow_back(&app, &back).await.0, 400);
}

#[tokio::test]
async fn a_state_is_usable_once() {
    let app = spawn_app().await;
    let id = new_user(&app).await;
    let (url, _) = enable(&app, &id).await;
    let back = app.browse_and_agree(&url).await;
    assert_eq!(follow_back(&app, &back).await.0, 200);
    let (status, page) = follow_back(&app, &back).await;
    assert_eq!(status, 400);
    assert!(page.contains("state"), "{page}");
}

#[tokio::test]
async fn denied_consent_is_reported_and_nothing_is_linked() {
    let app = spawn_app().await;
    let id = new_user(&app).await;
    let (url, flow) = enable(&app, &id).await;
    let back = app.browse(&url, "demo", "demo", "deny").await;
    assert_eq!(
        query_param(&back, "error").as_deref(),
        Some("access_denied")
    );
    let (status, page) = follow_back(&app, &back).await;
    assert_eq!(status, 400);
    assert!(page.contains("error parameter: access_denied"), "{page}");
    assert_eq!(user_status(&app, &id).await["linked"], json!(false));
    let log = flow_log(&app, &flow).await;
    assert!(log.to_string().contains("error=access_denied"), "{log}");
    assert!(entries(&log, "token exchange").is_empty());
}

#[tokio::test]
async fn a_wrong_client_secret_fails_the_exchange_with_invalid_client() {
    let app = spawn_app_with(|s| s.simulator.client_secret = Some("not-the-secret".into())).await;
    let id = new_user(&app).await;
    let (url, flow) = enable(&app, &id).await;
    let back = app.browse_and_agree(&url).await;
    let (status, page) = follow_back(&app, &back).await;
    assert_eq!(status, 400);
    assert!(
        page.contains("unable to link mock music") && page.contains("invalid_client"),
        "{page}"
    );
    assert_eq!(user_status(&app, &id).await["linked"], json!(false));
    let log = flow_log(&app, &flow).await;
    assert_eq!(entries(&log, "token exchange")[1]["status"], 401);
    assert_no_secrets(&log, &["not-the-secret"]);
}

#[tokio::test]
async fn an_unreachable_token_endpoint_fails_the_link_clearly() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app =
        spawn_app_with(|s| s.simulator.token_url = Some(format!("http://127.0.0.1:{port}/token")))
            .await;
    let id = new_user(&app).await;
    let (url, _) = enable(&app, &id).await;
    let back = app.browse_and_agree(&url).await;
    let (status, page) = follow_back(&app, &back).await;
    assert_eq!(status, 400);
    assert!(page.contains("could not be reached"), "{page}");
}

#[tokio::test]
async fn the_flow_log_is_a_page_too() {
    let app = spawn_app().await;
    let id = new_user(&app).await;
    let flow = link(&app, &id).await;
    let res = app.get(&format!("/alexa/flows/{flow}")).await;
    assert_eq!(res.status(), 200);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("token exchange") && page.contains("HTTP 200"),
        "{page}"
    );
    assert!(!page.contains(DEMO_SECRET));
    assert_eq!(app.get("/alexa/flows/nope").await.status(), 404);
    assert_eq!(api_get(&app, "/alexa/api/flows/nope").await.0, 404);
}
