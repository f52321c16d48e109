//! Browser sessions: a random id in an HttpOnly, SameSite=Lax cookie; only its
//! SHA-256 is stored. Anonymous before login (to carry the CSRF token of the
//! login form), replaced by a new id at login.

use super::error::PageError;
use crate::domain::{Secret, Username};
use crate::state::AppState;
use crate::store::{digest, Session, StoreError};
use actix_web::cookie::{Cookie, SameSite};
use actix_web::HttpRequest;
use subtle::ConstantTimeEq;

const PLAIN_NAME: &str = "mocklink_session";
/// Under https the `__Host-` prefix pins the cookie to this exact origin.
const SECURE_NAME: &str = "__Host-mocklink_session";

fn cookie_name(state: &AppState) -> &'static str {
    if is_https(state) {
        SECURE_NAME
    } else {
        PLAIN_NAME
    }
}

fn is_https(state: &AppState) -> bool {
    state.settings.public_url().starts_with("https://")
}

/// The live session of this request, if it has one.
pub async fn current(req: &HttpRequest, state: &AppState) -> Result<Option<Session>, StoreError> {
    match req.cookie(cookie_name(state)) {
        Some(c) if !c.value().is_empty() && c.value().len() <= 128 => {
            state
                .store
                .session(&digest(c.value()), state.clock.now())
                .await
        }
        _ => Ok(None),
    }
}

/// Creates a session (anonymous when `user` is `None`) and its cookie.
pub async fn start(
    state: &AppState,
    user: Option<Username>,
) -> Result<(Session, Cookie<'static>), StoreError> {
    let id = Secret::generate(32);
    let now = state.clock.now();
    let session = Session {
        id_hash: digest(id.expose()),
        user_id: user,
        csrf_token: Secret::generate(24).expose().to_owned(),
        expires_at: now + state.settings.session_ttl_seconds,
    };
    state.store.insert_session(&session, now).await?;
    let cookie = Cookie::build(cookie_name(state), id.expose().to_owned())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(is_https(state))
        .finish();
    Ok((session, cookie))
}

/// The existing session, or a new anonymous one (with the cookie to set).
pub async fn current_or_start(
    req: &HttpRequest,
    state: &AppState,
) -> Result<(Session, Option<Cookie<'static>>), StoreError> {
    match current(req, state).await? {
        Some(s) => Ok((s, None)),
        None => {
            let (s, c) = start(state, None).await?;
            Ok((s, Some(c)))
        }
    }
}

/// Ends a session and returns the cookie that clears it in the browser.
pub async fn end(state: &AppState, session: &Session) -> Result<Cookie<'static>, StoreError> {
    state
        .store
        .delete_session(&session.id_hash, state.clock.now())
        .await?;
    let mut cookie = Cookie::build(cookie_name(state), "")
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(is_https(state))
        .finish();
    cookie.make_removal();
    Ok(cookie)
}

/// The form's CSRF token must equal the session's (RFC 6749 §10.12).
pub fn check_csrf(session: Option<&Session>, presented: Option<&str>) -> Result<(), PageError> {
    match (session, presented) {
        (Some(s), Some(p)) if bool::from(s.csrf_token.as_bytes().ct_eq(p.as_bytes())) => Ok(()),
        _ => Err(PageError::Csrf),
    }
}
