//! Access tokens whose signature and static claims were already checked, so a
//! client presenting the same token again (the api is called with one token
//! for up to an hour) does not pay an RS256 verification (~16–34 µs) per
//! request; that alone capped `GET /v1/me` near half the framework's rate on
//! two cores (issue 8).
//!
//! What is cached is only what cannot change for a given token string: its
//! signature by a key we hold, `typ`, `iss`, `aud`, and its claims. Expiry and
//! revocation are still checked on every request by the caller
//! (`tokens::verify`), revocation through the revocation cache, so a revoked
//! token stops working exactly as fast as before. A hit also requires the
//! token's key to still be in the key ring (a pruned key stops verifying).
//!
//! Entries are keyed by the SHA-256 of the token (never the token itself:
//! memory stays small, and a different token cannot collide into an entry),
//! dropped once the token has expired, and bounded in number.

use super::access_token::AccessClaims;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Shards, so the two to a few actix workers rarely wait on one lock.
const SHARDS: usize = 16;
/// Entries per shard; 16 × 1,024 tokens is about 10 MB at most.
const SHARD_CAPACITY: usize = 1024;

/// The cache key of a token: SHA-256 of the whole compact JWT.
pub type TokenKey = [u8; 32];

pub fn key_of(token: &str) -> TokenKey {
    // aws-lc's assembly (SHA-NI or AVX) rather than the sha2 crate: this runs
    // on every api request.
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes());
    let mut key = [0u8; 32];
    key.copy_from_slice(digest.as_ref());
    key
}

struct Entry {
    kid: Box<str>,
    /// Dropped after this instant (Unix seconds, the app's clock).
    until: i64,
    claims: AccessClaims,
}

#[derive(Clone)]
pub struct VerifiedCache {
    shards: Arc<[Mutex<HashMap<TokenKey, Entry>>; SHARDS]>,
}

impl Default for VerifiedCache {
    fn default() -> Self {
        Self {
            shards: Arc::new(std::array::from_fn(|_| Mutex::new(HashMap::new()))),
        }
    }
}

impl VerifiedCache {
    fn shard(&self, key: &TokenKey) -> &Mutex<HashMap<TokenKey, Entry>> {
        &self.shards[key[0] as usize % SHARDS]
    }

    /// The claims of a token verified before, if it has not expired by `now`
    /// and `key_known(kid)` still holds for the key that signed it.
    pub fn get(
        &self,
        key: &TokenKey,
        now: i64,
        key_known: impl FnOnce(&str) -> bool,
    ) -> Option<AccessClaims> {
        let mut shard = self.shard(key).lock().expect("verified cache poisoned");
        let entry = shard.get(key)?;
        if entry.until < now || !key_known(&entry.kid) {
            shard.remove(key);
            return None;
        }
        Some(entry.claims.clone())
    }

    /// Remembers a token whose signature and static claims were just checked,
    /// until `until` (its expiry plus the leeway). Expired tokens are not kept.
    pub fn insert(&self, key: TokenKey, kid: &str, claims: &AccessClaims, until: i64, now: i64) {
        if until < now {
            return;
        }
        let mut shard = self.shard(&key).lock().expect("verified cache poisoned");
        if shard.len() >= SHARD_CAPACITY && !shard.contains_key(&key) {
            shard.retain(|_, e| e.until >= now);
            // All live: drop an arbitrary eighth rather than rescanning on
            // every insert; those tokens are simply verified again.
            if shard.len() >= SHARD_CAPACITY {
                let victims: Vec<TokenKey> =
                    shard.keys().take(SHARD_CAPACITY / 8).copied().collect();
                for k in victims {
                    shard.remove(&k);
                }
            }
        }
        shard.insert(
            key,
            Entry {
                kid: kid.into(),
                until,
                claims: claims.clone(),
            },
        );
    }

    /// Number of cached tokens (for tests and diagnostics).
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().expect("verified cache poisoned").len())
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(jti: &str, exp: i64) -> AccessClaims {
        AccessClaims {
            iss: "http://issuer".into(),
            sub: "demo".into(),
            aud: "aud".into(),
            exp,
            iat: exp - 3600,
            jti: jti.into(),
            client_id: "c".into(),
            scope: String::new(),
            gid: Some("g".into()),
        }
    }

    #[test]
    fn a_hit_needs_an_unexpired_entry_and_a_known_key() {
        let cache = VerifiedCache::default();
        let key = key_of("token-a");
        cache.insert(key, "k1", &claims("a", 100), 110, 50);
        assert_eq!(cache.get(&key, 60, |_| true).unwrap().jti, "a");
        assert!(
            cache.get(&key_of("token-b"), 60, |_| true).is_none(),
            "another token misses"
        );
        assert!(
            cache.get(&key, 60, |kid| kid != "k1").is_none(),
            "a key no longer in the ring"
        );
        assert!(cache.is_empty(), "that entry is gone for good");
        cache.insert(key, "k1", &claims("a", 100), 110, 50);
        assert!(cache.get(&key, 111, |_| true).is_none(), "past its expiry");
        assert!(cache.is_empty());
        cache.insert(key, "k1", &claims("a", 100), 110, 111);
        assert!(cache.is_empty(), "an expired token is never stored");
    }

    #[test]
    fn the_cache_stays_bounded() {
        let cache = VerifiedCache::default();
        for i in 0..(SHARDS * SHARD_CAPACITY * 3) {
            let token = format!("token-{i}");
            cache.insert(key_of(&token), "k", &claims(&token, 1000), 1000, 0);
        }
        assert!(cache.len() <= SHARDS * SHARD_CAPACITY);
        assert!(cache.len() >= SHARDS * SHARD_CAPACITY / 2);
        // Expired entries go first when a shard fills up.
        let cache = VerifiedCache::default();
        for i in 0..(SHARDS * SHARD_CAPACITY) {
            cache.insert(key_of(&format!("old-{i}")), "k", &claims("o", 10), 10, 0);
        }
        let n = SHARDS * SHARD_CAPACITY * 7 / 8;
        for i in 0..n {
            cache.insert(key_of(&format!("new-{i}")), "k", &claims("n", 99), 99, 20);
        }
        let kept = (0..n)
            .filter(|i| {
                cache
                    .get(&key_of(&format!("new-{i}")), 20, |_| true)
                    .is_some()
            })
            .count();
        assert_eq!(kept, n, "only expired entries made room");
    }
}
