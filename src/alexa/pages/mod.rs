//! The simulator's HTML pages, which work without JavaScript (forms under the
//! one CSRF rule of `web::csrf`), and the account-linking redirect URL
//! `/api/skill/link/{vendorId}` the provider sends the browser back to.

use super::link::{self, Callback};
use super::talk::{self, TalkInput, TalkResult};
use super::AlexaError;
use crate::alexa::json_api::SkillQuery;
use crate::alexa::{SimulatorState, SimulatorUser};
use crate::store::{AlexaUser, FlowEntry, FlowFinding};
use crate::web::access;
use crate::web::csrf::FormGuard;
use crate::web::pages::{html, redirect};
use crate::wire::alexa::Region;
use actix_web::cookie::Cookie;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use askama::Template;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};

mod flow;
mod flow_diagram;
mod home;
mod linking;

pub(crate) use flow::{flow_entries, flow_page, link_callback};
pub(crate) use home::{
    create_skill_form, create_user_form, delete_skill_form, home_page, CsrfForm,
};
use home::{provider_view, ProviderView};
pub(crate) use linking::{disable_form, enable_form, paste_form};

/// An `AlexaError` shown to a person as a page.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct SimulatorPageError(#[from] AlexaError);

impl From<crate::store::StoreError> for SimulatorPageError {
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
    findings: &'a [FlowFinding],
    strict: bool,
}

impl ResponseError for SimulatorPageError {
    fn status_code(&self) -> StatusCode {
        self.0.status_code()
    }

    fn error_response(&self) -> HttpResponse {
        if let AlexaError::Store(e) = &self.0 {
            tracing::error!(error = %e, "database error on a simulator page");
        }
        let title = match &self.0 {
            AlexaError::StateMismatch | AlexaError::Provider { .. } | AlexaError::Unlinked(_) => {
                "Unable to link your account"
            }
            AlexaError::NotFound(_) => "Not found",
            AlexaError::Csrf => "Form expired",
            AlexaError::Unauthorized(_) => "Admin password required",
            AlexaError::Forbidden(_) => "Forbidden",
            AlexaError::TooManyAttempts(_) => "Too many attempts",
            _ => "Something went wrong",
        };
        let (findings, back) = match &self.0 {
            AlexaError::Unlinked(f) => {
                (f.findings.as_slice(), format!("/alexa/flows/{}", f.flow_id))
            }
            _ => (&[][..], "/alexa".to_owned()),
        };
        let mut res = html(
            self.status_code(),
            &MessagePage {
                title,
                message: &self.0.to_string(),
                is_error: true,
                back: &back,
                findings,
                strict: false,
            },
        );
        let mut extra = HttpResponse::build(self.status_code());
        self.0.add_headers(&mut extra);
        for (name, value) in extra.finish().headers() {
            res.headers_mut().insert(name.clone(), value.clone());
        }
        res
    }
}

/// The simulator forms' CSRF cookie (the rule is `web::csrf`'s, shared by every form).
const FORMS: FormGuard = FormGuard {
    cookie: "mocklink_alexa_csrf",
    path: "/alexa",
};

/// The CSRF token of this browser, and the cookie to set if new.
pub(crate) fn csrf(req: &HttpRequest, state: &SimulatorState) -> (String, Option<Cookie<'static>>) {
    FORMS.token(req, access::https(req, &state.settings))
}

pub(crate) fn check_csrf(req: &HttpRequest, presented: Option<&str>) -> Result<(), AlexaError> {
    let rule = access::of(req).ok_or(AlexaError::Csrf)?;
    FORMS
        .check(req, presented, rule)
        .map_err(|_| AlexaError::Csrf)
}

pub(crate) fn with_cookie(mut res: HttpResponse, cookie: Option<Cookie<'static>>) -> HttpResponse {
    if let Some(c) = cookie {
        let _ = res.add_cookie(&c);
    }
    res
}

