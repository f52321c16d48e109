//! The simulator's JSON API under `/alexa/api`: the same actions as the
//! pages (create a user, enable and disable the skill, talk, read a flow),
//! each behind `SimulatorCaller` (the toolbox rule, and JSON-only actions).

use super::link;
use super::pages::flow_entries;
use super::talk::{self, TalkInput};
use super::AlexaError;
use crate::alexa::{SimulatorCaller, SimulatorState};
use crate::store::AlexaUser;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct UserJson {
    id: String,
    name: String,
    linked: bool,
    scopes: Option<String>,
    expires_in: Option<i64>,
    link_flow_id: Option<String>,
    pending_flow_id: Option<String>,
    session_open: bool,
}

async fn user_json(state: &SimulatorState, u: AlexaUser) -> Result<UserJson, AlexaError> {
    let now = link::link_now(state);
    let link = state.store.alexa_link(&u.id).await?;
    Ok(UserJson {
        linked: link.is_some(),
        scopes: link.as_ref().map(|l| l.scopes.clone()),
        expires_in: link.as_ref().map(|l| l.expires_at - now),
        link_flow_id: link.map(|l| l.flow_id),
        pending_flow_id: state.store.pending_link_flow(&u.id, now).await?,
        session_open: u.session_id.is_some(),
        id: u.id,
        name: u.name,
    })
}

/// `GET /alexa/api/users`
#[utoipa::path(
    get,
    path = "/alexa/api/users",
    tag = "alexa",
    responses((status = 200, description = "Simulated users", body = Vec<crate::alexa::json_api::UserJson>), (status = 503, description = "unavailable", body = crate::alexa::docs::AlexaErrorBody))
)]
pub(crate) async fn api_users(
    _: SimulatorCaller,
    state: web::Data<SimulatorState>,
) -> Result<HttpResponse, AlexaError> {
    let mut out = Vec::new();
    for u in state.store.alexa_users().await? {
        out.push(user_json(&state, u).await?);
    }
    Ok(HttpResponse::Ok().json(out))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
pub(crate) struct NewUserJson {
    name: Option<String>,
}

/// `POST /alexa/api/users` `{"name"?: …}`
#[utoipa::path(
    post,
    path = "/alexa/api/users",
    tag = "alexa",
    request_body(content = Option<crate::alexa::json_api::NewUserJson>, content_type = "application/json"),
    responses((status = 201, description = "The new user", body = crate::alexa::json_api::UserJson), (status = 400, description = "bad_request (including a missing `Content-Type: application/json`)", body = crate::alexa::docs::AlexaErrorBody), (status = 503, description = "unavailable", body = crate::alexa::docs::AlexaErrorBody))
)]
pub(crate) async fn api_create_user(
    _: SimulatorCaller,
    state: web::Data<SimulatorState>,
    body: web::Bytes,
) -> Result<HttpResponse, AlexaError> {
    // No body is `{}`; a body that is not the JSON object is refused, never
    // taken as "no body".
    let body: NewUserJson = if body.iter().all(u8::is_ascii_whitespace) {
        NewUserJson::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| AlexaError::BadRequest(format!("The JSON body could not be read: {e}")))?
    };
    let name = body.name;
    let u = super::create_user(&state, name.as_deref()).await?;
    Ok(HttpResponse::Created().json(user_json(&state, u).await?))
}

