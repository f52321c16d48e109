//! The simulator's JSON API under `/alexa/api`: the same actions as the
//! pages (create a user, enable and disable the skill, talk, read a flow),
//! each behind `SimulatorCaller` (the toolbox rule, and JSON-only actions).

use super::link;
use super::pages::flow_entries;
use super::rules::RedirectChoice;
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
    /// The simulated skill this view is for (`?skill=`; `default` unless
    /// given): everything below but `region` is per skill.
    skill: String,
    linked: bool,
    scopes: Option<String>,
    expires_in: Option<i64>,
    link_flow_id: Option<String>,
    pending_flow_id: Option<String>,
    session_open: bool,
    /// NA | EU | FE: picks `context.System.apiEndpoint`.
    region: String,
    api_endpoint: String,
    /// "Enable skill" was used and the skill not disabled since.
    skill_enabled: bool,
    /// The userId the skill sees (a new one after disable → enable); `null`
    /// until the next use after a disable.
    skill_user_id: Option<String>,
    /// Alexa dropped the link and would now ask the user to relink (push
    /// notification and app card); cleared by the next link.
    relink_requested: bool,
    /// Refreshes that failed in a row without unlinking.
    refresh_failures: i64,
    /// Seconds until the next refresh may be tried (backoff), if waiting.
    next_refresh_in: Option<i64>,
}

async fn user_json(state: &SimulatorState, u: AlexaUser) -> Result<UserJson, AlexaError> {
    let now = link::link_now(state);
    let link = state.store.alexa_link(&u.id, &u.skill_key).await?;
    let relink_requested = link.is_none() && relink_requested(state, &u.id).await?;
    Ok(UserJson {
        skill: u.skill_key.clone(),
        relink_requested,
        region: u.region.clone(),
        api_endpoint: super::deliver::region_of(&u).api_endpoint().to_owned(),
        skill_enabled: u.skill_enabled,
        skill_user_id: u.skill_user_id.clone(),
        refresh_failures: link.as_ref().map_or(0, |l| l.refresh_failures),
        next_refresh_in: link
            .as_ref()
            .and_then(|l| l.next_refresh_at)
            .filter(|at| *at != i64::MAX && *at > now)
            .map(|at| at - now),
        linked: link.is_some(),
        scopes: link.as_ref().map(|l| l.scopes.clone()),
        expires_in: link.as_ref().map(|l| l.expires_at - now),
        link_flow_id: link.map(|l| l.flow_id),
        pending_flow_id: state
            .store
            .pending_link_flow(&u.id, &u.skill_key, now)
            .await?,
        session_open: u.session_id.is_some(),
        id: u.id,
        name: u.name,
    })
}

/// Whether the last link-related event is Alexa dropping the link.
pub(crate) async fn relink_requested(
    state: &SimulatorState,
    user_id: &str,
) -> Result<bool, AlexaError> {
    let events = state
        .store
        .alexa_events(user_id, &state.skill.key, 200)
        .await?;
    Ok(events
        .iter()
        .rev()
        .find(|e| matches!(e.kind.as_str(), "relink" | "link" | "disable"))
        .is_some_and(|e| e.kind == "relink"))
}

/// `GET /alexa/api/users`
#[utoipa::path(
    get,
    path = "/alexa/api/users",
    tag = "alexa",
    params(crate::alexa::json_api::SkillQuery),
    responses((status = 200, description = "Simulated users", body = Vec<crate::alexa::json_api::UserJson>), (status = 503, description = "unavailable", body = crate::alexa::docs::AlexaErrorBody))
)]
pub(crate) async fn api_users(
    _: SimulatorCaller,
    state: web::Data<SimulatorState>,
    q: web::Query<SkillQuery>,
) -> Result<HttpResponse, AlexaError> {
    let mut out = Vec::new();
    let state = state.with_skill(q.skill.as_deref()).await?;
    for u in state.store.alexa_users(&state.skill.key).await? {
        out.push(user_json(&state, u).await?);
    }
    Ok(HttpResponse::Ok().json(out))
}

