//! Scenarios: scripted faults that make the provider and the api fail the
//! way real ones do, set per client (optionally per user), each ending after
//! a count of uses or at an expiry (virtual clock), or when cleared.
//!
//! Hot-path cost: every hook first reads the cached list of active scenarios
//! (refreshed from the database at most once per `CACHE_TTL`, invalidated
//! locally on every change). With no scenario set that is one mutex-guarded
//! lookup and an empty scan; a counted scenario that matches costs one
//! conditional `UPDATE ... WHERE remaining > 0`, so concurrent requests
//! (on any instance) never take more uses than were set.

use crate::clock::Clock;
use crate::domain::{ClientId, ScenarioKind as Kind, ScenarioSpec, Username};
use crate::store::{ScenarioRecord, Store, StoreError};

mod validate;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
pub use validate::validate;

/// How long the cached list may be reused: a change made by another
/// instance is seen within this time, one made here at once.
const CACHE_TTL: Duration = Duration::from_millis(900);
/// The longest scripted delay, and longest lifetime, a scenario may set.
const MAX_DELAY_MS: i64 = 60_000;
const MAX_SECONDS: i64 = 365 * 24 * 3600;

/// OAuth errors a `token_error` scenario may produce, with their default status.
const TOKEN_ERRORS: &[(&str, u16)] = &[
    ("invalid_grant", 400),
    ("invalid_client", 401),
    ("server_error", 500),
    ("temporarily_unavailable", 503),
];

/// Grant types a `token_error` or `token_delay` scenario may be narrowed to.
pub const GRANT_TYPES: &[&str] = &["authorization_code", "refresh_token", "client_credentials"];

/// Why a scenario was refused.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Unknown(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An api scenario's `path`: `/v1` or a prefix under it.
fn check_api_path(path: Option<&str>) -> Result<(), SpecError> {
    match path {
        Some(p) if !(p == "/v1" || p.starts_with("/v1/")) || p.len() > 200 => {
            Err(SpecError::Invalid(
                "path must be /v1 or start with /v1/ (a path prefix, e.g. /v1/me/player)".into(),
            ))
        }
        _ => Ok(()),
    }
}

/// Who and what a request is about, for matching.
#[derive(Default)]
struct Subject<'a> {
    client: Option<&'a str>,
    user: Option<&'a str>,
    path: Option<&'a str>,
    grant_type: Option<&'a str>,
}

fn matches(s: &ScenarioRecord, kind: Kind, who: &Subject<'_>, now: i64) -> bool {
    s.kind == kind.as_str()
        && s.expires_at.is_none_or(|e| e > now)
        && s.remaining.is_none_or(|r| r > 0)
        && s.client_id.as_deref().is_none_or(|c| who.client == Some(c))
        && s.user_id.as_deref().is_none_or(|u| who.user == Some(u))
        && s.grant_type
            .as_deref()
            .is_none_or(|g| who.grant_type == Some(g))
        && s.path.as_deref().is_none_or(|p| {
            who.path.is_some_and(|path| {
                path == p || path.starts_with(&format!("{}/", p.trim_end_matches('/')))
            })
        })
}

/// A scripted token-endpoint error: the provider answers it in RFC 6749's shape.
#[derive(Debug, Clone)]
pub struct ScriptedTokenError {
    pub status: u16,
    pub error: &'static str,
    pub description: String,
}

/// When the list was read, and the list.
type Snapshot = (Instant, Arc<Vec<ScenarioRecord>>);

/// How `expires_in` is written in a token response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExpiresInForm {
    #[default]
    Number,
    Text,
    Omitted,
}

/// Scripted changes to a successful user-token response.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokenShape {
    pub lifetime: Option<i64>,
    pub expires_in: ExpiresInForm,
    pub omit_refresh_token: bool,
}

/// A scripted api failure.
#[derive(Debug, Clone, Copy)]
pub struct ApiFault {
    pub status: u16,
    pub retry_after: Option<i64>,
}

/// The fault source the provider and the api ask "anything scripted for this
/// request?", over this instance's cached view of the active scenarios. Only
/// the toolbox writes scenarios (and then calls `invalidate`).
#[derive(Clone)]
pub struct Faults {
    store: Store,
    clock: Clock,
    loaded: Arc<Mutex<Option<Snapshot>>>,
}

