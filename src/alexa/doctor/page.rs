//! The doctor in the simulator: `GET /alexa/doctor` (the console's form),
//! `POST /alexa/doctor` (runs the check, renders the report; without a
//! login, first shows the URL to open and a paste box, the pending run
//! carried in hidden fields), and `POST /alexa/api/doctor` (the report as
//! JSON). The page's second form, the skill check, is `skill_page`. All
//! behind the simulator's access rule.

use super::{html, provider, Authorize, ProviderInput};
use crate::alexa::json_api::SkillQuery;
use crate::alexa::oauth::LinkingConfig;
use crate::alexa::pages::{check_csrf, csrf, with_cookie, SimulatorPageError};
use crate::alexa::{AlexaError, SimulatorCaller, SimulatorState, SimulatorUser};
use crate::config::AccessTokenScheme;
use crate::web::pages::html as page;
use crate::wire::alexa::region::Region;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::{Deserialize, Serialize};

/// The check to run: the console's Account Linking form and how to play the
/// user. Empty fields take the simulator's own provider settings.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct DoctorRequest {
    pub authorization_url: String,
    pub token_url: String,
    pub client_id: String,
    pub client_secret: String,
    /// `http-basic` (default) or `request-body`.
    pub scheme: String,
    /// Space-separated.
    pub scope: String,
    /// Space-separated Domain List.
    pub domain: String,
    pub default_expiration: Option<i64>,
    pub pkce: bool,
    /// NA (default), EU or FE.
    pub region: String,
    pub vendor_id: String,
    pub redirect_uri: String,
    /// `USER:PASSWORD` for the provider's login form; required by the JSON
    /// API unless `landed` is given.
    pub login: String,
    pub api_url: String,
    pub strict: bool,
    /// The paste flow: the state and PKCE verifier of the URL opened, and
    /// the address the browser landed on.
    pub state: String,
    pub verifier: String,
    pub landed: String,
}

/// The HTML form: checkboxes are present or absent.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct DoctorForm {
    csrf_token: Option<String>,
    authorization_url: String,
    token_url: String,
    client_id: String,
    client_secret: String,
    scheme: String,
    scope: String,
    domain: String,
    default_expiration: String,
    pkce: Option<String>,
    region: String,
    vendor_id: String,
    redirect_uri: String,
    login: String,
    api_url: String,
    strict: Option<String>,
    state: String,
    verifier: String,
    landed: String,
}

impl DoctorForm {
    fn request(&self) -> Result<DoctorRequest, AlexaError> {
        let default_expiration = match self.default_expiration.trim() {
            "" => None,
            n => Some(n.parse().map_err(|_| {
                AlexaError::BadRequest("The default expiration is a number of seconds.".into())
            })?),
        };
        Ok(DoctorRequest {
            authorization_url: self.authorization_url.clone(),
            token_url: self.token_url.clone(),
            client_id: self.client_id.clone(),
            client_secret: self.client_secret.clone(),
            scheme: self.scheme.clone(),
            scope: self.scope.clone(),
            domain: self.domain.clone(),
            default_expiration,
            pkce: self.pkce.is_some(),
            region: self.region.clone(),
            vendor_id: self.vendor_id.clone(),
            redirect_uri: self.redirect_uri.clone(),
            login: self.login.clone(),
            api_url: self.api_url.clone(),
            strict: self.strict.is_some(),
            state: self.state.clone(),
            verifier: self.verifier.clone(),
            landed: self.landed.clone(),
        })
    }
}

fn or(given: &str, default: &str) -> String {
    match given.trim() {
        "" => default.to_owned(),
        g => g.to_owned(),
    }
}

fn optional(text: &str) -> Option<String> {
    Some(text.trim().to_owned()).filter(|t| !t.is_empty())
}