/// `GET /alexa/api/users/{id}`
#[utoipa::path(
    get,
    path = "/alexa/api/users/{id}",
    tag = "alexa",
    params(("id" = String, Path, description = "Simulated user id `amzn1.ask.account.…`")),
    responses((status = 200, description = "A simulated user", body = crate::alexa::json_api::UserJson), (status = 404, description = "not_found", body = crate::alexa::docs::AlexaErrorBody), (status = 503, description = "unavailable", body = crate::alexa::docs::AlexaErrorBody))
)]
pub(crate) async fn api_user(
    _: SimulatorCaller,
    state: web::Data<SimulatorState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AlexaError> {
    let u = super::user(&state, &id).await?;
    Ok(HttpResponse::Ok().json(user_json(&state, u).await?))
}

/// `POST /alexa/api/users/{id}/enable` → `{authorize_url, flow_id}`
#[utoipa::path(
    post,
    path = "/alexa/api/users/{id}/enable",
    tag = "alexa",
    params(("id" = String, Path, description = "Simulated user id `amzn1.ask.account.…`")),
    request_body(content = Option<Object>, content_type = "application/json", description = "`{}`"),
    responses((status = 200, description = "Open `authorize_url` in a browser to link", body = crate::alexa::link::Enabled), (status = 400, description = "bad_request (including a missing `Content-Type: application/json`)", body = crate::alexa::docs::AlexaErrorBody), (status = 404, description = "not_found", body = crate::alexa::docs::AlexaErrorBody), (status = 503, description = "unavailable", body = crate::alexa::docs::AlexaErrorBody))
)]
pub(crate) async fn api_enable(
    _: SimulatorCaller,
    state: web::Data<SimulatorState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AlexaError> {
    Ok(HttpResponse::Ok().json(link::enable(&state, &id).await?))
}

/// `POST /alexa/api/users/{id}/disable`
#[utoipa::path(
    post,
    path = "/alexa/api/users/{id}/disable",
    tag = "alexa",
    params(("id" = String, Path, description = "Simulated user id `amzn1.ask.account.…`")),
    request_body(content = Option<Object>, content_type = "application/json", description = "`{}`"),
    responses((status = 200, description = "Whether a link was removed", body = crate::alexa::docs::Unlinked), (status = 400, description = "bad_request (including a missing `Content-Type: application/json`)", body = crate::alexa::docs::AlexaErrorBody), (status = 404, description = "not_found", body = crate::alexa::docs::AlexaErrorBody), (status = 503, description = "unavailable", body = crate::alexa::docs::AlexaErrorBody))
)]
pub(crate) async fn api_disable(
    _: SimulatorCaller,
    state: web::Data<SimulatorState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AlexaError> {
    let removed = link::disable(&state, &id).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({"unlinked": removed})))
}

/// `POST /alexa/api/users/{id}/talk` with a `TalkInput`
#[utoipa::path(
    post,
    path = "/alexa/api/users/{id}/talk",
    tag = "alexa",
    params(("id" = String, Path, description = "Simulated user id `amzn1.ask.account.…`")),
    request_body(content = crate::alexa::talk::TalkInput, content_type = "application/json"),
    responses((status = 200, description = "What was sent to the skill and what it answered", body = crate::alexa::talk::TalkResult), (status = 400, description = "bad_request (including a missing `Content-Type: application/json`)", body = crate::alexa::docs::AlexaErrorBody), (status = 404, description = "not_found", body = crate::alexa::docs::AlexaErrorBody), (status = 503, description = "unavailable", body = crate::alexa::docs::AlexaErrorBody))
)]
pub(crate) async fn api_talk(
    _: SimulatorCaller,
    state: web::Data<SimulatorState>,
    id: web::Path<String>,
    body: web::Json<TalkInput>,
) -> Result<HttpResponse, AlexaError> {
    Ok(HttpResponse::Ok().json(talk::talk(&state, &id, &body).await?))
}

/// `GET /alexa/api/flows/{flow}`
#[utoipa::path(
    get,
    path = "/alexa/api/flows/{flow}",
    tag = "alexa",
    params(("flow" = String, Path, description = "Flow id")),
    responses((status = 200, description = "Every logged step of a linking flow", body = Vec<crate::store::FlowEntry>), (status = 404, description = "not_found", body = crate::alexa::docs::AlexaErrorBody), (status = 503, description = "unavailable", body = crate::alexa::docs::AlexaErrorBody))
)]
pub(crate) async fn api_flow(
    _: SimulatorCaller,
    state: web::Data<SimulatorState>,
    flow: web::Path<String>,
) -> Result<HttpResponse, AlexaError> {
    Ok(HttpResponse::Ok().json(flow_entries(&state, &flow).await?))
}