impl Faults {
    pub fn new(store: Store, clock: Clock) -> Self {
        Self {
            store,
            clock,
            loaded: Default::default(),
        }
    }

    /// Forgets the cached list (after a change made here).
    pub fn invalidate(&self) {
        *self.loaded.lock().expect("scenario cache poisoned") = None;
    }

    async fn active(&self) -> Result<Arc<Vec<ScenarioRecord>>, StoreError> {
        if let Some((at, list)) = &*self.loaded.lock().expect("scenario cache poisoned") {
            if at.elapsed() < CACHE_TTL {
                return Ok(list.clone());
            }
        }
        let list = Arc::new(self.store.active_scenarios(self.clock.now()).await?);
        *self.loaded.lock().expect("scenario cache poisoned") =
            Some((Instant::now(), list.clone()));
        Ok(list)
    }

    /// The first matching scenario of `kind` that could be taken (a use
    /// consumed if it is counted).
    async fn take(
        &self,
        kind: Kind,
        who: Subject<'_>,
    ) -> Result<Option<ScenarioRecord>, StoreError> {
        let list = self.active().await?;
        if list.is_empty() {
            return Ok(None);
        }
        let now = self.clock.now();
        for s in list.iter().filter(|s| matches(s, kind, &who, now)) {
            if s.remaining.is_none() {
                return Ok(Some(s.clone()));
            }
            let taken = self.store.consume_scenario(&s.id).await?;
            self.invalidate();
            if taken {
                tracing::info!(event = "scenario", id = %s.id, kind = %s.kind, "scenario applied");
                return Ok(Some(s.clone()));
            }
        }
        Ok(None)
    }

    /// Hook at the token endpoint, once the client is authenticated: a scripted
    /// delay, then possibly a scripted error.
    pub async fn before_token(
        &self,
        client: &ClientId,
        grant_type: &str,
    ) -> Result<Option<ScriptedTokenError>, StoreError> {
        let who = || Subject {
            client: Some(client.as_str()),
            grant_type: Some(grant_type),
            ..Subject::default()
        };
        if let Some(s) = self.take(Kind::TokenDelay, who()).await? {
            let ms = s.delay_ms.unwrap_or(0).clamp(0, MAX_DELAY_MS) as u64;
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
        if let Some(s) = self.take(Kind::TokenError, who()).await? {
            let error = TOKEN_ERRORS
                .iter()
                .map(|(c, _)| *c)
                .chain(["invalid_request"])
                .find(|c| s.error.as_deref() == Some(*c))
                .unwrap_or("server_error");
            return Ok(Some(ScriptedTokenError {
                status: s.status.and_then(|s| u16::try_from(s).ok()).unwrap_or(500),
                error,
                description: format!("scripted failure (scenario {})", s.id),
            }));
        }
        Ok(None)
    }

    /// Hook where user tokens are minted.
    pub async fn token_shape(
        &self,
        client: &ClientId,
        user: &Username,
    ) -> Result<TokenShape, StoreError> {
        let who = || Subject {
            client: Some(client.as_str()),
            user: Some(user.as_str()),
            ..Subject::default()
        };
        let mut shape = TokenShape::default();
        if self.active().await?.is_empty() {
            return Ok(shape);
        }
        if let Some(s) = self.take(Kind::TokenLifetime, who()).await? {
            shape.lifetime = s.seconds;
        }
        if self.take(Kind::ExpiresInOmitted, who()).await?.is_some() {
            shape.expires_in = ExpiresInForm::Omitted;
        } else if self.take(Kind::ExpiresInString, who()).await?.is_some() {
            shape.expires_in = ExpiresInForm::Text;
        }
        shape.omit_refresh_token = self.take(Kind::OmitRefreshToken, who()).await?.is_some();
        Ok(shape)
    }

    /// Hook at /authorize for a logged-in user: true if consent must be denied.
    pub async fn consent_denied(
        &self,
        client: &ClientId,
        user: &Username,
    ) -> Result<bool, StoreError> {
        let who = Subject {
            client: Some(client.as_str()),
            user: Some(user.as_str()),
            ..Subject::default()
        };
        Ok(self.take(Kind::ConsentDeny, who).await?.is_some())
    }

    /// Whether a scripted fault could deny `client` consent for some user
    /// (`consent_denied` tells for one): `GET /authorize` then reads the
    /// session before it issues a code. Nothing is consumed.
    pub async fn may_deny_consent(&self, client: &ClientId) -> Result<bool, StoreError> {
        let now = self.clock.now();
        Ok(self.active().await?.iter().any(|s| {
            // Any user: the scenario's own, if it names one.
            let who = Subject {
                client: Some(client.as_str()),
                user: s.user_id.as_deref(),
                ..Subject::default()
            };
            matches(s, Kind::ConsentDeny, &who, now)
        }))
    }

    /// Hook at login: true if this login must fail. The client is read from the
    /// authorization request the login returns to, if any.
    pub async fn login_fails(&self, return_to: &str, user: &str) -> Result<bool, StoreError> {
        if self.active().await?.is_empty() {
            return Ok(false);
        }
        let client = return_to
            .strip_prefix("/authorize?")
            .and_then(|q| form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == "client_id"))
            .map(|(_, v)| v.into_owned());
        let user = user.to_ascii_lowercase();
        let who = Subject {
            client: client.as_deref(),
            user: Some(&user),
            ..Subject::default()
        };
        Ok(self.take(Kind::LoginFail, who).await?.is_some())
    }

