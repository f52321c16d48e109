//! The login page and `POST /login`: argon2id passwords, the signed CSRF
//! cookie before a session exists, throttling, personas for test accounts,
//! and the scripted login failures of the toolbox.

use super::error::PageError;
use super::session;
use crate::domain::Username;
use crate::oauth::{password, throttle};
use crate::provider::ProviderState;
use crate::web::pages::{html, redirect};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    client_name: Option<&'a str>,
    error: Option<&'a str>,
    csrf_token: &'a str,
    return_to: &'a str,
    username: &'a str,
    demo_hint: String,
    personas: Vec<Persona>,
}

/// A seeded test user offered on the login page with a one-click login.
struct Persona {
    label: String,
    username: String,
    password: String,
}

/// The seeded users with a persona label (the demo ones exist only with
/// the well-known demo password; config-declared ones are an explicit opt-in).
fn personas(state: &ProviderState) -> Vec<Persona> {
    state
        .settings
        .seeded_users()
        .into_iter()
        .filter_map(|u| {
            Some(Persona {
                label: u.persona?,
                username: u.username,
                password: u.password,
            })
        })
        .collect()
}

fn demo_hint(state: &ProviderState) -> String {
    if state.settings.demo_seed && state.settings.demo_password == crate::config::DEMO_PASSWORD {
        format!(
            "Demo account: user name “{}”, password “{}”.",
            state.settings.demo_username,
            crate::config::DEMO_PASSWORD
        )
    } else {
        String::new()
    }
}

/// Renders the login page with the form's CSRF token, setting the signed
/// CSRF cookie if one was just issued.
pub(crate) fn login_page(
    state: &ProviderState,
    csrf_token: &str,
    cookie: Option<actix_web::cookie::Cookie<'static>>,
    client_name: Option<&str>,
    return_to: &str,
    error: Option<&str>,
    username: &str,
) -> HttpResponse {
    let page = LoginPage {
        client_name,
        error,
        csrf_token,
        return_to,
        username,
        demo_hint: demo_hint(state),
        personas: personas(state),
    };
    let mut res = html(StatusCode::OK, &page);
    if let Some(c) = cookie {
        let _ = res.add_cookie(&c);
    }
    res
}

#[derive(Deserialize)]
pub struct LoginForm {
    csrf_token: Option<String>,
    return_to: Option<String>,
    username: Option<String>,
    password: Option<String>,
}

/// Only a path of this site may be returned to after login: it starts with
/// exactly one `/` and has no control character, whitespace or backslash
/// (browsers drop tabs and newlines and read `\` as `/`, so `/\t/evil` and
/// `/\evil` would leave the site). Absent: the Linked apps page.
fn safe_return_to(r: Option<&str>) -> Result<&str, PageError> {
    match r {
        None | Some("") => Ok("/account/apps"),
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && !p
                    .chars()
                    .any(|c| c.is_control() || c.is_whitespace() || c == '\\') =>
        {
            Ok(p)
        }
        Some(_) => Err(PageError::BadRequest(
            "The login form's return address is not a path of this site.".into(),
        )),
    }
}

