//! `POST /api/revoke` (RFC 7009), and what it shares with introspection: the
//! no-store answer and the notes that tell the flow inspector whose token it was.

use super::client_auth;
use super::error::OAuthError;
use super::token::oauth_form;
use crate::oauth::access_token::{self as tokens, VerifyError};
use crate::provider::ProviderState;
use crate::store::digest;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

pub(super) fn no_store() -> actix_web::HttpResponseBuilder {
    let mut b = HttpResponse::Ok();
    b.insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"));
    b
}

/// Tells the flow inspector which grant (and user) a token belongs to.
pub(super) fn note_claims(req: &HttpRequest, claims: &tokens::AccessClaims) {
    crate::inspector::note(req, |n| {
        n.grant = claims.gid.clone();
        n.user = claims.is_user_token().then(|| claims.sub.clone());
    });
}

pub(super) fn note_grant(req: &HttpRequest, grant: &crate::store::Grant) {
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
    let (caller, token) = token_request(&req, payload, &state, true).await?;
    let token = token.as_str();
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

/// What revocation and introspection both start with: the form, the
/// authenticated caller (both noted for the inspector) and `token`.
/// `allow_public`: a public client may call (revocation, RFC 7009 §2.1).
pub(super) async fn token_request(
    req: &HttpRequest,
    payload: web::Payload,
    state: &ProviderState,
    allow_public: bool,
) -> Result<(client_auth::Authenticated, String), OAuthError> {
    let params = oauth_form(req, payload).await?;
    crate::inspector::note(req, |n| n.form = params.pairs());
    let caller = client_auth::authenticate(
        state,
        client_auth::presented(req.headers(), &params)?,
        allow_public,
        crate::web::client::client_ip(req, state.settings.trust_forwarded_headers),
    )
    .await?;
    let client = caller.client.id.to_string();
    crate::inspector::note(req, |n| n.client_id = Some(client));
    let token = params
        .get("token")
        .ok_or_else(|| OAuthError::InvalidRequest("token is required".into()))?;
    Ok((caller, token.to_owned()))
}
