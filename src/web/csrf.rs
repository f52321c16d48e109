//! The one rule for state-changing HTML forms (admin pages, the inspector's
//! clear button, the simulator's pages): a double-submit token in a
//! `SameSite=Strict` cookie, and the browser's own word on where the form
//! came from.
//!
//! - `Sec-Fetch-Site`, when sent, must be `same-origin` (or `none`: a
//!   navigation the user started, which no other site can forge);
//! - `Origin`, when sent and not `null`, must be an origin this server is
//!   reached at (`web::access`: the allowed hosts on its ports; never the
//!   origin the request's own `Host` names, which a rebound DNS name fakes).
//!   `null` is what browsers send under our `Referrer-Policy: no-referrer`
//!   (and from sandboxed frames): it says nothing, so the token decides;
//! - the form's token must equal the cookie's (a page of another site can
//!   neither read the cookie nor make the browser send it).

use super::access::Access;
use crate::domain::Secret;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::Method;
use actix_web::HttpRequest;
use subtle::ConstantTimeEq;

/// A form's CSRF cookie: its name and the path it is sent to.
#[derive(Debug, Clone, Copy)]
pub struct FormGuard {
    pub cookie: &'static str,
    pub path: &'static str,
}

/// Why a form was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CsrfRejection {
    /// The browser says the form came from another site.
    #[error("the form came from {0}, not from this server")]
    CrossSite(String),
    /// No token, or not this browser's.
    #[error("the form has expired or was not sent by this site")]
    Token,
}

impl FormGuard {
    /// This browser's token, and the cookie to set when it has none yet.
    /// `secure`: the server is reached over https.
    pub fn token(&self, req: &HttpRequest, secure: bool) -> (String, Option<Cookie<'static>>) {
        match req.cookie(self.cookie) {
            Some(c) if (32..=64).contains(&c.value().len()) => (c.value().to_owned(), None),
            _ => {
                let token = Secret::generate(24).expose().to_owned();
                let cookie = Cookie::build(self.cookie, token.clone())
                    .path(self.path)
                    .http_only(true)
                    .secure(secure)
                    .same_site(SameSite::Strict)
                    .finish();
                (token, Some(cookie))
            }
        }
    }

    /// Applies the rule of the module doc. `access` says which origins
    /// this server is reached at (never the request's own `Host`).
    pub fn check(
        &self,
        req: &HttpRequest,
        presented: Option<&str>,
        access: &Access,
    ) -> Result<(), CsrfRejection> {
        let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
        if let Some(site) = header("sec-fetch-site") {
            if !matches!(site, "same-origin" | "none") {
                return Err(CsrfRejection::CrossSite(format!("a {site} page")));
            }
        }
        if let Some(origin) = header("origin").filter(|o| *o != "null") {
            if !access.origin_allowed(origin) {
                return Err(CsrfRejection::CrossSite(origin.to_owned()));
            }
        }
        match (req.cookie(self.cookie), presented) {
            (Some(c), Some(p)) if bool::from(c.value().as_bytes().ct_eq(p.as_bytes())) => Ok(()),
            _ => Err(CsrfRejection::Token),
        }
    }
}

/// Why a JSON API call was refused (`json_call`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallRejection {
    /// The browser says the call came from another site.
    #[error("cross-site calls are refused: the request came from {0}")]
    CrossSite(String),
    /// A state-changing POST without `Content-Type: application/json`.
    #[error("send Content-Type: application/json (a body of {{}} is fine)")]
    NotJson,
}

/// The rule for state-changing JSON API calls (the admin API, the
/// simulator's API): a web page can make the browser send a POST with a
/// `text/plain` body and no preflight, so
///
/// - `Sec-Fetch-Site`, when sent, must be `same-origin` or `none`, and an
///   `Origin`, when sent, must be one this server is reached at (`null`
///   included: API clients send no `Origin`);
/// - a POST must say `Content-Type: application/json` (which no page can
///   send without a CORS preflight, which this server never answers), even
///   without a body, unless it has no body and carries the admin password
///   (`password_checked`: a header no page can add either).
///
/// Reads (`GET`, `HEAD`) pass.
pub fn json_call(
    req: &HttpRequest,
    access: &Access,
    password_checked: bool,
) -> Result<(), CallRejection> {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = header("sec-fetch-site") {
        if !matches!(site, "same-origin" | "none") {
            return Err(CallRejection::CrossSite(format!("a {site} page")));
        }
    }
    if let Some(origin) = req.headers().get("origin") {
        let origin = origin.to_str().unwrap_or("(unreadable)");
        if !access.origin_allowed(origin) {
            return Err(CallRejection::CrossSite(origin.to_owned()));
        }
    }
    if *req.method() == Method::DELETE {
        // Not a method a page can send without a preflight.
        return Ok(());
    }
    let is_json = header("content-type").is_some_and(|ct| {
        let media = ct.split(';').next().unwrap_or("").trim();
        media.eq_ignore_ascii_case("application/json")
    });
    let bodiless = !req.headers().contains_key("transfer-encoding")
        && header("content-length").is_none_or(|n| n.trim() == "0");
    if is_json || bodiless && password_checked {
        Ok(())
    } else {
        Err(CallRejection::NotJson)
    }
}
