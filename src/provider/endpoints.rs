//! Revocation (RFC 7009), introspection (RFC 7662), authorization-server
//! metadata (RFC 8414) and the JWKS.

use super::client_auth;
use super::error::OAuthError;
use super::token::oauth_form;
use crate::domain::SPOTIFY_SCOPES;
use crate::oauth::access_token::{self as tokens, VerifyError};
use crate::provider::ProviderState;
use crate::store::{digest, RefreshPolicy};
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

fn no_store() -> actix_web::HttpResponseBuilder {
    let mut b = HttpResponse::Ok();
    b.insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"));
    b
}

/// Tells the flow inspector which grant (and user) a token belongs to.
fn note_claims(req: &HttpRequest, claims: &tokens::AccessClaims) {
    crate::inspector::note(req, |n| {
        n.grant = claims.gid.clone();
        n.user = claims.is_user_token().then(|| claims.sub.clone());
    });
}

fn note_grant(req: &HttpRequest, grant: &crate::store::Grant) {
    crate::inspector::note(req, |n| {
        n.grant = Some(grant.id.clone());
        n.user = Some(grant.user_id.to_string());
    });
}

/// `POST /api/revoke`: 200 `{}` for valid, unknown and already revoked tokens alike.
#[utoipa::path(
    post,
    path = "/api/revoke",
    tag = "provider",
    security(("client_basic" = []), ()),
    request_body(content = crate::provider::docs::TokenRefForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "Revoked, unknown or already revoked: `{}` (RFC 7009 allows an empty body; clients that parse it as JSON, such as simple-oauth2, need one).", body = Object, content_type = "application/json"), (status = 400, description = "invalid_request, unauthorized_client (another client's token)", body = crate::provider::docs::OAuthErrorBody), (status = 401, description = "invalid_client", body = crate::provider::docs::OAuthErrorBody), (status = 405, description = "Not POST", body = crate::provider::docs::OAuthErrorBody), (status = 413, description = "Body over the limit", body = crate::provider::docs::OAuthErrorBody))
)]
pub async fn revoke(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<ProviderState>,
) -> Result<HttpResponse, OAuthError> {
    let params = oauth_form(&req, payload).await?;
    crate::inspector::note(&req, |n| n.form = params.pairs());
    let caller = client_auth::authenticate(
        &state,
        client_auth::presented(req.headers(), &params)?,
        true,
        crate::web::client::client_ip(&req, state.settings.trust_forwarded_headers),
    )
    .await?;
    let client = caller.client.id.to_string();
    crate::inspector::note(&req, |n| n.client_id = Some(client));
    let token = params
        .get("token")
        .ok_or_else(|| OAuthError::InvalidRequest("token is required".into()))?;
    let now = state.clock.now();
    let not_yours =
        || OAuthError::UnauthorizedClient("this token was issued to another client".into());
    match state.tokens.verify_signature(token).await {
        Ok(claims) => {
            if claims.client_id != caller.client.id.as_str() {
                return Err(not_yours());
            }
            state
                .tokens
                .revocations
                .revoke_jti(&state.store, &claims.jti, claims.exp, now)
                .await?;
            note_claims(&req, &claims);
            tracing::info!(event = "token_revoked", kind = "access_token", client = %caller.client.id, "access token revoked");
        }
        Err(VerifyError::Store(e)) => return Err(e.into()),
        Err(_) => {
            if let Some(record) = state.store.refresh_token(&digest(token)).await? {
                if record.grant.client_id != caller.client.id {
                    return Err(not_yours());
                }
                state
                    .tokens
                    .revocations
                    .revoke_grant(&state.store, &record.grant.id, "revoked_by_client", now)
                    .await?;
                note_grant(&req, &record.grant);
                tracing::info!(event = "token_revoked", kind = "refresh_token", grant = %record.grant.id, "refresh token revoked with its grant");
            }
        }
    }
    // `{}` rather than nothing: simple-oauth2 parses the answer as JSON.
    Ok(no_store().json(serde_json::json!({})))
}