/// `?skill=<key>`: the simulated skill an action or view is for (`default`
/// when absent: the skill of the `alexa_*` settings).
#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct SkillQuery {
    /// A simulated skill's key (`GET /alexa/api/skills`).
    pub(crate) skill: Option<String>,
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
pub(crate) struct NewUserJson {
    name: Option<String>,
    /// NA (default), EU or FE.
    region: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct UserChangeJson {
    /// NA, EU or FE.
    region: Option<String>,
}

/// `POST /alexa/api/users` `{"name"?: …}`
#[utoipa::path(
    post,
    path = "/alexa/api/users",
    tag = "alexa",
    params(crate::alexa::json_api::SkillQuery),
    request_body(content = Option<crate::alexa::json_api::NewUserJson>, content_type = "application/json"),
    responses((status = 201, description = "The new user", body = crate::alexa::json_api::UserJson), (status = 400, description = "bad_request (including a missing `Content-Type: application/json`)", body = crate::alexa::docs::AlexaErrorBody), (status = 503, description = "unavailable", body = crate::alexa::docs::AlexaErrorBody))
)]
pub(crate) async fn api_create_user(
    _: SimulatorCaller,
    state: web::Data<SimulatorState>,
    q: web::Query<SkillQuery>,
    body: web::Bytes,
) -> Result<HttpResponse, AlexaError> {
    let state = state.with_skill(q.skill.as_deref()).await?;
    // No body is `{}`; a body that is not the JSON object is refused, never
    // taken as "no body".
    let body: NewUserJson = optional_json(&body)?;
    let u = super::create_user(&state, body.name.as_deref(), body.region.as_deref()).await?;
    Ok(HttpResponse::Created().json(user_json(&state, u).await?))
}

/// `GET /alexa/api/users/{id}`
#[utoipa::path(
    get,
    path = "/alexa/api/users/{id}",
    tag = "alexa",
    params(("id" = String, Path, description = "Simulated user id `amzn1.ask.account.…`"), crate::alexa::json_api::SkillQuery),
    responses((status = 200, description = "A simulated user", body = crate::alexa::json_api::UserJson), (status = 404, description = "not_found", body = crate::alexa::docs::AlexaErrorBody), (status = 503, description = "unavailable", body = crate::alexa::docs::AlexaErrorBody))
)]
pub(crate) async fn api_user(
    _: SimulatorCaller,
    state: web::Data<SimulatorState>,
    id: web::Path<String>,
    q: web::Query<SkillQuery>,
) -> Result<HttpResponse, AlexaError> {
    let state = state.with_skill(q.skill.as_deref()).await?;
    let u = super::user(&state, &id).await?;
    Ok(HttpResponse::Ok().json(user_json(&state, u).await?))
}

/// `PATCH /alexa/api/users/{id}` `{"region"?: "NA" | "EU" | "FE"}`
#[utoipa::path(
    patch,
    path = "/alexa/api/users/{id}",
    tag = "alexa",
    params(("id" = String, Path, description = "Simulated user id `amzn1.ask.account.…`"), crate::alexa::json_api::SkillQuery),
    request_body(content = crate::alexa::json_api::UserChangeJson, content_type = "application/json"),
    responses((status = 200, description = "The user as changed", body = crate::alexa::json_api::UserJson), (status = 400, description = "bad_request (including a missing `Content-Type: application/json`)", body = crate::alexa::docs::AlexaErrorBody), (status = 404, description = "not_found", body = crate::alexa::docs::AlexaErrorBody), (status = 503, description = "unavailable", body = crate::alexa::docs::AlexaErrorBody))
)]
pub(crate) async fn api_change_user(
    _: SimulatorCaller,
    state: web::Data<SimulatorState>,
    id: web::Path<String>,
    q: web::Query<SkillQuery>,
    body: web::Json<UserChangeJson>,
) -> Result<HttpResponse, AlexaError> {
    let state = state.with_skill(q.skill.as_deref()).await?;
    let mut u = super::user(&state, &id).await?;
    if let Some(region) = &body.region {
        u = super::set_region(&state, &id, region).await?;
    }
    Ok(HttpResponse::Ok().json(user_json(&state, u).await?))
}

