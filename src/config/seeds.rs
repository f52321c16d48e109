//! Users and clients declared in the config file (`[[users]]`, `[[clients]]`),
//! created or updated at start.

use super::{default_access_ttl, default_country, default_product, default_refresh_ttl};
use serde::{Deserialize, Serialize};

/// A user declared in the config file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserSeed {
    pub username: String,
    pub password: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
    #[serde(default = "default_country")]
    pub country: String,
    #[serde(default = "default_product")]
    pub product: String,
    /// A label such as "Free account (Germany)": the login page offers the
    /// user by this name, with a one-click login (its form carries the
    /// password: use personas for test accounts only).
    #[serde(default)]
    pub persona: Option<String>,
    /// Login answers "account locked" (the password is still checked first).
    #[serde(default)]
    pub locked: bool,
    /// Starts with no playlists and no saved tracks (devices only).
    #[serde(default)]
    pub empty_library: bool,
}

impl UserSeed {
    pub fn new(username: &str, password: &str, country: &str, product: &str) -> Self {
        Self {
            username: username.into(),
            password: password.into(),
            display_name: None,
            email: None,
            country: country.into(),
            product: product.into(),
            persona: None,
            locked: false,
            empty_library: false,
        }
    }
}

/// A client declared in the config file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientSeed {
    pub id: String,
    pub name: Option<String>,
    /// Absent for a public client (PKCE only).
    pub secret: Option<String>,
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// Space-separated scopes the client may request; all Spotify scopes if absent.
    pub scopes: Option<String>,
    #[serde(default)]
    pub refresh_policy: crate::store::RefreshPolicy,
    #[serde(default)]
    pub refresh_grace_seconds: i64,
    #[serde(default = "default_access_ttl")]
    pub access_token_ttl_seconds: i64,
    #[serde(default = "default_refresh_ttl")]
    pub refresh_token_ttl_seconds: i64,
    /// Spotify's extended quota mode: serve the Web API calls withdrawn from
    /// development-mode apps in February 2026 (several tracks or artists by
    /// ids, artist top tracks) instead of answering them 403.
    #[serde(default)]
    pub extended_quota: bool,
}
