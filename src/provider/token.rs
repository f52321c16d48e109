//! `POST /api/token`: authorization_code (with PKCE), refresh_token (rotate or
//! reuse, with reuse detection) and client_credentials (RFC 6749 §4–6).

use super::authorize::is_pkce_value;
use super::client_auth::{self, Authenticated};
use super::error::OAuthError;
use super::params::{read_form, Params, ParamsError};
use crate::domain::{Scopes, Secret};
use crate::oauth::keys::KeyError;
use crate::provider::ProviderState;
use crate::store::{digest, Client, CodeRecord, CodeRedemption, Grant, Redeemed, RefreshPolicy};
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// `expires_in` as a number (always, unless a scenario asks for a string).
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum ExpiresIn {
    Seconds(i64),
    Text(String),
}

/// A successful token response (RFC 6749 §5.1).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    /// Seconds; absent or a string only when a scenario scripts it.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<i64>)]
    pub expires_in: Option<ExpiresIn>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The grant and user the tokens are for (for the flow inspector; not sent).
    #[serde(skip)]
    pub issued_for: Option<(String, String)>,
}

impl From<KeyError> for OAuthError {
    fn from(e: KeyError) -> Self {
        match e {
            KeyError::Store(s) => OAuthError::Unavailable(s),
            other => OAuthError::Internal(other.to_string()),
        }
    }
}

impl From<ParamsError> for OAuthError {
    fn from(e: ParamsError) -> Self {
        match e {
            ParamsError::TooLarge => OAuthError::PayloadTooLarge(super::params::MAX_FORM_BYTES),
            ParamsError::Malformed(m) => OAuthError::InvalidRequest(m),
        }
    }
}

/// Reads the form body of an OAuth endpoint, insisting on the content type.
pub async fn oauth_form(req: &HttpRequest, payload: web::Payload) -> Result<Params, OAuthError> {
    read_form(req, payload).await?.ok_or_else(|| {
        OAuthError::InvalidRequest(
            "the body must be application/x-www-form-urlencoded (grant_type parameter is missing)"
                .into(),
        )
    })
}

/// `POST /api/token`
#[utoipa::path(
    post,
    path = "/api/token",
    tag = "provider",
    security(("client_basic" = []), ()),
    request_body(content = crate::provider::docs::TokenForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "Tokens. Every response carries `Cache-Control: no-store` and `Pragma: no-cache`.", body = crate::provider::token::TokenResponse), (status = 400, description = "invalid_request, invalid_grant, unauthorized_client, unsupported_grant_type, invalid_scope", body = crate::provider::docs::OAuthErrorBody), (status = 401, description = "invalid_client (with `WWW-Authenticate: Basic` when Basic was used)", body = crate::provider::docs::OAuthErrorBody), (status = 405, description = "Not POST", body = crate::provider::docs::OAuthErrorBody), (status = 413, description = "Body over the limit", body = crate::provider::docs::OAuthErrorBody), (status = 429, description = "Too many failed attempts; see `Retry-After`", body = crate::provider::docs::OAuthErrorBody), (status = 503, description = "temporarily_unavailable", body = crate::provider::docs::OAuthErrorBody))
)]
pub async fn token(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<ProviderState>,
) -> Result<HttpResponse, OAuthError> {
    let params = oauth_form(&req, payload).await.inspect_err(|e| {
        state.metrics.record_token("", Err(e.code()));
    })?;
    crate::inspector::note(&req, |n| n.form = params.pairs());
    let response = exchange(
        &state,
        req.headers(),
        &params,
        crate::web::client::client_ip(&req, state.settings.trust_forwarded_headers),
    )
    .await;
    let grant_type = params.get("grant_type").unwrap_or("");
    state.metrics.record_token(
        grant_type,
        response.as_ref().map(|_| ()).map_err(|e| e.code()),
    );
    if let Ok(TokenResponse {
        issued_for: Some((grant, user)),
        ..
    }) = &response
    {
        // The inspector need not look the code or token up again.
        crate::inspector::note(&req, |n| {
            n.grant = Some(grant.clone());
            n.user = Some(user.clone());
        });
    }
    match &response {
        Ok(_) => tracing::info!(
            event = "token_issued",
            grant_type = params.get("grant_type").unwrap_or(""),
            "token issued"
        ),
        Err(e) => tracing::info!(
            event = "token_error",
            grant_type = params.get("grant_type").unwrap_or(""),
            error = e.code(),
            "token request refused"
        ),
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(response?))
}

