//! "Talk": an utterance (or a chosen intent) becomes a full request envelope,
//! POSTed to the configured skill endpoint; the session and its attributes
//! carry across turns until the skill ends it.

use super::deliver::{self, iso_timestamp, new_request_id, Failure, SentRequest};
use super::AlexaError;
use crate::alexa::SimulatorState;
use crate::wire::alexa::envelope::*;
use crate::wire::alexa::interaction_model::Resolved;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct TalkInput {
    /// What the user says, e.g. "open mock music" or "what's playing".
    #[serde(default)]
    pub utterance: Option<String>,
    /// Or an intent picked directly, with its slots.
    #[serde(default)]
    pub intent: Option<String>,
    #[serde(default)]
    pub slots: BTreeMap<String, String>,
    /// Or a LaunchRequest.
    #[serde(default)]
    pub launch: bool,
    /// Or say nothing while the skill listens: Alexa plays the reprompt
    /// once, then ends the session (`EXCEEDED_MAX_REPROMPTS`).
    #[serde(default)]
    pub silence: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TalkResult {
    pub request_type: String,
    pub intent: Option<String>,
    pub slots: BTreeMap<String, String>,
    /// Whether the request carried an account-linking token.
    pub linked: bool,
    /// The userId the skill saw.
    pub user_id: String,
    pub skill_endpoint: String,
    /// The envelope as sent, with the token cut to a hint.
    pub request: serde_json::Value,
    pub status: Option<u16>,
    pub response: Option<ResponseEnvelope>,
    pub speech: Option<String>,
    pub reprompt: Option<String>,
    pub card: Option<Card>,
    pub session_open: bool,
    /// What went wrong talking to the skill, if anything.
    pub error: Option<String>,
    /// Silence: Alexa played the pending reprompt instead of sending anything.
    pub reprompted: bool,
    /// The `SessionEndedRequest` Alexa sent after a failed turn
    /// (ENDPOINT_TIMEOUT, INVALID_RESPONSE), if any.
    pub session_ended: Option<SentRequest>,
}

impl TalkResult {
    pub fn asks_to_link(&self) -> bool {
        matches!(self.card, Some(Card::LinkAccount))
    }
}

enum Spoken {
    Launch,
    Intent(String, BTreeMap<String, String>),
    /// "exit": Alexa ends the session itself (USER_INITIATED).
    Exit,
    Silence,
}

/// The simulator's side of an open session.
#[derive(Debug, Default, Serialize, Deserialize)]
struct SessionState {
    /// The reprompt of the last answer, if it kept the session open.
    reprompt: Option<String>,
    /// Whether silence already made Alexa play it.
    reprompted: bool,
    /// The intent whose dialog is in progress (the last answer carried a
    /// `Dialog.*` directive).
    dialog_intent: Option<String>,
}

/// Resolves what was said against the bundled interaction model.
fn resolve(state: &SimulatorState, input: &TalkInput) -> Result<Spoken, AlexaError> {
    if input.launch {
        return Ok(Spoken::Launch);
    }
    if input.silence {
        return Ok(Spoken::Silence);
    }
    if let Some(name) = input
        .intent
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        if name.len() > 100
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_')
        {
            return Err(AlexaError::BadRequest(
                "An intent name is letters, digits, '.' and '_' only.".into(),
            ));
        }
        let slots = input
            .slots
            .iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(k, v)| (k.clone(), v.trim().to_owned()))
            .collect();
        return Ok(Spoken::Intent(name.to_owned(), slots));
    }
    let said = input
        .utterance
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .ok_or_else(|| {
            AlexaError::BadRequest("Say something: an utterance, an intent, or launch.".into())
        })?;
    if said.len() > 500 {
        return Err(AlexaError::BadRequest("That utterance is too long.".into()));
    }
    let model = &state.runtime.model;
    let lower = said
        .to_lowercase()
        .trim_start_matches("alexa")
        .trim_start_matches([',', ' '])
        .to_owned();
    let invocation = model.invocation_name.to_lowercase();
    for verb in ["open ", "launch ", "start "] {
        if lower.trim_end_matches(['.', '!']) == format!("{verb}{invocation}") {
            return Ok(Spoken::Launch);
        }
    }
    if lower.trim_end_matches(['.', '!']) == "exit" {
        return Ok(Spoken::Exit);
    }
    let mut rest = lower.as_str();
    for verb in ["ask ", "tell "] {
        if let Some(r) = rest.strip_prefix(&format!("{verb}{invocation}")) {
            rest = r.trim_start();
            for joiner in ["to ", "for ", "about "] {
                if let Some(r) = rest.strip_prefix(joiner) {
                    rest = r;
                    break;
                }
            }
        }
    }
    let m = model.match_utterance(rest);
    Ok(Spoken::Intent(m.intent, m.slots))
}

