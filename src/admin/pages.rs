//! The admin pages under `/admin`: what a skill developer clicks instead of
//! calling the JSON API. Same guard as the API (`guard`): the admin password
//! as HTTP Basic `admin:<password>` (a 401 makes the browser prompt), or
//! loopback callers only while no password is set.
//!
//! Every action is a plain form POST (no JavaScript needed), refused with 403
//! unless it comes from these pages: the `Origin`/`Sec-Fetch-Site` headers,
//! when the browser sends them, must say same-origin, and the form must carry
//! the token of a `SameSite=Strict` cookie (double submit) that another site
//! can neither read nor make the browser send. Browsers send Basic
//! credentials with cross-site POSTs on their own, so both checks matter.
//!
//! Handlers are thin: the work is done by the functions the JSON API uses
//! (`admin::set_scenario`, `admin::clock`, `provider::keys::rotate`…).

use super::clock::{self, MAX_ADVANCE};
use super::error::AdminError;
use super::guard;
use super::scenarios::{Kind, Preset, ScenarioSpec, GRANT_TYPES};
use crate::domain::{ClientId, Secret};
use crate::provider::error::{error_page, html, redirect};
use crate::provider::keys::{self, SigningAlg};
use crate::state::AppState;
use crate::store::{Client, StoreError};
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::http::{header, StatusCode};
use actix_web::{web, FromRequest, HttpRequest, HttpResponse, ResponseError};
use askama::Template;
use futures_util::future::{ready, Ready};
use std::collections::BTreeMap;
use subtle::ConstantTimeEq;

const CSRF_COOKIE: &str = "mocklink_admin_csrf";
/// The admin pages load one script of ours (the copy buttons); nothing else.
const ADMIN_CSP: &str =
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; \
                         base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
const ADMIN_JS: &str = include_str!("../../assets/admin.js");

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin", web::get().to(overview))
        .route("/admin/assets/admin.js", web::get().to(script))
        .route("/admin/users", web::get().to(users))
        .route("/admin/clients", web::get().to(clients))
        .route("/admin/grants", web::get().to(grants))
        .route("/admin/grants/revoke", web::post().to(revoke_grant))
        .route("/admin/grants/revoke-user", web::post().to(revoke_user))
        .route("/admin/scenarios", web::get().to(scenarios))
        .route("/admin/scenarios", web::post().to(add_scenario))
        .route("/admin/scenarios/preset", web::post().to(preset))
        .route("/admin/scenarios/clear", web::post().to(clear_scenario))
        .route("/admin/scenarios/clear-all", web::post().to(clear_all))
        .route("/admin/keys", web::get().to(keys_page))
        .route("/admin/keys/rotate", web::post().to(rotate_key))
        .route("/admin/clock", web::get().to(clock_page))
        .route("/admin/clock/advance", web::post().to(advance_clock))
        .route("/admin/clock/reset", web::post().to(reset_clock));
}

// ---------- guard, errors, CSRF ----------

/// Why an admin page or action was refused, shown as the readable error page.
#[derive(Debug, thiserror::Error)]
pub enum PageFailure {
    #[error(transparent)]
    Admin(#[from] AdminError),
    #[error("This form has expired or was not sent by this page. Go back, reload the page and try again.")]
    Csrf,
    #[error("This form was sent from another site. Admin actions are accepted only from the admin pages themselves.")]
    CrossSite,
}

impl From<StoreError> for PageFailure {
    fn from(e: StoreError) -> Self {
        Self::Admin(e.into())
    }
}

impl PageFailure {
    fn bad(msg: impl Into<String>) -> Self {
        Self::Admin(AdminError::bad(msg))
    }
}

impl ResponseError for PageFailure {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Admin(e) => e.status_code(),
            Self::Csrf | Self::CrossSite => StatusCode::FORBIDDEN,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let title = match self {
            Self::Admin(AdminError::Unauthorized(_)) => "Admin password required",
            Self::Admin(AdminError::Forbidden(_)) | Self::CrossSite => "Forbidden",
            Self::Admin(AdminError::BadRequest(_)) => "Bad request",
            Self::Admin(AdminError::NotFound(_)) => "Not found",
            Self::Admin(AdminError::Unavailable(e)) => {
                tracing::error!(error = %e, "database error on an admin page");
                "Temporarily unavailable"
            }
            Self::Admin(AdminError::Internal(e)) => {
                tracing::error!(error = %e, "internal error on an admin page");
                "Error"
            }
            Self::Csrf => "Form expired",
        };
        let message = match self {
            Self::Admin(AdminError::Unauthorized(_)) => {
                "Log in as user admin with the admin password (admin_password).".to_owned()
            }
            Self::Admin(AdminError::Internal(_)) => "Something went wrong on our side.".to_owned(),
            other => other.to_string(),
        };
        let mut res = error_page(self.status_code(), title, &message);
        if let Self::Admin(AdminError::Unauthorized(_)) = self {
            // The browser prompts for the password on this challenge.
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Basic realm=\"mocklink admin\""),
            );
        }
        res
    }
}