/// A user's page for the skill in play (the default skill's has no query).
pub(crate) fn user_path(state: &SimulatorState, id: &str) -> String {
    user_path_for(&state.skill.key, id)
}

pub(crate) fn user_path_for(skill_key: &str, id: &str) -> String {
    format!("/alexa/users/{id}{}", skill_query(skill_key))
}

/// `?skill=<key>` for a skill other than the default one, else nothing: the
/// default skill's URLs stay what they always were.
pub(crate) fn skill_query(skill_key: &str) -> String {
    if skill_key == crate::config::DEFAULT_SKILL_KEY {
        String::new()
    } else {
        format!("?skill={skill_key}")
    }
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
    regions: Vec<(&'static str, &'static str)>,
    api_endpoint: &'static str,
    skill_user_id: String,
    relink_requested: bool,
    stale_token: &'static str,
    events: Vec<EventRow>,
    /// The rules as they judged the link's flow, or the linking in progress.
    findings: Vec<FlowFinding>,
    strict: bool,
    regional_redirect_uri: String,
    /// `?skill=…` for the form actions (empty for the default skill).
    skill_q: String,
    /// Every skill, for the switcher: key, name, the one shown.
    skills: Vec<(String, String, bool)>,
}

struct LinkView {
    flow_id: String,
    scopes: String,
    expires_in: i64,
    refreshed: bool,
    refresh_failures: i64,
    next_refresh_in: Option<i64>,
}

struct EventRow {
    at: String,
    kind: String,
    summary: String,
    status: String,
    request_json: String,
    response: String,
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
    reprompted: bool,
    session_ended: Option<String>,
}

fn result_view(said: String, r: &TalkResult) -> ResultView {
    let card = match &r.card {
        None => String::new(),
        Some(crate::wire::alexa::envelope::Card::LinkAccount) => "LinkAccount".into(),
        Some(crate::wire::alexa::envelope::Card::Simple { title, content }) => {
            format!("{title}: {content}")
        }
        Some(crate::wire::alexa::envelope::Card::Standard { title, text, .. }) => {
            format!("{title}: {text}")
        }
        Some(crate::wire::alexa::envelope::Card::AskForPermissionsConsent { permissions }) => {
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
        reprompted: r.reprompted,
        session_ended: r.session_ended.as_ref().map(|e| {
            format!(
                "Alexa then sent SessionEndedRequest (reason {}{}); the skill answered {}",
                e.reason.as_deref().unwrap_or("?"),
                e.error_type
                    .as_deref()
                    .map(|t| format!(", error {t}"))
                    .unwrap_or_default(),
                e.status
                    .map(|s| format!("HTTP {s}"))
                    .unwrap_or_else(|| "nothing".into())
            )
        }),
    }
}

async fn render_user(
    req: &HttpRequest,
    state: &SimulatorState,
    id: &str,
    status: StatusCode,
    result: Option<ResultView>,
    notice: Option<&str>,
) -> Result<HttpResponse, SimulatorPageError> {
    let user = super::user(state, id).await?;
    let now = link::link_now(state);
    let skills = crate::alexa::skills::all(state)
        .await?
        .into_iter()
        .map(|s| {
            let shown = s.key == state.skill.key;
            (s.key, s.name, shown)
        })
        .collect();
    let link = state
        .store
        .alexa_link(id, &state.skill.key)
        .await?
        .map(|l| LinkView {
            flow_id: l.flow_id,
            scopes: l.scopes,
            expires_in: l.expires_at - now,
            refreshed: l.refreshed_at.is_some(),
            refresh_failures: l.refresh_failures,
            next_refresh_in: l
                .next_refresh_at
                .filter(|at| *at != i64::MAX && *at > now)
                .map(|at| at - now),
        });
    let relink_requested = link.is_none() && super::json_api::relink_requested(state, id).await?;
    let events = state
        .store
        .alexa_events(id, &state.skill.key, 30)
        .await?
        .iter()
        .rev()
        .map(|e| EventRow {
            at: crate::clock::rfc3339(e.at),
            kind: e.kind.clone(),
            summary: e.summary.clone(),
            status: e.status.map(|s| format!("HTTP {s}")).unwrap_or_default(),
            request_json: if e.request.is_null() {
                String::new()
            } else {
                serde_json::to_string_pretty(&e.request).unwrap_or_default()
            },
            response: e.response.clone(),
        })
        .collect();
    let pending_flow = state
        .store
        .pending_link_flow(id, &state.skill.key, now)
        .await?;
    let findings = match link.as_ref().map(|l| &l.flow_id).or(pending_flow.as_ref()) {
        Some(flow) => state.store.flow_findings(flow).await?,
        None => Vec::new(),
    };
    let model = &state.runtime.model;
    let mut slot_names: Vec<String> = model
        .intents
        .iter()
        .flat_map(|i| i.slots.iter().map(|s| s.name.clone()))
        .collect();
    slot_names.sort();
    slot_names.dedup();
    let (token, cookie) = csrf(req, state);
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
                regions: Region::ALL
                    .iter()
                    .map(|r| (r.code(), r.api_endpoint()))
                    .collect(),
                api_endpoint: super::deliver::region_of(&user).api_endpoint(),
                skill_user_id: user
                    .skill_user_id
                    .clone()
                    .unwrap_or_else(|| "(a new one at the next enable or request)".into()),
                relink_requested,
                stale_token: match state.settings.simulator.stale_token {
                    crate::config::StaleToken::Send => "send",
                    crate::config::StaleToken::Drop => "drop",
                },
                events,
                findings,
                strict: super::rules::strict(state),
                regional_redirect_uri: super::deliver::region_of(&user)
                    .redirect_uri(&state.settings.alexa_vendor_id),
                skill_q: skill_query(&state.skill.key),
                skills,
            },
        ),
        cookie,
    ))
}