/// One turn of conversation for a simulated user.
pub async fn talk(
    state: &SimulatorState,
    user_id: &str,
    input: &TalkInput,
) -> Result<TalkResult, AlexaError> {
    let user = super::user(state, user_id).await?;
    let spoken = resolve(state, input)?;
    let skill_user = deliver::skill_user_id(state, &user).await?;
    let token = super::refresh::current_token(state, user_id).await?;
    let now = state.clock.now();
    let session_state: SessionState = user
        .session_state
        .as_deref()
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_default();
    let (session_id, is_new, attributes) = match &user.session_id {
        Some(id) => (
            id.clone(),
            false,
            user.session_attributes
                .as_deref()
                .and_then(|a| serde_json::from_str::<Attributes>(a).ok())
                .unwrap_or_default(),
        ),
        None => (
            format!("amzn1.echo-api.session.{}", uuid::Uuid::new_v4()),
            true,
            Attributes::new(),
        ),
    };
    let mut result = TalkResult {
        request_type: String::new(),
        intent: None,
        slots: BTreeMap::new(),
        linked: token.is_some(),
        user_id: skill_user.clone(),
        skill_endpoint: state
            .skill
            .endpoint_for(deliver::region_of(&user))
            .to_owned(),
        request: serde_json::Value::Null,
        status: None,
        response: None,
        speech: None,
        reprompt: None,
        card: None,
        session_open: false,
        error: None,
        reprompted: false,
        session_ended: None,
    };

    // What Alexa does by itself, without asking the skill what to say.
    let ended_by_alexa = match spoken {
        Spoken::Exit | Spoken::Silence if user.session_id.is_none() => {
            return Err(AlexaError::BadRequest(
                "No skill session is open: \"exit\" and silence only matter while the skill is listening."
                    .into(),
            ))
        }
        Spoken::Silence => match session_state.reprompt.clone() {
            Some(reprompt) if !session_state.reprompted => {
                // Alexa plays the reprompt and listens once more.
                let next = SessionState {
                    reprompted: true,
                    ..session_state
                };
                state
                    .store
                    .set_alexa_session_state(user_id, &user.skill_key, Some(&serde_json::to_string(&next).unwrap_or_default()))
                    .await?;
                result.request_type = "(none: Alexa played the reprompt)".into();
                result.speech = Some(reprompt.clone());
                result.reprompt = Some(reprompt.clone());
                result.reprompted = true;
                result.session_open = true;
                return Ok(result);
            }
            _ => Some("EXCEEDED_MAX_REPROMPTS"),
        },
        Spoken::Exit => Some("USER_INITIATED"),
        _ => None,
    };
    if let Some(reason) = ended_by_alexa {
        let sent = deliver::session_ended(
            state,
            &user,
            &skill_user,
            token,
            &session_id,
            attributes,
            reason,
            None,
        )
        .await?;
        result.request_type = sent.request_type.clone();
        result.request = sent.request.clone();
        result.status = sent.status;
        result.error = sent.error.clone();
        return Ok(result);
    }

    let locale = Some(state.skill.locale.clone());
    let timestamp = iso_timestamp(now);
    let request = match spoken {
        Spoken::Launch => KnownRequest::LaunchRequest(LaunchRequest {
            request_id: new_request_id(),
            timestamp,
            locale,
        }),
        Spoken::Intent(name, slots) => {
            let dialog_state = if state.runtime.dialog_intents.contains(&name) {
                if session_state.dialog_intent.as_deref() == Some(name.as_str()) {
                    "IN_PROGRESS"
                } else {
                    "STARTED"
                }
            } else {
                "COMPLETED"
            };
            let intent = Intent {
                name: name.clone(),
                confirmation_status: Some("NONE".into()),
                slots: Some(slot_objects(state, &name, &slots)),
            };
            result.intent = Some(name);
            result.slots = slots;
            KnownRequest::IntentRequest(IntentRequest {
                request_id: new_request_id(),
                timestamp,
                locale,
                dialog_state: Some(dialog_state.into()),
                intent,
            })
        }
        Spoken::Exit | Spoken::Silence => unreachable!("answered by Alexa above"),
    };
    let system = deliver::system_state(state, &user, &skill_user, token.clone(), true, now);
    let envelope = RequestEnvelope {
        version: "1.0".into(),
        session: Some(Session {
            new: is_new,
            session_id: session_id.clone(),
            application: system.application.clone(),
            attributes: Some(attributes.clone()),
            user: system.user.clone(),
        }),
        context: Context {
            system,
            other: Default::default(),
        },
        request: Request::Known(request),
    };
    result.request_type = envelope.request.type_name().to_owned();
    result.request = deliver::redacted(&envelope);

    let d = deliver::deliver(state, &user, &envelope).await;
    result.status = d.status;
    match d.outcome {
        Ok(response) => {
            let r = &response.response;
            result.speech = r.output_speech.as_ref().map(|o| o.text().to_owned());
            result.reprompt = r
                .reprompt
                .as_ref()
                .and_then(|p| p.output_speech.as_ref())
                .map(|o| o.text().to_owned());
            result.card = r.card.clone();
            // An Echo (no screen) ends the session unless the skill keeps it open.
            result.session_open = r.should_end_session == Some(false);
            if result.session_open {
                let attrs = serde_json::Value::Object(
                    response.session_attributes.clone().unwrap_or_default(),
                )
                .to_string();
                state
                    .store
                    .set_alexa_session(user_id, &user.skill_key, Some((&session_id, &attrs)))
                    .await?;
                let next = SessionState {
                    reprompt: result.reprompt.clone(),
                    reprompted: false,
                    dialog_intent: dialog_in_progress(&response, result.intent.as_deref()),
                };
                state
                    .store
                    .set_alexa_session_state(
                        user_id,
                        &user.skill_key,
                        Some(&serde_json::to_string(&next).unwrap_or_default()),
                    )
                    .await?;
            } else {
                state
                    .store
                    .set_alexa_session(user_id, &user.skill_key, None)
                    .await?;
            }
            result.response = Some(response);
        }
        Err(failure) => {
            tracing::warn!(event = "alexa_skill_failed", reason = %failure.message(), "the skill request failed");
            result.error = Some(failure.message().to_owned());
            match failure.error_type() {
                // Alexa tells the skill the session is over, and why.
                Some(kind) => {
                    result.session_ended = Some(
                        deliver::session_ended(
                            state,
                            &user,
                            &skill_user,
                            token,
                            &session_id,
                            attributes,
                            "ERROR",
                            Some((kind, failure_message(&failure))),
                        )
                        .await?,
                    );
                }
                None => {
                    state
                        .store
                        .set_alexa_session(user_id, &user.skill_key, None)
                        .await?
                }
            }
        }
    }
    Ok(result)
}