/// Proof that the request may see the admin pages (same rule as the API).
pub struct AdminPage;

impl FromRequest for AdminPage {
    type Error = PageFailure;
    type Future = Ready<Result<Self, PageFailure>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(guard::check(req).map(|_| AdminPage).map_err(Into::into))
    }
}

/// This browser's CSRF token (cookie), and the cookie to set if it is new.
fn csrf(req: &HttpRequest) -> (String, Option<Cookie<'static>>) {
    match req.cookie(CSRF_COOKIE) {
        Some(c) if (32..=64).contains(&c.value().len()) => (c.value().to_owned(), None),
        _ => {
            let token = Secret::generate(24).expose().to_owned();
            let cookie = Cookie::build(CSRF_COOKIE, token.clone())
                .path("/admin")
                .http_only(true)
                .same_site(SameSite::Strict)
                .finish();
            (token, Some(cookie))
        }
    }
}

/// The origin this server is reached at: the public URL's, or the one the
/// request itself names (a tunnel or proxy in front).
fn same_origin(req: &HttpRequest, state: &AppState, origin: &str) -> bool {
    let public = url::Url::parse(&state.settings.public_url())
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default();
    let info = req.connection_info();
    let requested = format!("{}://{}", info.scheme(), info.host());
    origin == public || origin == requested
}

/// Refuses a POST that did not come from these pages (see the module doc).
fn check_post(
    req: &HttpRequest,
    state: &AppState,
    presented: Option<&str>,
) -> Result<(), PageFailure> {
    let header_str = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = header_str("sec-fetch-site") {
        if !matches!(site, "same-origin" | "none") {
            return Err(PageFailure::CrossSite);
        }
    }
    // "null" is what browsers send under our `Referrer-Policy: no-referrer`
    // (and from sandboxed frames): it says nothing, so the token decides.
    if let Some(origin) = header_str("origin").filter(|o| *o != "null") {
        if !same_origin(req, state, origin) {
            return Err(PageFailure::CrossSite);
        }
    }
    match (req.cookie(CSRF_COOKIE), presented) {
        (Some(c), Some(p)) if bool::from(c.value().as_bytes().ct_eq(p.as_bytes())) => Ok(()),
        _ => Err(PageFailure::Csrf),
    }
}

// ---------- layout ----------

/// What every admin page shows around its content.
pub(super) struct Layout {
    /// The current nav entry.
    pub(super) nav: &'static str,
    pub(super) csrf_token: String,
    pub(super) notice: Option<&'static str>,
    /// "global +3600 s · alexa-skill +7200 s" while any clock is shifted.
    pub(super) banner: Option<String>,
}

impl Layout {
    pub(super) fn nav_items(&self) -> &'static [(&'static str, &'static str, &'static str)] {
        NAV
    }

    pub(super) fn is_current(&self, key: &str) -> bool {
        self.nav == key
    }

    /// This page's path (where the banner's reset button comes back to).
    pub(super) fn path(&self) -> &'static str {
        NAV.iter()
            .find(|(key, _, _)| *key == self.nav)
            .map_or("/admin", |(_, path, _)| path)
    }
}

