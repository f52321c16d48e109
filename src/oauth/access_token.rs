//! Access tokens: RFC 9068 JWTs, and their verification (signature with the
//! algorithm pinned per key, `typ`, `iss`, `aud`, `exp`, then revocation).

use super::keys::KeyError;
use super::Tokens;
use crate::store::StoreError;
use serde::{Deserialize, Serialize};

/// Seconds of clock skew tolerated on `exp`.
const LEEWAY_SECONDS: i64 = 10;

/// The claims of an access token (RFC 9068 §2.2) plus `gid`, the grant it
/// belongs to, so revoking the grant revokes the token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AccessClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    pub client_id: String,
    pub scope: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gid: Option<String>,
}

impl AccessClaims {
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scope.split(' ').any(|s| s == scope)
    }

    /// Client-credentials tokens have no user: their subject is the client.
    pub fn is_user_token(&self) -> bool {
        self.gid.is_some()
    }
}

impl Tokens {
    /// Signs a new access token; returns it with its claims.
    pub fn mint(
        &self,
        sub: &str,
        client_id: &str,
        scope: &str,
        grant_id: Option<&str>,
        ttl: i64,
    ) -> Result<(String, AccessClaims), KeyError> {
        // Issued in the client's time: a client whose clock was advanced gets
        // `iat`/`exp` that its own (shifted) verifications agree with.
        let now = self.clock.now_for(client_id);
        let claims = AccessClaims {
            iss: self.issuer.to_string(),
            sub: sub.to_owned(),
            aud: self.audience.to_string(),
            exp: now + ttl,
            iat: now,
            jti: uuid::Uuid::new_v4().simple().to_string(),
            client_id: client_id.to_owned(),
            scope: scope.to_owned(),
            gid: grant_id.map(str::to_owned),
        };
        Ok((self.keys.sign(&claims)?, claims))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("Invalid access token")]
    Invalid,
    #[error("The access token expired")]
    Expired,
    #[error("The access token was revoked")]
    Revoked,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Tokens {
    /// Verifies a token completely: signature, claims, expiry, revocation.
    pub async fn verify(&self, token: &str) -> Result<AccessClaims, VerifyError> {
        let claims = self.verify_signature(token).await?;
        if claims.exp + LEEWAY_SECONDS < self.clock.now_for(&claims.client_id) {
            return Err(VerifyError::Expired);
        }
        if self.is_revoked(&claims).await? {
            return Err(VerifyError::Revoked);
        }
        Ok(claims)
    }

    /// Checks signature and the static claims, but not expiry or revocation
    /// (revocation of an expired token still needs to know whose it is). A token
    /// that passed here before is answered from `self.verified` until it expires.
    pub async fn verify_signature(&self, token: &str) -> Result<AccessClaims, VerifyError> {
        if token.len() > 4096 {
            return Err(VerifyError::Invalid);
        }
        let now = self.clock.now();
        let cache_key = super::verified::key_of(token);
        if let Some(claims) = self
            .verified
            .get(&cache_key, now, |kid| self.keys.knows(kid))
        {
            return Ok(claims);
        }
        let header = jsonwebtoken::decode_header(token).map_err(|_| VerifyError::Invalid)?;
        let typ_ok = header.typ.as_deref().is_some_and(|t| {
            t.eq_ignore_ascii_case("at+jwt") || t.eq_ignore_ascii_case("application/at+jwt")
        });
        let kid = header
            .kid
            .as_deref()
            .filter(|_| typ_ok)
            .ok_or(VerifyError::Invalid)?;
        let key = match self.keys.decoding_key(kid) {
            Some(k) => k,
            None => {
                // Possibly a key another instance just created: look once more.
                self.keys
                    .reload_for_unknown_kid(&self.store)
                    .await
                    .map_err(|e| match e {
                        KeyError::Store(s) => VerifyError::Store(s),
                        _ => VerifyError::Invalid,
                    })?;
                self.keys.decoding_key(kid).ok_or(VerifyError::Invalid)?
            }
        };
        let (alg, decoding) = key;
        if header.alg != alg {
            return Err(VerifyError::Invalid);
        }
        let mut validation = jsonwebtoken::Validation::new(alg);
        validation.validate_exp = false;
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.set_issuer(&[&*self.issuer]);
        validation.set_audience(&[&*self.audience]);
        let claims = jsonwebtoken::decode::<AccessClaims>(token, &decoding, &validation)
            .map(|d| d.claims)
            .map_err(|_| VerifyError::Invalid)?;
        self.verified.insert(
            cache_key,
            kid,
            &claims,
            claims.exp.saturating_add(LEEWAY_SECONDS),
            now,
        );
        Ok(claims)
    }

    async fn is_revoked(&self, claims: &AccessClaims) -> Result<bool, StoreError> {
        let cache = &self.revocations;
        if let Some(gid) = &claims.gid {
            if cache.grant_revoked(&self.store, gid).await? {
                return Ok(true);
            }
        }
        cache.jti_revoked(&self.store, &claims.jti).await
    }
}
