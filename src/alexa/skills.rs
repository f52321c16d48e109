//! Simulated skills, as in the developer console (issue 14): each has its
//! own Account Linking form (`LinkingConfig`), endpoint (and per-region
//! endpoints), locale and "skip account linking on enablement". The skill of
//! the `alexa_*` settings is `default`; the config file's `alexa_skills` and
//! the skills created in the UI or the JSON API come after it. A simulated
//! user enables them one by one; each (user, skill) has its own userId,
//! session and link (`store::alexa_links`).

use super::oauth::LinkingConfig;
use super::{AlexaError, SimulatorState};
use crate::config::{valid_skill_key, Settings, SkillSpec, DEFAULT_SKILL_KEY};
use crate::store::StoredSkill;
use crate::wire::alexa::Region;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Where a skill's form comes from: which of them the JSON API may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SkillOrigin {
    /// The `alexa_*` settings: the skill `default`.
    Settings,
    /// The config file's (or environment's) `alexa_skills`.
    Config,
    /// Created in the simulator's UI or JSON API (stored).
    Simulator,
}

/// One simulated skill.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SimulatedSkill {
    /// The simulator's name for it, used in URLs (`?skill=…`).
    pub key: String,
    pub name: String,
    /// The applicationId in every envelope.
    pub skill_id: String,
    /// The default endpoint.
    pub endpoint: String,
    /// Endpoints by region (NA, EU, FE) that replace the default one for
    /// users in that region.
    pub region_endpoints: BTreeMap<String, String>,
    /// `request.locale`.
    pub locale: String,
    /// Enabling does not start account linking; the user links later from
    /// the skill's card or the user page.
    pub skip_on_enablement: bool,
    /// The Account Linking form.
    pub linking: LinkingConfig,
    pub origin: SkillOrigin,
}

impl SimulatedSkill {
    /// The skill of the `alexa_*` settings.
    pub fn default_skill(settings: &Settings) -> SimulatedSkill {
        SimulatedSkill {
            key: DEFAULT_SKILL_KEY.to_owned(),
            name: "mock music".to_owned(),
            skill_id: settings.simulator.skill_id.clone(),
            endpoint: settings.alexa_skill_endpoint(),
            region_endpoints: BTreeMap::new(),
            locale: "en-US".to_owned(),
            skip_on_enablement: false,
            linking: LinkingConfig::from_settings(settings),
            origin: SkillOrigin::Settings,
        }
    }

    /// A skill from its form: what the form leaves out is the default
    /// skill's.
    pub fn from_spec(
        settings: &Settings,
        key: &str,
        spec: &SkillSpec,
        origin: SkillOrigin,
    ) -> SimulatedSkill {
        let d = Self::default_skill(settings);
        let l = d.linking;
        SimulatedSkill {
            key: key.to_owned(),
            name: spec.name.clone().unwrap_or_else(|| key.to_owned()),
            skill_id: spec.skill_id.clone().unwrap_or_else(|| skill_id_for(key)),
            endpoint: spec.endpoint.clone().unwrap_or(d.endpoint),
            region_endpoints: spec.region_endpoints.clone(),
            locale: spec.locale.clone().unwrap_or(d.locale),
            skip_on_enablement: spec.skip_on_enablement,
            linking: LinkingConfig {
                authorization_url: spec
                    .authorization_url
                    .clone()
                    .unwrap_or(l.authorization_url),
                token_url: spec.token_url.clone().unwrap_or(l.token_url),
                client_id: spec.client_id.clone().unwrap_or(l.client_id),
                client_secret: spec.client_secret.clone().unwrap_or(l.client_secret),
                scheme: spec.access_token_scheme.unwrap_or(l.scheme),
                scopes: spec
                    .scopes
                    .as_deref()
                    .map(|s| s.split_whitespace().map(str::to_owned).collect())
                    .unwrap_or(l.scopes),
                domains: spec.domains.clone(),
                default_expiration_seconds: spec
                    .default_token_expiration_seconds
                    .unwrap_or(l.default_expiration_seconds),
                pkce: spec.pkce.unwrap_or(l.pkce),
                vendor_id: l.vendor_id,
            },
            origin,
        }
    }

    /// The endpoint a user in `region` reaches.
    pub fn endpoint_for(&self, region: Region) -> &str {
        self.region_endpoints
            .get(region.code())
            .map(String::as_str)
            .unwrap_or(&self.endpoint)
    }
}

/// A stable applicationId for a skill made without one.
fn skill_id_for(key: &str) -> String {
    let d = crate::store::digest(&format!("mocklink simulated skill {key}"));
    format!(
        "amzn1.ask.skill.{}-{}-4{}-8{}-{}",
        &d[..8],
        &d[8..12],
        &d[13..16],
        &d[17..20],
        &d[20..32]
    )
}

fn stored(settings: &Settings, s: &StoredSkill) -> Result<SimulatedSkill, AlexaError> {
    let mut spec: SkillSpec = serde_json::from_str(&s.spec)
        .map_err(|e| AlexaError::Config(format!("stored simulated skill {}: {e}", s.key)))?;
    spec.client_secret = Some(s.client_secret.clone());
    Ok(SimulatedSkill::from_spec(
        settings,
        &s.key,
        &spec,
        SkillOrigin::Simulator,
    ))
}

