//! Bearer-token authentication for /v1 (RFC 6750, header only) and the scope
//! and user checks handlers ask for.

use super::error::ApiError;
use crate::api::ApiState;
use crate::domain::Username;
use crate::oauth::access_token::{AccessClaims, VerifyError};
use actix_web::dev::Payload;
use actix_web::{http::header, web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;

/// A verified access token.
#[derive(Debug, Clone)]
pub struct Bearer(pub AccessClaims);

impl Bearer {
    /// Fails with 403 unless the token carries `scope`.
    pub fn require(&self, scope: &'static str) -> Result<(), ApiError> {
        if self.0.has_scope(scope) {
            Ok(())
        } else {
            Err(ApiError::InsufficientScope(scope))
        }
    }

    /// Fails with 403 unless the token carries at least one of `scopes`.
    pub fn require_any(&self, scopes: &[&'static str]) -> Result<(), ApiError> {
        match scopes.iter().find(|s| self.0.has_scope(s)) {
            Some(_) => Ok(()),
            None => Err(ApiError::InsufficientScope(
                scopes.first().copied().unwrap_or(""),
            )),
        }
    }

    pub fn has(&self, scope: &str) -> bool {
        self.0.has_scope(scope)
    }

    /// The user behind a user token. Client-credentials tokens have none:
    /// like Spotify, /v1/me and everything under it answer them 401.
    pub fn user(&self) -> Result<Username, ApiError> {
        if !self.0.is_user_token() {
            return Err(ApiError::UserRequired);
        }
        Username::parse(&self.0.sub).map_err(|_| ApiError::InvalidToken)
    }

    /// The user, if this is a user token (catalog endpoints accept both).
    pub fn user_opt(&self) -> Option<Username> {
        self.user().ok()
    }

    /// For the calls Spotify withdrew from development-mode apps in February
    /// 2026: 403 with Spotify's body unless the token's client has extended
    /// quota (a client setting, `extended_quota`).
    pub async fn require_extended_quota(&self, state: &ApiState) -> Result<(), ApiError> {
        let client = match crate::domain::ClientId::parse(&self.0.client_id) {
            Ok(id) => state.store.client(&id).await?,
            Err(_) => None,
        };
        match client {
            Some(c) if c.extended_quota => Ok(()),
            _ => Err(ApiError::Forbidden("Forbidden".into())),
        }
    }
}

impl FromRequest for Bearer {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<ApiState>>().cloned();
        let token = extract_token(req);
        let path = req.path().to_owned();
        let req = req.clone();
        Box::pin(async move {
            let token = token?;
            let state = state.ok_or(ApiError::InvalidToken)?;
            let claims = match authenticate(&state, &token).await {
                Ok(c) => c,
                Err(e) => {
                    note_rejected(&req, &state, &token, &e).await;
                    return Err(e);
                }
            };
            note_claims(&req, &claims);
            scripted_fault(&state, &path, &claims).await?;
            Ok(Bearer(claims))
        })
    }
}

/// Tells the flow inspector whose token this is.
fn note_claims(req: &HttpRequest, claims: &AccessClaims) {
    crate::inspector::note(req, |n| {
        n.client_id = Some(claims.client_id.clone());
        n.grant = claims.gid.clone();
        n.user = claims.is_user_token().then(|| claims.sub.clone());
    });
}

/// An expired or revoked token still has a good signature: its claims put
/// the refusal into the story of its grant ("GET /v1/me → 401 expired").
/// Only while the inspector records; a forged token tells nothing.
async fn note_rejected(req: &HttpRequest, state: &ApiState, token: &str, e: &ApiError) {
    if !matches!(e, ApiError::ExpiredToken | ApiError::InvalidToken)
        || !crate::inspector::is_recording(req)
    {
        return;
    }
    if let Ok(claims) = state.tokens.verify_signature(token).await {
        note_claims(req, &claims);
    }
}

/// Reads the token from the Authorization header. A token in the query
/// string is never accepted (RFC 9700 §4.3.2): alone it counts as no token,
/// next to a header it is a malformed request.
pub fn extract_token(req: &HttpRequest) -> Result<String, ApiError> {
    let in_query =
        form_urlencoded::parse(req.query_string().as_bytes()).any(|(k, _)| k == "access_token");
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Err(ApiError::NoToken);
    };
    if in_query {
        return Err(ApiError::TwoMethods);
    }
    let value = visible_ascii(value.as_bytes()).ok_or(ApiError::NotBearer)?;
    let (scheme, token) = value.split_once(' ').ok_or(ApiError::NotBearer)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(ApiError::NotBearer);
    }
    let token = token.trim();
    if token.is_empty() {
        return Err(ApiError::InvalidToken);
    }
    Ok(token.to_owned())
}

/// `HeaderValue::to_str` without its byte-at-a-time loop, 8% of the
/// instructions of a cached `/v1/me` for an 800-byte token (issue 8): the
/// same rule (visible ASCII or tab), checked without early exit so that it
/// vectorises.
fn visible_ascii(bytes: &[u8]) -> Option<&str> {
    let ok = bytes.iter().fold(true, |ok, &b| {
        ok & ((b.wrapping_sub(32) < 95) | (b == b'\t'))
    });
    if ok {
        std::str::from_utf8(bytes).ok()
    } else {
        None
    }
}

/// The admin scenarios' hook: a scripted failure for this path, if any.
async fn scripted_fault(
    state: &ApiState,
    path: &str,
    claims: &AccessClaims,
) -> Result<(), ApiError> {
    let user = claims.is_user_token().then_some(claims.sub.as_str());
    state
        .faults
        .api_delay(path, &claims.client_id, user)
        .await?;
    match state
        .faults
        .api_fault(path, &claims.client_id, user)
        .await?
    {
        Some(f) => Err(ApiError::Scripted {
            status: actix_web::http::StatusCode::from_u16(f.status)
                .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR),
            retry_after: f.retry_after,
        }),
        None => Ok(()),
    }
}

/// The one place the api verifies tokens (the provider owns the rules:
/// signature, pinned algorithm, iss, aud, exp, revocation).
pub async fn authenticate(state: &ApiState, token: &str) -> Result<AccessClaims, ApiError> {
    state.tokens.verify(token).await.map_err(|e| match e {
        VerifyError::Invalid | VerifyError::Revoked => ApiError::InvalidToken,
        VerifyError::Expired => ApiError::ExpiredToken,
        VerifyError::Store(s) => ApiError::Unavailable(s),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderValue;

    #[test]
    fn visible_ascii_agrees_with_header_value_to_str() {
        let mut samples: Vec<Vec<u8>> = vec![
            b"Bearer abc.def-ghi_jkl~".to_vec(),
            b"Bearer\tx".to_vec(),
            Vec::new(),
        ];
        for b in 0u8..=255 {
            samples.push(vec![b'a', b, b'z']);
        }
        for bytes in samples {
            let Ok(value) = HeaderValue::from_bytes(&bytes) else {
                continue;
            };
            assert_eq!(
                visible_ascii(value.as_bytes()),
                value.to_str().ok(),
                "{bytes:?}"
            );
        }
    }
}
