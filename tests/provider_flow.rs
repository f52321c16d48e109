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
async fn the_access_token_is_an_rfc9068_jwt_signed_by_a_key_in_the_jwks() {
    let app = spawn_app().await;
    let token = link(&app, AuthType::BasicAuth).await;
    let jwt = token.access_token().secret();
    let header = jsonwebtoken::decode_header(jwt).unwrap();
    assert_eq!(header.typ.as_deref(), Some("at+jwt"));
    assert_eq!(header.alg, jsonwebtoken::Algorithm::RS256);
    let jwks: serde_json::Value = app
        .get("/.well-known/jwks.json")
        .await
        .json()
        .await
        .unwrap();
    let key = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == header.kid.clone().unwrap().as_str())
        .expect("the kid is published");
    let decoding = jsonwebtoken::DecodingKey::from_rsa_components(
        key["n"].as_str().unwrap(),
        key["e"].as_str().unwrap(),
    )
    .unwrap();
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    v.set_audience(&["mocklink-api"]);
    v.set_issuer(&[&app.url]);
    let claims = jsonwebtoken::decode::<serde_json::Value>(jwt, &decoding, &v)
        .unwrap()
        .claims;
    assert_eq!(claims["sub"], "demo");
    assert_eq!(claims["client_id"], DEMO_CLIENT);
    assert_eq!(claims["scope"], "user-read-email user-read-private");
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        3600
    );
    assert!(claims["jti"].as_str().is_some_and(|j| !j.is_empty()));
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

#[tokio::test]
async fn pkce_with_a_wrong_verifier_is_invalid_grant_and_burns_the_code() {
    let app = spawn_app_with(|s| s.clients.push(public_client("pkce-app"))).await;
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
        .url();
    let code = query_param(&app.browse_and_agree(url.as_str()).await, "code").unwrap();
    let wrong = PkceCodeChallenge::new_random_sha256().1;
    let body = format!(
        "grant_type=authorization_code&client_id=pkce-app&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcb&code={code}&code_verifier={}",
        wrong.secret()
    );
    let res = app.token_request(&body, None).await;
    assert_eq!(res.status(), 400);
    let err: serde_json::Value = res.json().await.unwrap();
    assert_eq!(err["error"], "invalid_grant");
    // The right verifier no longer helps: the code is burnt.
    let body = body.replace(wrong.secret(), verifier.secret());
    let err: serde_json::Value = app.token_request(&body, None).await.json().await.unwrap();
    assert_eq!(err["error"], "invalid_grant");
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
    }
}
