//! The simulator's edges: HTML pages that work without JavaScript (forms with
//! a double-submit CSRF cookie), the same actions as a JSON API, and the
//! account-linking redirect URL `/api/skill/link/{vendorId}`.

use super::link::{self, Callback};
use super::talk::{self, TalkInput, TalkResult};
use super::AlexaError;
use crate::domain::Secret;
use crate::provider::error::{html, redirect};
use crate::state::AppState;
use crate::store::{AlexaUser, FlowEntry};
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use askama::Template;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use subtle::ConstantTimeEq;

const CSRF_COOKIE: &str = "mocklink_alexa_csrf";

/// Registers the simulator's pages, JSON API and redirect URL.
pub fn configure(cfg: &mut web::ServiceConfig) {
    let json_config = web::JsonConfig::default()
        .limit(16 * 1024)
        .error_handler(|err, _| {
            AlexaError::BadRequest(format!("The JSON body could not be read: {err}")).into()
        });
    let query_config = web::QueryConfig::default().error_handler(|err, _| {
        AlexaError::BadRequest(format!("The query string could not be read: {err}")).into()
    });
    cfg.app_data(json_config)
        .app_data(query_config)
        .route("/alexa", web::get().to(home_page))
        .route("/alexa/users", web::post().to(create_user_form))
        .route("/alexa/users/{id}", web::get().to(user_page))
        .route("/alexa/users/{id}/enable", web::post().to(enable_form))
        .route("/alexa/users/{id}/disable", web::post().to(disable_form))
        .route("/alexa/users/{id}/talk", web::post().to(talk_form))
        .route("/alexa/flows/{flow}", web::get().to(flow_page))
        .route("/api/skill/link/{vendor}", web::get().to(link_callback))
        .route("/alexa/api/users", web::get().to(api_users))
        .route("/alexa/api/users", web::post().to(api_create_user))
        .route("/alexa/api/users/{id}", web::get().to(api_user))
        .route("/alexa/api/users/{id}/enable", web::post().to(api_enable))
        .route("/alexa/api/users/{id}/disable", web::post().to(api_disable))
        .route("/alexa/api/users/{id}/talk", web::post().to(api_talk))
        .route("/alexa/api/flows/{flow}", web::get().to(api_flow));
}

// ---------- pages ----------

/// An `AlexaError` shown to a person as a page.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct PageFailure(#[from] AlexaError);

impl From<crate::store::StoreError> for PageFailure {
    fn from(e: crate::store::StoreError) -> Self {
        Self(e.into())
    }
}

#[derive(Template)]
#[template(path = "alexa_message.html")]
struct MessagePage<'a> {
    title: &'a str,
    message: &'a str,
    is_error: bool,
    back: &'a str,
}

impl ResponseError for PageFailure {
    fn status_code(&self) -> StatusCode {
        self.0.status_code()
    }

    fn error_response(&self) -> HttpResponse {
        if let AlexaError::Store(e) = &self.0 {
            tracing::error!(error = %e, "database error on a simulator page");
        }
        let title = match &self.0 {
            AlexaError::StateMismatch | AlexaError::Provider { .. } | AlexaError::Exchange(_) => {
                "Unable to link your account"
            }
            AlexaError::NotFound(_) => "Not found",
            AlexaError::Csrf => "Form expired",
            _ => "Something went wrong",
        };
        html(
            self.status_code(),
            &MessagePage {
                title,
                message: &self.0.to_string(),
                is_error: true,
                back: "/alexa",
            },
        )
    }
}

/// The CSRF token of this browser (cookie), and the cookie to set if new.
fn csrf(req: &HttpRequest) -> (String, Option<Cookie<'static>>) {
    match req.cookie(CSRF_COOKIE) {
        Some(c) if c.value().len() >= 32 && c.value().len() <= 64 => (c.value().to_owned(), None),
        _ => {
            let token = Secret::generate(24).expose().to_owned();
            let cookie = Cookie::build(CSRF_COOKIE, token.clone())
                .path("/alexa")
                .http_only(true)
                .same_site(SameSite::Strict)
                .finish();
            (token, Some(cookie))
        }
    }
}

