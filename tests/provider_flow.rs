//! The authorization-code flow as Alexa runs it, driven by the `oauth2` crate.

use crate::helpers::*;
use oauth2::{AuthType, AuthorizationCode, CsrfToken, PkceCodeChallenge, Scope, TokenResponse};

async fn link(app: &TestApp, auth: AuthType) -> oauth2::basic::BasicTokenResponse {
    let client = app.oauth_client(auth);
    let (url, state) = client
        .authorize_url(CsrfToken::new_random)
        .add_scope(Scope::new("user-read-private".into()))
        .add_scope(Scope::new("user-read-email".into()))
        .url();
    let back = app.browse_and_agree(url.as_str()).await;
    assert!(
        back.as_str().starts_with(ALEXA_REDIRECT),
        "redirected to {back}"
    );
    assert_eq!(
        query_param(&back, "state").as_deref(),
        Some(state.secret().as_str())
    );
    assert_eq!(query_param(&back, "iss").as_deref(), Some(app.url.as_str()));
    let code = query_param(&back, "code").expect("a code");
    client
        .exchange_code(AuthorizationCode::new(code))
        .request_async(&app.http)
        .await
        .expect("the code is exchanged")
}

#[tokio::test]
async fn alexa_links_with_http_basic_client_authentication() {
    let app = spawn_app().await;
    let token = link(&app, AuthType::BasicAuth).await;
    assert_eq!(token.expires_in().unwrap().as_secs(), 3600);
    assert!(token.refresh_token().is_some());
    let scopes: Vec<_> = token
        .scopes()
        .unwrap()
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(scopes, ["user-read-email", "user-read-private"]);
}

#[tokio::test]
async fn alexa_links_with_credentials_in_the_request_body() {
    let app = spawn_app().await;
    let token = link(&app, AuthType::RequestBody).await;
    assert!(token.refresh_token().is_some());
}

#[tokio::test]
async fn a_remembered_consent_skips_the_pages_unless_show_dialog_is_true() {
    let app = spawn_app().await;
    link(&app, AuthType::BasicAuth).await;
    let client = app.oauth_client(AuthType::BasicAuth);
    let (url, _) = client
        .authorize_url(CsrfToken::new_random)
        .add_scope(Scope::new("user-read-private".into()))
        .url();
    let res = app.browser.get(url.as_str()).send().await.unwrap();
    assert_eq!(
        res.status(),
        302,
        "consent was remembered, straight back with a code"
    );
    assert!(location(&res).contains("code="));

    let (url, _) = client
        .authorize_url(CsrfToken::new_random)
        .add_scope(Scope::new("user-read-private".into()))
        .add_extra_param("show_dialog", "True")
        .url();
    let res = app.browser.get(url.as_str()).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("action=\"/consent\""));
}

/// Asking for more than the remembered consent shows the consent page and
/// stores nothing; agreeing then issues the code for the larger scope.
#[tokio::test]
async fn a_request_beyond_the_remembered_consent_stores_no_grant_until_agreed() {
    let app = spawn_app().await;
    link(&app, AuthType::BasicAuth).await;
    let before = app.grant_count().await;
    let url = app.demo_authorize_url("user-read-private user-modify-playback-state", &[]);
    let res = app.browser.get(&url).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let page = res.text().await.unwrap();
    assert!(page.contains("action=\"/consent\""), "{page}");
    assert_eq!(
        app.grant_count().await,
        before,
        "the consent page stores no grant"
    );
    let res = app.submit_consent(&page, "allow").await;
    let back = url::Url::parse(&location(&res)).unwrap();
    assert!(query_param(&back, "code").is_some(), "{back}");
    assert_eq!(app.grant_count().await, before + 1);
}

#[tokio::test]
async fn pkce_s256_public_client_gets_tokens_with_the_right_verifier() {
    let app = spawn_app_with(|s| {
        s.clients.push(public_client("pkce-app"));
    })
    .await;
    let client = app.oauth_client_for(
        "pkce-app",
        None,
        "http://127.0.0.1:9/cb",
        AuthType::RequestBody,
    );
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, _) = client
        .authorize_url(CsrfToken::new_random)
        .set_pkce_challenge(challenge)
        .add_scope(Scope::new("user-read-private".into()))
        .url();
    let back = app.browse_and_agree(url.as_str()).await;
    let code = query_param(&back, "code").unwrap();
    let token = client
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(verifier)
        .request_async(&app.http)
        .await
        .expect("exchange with the right verifier");
    assert!(
        token.refresh_token().is_some(),
        "PKCE refreshes need a refresh token"
    );
}

pub fn public_client(id: &str) -> mocklink::config::ClientSeed {
    mocklink::config::ClientSeed {
        id: id.into(),
        name: Some("A PKCE app".into()),
        secret: None,
        redirect_uris: vec!["http://127.0.0.1:9/cb".into()],
        scopes: None,
        refresh_policy: mocklink::store::RefreshPolicy::Rotate,
        refresh_grace_seconds: 0,
        access_token_ttl_seconds: 3600,
        refresh_token_ttl_seconds: 86400,
        extended_quota: false,
    }
}
