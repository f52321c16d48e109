//! The browser side of the authorization-code flow: `GET /authorize`, the
//! login and consent pages, and the redirect back to the client.

use super::error::{AuthorizeError, PageError, RedirectError};
use super::login::login_page;
use super::params::Params;
use super::session;
use crate::domain::{ClientId, RedirectUri, Scope, Scopes, Secret, Username};

use crate::provider::ProviderState;
use crate::store::{digest, Client, NewCode, PendingCode, SignedIn};
use crate::web::pages::{html, redirect};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

/// A validated authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3).
#[derive(Debug, Clone)]
pub struct AuthorizationRequest {
    pub client: Client,
    pub redirect_uri: RedirectUri,
    pub state: Option<String>,
    pub scopes: Scopes,
    pub code_challenge: Option<String>,
    pub show_dialog: bool,
    /// The query string as received, carried through the consent form.
    pub query: String,
    /// The flow inspector's id for this request (`inspector::FLOW_PARAM`),
    /// if the query carries one.
    pub flow: Option<String>,
}

/// Validates an authorization request. Until client and redirect URI are
/// known good, every failure is a page; after that, a redirect.
pub async fn validate(
    state: &ProviderState,
    query: &str,
) -> Result<AuthorizationRequest, AuthorizeError> {
    let params =
        Params::parse(query.as_bytes()).map_err(|e| PageError::BadRequest(e.to_string()))?;
    let invalid_client = |msg: &str| AuthorizeError::Page(PageError::InvalidClient(msg.to_owned()));

    if params.is_repeated("client_id") {
        return Err(invalid_client(
            "Invalid client: client_id was sent more than once.",
        ));
    }
    let client_id = params
        .get("client_id")
        .ok_or_else(|| invalid_client("Invalid client: the request has no client_id."))?;
    let client = match ClientId::parse(client_id) {
        Ok(id) => state.store.client(&id).await?,
        Err(_) => None,
    }
    .ok_or_else(|| invalid_client("Invalid client: this client_id is not registered."))?;

    if params.is_repeated("redirect_uri") {
        return Err(invalid_client(
            "Invalid redirect URI: redirect_uri was sent more than once.",
        ));
    }
    let redirect_uri = params
        .get("redirect_uri")
        .and_then(|r| client.registered_redirect(r))
        .cloned()
        .ok_or_else(|| {
            invalid_client(
                "Invalid redirect URI: it must equal one of the client's registered redirect URIs exactly.",
            )
        })?;

    // From here on, errors go back to the client.
    let state_param = params.get("state").map(str::to_owned);
    let fail = |error: &'static str, description: &str| {
        AuthorizeError::Redirect(Box::new(RedirectError {
            redirect_uri: redirect_uri.clone(),
            state: state_param.clone(),
            error,
            description: description.to_owned(),
            issuer: state.issuer(),
        }))
    };
    if let Some(name) = params.first_repeated() {
        return Err(fail(
            "invalid_request",
            &format!("parameter '{name}' was sent more than once"),
        ));
    }
    match params.get("response_type") {
        None => return Err(fail("invalid_request", "response_type is required")),
        Some("code") => {}
        Some(_) => {
            return Err(fail(
                "unsupported_response_type",
                "only response_type=code is supported",
            ))
        }
    }
    let scopes = Scopes::parse(params.get("scope").unwrap_or(""))
        .map_err(|e| fail("invalid_scope", &e.to_string()))?;
    if !scopes.is_subset(&client.scopes) {
        return Err(fail(
            "invalid_scope",
            "the client may not request one of these scopes",
        ));
    }
    let code_challenge = match (
        params.get("code_challenge"),
        params.get("code_challenge_method"),
    ) {
        (None, None) => None,
        (Some(_), None) => {
            return Err(fail(
                "invalid_request",
                "code_challenge_method is required (S256)",
            ))
        }
        (None, Some(_)) => return Err(fail("invalid_request", "code_challenge is missing")),
        (Some(_), Some(m)) if m != "S256" => {
            return Err(fail(
                "invalid_request",
                "only code_challenge_method=S256 is supported",
            ))
        }
        (Some(c), Some(_)) if !is_pkce_value(c) => {
            return Err(fail(
                "invalid_request",
                "code_challenge must be 43 to 128 characters of [A-Za-z0-9._~-]",
            ))
        }
        (Some(c), Some(_)) => Some(c.to_owned()),
    };
    if client.is_public() && code_challenge.is_none() {
        return Err(fail(
            "invalid_request",
            "public clients must use PKCE (code_challenge)",
        ));
    }
    let show_dialog = params
        .get("show_dialog")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    Ok(AuthorizationRequest {
        client,
        redirect_uri,
        state: state_param,
        scopes,
        code_challenge,
        show_dialog,
        query: query.to_owned(),
        flow: params
            .get(crate::inspector::FLOW_PARAM)
            .filter(|f| crate::inspector::valid_flow_id(f))
            .map(str::to_owned),
    })
}

