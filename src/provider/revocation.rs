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

#[derive(Clone, Default)]
pub struct RevocationCache {
    entries: Arc<Mutex<HashMap<String, Entry>>>,
}

impl RevocationCache {
    fn lookup(&self, key: &str) -> Option<bool> {
        match self
            .entries
            .lock()
            .expect("revocation cache poisoned")
            .get(key)
        {
            Some(Entry::Revoked) => Some(true),
            Some(Entry::Live(at)) if at.elapsed() < LIVE_TTL => Some(false),
            _ => None,
        }
    }

    fn remember(&self, key: String, revoked: bool) {
        let mut map = self.entries.lock().expect("revocation cache poisoned");
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        // A late "live" answer (read before a concurrent revocation on this
        // instance) must never overwrite "revoked".
        if revoked {
            map.insert(key, Entry::Revoked);
        } else if !matches!(map.get(&key), Some(Entry::Revoked)) {
            map.insert(key, Entry::Live(Instant::now()));
        }
    }

    /// True if the grant is revoked, expired out of existence, or deleted.
    pub async fn grant_revoked(&self, store: &Store, grant_id: &str) -> Result<bool, StoreError> {
        let key = format!("g:{grant_id}");
        if let Some(hit) = self.lookup(&key) {
            return Ok(hit);
        }
        let revoked = !matches!(store.grant(grant_id).await?, Some(g) if g.revoked_at.is_none());
        self.remember(key, revoked);
        Ok(revoked)
    }

    pub async fn jti_revoked(&self, store: &Store, jti: &str) -> Result<bool, StoreError> {
        let key = format!("j:{jti}");
        if let Some(hit) = self.lookup(&key) {
            return Ok(hit);
        }
        let revoked = store.is_jti_revoked(jti).await?;
        self.remember(key, revoked);
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
        self.remember(format!("g:{grant_id}"), true);
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
        self.remember(format!("j:{jti}"), true);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_late_live_answer_never_overwrites_revoked() {
        let cache = RevocationCache::default();
        cache.remember("g:1".into(), true);
        cache.remember("g:1".into(), false);
        assert_eq!(cache.lookup("g:1"), Some(true));
        cache.remember("g:2".into(), false);
        assert_eq!(cache.lookup("g:2"), Some(false));
        cache.remember("g:2".into(), true);
        assert_eq!(cache.lookup("g:2"), Some(true));
    }
}
