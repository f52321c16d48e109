//! Typed settings: built-in defaults, overridden by a TOML file, then by
//! environment variables (`PORT`, then `MOCKLINK_*`, plus `DATABASE_URL`),
//! then by CLI flags.

mod lists;
mod load;
mod proxy;
mod sections;
mod seeds;
mod skills;

use lists::{hosts_list, roles_list};
pub use proxy::{valid_upstream_name, ProxyUpstream};
pub use sections::{SimulatorSettings, SkillSettings, StaleToken, ToolboxSettings};
pub use seeds::{ClientSeed, UserSeed};
pub use skills::{valid_skill_key, SkillSpec, DEFAULT_SKILL_KEY};

use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::PathBuf;

/// The configuration file read when `--config` is not given, if it exists.
pub const DEFAULT_CONFIG_FILE: &str = "mocklink.toml";
pub const DEFAULT_DATABASE_URL: &str = "sqlite:mocklink.db";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEMO_CLIENT_ID: &str = "alexa-skill";
pub const DEMO_CLIENT_SECRET: &str = "alexa-skill-secret";
pub const DEMO_USERNAME: &str = "demo";
pub const DEMO_PASSWORD: &str = "demo";
/// Scopes the demo client asks for and Alexa's console is told to request.
pub const DEMO_SCOPES: &str = "user-read-private user-read-email user-read-playback-state user-modify-playback-state user-read-currently-playing";

/// What an instance serves. One binary plays every role; `all` is the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Every role below, on one port.
    All,
    /// The accounts service: /authorize, /api/token, pages, metadata.
    Provider,
    /// The Spotify-like Web API under /v1.
    Api,
    /// The bundled Alexa skill handler.
    Skill,
    /// The simulator of the Alexa app and service.
    Alexa,
    /// The recording proxy in front of real providers' token endpoints.
    Proxy,
}

/// `MOCKLINK_*` variables that are read elsewhere (CLI, logging, tests), not settings.
const NOT_SETTINGS: &[&str] = &[
    "config",
    "log",
    "new_password",
    "new_client_secret",
    "test_database_url",
    "test_log",
    // tests/architecture.rs: judge another tree
    "arch_src",
    // the browser tests' switches (tests/browser_support.rs)
    "require_browser",
    "update_screenshots",
    "chromedriver",
    "chromium",
    // tests/alexa_node_sdk.rs: Node's ask-sdk checks must run (CI)
    "require_node",
];

/// Settings whose values `mocklink config` does not print.
pub const SECRET_KEYS: &[&str] = &[
    "admin_password",
    "demo_password",
    "demo_client_secret",
    "alexa_client_secret",
];

