//! Sending a request envelope to the skill endpoint as Alexa does: the
//! `context.System` a device fills in (regional `apiEndpoint`, a fresh
//! `apiAccessToken`, an Echo's `supportedInterfaces`), the signature, the
//! deadline (ENDPOINT_TIMEOUT), the checks on the answer (INVALID_RESPONSE),
//! and the requests Alexa sends on its own: `SessionEndedRequest` and the
//! skill events, each written to the user's event log.

use super::{AlexaError, SimulatorState};
use crate::store::{AlexaEvent, AlexaUser};
use crate::wire::alexa::envelope::*;
use crate::wire::alexa::Region;
use std::time::Duration;

/// Alexa's documented limits on what a skill may answer.
const MAX_RESPONSE_BYTES: usize = 24 * 1024;
const MAX_SPEECH_CHARS: usize = 7999;

/// The user's region (NA for anything unknown, as for users stored before
/// regions existed).
pub fn region_of(user: &AlexaUser) -> Region {
    Region::parse(&user.region).unwrap_or(Region::Na)
}

/// A new `amzn1.ask.account.…` id.
pub fn new_account_id() -> String {
    format!(
        "amzn1.ask.account.{}{}",
        uuid::Uuid::new_v4().simple().to_string().to_uppercase(),
        uuid::Uuid::new_v4().simple().to_string().to_uppercase()
    )
}

pub fn iso_timestamp(unix: i64) -> String {
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

pub fn new_request_id() -> String {
    format!("amzn1.echo-api.request.{}", uuid::Uuid::new_v4())
}

/// The userId the skill sees for this user: a fresh one after a disable.
pub async fn skill_user_id(state: &SimulatorState, user: &AlexaUser) -> Result<String, AlexaError> {
    match &user.skill_user_id {
        Some(id) => Ok(id.clone()),
        None => Ok(state
            .store
            .ensure_skill_user_id(&user.id, &user.skill_key, &new_account_id())
            .await?),
    }
}

/// Alexa's own token for Alexa's service APIs (progressive response,
/// settings, …) — never the account-linking token. A JWT like Amazon's, but
/// signed HS256 with a key made at start: skills may decode it, no Alexa API
/// accepts it.
fn api_access_token(
    state: &SimulatorState,
    endpoint: &str,
    user_id: &str,
    device_id: Option<&str>,
    now: i64,
) -> String {
    let claims = serde_json::json!({
        "aud": endpoint,
        "iss": "AlexaSkillKit",
        "sub": state.skill.skill_id,
        "exp": now + 3600,
        "iat": now,
        "nbf": now,
        "privateClaims": {
            "context": uuid::Uuid::new_v4().to_string(),
            "deviceId": device_id,
            "userId": user_id,
        },
    });
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(state.runtime.api_token_key()),
    )
    .unwrap_or_default()
}

/// `context.System` for a user: with a device (an Echo, which plays audio)
/// for what the user says, without one for skill events.
pub fn system_state(
    state: &SimulatorState,
    user: &AlexaUser,
    skill_user_id: &str,
    token: Option<String>,
    with_device: bool,
    now: i64,
) -> SystemState {
    let endpoint = region_of(user).api_endpoint();
    let device_id = with_device.then(|| {
        format!(
            "amzn1.ask.device.{}",
            &crate::store::digest(&user.id)[..32].to_uppercase()
        )
    });
    SystemState {
        application: Application {
            application_id: state.skill.skill_id.clone(),
        },
        user: User {
            user_id: skill_user_id.to_owned(),
            access_token: token,
            permissions: None,
        },
        api_access_token: Some(api_access_token(
            state,
            endpoint,
            skill_user_id,
            device_id.as_deref(),
            now,
        )),
        device: device_id.map(|device_id| Device {
            device_id,
            supported_interfaces: serde_json::json!({"AudioPlayer": {}}),
        }),
        person: None,
        unit: None,
        api_endpoint: endpoint.to_owned(),
    }
}

/// Why a request did not get a usable answer.
#[derive(Debug, Clone)]
pub enum Failure {
    /// No answer within the deadline: `ENDPOINT_TIMEOUT`.
    Timeout(String),
    /// Not reachable at all (refused, DNS, TLS).
    Unreachable(String),
    /// An answer that is not a valid response: `INVALID_RESPONSE`.
    Invalid(String),
}

impl Failure {
    pub fn message(&self) -> &str {
        match self {
            Self::Timeout(m) | Self::Unreachable(m) | Self::Invalid(m) => m,
        }
    }

    /// The `SessionEndedRequest` error type Alexa sends for this failure.
    pub fn error_type(&self) -> Option<&'static str> {
        match self {
            Self::Timeout(_) => Some("ENDPOINT_TIMEOUT"),
            Self::Invalid(_) => Some("INVALID_RESPONSE"),
            Self::Unreachable(_) => None,
        }
    }
}

