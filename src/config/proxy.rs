//! The recording proxy's upstreams: a table of names, each with the token
//! URL it forwards to and, optionally, the authorization URL it redirects
//! to. TOML: `[proxy_upstreams.myskill]`; environment:
//! `MOCKLINK_PROXY_UPSTREAMS='{myskill={token_url="https://…"}}'`.

use super::ConfigError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One provider behind the proxy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProxyUpstream {
    /// The provider's Access Token URI; `POST /proxy/{name}/token` goes here.
    pub token_url: String,
    /// The provider's Web Authorization URI; `GET /proxy/{name}/authorize`
    /// redirects here with the query carried over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_url: Option<String>,
}

/// Up to 64 letters, digits, `-` and `_`: a name is one path segment.
pub fn valid_upstream_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// An absolute `http(s)` URL with a host and no fragment.
fn check_url(name: &str, key: &str, url: &str) -> Result<(), ConfigError> {
    let invalid = |why: &str| {
        ConfigError::Invalid(format!(
            "proxy_upstreams.{name}.{key} '{url}': {why} (an absolute http:// or https:// URL)"
        ))
    };
    let parsed = url::Url::parse(url).map_err(|e| invalid(&e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(invalid("not http or https"));
    }
    if parsed.host().is_none() {
        return Err(invalid("no host"));
    }
    if parsed.fragment().is_some() {
        return Err(invalid("has a fragment"));
    }
    Ok(())
}

pub(super) fn validate(upstreams: &BTreeMap<String, ProxyUpstream>) -> Result<(), ConfigError> {
    for (name, up) in upstreams {
        if !valid_upstream_name(name) {
            return Err(ConfigError::Invalid(format!(
                "proxy_upstreams: '{name}' is not a name (1–64 letters, digits, '-' and '_')"
            )));
        }
        check_url(name, "token_url", &up.token_url)?;
        if let Some(a) = &up.authorization_url {
            check_url(name, "authorization_url", a)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(name: &str, token_url: &str) -> BTreeMap<String, ProxyUpstream> {
        BTreeMap::from([(
            name.to_owned(),
            ProxyUpstream {
                token_url: token_url.into(),
                authorization_url: None,
            },
        )])
    }

    #[test]
    fn names_and_urls_are_checked() {
        assert!(validate(&one("myskill", "https://id.example/oauth/token")).is_ok());
        assert!(validate(&one("my skill", "https://id.example/token")).is_err());
        assert!(validate(&one("a/b", "https://id.example/token")).is_err());
        assert!(validate(&one("x", "ftp://id.example/token")).is_err());
        assert!(validate(&one("x", "/token")).is_err());
        assert!(validate(&one("x", "https://id.example/token#frag")).is_err());
    }
}
