//! Brute-force protection for logins and client authentication (RFC 6749
//! §10.10). Failures are counted in the database per account-and-address and
//! per address over a sliding window, so every instance agrees and a lock
//! always ends: an attacker can slow one address down, never lock a user out
//! for good. The limit is checked and the failure written in one database
//! transaction holding the keys' lock, so instances sharing the database
//! cannot together admit more than the limit.

use crate::clock::Clock;
use crate::store::{Store, StoreError, ThrottleStep};
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

/// Wrong admin passwords allowed per address.
pub const ADMIN_FAILURES: i64 = 10;

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

    /// Admin password guesses: per address, like client secrets.
    pub fn admin(addr: Option<IpAddr>) -> Self {
        let ip = addr.map_or_else(|| "unknown".to_owned(), |a| a.to_string());
        Self {
            keys: vec![
                (format!("admin@{ip}"), ADMIN_FAILURES),
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

    /// Records a failure, the limits re-checked in the same database
    /// transaction under the keys' lock (`Store::throttled_step`), so
    /// parallel attempts, on this instance or another, cannot all slip in
    /// before the first failure is written: once the limit is reached, every
    /// further attempt answers "blocked", whatever its outcome.
    /// `Some(wait)` if this one is refused.
    pub async fn failed(&self, store: &Store, clock: &Clock) -> Result<Option<i64>, StoreError> {
        self.step(store, clock, ThrottleStep::RecordFailure).await
    }

    /// A success, checked against the limits the same way (a right password
    /// after the limit is still refused); it then forgets the
    /// account-and-address failures. `Some(wait)` if refused.
    pub async fn succeeded(&self, store: &Store, clock: &Clock) -> Result<Option<i64>, StoreError> {
        self.step(store, clock, ThrottleStep::ClearFirst).await
    }

    async fn step(
        &self,
        store: &Store,
        clock: &Clock,
        step: ThrottleStep,
    ) -> Result<Option<i64>, StoreError> {
        let now = clock.now();
        Ok(store
            .throttled_step(&self.keys, step, now, WINDOW_SECONDS)
            .await?
            .map(|until| (until - now).max(1)))
    }
}