fn check_csrf(req: &HttpRequest, presented: Option<&str>) -> Result<(), AlexaError> {
    match (req.cookie(CSRF_COOKIE), presented) {
        (Some(c), Some(p)) if bool::from(c.value().as_bytes().ct_eq(p.as_bytes())) => Ok(()),
        _ => Err(AlexaError::Csrf),
    }
}

fn with_cookie(mut res: HttpResponse, cookie: Option<Cookie<'static>>) -> HttpResponse {
    if let Some(c) = cookie {
        let _ = res.add_cookie(&c);
    }
    res
}

#[derive(Template)]
#[template(path = "alexa_home.html")]
struct HomePage<'a> {
    users: Vec<UserRow>,
    csrf_token: &'a str,
    provider: ProviderView,
}

struct UserRow {
    id: String,
    name: String,
    linked: bool,
}

struct ProviderView {
    authorization_url: String,
    token_url: String,
    client_id: String,
    scheme: String,
    scopes: String,
    pkce: bool,
    skill_endpoint: String,
    redirect_url: String,
}

fn provider_view(state: &AppState) -> ProviderView {
    let s = &state.settings;
    ProviderView {
        authorization_url: s.alexa_authorization_url(),
        token_url: s.alexa_token_url(),
        client_id: s.alexa_client_id(),
        scheme: match s.alexa_access_token_scheme {
            crate::config::AccessTokenScheme::HttpBasic => "HTTP_BASIC".into(),
            crate::config::AccessTokenScheme::RequestBodyCredentials => {
                "REQUEST_BODY_CREDENTIALS".into()
            }
        },
        scopes: s.alexa_scopes.clone(),
        pkce: s.alexa_pkce,
        skill_endpoint: s.alexa_skill_endpoint(),
        redirect_url: s.alexa_redirect_url(),
    }
}

/// `GET /alexa`
async fn home_page(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageFailure> {
    let mut users = state.store.alexa_users().await?;
    if users.is_empty() {
        // A first visit gets a user to play with straight away.
        users.push(super::create_user(&state, None).await?);
    }
    let mut rows = Vec::new();
    for u in users {
        let linked = state.store.alexa_link(&u.id).await?.is_some();
        rows.push(UserRow {
            id: u.id,
            name: u.name,
            linked,
        });
    }
    let (token, cookie) = csrf(&req);
    Ok(with_cookie(
        html(
            StatusCode::OK,
            &HomePage {
                users: rows,
                csrf_token: &token,
                provider: provider_view(&state),
            },
        ),
        cookie,
    ))
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf_token: Option<String>,
    name: Option<String>,
}

/// `POST /alexa/users`
async fn create_user_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PageFailure> {
    check_csrf(&req, form.csrf_token.as_deref())?;
    let user = super::create_user(&state, form.name.as_deref()).await?;
    Ok(redirect(StatusCode::SEE_OTHER, &user_path(&user.id)))
}

fn user_path(id: &str) -> String {
    format!("/alexa/users/{id}")
}

#[derive(Template)]
#[template(path = "alexa_user.html")]
struct UserPage<'a> {
    user: &'a AlexaUser,
    csrf_token: &'a str,
    link: Option<LinkView>,
    pending_flow: Option<String>,
    intents: Vec<String>,
    slot_names: Vec<String>,
    result: Option<ResultView>,
    notice: Option<&'a str>,
    provider: ProviderView,
}

struct LinkView {
    flow_id: String,
    scopes: String,
    expires_in: i64,
    refreshed: bool,
}

struct ResultView {
    said: String,
    request_type: String,
    intent: String,
    linked: bool,
    speech: String,
    reprompt: String,
    card: String,
    link_card: bool,
    session_open: bool,
    error: Option<String>,
    request_json: String,
    response_json: String,
}