#[derive(Deserialize)]
pub(super) struct RegionForm {
    csrf_token: Option<String>,
    region: String,
}

/// `POST /alexa/users/{id}/region`
pub(super) async fn region_form(
    _: SimulatorUser,
    req: HttpRequest,
    state: web::Data<SimulatorState>,
    id: web::Path<String>,
    q: web::Query<SkillQuery>,
    form: web::Form<RegionForm>,
) -> Result<HttpResponse, SimulatorPageError> {
    check_csrf(&req, form.csrf_token.as_deref())?;
    let state = state.with_skill(q.skill.as_deref()).await?;
    super::set_region(&state, &id, &form.region).await?;
    Ok(redirect(StatusCode::SEE_OTHER, &user_path(&state, &id)))
}

/// `GET /alexa/users/{id}`
pub(super) async fn user_page(
    _: SimulatorUser,
    req: HttpRequest,
    state: web::Data<SimulatorState>,
    id: web::Path<String>,
    q: web::Query<SkillQuery>,
) -> Result<HttpResponse, SimulatorPageError> {
    let state = state.with_skill(q.skill.as_deref()).await?;
    render_user(&req, &state, &id, StatusCode::OK, None, None).await
}

/// `POST /alexa/users/{id}/talk`: fields `utterance`, or `intent` with
/// `slot_<name>` fields, or `launch`.
pub(crate) async fn talk_form(
    _: SimulatorUser,
    req: HttpRequest,
    state: web::Data<SimulatorState>,
    id: web::Path<String>,
    q: web::Query<SkillQuery>,
    form: web::Form<HashMap<String, String>>,
) -> Result<HttpResponse, SimulatorPageError> {
    check_csrf(&req, form.get("csrf_token").map(String::as_str))?;
    let state = state.with_skill(q.skill.as_deref()).await?;
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
        silence: form.contains_key("silence"),
    };
    let said = if input.silence {
        "(silence)".to_owned()
    } else if input.launch {
        format!("open {}", state.runtime.model.invocation_name)
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
