//! The bundled Alexa custom skill ("mock music"): verifies Alexa's requests,
//! and answers them by calling the Web API with the account-linking token.

pub mod handler;
pub mod verify;
pub mod web_api;

use crate::clock::Clock;
use crate::config::Settings;
use crate::wire::alexa::envelope;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use std::sync::Arc;
use verify::{RequestRejected, Verifier};

/// What the skill endpoint uses, built once at start.
#[derive(Clone)]
pub struct SkillState {
    pub verifier: Arc<Verifier>,
    pub api: web_api::WebApiClient,
    pub clock: Clock,
    /// The path the endpoint is served at (`skill_path`).
    pub path: Arc<str>,
    /// One budget for all the api calls of a request (`skill_request_budget_ms`).
    pub budget: std::time::Duration,
}

impl SkillState {
    pub fn new(settings: &Settings, clock: Clock) -> Result<Self, String> {
        let verifier = Verifier::new(settings)?;
        if !verifier.checks_signatures() {
            tracing::warn!(
                "skill request signature verification is OFF (skill_verify_signatures=false): fine for \
                 local testing, but anyone can call {} — turn it on for a skill Alexa calls",
                settings.skill.path
            );
        }
        if settings.skill.application_id.is_none() {
            tracing::warn!(
                "skill_application_id is not set: the skill accepts requests for any applicationId"
            );
        }
        Ok(Self {
            verifier: Arc::new(verifier),
            api: web_api::WebApiClient::new(settings.skill_api_base_url()),
            clock,
            path: settings.skill.path.as_str().into(),
            budget: std::time::Duration::from_millis(settings.skill.request_budget_ms),
        })
    }
}

/// The skill endpoint's errors: every verification or parse failure is a 400.
#[derive(Debug, thiserror::Error)]
pub enum SkillError {
    #[error(transparent)]
    Verify(#[from] RequestRejected),
    #[error("the body is not an Alexa request envelope: {0}")]
    Malformed(String),
}

impl ResponseError for SkillError {
    fn status_code(&self) -> StatusCode {
        StatusCode::BAD_REQUEST
    }

    fn error_response(&self) -> HttpResponse {
        tracing::warn!(event = "skill_request_rejected", reason = %self, "skill request rejected");
        HttpResponse::BadRequest().json(SkillErrorBody {
            error: "invalid_request".into(),
            error_description: self.to_string(),
        })
    }
}

/// The skill endpoint's refusal: `{"error": "invalid_request", "error_description"}`.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct SkillErrorBody {
    pub error: String,
    pub error_description: String,
}

/// Registers `POST <skill_path>`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    // The path is a setting, so it is read from the app state at registration.
    cfg.service(
        web::resource("/{tail:.*}")
            .guard(SkillPathGuard)
            .route(web::post().to(endpoint)),
    );
}

/// Matches exactly the configured skill path.
struct SkillPathGuard;

impl actix_web::guard::Guard for SkillPathGuard {
    fn check(&self, ctx: &actix_web::guard::GuardContext<'_>) -> bool {
        ctx.app_data::<web::Data<SkillState>>()
            .is_some_and(|s| ctx.head().uri.path() == &*s.path)
    }
}

fn header<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// `POST /alexa/skill`
#[utoipa::path(
    post,
    path = "/alexa/skill",
    tag = "skill",
    description = "The path is the `skill_path` setting (default `/alexa/skill`). With signature checks on, `SignatureCertChainUrl` and `Signature-256` must verify over the exact body bytes; the timestamp must be within 150 s and the applicationId the configured one.",
    params(
        ("SignatureCertChainUrl" = Option<String>, Header, description = "Alexa's certificate chain URL"),
        ("Signature-256" = Option<String>, Header, description = "Base64 RSA-SHA256 signature of the body")
    ),
    request_body(content = crate::wire::alexa::envelope::RequestEnvelope, content_type = "application/json"),
    responses(
        (status = 200, description = "The skill's answer", body = crate::wire::alexa::envelope::ResponseEnvelope),
        (status = 400, description = "Bad signature, timestamp, application id or envelope (`invalid_request`)", body = SkillErrorBody),
        (status = 413, description = "Body over the limit")
    )
)]
pub(crate) async fn endpoint(
    req: HttpRequest,
    state: web::Data<SkillState>,
    body: web::Bytes,
) -> Result<HttpResponse, SkillError> {
    let skill = &state;
    skill
        .verifier
        .check_signature(
            header(&req, "SignatureCertChainUrl"),
            header(&req, "Signature-256"),
            &body,
            &state.clock,
        )
        .await?;
    let env: envelope::RequestEnvelope =
        serde_json::from_slice(&body).map_err(|e| SkillError::Malformed(e.to_string()))?;
    if let envelope::Request::Other(o) = &env.request {
        if matches!(
            o.kind.as_str(),
            "LaunchRequest" | "IntentRequest" | "SessionEndedRequest"
        ) {
            return Err(SkillError::Malformed(format!(
                "{} is missing required fields",
                o.kind
            )));
        }
    }
    skill.verifier.check_envelope(&env, &state.clock)?;
    tracing::info!(
        event = "skill_request",
        kind = %env.request.type_name(),
        intent = %intent_name(&env),
        linked = env.access_token().is_some(),
        "skill request"
    );
    let out = handler::handle_within(&skill.api, &env, skill.budget).await;
    Ok(HttpResponse::Ok()
        .content_type("application/json;charset=UTF-8")
        .json(out))
}

fn intent_name(env: &envelope::RequestEnvelope) -> &str {
    match &env.request {
        envelope::Request::Known(envelope::KnownRequest::IntentRequest(r)) => &r.intent.name,
        _ => "-",
    }
}
