//! The one rule for state-changing HTML forms (admin pages, the inspector's
//! clear button, the simulator's pages): a double-submit token in a
//! `SameSite=Strict` cookie, and the browser's own word on where the form
//! came from.
//!
//! - `Sec-Fetch-Site`, when sent, must be `same-origin` (or `none`: a
//!   navigation the user started, which no other site can forge);
//! - `Origin`, when sent and not `null`, must be this server's origin.
//!   `null` is what browsers send under our `Referrer-Policy: no-referrer`
//!   (and from sandboxed frames): it says nothing, so the token decides;
//! - the form's token must equal the cookie's (a page of another site can
//!   neither read the cookie nor make the browser send it).

use crate::domain::Secret;
use actix_web::cookie::{Cookie, SameSite};
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

    /// Applies the rule of the module doc. `origins`: the origins this server
    /// is reached at (`scheme://host[:port]`).
    pub fn check(
        &self,
        req: &HttpRequest,
        presented: Option<&str>,
        origins: &[String],
    ) -> Result<(), CsrfRejection> {
        let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
        if let Some(site) = header("sec-fetch-site") {
            if !matches!(site, "same-origin" | "none") {
                return Err(CsrfRejection::CrossSite(format!("a {site} page")));
            }
        }
        if let Some(origin) = header("origin").filter(|o| *o != "null") {
            if !origins.iter().any(|o| o == origin) {
                return Err(CsrfRejection::CrossSite(origin.to_owned()));
            }
        }
        match (req.cookie(self.cookie), presented) {
            (Some(c), Some(p)) if bool::from(c.value().as_bytes().ct_eq(p.as_bytes())) => Ok(()),
            _ => Err(CsrfRejection::Token),
        }
    }
}

/// The origins a request may come from: the public URL's, and the one the
/// request itself names (a tunnel or proxy in front).
pub fn own_origins(req: &HttpRequest, public_url: &str) -> Vec<String> {
    let public = url::Url::parse(public_url)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default();
    let info = req.connection_info();
    vec![public, format!("{}://{}", info.scheme(), info.host())]
}