/// The skill `key`, or 404.
pub async fn find(state: &SimulatorState, key: &str) -> Result<SimulatedSkill, AlexaError> {
    let s = &state.settings;
    if key == DEFAULT_SKILL_KEY {
        return Ok(SimulatedSkill::default_skill(s));
    }
    if let Some(spec) = s.simulator.skills.get(key) {
        return Ok(SimulatedSkill::from_spec(s, key, spec, SkillOrigin::Config));
    }
    let not_found = || AlexaError::NotFound(format!("There is no simulated skill {key}."));
    if !valid_skill_key(key) {
        return Err(not_found());
    }
    match state.store.alexa_skill(key).await? {
        Some(row) => stored(s, &row),
        None => Err(not_found()),
    }
}

/// Every skill: the default one, the config file's, then those created here.
pub async fn all(state: &SimulatorState) -> Result<Vec<SimulatedSkill>, AlexaError> {
    let s = &state.settings;
    let mut out = vec![SimulatedSkill::default_skill(s)];
    out.extend(
        s.simulator
            .skills
            .iter()
            .map(|(k, spec)| SimulatedSkill::from_spec(s, k, spec, SkillOrigin::Config)),
    );
    for row in state.store.alexa_skills().await? {
        out.push(stored(s, &row)?);
    }
    Ok(out)
}

/// Creates (or replaces) a skill made in the simulator; the settings' and the
/// config file's skills cannot be changed here.
pub async fn save(
    state: &SimulatorState,
    key: &str,
    spec: &SkillSpec,
) -> Result<(SimulatedSkill, bool), AlexaError> {
    let key = key.trim();
    if !valid_skill_key(key) {
        return Err(AlexaError::BadRequest(
            "A skill key is 1–64 letters, digits, '-' and '_'.".into(),
        ));
    }
    if key == DEFAULT_SKILL_KEY || state.settings.simulator.skills.contains_key(key) {
        return Err(AlexaError::BadRequest(format!(
            "The skill {key} comes from the settings (alexa_* or alexa_skills); change it there."
        )));
    }
    spec.check("skill").map_err(AlexaError::BadRequest)?;
    let mut public = spec.clone();
    let secret = public.client_secret.take();
    let existing = state.store.alexa_skill(key).await?;
    let row = StoredSkill {
        key: key.to_owned(),
        spec: serde_json::to_string(&public).expect("forms serialise"),
        // No secret in the form keeps the one stored, else the default skill's.
        client_secret: secret
            .or_else(|| existing.as_ref().map(|e| e.client_secret.clone()))
            .unwrap_or_else(|| state.settings.alexa_client_secret()),
        created_at: existing
            .as_ref()
            .map_or_else(|| state.clock.now(), |e| e.created_at),
    };
    let created = state.store.save_alexa_skill(&row).await?;
    tracing::info!(event = "alexa_skill_saved", skill = %key, created, "simulated skill saved");
    Ok((stored(&state.settings, &row)?, created))
}

/// Deletes a skill made in the simulator, with every link to it.
pub async fn delete(state: &SimulatorState, key: &str) -> Result<(), AlexaError> {
    let skill = find(state, key).await?;
    if skill.origin != SkillOrigin::Simulator {
        return Err(AlexaError::BadRequest(format!(
            "The skill {key} comes from the settings (alexa_* or alexa_skills); remove it there."
        )));
    }
    state.store.delete_alexa_skill(key).await?;
    Ok(())
}

impl SimulatorState {
    /// This state, acting for `skill`: the simulator's functions read the
    /// skill in play from `state.skill`.
    pub fn for_skill(&self, skill: SimulatedSkill) -> SimulatorState {
        SimulatorState {
            skill: Arc::new(skill),
            ..self.clone()
        }
    }

    /// This state acting for the skill `key` (`None`: the default skill).
    pub async fn with_skill(&self, key: Option<&str>) -> Result<SimulatorState, AlexaError> {
        match key.map(str::trim).filter(|k| !k.is_empty()) {
            None => Ok(self.for_skill(SimulatedSkill::default_skill(&self.settings))),
            Some(k) => Ok(self.for_skill(find(self, k).await?)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_takes_what_it_leaves_out_from_the_default_skill() {
        let settings = Settings::default();
        let spec = SkillSpec {
            locale: Some("de-DE".into()),
            pkce: Some(true),
            region_endpoints: [("EU".to_owned(), "https://eu.example/skill".to_owned())].into(),
            ..Default::default()
        };
        let s = SimulatedSkill::from_spec(&settings, "music-de", &spec, SkillOrigin::Config);
        let d = SimulatedSkill::default_skill(&settings);
        assert_eq!(s.locale, "de-DE");
        assert!(s.linking.pkce);
        assert_eq!(s.linking.token_url, d.linking.token_url);
        assert_eq!(s.endpoint_for(Region::Eu), "https://eu.example/skill");
        assert_eq!(s.endpoint_for(Region::Fe), d.endpoint);
        assert!(s.skill_id.starts_with("amzn1.ask.skill.") && s.skill_id != d.skill_id);
        assert_eq!(s.skill_id, skill_id_for("music-de"));
    }
}
