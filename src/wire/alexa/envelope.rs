//! Alexa's custom-skill request and response envelopes, field for field as in
//! `ask-sdk-model` (camelCase; optional fields optional and omitted when
//! absent, never `null`). Unknown fields are tolerated; `context` keeps the
//! interfaces we do not model so a round trip loses nothing.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

pub type Attributes = Map<String, Value>;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RequestEnvelope {
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<Session>,
    pub context: Context,
    pub request: Request,
}

impl RequestEnvelope {
    /// The account-linking token, where ask-sdk-core reads it.
    pub fn access_token(&self) -> Option<&str> {
        self.context
            .system
            .user
            .access_token
            .as_deref()
            .filter(|t| !t.is_empty())
    }

    pub fn application_id(&self) -> &str {
        &self.context.system.application.application_id
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    pub new: bool,
    pub session_id: String,
    pub application: Application,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub attributes: Option<Attributes>,
    pub user: User,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Application {
    pub application_id: String,
}

#[derive(Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub user_id: String,
    /// Only present once the user has linked; omitted (not null) otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions: Option<Value>,
}

// The token must never reach a log line through `{:?}`.
impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("user_id", &self.user_id)
            .field("access_token", &self.access_token.as_ref().map(|_| "***"))
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = AlexaContext)]
pub struct Context {
    #[serde(rename = "System")]
    pub system: SystemState,
    /// AudioPlayer, Viewport, … kept verbatim.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

#[derive(Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SystemState {
    pub application: Application,
    pub user: User,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<Device>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<Value>,
    pub api_endpoint: String,
    /// Alexa's own token for Alexa APIs; not the account-linking token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_access_token: Option<String>,
}

impl std::fmt::Debug for SystemState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SystemState")
            .field("application", &self.application)
            .field("user", &self.user)
            .field("api_endpoint", &self.api_endpoint)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = AlexaDevice)]
pub struct Device {
    pub device_id: String,
    #[serde(default)]
    pub supported_interfaces: Value,
}

/// A request of a type we handle, or any other type kept as it came.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum Request {
    Known(KnownRequest),
    Other(OtherRequest),
}

impl Request {
    pub fn type_name(&self) -> &str {
        match self {
            Request::Known(KnownRequest::LaunchRequest(_)) => "LaunchRequest",
            Request::Known(KnownRequest::IntentRequest(_)) => "IntentRequest",
            Request::Known(KnownRequest::SessionEndedRequest(_)) => "SessionEndedRequest",
            Request::Other(o) => &o.kind,
        }
    }

