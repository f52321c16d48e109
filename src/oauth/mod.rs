//! Tokens and credentials, shared by the roles that issue or accept them (the
//! provider issues, the api accepts, the toolbox mints) and owned by none:
//! signing keys (`keys`), RFC 9068 access tokens (`access_token`) with the
//! caches that keep verification off the database (`verified`,
//! `revocation`), password hashing (`password`), HTTP Basic client
//! credentials (`basic`) and brute-force limits (`throttle`).

pub mod access_token;
pub mod basic;
pub mod keys;
pub mod password;
pub mod revocation;
pub mod throttle;
pub mod verified;

use crate::clock::Clock;
use crate::store::Store;
use keys::KeyRing;
use revocation::RevocationCache;
use std::sync::Arc;
use verified::VerifiedCache;

/// Issues and verifies access tokens. Cheap to clone: every part is shared.
#[derive(Clone)]
pub struct Tokens {
    pub keys: KeyRing,
    pub store: Store,
    pub clock: Clock,
    /// What verification knows about revoked grants and tokens.
    pub revocations: RevocationCache,
    /// Tokens whose signature was already checked.
    pub verified: VerifiedCache,
    /// `iss` of issued tokens, and what verification requires.
    issuer: Arc<str>,
    /// `aud` of issued tokens, and what verification requires.
    audience: Arc<str>,
}

impl Tokens {
    pub fn new(keys: KeyRing, store: Store, clock: Clock, issuer: &str, audience: &str) -> Self {
        Self {
            keys,
            store,
            clock,
            revocations: Default::default(),
            verified: Default::default(),
            issuer: issuer.into(),
            audience: audience.into(),
        }
    }

    /// The issuer: the server's public base URL.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }
}
