//! What every handler shares.

use crate::clock::Clock;
use crate::config::Settings;
use crate::provider::keys::KeyRing;
use crate::provider::revocation::RevocationCache;
use crate::store::Store;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub store: Store,
    pub keys: KeyRing,
    pub clock: Clock,
    pub revocations: RevocationCache,
}

impl AppState {
    pub fn issuer(&self) -> String {
        self.settings.issuer()
    }
}
