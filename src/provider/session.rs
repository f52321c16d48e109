//! Browser sessions: a random id in an HttpOnly, SameSite=Lax cookie; only its
//! SHA-256 is stored. A session exists only once someone has logged in, and
//! gets a new id at every login.
//!
//! Before login the login form still needs a CSRF token (RFC 6749 §10.12),
//! but no database row: it is bound to a signed cookie instead
//! (`<issued at>.<nonce>.<HMAC>`, HMAC-SHA256 under a server secret kept in
//! the database, so every instance and restart agrees). The form carries a
//! second HMAC of the same nonce, so the token is worthless without this
//! browser's cookie, and a cookie is worthless unless this server signed it.
//! A flood of anonymous page views therefore writes nothing.

use super::error::PageError;
use crate::domain::{ClientId, Secret, Username};
use crate::provider::ProviderState;
use crate::store::{digest, PendingCode, Session, SignedIn, Store, StoreError};
use actix_web::cookie::{Cookie, SameSite};
use actix_web::HttpRequest;
use aws_lc_rs::hmac;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use std::sync::Arc;
use subtle::ConstantTimeEq;

const PLAIN_NAME: &str = "mocklink_session";
/// Under https the `__Host-` prefix pins the cookie to this exact origin.
const SECURE_NAME: &str = "__Host-mocklink_session";
const CSRF_PLAIN_NAME: &str = "mocklink_csrf";
const CSRF_SECURE_NAME: &str = "__Host-mocklink_csrf";

fn cookie_name(state: &ProviderState) -> &'static str {
    if is_https(state) {
        SECURE_NAME
    } else {
        PLAIN_NAME
    }
}

fn csrf_cookie_name(state: &ProviderState) -> &'static str {
    if is_https(state) {
        CSRF_SECURE_NAME
    } else {
        CSRF_PLAIN_NAME
    }
}

fn is_https(state: &ProviderState) -> bool {
    state.settings.public_url().starts_with("https://")
}

/// A cookie with the attributes every cookie of ours has.
fn cookie(state: &ProviderState, name: &'static str, value: String) -> Cookie<'static> {
    Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(is_https(state))
        .finish()
}

/// The live, logged-in session of this request, if it has one.
pub async fn current(
    req: &HttpRequest,
    state: &ProviderState,
) -> Result<Option<Session>, StoreError> {
    let session = match id_hash(req, state) {
        Some(id_hash) => state.store.session(&id_hash, state.clock.now()).await?,
        None => None,
    };
    // Anonymous rows are no longer written; one left by an older version is
    // no session at all.
    Ok(session.filter(|s| s.user_id.is_some()))
}

/// The live, logged-in session of this request with its user and the
/// user's consent to `client`, in one query (`GET /authorize`).
pub async fn signed_in(
    req: &HttpRequest,
    state: &ProviderState,
    client: &ClientId,
) -> Result<Option<SignedIn>, StoreError> {
    match id_hash(req, state) {
        Some(id_hash) => {
            state
                .store
                .signed_in(&id_hash, state.clock.now(), client)
                .await
        }
        None => Ok(None),
    }
}

/// `signed_in`, and `code` stored for the user in the same write if their
/// consent covers it; whether it was (`Store::signed_in_issuing`).
pub async fn signed_in_issuing(
    req: &HttpRequest,
    state: &ProviderState,
    code: &PendingCode<'_>,
    code_now: i64,
) -> Result<(Option<SignedIn>, bool), StoreError> {
    match id_hash(req, state) {
        Some(id_hash) => {
            state
                .store
                .signed_in_issuing(&id_hash, state.clock.now(), code, code_now)
                .await
        }
        None => Ok((None, false)),
    }
}

/// The stored hash of the session cookie's id, if the request has a
/// plausible one.
fn id_hash(req: &HttpRequest, state: &ProviderState) -> Option<String> {
    req.cookie(cookie_name(state))
        .filter(|c| !c.value().is_empty() && c.value().len() <= 128)
        .map(|c| digest(c.value()))
}

/// Creates a logged-in session for `user` and its cookie.
pub async fn start(
    state: &ProviderState,
    user: Username,
) -> Result<(Session, Cookie<'static>), StoreError> {
    let id = Secret::generate(32);
    let now = state.clock.now();
    let session = Session {
        id_hash: digest(id.expose()),
        user_id: Some(user),
        csrf_token: Secret::generate(24).expose().to_owned(),
        expires_at: now + state.settings.session_ttl_seconds,
    };
    state.store.insert_session(&session, now).await?;
    Ok((
        session,
        cookie(state, cookie_name(state), id.expose().to_owned()),
    ))
}

/// Ends a session and returns the cookie that clears it in the browser.
pub async fn end(state: &ProviderState, session: &Session) -> Result<Cookie<'static>, StoreError> {
    state
        .store
        .delete_session(&session.id_hash, state.clock.now())
        .await?;
    let mut c = cookie(state, cookie_name(state), String::new());
    c.make_removal();
    Ok(c)
}