    pub fn timestamp(&self) -> &str {
        match self {
            Request::Known(KnownRequest::LaunchRequest(r)) => &r.timestamp,
            Request::Known(KnownRequest::IntentRequest(r)) => &r.timestamp,
            Request::Known(KnownRequest::SessionEndedRequest(r)) => &r.timestamp,
            Request::Other(o) => &o.timestamp,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type")]
pub enum KnownRequest {
    LaunchRequest(LaunchRequest),
    IntentRequest(IntentRequest),
    SessionEndedRequest(SessionEndedRequest),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LaunchRequest {
    pub request_id: String,
    pub timestamp: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IntentRequest {
    pub request_id: String,
    pub timestamp: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// STARTED | IN_PROGRESS | COMPLETED
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dialog_state: Option<String>,
    pub intent: Intent,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Intent {
    pub name: String,
    /// NONE | DENIED | CONFIRMED
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slots: Option<BTreeMap<String, Slot>>,
}

impl Intent {
    /// A filled slot's value, trimmed; `None` when absent or empty.
    pub fn slot(&self, name: &str) -> Option<&str> {
        self.slots
            .as_ref()?
            .get(name)?
            .value
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Slot {
    pub name: String,
    /// Absent when the user did not fill the slot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolutions: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slot_value: Option<Value>,
}

/// A slot's `resolutions` as ask-sdk-model shapes them
/// (`slu.entityresolution.Resolutions`), for one custom slot type.
pub fn resolutions(skill_id: &str, slot_type: &str, matched: Option<(&str, &str)>) -> Value {
    let (code, values) = match matched {
        Some((name, id)) => (
            "ER_SUCCESS_MATCH",
            serde_json::json!([{"value": {"name": name, "id": id}}]),
        ),
        None => ("ER_SUCCESS_NO_MATCH", serde_json::json!([])),
    };
    serde_json::json!({"resolutionsPerAuthority": [{
        "authority": format!("amzn1.er-authority.echo-sdk.{skill_id}.{slot_type}"),
        "status": {"code": code},
        "values": values,
    }]})
}

/// A slot's `slotValue` (`SimpleSlotValue`): the value as heard, with the
/// same resolutions.
pub fn simple_slot_value(value: &str, resolutions: Option<&Value>) -> Value {
    let mut v = serde_json::json!({"type": "Simple", "value": value});
    if let Some(r) = resolutions {
        v["resolutions"] = r.clone();
    }
    v
}

/// The skill events a skill may subscribe to in its manifest (`events`).
pub const SKILL_ENABLED: &str = "AlexaSkillEvent.SkillEnabled";
pub const SKILL_ACCOUNT_LINKED: &str = "AlexaSkillEvent.SkillAccountLinked";
pub const SKILL_DISABLED: &str = "AlexaSkillEvent.SkillDisabled";

/// A skill event's request, as ask-sdk-model's `events.skillevents.*`:
/// `SkillEnabledRequest` and `SkillDisabledRequest` carry no body,
/// `AccountLinkedRequest` a `body.accessToken`.
pub fn skill_event_request(
    kind: &str,
    request_id: String,
    timestamp: String,
    body: Option<Value>,
) -> OtherRequest {
    let mut rest = Map::new();
    rest.insert("eventCreationTime".into(), Value::String(timestamp.clone()));
    rest.insert(
        "eventPublishingTime".into(),
        Value::String(timestamp.clone()),
    );
    if let Some(b) = body {
        rest.insert("body".into(), b);
    }
    OtherRequest {
        kind: kind.to_owned(),
        request_id,
        timestamp,
        locale: None,
        rest,
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionEndedRequest {
    pub request_id: String,
    pub timestamp: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// USER_INITIATED | ERROR | EXCEEDED_MAX_REPROMPTS
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<SessionEndedError>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SessionEndedError {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Any other request type (AudioPlayer events, skill events, …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OtherRequest {
    #[serde(rename = "type")]
    pub kind: String,
    pub request_id: String,
    pub timestamp: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResponseEnvelope {
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub session_attributes: Option<Attributes>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    pub response: Response,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Response {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_speech: Option<OutputSpeech>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card: Option<Card>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reprompt: Option<Reprompt>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub directives: Option<Vec<Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub should_end_session: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type")]
pub enum OutputSpeech {
    #[serde(rename_all = "camelCase")]
    PlainText {
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        play_behavior: Option<String>,
    },
    #[serde(rename = "SSML", rename_all = "camelCase")]
    Ssml {
        ssml: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        play_behavior: Option<String>,
    },
}

impl OutputSpeech {
    pub fn plain(text: impl Into<String>) -> Self {
        Self::PlainText {
            text: text.into(),
            play_behavior: None,
        }
    }

    /// What a person would hear, as text.
    pub fn text(&self) -> &str {
        match self {
            Self::PlainText { text, .. } => text,
            Self::Ssml { ssml, .. } => ssml,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Reprompt {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_speech: Option<OutputSpeech>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub directives: Option<Vec<Value>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type")]
pub enum Card {
    Simple {
        title: String,
        content: String,
    },
    Standard {
        title: String,
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        image: Option<CardImage>,
    },
    /// Renders a "Link Account" button in the Alexa app.
    LinkAccount,
    AskForPermissionsConsent {
        permissions: Vec<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CardImage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub small_image_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub large_image_url: Option<String>,
}

impl ResponseEnvelope {
    pub fn new(response: Response) -> Self {
        Self {
            version: "1.0".into(),
            session_attributes: None,
            user_agent: None,
            response,
        }
    }
}
