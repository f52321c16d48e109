//! Settings that come as a TOML list or, from the environment, as one
//! comma-separated string.

use super::Role;
use serde::Deserialize;

/// Accepts `["provider", "api"]` (TOML) or `"provider,api"` (environment).
pub(super) fn roles_list<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<Role>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Roles {
        List(Vec<Role>),
        Text(String),
    }
    match Roles::deserialize(d)? {
        Roles::List(l) => Ok(l),
        Roles::Text(t) => t
            .split(',')
            .map(|r| {
                <Role as clap::ValueEnum>::from_str(r.trim(), true)
                    .map_err(serde::de::Error::custom)
            })
            .collect(),
    }
}

/// Accepts `["provider", "skill"]` (TOML) or `"provider,skill"` (environment).
pub(super) fn hosts_list<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Hosts {
        List(Vec<String>),
        Text(String),
    }
    Ok(match Hosts::deserialize(d)? {
        Hosts::List(l) => l,
        Hosts::Text(t) => t.split(',').map(str::to_owned).collect(),
    }
    .into_iter()
    .map(|h| h.trim().to_ascii_lowercase())
    .filter(|h| !h.is_empty())
    .collect())
}
