//! Who may use the admin API and pages: the one rule of `web::access`
//! (the admin password; without it loopback only, or off when the public URL
//! is not on loopback), and for the API's state-changing calls the JSON-call
//! rule of `web::csrf` (JSON content type, no cross-site `Origin` or
//! `Sec-Fetch-Site`).

use super::error::AdminError;
use crate::web::access::{self, Denied};
use crate::web::csrf::{json_call, CallRejection};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;

/// Proof that the request may use the admin API.
pub struct Admin;

impl FromRequest for Admin {
    type Error = AdminError;
    type Future = LocalBoxFuture<'static, Result<Self, AdminError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let access = access::of(&req)
                .ok_or_else(|| AdminError::Internal("access rule missing".into()))?;
            let with_password = access.admit(&req).await?;
            json_call(&req, access, with_password)?;
            Ok(Admin)
        })
    }
}

/// The toolbox rule alone (the pages add their form rule).
pub(super) async fn check(req: &HttpRequest) -> Result<Admin, AdminError> {
    let access =
        access::of(req).ok_or_else(|| AdminError::Internal("access rule missing".into()))?;
    access.admit(req).await?;
    Ok(Admin)
}

impl From<Denied> for AdminError {
    fn from(d: Denied) -> Self {
        match d {
            Denied::Off => AdminError::NotFound(d.to_string()),
            Denied::LoopbackOnly => AdminError::Forbidden(d.to_string()),
            Denied::PasswordRequired | Denied::WrongPassword => {
                AdminError::Unauthorized(d.to_string())
            }
            Denied::Throttled(wait) => AdminError::TooManyAttempts(wait),
            Denied::Unavailable(e) => AdminError::Unavailable(e),
        }
    }
}

impl From<CallRejection> for AdminError {
    fn from(r: CallRejection) -> Self {
        match r {
            CallRejection::CrossSite(_) => AdminError::Forbidden(r.to_string()),
            CallRejection::NotJson => AdminError::BadRequest(r.to_string()),
        }
    }
}