fn result_view(said: String, r: &TalkResult) -> ResultView {
    let card = match &r.card {
        None => String::new(),
        Some(crate::skill::envelope::Card::LinkAccount) => "LinkAccount".into(),
        Some(crate::skill::envelope::Card::Simple { title, content }) => {
            format!("{title}: {content}")
        }
        Some(crate::skill::envelope::Card::Standard { title, text, .. }) => {
            format!("{title}: {text}")
        }
        Some(crate::skill::envelope::Card::AskForPermissionsConsent { permissions }) => {
            format!("Permissions requested: {}", permissions.join(", "))
        }
    };
    ResultView {
        said,
        request_type: r.request_type.clone(),
        intent: r.intent.clone().unwrap_or_default(),
        linked: r.linked,
        speech: r.speech.clone().unwrap_or_default(),
        reprompt: r.reprompt.clone().unwrap_or_default(),
        link_card: r.asks_to_link(),
        card,
        session_open: r.session_open,
        error: r.error.clone(),
        request_json: serde_json::to_string_pretty(&r.request).unwrap_or_default(),
        response_json: r
            .response
            .as_ref()
            .and_then(|x| serde_json::to_string_pretty(x).ok())
            .unwrap_or_default(),
    }
}

async fn render_user(
    req: &HttpRequest,
    state: &AppState,
    id: &str,
    status: StatusCode,
    result: Option<ResultView>,
    notice: Option<&str>,
) -> Result<HttpResponse, PageFailure> {
    let user = super::user(state, id).await?;
    let now = link::link_now(state);
    let link = state.store.alexa_link(id).await?.map(|l| LinkView {
        flow_id: l.flow_id,
        scopes: l.scopes,
        expires_in: l.expires_at - now,
        refreshed: l.refreshed_at.is_some(),
    });
    let pending_flow = state.store.pending_link_flow(id, now).await?;
    let model = &state.alexa.model;
    let mut slot_names: Vec<String> = model
        .intents
        .iter()
        .flat_map(|i| i.slots.iter().map(|s| s.name.clone()))
        .collect();
    slot_names.sort();
    slot_names.dedup();
    let (token, cookie) = csrf(req);
    Ok(with_cookie(
        html(
            status,
            &UserPage {
                user: &user,
                csrf_token: &token,
                link,
                pending_flow,
                intents: model.intents.iter().map(|i| i.name.clone()).collect(),
                slot_names,
                result,
                notice,
                provider: provider_view(state),
            },
        ),
        cookie,
    ))
}

/// `GET /alexa/users/{id}`
async fn user_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, PageFailure> {
    render_user(&req, &state, &id, StatusCode::OK, None, None).await
}

/// `POST /alexa/users/{id}/enable`: off to the provider's login page.
async fn enable_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PageFailure> {
    check_csrf(&req, form.csrf_token.as_deref())?;
    let enabled = link::enable(&state, &id).await?;
    Ok(redirect(StatusCode::SEE_OTHER, &enabled.authorize_url))
}

/// `POST /alexa/users/{id}/disable`
async fn disable_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PageFailure> {
    check_csrf(&req, form.csrf_token.as_deref())?;
    let removed = link::disable(&state, &id).await?;
    let notice = if removed {
        "Skill disabled: the account link was deleted."
    } else {
        "The skill was not linked."
    };
    render_user(&req, &state, &id, StatusCode::OK, None, Some(notice)).await
}