/// (key, path, label) of each nav entry.
const NAV: &[(&str, &str, &str)] = &[
    ("overview", "/admin", "Overview"),
    ("users", "/admin/users", "Users"),
    ("clients", "/admin/clients", "Clients"),
    ("grants", "/admin/grants", "Grants"),
    ("scenarios", "/admin/scenarios", "Scenarios"),
    ("inspector", "/admin/inspector", "Inspector"),
    ("keys", "/admin/keys", "Keys"),
    ("clock", "/admin/clock", "Clock"),
];

/// The message for `?done=…` after an action (a fixed set: no text from the URL).
fn notice(req: &HttpRequest) -> Option<&'static str> {
    let done = query(req, "done")?;
    Some(match done.as_str() {
        "revoked" => "Grant revoked: its refresh and access tokens no longer work.",
        "revoked-user" => "Every grant of the user revoked.",
        "scenario-added" => "Scenario set.",
        "preset-unable-to-link" => {
            "Set: the next code exchange of that client fails with invalid_grant, so Alexa says it was unable to link. Link now, then see why on the Inspector page."
        }
        "preset-refresh-fails" => {
            "Set: the next refresh of that client fails with invalid_grant, so Alexa drops the tokens and the user must relink. See it on the Inspector page."
        }
        "scenario-cleared" => "Scenario cleared.",
        "scenarios-cleared" => "Every scenario cleared.",
        "key-rotated" => {
            "A new signing key signs from now on; the older keys keep verifying their tokens."
        }
        "clock-advanced" => "Virtual clock advanced.",
        "clock-reset" => "Virtual clock reset.",
        _ => return None,
    })
}

fn query(req: &HttpRequest, name: &str) -> Option<String> {
    form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn banner(state: &AppState) -> Option<String> {
    let view = clock::view(state);
    if !view.shifted {
        return None;
    }
    let mut parts = Vec::new();
    if view.offset_seconds != 0 {
        parts.push(format!("global +{}", duration(view.offset_seconds)));
    }
    for c in &view.clients {
        parts.push(format!("{} +{}", c.client_id, duration(c.offset_seconds)));
    }
    Some(parts.join(" · "))
}

/// 3700 → "3700 s (1 h 1 min)".
fn duration(seconds: i64) -> String {
    let (d, h, m) = (
        seconds / 86_400,
        seconds % 86_400 / 3600,
        seconds % 3600 / 60,
    );
    let human = match (d, h, m) {
        (0, 0, 0) => return format!("{seconds} s"),
        (0, 0, m) => format!("{m} min"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, h, _) => format!("{d} d {h} h"),
    };
    format!("{seconds} s ({human})")
}

pub(super) fn layout(
    req: &HttpRequest,
    state: &AppState,
    nav: &'static str,
) -> (Layout, Option<Cookie<'static>>) {
    let (csrf_token, cookie) = csrf(req);
    (
        Layout {
            nav,
            csrf_token,
            notice: notice(req),
            banner: banner(state),
        },
        cookie,
    )
}

/// A rendered admin page, with its CSP (our script allowed) and CSRF cookie.
pub(super) fn respond(page: &impl Template, cookie: Option<Cookie<'static>>) -> HttpResponse {
    let mut res = html(StatusCode::OK, page);
    res.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        header::HeaderValue::from_static(ADMIN_CSP),
    );
    if let Some(c) = cookie {
        let _ = res.add_cookie(&c);
    }
    res
}

fn done(path: &str, what: &str) -> HttpResponse {
    redirect(StatusCode::SEE_OTHER, &format!("{path}?done={what}"))
}

fn when(unix: i64) -> String {
    crate::alexa::talk_time(unix)
}

/// A form field, with empty meaning absent (as browsers send blank inputs).
fn field(form: &BTreeMap<String, String>, name: &str) -> Option<String> {
    form.get(name)
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

fn number(form: &BTreeMap<String, String>, name: &str) -> Result<Option<i64>, PageFailure> {
    field(form, name)
        .map(|v| {
            v.parse::<i64>()
                .map_err(|_| PageFailure::bad(format!("{name} must be a whole number, not '{v}'")))
        })
        .transpose()
}

type Form = web::Form<BTreeMap<String, String>>;

fn checked(req: &HttpRequest, state: &AppState, form: &Form) -> Result<(), PageFailure> {
    check_post(req, state, form.get("csrf_token").map(String::as_str))
}

/// `GET /admin/assets/admin.js`: the copy buttons.
async fn script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(ADMIN_JS)
}