/// `POST /login`
pub async fn login(
    req: HttpRequest,
    state: web::Data<ProviderState>,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, PageError> {
    crate::inspector::note(&req, |n| {
        n.form = [
            ("csrf_token", &form.csrf_token),
            ("return_to", &form.return_to),
            ("username", &form.username),
            ("password", &form.password),
        ]
        .into_iter()
        .filter_map(|(k, v)| Some((k.to_owned(), v.clone()?)))
        .collect();
        n.user = form
            .username
            .as_deref()
            .map(|u| u.trim().to_ascii_lowercase());
    });
    let current = session::current(&req, &state).await?;
    session::check_login_csrf(&req, &state, current.as_ref(), form.csrf_token.as_deref())?;
    let csrf = form.csrf_token.as_deref().unwrap_or_default();
    let return_to = safe_return_to(form.return_to.as_deref())?;
    let name = form.username.as_deref().unwrap_or("").trim();
    let attempt = throttle::Attempt::login(
        &name.to_ascii_lowercase(),
        crate::web::client::client_ip(&req, state.settings.trust_forwarded_headers),
    );
    let throttled = |wait: i64| {
        tracing::warn!(event = "login_throttled", "too many failed logins");
        let minutes = (wait + 59) / 60;
        let message = format!(
            "Too many failed attempts. For your security, try again in {minutes} minute{}.",
            if minutes == 1 { "" } else { "s" }
        );
        crate::inspector::note(&req, |n| {
            n.outcome = Some("login_throttled");
            n.error = Some(message.clone());
        });
        let mut res = login_page(&state, csrf, None, None, return_to, Some(&message), name);
        *res.status_mut() = StatusCode::TOO_MANY_REQUESTS;
        res.headers_mut().insert(
            actix_web::http::header::RETRY_AFTER,
            actix_web::http::header::HeaderValue::from(wait),
        );
        res
    };
    // Cheap check first: a blocked attempt costs no password hashing.
    if let Some(wait) = attempt.blocked_for(&state.store, &state.clock).await? {
        return Ok(throttled(wait));
    }
    let user = match Username::parse(&name.to_ascii_lowercase()) {
        Ok(u) => state.store.user(&u).await?,
        Err(_) => None,
    };
    let ok = password::verify_off_thread(
        user.as_ref().map(|u| u.password_hash.clone()),
        form.password.clone().unwrap_or_default(),
    )
    .await;
    let ok = ok && !state.faults.login_fails(return_to, name).await?;
    let Some(user) = user.filter(|_| ok) else {
        tracing::info!(event = "login_failed", "login failed");
        if let Some(wait) = attempt.failed(&state.store, &state.clock).await? {
            return Ok(throttled(wait));
        }
        crate::inspector::note(&req, |n| {
            n.outcome = Some("login_failed");
            n.error = Some("Incorrect user name or password.".into());
        });
        return Ok(login_page(
            &state,
            csrf,
            None,
            None,
            return_to,
            Some("Incorrect user name or password."),
            name,
        ));
    };
    if let Some(wait) = attempt.succeeded(&state.store, &state.clock).await? {
        return Ok(throttled(wait));
    }
    if user.locked_at.is_some() {
        tracing::info!(event = "login_locked", user = %user.id, "login to a locked account");
        crate::inspector::note(&req, |n| {
            n.outcome = Some("login_locked");
            n.error = Some("This account is locked.".into());
        });
        let mut res = login_page(
            &state,
            csrf,
            None,
            None,
            return_to,
            Some("This account is locked. Contact support to unlock it."),
            name,
        );
        *res.status_mut() = StatusCode::FORBIDDEN;
        return Ok(res);
    }
    // A new session id at every login defeats session fixation.
    if let Some(previous) = &current {
        session::end(&state, previous).await?;
    }
    let (_, cookie) = session::start(&state, user.id.clone()).await?;
    tracing::info!(event = "login", user = %user.id, "user logged in");
    crate::inspector::note(&req, |n| n.outcome = Some("logged_in"));
    let mut res = redirect(StatusCode::SEE_OTHER, return_to);
    let _ = res.add_cookie(&cookie);
    let _ = res.add_cookie(&session::clear_anonymous_csrf(&state));
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_to_stays_on_this_site() {
        assert_eq!(
            safe_return_to(Some("/authorize?x=1")).unwrap(),
            "/authorize?x=1"
        );
        assert_eq!(safe_return_to(None).unwrap(), "/account/apps");
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/a\r\nSet-Cookie: x=1",
            "/a b",
            "evil",
        ] {
            assert!(safe_return_to(Some(bad)).is_err(), "{bad:?}");
        }
    }
}