/// The form's CSRF token must equal the session's (RFC 6749 §10.12).
pub fn check_csrf(session: Option<&Session>, presented: Option<&str>) -> Result<(), PageError> {
    match (session, presented) {
        (Some(s), Some(p)) if bool::from(s.csrf_token.as_bytes().ct_eq(p.as_bytes())) => Ok(()),
        _ => Err(PageError::Csrf),
    }
}

/// The key that signs anonymous CSRF cookies. Cheap to clone.
#[derive(Clone)]
pub struct CsrfKey(Arc<hmac::Key>);

impl CsrfKey {
    /// Reads the server's CSRF secret, creating it on the first start.
    pub async fn load_or_create(store: &Store, now: i64) -> Result<Self, StoreError> {
        let fresh = || Secret::generate(32).expose().to_owned();
        let secret = store.server_secret("csrf_hmac", fresh, now).await?;
        Ok(Self(Arc::new(hmac::Key::new(
            hmac::HMAC_SHA256,
            secret.as_bytes(),
        ))))
    }

    /// HMAC of `data` for one `purpose`, so a cookie MAC is never a form token.
    fn tag(&self, purpose: &str, data: &str) -> Vec<u8> {
        let mut ctx = hmac::Context::with_key(&self.0);
        ctx.update(purpose.as_bytes());
        ctx.update(b"\0");
        ctx.update(data.as_bytes());
        ctx.sign().as_ref().to_vec()
    }
}

/// The CSRF token of an anonymous login form, and the cookie to set if this
/// browser had no valid one.
pub struct AnonymousCsrf {
    pub token: String,
    pub cookie: Option<Cookie<'static>>,
}

/// This browser's anonymous CSRF token, issuing a signed cookie if needed.
pub fn anonymous_csrf(req: &HttpRequest, state: &ProviderState) -> AnonymousCsrf {
    if let Some(payload) = signed_payload(req, state) {
        return AnonymousCsrf {
            token: form_token(state, &payload),
            cookie: None,
        };
    }
    let payload = format!("{}.{}", state.clock.now(), Secret::generate(24).expose());
    let mac = URL_SAFE_NO_PAD.encode(state.csrf_key.tag("cookie", &payload));
    AnonymousCsrf {
        token: form_token(state, &payload),
        cookie: Some(cookie(
            state,
            csrf_cookie_name(state),
            format!("{payload}.{mac}"),
        )),
    }
}

/// The login form's token must match this browser's signed cookie, or, for
/// a browser already logged in (switching users), its session's token.
pub fn check_login_csrf(
    req: &HttpRequest,
    state: &ProviderState,
    session: Option<&Session>,
    presented: Option<&str>,
) -> Result<(), PageError> {
    match (signed_payload(req, state), presented) {
        (Some(payload), Some(p))
            if bool::from(form_token(state, &payload).as_bytes().ct_eq(p.as_bytes())) =>
        {
            Ok(())
        }
        _ => check_csrf(session, presented),
    }
}

/// The cookie that clears the anonymous CSRF cookie (after login).
pub fn clear_anonymous_csrf(state: &ProviderState) -> Cookie<'static> {
    let mut c = cookie(state, csrf_cookie_name(state), String::new());
    c.make_removal();
    c
}

fn form_token(state: &ProviderState, payload: &str) -> String {
    URL_SAFE_NO_PAD.encode(state.csrf_key.tag("form", payload))
}

/// `<issued>.<nonce>` of this request's CSRF cookie, if this server signed it
/// and it is no older than a session may live.
fn signed_payload(req: &HttpRequest, state: &ProviderState) -> Option<String> {
    let c = req.cookie(csrf_cookie_name(state))?;
    let value = c.value();
    if value.len() > 200 {
        return None;
    }
    let (payload, mac) = value.rsplit_once('.')?;
    let mac = URL_SAFE_NO_PAD.decode(mac).ok()?;
    let expected = state.csrf_key.tag("cookie", payload);
    if !bool::from(expected.as_slice().ct_eq(mac.as_slice())) {
        return None;
    }
    let issued: i64 = payload.split_once('.')?.0.parse().ok()?;
    (state.clock.now() < issued.saturating_add(state.settings.session_ttl_seconds))
        .then(|| payload.to_owned())
}
