//! `POST /api/introspect` (RFC 7662), client-authenticated.

use super::error::OAuthError;
use crate::oauth::access_token::VerifyError;
use crate::provider::ProviderState;
use crate::store::{digest, RefreshPolicy};
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use super::revocation::{no_store, note_claims, note_grant, token_request};

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
    let (_caller, token) = token_request(&req, payload, &state, false).await?;
    let token = token.as_str();
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