/// The check's input, and how the user's part is played (`None`: a person
/// must open the URL first).
fn input_of(
    state: &SimulatorState,
    r: &DoctorRequest,
) -> Result<(ProviderInput, Option<Authorize>), AlexaError> {
    let d = state.skill.linking.clone();
    let bad = |m: &str| AlexaError::BadRequest(m.to_owned());
    let scheme = match r.scheme.trim() {
        "" | "http-basic" | "HTTP_BASIC" => AccessTokenScheme::HttpBasic,
        "request-body" | "REQUEST_BODY_CREDENTIALS" => AccessTokenScheme::RequestBodyCredentials,
        _ => return Err(bad("The scheme is http-basic or request-body.")),
    };
    let region = match r.region.trim() {
        "" => Region::Na,
        text => Region::parse(text).ok_or_else(|| bad("The region is NA, EU or FE."))?,
    };
    // Empty URLs: the simulator's own provider, logged in as its demo user.
    let own = r.token_url.trim().is_empty()
        && r.authorization_url.trim().is_empty()
        && d.token_url == state.settings.alexa_token_url();
    // As the form comes prefilled, the own provider's secret need not be typed.
    let same = |given: &str, default: &str| given.trim().is_empty() || given.trim() == default;
    let own_client = same(&r.token_url, &d.token_url)
        && same(&r.authorization_url, &d.authorization_url)
        && same(&r.client_id, &d.client_id);
    let linking = LinkingConfig {
        authorization_url: or(&r.authorization_url, &d.authorization_url),
        token_url: or(&r.token_url, &d.token_url),
        client_id: or(&r.client_id, &d.client_id),
        client_secret: or(
            &r.client_secret,
            if own_client { &d.client_secret } else { "" },
        ),
        scheme,
        scopes: match r.scope.trim() {
            "" => d.scopes.clone(),
            s => s.split_whitespace().map(str::to_owned).collect(),
        },
        domains: r.domain.split_whitespace().map(str::to_owned).collect(),
        default_expiration_seconds: r.default_expiration.unwrap_or(0).max(0),
        pkce: r.pkce,
        vendor_id: or(&r.vendor_id, &d.vendor_id),
    };
    let input = ProviderInput {
        linking,
        region,
        redirect_uri: optional(&r.redirect_uri),
        api_url: optional(&r.api_url),
        strict: r.strict,
    };
    let login = match (optional(&r.login), own) {
        (Some(l), _) => Some(l),
        // The simulator's own provider: its demo user.
        (None, true) => Some(format!(
            "{}:{}",
            state.settings.demo_username, state.settings.demo_password
        )),
        (None, false) => None,
    };
    let authorize = if let Some(landed) = optional(&r.landed) {
        Some(Authorize::Pasted {
            state: r.state.clone(),
            verifier: optional(&r.verifier),
            landed,
        })
    } else if let Some(l) = login {
        let (username, password) = l
            .split_once(':')
            .ok_or_else(|| bad("The login is USER:PASSWORD."))?;
        Some(Authorize::Login {
            username: username.to_owned(),
            password: password.to_owned(),
        })
    } else {
        None
    };
    Ok((input, authorize))
}

#[derive(Template)]
#[template(path = "alexa_doctor.html")]
struct DoctorPage<'a> {
    csrf_token: &'a str,
    form: DoctorForm,
    regions: Vec<&'static str>,
    error: Option<String>,
    /// The paste flow: the URL to open, and the fields to carry.
    open_url: Option<String>,
    carried: Vec<(String, String)>,
    /// The second form: a skill endpoint to check.
    skill: super::skill_page::SkillForm,
    skill_error: Option<String>,
    /// The simulated skill whose form fills the fields: `?skill=…`, or empty.
    skill_q: String,
    skill_name: String,
}

pub(crate) fn form_page(
    req: &HttpRequest,
    state: &SimulatorState,
    form: DoctorForm,
    error: Option<String>,
    open_url: Option<String>,
) -> HttpResponse {
    page_with(req, state, form, error, open_url, Default::default(), None)
}

