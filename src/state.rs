//! What every handler shares.

use crate::alexa::AlexaRuntime;
use crate::clock::Clock;
use crate::config::Settings;
use crate::provider::keys::KeyRing;
use crate::provider::revocation::RevocationCache;
use crate::provider::verified::VerifiedCache;
use crate::skill::SkillRuntime;
use crate::store::Store;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub store: Store,
    pub keys: KeyRing,
    pub clock: Clock,
    pub revocations: RevocationCache,
    /// Signs the anonymous CSRF cookie of the login form.
    pub csrf_key: crate::provider::session::CsrfKey,
    /// Access tokens whose signature was already checked (see `provider::verified`).
    pub verified: VerifiedCache,
    /// This instance's cached view of the active scenarios (admin toolbox).
    pub scenarios: crate::admin::scenarios::ScenarioCache,
    /// Prometheus counters and histograms served at /metrics.
    pub metrics: crate::metrics::Metrics,
    /// The flow inspector's queue to its background writer.
    pub inspector: crate::inspector::Inspector,
    /// The bundled skill's verifier (with its certificate cache) and api client.
    pub skill: SkillRuntime,
    /// The Alexa simulator's HTTP client, refresh lock and interaction model.
    pub alexa: AlexaRuntime,
}

impl AppState {
    pub fn issuer(&self) -> String {
        self.settings.issuer()
    }
}
