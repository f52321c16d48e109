//! Simulated skills beyond the default one (issue 14): each is the Account
//! Linking form of a skill in the developer console, with the skill's
//! endpoint, locale and regional endpoints. TOML: `[alexa_skills.<key>]`;
//! environment: `MOCKLINK_ALEXA_SKILLS='{music-eu={locale="en-GB"}}'`. The
//! simulator's UI and JSON API take the same form. A field left out takes
//! the default skill's value (the `alexa_*` settings).

use super::{AccessTokenScheme, ConfigError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The key of the skill the `alexa_*` settings describe.
pub const DEFAULT_SKILL_KEY: &str = "default";

/// One simulated skill's form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SkillSpec {
    /// Shown in the simulator [default: the key].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The applicationId every envelope carries [default: made from the key].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skill_id: Option<String>,
    /// Default endpoint [default: the default skill's].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// Per-region endpoints (`NA`, `EU`, `FE`), as in the console's
    /// "Default Region" and region fields; a user in a region without one
    /// gets the default endpoint.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub region_endpoints: BTreeMap<String, String>,
    /// `request.locale` [default: en-US].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// "Allow users to enable skill without account linking".
    #[serde(default)]
    pub skip_on_enablement: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token_scheme: Option<AccessTokenScheme>,
    /// Space-separated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<String>,
    /// The console's Domain List.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub domains: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_token_expiration_seconds: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pkce: Option<bool>,
}

/// 1–64 letters, digits, `-` and `_`: a key is one path segment and one
/// query value.
pub fn valid_skill_key(key: &str) -> bool {
    (1..=64).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl SkillSpec {
    /// Checks the form; the message names the field (prefixed by `at`).
    pub fn check(&self, at: &str) -> Result<(), String> {
        let url = |field: &str, value: &str| -> Result<(), String> {
            let parsed =
                url::Url::parse(value).map_err(|e| format!("{at}.{field} '{value}': {e}"))?;
            if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
                return Err(format!(
                    "{at}.{field} '{value}': an absolute http:// or https:// URL"
                ));
            }
            if parsed.fragment().is_some() {
                return Err(format!("{at}.{field} '{value}': has a fragment"));
            }
            Ok(())
        };
        for (field, value) in [
            ("endpoint", &self.endpoint),
            ("authorization_url", &self.authorization_url),
            ("token_url", &self.token_url),
        ] {
            if let Some(v) = value {
                url(field, v)?;
            }
        }
        for (region, endpoint) in &self.region_endpoints {
            if !matches!(region.as_str(), "NA" | "EU" | "FE") {
                return Err(format!(
                    "{at}.region_endpoints: '{region}' is not a region (NA, EU or FE)"
                ));
            }
            url(&format!("region_endpoints.{region}"), endpoint)?;
        }
        if let Some(locale) = &self.locale {
            let ok = locale.len() == 5
                && locale.as_bytes()[2] == b'-'
                && locale[..2].bytes().all(|b| b.is_ascii_lowercase())
                && locale[3..].bytes().all(|b| b.is_ascii_uppercase());
            if !ok {
                return Err(format!(
                    "{at}.locale '{locale}': a locale like en-US, de-DE or ja-JP"
                ));
            }
        }
        if let Some(secs) = self.default_token_expiration_seconds {
            if !(1..=31_536_000).contains(&secs) {
                return Err(format!(
                    "{at}.default_token_expiration_seconds must be between 1 and 31536000, got {secs}"
                ));
            }
        }
        let texts = [
            ("name", self.name.as_deref()),
            ("skill_id", self.skill_id.as_deref()),
            ("client_id", self.client_id.as_deref()),
            ("client_secret", self.client_secret.as_deref()),
            ("scopes", self.scopes.as_deref()),
        ];
        for (field, value) in texts {
            let Some(v) = value else { continue };
            if v.chars().any(char::is_control) || v.len() > 2048 {
                return Err(format!(
                    "{at}.{field}: at most 2048 characters, no control characters"
                ));
            }
            if matches!(field, "name" | "skill_id" | "client_id") && v.trim().is_empty() {
                return Err(format!("{at}.{field} is empty"));
            }
        }
        for d in &self.domains {
            if d.is_empty() || d.len() > 253 || d.contains(['/', ' ', ':']) {
                return Err(format!("{at}.domains: '{d}' is not a domain name"));
            }
        }
        Ok(())
    }
}

pub(super) fn validate(skills: &BTreeMap<String, SkillSpec>) -> Result<(), ConfigError> {
    for (key, spec) in skills {
        if !valid_skill_key(key) || key == DEFAULT_SKILL_KEY {
            return Err(ConfigError::Invalid(format!(
                "alexa_skills: '{key}' is not a skill key (1–64 letters, digits, '-' and '_'; \
                 'default' is the skill of the alexa_* settings)"
            )));
        }
        spec.check(&format!("alexa_skills.{key}"))
            .map_err(ConfigError::Invalid)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_names_the_field_it_refuses() {
        let spec = SkillSpec {
            locale: Some("english".into()),
            ..Default::default()
        };
        assert!(spec.check("s").unwrap_err().contains("s.locale"));
        let spec = SkillSpec {
            region_endpoints: [("XX".to_owned(), "https://a.example".to_owned())].into(),
            ..Default::default()
        };
        assert!(spec.check("s").unwrap_err().contains("region_endpoints"));
        let spec = SkillSpec {
            token_url: Some("ftp://x".into()),
            ..Default::default()
        };
        assert!(spec.check("s").unwrap_err().contains("s.token_url"));
        assert!(SkillSpec::default().check("s").is_ok());
        assert!(valid_skill_key("music-eu_2") && !valid_skill_key("a b") && !valid_skill_key(""));
    }
}