/// `POST /api/introspect`: inactive tokens say only `{"active": false}`.
#[utoipa::path(
    post,
    path = "/api/introspect",
    tag = "provider",
    security(("client_basic" = []), ()),
    request_body(content = crate::provider::docs::TokenRefForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "RFC 7662 answer; inactive tokens are `{\"active\": false}` only. Every response carries `Cache-Control: no-store` and `Pragma: no-cache`.", body = crate::provider::docs::Introspection), (status = 400, description = "invalid_request", body = crate::provider::docs::OAuthErrorBody), (status = 401, description = "invalid_client: the caller must authenticate", body = crate::provider::docs::OAuthErrorBody), (status = 405, description = "Not POST", body = crate::provider::docs::OAuthErrorBody), (status = 413, description = "Body over the limit", body = crate::provider::docs::OAuthErrorBody))
)]
pub async fn introspect(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<ProviderState>,
) -> Result<HttpResponse, OAuthError> {
    let params = oauth_form(&req, payload).await?;
    crate::inspector::note(&req, |n| n.form = params.pairs());
    let caller = client_auth::authenticate(
        &state,
        client_auth::presented(req.headers(), &params)?,
        false,
        crate::web::client::client_ip(&req, state.settings.trust_forwarded_headers),
    )
    .await?;
    let client = caller.client.id.to_string();
    crate::inspector::note(&req, |n| n.client_id = Some(client));
    let token = params
        .get("token")
        .ok_or_else(|| OAuthError::InvalidRequest("token is required".into()))?;
    let inactive = || Ok(no_store().json(json!({"active": false})));
    match state.tokens.verify(token).await {
        Ok(c) => {
            note_claims(&req, &c);
            return Ok(no_store().json(json!({
                "active": true,
                "scope": c.scope,
                "client_id": c.client_id,
                "username": c.is_user_token().then_some(&c.sub),
                "token_type": "Bearer",
                "exp": c.exp,
                "iat": c.iat,
                "sub": c.sub,
                "aud": c.aud,
                "iss": c.iss,
                "jti": c.jti,
            })));
        }
        Err(VerifyError::Store(e)) => return Err(e.into()),
        Err(_) => {}
    }
    let Some(record) = state.store.refresh_token(&digest(token)).await? else {
        return inactive();
    };
    let g = &record.grant;
    note_grant(&req, g);
    let client = state.store.client(&g.client_id).await?;
    let retired = record.rotated_at.is_some()
        && client.is_none_or(|c| c.refresh_policy == RefreshPolicy::Rotate);
    if g.revoked_at.is_some()
        || g.expires_at <= state.clock.now_for(g.client_id.as_str())
        || retired
    {
        return inactive();
    }
    Ok(no_store().json(json!({
        "active": true,
        "scope": g.scopes.to_string(),
        "client_id": g.client_id.as_str(),
        "username": g.user_id.as_str(),
        "sub": g.user_id.as_str(),
        "token_type": "refresh_token",
        "exp": g.expires_at,
        "iat": g.created_at,
        "iss": state.issuer(),
    })))
}

/// `GET /.well-known/oauth-authorization-server`
#[utoipa::path(
    get,
    path = "/.well-known/oauth-authorization-server",
    tag = "provider",
    responses((status = 200, description = "RFC 8414 metadata", body = crate::provider::docs::ServerMetadata))
)]
pub async fn metadata(state: web::Data<ProviderState>) -> HttpResponse {
    let base = state.settings.public_url();
    HttpResponse::Ok().json(json!({
        "issuer": state.issuer(),
        "authorization_endpoint": format!("{base}/authorize"),
        "token_endpoint": format!("{base}/api/token"),
        "jwks_uri": format!("{base}/.well-known/jwks.json"),
        "revocation_endpoint": format!("{base}/api/revoke"),
        "introspection_endpoint": format!("{base}/api/introspect"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": SPOTIFY_SCOPES.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
        "authorization_response_iss_parameter_supported": true,
        "access_token_signing_alg_values_supported": [state.settings.signing_alg.as_str()],
    }))
}

/// `GET /.well-known/jwks.json`
#[utoipa::path(
    get,
    path = "/.well-known/jwks.json",
    tag = "provider",
    responses((status = 200, description = "Public signing keys", body = crate::provider::docs::Jwks))
)]
pub async fn jwks(state: web::Data<ProviderState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
        .json(state.tokens.keys.jwks())
}