/// `POST /alexa/users/{id}/talk`: fields `utterance`, or `intent` with
/// `slot_<name>` fields, or `launch`.
async fn talk_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    form: web::Form<HashMap<String, String>>,
) -> Result<HttpResponse, PageFailure> {
    check_csrf(&req, form.get("csrf_token").map(String::as_str))?;
    let input = TalkInput {
        utterance: form.get("utterance").cloned(),
        intent: if form.contains_key("pick") {
            form.get("intent").cloned()
        } else {
            None
        },
        slots: form
            .iter()
            .filter_map(|(k, v)| k.strip_prefix("slot_").map(|n| (n.to_owned(), v.clone())))
            .collect::<BTreeMap<_, _>>(),
        launch: form.contains_key("launch"),
    };
    let said = if input.launch {
        format!("open {}", state.alexa.model.invocation_name)
    } else if let Some(i) = input.intent.as_ref() {
        format!("(intent {i})")
    } else {
        input.utterance.clone().unwrap_or_default()
    };
    match talk::talk(&state, &id, &input).await {
        Ok(result) => {
            let view = result_view(said, &result);
            render_user(&req, &state, &id, StatusCode::OK, Some(view), None).await
        }
        Err(AlexaError::BadRequest(msg)) => {
            render_user(&req, &state, &id, StatusCode::BAD_REQUEST, None, Some(&msg)).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "alexa_flow.html")]
struct FlowPage<'a> {
    flow_id: &'a str,
    user_id: &'a str,
    entries: Vec<FlowRow>,
}

struct FlowRow {
    at: String,
    step: String,
    direction: String,
    line: String,
    headers: String,
    body: String,
}

fn flow_row(e: &FlowEntry) -> FlowRow {
    let line = match (e.direction.as_str(), &e.method, &e.url, e.status) {
        ("request", Some(m), Some(u), _) => format!("{m} {u}"),
        ("response", _, _, Some(s)) => format!("HTTP {s}"),
        _ => String::new(),
    };
    let headers = match &e.headers {
        serde_json::Value::Object(m) if !m.is_empty() => m
            .iter()
            .map(|(k, v)| format!("{k}: {}", v.as_str().unwrap_or("")))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    };
    FlowRow {
        at: super::talk_time(e.at),
        step: e.step.clone(),
        direction: e.direction.clone(),
        line,
        headers,
        body: e.body.clone(),
    }
}

async fn flow_entries(state: &AppState, flow: &str) -> Result<Vec<FlowEntry>, AlexaError> {
    let entries = if flow.len() <= 64 && super::is_plain_id(flow) {
        state.store.flow(flow).await?
    } else {
        Vec::new()
    };
    if entries.is_empty() {
        return Err(AlexaError::NotFound(format!(
            "There is no flow log {flow}."
        )));
    }
    Ok(entries)
}

/// `GET /alexa/flows/{flow}`
async fn flow_page(
    state: web::Data<AppState>,
    flow: web::Path<String>,
) -> Result<HttpResponse, PageFailure> {
    let entries = flow_entries(&state, &flow).await?;
    let user_id = entries[0].user_id.clone();
    Ok(html(
        StatusCode::OK,
        &FlowPage {
            flow_id: &flow,
            user_id: &user_id,
            entries: entries.iter().map(flow_row).collect(),
        },
    ))
}

/// `GET /api/skill/link/{vendorId}?code=…&state=…`: where the provider sends
/// the browser back; ends on a result page like Alexa's.
async fn link_callback(
    req: HttpRequest,
    state: web::Data<AppState>,
    vendor: web::Path<String>,
    query: web::Query<Callback>,
) -> Result<HttpResponse, PageFailure> {
    let linked = link::callback(&state, &vendor, req.query_string(), &query).await?;
    let back = user_path(&linked.user_id);
    Ok(html(
        StatusCode::OK,
        &MessagePage {
            title: "Account linked",
            message: "mock music has been successfully linked.",
            is_error: false,
            back: &back,
        },
    ))
}

// ---------- JSON API ----------

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

async fn user_json(state: &AppState, u: AlexaUser) -> Result<UserJson, AlexaError> {
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
    responses((status = 200, description = "Simulated users", body = Vec<crate::alexa::web::UserJson>), (status = 503, description = "unavailable", body = crate::openapi::AlexaErrorBody))
)]
pub(crate) async fn api_users(state: web::Data<AppState>) -> Result<HttpResponse, AlexaError> {
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
    request_body(content = Option<crate::alexa::web::NewUserJson>, content_type = "application/json"),
    responses((status = 201, description = "The new user", body = crate::alexa::web::UserJson), (status = 400, description = "bad_request (including a missing `Content-Type: application/json`)", body = crate::openapi::AlexaErrorBody), (status = 503, description = "unavailable", body = crate::openapi::AlexaErrorBody))
)]
pub(crate) async fn api_create_user(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Option<web::Json<NewUserJson>>,
) -> Result<HttpResponse, AlexaError> {
    require_json(&req)?;
    let name = body.and_then(|b| b.into_inner().name);
    let u = super::create_user(&state, name.as_deref()).await?;
    Ok(HttpResponse::Created().json(user_json(&state, u).await?))
}

