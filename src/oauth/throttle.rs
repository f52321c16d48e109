//! Brute-force protection for logins and client authentication (RFC 6749
//! §10.10). Failures are counted in the database per account-and-address and
//! per address over a sliding window, so every instance agrees and a lock
//! always ends: an attacker can slow one address down, never lock a user out
//! for good.

use crate::clock::Clock;
use crate::store::{Store, StoreError};
use std::net::IpAddr;

/// The window failures are counted over.
pub const WINDOW_SECONDS: i64 = 15 * 60;
/// Failed logins allowed per account and address within the window.
pub const LOGIN_FAILURES_PER_ACCOUNT: i64 = 5;
/// Failed logins allowed per account from all addresses together (slows a
/// distributed guesser; the window still ends, so no lock is permanent).
pub const LOGIN_FAILURES_PER_ACCOUNT_ANY_ADDRESS: i64 = 20;
/// Failures (logins and client authentications) allowed per address.
pub const FAILURES_PER_ADDRESS: i64 = 50;
/// Failed client authentications allowed per client and address.
pub const CLIENT_FAILURES: i64 = 10;

/// The keys one attempt is counted under, each with its limit.
pub struct Attempt {
    keys: Vec<(String, i64)>,
}

impl Attempt {
    pub fn login(user: &str, addr: Option<IpAddr>) -> Self {
        let ip = addr.map_or_else(|| "unknown".to_owned(), |a| a.to_string());
        Self {
            keys: vec![
                (format!("login:{user}@{ip}"), LOGIN_FAILURES_PER_ACCOUNT),
                (
                    format!("login:{user}"),
                    LOGIN_FAILURES_PER_ACCOUNT_ANY_ADDRESS,
                ),
                (format!("ip:{ip}"), FAILURES_PER_ADDRESS),
            ],
        }
    }

    pub fn client(client_id: &str, addr: Option<IpAddr>) -> Self {
        let ip = addr.map_or_else(|| "unknown".to_owned(), |a| a.to_string());
        Self {
            keys: vec![
                (format!("client:{client_id}@{ip}"), CLIENT_FAILURES),
                (format!("ip:{ip}"), FAILURES_PER_ADDRESS),
            ],
        }
    }

    /// `Some(seconds to wait)` while any of this attempt's limits is reached.
    pub async fn blocked_for(
        &self,
        store: &Store,
        clock: &Clock,
    ) -> Result<Option<i64>, StoreError> {
        let now = clock.now();
        let mut wait = None;
        for (key, limit) in &self.keys {
            let (count, oldest) = store.failures_since(key, now - WINDOW_SECONDS).await?;
            if count >= *limit {
                let until = oldest.unwrap_or(now) + WINDOW_SECONDS;
                wait = Some(wait.unwrap_or(0).max(until - now).max(1));
            }
        }
        Ok(wait)
    }

    /// Records a failure after re-checking the limits under a per-key lock,
    /// so parallel attempts cannot all slip in before the first failure is
    /// written: once the limit is reached, every further attempt answers
    /// "blocked", whatever its outcome. `Some(wait)` if this one is refused.
    pub async fn failed(&self, store: &Store, clock: &Clock) -> Result<Option<i64>, StoreError> {
        let _turn = self.lock().await;
        if let Some(wait) = self.blocked_for(store, clock).await? {
            return Ok(Some(wait));
        }
        let keys: Vec<String> = self.keys.iter().map(|(k, _)| k.clone()).collect();
        store
            .record_failures(&keys, clock.now(), WINDOW_SECONDS)
            .await?;
        Ok(None)
    }

    /// A success, checked against the limits under the same lock (a right
    /// password after the limit is still refused); it then forgets the
    /// account-and-address failures. `Some(wait)` if refused.
    pub async fn succeeded(&self, store: &Store, clock: &Clock) -> Result<Option<i64>, StoreError> {
        let _turn = self.lock().await;
        if let Some(wait) = self.blocked_for(store, clock).await? {
            return Ok(Some(wait));
        }
        store.clear_failures(&self.keys[0].0).await?;
        Ok(None)
    }

    /// Serialises attempts on this attempt's first key within this process.
    async fn lock(&self) -> tokio::sync::OwnedMutexGuard<()> {
        use std::collections::HashMap;
        use std::sync::{Arc, LazyLock, Mutex, Weak};
        type Locks = Mutex<HashMap<String, Weak<tokio::sync::Mutex<()>>>>;
        static LOCKS: LazyLock<Locks> = LazyLock::new(Default::default);
        let lock = {
            let mut map = LOCKS.lock().expect("throttle locks poisoned");
            if map.len() > 10_000 {
                map.retain(|_, w| w.strong_count() > 0);
            }
            let key = &self.keys[0].0;
            match map.get(key).and_then(Weak::upgrade) {
                Some(l) => l,
                None => {
                    let l = Arc::new(tokio::sync::Mutex::new(()));
                    map.insert(key.clone(), Arc::downgrade(&l));
                    l
                }
            }
        };
        lock.lock_owned().await
    }
}
