//! The skill's interaction model (skill-package JSON) and a small matcher that
//! maps a typed utterance to an intent the way the simulator needs: samples
//! with `{slot}` placeholders as wildcards, built-ins by their usual words,
//! anything else `AMAZON.FallbackIntent`.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The bundled model, shipped in `skill-package/`.
pub const BUNDLED_MODEL: &str =
    include_str!("../../../skill-package/interactionModels/custom/en-US.json");

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InteractionModelFile {
    pub interaction_model: InteractionModel,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InteractionModel {
    pub language_model: LanguageModel,
    /// The dialog model: intents Alexa runs a multi-turn dialog for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dialog: Option<DialogModel>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DialogModel {
    #[serde(default)]
    pub intents: Vec<DialogIntent>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DialogIntent {
    pub name: String,
}

impl InteractionModel {
    /// Whether `intent` has a dialog model (Alexa then sets `dialogState`
    /// STARTED / IN_PROGRESS).
    pub fn has_dialog(&self, intent: &str) -> bool {
        self.dialog
            .as_ref()
            .is_some_and(|d| d.intents.iter().any(|i| i.name == intent))
    }

    pub fn bundled() -> Self {
        serde_json::from_str::<InteractionModelFile>(BUNDLED_MODEL)
            .expect("the bundled interaction model is valid (unit-tested)")
            .interaction_model
    }
}

/// What entity resolution found for a slot value of a custom slot type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// `ER_SUCCESS_MATCH`: the value or a synonym of it, with its canonical
    /// name and id.
    Match { name: String, id: String },
    /// `ER_SUCCESS_NO_MATCH`
    NoMatch,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LanguageModel {
    pub invocation_name: String,
    pub intents: Vec<ModelIntent>,
    #[serde(default)]
    pub types: Vec<serde_json::Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelIntent {
    pub name: String,
    #[serde(default)]
    pub slots: Vec<ModelSlot>,
    #[serde(default)]
    pub samples: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelSlot {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
}

/// An utterance resolved to an intent with its filled slots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matched {
    pub intent: String,
    pub slots: BTreeMap<String, String>,
}

impl LanguageModel {
    pub fn bundled() -> Self {
        InteractionModel::bundled().language_model
    }

    /// Maps an utterance to an intent; unmatched → `AMAZON.FallbackIntent`.
    pub fn match_utterance(&self, utterance: &str) -> Matched {
        let words = normalise(utterance);
        let builtin = |name: &str| Matched {
            intent: name.into(),
            slots: BTreeMap::new(),
        };
        let text = words.join(" ");
        match text.as_str() {
            "stop" | "stop it" | "shut up" | "quit" => return builtin("AMAZON.StopIntent"),
            "cancel" | "never mind" | "nevermind" | "forget it" => {
                return builtin("AMAZON.CancelIntent")
            }
            "help" | "help me" | "what can i say" | "what can you do" => {
                return builtin("AMAZON.HelpIntent")
            }
            "go home" | "home" => return builtin("AMAZON.NavigateHomeIntent"),
            _ => {}
        }
        for intent in &self.intents {
            for sample in &intent.samples {
                let pattern = normalise_sample(sample);
                let mut slots = BTreeMap::new();
                if match_words(&pattern, &words, &mut slots) {
                    return Matched {
                        intent: intent.name.clone(),
                        slots,
                    };
                }
            }
        }
        builtin("AMAZON.FallbackIntent")
    }

    pub fn intent(&self, name: &str) -> Option<&ModelIntent> {
        self.intents.iter().find(|i| i.name == name)
    }

    /// Entity resolution of `said` against the custom slot type `kind`
    /// (value or synonym, case-insensitive); `None` for a built-in type
    /// (`AMAZON.*`) or a type the model does not declare.
    pub fn resolve(&self, kind: &str, said: &str) -> Option<Resolved> {
        let ty = self
            .types
            .iter()
            .find(|t| t.get("name").and_then(|n| n.as_str()) == Some(kind))?;
        let wanted = normalise(said).join(" ");
        let values = ty.get("values").and_then(|v| v.as_array())?;
        for v in values {
            let name = &v["name"];
            let Some(value) = name.get("value").and_then(|x| x.as_str()) else {
                continue;
            };
            let synonyms = name
                .get("synonyms")
                .and_then(|s| s.as_array())
                .into_iter()
                .flatten()
                .filter_map(|s| s.as_str());
            if std::iter::once(value)
                .chain(synonyms)
                .any(|w| normalise(w).join(" ") == wanted)
            {
                // Alexa makes an id when the model gives none.
                let id = v
                    .get("id")
                    .and_then(|i| i.as_str())
                    .map(str::to_owned)
                    .unwrap_or_else(|| made_up_id(value));
                return Some(Resolved::Match {
                    name: value.to_owned(),
                    id,
                });
            }
        }
        Some(Resolved::NoMatch)
    }
}

/// A stable 32-hex-digit id for a slot value without one (FNV-1a, twice).
fn made_up_id(value: &str) -> String {
    let fnv = |seed: u64| {
        value.bytes().fold(seed, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
    };
    format!(
        "{:016x}{:016x}",
        fnv(0xcbf2_9ce4_8422_2325),
        fnv(0x8422_2325_cbf2_9ce4)
    )
}

/// Lower case, punctuation other than apostrophes dropped, single spaces.
fn normalise(s: &str) -> Vec<String> {
    s.to_lowercase()
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '\'' {
                c
            } else {
                ' '
            }
        })
        .collect::<String>()
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

/// Like `normalise`, but `{slot}` placeholders are kept as single tokens.
fn normalise_sample(s: &str) -> Vec<String> {
    s.split_whitespace()
        .flat_map(|w| {
            if w.starts_with('{') && w.ends_with('}') {
                vec![w.to_owned()]
            } else {
                normalise(w)
            }
        })
        .collect()
}

/// Matches words against a pattern; a placeholder takes one or more words.
fn match_words(pattern: &[String], words: &[String], slots: &mut BTreeMap<String, String>) -> bool {
    match pattern.split_first() {
        None => words.is_empty(),
        Some((p, rest)) if p.starts_with('{') => {
            let name = p.trim_matches(|c| c == '{' || c == '}');
            for take in 1..=words.len() {
                let mut attempt = slots.clone();
                attempt.insert(name.to_owned(), words[..take].join(" "));
                if match_words(rest, &words[take..], &mut attempt) {
                    *slots = attempt;
                    return true;
                }
            }
            false
        }
        Some((p, rest)) => {
            words.first().is_some_and(|w| w == p) && match_words(rest, &words[1..], slots)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_account_linking_settings_are_auth_code_with_basic_auth() {
        let v: serde_json::Value =
            serde_json::from_str(include_str!("../../../skill-package/accountLinking.json"))
                .unwrap();
        let r = &v["accountLinkingRequest"];
        assert_eq!(r["type"], "AUTH_CODE");
        assert_eq!(r["accessTokenScheme"], "HTTP_BASIC");
        assert_eq!(r["clientId"], crate::config::DEMO_CLIENT_ID);
        let scopes: Vec<&str> = r["scopes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        assert_eq!(scopes.join(" "), crate::config::DEMO_SCOPES);
    }

    #[test]
    fn utterances_match_samples_with_slots_as_wildcards() {
        let m = LanguageModel::bundled();
        assert_eq!(
            m.match_utterance("What's playing?").intent,
            "WhatsPlayingIntent"
        );
        let play = m.match_utterance("play Never Gonna Give You Up");
        assert_eq!(play.intent, "PlaySongIntent");
        assert_eq!(play.slots["song"], "never gonna give you up");
        let vol = m.match_utterance("set the volume to 40");
        assert_eq!(vol.intent, "SetVolumeIntent");
        assert_eq!(vol.slots["volume"], "40");
        assert_eq!(m.match_utterance("Stop").intent, "AMAZON.StopIntent");
        assert_eq!(m.match_utterance("cancel").intent, "AMAZON.CancelIntent");
        assert_eq!(m.match_utterance("help").intent, "AMAZON.HelpIntent");
        assert_eq!(
            m.match_utterance("order me a pizza").intent,
            "AMAZON.FallbackIntent"
        );
        assert_eq!(m.match_utterance("play").intent, "AMAZON.FallbackIntent");
    }

    #[test]
    fn custom_slot_values_resolve_by_value_or_synonym() {
        let m: LanguageModel = serde_json::from_value(serde_json::json!({
            "invocationName": "x y",
            "intents": [],
            "types": [{"name": "GENRE", "values": [
                {"id": "JAZZ", "name": {"value": "jazz", "synonyms": ["smooth jazz"]}},
                {"name": {"value": "rock"}}
            ]}]
        }))
        .unwrap();
        assert_eq!(
            m.resolve("GENRE", "Smooth Jazz"),
            Some(Resolved::Match {
                name: "jazz".into(),
                id: "JAZZ".into()
            })
        );
        assert!(
            matches!(m.resolve("GENRE", "rock"), Some(Resolved::Match { id, .. }) if id.len() == 32)
        );
        assert_eq!(m.resolve("GENRE", "polka"), Some(Resolved::NoMatch));
        assert_eq!(m.resolve("AMAZON.SearchQuery", "polka"), None);
    }
}
