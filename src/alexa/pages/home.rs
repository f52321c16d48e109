//! The simulator's home page: the simulated users, the simulated skills
//! (each a developer-console form) and the forms that add them.

use super::*;
use crate::alexa::skills::{self, SimulatedSkill, SkillOrigin};
use crate::config::{AccessTokenScheme, SkillSpec};

#[derive(Template)]
#[template(path = "alexa_home.html")]
struct HomePage<'a> {
    users: Vec<UserRow>,
    skills: Vec<SkillRow>,
    csrf_token: &'a str,
    provider: ProviderView,
    notice: Option<&'a str>,
}

struct UserRow {
    id: String,
    name: String,
    /// Names of the skills the user is linked to.
    linked: Vec<String>,
}

struct SkillRow {
    key: String,
    name: String,
    endpoint: String,
    token_url: String,
    locale: String,
    skip_on_enablement: bool,
    removable: bool,
}

/// The skill in play's console form, as the pages show it.
pub(crate) struct ProviderView {
    pub skill_name: String,
    pub authorization_url: String,
    pub token_url: String,
    pub client_id: String,
    pub scheme: String,
    pub scopes: String,
    pub pkce: bool,
    pub skill_endpoint: String,
    pub redirect_url: String,
    pub locale: String,
    pub skip_on_enablement: bool,
}

pub(crate) fn provider_view(state: &SimulatorState) -> ProviderView {
    let skill = &state.skill;
    let l = &skill.linking;
    ProviderView {
        skill_name: skill.name.clone(),
        authorization_url: l.authorization_url.clone(),
        token_url: l.token_url.clone(),
        client_id: l.client_id.clone(),
        scheme: scheme_name(l.scheme).into(),
        scopes: l.scopes.join(" "),
        pkce: l.pkce,
        skill_endpoint: skill.endpoint.clone(),
        redirect_url: state.settings.alexa_redirect_url(),
        locale: skill.locale.clone(),
        skip_on_enablement: skill.skip_on_enablement,
    }
}

fn scheme_name(s: AccessTokenScheme) -> &'static str {
    match s {
        AccessTokenScheme::HttpBasic => "HTTP_BASIC",
        AccessTokenScheme::RequestBodyCredentials => "REQUEST_BODY_CREDENTIALS",
    }
}

async fn render_home(
    req: &HttpRequest,
    state: &SimulatorState,
    status: StatusCode,
    notice: Option<&str>,
) -> Result<HttpResponse, SimulatorPageError> {
    let mut users = state.store.alexa_users(&state.skill.key).await?;
    if users.is_empty() {
        // A first visit gets a user to play with straight away.
        users.push(crate::alexa::create_user(state, None, None).await?);
    }
    let all: Vec<SimulatedSkill> = skills::all(state).await?;
    let name_of = |key: &str| {
        all.iter()
            .find(|s| s.key == key)
            .map_or_else(|| key.to_owned(), |s| s.name.clone())
    };
    let mut rows = Vec::new();
    for u in users {
        let linked = state
            .store
            .alexa_linked_skills(&u.id)
            .await?
            .iter()
            .map(|k| name_of(k))
            .collect();
        rows.push(UserRow {
            id: u.id,
            name: u.name,
            linked,
        });
    }
    let skill_rows = all
        .iter()
        .map(|s| SkillRow {
            key: s.key.clone(),
            name: s.name.clone(),
            endpoint: s.endpoint.clone(),
            token_url: s.linking.token_url.clone(),
            locale: s.locale.clone(),
            skip_on_enablement: s.skip_on_enablement,
            removable: s.origin == SkillOrigin::Simulator,
        })
        .collect();
    let (token, cookie) = csrf(req, state);
    Ok(with_cookie(
        html(
            status,
            &HomePage {
                users: rows,
                skills: skill_rows,
                csrf_token: &token,
                provider: provider_view(state),
                notice,
            },
        ),
        cookie,
    ))
}

/// `GET /alexa`
pub(crate) async fn home_page(
    _: SimulatorUser,
    req: HttpRequest,
    state: web::Data<SimulatorState>,
) -> Result<HttpResponse, SimulatorPageError> {
    render_home(&req, &state, StatusCode::OK, None).await
}