    /// Hook at the api once the token is verified, before `api_fault`: a
    /// scripted delay for this path, if any.
    pub async fn api_delay(
        &self,
        path: &str,
        client: &str,
        user: Option<&str>,
    ) -> Result<(), StoreError> {
        if self.active().await?.is_empty() {
            return Ok(());
        }
        let who = Subject {
            client: Some(client),
            user,
            path: Some(path),
            ..Subject::default()
        };
        if let Some(s) = self.take(Kind::ApiDelay, who).await? {
            let ms = s.delay_ms.unwrap_or(0).clamp(0, MAX_DELAY_MS) as u64;
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
        Ok(())
    }

    /// Hook at the api once the token is verified.
    pub async fn api_fault(
        &self,
        path: &str,
        client: &str,
        user: Option<&str>,
    ) -> Result<Option<ApiFault>, StoreError> {
        let who = Subject {
            client: Some(client),
            user,
            path: Some(path),
            ..Subject::default()
        };
        Ok(self.take(Kind::ApiError, who).await?.map(|s| {
            let status = s.status.and_then(|s| u16::try_from(s).ok()).unwrap_or(500);
            ApiFault {
                status,
                retry_after: s.seconds.or(matches!(status, 429 | 503).then_some(1)),
            }
        }))
    }

    /// Creates the config file's scenarios (once per database: ids are stable).
    pub async fn seed(&self, specs: &[ScenarioSpec]) -> Result<(), String> {
        let now = self.clock.now();
        for (n, spec) in specs.iter().enumerate() {
            let record = validate(spec.clone(), &self.store, format!("config-{}", n + 1), now)
                .await
                .map_err(|e| format!("scenario {}: {e}", n + 1))?;
            self.store
                .insert_scenario(&record)
                .await
                .map_err(|e| e.to_string())?;
        }
        self.invalidate();
        Ok(())
    }
}

/// The admin page's one-click reproductions of what Alexa users see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    /// "We were unable to link <skill> at this time": the next code exchange
    /// answers `invalid_grant` (alexa.md §2.6: any token-endpoint error at the
    /// exchange surfaces only as that message).
    UnableToLink,
    /// "Token refresh failed, the user must relink": the next refresh answers
    /// `invalid_grant`, so Alexa deletes the tokens (alexa.md §2.9).
    RefreshFails,
}

impl Preset {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "unable_to_link" => Some(Self::UnableToLink),
            "refresh_fails" => Some(Self::RefreshFails),
            _ => None,
        }
    }

    /// The scenario the preset sets for `client_id`: one use, so the next
    /// attempt after it behaves normally again.
    pub fn spec(self, client_id: &str) -> ScenarioSpec {
        let grant_type = match self {
            Self::UnableToLink => "authorization_code",
            Self::RefreshFails => "refresh_token",
        };
        ScenarioSpec {
            kind: Kind::TokenError,
            client_id: Some(client_id.to_owned()),
            error: Some("invalid_grant".into()),
            grant_type: Some(grant_type.into()),
            count: Some(1),
            ..ScenarioSpec::default()
        }
    }

    pub fn id_prefix(self) -> &'static str {
        match self {
            Self::UnableToLink => "unable-to-link",
            Self::RefreshFails => "refresh-fails",
        }
    }
}