/// While the inspector records: gives the request a flow id (kept if it has
/// one), carried on in its query so the login and consent steps, and the
/// step that issues the code, are recorded under the same flow.
fn follow(req: &HttpRequest, request: &mut AuthorizationRequest) {
    if !crate::inspector::is_recording(req) {
        return;
    }
    let flow = match &request.flow {
        Some(f) => f.clone(),
        None => {
            let f = crate::inspector::new_flow_id();
            request.query = format!("{}&{}={f}", request.query, crate::inspector::FLOW_PARAM);
            request.flow = Some(f.clone());
            f
        }
    };
    let client = request.client.id.to_string();
    crate::inspector::note(req, |n| {
        n.flow = Some(flow);
        n.client_id = Some(client);
    });
}

/// RFC 7636's unreserved alphabet and length, for challenges and verifiers.
pub fn is_pkce_value(v: &str) -> bool {
    (43..=128).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

#[derive(Template)]
#[template(path = "consent.html")]
struct ConsentPage<'a> {
    client_name: &'a str,
    display_name: &'a str,
    username: &'a str,
    scopes: Vec<(&'static str, &'static str)>,
    csrf_token: &'a str,
    authorization_request: &'a str,
}

/// `GET /authorize`
pub async fn authorize(
    req: HttpRequest,
    state: web::Data<ProviderState>,
) -> Result<HttpResponse, AuthorizeError> {
    let mut request = validate(&state, req.query_string()).await?;
    follow(&req, &mut request);
    let return_to = format!("/authorize?{}", request.query);
    // Session, user and consent in one read. Unless the consent page is
    // asked for or a scripted fault may deny consent, the read also stores
    // this code if the user's consent covers the request: the answer then
    // costs one write instead of two (issue 16).
    let fresh = (!request.show_dialog
        && !state.faults.may_deny_consent(&request.client.id).await?)
        .then(|| FreshCode::new(&state, &request));
    let (signed_in, issued) = match &fresh {
        Some(code) => {
            session::signed_in_issuing(&req, &state, &code.pending(&state, &request), code.now)
                .await?
        }
        None => (
            session::signed_in(&req, &state, &request.client.id).await?,
            false,
        ),
    };
    // Not logged in, or the user was deleted meanwhile: the login page.
    let Some(SignedIn {
        session,
        user,
        consent,
    }) = signed_in
    else {
        crate::inspector::note(&req, |n| n.outcome = Some("login_page"));
        let csrf = session::anonymous_csrf(&req, &state);
        return Ok(login_page(
            &state,
            &csrf.token,
            csrf.cookie,
            Some(&request.client.name),
            &return_to,
            None,
            "",
        ));
    };
    crate::inspector::note(&req, |n| n.user = Some(user.id.to_string()));
    if let Some(code) = fresh.filter(|_| issued) {
        return Ok(code_redirect(
            &req,
            &state,
            &request,
            &user.id,
            code,
            StatusCode::FOUND,
        ));
    }
    if state
        .faults
        .consent_denied(&request.client.id, &user.id)
        .await?
    {
        crate::inspector::note(&req, |n| n.outcome = Some("consent_denied_by_scenario"));
        return Err(access_denied(&state, &request));
    }
    let remembered = consent.is_some_and(|granted| request.scopes.is_subset(&granted));
    if remembered && !request.show_dialog {
        return issue_code(&req, &state, &request, &user.id, StatusCode::FOUND).await;
    }
    crate::inspector::note(&req, |n| n.outcome = Some("consent_page"));
    let scopes: Vec<_> = request
        .scopes
        .iter()
        .map(|s: &Scope| (s.as_str(), s.description()))
        .collect();
    let page = ConsentPage {
        client_name: &request.client.name,
        display_name: &user.display_name,
        username: user.id.as_str(),
        scopes,
        csrf_token: &session.csrf_token,
        authorization_request: &request.query,
    };
    Ok(html(StatusCode::OK, &page))
}

#[derive(Deserialize)]
pub struct ConsentForm {
    csrf_token: Option<String>,
    authorization_request: Option<String>,
    decision: Option<String>,
}

