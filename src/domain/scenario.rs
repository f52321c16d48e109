//! Scenarios as data: what the toolbox, the CLI and the config file
//! (`[[scenarios]]`) say; the fault engine (`crate::faults`) validates and
//! applies them.

use serde::{Deserialize, Serialize};

/// What a scenario makes fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
#[value(rename_all = "snake_case")]
pub enum ScenarioKind {
    /// Token requests fail with `error` (and/or HTTP `status`).
    #[default]
    TokenError,
    /// Token requests are answered after `delay_ms` (Alexa gives up at 4.5 s).
    TokenDelay,
    /// Token responses carry `expires_in` as a string.
    ExpiresInString,
    /// Token responses carry no `expires_in`.
    ExpiresInOmitted,
    /// Token responses carry no refresh token.
    OmitRefreshToken,
    /// Access tokens expire after `seconds`.
    TokenLifetime,
    /// The api answers `status` for paths under `path` (Retry-After `seconds`).
    ApiError,
    /// The api answers after `delay_ms` for paths under `path` (the bundled
    /// skill has one budget of about 6 s for all its calls).
    ApiDelay,
    /// The consent step denies at once (access_denied back to the client).
    ConsentDeny,
    /// Every login fails as with a wrong password.
    LoginFail,
}

impl ScenarioKind {
    /// Every kind, in the order forms and help texts list them.
    pub const ALL: [ScenarioKind; 10] = [
        Self::TokenError,
        Self::TokenDelay,
        Self::ExpiresInString,
        Self::ExpiresInOmitted,
        Self::OmitRefreshToken,
        Self::TokenLifetime,
        Self::ApiError,
        Self::ApiDelay,
        Self::ConsentDeny,
        Self::LoginFail,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::TokenError => "token_error",
            Self::TokenDelay => "token_delay",
            Self::ExpiresInString => "expires_in_string",
            Self::ExpiresInOmitted => "expires_in_omitted",
            Self::OmitRefreshToken => "omit_refresh_token",
            Self::TokenLifetime => "token_lifetime",
            Self::ApiError => "api_error",
            Self::ApiDelay => "api_delay",
            Self::ConsentDeny => "consent_deny",
            Self::LoginFail => "login_fail",
        }
    }
}

/// A scenario as the admin API, the CLI, the admin page and the config file
/// (`[[scenarios]]`) take it; `faults::validate` is the one validation of all four.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioSpec {
    /// Optional id (config seeds get `config-<n>` if absent); generated otherwise.
    pub id: Option<String>,
    pub kind: ScenarioKind,
    pub client_id: Option<String>,
    pub user: Option<String>,
    pub error: Option<String>,
    pub status: Option<u16>,
    pub delay_ms: Option<i64>,
    pub seconds: Option<i64>,
    pub path: Option<String>,
    /// token_error / token_delay: only token requests of this grant type.
    pub grant_type: Option<String>,
    /// Uses before the scenario ends.
    pub count: Option<i64>,
    /// Seconds (virtual clock) before the scenario ends.
    pub expires_in: Option<i64>,
}
