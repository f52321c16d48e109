//! "Talk": an utterance (or a chosen intent) becomes a full request envelope,
//! POSTed to the configured skill endpoint; the session and its attributes
//! carry across turns until the skill ends it.

use super::{link, AlexaError};
use crate::alexa::SimulatorState;
use crate::wire::alexa::envelope::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// Alexa gives a skill about 8 seconds.
const SKILL_TIMEOUT: Duration = Duration::from_secs(8);
const API_ENDPOINT: &str = "https://api.amazonalexa.com";
/// Alexa's documented limits on what a skill may answer.
const MAX_RESPONSE_BYTES: usize = 24 * 1024;
const MAX_SPEECH_CHARS: usize = 7999;

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
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TalkResult {
    pub request_type: String,
    pub intent: Option<String>,
    pub slots: BTreeMap<String, String>,
    /// Whether the request carried an account-linking token.
    pub linked: bool,
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
}

impl TalkResult {
    pub fn asks_to_link(&self) -> bool {
        matches!(self.card, Some(Card::LinkAccount))
    }
}

enum Spoken {
    Launch,
    Intent(String, BTreeMap<String, String>),
}

/// Resolves what was said against the bundled interaction model.
fn resolve(state: &SimulatorState, input: &TalkInput) -> Result<Spoken, AlexaError> {
    if input.launch {
        return Ok(Spoken::Launch);
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

fn iso_timestamp(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.replace_nanosecond(0)
                .ok()?
                .format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".into())
}

/// One turn of conversation for a simulated user.
pub async fn talk(
    state: &SimulatorState,
    user_id: &str,
    input: &TalkInput,
) -> Result<TalkResult, AlexaError> {
    let user = super::user(state, user_id).await?;
    let spoken = resolve(state, input)?;
    let token = link::current_token(state, user_id).await?;
    let s = &state.settings;
    let now = state.clock.now();

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
    let alexa_user = User {
        user_id: user.id.clone(),
        access_token: token.clone(),
        permissions: None,
    };
    let application = Application {
        application_id: s.simulator.skill_id.clone(),
    };
    let request_id = format!("amzn1.echo-api.request.{}", uuid::Uuid::new_v4());
    let timestamp = iso_timestamp(now);
    let locale = Some("en-US".to_owned());
    let (request, intent_name, slots) = match spoken {
        Spoken::Launch => (
            KnownRequest::LaunchRequest(LaunchRequest {
                request_id,
                timestamp,
                locale,
            }),
            None,
            BTreeMap::new(),
        ),
        Spoken::Intent(name, slots) => {
            // Every slot the model declares is sent, filled or not, as Alexa does.
            let mut all: BTreeMap<String, Slot> = state
                .runtime
                .model
                .intent(&name)
                .map(|i| {
                    i.slots
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
                        .collect()
                })
                .unwrap_or_default();
            for (k, v) in &slots {
                all.insert(
                    k.clone(),
                    Slot {
                        name: k.clone(),
                        value: Some(v.clone()),
                        confirmation_status: Some("NONE".into()),
                        resolutions: None,
                        slot_value: None,
                    },
                );
            }
            (
                KnownRequest::IntentRequest(IntentRequest {
                    request_id,
                    timestamp,
                    locale,
                    dialog_state: Some("COMPLETED".into()),
                    intent: Intent {
                        name: name.clone(),
                        confirmation_status: Some("NONE".into()),
                        slots: Some(all),
                    },
                }),
                Some(name),
                slots,
            )
        }
    };
    let device_id = format!(
        "amzn1.ask.device.{}",
        &crate::store::digest(&user.id)[..32].to_uppercase()
    );
    let envelope = RequestEnvelope {
        version: "1.0".into(),
        session: Some(Session {
            new: is_new,
            session_id: session_id.clone(),
            application: application.clone(),
            attributes: Some(attributes),
            user: alexa_user.clone(),
        }),
        context: Context {
            system: SystemState {
                application,
                user: alexa_user,
                device: Some(Device {
                    device_id,
                    supported_interfaces: serde_json::json!({}),
                }),
                person: None,
                unit: None,
                api_endpoint: API_ENDPOINT.into(),
                api_access_token: None,
            },
            other: Default::default(),
        },
        request: Request::Known(request),
    };
    let request_type = envelope.request.type_name().to_owned();
    let endpoint = s.alexa_skill_endpoint();
    let mut result = TalkResult {
        request_type,
        intent: intent_name,
        slots,
        linked: token.is_some(),
        skill_endpoint: endpoint.clone(),
        request: redacted(&envelope),
        status: None,
        response: None,
        speech: None,
        reprompt: None,
        card: None,
        session_open: false,
        error: None,
    };

    let body = serde_json::to_vec(&envelope).expect("envelopes serialise");
    let mut post = state
        .runtime
        .http
        .post(&endpoint)
        .timeout(SKILL_TIMEOUT)
        .header("Content-Type", "application/json; charset=utf-8");
    if let Some(signer) = &state.runtime.signer {
        let signature = signer.sign(&body).map_err(AlexaError::Config)?;
        post = post
            .header("SignatureCertChainUrl", &signer.cert_chain_url)
            .header("Signature-256", signature);
    }
    let sent = post.body(body).send().await;
    let outcome = match sent {
        Err(e) => Err(format!(
            "the skill endpoint could not be reached ({})",
            e.without_url()
        )),
        Ok(res) => {
            let status = res.status().as_u16();
            result.status = Some(status);
            let body = res.bytes().await.unwrap_or_default();
            if status != 200 {
                Err(format!(
                    "the skill answered HTTP {status}: {}",
                    String::from_utf8_lossy(&body[..body.len().min(300)])
                ))
            } else if body.len() > MAX_RESPONSE_BYTES {
                Err(format!(
                    "the response is {} bytes; Alexa rejects responses over 24 KB (INVALID_RESPONSE)",
                    body.len()
                ))
            } else {
                serde_json::from_slice::<ResponseEnvelope>(&body)
                    .map_err(|e| format!("the skill's answer is not a valid response envelope ({e})"))
                    .and_then(|r| match r.response.output_speech.as_ref() {
                        Some(o) if o.text().chars().count() > MAX_SPEECH_CHARS => Err(format!(
                            "the speech is {} characters; Alexa allows fewer than 8000 (INVALID_RESPONSE)",
                            o.text().chars().count()
                        )),
                        _ => Ok(r),
                    })
            }
        }
    };
    match outcome {
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
                    .set_alexa_session(user_id, Some((&session_id, &attrs)))
                    .await?;
            } else {
                state.store.set_alexa_session(user_id, None).await?;
            }
            result.response = Some(response);
        }
        Err(why) => {
            tracing::warn!(event = "alexa_skill_failed", reason = %why, "the skill request failed");
            state.store.set_alexa_session(user_id, None).await?;
            result.error = Some(why);
        }
    }
    Ok(result)
}

/// The envelope as JSON with the linking token cut to its first characters.
fn redacted(env: &RequestEnvelope) -> serde_json::Value {
    let mut v = serde_json::to_value(env).expect("envelopes serialise");
    for path in [["session", "user"], ["context", "System"]] {
        let mut node = &mut v;
        for key in path {
            node = &mut node[key];
        }
        if path[0] == "context" {
            node = &mut node["user"];
        }
        if let Some(t) = node.get("accessToken").and_then(|t| t.as_str()) {
            let h = super::oauth::hint(t);
            node["accessToken"] = serde_json::Value::String(h);
        }
    }
    v
}
