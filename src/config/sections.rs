//! The settings of the roles that have their own (the skill, the simulator)
//! and of the toolbox, each a `#[serde(flatten)]` section of `Settings`: the
//! TOML keys and `MOCKLINK_*` variables stay the flat names they always had.

use super::{AccessTokenScheme, DEMO_SCOPES};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The bundled skill.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct SkillSettings {
    /// Path the skill endpoint is served at.
    #[serde(rename = "skill_path")]
    pub path: String,
    /// Base URL of the Web API the skill calls [default: `<public_url>/v1`].
    #[serde(rename = "skill_api_base_url")]
    pub api_base_url: Option<String>,
    /// The skill id requests must carry; unset accepts any (logged at start).
    #[serde(rename = "skill_application_id")]
    pub application_id: Option<String>,
    /// Verify Alexa's request signatures (SignatureCertChainUrl + Signature-256).
    /// Off by default for local use; the timestamp check is always on.
    #[serde(rename = "skill_verify_signatures")]
    pub verify_signatures: bool,
    /// Where signing certificate chains may be fetched from (scheme, host,
    /// port and path prefix are all enforced).
    #[serde(rename = "skill_cert_url_prefix")]
    pub cert_url_prefix: String,
    /// PEM file of trusted root CAs for signing chains [default: Mozilla's roots].
    #[serde(rename = "skill_trusted_roots_file")]
    pub trusted_roots_file: Option<PathBuf>,
    /// One budget for all the Web API calls of one request (Alexa waits
    /// about 8 s): when it runs out the skill apologises instead.
    #[serde(rename = "skill_request_budget_ms")]
    pub request_budget_ms: u64,
}

impl Default for SkillSettings {
    fn default() -> Self {
        Self {
            path: "/alexa/skill".into(),
            api_base_url: None,
            application_id: None,
            verify_signatures: false,
            cert_url_prefix: "https://s3.amazonaws.com/echo.api/".into(),
            trusted_roots_file: None,
            request_budget_ms: 6000,
        }
    }
}

/// The Alexa simulator: the account-linking settings of the simulated skill
/// (any provider) and the skill endpoint it talks to.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct SimulatorSettings {
    /// Web Authorization URI [default: `<public_url>/authorize`].
    #[serde(rename = "alexa_authorization_url")]
    pub authorization_url: Option<String>,
    /// Access Token URI [default: `<public_url>/api/token`].
    #[serde(rename = "alexa_token_url")]
    pub token_url: Option<String>,
    /// Client id [default: the demo client id].
    #[serde(rename = "alexa_client_id")]
    pub client_id: Option<String>,
    /// Client secret [default: the demo client secret].
    #[serde(rename = "alexa_client_secret")]
    pub client_secret: Option<String>,
    /// `HTTP_BASIC` or `REQUEST_BODY_CREDENTIALS`.
    #[serde(rename = "alexa_access_token_scheme")]
    pub access_token_scheme: AccessTokenScheme,
    /// Space-separated scopes sent to the authorization URI.
    #[serde(rename = "alexa_scopes")]
    pub scopes: String,
    /// Send a PKCE S256 challenge and verifier.
    #[serde(rename = "alexa_pkce")]
    pub pkce: bool,
    /// Used when a token response has no `expires_in`.
    #[serde(rename = "alexa_default_token_expiration_seconds")]
    pub default_token_expiration_seconds: i64,
    /// Refresh this many seconds before the stored expiry.
    #[serde(rename = "alexa_refresh_margin_seconds")]
    pub refresh_margin_seconds: i64,
    /// Skill endpoint the simulator talks to [default: our own `skill_path`].
    #[serde(rename = "alexa_skill_endpoint")]
    pub skill_endpoint: Option<String>,
    /// The simulated skill's id, sent as applicationId.
    #[serde(rename = "alexa_skill_id")]
    pub skill_id: String,
    /// Interaction model used to map utterances to intents [default: the
    /// bundled `skill-package/interactionModels/custom/en-US.json`].
    #[serde(rename = "alexa_interaction_model_file")]
    pub interaction_model_file: Option<PathBuf>,
    /// Sign requests like Alexa: a PEM PKCS#8 RSA key of a test CA's
    /// `echo-api.amazon.com` certificate, and the URL its chain is served at
    /// (`SignatureCertChainUrl`). Both or neither.
    #[serde(rename = "alexa_signing_key_file")]
    pub signing_key_file: Option<PathBuf>,
    #[serde(rename = "alexa_signature_cert_chain_url")]
    pub signature_cert_chain_url: Option<String>,
    /// How long Alexa waits for the skill before ENDPOINT_TIMEOUT (about 8 s).
    #[serde(rename = "alexa_skill_timeout_ms")]
    pub skill_timeout_ms: u64,
    /// Send `AlexaSkillEvent.SkillEnabled`, `SkillAccountLinked` and
    /// `SkillDisabled` to the skill on enable, link and disable (a skill
    /// subscribes to them in its manifest's `events`).
    #[serde(rename = "alexa_skill_events")]
    pub skill_events: bool,
    /// Assumption (Amazon's evidence conflicts): when the access token has
    /// expired and cannot be refreshed (no refresh token, or the refresh
    /// failed without a definite refusal), `send` the stale token anyway or
    /// `drop` it from requests.
    #[serde(rename = "alexa_stale_token")]
    pub stale_token: StaleToken,
    /// Assumption: the wait after a failed refresh that kept the link before
    /// the next try; doubled on each failure in a row, at most an hour.
    #[serde(rename = "alexa_refresh_backoff_seconds")]
    pub refresh_backoff_seconds: i64,
    /// Alexa's rules as Alexa applies them: any failing finding fails the
    /// link ("We were unable to link …"), and a loopback `http://` URI is a
    /// failure, not a warning.
    #[serde(rename = "alexa_strict")]
    pub strict: bool,
    /// More simulated skills, by key, each its own console form; the
    /// `alexa_*` settings above are the skill `default`.
    #[serde(rename = "alexa_skills")]
    pub skills: std::collections::BTreeMap<String, super::SkillSpec>,
}

