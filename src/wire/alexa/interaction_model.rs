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
        serde_json::from_str::<InteractionModelFile>(BUNDLED_MODEL)
            .expect("the bundled interaction model is valid (unit-tested)")
            .interaction_model
            .language_model
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
            "stop" | "stop it" | "shut up" | "quit" | "exit" => {
                return builtin("AMAZON.StopIntent")
            }
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
}