/// The token endpoint's logic, independent of HTTP.
pub async fn exchange(
    state: &ProviderState,
    headers: &header::HeaderMap,
    params: &Params,
    peer: Option<std::net::IpAddr>,
) -> Result<TokenResponse, OAuthError> {
    let presented = client_auth::presented(headers, params)?;
    let grant_type = params
        .get("grant_type")
        .ok_or_else(|| OAuthError::InvalidRequest("grant_type parameter is missing".into()))?
        .to_owned();
    if let Some(name) = params.first_repeated() {
        return Err(OAuthError::InvalidRequest(format!(
            "parameter '{name}' was sent more than once"
        )));
    }
    if !matches!(
        grant_type.as_str(),
        "authorization_code" | "refresh_token" | "client_credentials"
    ) {
        return Err(OAuthError::UnsupportedGrantType(format!(
            "grant_type '{}' is not supported",
            grant_type.chars().take(40).collect::<String>()
        )));
    }
    let caller = client_auth::authenticate(state, presented, true, peer).await?;
    if let Some(e) = state
        .faults
        .before_token(&caller.client.id, &grant_type)
        .await?
    {
        return Err(OAuthError::Scripted {
            status: e.status,
            error: e.error,
            description: e.description,
        });
    }
    match grant_type.as_str() {
        "authorization_code" => authorization_code(state, &caller, params).await,
        "refresh_token" => refresh_token(state, &caller, params).await,
        _ => client_credentials(state, &caller, params),
    }
}

fn required<'a>(params: &'a Params, name: &str) -> Result<&'a str, OAuthError> {
    params
        .get(name)
        .ok_or_else(|| OAuthError::InvalidRequest(format!("{name} is required")))
}

async fn authorization_code(
    state: &ProviderState,
    caller: &Authenticated,
    params: &Params,
) -> Result<TokenResponse, OAuthError> {
    let code = required(params, "code")?;
    let verifier = params.get("code_verifier");
    if verifier.is_some_and(|v| !is_pkce_value(v)) {
        return Err(OAuthError::InvalidRequest(
            "code_verifier must be 43 to 128 characters of [A-Za-z0-9._~-]".into(),
        ));
    }
    let now = state.clock.now_for(caller.client.id.as_str());
    let code_hash = digest(code);
    let invalid = || OAuthError::InvalidGrant("Invalid authorization code".into());
    let refresh = Secret::generate(32);
    let challenge = verifier.map(pkce_s256);
    // One write claims the code and, if it is good, activates the grant
    // (issue 16); the checks are the ones below, made in the database.
    let outcome = state
        .store
        .redeem_presented_code(&CodeRedemption {
            code_hash: &code_hash,
            client_id: &caller.client.id,
            redirect_uri: params.get("redirect_uri"),
            verifier_challenge: challenge.as_deref(),
            refresh_hash: &digest(refresh.expose()),
            now,
        })
        .await?;
    let record = match outcome {
        Redeemed::Issued(record) => record,
        // The code was good for nothing, and is spent now (it may have leaked).
        Redeemed::Refused(record) => {
            let description = match code_failure(&record, now, params, verifier) {
                Some(d) => d,
                // Its grant was revoked meanwhile.
                None => return Err(replayed(state, &record.grant.id, caller, now).await),
            };
            return Err(OAuthError::InvalidGrant(description.into()));
        }
        // Unknown, another client's (which changes nothing), or used before:
        // a replay, however close in time, revokes what the code gave.
        Redeemed::NotClaimed => {
            let record = state.store.code(&code_hash).await?.ok_or_else(invalid)?;
            if record.grant.client_id != caller.client.id || record.used_at.is_none() {
                return Err(invalid());
            }
            return Err(replayed(state, &record.grant.id, caller, now).await);
        }
    };
    user_tokens(
        state,
        &caller.client,
        &record.grant,
        &record.grant.scopes,
        Some(refresh),
    )
    .await
}

