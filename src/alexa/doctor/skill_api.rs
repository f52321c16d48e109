//! `POST /alexa/api/doctor/skill`: the skill-side doctor over the
//! simulator's JSON API, behind the same access rule (`SimulatorCaller`).
//! It signs with the simulator's key and stamps requests with its clock.

use super::skill::{self, SkillCheck, SKILL_DEADLINE};
use crate::alexa::{AlexaError, SimulatorCaller, SimulatorState};
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use std::time::Duration;

/// What to check.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SkillDoctorInput {
    /// The skill endpoint, `https://…` (or a local `http://…`).
    pub endpoint: String,
    /// The skill id; when given, a request for another skill is sent too
    /// [default: the simulator's `alexa_skill_id`].
    pub skill_id: Option<String>,
    /// A token the provider has revoked, sent like Alexa would send a stale one.
    pub revoked_token: Option<String>,
    /// How long to wait for each answer (100–8000 ms; Alexa waits about 8000).
    pub deadline_ms: Option<u64>,
}

/// The checks as one input: the endpoint, the skill id and the model.
pub fn check_of(
    state: &SimulatorState,
    input: &SkillDoctorInput,
) -> Result<SkillCheck, AlexaError> {
    skill::parse_endpoint(&input.endpoint).map_err(AlexaError::BadRequest)?;
    let deadline = match input.deadline_ms {
        None => SKILL_DEADLINE,
        Some(ms) if (100..=8000).contains(&ms) => Duration::from_millis(ms),
        Some(ms) => {
            return Err(AlexaError::BadRequest(format!(
                "deadline_ms must be between 100 and 8000, got {ms}"
            )))
        }
    };
    let skill_id = input.skill_id.as_deref().map(str::trim);
    if skill_id.is_some_and(|id| id.is_empty() || id.len() > 200) {
        return Err(AlexaError::BadRequest(
            "skill_id must be a skill id such as amzn1.ask.skill.…".into(),
        ));
    }
    Ok(SkillCheck {
        endpoint: input.endpoint.trim().to_owned(),
        skill_id: skill_id
            .map(str::to_owned)
            .unwrap_or_else(|| state.settings.simulator.skill_id.clone()),
        check_application_id: skill_id.is_some(),
        revoked_token: input.revoked_token.clone().filter(|t| !t.is_empty()),
        model_intents: state
            .runtime
            .model
            .intents
            .iter()
            .map(|i| i.name.clone())
            .collect(),
        deadline,
    })
}

/// `POST /alexa/api/doctor/skill`
#[utoipa::path(
    post,
    path = "/alexa/api/doctor/skill",
    tag = "alexa",
    request_body(content = crate::alexa::doctor::skill_api::SkillDoctorInput, content_type = "application/json"),
    responses((status = 200, description = "The report: every check Amazon's certification runs against a skill web service (requests it must refuse with 400, account-linking answers, built-in intents, time/size/schema of every answer), each step with its findings and exchanges. Valid requests are signed with the simulator's test key: a skill verifying against Amazon's real root refuses them.", body = crate::linkcheck::Report), (status = 400, description = "bad_request (including a missing `Content-Type: application/json`)", body = crate::alexa::docs::AlexaErrorBody), (status = 403, description = "forbidden", body = crate::alexa::docs::AlexaErrorBody))
)]
pub(crate) async fn api_doctor_skill(
    _: SimulatorCaller,
    state: web::Data<SimulatorState>,
    body: web::Json<SkillDoctorInput>,
) -> Result<HttpResponse, AlexaError> {
    let check = check_of(&state, &body)?;
    let clock = state.clock.clone();
    let now = move || clock.now();
    let report = skill::run(&check, state.runtime.signer.clone(), &now, &mut |_| {})
        .await
        .map_err(AlexaError::BadRequest)?;
    Ok(HttpResponse::Ok().json(report))
}