// ---------- overview ----------

/// One value to paste somewhere, shown in a read-only input with a copy button.
struct CopyValue {
    id: String,
    label: String,
    value: String,
}

struct ClientChoice {
    id: String,
    name: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "admin_overview.html")]
struct OverviewPage {
    layout: Layout,
    clients: Vec<ClientChoice>,
    console: Vec<CopyValue>,
    redirect_uris: Vec<CopyValue>,
    secret_hint: String,
    counts: Vec<(&'static str, &'static str, usize)>,
}

/// The scopes Alexa should ask for with this client: the simulator's own
/// setting for the client it links as, else everything the client may hold.
fn console_scopes(state: &AppState, client: &Client) -> String {
    if client.id.as_str() == state.settings.alexa_client_id() {
        state.settings.alexa_scopes.clone()
    } else {
        client.scopes.to_string()
    }
}

fn secret_hint(state: &AppState, client: &Client) -> String {
    let s = &state.settings;
    if client.is_public() {
        "none: a public client (PKCE only); leave the secret empty".into()
    } else if s.demo_seed && client.id.as_str() == s.demo_client_id {
        if s.demo_client_secret == crate::config::DEMO_CLIENT_SECRET {
            format!("{} (the demo default)", s.demo_client_secret)
        } else {
            "the demo_client_secret of your configuration".into()
        }
    } else {
        "the secret printed when the client was created (only its SHA-256 is stored)".into()
    }
}