#[derive(Deserialize)]
pub(crate) struct CsrfForm {
    pub(super) csrf_token: Option<String>,
    name: Option<String>,
    /// "Enable skill": `regional`, `local`, or absent for `auto`.
    pub(super) redirect: Option<String>,
    /// "Enable skill" of a skill with `skip_on_enablement`: `link` links.
    pub(super) link: Option<String>,
}

/// `POST /alexa/users`
pub(crate) async fn create_user_form(
    _: SimulatorUser,
    req: HttpRequest,
    state: web::Data<SimulatorState>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, SimulatorPageError> {
    check_csrf(&req, form.csrf_token.as_deref())?;
    let user = crate::alexa::create_user(&state, form.name.as_deref(), None).await?;
    Ok(redirect(
        StatusCode::SEE_OTHER,
        &user_path(&state, &user.id),
    ))
}

/// The "Add skill" form: the console's fields, empty ones left to the
/// default skill.
#[derive(Deserialize)]
pub(crate) struct SkillForm {
    csrf_token: Option<String>,
    key: String,
    name: Option<String>,
    endpoint: Option<String>,
    locale: Option<String>,
    authorization_url: Option<String>,
    token_url: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    scheme: Option<String>,
    scopes: Option<String>,
    default_token_expiration_seconds: Option<String>,
    pkce: Option<String>,
    skip_on_enablement: Option<String>,
}

impl SkillForm {
    fn spec(&self) -> Result<SkillSpec, AlexaError> {
        let text = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
        };
        let expiration = match text(&self.default_token_expiration_seconds) {
            None => None,
            Some(t) => Some(t.parse::<i64>().map_err(|_| {
                AlexaError::BadRequest(
                    "Default Access Token Expiration Time is a number of seconds.".into(),
                )
            })?),
        };
        let scheme = match text(&self.scheme).as_deref() {
            None => None,
            Some("HTTP_BASIC") => Some(AccessTokenScheme::HttpBasic),
            Some("REQUEST_BODY_CREDENTIALS") => Some(AccessTokenScheme::RequestBodyCredentials),
            Some(_) => {
                return Err(AlexaError::BadRequest(
                    "The authentication scheme is HTTP_BASIC or REQUEST_BODY_CREDENTIALS.".into(),
                ))
            }
        };
        Ok(SkillSpec {
            name: text(&self.name),
            endpoint: text(&self.endpoint),
            locale: text(&self.locale),
            authorization_url: text(&self.authorization_url),
            token_url: text(&self.token_url),
            client_id: text(&self.client_id),
            client_secret: text(&self.client_secret),
            access_token_scheme: scheme,
            scopes: text(&self.scopes),
            default_token_expiration_seconds: expiration,
            pkce: self.pkce.is_some().then_some(true),
            skip_on_enablement: self.skip_on_enablement.is_some(),
            ..Default::default()
        })
    }
}

/// `POST /alexa/skills`: adds (or replaces) a simulated skill.
pub(crate) async fn create_skill_form(
    _: SimulatorUser,
    req: HttpRequest,
    state: web::Data<SimulatorState>,
    form: web::Form<SkillForm>,
) -> Result<HttpResponse, SimulatorPageError> {
    check_csrf(&req, form.csrf_token.as_deref())?;
    let saved = match form.spec() {
        Ok(spec) => skills::save(&state, &form.key, &spec).await,
        Err(e) => Err(e),
    };
    match saved {
        Ok(_) => Ok(redirect(StatusCode::SEE_OTHER, "/alexa#skills")),
        Err(AlexaError::BadRequest(msg)) => {
            render_home(&req, &state, StatusCode::BAD_REQUEST, Some(&msg)).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub(crate) struct PlainForm {
    csrf_token: Option<String>,
}

/// `POST /alexa/skills/{key}/delete`
pub(crate) async fn delete_skill_form(
    _: SimulatorUser,
    req: HttpRequest,
    state: web::Data<SimulatorState>,
    key: web::Path<String>,
    form: web::Form<PlainForm>,
) -> Result<HttpResponse, SimulatorPageError> {
    check_csrf(&req, form.csrf_token.as_deref())?;
    skills::delete(&state, &key).await?;
    Ok(redirect(StatusCode::SEE_OTHER, "/alexa#skills"))
}