/// The page with both forms, each with its values and error.
pub(crate) fn page_with(
    req: &HttpRequest,
    state: &SimulatorState,
    form: DoctorForm,
    error: Option<String>,
    open_url: Option<String>,
    skill: super::skill_page::SkillForm,
    skill_error: Option<String>,
) -> HttpResponse {
    let (token, cookie) = csrf(req, state);
    let carried = if open_url.is_some() {
        let mut pairs = serde_urlencoded::to_string(&form)
            .ok()
            .map(|q| {
                form_urlencoded::parse(q.as_bytes())
                    .into_owned()
                    .filter(|(k, _)| k != "csrf_token" && k != "landed")
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        pairs.retain(|(_, v)| !v.is_empty());
        pairs
    } else {
        Vec::new()
    };
    let status = if error.is_some() || skill_error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    with_cookie(
        page(
            status,
            &DoctorPage {
                csrf_token: &token,
                form,
                regions: Region::ALL.iter().map(|r| r.code()).collect(),
                error,
                open_url,
                carried,
                skill,
                skill_error,
                skill_q: crate::alexa::pages::skill_query(&state.skill.key),
                skill_name: state.skill.name.clone(),
            },
        ),
        cookie,
    )
}

/// The provider form as the simulator's settings fill it.
pub(crate) fn default_form(state: &SimulatorState) -> DoctorForm {
    let d = state.skill.linking.clone();
    DoctorForm {
        authorization_url: d.authorization_url,
        token_url: d.token_url,
        client_id: d.client_id,
        scheme: match d.scheme {
            AccessTokenScheme::HttpBasic => "http-basic".into(),
            AccessTokenScheme::RequestBodyCredentials => "request-body".into(),
        },
        scope: d.scopes.join(" "),
        region: "NA".into(),
        vendor_id: d.vendor_id,
        pkce: d.pkce.then(|| "on".into()),
        ..DoctorForm::default()
    }
}

/// The report page, served with a CSP that allows its inline stylesheet.
pub(crate) fn report_response(
    report: &crate::linkcheck::Report,
) -> Result<HttpResponse, AlexaError> {
    let body = html::render(report, Some("/alexa/doctor"))
        .map_err(|e| AlexaError::Config(format!("the report could not be rendered: {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .insert_header((
            actix_web::http::header::CONTENT_SECURITY_POLICY,
            html::content_security_policy(),
        ))
        .body(body))
}

/// `GET /alexa/doctor`
pub(crate) async fn doctor_page(
    _: SimulatorUser,
    req: HttpRequest,
    state: web::Data<SimulatorState>,
    q: web::Query<SkillQuery>,
) -> Result<HttpResponse, SimulatorPageError> {
    let state = state.with_skill(q.skill.as_deref()).await?;
    Ok(form_page(&req, &state, default_form(&state), None, None))
}

/// `POST /alexa/doctor`
pub(crate) async fn doctor_form(
    _: SimulatorUser,
    req: HttpRequest,
    state: web::Data<SimulatorState>,
    q: web::Query<SkillQuery>,
    form: web::Form<DoctorForm>,
) -> Result<HttpResponse, SimulatorPageError> {
    check_csrf(&req, form.csrf_token.as_deref())?;
    let state = state.with_skill(q.skill.as_deref()).await?;
    let mut form = form.into_inner();
    let checked = form.request().and_then(|r| input_of(&state, &r));
    let (input, authorize) = match checked {
        Ok(v) => v,
        Err(AlexaError::BadRequest(m)) => return Ok(form_page(&req, &state, form, Some(m), None)),
        Err(e) => return Err(e.into()),
    };
    let Some(authorize) = authorize else {
        // The paste flow: a URL with a fresh state (and verifier) to open;
        // both come back in hidden fields with the landing address.
        let (s, v) = provider::new_secrets(input.linking.pkce);
        let url = match provider::authorization_url(&input, &s, v.as_deref()) {
            Ok(u) => u,
            Err(e) => return Ok(form_page(&req, &state, form, Some(e), None)),
        };
        form.state = s;
        form.verifier = v.unwrap_or_default();
        return Ok(form_page(&req, &state, form, None, Some(url)));
    };
    let report = provider::run(&input, authorize, &mut |_| {}).await;
    report_response(&report).map_err(Into::into)
}

/// Runs the provider check with Alexa's own client and returns the report.
#[utoipa::path(
    post,
    path = "/alexa/api/doctor",
    tag = "alexa",
    params(crate::alexa::json_api::SkillQuery),
    request_body(content = crate::alexa::doctor::page::DoctorRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The report; `verdict` is `fail` when a rule fails", body = crate::linkcheck::Report),
        (status = 400, description = "bad_request: a field is invalid, or neither `login` nor `landed` is given for another provider", body = crate::alexa::docs::AlexaErrorBody)
    )
)]
pub(crate) async fn api_doctor(
    _: SimulatorCaller,
    state: web::Data<SimulatorState>,
    q: web::Query<SkillQuery>,
    body: web::Json<DoctorRequest>,
) -> Result<HttpResponse, AlexaError> {
    let state = state.with_skill(q.skill.as_deref()).await?;
    let (input, authorize) = input_of(&state, &body)?;
    let authorize = authorize.ok_or_else(|| {
        AlexaError::BadRequest(
            "Give login (USER:PASSWORD), or state, verifier and landed from a browser run.".into(),
        )
    })?;
    let report = provider::run(&input, authorize, &mut |_| {}).await;
    Ok(HttpResponse::Ok().json(report))
}