/// What Alexa sends when the access token has expired and no fresh one can
/// be had. Amazon's smart-home guide says the stale token may still arrive;
/// a field report saw it stop being sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StaleToken {
    /// Keep sending the expired token (the skill must validate it).
    #[default]
    Send,
    /// Omit `accessToken`; without a refresh token the link is dropped.
    Drop,
}

impl Default for SimulatorSettings {
    fn default() -> Self {
        Self {
            authorization_url: None,
            token_url: None,
            client_id: None,
            client_secret: None,
            access_token_scheme: AccessTokenScheme::HttpBasic,
            scopes: DEMO_SCOPES.into(),
            pkce: false,
            default_token_expiration_seconds: 3600,
            refresh_margin_seconds: 30,
            skill_endpoint: None,
            skill_id: "amzn1.ask.skill.6d0c3f5e-0000-4000-8000-6d6f636b6c6e".into(),
            interaction_model_file: None,
            signing_key_file: None,
            signature_cert_chain_url: None,
            skill_timeout_ms: 8000,
            skill_events: true,
            stale_token: StaleToken::Send,
            refresh_backoff_seconds: 60,
            strict: false,
            skills: Default::default(),
        }
    }
}

/// The tester's toolbox.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct ToolboxSettings {
    /// Password of the admin API (`/admin/api`): HTTP Basic `admin:<password>`
    /// or `Bearer <password>`. Unset: the admin API answers loopback callers only.
    pub admin_password: Option<crate::domain::Secret>,
    /// Scenarios (scripted faults) to set at start, once per database.
    pub scenarios: Vec<crate::domain::ScenarioSpec>,
    /// Record every authorize, login, consent, token, revoke, introspect and
    /// api call (redacted) for the flow inspector (`/admin/inspector`).
    pub inspector: bool,
    /// Records kept per client; older ones are dropped (1–100000).
    pub inspector_max_per_client: i64,
}

impl Default for ToolboxSettings {
    fn default() -> Self {
        Self {
            admin_password: None,
            scenarios: Vec::new(),
            inspector: true,
            inspector_max_per_client: 500,
        }
    }
}