/// `GET /alexa/api/users/{id}/events`
#[utoipa::path(
    get,
    path = "/alexa/api/users/{id}/events",
    tag = "alexa",
    params(("id" = String, Path, description = "Simulated user id `amzn1.ask.account.…`"), crate::alexa::json_api::SkillQuery),
    responses((status = 200, description = "What Alexa did for this user outside the talk itself, oldest first (the last 200): skill events sent (SkillEnabled, SkillAccountLinked, SkillDisabled) and the skill's answers, SessionEndedRequests, enable/link/disable, refresh failures and the relink notification", body = Vec<crate::store::AlexaEvent>), (status = 404, description = "not_found", body = crate::alexa::docs::AlexaErrorBody), (status = 503, description = "unavailable", body = crate::alexa::docs::AlexaErrorBody))
)]
pub(crate) async fn api_events(
    _: SimulatorCaller,
    state: web::Data<SimulatorState>,
    id: web::Path<String>,
    q: web::Query<SkillQuery>,
) -> Result<HttpResponse, AlexaError> {
    let state = state.with_skill(q.skill.as_deref()).await?;
    super::user(&state, &id).await?;
    Ok(HttpResponse::Ok().json(state.store.alexa_events(&id, &state.skill.key, 200).await?))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
pub(crate) struct EnableJson {
    /// `auto` (default: the simulator's own callback when the provider
    /// accepts it, else Alexa's regional URL), `regional` (Alexa's URL for the
    /// user's region, as Alexa sends it; finish with `/paste`) or `local`.
    #[schema(value_type = Option<String>, example = "regional")]
    redirect: Option<String>,
    /// Start account linking (default: yes, unless the skill allows enabling
    /// without it, `skip_on_enablement`). `false` only enables; `true` links
    /// a skill that is already enabled, as the app's "Link account" does.
    link: Option<bool>,
}

/// A JSON body that may be empty (`{}`); anything else must be `T`.
fn optional_json<T: serde::de::DeserializeOwned + Default>(body: &[u8]) -> Result<T, AlexaError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body)
        .map_err(|e| AlexaError::BadRequest(format!("The JSON body could not be read: {e}")))
}

/// `POST /alexa/api/users/{id}/enable` `{"redirect"?: "auto" | "regional" | "local"}`
#[utoipa::path(
    post,
    path = "/alexa/api/users/{id}/enable",
    tag = "alexa",
    params(("id" = String, Path, description = "Simulated user id `amzn1.ask.account.…`"), crate::alexa::json_api::SkillQuery),
    request_body(content = Option<crate::alexa::json_api::EnableJson>, content_type = "application/json", description = "`{}` or `{\"redirect\": \"regional\"}`"),
    responses((status = 200, description = "Open `authorize_url` in a browser to link; `findings` are the rules checked so far (the console's URIs, the preflight of the region's redirect URL). Without linking (`\"link\": false`, or a skill with `skip_on_enablement`) the answer is an `EnabledOnly`", body = crate::alexa::link::Enabled), (status = 400, description = "bad_request (including a missing `Content-Type: application/json`), or `link_refused` in strict mode with `flow_id` and `findings`", body = crate::alexa::docs::AlexaErrorBody), (status = 404, description = "not_found", body = crate::alexa::docs::AlexaErrorBody), (status = 503, description = "unavailable", body = crate::alexa::docs::AlexaErrorBody))
)]
pub(crate) async fn api_enable(
    _: SimulatorCaller,
    state: web::Data<SimulatorState>,
    id: web::Path<String>,
    q: web::Query<SkillQuery>,
    body: web::Bytes,
) -> Result<HttpResponse, AlexaError> {
    let state = state.with_skill(q.skill.as_deref()).await?;
    let body: EnableJson = optional_json(&body)?;
    let choice = redirect_choice(body.redirect.as_deref())?;
    if !body.link.unwrap_or(!state.skill.skip_on_enablement) {
        return Ok(HttpResponse::Ok().json(link::enable_without_linking(&state, &id).await?));
    }
    Ok(HttpResponse::Ok().json(link::enable(&state, &id, choice).await?))
}