/// Why a code this client presented is no good (the database made the same
/// checks when it claimed the code), or None.
fn code_failure(
    record: &CodeRecord,
    now: i64,
    params: &Params,
    verifier: Option<&str>,
) -> Option<&'static str> {
    if record.expires_at <= now {
        Some("Authorization code expired")
    } else if params.get("redirect_uri") != Some(record.redirect_uri.as_str()) {
        Some("Invalid redirect URI")
    } else {
        match (&record.code_challenge, verifier) {
            (Some(challenge), Some(v)) if pkce_s256(v) == *challenge => None,
            (Some(_), Some(_)) => Some("code_verifier was incorrect"),
            (Some(_), None) => Some("code_verifier is required"),
            // A verifier for a code issued without a challenge is a downgrade attempt.
            (None, Some(_)) => Some("no code_challenge was sent for this code"),
            (None, None) => None,
        }
    }
}

/// A code used twice: everything issued from it is revoked (RFC 6749 §4.1.2).
async fn replayed(
    state: &ProviderState,
    grant_id: &str,
    caller: &Authenticated,
    now: i64,
) -> OAuthError {
    match state
        .tokens
        .revocations
        .revoke_grant(&state.store, grant_id, "code_replay", now)
        .await
    {
        Ok(true) => {
            tracing::warn!(event = "code_replay", grant = %grant_id, client = %caller.client.id, "authorization code reused; grant revoked")
        }
        Ok(false) => {}
        Err(e) => return e.into(),
    }
    OAuthError::InvalidGrant("Invalid authorization code".into())
}

async fn refresh_token(
    state: &ProviderState,
    caller: &Authenticated,
    params: &Params,
) -> Result<TokenResponse, OAuthError> {
    let presented = required(params, "refresh_token")?;
    let now = state.clock.now_for(caller.client.id.as_str());
    let hash = digest(presented);
    let invalid = || OAuthError::InvalidGrant("Invalid refresh token".into());
    // The usual case (rotate, same scopes) reads and rotates in one round
    // trip (issue 16); the store rotates only if the checks below pass.
    let (next, record, rotated) = match caller.client.refresh_policy {
        RefreshPolicy::Rotate if params.get("scope").is_none() => {
            let next = Secret::generate(32);
            let (record, rotated) = state
                .store
                .refresh_and_rotate(&hash, &digest(next.expose()), &caller.client.id, now)
                .await?
                .ok_or_else(invalid)?;
            (Some(next), record, Some(rotated))
        }
        _ => {
            let record = state
                .store
                .refresh_token(&hash)
                .await?
                .ok_or_else(invalid)?;
            (None, record, None)
        }
    };
    let grant = &record.grant;
    if grant.client_id != caller.client.id {
        return Err(invalid());
    }
    if grant.revoked_at.is_some() {
        return Err(OAuthError::InvalidGrant("Refresh token revoked".into()));
    }
    if grant.expires_at <= now {
        return Err(OAuthError::InvalidGrant("Refresh token expired".into()));
    }
    let scopes = match params.get("scope") {
        None => grant.scopes.clone(),
        Some(s) => {
            let asked = Scopes::parse(s).map_err(|e| OAuthError::InvalidScope(e.to_string()))?;
            if !asked.is_subset(&grant.scopes) {
                return Err(OAuthError::InvalidScope(
                    "a refresh may only keep or narrow the original scopes".into(),
                ));
            }
            asked
        }
    };
    let client = &caller.client;
    let next = match client.refresh_policy {
        RefreshPolicy::Reuse => Secret::new(presented),
        RefreshPolicy::Rotate => {
            let next = next.unwrap_or_else(|| Secret::generate(32));
            let next_hash = digest(next.expose());
            let won = match rotated {
                Some(won) => won,
                None => {
                    state
                        .store
                        .rotate_refresh_token(&hash, &next_hash, &grant.id, now)
                        .await?
                }
            };
            if !won {
                let rotated_at = state
                    .store
                    .refresh_token(&hash)
                    .await?
                    .and_then(|r| r.rotated_at)
                    .unwrap_or(i64::MIN / 2);
                let in_grace = client.refresh_grace_seconds > 0
                    && now - rotated_at <= client.refresh_grace_seconds;
                if !in_grace {
                    state
                        .tokens
                        .revocations
                        .revoke_grant(&state.store, &grant.id, "refresh_token_reuse", now)
                        .await?;
                    tracing::warn!(event = "refresh_reuse", grant = %grant.id, client = %client.id, "retired refresh token reused; grant revoked");
                    return Err(OAuthError::InvalidGrant("Refresh token revoked".into()));
                }
                // Within the grace window: the client probably lost our answer.
                state
                    .store
                    .add_refresh_token(&next_hash, &grant.id, now)
                    .await?;
            }
            next
        }
    };
    user_tokens(state, client, grant, &scopes, Some(next)).await
}