async fn overview(
    _: AdminPage,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageFailure> {
    let all = state.store.clients().await?;
    let wanted = query(&req, "client").unwrap_or_else(|| state.settings.alexa_client_id());
    let chosen = all
        .iter()
        .find(|c| c.id.as_str() == wanted)
        .or_else(|| all.first());
    let base = state.settings.public_url();
    let (console, redirect_uris, secret_hint) = match chosen {
        Some(c) => {
            let v = |id: &str, label: &str, value: String| CopyValue {
                id: id.into(),
                label: label.into(),
                value,
            };
            (
                vec![
                    v(
                        "console-authorization-uri",
                        "Your Web Authorization URI",
                        format!("{base}/authorize"),
                    ),
                    v(
                        "console-token-uri",
                        "Access Token URI",
                        format!("{base}/api/token"),
                    ),
                    v("console-client-id", "Your Client ID", c.id.to_string()),
                    v(
                        "console-auth-scheme",
                        "Your Authentication Scheme",
                        if c.is_public() {
                            "Credentials in request body (public client: no secret)".into()
                        } else {
                            "HTTP Basic (Recommended); Credentials in request body works too".into()
                        },
                    ),
                    v("console-scopes", "Scope", console_scopes(&state, c)),
                ],
                c.redirect_uris
                    .iter()
                    .enumerate()
                    .map(|(n, u)| {
                        v(
                            &format!("console-redirect-{}", n + 1),
                            &format!("Redirect URI {}", n + 1),
                            u.to_string(),
                        )
                    })
                    .collect(),
                secret_hint(&state, c),
            )
        }
        None => (Vec::new(), Vec::new(), String::new()),
    };
    let now = state.clock.now();
    let counts = vec![
        ("Users", "/admin/users", state.store.users().await?.len()),
        ("Clients", "/admin/clients", all.len()),
        (
            "Live grants",
            "/admin/grants",
            state.store.live_grants().await?.len(),
        ),
        (
            "Scenarios in force",
            "/admin/scenarios",
            state.store.active_scenarios(now).await?.len(),
        ),
        (
            "Signing keys",
            "/admin/keys",
            state.store.signing_keys().await?.len(),
        ),
    ];
    let client_id = chosen.map(|c| c.id.to_string());
    let (layout, cookie) = layout(&req, &state, "overview");
    Ok(respond(
        &OverviewPage {
            layout,
            clients: all
                .iter()
                .map(|c| ClientChoice {
                    id: c.id.to_string(),
                    name: c.name.clone(),
                    selected: Some(c.id.to_string()) == client_id,
                })
                .collect(),
            console,
            redirect_uris,
            secret_hint,
            counts,
        },
        cookie,
    ))
}

// ---------- users ----------

struct UserRow {
    id: String,
    display_name: String,
    country: String,
    product: String,
    persona: String,
    locked: bool,
    grants: usize,
}

#[derive(Template)]
#[template(path = "admin_users.html")]
struct UsersPage {
    layout: Layout,
    users: Vec<UserRow>,
}

async fn users(
    _: AdminPage,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageFailure> {
    let grants = state.store.live_grants().await?;
    let users = state
        .store
        .users()
        .await?
        .into_iter()
        .map(|u| UserRow {
            grants: grants.iter().filter(|g| g.user_id == u.id.as_str()).count(),
            id: u.id.to_string(),
            display_name: u.display_name,
            country: u.country,
            product: u.product,
            persona: u.persona.unwrap_or_default(),
            locked: u.locked_at.is_some(),
        })
        .collect();
    let (layout, cookie) = layout(&req, &state, "users");
    Ok(respond(&UsersPage { layout, users }, cookie))
}

// ---------- clients ----------

struct ClientView {
    id: String,
    name: String,
    public: bool,
    grant_types: String,
    refresh_policy: String,
    access_token_ttl: String,
    refresh_token_ttl: String,
    scopes: String,
    redirect_uris: Vec<CopyValue>,
    client_id_field: CopyValue,
    clock_offset: Option<String>,
}

#[derive(Template)]
#[template(path = "admin_clients.html")]
struct ClientsPage {
    layout: Layout,
    clients: Vec<ClientView>,
}

async fn clients(
    _: AdminPage,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageFailure> {
    let clients = state
        .store
        .clients()
        .await?
        .into_iter()
        .enumerate()
        .map(|(n, c)| {
            let offset = state.clock.client_offset(c.id.as_str());
            ClientView {
                client_id_field: CopyValue {
                    id: format!("client-{}-id", n + 1),
                    label: "Client ID".into(),
                    value: c.id.to_string(),
                },
                redirect_uris: c
                    .redirect_uris
                    .iter()
                    .enumerate()
                    .map(|(m, u)| CopyValue {
                        id: format!("client-{}-redirect-{}", n + 1, m + 1),
                        label: format!("Redirect URI {}", m + 1),
                        value: u.to_string(),
                    })
                    .collect(),
                grant_types: if c.is_public() {
                    "authorization_code (PKCE), refresh_token"
                } else {
                    "authorization_code, refresh_token, client_credentials"
                }
                .into(),
                refresh_policy: match c.refresh_policy {
                    crate::store::RefreshPolicy::Rotate if c.refresh_grace_seconds > 0 => format!(
                        "rotate (a retired refresh token is accepted for {} s)",
                        c.refresh_grace_seconds
                    ),
                    crate::store::RefreshPolicy::Rotate => {
                        "rotate (reusing a retired refresh token revokes the grant)".into()
                    }
                    crate::store::RefreshPolicy::Reuse => {
                        "reuse (the refresh token stays valid)".into()
                    }
                },
                access_token_ttl: duration(c.access_token_ttl),
                refresh_token_ttl: duration(c.refresh_token_ttl),
                scopes: c.scopes.to_string(),
                public: c.is_public(),
                clock_offset: (offset != 0).then(|| format!("+{}", duration(offset))),
                id: c.id.to_string(),
                name: c.name,
            }
        })
        .collect();
    let (layout, cookie) = layout(&req, &state, "clients");
    Ok(respond(&ClientsPage { layout, clients }, cookie))
}

// ---------- grants ----------

struct GrantRow {
    grant_id: String,
    user_id: String,
    client_id: String,
    client_name: String,
    scopes: String,
    linked_at: String,
    expires_at: String,
    expired: bool,
}

#[derive(Template)]
#[template(path = "admin_grants.html")]
struct GrantsPage {
    layout: Layout,
    grants: Vec<GrantRow>,
    /// Users with live grants, for "revoke all of user".
    users: Vec<(String, usize)>,
}

async fn grants(
    _: AdminPage,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageFailure> {
    let live = state.store.live_grants().await?;
    let mut users: BTreeMap<String, usize> = BTreeMap::new();
    for g in &live {
        *users.entry(g.user_id.clone()).or_default() += 1;
    }
    let grants = live
        .into_iter()
        .map(|g| GrantRow {
            expired: g.expires_at <= state.clock.now_for(&g.client_id),
            linked_at: when(g.activated_at),
            expires_at: when(g.expires_at),
            grant_id: g.grant_id,
            user_id: g.user_id,
            client_id: g.client_id,
            client_name: g.client_name,
            scopes: g.scopes,
        })
        .collect();
    let (layout, cookie) = layout(&req, &state, "grants");
    Ok(respond(
        &GrantsPage {
            layout,
            grants,
            users: users.into_iter().collect(),
        },
        cookie,
    ))
}

async fn revoke_grant(
    _: AdminPage,
    req: HttpRequest,
    state: web::Data<AppState>,
    form: Form,
) -> Result<HttpResponse, PageFailure> {
    checked(&req, &state, &form)?;
    let grant_id =
        field(&form, "grant_id").ok_or_else(|| PageFailure::bad("grant_id is required"))?;
    super::revoke_one_grant(&state, &grant_id).await?;
    Ok(done("/admin/grants", "revoked"))
}

async fn revoke_user(
    _: AdminPage,
    req: HttpRequest,
    state: web::Data<AppState>,
    form: Form,
) -> Result<HttpResponse, PageFailure> {
    checked(&req, &state, &form)?;
    let user = field(&form, "user").ok_or_else(|| PageFailure::bad("user is required"))?;
    let user = super::parse_user(&user)?;
    super::revoke_all_of_user(&state, &user).await?;
    Ok(done("/admin/grants", "revoked-user"))
}

// ---------- scenarios ----------

struct ScenarioRow {
    id: String,
    kind: String,
    client: String,
    user: String,
    details: String,
    remaining: String,
    expires: String,
}

#[derive(Template)]
#[template(path = "admin_scenarios.html")]
struct ScenariosPage {
    layout: Layout,
    scenarios: Vec<ScenarioRow>,
    clients: Vec<ClientChoice>,
    users: Vec<String>,
    kinds: Vec<&'static str>,
    grant_types: Vec<&'static str>,
    token_errors: Vec<&'static str>,
}

async fn scenarios(
    _: AdminPage,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageFailure> {
    let now = state.clock.now();
    let scenarios = state
        .store
        .active_scenarios(now)
        .await?
        .into_iter()
        .map(|s| {
            let mut details = Vec::new();
            if let Some(e) = &s.error {
                details.push(format!("error={e}"));
            }
            if let Some(v) = s.status {
                details.push(format!("status={v}"));
            }
            if let Some(v) = s.delay_ms {
                details.push(format!("delay_ms={v}"));
            }
            if let Some(v) = s.seconds {
                details.push(format!("seconds={v}"));
            }
            if let Some(v) = &s.path {
                details.push(format!("path={v}"));
            }
            if let Some(v) = &s.grant_type {
                details.push(format!("grant_type={v}"));
            }
            ScenarioRow {
                id: s.id,
                kind: s.kind,
                client: s.client_id.unwrap_or_else(|| "any".into()),
                user: s.user_id.unwrap_or_else(|| "any".into()),
                details: details.join(" "),
                remaining: s
                    .remaining
                    .map_or_else(|| "until it expires".into(), |r| r.to_string()),
                expires: s.expires_at.map_or_else(
                    || "after its uses".into(),
                    |e| format!("{} (in {} s)", when(e), e - now),
                ),
            }
        })
        .collect();
    let default_client = state.settings.alexa_client_id();
    let clients = state
        .store
        .clients()
        .await?
        .into_iter()
        .map(|c| ClientChoice {
            selected: c.id.as_str() == default_client,
            id: c.id.to_string(),
            name: c.name,
        })
        .collect();
    let users = state
        .store
        .users()
        .await?
        .into_iter()
        .map(|u| u.id.to_string())
        .collect();
    let (layout, cookie) = layout(&req, &state, "scenarios");
    Ok(respond(
        &ScenariosPage {
            layout,
            scenarios,
            clients,
            users,
            kinds: Kind::ALL.iter().map(|k| k.as_str()).collect(),
            grant_types: GRANT_TYPES.to_vec(),
            token_errors: vec![
                "invalid_grant",
                "invalid_client",
                "server_error",
                "temporarily_unavailable",
            ],
        },
        cookie,
    ))
}

/// The add form's fields as the spec the JSON API takes.
fn spec_from_form(form: &BTreeMap<String, String>) -> Result<ScenarioSpec, PageFailure> {
    let kind = field(form, "kind").ok_or_else(|| PageFailure::bad("choose a kind"))?;
    let kind = Kind::ALL
        .into_iter()
        .find(|k| k.as_str() == kind)
        .ok_or_else(|| PageFailure::bad(format!("unknown kind '{kind}'")))?;
    let status = number(form, "status")?
        .map(|s| {
            u16::try_from(s).map_err(|_| PageFailure::bad("status must be between 400 and 599"))
        })
        .transpose()?;
    Ok(ScenarioSpec {
        id: field(form, "id"),
        kind,
        client_id: field(form, "client_id"),
        user: field(form, "user"),
        error: field(form, "error"),
        status,
        delay_ms: number(form, "delay_ms")?,
        seconds: number(form, "seconds")?,
        path: field(form, "path"),
        grant_type: field(form, "grant_type"),
        count: number(form, "count")?,
        expires_in: number(form, "expires_in")?,
    })
}

async fn add_scenario(
    _: AdminPage,
    req: HttpRequest,
    state: web::Data<AppState>,
    form: Form,
) -> Result<HttpResponse, PageFailure> {
    checked(&req, &state, &form)?;
    let spec = spec_from_form(&form)?;
    super::set_scenario(&state, spec, None).await?;
    Ok(done("/admin/scenarios", "scenario-added"))
}

/// The one-click presets (see `scenarios::Preset`). "Refresh fails" can also
/// move the client's clock past its access-token lifetime, so the simulator's
/// next request refreshes (and fails) at once instead of in an hour.
async fn preset(
    _: AdminPage,
    req: HttpRequest,
    state: web::Data<AppState>,
    form: Form,
) -> Result<HttpResponse, PageFailure> {
    checked(&req, &state, &form)?;
    let preset = field(&form, "preset")
        .and_then(|p| Preset::parse(&p))
        .ok_or_else(|| PageFailure::bad("unknown preset"))?;
    let client_id = field(&form, "client_id").ok_or_else(|| PageFailure::bad("choose a client"))?;
    super::set_scenario(&state, preset.spec(&client_id), Some(preset.id_prefix())).await?;
    if preset == Preset::RefreshFails && field(&form, "advance_clock").is_some() {
        let id = ClientId::parse(&client_id).map_err(|e| PageFailure::bad(e.to_string()))?;
        if let Some(client) = state.store.client(&id).await? {
            // Past the lifetime and the verification leeway.
            clock::advance(&state, client.access_token_ttl + 60, Some(id.as_str())).await?;
        }
    }
    let what = match preset {
        Preset::UnableToLink => "preset-unable-to-link",
        Preset::RefreshFails => "preset-refresh-fails",
    };
    Ok(done("/admin/scenarios", what))
}

async fn clear_scenario(
    _: AdminPage,
    req: HttpRequest,
    state: web::Data<AppState>,
    form: Form,
) -> Result<HttpResponse, PageFailure> {
    checked(&req, &state, &form)?;
    let id = field(&form, "id").ok_or_else(|| PageFailure::bad("id is required"))?;
    super::clear_scenario(&state, &id).await?;
    Ok(done("/admin/scenarios", "scenario-cleared"))
}

async fn clear_all(
    _: AdminPage,
    req: HttpRequest,
    state: web::Data<AppState>,
    form: Form,
) -> Result<HttpResponse, PageFailure> {
    checked(&req, &state, &form)?;
    state.store.delete_all_scenarios().await?;
    state.scenarios.invalidate();
    Ok(done("/admin/scenarios", "scenarios-cleared"))
}

// ---------- keys ----------

struct KeyRow {
    kid: String,
    alg: String,
    created: String,
    active: bool,
}

#[derive(Template)]
#[template(path = "admin_keys.html")]
struct KeysPage {
    layout: Layout,
    keys: Vec<KeyRow>,
    default_alg: &'static str,
}

async fn keys_page(
    _: AdminPage,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageFailure> {
    let mut keys: Vec<KeyRow> = state
        .store
        .signing_keys()
        .await?
        .into_iter()
        .map(|k| KeyRow {
            active: k.retired_at.is_none(),
            created: when(k.created_at),
            kid: k.kid,
            alg: k.alg,
        })
        .collect();
    keys.reverse();
    let (layout, cookie) = layout(&req, &state, "keys");
    Ok(respond(
        &KeysPage {
            layout,
            keys,
            default_alg: state.settings.signing_alg.as_str(),
        },
        cookie,
    ))
}

async fn rotate_key(
    _: AdminPage,
    req: HttpRequest,
    state: web::Data<AppState>,
    form: Form,
) -> Result<HttpResponse, PageFailure> {
    checked(&req, &state, &form)?;
    let alg = match field(&form, "alg").as_deref() {
        None => state.settings.signing_alg,
        Some("RS256") => SigningAlg::Rs256,
        Some("ES256") => SigningAlg::Es256,
        Some(other) => return Err(PageFailure::bad(format!("unknown algorithm '{other}'"))),
    };
    let key = keys::rotate(&state.store, alg, state.clock.now())
        .await
        .map_err(|e| match e {
            keys::KeyError::Store(s) => PageFailure::from(s),
            other => AdminError::Internal(other.to_string()).into(),
        })?;
    // This instance signs with it at once; others at their next reload.
    state
        .keys
        .reload(&state.store)
        .await
        .map_err(|e| AdminError::Internal(e.to_string()))?;
    tracing::info!(event = "key_rotated", kid = %key.kid, "signing key rotated from the admin page");
    Ok(done("/admin/keys", "key-rotated"))
}

// ---------- clock ----------

struct ClientClockRow {
    client_id: String,
    offset: String,
    now: String,
}

#[derive(Template)]
#[template(path = "admin_clock.html")]
struct ClockPage {
    layout: Layout,
    now: String,
    real_now: String,
    global_offset: String,
    client_clocks: Vec<ClientClockRow>,
    clients: Vec<ClientChoice>,
    max_advance: i64,
}

async fn clock_page(
    _: AdminPage,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageFailure> {
    let view = clock::view(&state);
    let clients = state
        .store
        .clients()
        .await?
        .into_iter()
        .map(|c| ClientChoice {
            selected: false,
            id: c.id.to_string(),
            name: c.name,
        })
        .collect();
    let (layout, cookie) = layout(&req, &state, "clock");
    Ok(respond(
        &ClockPage {
            layout,
            now: when(view.now),
            real_now: when(view.now - state.clock.offset()),
            global_offset: duration(view.offset_seconds),
            client_clocks: view
                .clients
                .iter()
                .map(|c| ClientClockRow {
                    client_id: c.client_id.clone(),
                    offset: format!("+{}", duration(c.offset_seconds)),
                    now: when(c.now),
                })
                .collect(),
            clients,
            max_advance: MAX_ADVANCE,
        },
        cookie,
    ))
}

async fn advance_clock(
    _: AdminPage,
    req: HttpRequest,
    state: web::Data<AppState>,
    form: Form,
) -> Result<HttpResponse, PageFailure> {
    checked(&req, &state, &form)?;
    let seconds =
        number(&form, "seconds")?.ok_or_else(|| PageFailure::bad("seconds is required"))?;
    clock::advance(&state, seconds, field(&form, "client_id").as_deref()).await?;
    Ok(done("/admin/clock", "clock-advanced"))
}

/// Resets one client's clock (`client_id`), or every clock.
async fn reset_clock(
    _: AdminPage,
    req: HttpRequest,
    state: web::Data<AppState>,
    form: Form,
) -> Result<HttpResponse, PageFailure> {
    checked(&req, &state, &form)?;
    clock::reset(&state, field(&form, "client_id").as_deref()).await?;
    // Back where the button was pressed (the banner is on every page).
    let back = field(&form, "back")
        .filter(|b| NAV.iter().any(|(_, path, _)| path == b))
        .unwrap_or_else(|| "/admin/clock".into());
    Ok(done(&back, "clock-reset"))
}