/// Every setting. The TOML key of a field is its name (a section's fields keep
/// their prefixed names, e.g. `skill_path`), the environment variable
/// `MOCKLINK_` and the key in capitals. Unknown keys are refused by `load`
/// (serde cannot do it through `flatten`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Roles this instance serves (a list, or a comma-separated string).
    #[serde(deserialize_with = "roles_list")]
    pub roles: Vec<Role>,
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Base URL users and clients reach this server at; also the token issuer.
    /// Defaults to `http://<listen>`.
    pub public_url: Option<String>,
    /// Base URL of the Alexa simulator as the browser reaches it, for the demo
    /// client's redirect URI. Defaults to `public_url` (one instance, all roles).
    pub simulator_url: Option<String>,
    /// `sqlite:<file>` (default) or `postgres://…`.
    pub database_url: String,
    /// `aud` of access tokens, and what the api requires.
    pub audience: String,
    /// Algorithm of newly generated signing keys: RS256 (default) or ES256.
    pub signing_alg: crate::domain::SigningAlg,
    /// Vendor id used in the demo client's Alexa redirect URLs.
    pub alexa_vendor_id: String,
    /// Lifetime of authorization codes, 60–600 s.
    pub code_ttl_seconds: i64,
    /// Lifetime of a login session.
    pub session_ttl_seconds: i64,
    /// Seed the demo user and demo client at start.
    pub demo_seed: bool,
    pub demo_username: String,
    pub demo_password: String,
    pub demo_client_id: String,
    pub demo_client_secret: String,
    /// Log as JSON lines instead of human-readable text.
    pub log_json: bool,
    /// PEM certificate chain: serve HTTPS (Alexa only calls HTTPS endpoints).
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for `tls_cert`.
    pub tls_key: Option<PathBuf>,
    /// Take the client address from `X-Forwarded-For`/`Forwarded` (only
    /// behind a reverse proxy or tunnel you control; otherwise clients could
    /// spoof it to dodge rate limits).
    pub trust_forwarded_headers: bool,
    /// Host names (besides the public URL's and the loopback names) this
    /// server answers to, any port: e.g. docker compose service names for
    /// server-to-server calls. Other `Host`s get 421 (DNS rebinding).
    /// A list, or a comma-separated string.
    #[serde(deserialize_with = "hosts_list")]
    pub allowed_hosts: Vec<String>,
    /// Users to create at start if missing.
    pub users: Vec<UserSeed>,
    /// Clients to create or update at start.
    pub clients: Vec<ClientSeed>,
    /// With `demo_seed` and the well-known demo password: also seed the demo
    /// personas `free`, `empty` and `locked` (passwords equal to the names).
    pub demo_personas: bool,
    /// The recording proxy's upstreams by name: `/proxy/{name}/token`
    /// forwards to `token_url`, `/proxy/{name}/authorize` redirects to
    /// `authorization_url`.
    pub proxy_upstreams: std::collections::BTreeMap<String, ProxyUpstream>,

    /// The bundled skill: the `skill_*` keys.
    #[serde(flatten)]
    pub skill: SkillSettings,
    /// The Alexa simulator: the `alexa_*` keys (but `alexa_vendor_id`).
    #[serde(flatten)]
    pub simulator: SimulatorSettings,
    /// The tester's toolbox: admin password, scenarios, inspector.
    #[serde(flatten)]
    pub toolbox: ToolboxSettings,
}

/// Alexa's two client-authentication schemes at the Access Token URI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AccessTokenScheme {
    #[default]
    HttpBasic,
    RequestBodyCredentials,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            roles: vec![Role::All],
            listen: DEFAULT_LISTEN.parse().expect("valid default"),
            public_url: None,
            simulator_url: None,
            database_url: DEFAULT_DATABASE_URL.into(),
            audience: "mocklink-api".into(),
            signing_alg: Default::default(),
            alexa_vendor_id: "M2AB3CD4EF5GHI".into(),
            code_ttl_seconds: 600,
            session_ttl_seconds: 8 * 3600,
            demo_seed: true,
            demo_username: DEMO_USERNAME.into(),
            demo_password: DEMO_PASSWORD.into(),
            demo_client_id: DEMO_CLIENT_ID.into(),
            demo_client_secret: DEMO_CLIENT_SECRET.into(),
            log_json: false,
            tls_cert: None,
            tls_key: None,
            trust_forwarded_headers: false,
            allowed_hosts: Vec::new(),
            users: Vec::new(),
            clients: Vec::new(),
            demo_personas: true,
            proxy_upstreams: Default::default(),
            skill: SkillSettings::default(),
            simulator: SimulatorSettings::default(),
            toolbox: ToolboxSettings::default(),
        }
    }
}