pub(crate) fn redirect_choice(text: Option<&str>) -> Result<RedirectChoice, AlexaError> {
    RedirectChoice::parse(text.unwrap_or(""))
        .ok_or_else(|| AlexaError::BadRequest("redirect is auto, regional or local.".into()))
}

/// `POST /alexa/api/users/{id}/refresh`: refresh the access token now.
#[utoipa::path(
    post,
    path = "/alexa/api/users/{id}/refresh",
    tag = "alexa",
    params(("id" = String, Path, description = "Simulated user id `amzn1.ask.account.…`"), crate::alexa::json_api::SkillQuery),
    request_body(content = Option<Object>, content_type = "application/json", description = "`{}`"),
    responses((status = 200, description = "The refresh, with the findings of its answer (a refused refresh unlinks, as on Alexa)", body = crate::alexa::refresh::Refreshed), (status = 400, description = "bad_request: not linked, or a missing `Content-Type: application/json`", body = crate::alexa::docs::AlexaErrorBody), (status = 404, description = "not_found", body = crate::alexa::docs::AlexaErrorBody), (status = 503, description = "unavailable", body = crate::alexa::docs::AlexaErrorBody))
)]
pub(crate) async fn api_refresh(
    _: SimulatorCaller,
    state: web::Data<SimulatorState>,
    id: web::Path<String>,
    q: web::Query<SkillQuery>,
) -> Result<HttpResponse, AlexaError> {
    let state = state.with_skill(q.skill.as_deref()).await?;
    Ok(HttpResponse::Ok().json(super::refresh::refresh_now(&state, &id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct PasteJson {
    /// The address the browser ended on after the provider's login, e.g.
    /// `https://layla.amazon.com/api/skill/link/<vendorId>?code=…&state=…`.
    address: String,
}

/// `POST /alexa/api/users/{id}/paste` `{"address": …}`: completes a linking
/// whose browser ended on Alexa's regional redirect URL.
#[utoipa::path(
    post,
    path = "/alexa/api/users/{id}/paste",
    tag = "alexa",
    params(("id" = String, Path, description = "Simulated user id `amzn1.ask.account.…`"), crate::alexa::json_api::SkillQuery),
    request_body(content = crate::alexa::json_api::PasteJson, content_type = "application/json"),
    responses((status = 200, description = "Linked, with every finding of the flow", body = crate::alexa::link::Linked), (status = 400, description = "bad_request, state_mismatch, provider_error, token_exchange_failed or link_refused (the last two with `flow_id` and `findings`)", body = crate::alexa::docs::AlexaErrorBody), (status = 404, description = "not_found", body = crate::alexa::docs::AlexaErrorBody), (status = 503, description = "unavailable", body = crate::alexa::docs::AlexaErrorBody))
)]
pub(crate) async fn api_paste(
    _: SimulatorCaller,
    state: web::Data<SimulatorState>,
    id: web::Path<String>,
    q: web::Query<SkillQuery>,
    body: web::Json<PasteJson>,
) -> Result<HttpResponse, AlexaError> {
    let state = state.with_skill(q.skill.as_deref()).await?;
    Ok(HttpResponse::Ok().json(super::callback::paste(&state, &id, &body.address).await?))
}

/// `POST /alexa/api/users/{id}/disable`
#[utoipa::path(
    post,
    path = "/alexa/api/users/{id}/disable",
    tag = "alexa",
    params(("id" = String, Path, description = "Simulated user id `amzn1.ask.account.…`"), crate::alexa::json_api::SkillQuery),
    request_body(content = Option<Object>, content_type = "application/json", description = "`{}`"),
    responses((status = 200, description = "Whether a link was removed", body = crate::alexa::docs::Unlinked), (status = 400, description = "bad_request (including a missing `Content-Type: application/json`)", body = crate::alexa::docs::AlexaErrorBody), (status = 404, description = "not_found", body = crate::alexa::docs::AlexaErrorBody), (status = 503, description = "unavailable", body = crate::alexa::docs::AlexaErrorBody))
)]
pub(crate) async fn api_disable(
    _: SimulatorCaller,
    state: web::Data<SimulatorState>,
    id: web::Path<String>,
    q: web::Query<SkillQuery>,
) -> Result<HttpResponse, AlexaError> {
    let state = state.with_skill(q.skill.as_deref()).await?;
    let removed = link::disable(&state, &id).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({"unlinked": removed})))
}