/// `GET /alexa/api/users/{id}`
#[utoipa::path(
    get,
    path = "/alexa/api/users/{id}",
    tag = "alexa",
    params(("id" = String, Path, description = "Simulated user id `amzn1.ask.account.…`")),
    responses((status = 200, description = "A simulated user", body = crate::alexa::web::UserJson), (status = 404, description = "not_found", body = crate::openapi::AlexaErrorBody), (status = 503, description = "unavailable", body = crate::openapi::AlexaErrorBody))
)]
pub(crate) async fn api_user(
    state: web::Data<AppState>,
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
    responses((status = 200, description = "Open `authorize_url` in a browser to link", body = crate::alexa::link::Enabled), (status = 400, description = "bad_request (including a missing `Content-Type: application/json`)", body = crate::openapi::AlexaErrorBody), (status = 404, description = "not_found", body = crate::openapi::AlexaErrorBody), (status = 503, description = "unavailable", body = crate::openapi::AlexaErrorBody))
)]
pub(crate) async fn api_enable(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AlexaError> {
    require_json(&req)?;
    Ok(HttpResponse::Ok().json(link::enable(&state, &id).await?))
}

/// `POST /alexa/api/users/{id}/disable`
#[utoipa::path(
    post,
    path = "/alexa/api/users/{id}/disable",
    tag = "alexa",
    params(("id" = String, Path, description = "Simulated user id `amzn1.ask.account.…`")),
    request_body(content = Option<Object>, content_type = "application/json", description = "`{}`"),
    responses((status = 200, description = "Whether a link was removed", body = crate::openapi::Unlinked), (status = 400, description = "bad_request (including a missing `Content-Type: application/json`)", body = crate::openapi::AlexaErrorBody), (status = 404, description = "not_found", body = crate::openapi::AlexaErrorBody), (status = 503, description = "unavailable", body = crate::openapi::AlexaErrorBody))
)]
pub(crate) async fn api_disable(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AlexaError> {
    require_json(&req)?;
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
    responses((status = 200, description = "What was sent to the skill and what it answered", body = crate::alexa::talk::TalkResult), (status = 400, description = "bad_request (including a missing `Content-Type: application/json`)", body = crate::openapi::AlexaErrorBody), (status = 404, description = "not_found", body = crate::openapi::AlexaErrorBody), (status = 503, description = "unavailable", body = crate::openapi::AlexaErrorBody))
)]
pub(crate) async fn api_talk(
    state: web::Data<AppState>,
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
    responses((status = 200, description = "Every logged step of a linking flow", body = Vec<crate::store::FlowEntry>), (status = 404, description = "not_found", body = crate::openapi::AlexaErrorBody), (status = 503, description = "unavailable", body = crate::openapi::AlexaErrorBody))
)]
pub(crate) async fn api_flow(
    state: web::Data<AppState>,
    flow: web::Path<String>,
) -> Result<HttpResponse, AlexaError> {
    Ok(HttpResponse::Ok().json(flow_entries(&state, &flow).await?))
}

/// JSON API actions need a JSON content type: a cross-site form cannot send
/// one without a CORS preflight, so this doubles as CSRF protection.
fn require_json(req: &HttpRequest) -> Result<(), AlexaError> {
    let ct = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if ct.to_ascii_lowercase().starts_with("application/json") {
        Ok(())
    } else {
        Err(AlexaError::BadRequest(
            "Send Content-Type: application/json (a body of {} is fine).".into(),
        ))
    }
}