fn client_credentials(
    state: &ProviderState,
    caller: &Authenticated,
    params: &Params,
) -> Result<TokenResponse, OAuthError> {
    if !caller.confidential {
        return Err(OAuthError::UnauthorizedClient(
            "public clients may not use client_credentials".into(),
        ));
    }
    let scopes = Scopes::parse(params.get("scope").unwrap_or(""))
        .map_err(|e| OAuthError::InvalidScope(e.to_string()))?;
    if !scopes.is_subset(&caller.client.scopes) {
        return Err(OAuthError::InvalidScope(
            "the client may not request one of these scopes".into(),
        ));
    }
    let client = &caller.client;
    let ttl = client.access_token_ttl;
    let scope = scopes.to_string();
    let (access_token, _) =
        state
            .tokens
            .mint(client.id.as_str(), client.id.as_str(), &scope, None, ttl)?;
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: Some(ExpiresIn::Seconds(ttl)),
        refresh_token: None,
        scope: (!scope.is_empty()).then_some(scope),
        issued_for: None,
    })
}

async fn user_tokens(
    state: &ProviderState,
    client: &Client,
    grant: &Grant,
    scopes: &Scopes,
    refresh: Option<Secret>,
) -> Result<TokenResponse, OAuthError> {
    use crate::faults::ExpiresInForm;
    let shape = state.faults.token_shape(&client.id, &grant.user_id).await?;
    let ttl = shape.lifetime.unwrap_or(client.access_token_ttl);
    let scope = scopes.to_string();
    let (access_token, _) = state.tokens.mint(
        grant.user_id.as_str(),
        client.id.as_str(),
        &scope,
        Some(&grant.id),
        ttl,
    )?;
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: match shape.expires_in {
            ExpiresInForm::Number => Some(ExpiresIn::Seconds(ttl)),
            ExpiresInForm::Text => Some(ExpiresIn::Text(ttl.to_string())),
            ExpiresInForm::Omitted => None,
        },
        refresh_token: refresh
            .filter(|_| !shape.omit_refresh_token)
            .map(|r| r.expose().to_owned()),
        scope: Some(scope),
        issued_for: Some((grant.id.clone(), grant.user_id.to_string())),
    })
}

/// BASE64URL-NOPAD(SHA256(verifier)) (RFC 7636 §4.2).
pub fn pkce_s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_appendix_b_vector() {
        assert_eq!(
            pkce_s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }
}
