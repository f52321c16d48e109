//! The admin pages under `/admin`: what a skill developer clicks instead of
//! calling the JSON API. Same rule as the API (`guard`, `web::access`): the
//! admin password as HTTP Basic `admin:<password>` (a 401 makes the browser
//! prompt), or, while no password is set, a browser on this machine only.
//!
//! Every action is a plain form POST (no JavaScript needed), refused with 403
//! unless it comes from these pages: the `Origin`/`Sec-Fetch-Site` headers,
//! when the browser sends them, must say same-origin, and the form must carry
//! the token of a `SameSite=Strict` cookie (double submit) that another site
//! can neither read nor make the browser send. Browsers send Basic
//! credentials with cross-site POSTs on their own, so both checks matter.
//!
//! Handlers are thin: the work is done by the functions the JSON API uses
//! (`admin::set_scenario`, `admin::clock`, `oauth::keys::rotate`…).
//! One file per page; this one holds what they share: the guard, the
//! errors, the CSRF rule and the layout.

use super::clock::{self, MAX_ADVANCE};
use super::error::AdminError;
use super::guard;
use crate::admin::AdminState;
use crate::domain::SigningAlg;
use crate::domain::{ClientId, ScenarioKind as Kind, ScenarioSpec};
use crate::faults::{Preset, GRANT_TYPES};
use crate::oauth::keys;
use crate::store::{Client, StoreError};
use crate::web::access;
use crate::web::csrf::{CsrfRejection, FormGuard};
use crate::web::pages::{error_page, html, redirect};
use actix_web::cookie::Cookie;
use actix_web::dev::Payload;
use actix_web::http::{header, StatusCode};
use actix_web::{web, FromRequest, HttpRequest, HttpResponse, ResponseError};
use askama::Template;
use futures_util::future::LocalBoxFuture;
use std::collections::BTreeMap;

/// The admin pages load one script of ours (the copy buttons); nothing else.
const ADMIN_CSP: &str =
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; \
                         base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
const ADMIN_JS: &str = include_str!("../../../assets/admin.js");

mod clients;
mod grants;
mod overview;
mod scenario_list;
mod signing_keys;
mod users;
mod virtual_clock;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin", web::get().to(overview::overview))
        .route("/admin/assets/admin.js", web::get().to(script))
        .route("/admin/users", web::get().to(users::users))
        .route("/admin/clients", web::get().to(clients::clients))
        .route("/admin/grants", web::get().to(grants::grants))
        .route("/admin/grants/revoke", web::post().to(grants::revoke_grant))
        .route(
            "/admin/grants/revoke-user",
            web::post().to(grants::revoke_user),
        )
        .route("/admin/scenarios", web::get().to(scenario_list::scenarios))
        .route(
            "/admin/scenarios",
            web::post().to(scenario_list::add_scenario),
        )
        .route(
            "/admin/scenarios/preset",
            web::post().to(scenario_list::preset),
        )
        .route(
            "/admin/scenarios/clear",
            web::post().to(scenario_list::clear_scenario),
        )
        .route(
            "/admin/scenarios/clear-all",
            web::post().to(scenario_list::clear_all),
        )
        .route("/admin/keys", web::get().to(signing_keys::keys_page))
        .route(
            "/admin/keys/rotate",
            web::post().to(signing_keys::rotate_key),
        )
        .route("/admin/clock", web::get().to(virtual_clock::clock_page))
        .route(
            "/admin/clock/advance",
            web::post().to(virtual_clock::advance_clock),
        )
        .route(
            "/admin/clock/reset",
            web::post().to(virtual_clock::reset_clock),
        );
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
            Self::Admin(AdminError::TooManyAttempts(_)) => "Too many attempts",
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
        if let Self::Admin(AdminError::TooManyAttempts(wait)) = self {
            res.headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(*wait));
        }
        res
    }
}

/// Proof that the request may see the admin pages (same rule as the API).
pub struct AdminPage;

impl FromRequest for AdminPage {
    type Error = PageFailure;
    type Future = LocalBoxFuture<'static, Result<Self, PageFailure>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            guard::check(&req)
                .await
                .map(|_| AdminPage)
                .map_err(Into::into)
        })
    }
}

/// The admin forms' CSRF cookie (the rule is `web::csrf`'s, shared by every form).
pub(super) const FORMS: FormGuard = FormGuard {
    cookie: "mocklink_admin_csrf",
    path: "/admin",
};

/// This browser's CSRF token, and the cookie to set if it is new.
fn csrf(req: &HttpRequest, state: &AdminState) -> (String, Option<Cookie<'static>>) {
    FORMS.token(req, access::https(req, &state.settings))
}

/// Refuses a POST that did not come from these pages (see `web::csrf`).
pub(super) fn check_post(req: &HttpRequest, presented: Option<&str>) -> Result<(), PageFailure> {
    let Some(rule) = access::of(req) else {
        return Err(PageFailure::CrossSite);
    };
    FORMS.check(req, presented, rule).map_err(|e| match e {
        CsrfRejection::CrossSite(_) => PageFailure::CrossSite,
        CsrfRejection::Token => PageFailure::Csrf,
    })
}

// ---------- layout ----------

/// One value to paste somewhere, shown in a read-only input with a copy button.
pub(super) struct CopyValue {
    id: String,
    label: String,
    value: String,
}

pub(super) struct ClientChoice {
    id: String,
    name: String,
    selected: bool,
}

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

fn banner(state: &AdminState) -> Option<String> {
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
    state: &AdminState,
    nav: &'static str,
) -> (Layout, Option<Cookie<'static>>) {
    let (csrf_token, cookie) = csrf(req, state);
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
    crate::clock::rfc3339(unix)
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

fn checked(req: &HttpRequest, form: &Form) -> Result<(), PageFailure> {
    check_post(req, form.get("csrf_token").map(String::as_str))
}

/// `GET /admin/assets/admin.js`: the copy buttons.
async fn script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(ADMIN_JS)
}