/// What came of one request.
pub struct Delivery {
    pub status: Option<u16>,
    pub outcome: Result<ResponseEnvelope, Failure>,
}

/// Signs and POSTs `envelope` with Alexa's deadline; checks the answer.
pub async fn deliver(
    state: &SimulatorState,
    user: &AlexaUser,
    envelope: &RequestEnvelope,
) -> Delivery {
    let endpoint = state.skill.endpoint_for(region_of(user)).to_owned();
    let deadline = Duration::from_millis(state.settings.simulator.skill_timeout_ms);
    let body = serde_json::to_vec(envelope).expect("envelopes serialise");
    let mut post = state
        .runtime
        .http
        .post(&endpoint)
        .timeout(deadline)
        .header("Content-Type", "application/json; charset=utf-8");
    if let Some(signer) = &state.runtime.signer {
        match signer.sign(&body) {
            Ok(signature) => {
                post = post
                    .header("SignatureCertChainUrl", &signer.cert_chain_url)
                    .header("Signature-256", signature);
            }
            Err(e) => {
                return Delivery {
                    status: None,
                    outcome: Err(Failure::Unreachable(e)),
                }
            }
        }
    }
    let timed_out = || {
        Failure::Timeout(format!(
            "the skill took too long to respond: no answer within {} ms (ENDPOINT_TIMEOUT)",
            deadline.as_millis()
        ))
    };
    let res = match post.body(body).send().await {
        Err(e) if e.is_timeout() => {
            return Delivery {
                status: None,
                outcome: Err(timed_out()),
            }
        }
        Err(e) => {
            return Delivery {
                status: None,
                outcome: Err(Failure::Unreachable(format!(
                    "the skill endpoint could not be reached ({})",
                    e.without_url()
                ))),
            }
        }
        Ok(res) => res,
    };
    let status = res.status().as_u16();
    let body = match res.bytes().await {
        Ok(b) => b,
        Err(e) if e.is_timeout() => {
            return Delivery {
                status: Some(status),
                outcome: Err(timed_out()),
            }
        }
        Err(_) => Default::default(),
    };
    let outcome = if status != 200 {
        Err(Failure::Invalid(format!(
            "the skill answered HTTP {status}: {} (INVALID_RESPONSE)",
            String::from_utf8_lossy(&body[..body.len().min(300)])
        )))
    } else if body.len() > MAX_RESPONSE_BYTES {
        Err(Failure::Invalid(format!(
            "the response is {} bytes; Alexa rejects responses over 24 KB (INVALID_RESPONSE)",
            body.len()
        )))
    } else {
        serde_json::from_slice::<ResponseEnvelope>(&body)
            .map_err(|e| {
                Failure::Invalid(format!(
                    "the skill's answer is not a valid response envelope ({e}) (INVALID_RESPONSE)"
                ))
            })
            .and_then(|r| match r.response.output_speech.as_ref() {
                Some(o) if o.text().chars().count() > MAX_SPEECH_CHARS => {
                    Err(Failure::Invalid(format!(
                        "the speech is {} characters; Alexa allows fewer than 8000 (INVALID_RESPONSE)",
                        o.text().chars().count()
                    )))
                }
                _ => Ok(r),
            })
    };
    Delivery {
        status: Some(status),
        outcome,
    }
}

/// A request Alexa sent on its own, as the talk result and the event log show it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct SentRequest {
    pub request_type: String,
    /// SessionEndedRequest: USER_INITIATED | ERROR | EXCEEDED_MAX_REPROMPTS
    pub reason: Option<String>,
    /// SessionEndedRequest with reason ERROR: ENDPOINT_TIMEOUT | INVALID_RESPONSE
    pub error_type: Option<String>,
    /// The envelope as sent, with the token cut to a hint.
    #[schema(value_type = Object)]
    pub request: serde_json::Value,
    pub status: Option<u16>,
    /// What went wrong sending it, if anything.
    pub error: Option<String>,
}

