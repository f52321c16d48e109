//! Client authentication at the token, revocation and introspection
//! endpoints: HTTP Basic or `client_id`/`client_secret` in the body (both of
//! Alexa's "authentication schemes"), never both; public clients present only
//! their `client_id` (RFC 6749 §2.3.1, RFC 9700 §2.5).

use super::error::OAuthError;
use super::params::Params;
use crate::domain::ClientId;
use crate::oauth::basic::decode_basic;
use crate::oauth::throttle;
use crate::provider::ProviderState;
use crate::store::{digest, Client};
use actix_web::http::header::{HeaderMap, AUTHORIZATION};
use std::net::IpAddr;
use subtle::ConstantTimeEq;

/// Credentials as presented, before they are checked.
#[derive(Debug, PartialEq, Eq)]
pub enum Presented {
    Basic { id: String, secret: String },
    Body { id: String, secret: Option<String> },
    Nothing,
}

/// Reads the credentials from the Authorization header and the body.
pub fn presented(headers: &HeaderMap, params: &Params) -> Result<Presented, OAuthError> {
    if params.is_repeated("client_id") || params.is_repeated("client_secret") {
        return Err(OAuthError::InvalidRequest(
            "client credentials were sent more than once".into(),
        ));
    }
    let body_id = params.get("client_id");
    let body_secret = params.get("client_secret");
    let Some(value) = headers.get(AUTHORIZATION) else {
        return Ok(match body_id {
            Some(id) => Presented::Body {
                id: id.to_owned(),
                secret: body_secret.map(str::to_owned),
            },
            None if body_secret.is_some() => {
                return Err(OAuthError::InvalidRequest(
                    "client_secret was sent without client_id".into(),
                ))
            }
            None => Presented::Nothing,
        });
    };
    let (id, secret) = decode_basic(value.to_str().unwrap_or(""))
        .ok_or_else(|| OAuthError::InvalidClient("Malformed HTTP Basic credentials".into()))?;
    if body_secret.is_some() {
        return Err(OAuthError::InvalidRequest(
            "use one client authentication method: HTTP Basic or client_secret in the body, not both".into(),
        ));
    }
    if body_id.is_some_and(|b| b != id) {
        return Err(OAuthError::InvalidClient(
            "client_id in the body differs from the HTTP Basic one".into(),
        ));
    }
    Ok(Presented::Basic { id, secret })
}

/// Who is calling, after authentication.
pub struct Authenticated {
    pub client: Client,
    /// False for a public client identified only by its id.
    pub confidential: bool,
}

/// Authenticates the caller. `allow_public`: a public client may identify
/// itself by `client_id` alone (token endpoint with PKCE).
pub async fn authenticate(
    state: &ProviderState,
    presented: Presented,
    allow_public: bool,
    peer: Option<IpAddr>,
) -> Result<Authenticated, OAuthError> {
    let (id, secret) = match presented {
        Presented::Basic { id, secret } => (id, Some(secret)),
        Presented::Body { id, secret } => (id, secret),
        Presented::Nothing => {
            return Err(OAuthError::InvalidClient(
                "Client authentication is required".into(),
            ))
        }
    };
    let attempt = throttle::Attempt::client(&id, peer);
    if let Some(wait) = attempt.blocked_for(&state.store, &state.clock).await? {
        return Err(OAuthError::TooManyAttempts(wait));
    }
    let result = check(state, &id, secret, allow_public).await;
    if let Err(OAuthError::InvalidClient(_)) = &result {
        if let Some(wait) = attempt.failed(&state.store, &state.clock).await? {
            return Err(OAuthError::TooManyAttempts(wait));
        }
    }
    result
}

async fn check(
    state: &ProviderState,
    id: &str,
    secret: Option<String>,
    allow_public: bool,
) -> Result<Authenticated, OAuthError> {
    let unknown = || OAuthError::InvalidClient("Invalid client".into());
    let client = match ClientId::parse(id) {
        Ok(id) => state.store.client(&id).await?.ok_or_else(unknown)?,
        Err(_) => return Err(unknown()),
    };
    match (&client.secret_hash, secret) {
        (Some(stored), Some(given)) => {
            if bool::from(stored.as_bytes().ct_eq(digest(&given).as_bytes())) {
                Ok(Authenticated {
                    client,
                    confidential: true,
                })
            } else {
                Err(OAuthError::InvalidClient("Invalid client secret".into()))
            }
        }
        (Some(_), None) => Err(OAuthError::InvalidClient("Invalid client secret".into())),
        (None, None) if allow_public => Ok(Authenticated {
            client,
            confidential: false,
        }),
        (None, None) => Err(OAuthError::InvalidClient(
            "This endpoint requires a confidential client".into(),
        )),
        (None, Some(_)) => Err(OAuthError::InvalidClient(
            "This is a public client; it has no secret".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;

    #[test]
    fn both_methods_at_once_is_invalid_request() {
        let mut h = HeaderMap::new();
        h.insert(
            AUTHORIZATION,
            format!("Basic {}", STANDARD.encode("a:b")).parse().unwrap(),
        );
        let p = Params::parse(b"client_secret=b").unwrap();
        assert!(matches!(
            presented(&h, &p),
            Err(OAuthError::InvalidRequest(_))
        ));
        let p = Params::parse(b"client_id=a").unwrap();
        assert!(matches!(presented(&h, &p), Ok(Presented::Basic { .. })));
        let p = Params::parse(b"client_id=other").unwrap();
        assert!(matches!(
            presented(&h, &p),
            Err(OAuthError::InvalidClient(_))
        ));
    }
}
