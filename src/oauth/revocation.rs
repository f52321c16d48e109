//! What verification knows about revocation, without a database round trip
//! per request.
//!
//! A token is checked against its grant (`gid`) and its own `jti`. Answers
//! are cached: "revoked" forever (revocation is final), "live" for at most
//! `LIVE_TTL`, so a revocation made by another instance (or the CLI) is seen
//! within a second, and one made by this instance at once.

use crate::store::{Store, StoreError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a "not revoked" answer may be reused.
const LIVE_TTL: Duration = Duration::from_millis(900);
/// Entries kept before the cache starts over (bounds memory under load).
const MAX_ENTRIES: usize = 100_000;

#[derive(Clone, Copy)]
enum Entry {
    Revoked,
    Live(Instant),
}

/// One map of answers (grants, or jtis), keyed by the bare id so a lookup
/// allocates nothing.
#[derive(Clone, Default)]
struct Answers(Arc<Mutex<HashMap<String, Entry>>>);

impl Answers {
    fn lookup(&self, key: &str) -> Option<bool> {
        match self.0.lock().expect("revocation cache poisoned").get(key) {
            Some(Entry::Revoked) => Some(true),
            Some(Entry::Live(at)) if at.elapsed() < LIVE_TTL => Some(false),
            _ => None,
        }
    }

    fn remember(&self, key: &str, revoked: bool) {
        let mut map = self.0.lock().expect("revocation cache poisoned");
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        // A late "live" answer (read before a concurrent revocation on this
        // instance) must never overwrite "revoked".
        if revoked {
            map.insert(key.to_owned(), Entry::Revoked);
        } else {
            match map.get_mut(key) {
                Some(Entry::Revoked) => {}
                Some(live) => *live = Entry::Live(Instant::now()),
                None => {
                    map.insert(key.to_owned(), Entry::Live(Instant::now()));
                }
            }
        }
    }
}

#[derive(Clone, Default)]
pub struct RevocationCache {
    grants: Answers,
    jtis: Answers,
}

impl RevocationCache {
    /// True if the grant is revoked, expired out of existence, or deleted.
    pub async fn grant_revoked(&self, store: &Store, grant_id: &str) -> Result<bool, StoreError> {
        if let Some(hit) = self.grants.lookup(grant_id) {
            return Ok(hit);
        }
        let revoked = !matches!(store.grant(grant_id).await?, Some(g) if g.revoked_at.is_none());
        self.grants.remember(grant_id, revoked);
        Ok(revoked)
    }

    pub async fn jti_revoked(&self, store: &Store, jti: &str) -> Result<bool, StoreError> {
        if let Some(hit) = self.jtis.lookup(jti) {
            return Ok(hit);
        }
        let revoked = store.is_jti_revoked(jti).await?;
        self.jtis.remember(jti, revoked);
        Ok(revoked)
    }

    /// Revokes a grant in the database and in this instance's view at once.
    pub async fn revoke_grant(
        &self,
        store: &Store,
        grant_id: &str,
        reason: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let changed = store.revoke_grant(grant_id, reason, now).await?;
        self.grants.remember(grant_id, true);
        Ok(changed)
    }

    /// Revokes one access token in the database and in this instance's view.
    pub async fn revoke_jti(
        &self,
        store: &Store,
        jti: &str,
        expires_at: i64,
        now: i64,
    ) -> Result<(), StoreError> {
        store.revoke_jti(jti, expires_at, now).await?;
        self.jtis.remember(jti, true);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_late_live_answer_never_overwrites_revoked() {
        let cache = Answers::default();
        cache.remember("1", true);
        cache.remember("1", false);
        assert_eq!(cache.lookup("1"), Some(true));
        cache.remember("2", false);
        assert_eq!(cache.lookup("2"), Some(false));
        cache.remember("2", true);
        assert_eq!(cache.lookup("2"), Some(true));
    }
}