/// `POST /consent`
pub async fn consent(
    req: HttpRequest,
    state: web::Data<ProviderState>,
    form: web::Form<ConsentForm>,
) -> Result<HttpResponse, AuthorizeError> {
    crate::inspector::note(&req, |n| {
        n.form = [
            ("csrf_token", &form.csrf_token),
            ("authorization_request", &form.authorization_request),
            ("decision", &form.decision),
        ]
        .into_iter()
        .filter_map(|(k, v)| Some((k.to_owned(), v.clone()?)))
        .collect();
    });
    let query = form.authorization_request.as_deref().unwrap_or("");
    let request = validate(&state, query).await?;
    let (client, flow) = (request.client.id.to_string(), request.flow.clone());
    crate::inspector::note(&req, |n| {
        n.client_id = Some(client);
        n.flow = flow;
    });
    let session = session::current(&req, &state).await?;
    session::check_csrf(session.as_ref(), form.csrf_token.as_deref())?;
    let Some(user_id) = session.and_then(|s| s.user_id) else {
        crate::inspector::note(&req, |n| n.outcome = Some("logged_out"));
        // Logged out meanwhile: back to the login page for the same request.
        return Ok(redirect(
            StatusCode::SEE_OTHER,
            &format!("/authorize?{query}"),
        ));
    };
    crate::inspector::note(&req, |n| n.user = Some(user_id.to_string()));
    match form.decision.as_deref() {
        Some("allow") => {
            let previous = state.store.consent(&user_id, &request.client.id).await?;
            let granted = previous.map_or(request.scopes.clone(), |p| p.union(&request.scopes));
            state
                .store
                .save_consent(&user_id, &request.client.id, &granted, state.clock.now())
                .await?;
            crate::inspector::note(&req, |n| n.outcome = Some("consent_granted"));
            issue_code(&req, &state, &request, &user_id, StatusCode::SEE_OTHER).await
        }
        Some("deny") => {
            crate::inspector::note(&req, |n| n.outcome = Some("consent_denied"));
            Err(access_denied(&state, &request))
        }
        _ => Err(PageError::BadRequest("The form did not say whether you agree.".into()).into()),
    }
}

fn access_denied(state: &ProviderState, request: &AuthorizationRequest) -> AuthorizeError {
    AuthorizeError::Redirect(Box::new(RedirectError {
        redirect_uri: request.redirect_uri.clone(),
        state: request.state.clone(),
        error: "access_denied",
        description: "The user denied access".into(),
        issuer: state.issuer(),
    }))
}

/// A code and its grant's id, made before the user is known.
struct FreshCode {
    code: Secret,
    code_hash: String,
    grant_id: String,
    /// The client's time (its virtual clock), in which the code and the
    /// grant live.
    now: i64,
}

impl FreshCode {
    fn new(state: &ProviderState, request: &AuthorizationRequest) -> Self {
        let code = Secret::generate(32);
        Self {
            code_hash: digest(code.expose()),
            code,
            grant_id: crate::store::new_grant_id(),
            now: state.clock.now_for(request.client.id.as_str()),
        }
    }

    /// What the store keeps of it for `request`.
    fn pending<'a>(
        &'a self,
        state: &ProviderState,
        request: &'a AuthorizationRequest,
    ) -> PendingCode<'a> {
        PendingCode {
            code_hash: &self.code_hash,
            grant_id: &self.grant_id,
            client_id: &request.client.id,
            scopes: &request.scopes,
            redirect_uri: request.redirect_uri.as_str(),
            code_challenge: request.code_challenge.as_deref(),
            expires_at: self.now + state.settings.code_ttl_seconds,
            grant_expires_at: self.now + request.client.refresh_token_ttl,
        }
    }
}

/// Creates the grant and its code, and redirects back to the client.
async fn issue_code(
    req: &HttpRequest,
    state: &ProviderState,
    request: &AuthorizationRequest,
    user: &Username,
    status: StatusCode,
) -> Result<HttpResponse, AuthorizeError> {
    let code = FreshCode::new(state, request);
    let new = NewCode {
        user_id: user,
        code: code.pending(state, request),
    };
    state.store.insert_code(&new, code.now).await?;
    Ok(code_redirect(req, state, request, user, code, status))
}

/// The redirect back to the client with a stored code.
fn code_redirect(
    req: &HttpRequest,
    state: &ProviderState,
    request: &AuthorizationRequest,
    user: &Username,
    code: FreshCode,
    status: StatusCode,
) -> HttpResponse {
    let grant_id = code.grant_id;
    tracing::info!(event = "code_issued", client = %request.client.id, user = %user, grant = %grant_id, "authorization code issued");
    // The step that issues the code carries the flow id and the grant id:
    // this ties the steps before it to the grant.
    crate::inspector::note(req, |n| {
        n.grant = Some(grant_id);
        n.outcome.get_or_insert("code");
    });
    let issuer = state.issuer();
    let mut params = vec![("code", code.code.expose())];
    if let Some(s) = &request.state {
        params.push(("state", s));
    }
    params.push(("iss", &issuer));
    redirect(status, &request.redirect_uri.with_params(&params))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_alphabet_and_length() {
        assert!(is_pkce_value("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"));
        assert!(!is_pkce_value("short"));
        assert!(!is_pkce_value(&"a".repeat(129)));
        assert!(!is_pkce_value(&format!("{}+", "a".repeat(43))));
    }
}
