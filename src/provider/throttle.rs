//! Brute-force protection for logins and client authentication (RFC 6749
//! §10.10). Failures are counted in the database per account-and-address and
//! per address over a sliding window, so every instance agrees and a lock
//! always ends: an attacker can slow one address down, never lock a user out
//! for good.

use crate::state::AppState;
use crate::store::StoreError;
use std::net::IpAddr;

/// The window failures are counted over.
pub const WINDOW_SECONDS: i64 = 15 * 60;
/// Failed logins allowed per account and address within the window.
pub const LOGIN_FAILURES_PER_ACCOUNT: i64 = 5;
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
    pub async fn blocked_for(&self, state: &AppState) -> Result<Option<i64>, StoreError> {
        let now = state.clock.now();
        let mut wait = None;
        for (key, limit) in &self.keys {
            let (count, oldest) = state
                .store
                .failures_since(key, now - WINDOW_SECONDS)
                .await?;
            if count >= *limit {
                let until = oldest.unwrap_or(now) + WINDOW_SECONDS;
                wait = Some(wait.unwrap_or(0).max(until - now).max(1));
            }
        }
        Ok(wait)
    }

    pub async fn failed(&self, state: &AppState) -> Result<(), StoreError> {
        let keys: Vec<String> = self.keys.iter().map(|(k, _)| k.clone()).collect();
        state
            .store
            .record_failures(&keys, state.clock.now(), WINDOW_SECONDS)
            .await
    }

    /// A success forgets the account's failures (not the address's).
    pub async fn succeeded(&self, state: &AppState) -> Result<(), StoreError> {
        state.store.clear_failures(&self.keys[0].0).await
    }
}

/// The address a request comes from: the TCP peer, or the first
/// `X-Forwarded-For`/`Forwarded` entry when the operator trusts their proxy.
pub fn client_ip(req: &actix_web::HttpRequest, state: &AppState) -> Option<IpAddr> {
    if state.settings.trust_forwarded_headers {
        let info = req.connection_info();
        if let Some(ip) = info.realip_remote_addr().and_then(parse_host) {
            return Some(ip);
        }
    }
    req.peer_addr().map(|a| a.ip())
}

/// `1.2.3.4`, `1.2.3.4:5678`, `[::1]:5678` or `::1` as an address.
fn parse_host(s: &str) -> Option<IpAddr> {
    s.parse::<IpAddr>()
        .ok()
        .or_else(|| s.parse::<std::net::SocketAddr>().ok().map(|a| a.ip()))
}
