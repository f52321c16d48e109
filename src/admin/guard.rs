//! Who may use the admin API.
//!
//! With `admin_password` set: every caller must present it, as HTTP Basic
//! `admin:<password>` or `Authorization: Bearer <password>`. Without it: only
//! loopback callers, judged by the TCP peer, or by `X-Forwarded-For`/
//! `Forwarded` only when `trust_forwarded_headers` is on (then a forwarded
//! non-loopback address is refused even though the proxy itself is local).

use super::error::AdminError;
use crate::admin::AdminState;
use crate::web::client::client_ip;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use futures_util::future::{ready, Ready};
use subtle::ConstantTimeEq;

/// Proof that the request may use the admin API.
pub struct Admin;

impl FromRequest for Admin {
    type Error = AdminError;
    type Future = Ready<Result<Self, AdminError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(check(req))
    }
}

pub(super) fn check(req: &HttpRequest) -> Result<Admin, AdminError> {
    let state = req
        .app_data::<web::Data<AdminState>>()
        .ok_or_else(|| AdminError::Internal("application state missing".into()))?;
    match &state.settings.toolbox.admin_password {
        Some(password) => {
            let presented = presented_password(req).ok_or_else(|| {
                AdminError::Unauthorized(
                    "admin password required: HTTP Basic admin:<password> or Bearer <password>"
                        .into(),
                )
            })?;
            if bool::from(presented.as_bytes().ct_eq(password.expose().as_bytes())) {
                Ok(Admin)
            } else {
                Err(AdminError::Unauthorized("wrong admin password".into()))
            }
        }
        None => match client_ip(req, state.settings.trust_forwarded_headers) {
            Some(ip) if ip.is_loopback() => Ok(Admin),
            _ => Err(AdminError::Forbidden(
                "the admin API is reachable only from loopback while admin_password is unset"
                    .into(),
            )),
        },
    }
}

fn presented_password(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = value.split_once(' ')?;
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        return Some(rest.to_owned());
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = String::from_utf8(STANDARD.decode(rest).ok()?).ok()?;
        let (user, password) = decoded.split_once(':')?;
        return (user == "admin").then(|| password.to_owned());
    }
    None
}