/// The `error.message` Alexa sends (its wording, as reported by developers).
fn failure_message(f: &Failure) -> String {
    match f {
        Failure::Timeout(_) => "The requested skill took too long to respond".into(),
        Failure::Invalid(why) => format!("The skill's response was invalid: {why}"),
        Failure::Unreachable(why) => why.clone(),
    }
}

/// Every slot the model declares, filled or not, as Alexa sends them: a
/// filled one with `slotValue`, and for a custom slot type `resolutions`
/// (ER_SUCCESS_MATCH / ER_SUCCESS_NO_MATCH) in both.
fn slot_objects(
    state: &SimulatorState,
    intent: &str,
    said: &BTreeMap<String, String>,
) -> BTreeMap<String, Slot> {
    let model = &state.runtime.model;
    let declared = model
        .intent(intent)
        .map(|i| i.slots.as_slice())
        .unwrap_or_default();
    let mut out: BTreeMap<String, Slot> = declared
        .iter()
        .map(|d| {
            (
                d.name.clone(),
                Slot {
                    name: d.name.clone(),
                    value: None,
                    confirmation_status: Some("NONE".into()),
                    resolutions: None,
                    slot_value: None,
                },
            )
        })
        .collect();
    for (name, value) in said {
        let kind = declared
            .iter()
            .find(|d| &d.name == name)
            .map(|d| d.kind.as_str());
        let resolutions = kind
            .and_then(|k| Some((k, model.resolve(k, value)?)))
            .map(|(k, r)| match r {
                Resolved::Match { name, id } => {
                    resolutions(&state.skill.skill_id, k, Some((&name, &id)))
                }
                Resolved::NoMatch => resolutions(&state.skill.skill_id, k, None),
            });
        out.insert(
            name.clone(),
            Slot {
                name: name.clone(),
                value: Some(value.clone()),
                confirmation_status: Some("NONE".into()),
                slot_value: Some(simple_slot_value(value, resolutions.as_ref())),
                resolutions,
            },
        );
    }
    out
}

/// The intent whose dialog goes on: the last answer carried a `Dialog.*`
/// directive (for its `updatedIntent`, else the intent just sent).
fn dialog_in_progress(response: &ResponseEnvelope, intent: Option<&str>) -> Option<String> {
    let directives = response.response.directives.as_deref().unwrap_or_default();
    let d = directives.iter().find(|d| {
        d.get("type")
            .and_then(|t| t.as_str())
            .is_some_and(|t| t.starts_with("Dialog."))
    })?;
    d.pointer("/updatedIntent/name")
        .and_then(|n| n.as_str())
        .map(str::to_owned)
        .or_else(|| intent.map(str::to_owned))
}
