//! The simulated skills in the simulator's JSON API: list, read, create or
//! replace (`PUT`, the console's form as JSON), delete.

use super::skills::{self, SimulatedSkill};
use super::{AlexaError, SimulatorCaller, SimulatorState};
use crate::config::SkillSpec;
use actix_web::{web, HttpResponse};

/// `GET /alexa/api/skills`
#[utoipa::path(
    get,
    path = "/alexa/api/skills",
    tag = "alexa",
    responses((status = 200, description = "Every simulated skill: `default` (the `alexa_*` settings), the config file's `alexa_skills`, then those created here. Client secrets are never shown.", body = Vec<crate::alexa::skills::SimulatedSkill>), (status = 503, description = "unavailable", body = crate::alexa::docs::AlexaErrorBody))
)]
pub(crate) async fn api_skills(
    _: SimulatorCaller,
    state: web::Data<SimulatorState>,
) -> Result<HttpResponse, AlexaError> {
    Ok(HttpResponse::Ok().json(skills::all(&state).await?))
}

/// `POST /alexa/api/skills` with `key` and the console's form: creates.
#[utoipa::path(
    post,
    path = "/alexa/api/skills",
    tag = "alexa",
    request_body(content = Object, content_type = "application/json", description = "`{\"key\": \"music-uk\", …}`: the key, and the fields of `PUT /alexa/api/skills/{key}`"),
    responses((status = 201, description = "Created", body = crate::alexa::skills::SimulatedSkill), (status = 400, description = "bad_request: no or a bad key, a key in use (`PUT` replaces), a field, or a missing `Content-Type: application/json`", body = crate::alexa::docs::AlexaErrorBody), (status = 503, description = "unavailable", body = crate::alexa::docs::AlexaErrorBody))
)]
pub(crate) async fn api_create_skill(
    _: SimulatorCaller,
    state: web::Data<SimulatorState>,
    body: web::Bytes,
) -> Result<HttpResponse, AlexaError> {
    let bad = |m: String| AlexaError::BadRequest(m);
    let mut value: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|e| bad(format!("The skill form could not be read: {e}")))?;
    let key = value
        .as_object_mut()
        .and_then(|o| o.remove("key"))
        .and_then(|k| k.as_str().map(str::to_owned))
        .ok_or_else(|| bad("Give the skill's key: {\"key\": \"music-uk\", …}.".into()))?;
    let spec: SkillSpec = serde_json::from_value(value)
        .map_err(|e| bad(format!("The skill form could not be read: {e}")))?;
    if skills::find(&state, &key).await.is_ok() {
        return Err(bad(format!(
            "There is a skill {key} already; PUT /alexa/api/skills/{key} replaces it."
        )));
    }
    let (skill, _) = skills::save(&state, &key, &spec).await?;
    Ok(HttpResponse::Created().json(skill))
}

/// `GET /alexa/api/skills/{key}`
#[utoipa::path(
    get,
    path = "/alexa/api/skills/{key}",
    tag = "alexa",
    params(("key" = String, Path, description = "The skill's key")),
    responses((status = 200, description = "A simulated skill", body = crate::alexa::skills::SimulatedSkill), (status = 404, description = "not_found", body = crate::alexa::docs::AlexaErrorBody), (status = 503, description = "unavailable", body = crate::alexa::docs::AlexaErrorBody))
)]
pub(crate) async fn api_skill(
    _: SimulatorCaller,
    state: web::Data<SimulatorState>,
    key: web::Path<String>,
) -> Result<HttpResponse, AlexaError> {
    Ok(HttpResponse::Ok().json(skills::find(&state, &key).await?))
}

/// `PUT /alexa/api/skills/{key}` with the console's form; fields left out
/// are the default skill's.
#[utoipa::path(
    put,
    path = "/alexa/api/skills/{key}",
    tag = "alexa",
    params(("key" = String, Path, description = "The skill's key: 1–64 letters, digits, '-' and '_'")),
    request_body(content = Object, content_type = "application/json", description = "The console's form, every field optional (left out: the default skill's value): `name`, `skill_id` (applicationId), `endpoint`, `region_endpoints` (`{\"EU\": \"https://…\"}`), `locale`, `skip_on_enablement`, `authorization_url`, `token_url`, `client_id`, `client_secret`, `access_token_scheme` (`HTTP_BASIC` | `REQUEST_BODY_CREDENTIALS`), `scopes` (space-separated), `domains`, `default_token_expiration_seconds`, `pkce`"),
    responses((status = 201, description = "Created", body = crate::alexa::skills::SimulatedSkill), (status = 200, description = "Replaced", body = crate::alexa::skills::SimulatedSkill), (status = 400, description = "bad_request: a field, a key of the settings' skills, or a missing `Content-Type: application/json`", body = crate::alexa::docs::AlexaErrorBody), (status = 503, description = "unavailable", body = crate::alexa::docs::AlexaErrorBody))
)]
pub(crate) async fn api_put_skill(
    _: SimulatorCaller,
    state: web::Data<SimulatorState>,
    key: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AlexaError> {
    let spec: SkillSpec = serde_json::from_slice(&body)
        .map_err(|e| AlexaError::BadRequest(format!("The skill form could not be read: {e}")))?;
    let (skill, created): (SimulatedSkill, bool) = skills::save(&state, &key, &spec).await?;
    Ok(if created {
        HttpResponse::Created().json(skill)
    } else {
        HttpResponse::Ok().json(skill)
    })
}

/// `DELETE /alexa/api/skills/{key}`
#[utoipa::path(
    delete,
    path = "/alexa/api/skills/{key}",
    tag = "alexa",
    params(("key" = String, Path, description = "The skill's key")),
    responses((status = 204, description = "Deleted, with every user's link to it"), (status = 400, description = "bad_request: a skill of the settings", body = crate::alexa::docs::AlexaErrorBody), (status = 404, description = "not_found", body = crate::alexa::docs::AlexaErrorBody), (status = 503, description = "unavailable", body = crate::alexa::docs::AlexaErrorBody))
)]
pub(crate) async fn api_delete_skill(
    _: SimulatorCaller,
    state: web::Data<SimulatorState>,
    key: web::Path<String>,
) -> Result<HttpResponse, AlexaError> {
    skills::delete(&state, &key).await?;
    Ok(HttpResponse::NoContent().finish())
}