/// Sends `SessionEndedRequest` for the user's session and logs it.
#[allow(clippy::too_many_arguments)]
pub async fn session_ended(
    state: &SimulatorState,
    user: &AlexaUser,
    skill_user_id: &str,
    token: Option<String>,
    session_id: &str,
    attributes: Attributes,
    reason: &str,
    error: Option<(&str, String)>,
) -> Result<SentRequest, AlexaError> {
    let now = state.clock.now();
    let system = system_state(state, user, skill_user_id, token, true, now);
    let envelope = RequestEnvelope {
        version: "1.0".into(),
        session: Some(Session {
            new: false,
            session_id: session_id.to_owned(),
            application: system.application.clone(),
            attributes: Some(attributes),
            user: system.user.clone(),
        }),
        context: Context {
            system,
            other: Default::default(),
        },
        request: Request::Known(KnownRequest::SessionEndedRequest(SessionEndedRequest {
            request_id: new_request_id(),
            timestamp: iso_timestamp(now),
            locale: Some(state.skill.locale.clone()),
            reason: Some(reason.to_owned()),
            error: error.as_ref().map(|(kind, message)| SessionEndedError {
                kind: (*kind).to_owned(),
                message: Some(message.clone()),
            }),
        })),
    };
    let d = deliver(state, user, &envelope).await;
    let sent = SentRequest {
        request_type: "SessionEndedRequest".into(),
        reason: Some(reason.to_owned()),
        error_type: error.map(|(k, _)| k.to_owned()),
        request: redacted(&envelope),
        status: d.status,
        error: d.outcome.as_ref().err().map(|f| f.message().to_owned()),
    };
    let summary = match &sent.error_type {
        Some(t) => format!("SessionEndedRequest reason {reason}, error {t}"),
        None => format!("SessionEndedRequest reason {reason}"),
    };
    log_sent(state, &user.id, "session_ended", summary, &sent, &d).await;
    state
        .store
        .set_alexa_session(&user.id, &user.skill_key, None)
        .await?;
    Ok(sent)
}

/// Sends a skill event (out of session: no `session`, no device) and logs
/// it; a skill that fails to take it changes nothing for the user.
pub async fn skill_event(
    state: &SimulatorState,
    user: &AlexaUser,
    skill_user_id: &str,
    kind: &str,
    token: Option<String>,
) -> Result<Option<SentRequest>, AlexaError> {
    if !state.settings.simulator.skill_events {
        return Ok(None);
    }
    let now = state.clock.now();
    let body = (kind == SKILL_ACCOUNT_LINKED)
        .then(|| serde_json::json!({"accessToken": token.clone().unwrap_or_default()}));
    let envelope = RequestEnvelope {
        version: "1.0".into(),
        session: None,
        context: Context {
            system: system_state(state, user, skill_user_id, token, false, now),
            other: Default::default(),
        },
        request: Request::Other(skill_event_request(
            kind,
            new_request_id(),
            iso_timestamp(now),
            body,
        )),
    };
    let d = deliver(state, user, &envelope).await;
    let sent = SentRequest {
        request_type: kind.to_owned(),
        reason: None,
        error_type: None,
        request: redacted(&envelope),
        status: d.status,
        error: d.outcome.as_ref().err().map(|f| f.message().to_owned()),
    };
    tracing::info!(event = "alexa_skill_event", user = %user.id, kind, status = ?d.status, "skill event sent");
    log_sent(state, &user.id, "skill_event", kind.to_owned(), &sent, &d).await;
    Ok(Some(sent))
}

async fn log_sent(
    state: &SimulatorState,
    user_id: &str,
    kind: &str,
    summary: String,
    sent: &SentRequest,
    d: &Delivery,
) {
    let response = match &d.outcome {
        Ok(r) => serde_json::to_string(r).unwrap_or_default(),
        Err(f) => f.message().to_owned(),
    };
    note(
        state,
        AlexaEvent {
            user_id: user_id.to_owned(),
            skill_key: state.skill.key.clone(),
            at: state.clock.now(),
            kind: kind.to_owned(),
            summary,
            request: sent.request.clone(),
            status: sent.status.map(i64::from),
            response,
        },
    )
    .await;
}

/// Writes an entry of the user's event log; a diagnostic, never fatal.
pub async fn note(state: &SimulatorState, e: AlexaEvent) {
    if let Err(err) = state.store.append_alexa_event(&e).await {
        tracing::warn!(error = %err, "could not write the Alexa event log");
    }
}

/// A plain entry (no request sent) of the user's event log.
pub async fn note_plain(
    state: &SimulatorState,
    user_id: &str,
    at: i64,
    kind: &str,
    summary: String,
) {
    note(
        state,
        AlexaEvent {
            user_id: user_id.to_owned(),
            skill_key: state.skill.key.clone(),
            at,
            kind: kind.to_owned(),
            summary,
            request: serde_json::Value::Null,
            status: None,
            response: String::new(),
        },
    )
    .await;
}

/// The envelope as JSON with the linking token cut to its first characters
/// (in the user objects and in a SkillAccountLinked body).
pub fn redacted(env: &RequestEnvelope) -> serde_json::Value {
    let mut v = serde_json::to_value(env).expect("envelopes serialise");
    let cut = |node: &mut serde_json::Value| {
        if let Some(t) = node.get("accessToken").and_then(|t| t.as_str()) {
            let h = super::oauth::hint(t);
            node["accessToken"] = serde_json::Value::String(h);
        }
    };
    if let Some(u) = v.pointer_mut("/session/user") {
        cut(u);
    }
    if let Some(u) = v.pointer_mut("/context/System/user") {
        cut(u);
    }
    if let Some(b) = v.pointer_mut("/request/body") {
        cut(b);
    }
    v
}