pub(crate) fn default_country() -> String {
    "US".into()
}
pub(crate) fn default_product() -> String {
    "premium".into()
}
pub(crate) fn default_access_ttl() -> i64 {
    3600
}
/// Spotify's refresh tokens die six months after the original authorization.
pub(crate) fn default_refresh_ttl() -> i64 {
    180 * 24 * 3600
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration file {0} does not exist")]
    MissingFile(PathBuf),
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

impl Settings {
    /// Checks cross-field rules that serde cannot express.
    pub fn validated(self) -> Result<Self, ConfigError> {
        if !(60..=600).contains(&self.code_ttl_seconds) {
            return Err(ConfigError::Invalid(format!(
                "code_ttl_seconds must be between 60 and 600, got {}",
                self.code_ttl_seconds
            )));
        }
        for (name, value) in [
            ("public_url", &self.public_url),
            ("simulator_url", &self.simulator_url),
        ] {
            if let Some(url) = value {
                url::Url::parse(url)
                    .map_err(|e| ConfigError::Invalid(format!("{name} '{url}': {e}")))?;
            }
        }
        if self.tls_cert.is_some() != self.tls_key.is_some() {
            return Err(ConfigError::Invalid(
                "tls_cert and tls_key go together".into(),
            ));
        }
        if self
            .toolbox
            .admin_password
            .as_ref()
            .is_some_and(|p| p.expose().trim().is_empty())
        {
            return Err(ConfigError::Invalid(
                "admin_password must not be empty (leave it unset for loopback-only admin)".into(),
            ));
        }
        for host in &self.allowed_hosts {
            let plain = |b: u8| b.is_ascii_alphanumeric() || b"-.".contains(&b);
            if !host.bytes().all(plain) || host.starts_with('.') || host.ends_with('.') {
                return Err(ConfigError::Invalid(format!(
                    "allowed_hosts: '{host}' is not a host name (letters, digits, '-' and '.'; no port)"
                )));
            }
        }
        if !(1..=100_000).contains(&self.toolbox.inspector_max_per_client) {
            return Err(ConfigError::Invalid(format!(
                "inspector_max_per_client must be between 1 and 100000, got {}",
                self.toolbox.inspector_max_per_client
            )));
        }
        proxy::validate(&self.proxy_upstreams)?;
        skills::validate(&self.simulator.skills)?;
        if self.roles.is_empty() {
            return Err(ConfigError::Invalid(
                "roles must name at least one role".into(),
            ));
        }
        crate::store::DatabaseKind::of(&self.database_url)
            .map_err(|e| ConfigError::Invalid(e.to_string()))?;
        if !self.skill.path.starts_with('/') {
            return Err(ConfigError::Invalid(format!(
                "skill_path must start with '/', got '{}'",
                self.skill.path
            )));
        }
        for (name, value) in [
            ("skill_api_base_url", &self.skill.api_base_url),
            ("alexa_authorization_url", &self.simulator.authorization_url),
            ("alexa_token_url", &self.simulator.token_url),
            ("alexa_skill_endpoint", &self.simulator.skill_endpoint),
            (
                "skill_cert_url_prefix",
                &Some(self.skill.cert_url_prefix.clone()),
            ),
        ] {
            if let Some(url) = value {
                url::Url::parse(url)
                    .map_err(|e| ConfigError::Invalid(format!("{name} '{url}': {e}")))?;
            }
        }
        if !(100..=60_000).contains(&self.skill.request_budget_ms) {
            return Err(ConfigError::Invalid(format!(
                "skill_request_budget_ms must be between 100 and 60000, got {}",
                self.skill.request_budget_ms
            )));
        }
        if !(100..=60_000).contains(&self.simulator.skill_timeout_ms) {
            return Err(ConfigError::Invalid(format!(
                "alexa_skill_timeout_ms must be between 100 and 60000, got {}",
                self.simulator.skill_timeout_ms
            )));
        }
        if !(1..=3600).contains(&self.simulator.refresh_backoff_seconds) {
            return Err(ConfigError::Invalid(format!(
                "alexa_refresh_backoff_seconds must be between 1 and 3600, got {}",
                self.simulator.refresh_backoff_seconds
            )));
        }
        if self.simulator.signing_key_file.is_some()
            != self.simulator.signature_cert_chain_url.is_some()
        {
            return Err(ConfigError::Invalid(
                "alexa_signing_key_file and alexa_signature_cert_chain_url go together".into(),
            ));
        }
        Ok(self)
    }

    /// Every setting by its TOML key, as `mocklink config` prints it:
    /// secrets replaced by the first 8 hex digits of their SHA-256, so the
    /// output can be shared and still tells which secret is in force.
    pub fn effective(&self) -> serde_json::Value {
        let mut value = serde_json::to_value(self).unwrap_or_default();
        if let Some(map) = value.as_object_mut() {
            let hide = |v: &mut serde_json::Value| {
                if let Some(text) = v.as_str() {
                    let digest = crate::store::digest(text);
                    *v = serde_json::Value::String(format!("(secret, sha256 {})", &digest[..8]));
                }
            };
            for key in SECRET_KEYS {
                if let Some(v) = map.get_mut(*key) {
                    hide(v);
                }
            }
            if let Some(skills) = map.get_mut("alexa_skills").and_then(|s| s.as_object_mut()) {
                for skill in skills.values_mut() {
                    if let Some(v) = skill.get_mut("client_secret") {
                        hide(v);
                    }
                }
            }
        }
        value
    }

    /// The base URL, without a trailing slash; also the token issuer.
    pub fn public_url(&self) -> String {
        match &self.public_url {
            Some(u) => u.trim_end_matches('/').to_owned(),
            None if self.tls_cert.is_some() => format!("https://{}", self.listen),
            None => format!("http://{}", self.listen),
        }
    }

    pub fn serves(&self, role: Role) -> bool {
        self.roles.iter().any(|r| *r == role || *r == Role::All)
    }

    /// The simulator's account-linking redirect for the demo vendor id.
    pub fn simulator_redirect_uri(&self) -> String {
        let base = match &self.simulator_url {
            Some(u) => u.trim_end_matches('/').to_owned(),
            None => self.public_url(),
        };
        format!("{base}/api/skill/link/{}", self.alexa_vendor_id)
    }

    pub fn issuer(&self) -> String {
        self.public_url()
    }

    /// Alexa's three regional account-linking redirect URLs for our vendor id.
    pub fn alexa_redirect_uris(&self) -> Vec<String> {
        [
            "pitangui.amazon.com",
            "layla.amazon.com",
            "alexa.amazon.co.jp",
        ]
        .iter()
        .map(|host| format!("https://{host}/api/skill/link/{}", self.alexa_vendor_id))
        .collect()
    }

    /// The Web API base URL the skill calls, without a trailing slash.
    pub fn skill_api_base_url(&self) -> String {
        match &self.skill.api_base_url {
            Some(u) => u.trim_end_matches('/').to_owned(),
            None => format!("{}/v1", self.public_url()),
        }
    }

    /// The redirect URL the simulator receives codes at.
    pub fn alexa_redirect_url(&self) -> String {
        format!(
            "{}/api/skill/link/{}",
            self.public_url(),
            self.alexa_vendor_id
        )
    }

    pub fn alexa_authorization_url(&self) -> String {
        self.simulator
            .authorization_url
            .clone()
            .unwrap_or_else(|| format!("{}/authorize", self.public_url()))
    }

    pub fn alexa_token_url(&self) -> String {
        self.simulator
            .token_url
            .clone()
            .unwrap_or_else(|| format!("{}/api/token", self.public_url()))
    }

    pub fn alexa_client_id(&self) -> String {
        self.simulator
            .client_id
            .clone()
            .unwrap_or_else(|| self.demo_client_id.clone())
    }

    pub fn alexa_client_secret(&self) -> String {
        self.simulator
            .client_secret
            .clone()
            .unwrap_or_else(|| self.demo_client_secret.clone())
    }

    pub fn alexa_skill_endpoint(&self) -> String {
        self.simulator
            .skill_endpoint
            .clone()
            .unwrap_or_else(|| format!("{}{}", self.public_url(), self.skill.path))
    }

    /// Every user seeded at start: the demo user and personas (with
    /// `demo_seed`), then the config file's `users`.
    pub fn seeded_users(&self) -> Vec<UserSeed> {
        let mut users = Vec::new();
        if self.demo_seed {
            users.push(UserSeed {
                display_name: Some("Demo User".into()),
                email: Some(format!("{}@example.com", self.demo_username)),
                persona: Some("Premium listener (US)".into()),
                ..UserSeed::new(&self.demo_username, &self.demo_password, "US", "premium")
            });
            // Their passwords are well known: never next to a private demo password.
            if self.demo_personas && self.demo_password == DEMO_PASSWORD {
                users.push(UserSeed {
                    display_name: Some("Frieda Free".into()),
                    persona: Some("Free account (Germany)".into()),
                    ..UserSeed::new("free", "free", "DE", "free")
                });
                users.push(UserSeed {
                    display_name: Some("Emi Empty".into()),
                    persona: Some("Premium, empty library (Japan)".into()),
                    empty_library: true,
                    ..UserSeed::new("empty", "empty", "JP", "premium")
                });
                users.push(UserSeed {
                    display_name: Some("Lou Locked".into()),
                    persona: Some("Locked account (UK)".into()),
                    locked: true,
                    ..UserSeed::new("locked", "locked", "GB", "premium")
                });
            }
        }
        users.extend(self.users.iter().cloned());
        users
    }

    /// True while the well-known demo credentials are in use.
    pub fn uses_demo_secrets(&self) -> bool {
        self.demo_seed
            && (self.demo_password == DEMO_PASSWORD
                || self.demo_client_secret == DEMO_CLIENT_SECRET)
    }
}

#[cfg(test)]
mod tests;