/// `POST /alexa/api/users/{id}/talk` with a `TalkInput`
#[utoipa::path(
    post,
    path = "/alexa/api/users/{id}/talk",
    tag = "alexa",
    params(("id" = String, Path, description = "Simulated user id `amzn1.ask.account.…`"), crate::alexa::json_api::SkillQuery),
    request_body(content = crate::alexa::talk::TalkInput, content_type = "application/json"),
    responses((status = 200, description = "What was sent to the skill and what it answered", body = crate::alexa::talk::TalkResult), (status = 400, description = "bad_request (including a missing `Content-Type: application/json`)", body = crate::alexa::docs::AlexaErrorBody), (status = 404, description = "not_found", body = crate::alexa::docs::AlexaErrorBody), (status = 503, description = "unavailable", body = crate::alexa::docs::AlexaErrorBody))
)]
pub(crate) async fn api_talk(
    _: SimulatorCaller,
    state: web::Data<SimulatorState>,
    id: web::Path<String>,
    q: web::Query<SkillQuery>,
    body: web::Json<TalkInput>,
) -> Result<HttpResponse, AlexaError> {
    let state = state.with_skill(q.skill.as_deref()).await?;
    Ok(HttpResponse::Ok().json(talk::talk(&state, &id, &body).await?))
}

/// A linking flow: its log and the rules it was judged by.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct FlowJson {
    flow_id: String,
    user_id: String,
    /// Every logged step, oldest first.
    entries: Vec<crate::store::FlowEntry>,
    /// Alexa's rules as they judged this flow (enable, preflight, redirect
    /// back, token exchange, refreshes), oldest first.
    findings: Vec<crate::store::FlowFinding>,
}

/// `GET /alexa/api/flows/{flow}`
#[utoipa::path(
    get,
    path = "/alexa/api/flows/{flow}",
    tag = "alexa",
    params(("flow" = String, Path, description = "Flow id")),
    responses((status = 200, description = "Every logged step of a linking flow, and its findings", body = crate::alexa::json_api::FlowJson), (status = 404, description = "not_found", body = crate::alexa::docs::AlexaErrorBody), (status = 503, description = "unavailable", body = crate::alexa::docs::AlexaErrorBody))
)]
pub(crate) async fn api_flow(
    _: SimulatorCaller,
    state: web::Data<SimulatorState>,
    flow: web::Path<String>,
) -> Result<HttpResponse, AlexaError> {
    let entries = flow_entries(&state, &flow).await?;
    Ok(HttpResponse::Ok().json(FlowJson {
        flow_id: flow.into_inner(),
        user_id: entries[0].user_id.clone(),
        findings: state.store.flow_findings(&entries[0].flow_id).await?,
        entries,
    }))
}
