//! Pages for a logged-in person: the home page with the values to paste into
//! the Alexa console, and "Linked apps" with unlink buttons.

use super::error::PageError;
use super::login::login_page;
use super::session;
use crate::config::DEMO_SCOPES;
use crate::provider::ProviderState;
use crate::web::pages::{html, redirect};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    authorization_uri: String,
    token_uri: String,
    client_id: String,
    scopes: &'static str,
    try_url: String,
}

/// The URL that starts the demo client's linking flow in a browser.
pub fn try_url(s: &crate::config::Settings) -> String {
    let redirect_uri = format!("{}/api/skill/link/{}", s.public_url(), s.alexa_vendor_id);
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", &s.demo_client_id)
        .append_pair("redirect_uri", &redirect_uri)
        .append_pair("scope", DEMO_SCOPES)
        .append_pair("state", "try-it")
        .finish();
    format!("{}/authorize?{query}", s.public_url())
}

/// `GET /`
pub async fn home(state: web::Data<ProviderState>) -> HttpResponse {
    let base = state.settings.public_url();
    html(
        StatusCode::OK,
        &HomePage {
            authorization_uri: format!("{base}/authorize"),
            token_uri: format!("{base}/api/token"),
            client_id: state.settings.demo_client_id.clone(),
            scopes: DEMO_SCOPES,
            try_url: try_url(&state.settings),
        },
    )
}

#[derive(Template)]
#[template(path = "linked.html")]
struct LinkedPage<'a> {
    username: &'a str,
    apps: Vec<LinkedRow>,
    csrf_token: &'a str,
    notice: Option<&'a str>,
}

struct LinkedRow {
    grant_id: String,
    client_id: String,
    client_name: String,
    scopes: String,
    linked_at: String,
}

/// `GET /account/apps`
pub async fn linked_apps(
    req: HttpRequest,
    state: web::Data<ProviderState>,
) -> Result<HttpResponse, PageError> {
    let session = session::current(&req, &state).await?;
    let Some((session, user)) = session.and_then(|s| s.user_id.clone().map(|u| (s, u))) else {
        let csrf = session::anonymous_csrf(&req, &state);
        return Ok(login_page(
            &state,
            &csrf.token,
            csrf.cookie,
            None,
            "/account/apps",
            None,
            "",
        ));
    };
    let apps = state
        .store
        .linked_apps(&user)
        .await?
        .into_iter()
        .map(|a| LinkedRow {
            grant_id: a.grant_id,
            client_id: a.client_id,
            client_name: a.client_name,
            scopes: a.scopes,
            linked_at: crate::clock::rfc3339(a.linked_at),
        })
        .collect();
    let notice = req
        .query_string()
        .contains("unlinked=1")
        .then_some("The app was unlinked.");
    Ok(html(
        StatusCode::OK,
        &LinkedPage {
            username: user.as_str(),
            apps,
            csrf_token: &session.csrf_token,
            notice,
        },
    ))
}

#[derive(Deserialize)]
pub struct UnlinkForm {
    csrf_token: Option<String>,
    grant_id: Option<String>,
}

/// `POST /account/apps/unlink`: revokes the grant and forgets the consent.
pub async fn unlink(
    req: HttpRequest,
    state: web::Data<ProviderState>,
    form: web::Form<UnlinkForm>,
) -> Result<HttpResponse, PageError> {
    let session = session::current(&req, &state).await?;
    session::check_csrf(session.as_ref(), form.csrf_token.as_deref())?;
    let user = session
        .and_then(|s| s.user_id)
        .ok_or_else(|| PageError::BadRequest("You are not logged in.".into()))?;
    let grant_id = form.grant_id.as_deref().unwrap_or("");
    let grant = state
        .store
        .grant(grant_id)
        .await?
        .filter(|g| g.user_id == user)
        .ok_or_else(|| PageError::BadRequest("No such linked app.".into()))?;
    state
        .tokens
        .revocations
        .revoke_grant(
            &state.store,
            &grant.id,
            "unlinked_by_user",
            state.clock.now(),
        )
        .await?;
    state.store.delete_consent(&user, &grant.client_id).await?;
    tracing::info!(event = "unlinked", grant = %grant.id, client = %grant.client_id, "user unlinked an app");
    Ok(redirect(StatusCode::SEE_OTHER, "/account/apps?unlinked=1"))
}
