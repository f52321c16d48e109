//! The tester's toolbox: a JSON admin API under `/admin/api` and the admin
//! pages under `/admin` (see `pages`), mounted with the provider role. See
//! `guard` for who may call them.
//!
//! - `GET|POST|DELETE /admin/api/scenarios`, `DELETE /admin/api/scenarios/{id}`
//! - `POST /admin/api/users/{user}/revoke`: revoke every grant of a user now
//! - `GET /admin/api/clock`, `POST /admin/api/clock/advance`, `POST /admin/api/clock/reset`
//!   (global, or one client's with `client_id`)
//! - `POST /admin/api/tokens`: mint a real token pair for any user and client
//! - `GET|DELETE /admin/api/inspector`, `GET /admin/api/inspector/export`,
//!   and the page `GET /admin/inspector`: the flow inspector (`inspector`)

pub mod clock;
pub mod docs;
pub mod error;
pub mod guard;
pub mod inspector;
pub mod pages;

use crate::clock::Clock;
use crate::config::Settings;
use crate::domain::{ClientId, ScenarioSpec, Scopes, Secret, Username};
use crate::faults::{Faults, SpecError};
use crate::inspector::Inspector;
use crate::oauth::Tokens;
use crate::store::{digest, NewCode, PendingCode, Store};
use actix_web::{web, HttpResponse};
use clock::MAX_ADVANCE;
use error::AdminError;
use guard::Admin;
use std::sync::Arc;

/// What the toolbox's handlers use.
#[derive(Clone)]
pub struct AdminState {
    pub settings: Arc<Settings>,
    pub store: Store,
    pub clock: Clock,
    /// Mints tokens, lists and rotates keys, revokes.
    pub tokens: Tokens,
    /// The fault source the toolbox writes scenarios for (and invalidates).
    pub faults: Faults,
    /// Whether the flow inspector records.
    pub inspector: Inspector,
}
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::json;

pub fn configure(cfg: &mut web::ServiceConfig) {
    // Pages before the API's scope (whose default service answers 404).
    cfg.route("/admin/inspector", web::get().to(inspector::page))
        .route(
            "/admin/inspector/clear",
            web::post().to(inspector::clear_page),
        );
    cfg.service(
        web::scope("/admin/api")
            .service(
                web::resource("/scenarios")
                    .route(web::get().to(list_scenarios))
                    .route(web::post().to(add_scenario))
                    .route(web::delete().to(clear_scenarios)),
            )
            .service(web::resource("/scenarios/{id}").route(web::delete().to(delete_scenario)))
            .service(web::resource("/users/{user}/revoke").route(web::post().to(revoke_user)))
            .service(web::resource("/clock").route(web::get().to(clock)))
            .service(web::resource("/clock/advance").route(web::post().to(advance_clock)))
            .service(web::resource("/clock/reset").route(web::post().to(reset_clock)))
            .service(web::resource("/tokens").route(web::post().to(mint_token)))
            .service(
                web::resource("/inspector")
                    .route(web::get().to(inspector::list_records))
                    .route(web::delete().to(inspector::clear_records)),
            )
            .service(
                web::resource("/inspector/export").route(web::get().to(inspector::export_records)),
            )
            .default_service(web::to(|_: Admin| async {
                Err::<HttpResponse, _>(AdminError::NotFound(
                    "no such admin route, or wrong method".into(),
                ))
            })),
    );
    pages::configure(cfg);
}

/// Parses a JSON body with a clear 400 on any mistake.
fn json_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, AdminError> {
    if body.is_empty() {
        return Err(AdminError::bad("a JSON body is required"));
    }
    serde_json::from_slice(body).map_err(|e| AdminError::bad(format!("invalid JSON body: {e}")))
}

impl From<SpecError> for AdminError {
    fn from(e: SpecError) -> Self {
        match e {
            SpecError::Invalid(m) => AdminError::BadRequest(m),
            SpecError::Unknown(m) => AdminError::NotFound(m),
            SpecError::Store(s) => AdminError::Unavailable(s),
        }
    }
}

#[utoipa::path(get, path = "/admin/api/scenarios", tag = "admin",
    responses(
        (status = 200, description = "The scenarios in force", body = Object),
        crate::admin::docs::AdminErrors,
    ))]
pub(crate) async fn list_scenarios(
    _: Admin,
    state: web::Data<AdminState>,
) -> Result<HttpResponse, AdminError> {
    let list = state.store.active_scenarios(state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(json!({ "scenarios": list })))
}

#[utoipa::path(post, path = "/admin/api/scenarios", tag = "admin",
    request_body(content = Object, content_type = "application/json"),
    responses(
        (status = 200, description = "The scenario as stored", body = Object),
        crate::admin::docs::AdminErrors,
    ))]
pub(crate) async fn add_scenario(
    _: Admin,
    state: web::Data<AdminState>,
    body: web::Bytes,
) -> Result<HttpResponse, AdminError> {
    let spec: ScenarioSpec = json_body(&body)?;
    let record = set_scenario(&state, spec, None).await?;
    Ok(HttpResponse::Created().json(record))
}

/// Validates and stores a scenario (an id is generated, after `id_prefix`
/// if given, when the spec has none); every instance applies it.
pub async fn set_scenario(
    state: &AdminState,
    spec: ScenarioSpec,
    id_prefix: Option<&str>,
) -> Result<crate::store::ScenarioRecord, AdminError> {
    let random = uuid::Uuid::new_v4().simple().to_string();
    let default_id = match id_prefix {
        Some(p) => format!("{p}-{}", &random[..8]),
        None => random,
    };
    let record = crate::faults::validate(spec, &state.store, default_id, state.clock.now()).await?;
    if !state.store.insert_scenario(&record).await? {
        return Err(AdminError::bad(format!(
            "a scenario with id '{}' exists; delete it first",
            record.id
        )));
    }
    state.faults.invalidate();
    tracing::info!(event = "scenario_set", id = %record.id, kind = %record.kind, "scenario set");
    Ok(record)
}

/// Clears one scenario; 404 if there is none with that id.
pub async fn clear_scenario(state: &AdminState, id: &str) -> Result<(), AdminError> {
    let plain = |b: u8| b.is_ascii_alphanumeric() || b"-_.".contains(&b);
    if id.is_empty() || id.len() > 64 || !id.bytes().all(plain) {
        return Err(AdminError::NotFound(format!("no scenario '{id}'")));
    }
    let deleted = state.store.delete_scenario(id).await?;
    state.faults.invalidate();
    if !deleted {
        return Err(AdminError::NotFound(format!("no scenario '{id}'")));
    }
    Ok(())
}

#[utoipa::path(delete, path = "/admin/api/scenarios/{id}", tag = "admin",
    params(("id" = String, Path, description = "id")),
    responses(
        (status = 200, description = "Cleared", body = Object),
        crate::admin::docs::AdminErrors,
    ))]
pub(crate) async fn delete_scenario(
    _: Admin,
    state: web::Data<AdminState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AdminError> {
    clear_scenario(&state, &id).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(delete, path = "/admin/api/scenarios", tag = "admin",
    responses(
        (status = 200, description = "All cleared", body = Object),
        crate::admin::docs::AdminErrors,
    ))]
pub(crate) async fn clear_scenarios(
    _: Admin,
    state: web::Data<AdminState>,
) -> Result<HttpResponse, AdminError> {
    let deleted = state.store.delete_all_scenarios().await?;
    state.faults.invalidate();
    Ok(HttpResponse::Ok().json(json!({ "deleted": deleted })))
}

pub(crate) fn parse_user(name: &str) -> Result<Username, AdminError> {
    Username::parse(&name.to_ascii_lowercase()).map_err(|e| AdminError::bad(e.to_string()))
}

/// Revokes every live grant of a user (their refresh tokens and, through
/// `gid`, their access tokens), as if every app were unlinked at once.
#[utoipa::path(post, path = "/admin/api/users/{user}/revoke", tag = "admin",
    params(("user" = String, Path, description = "user")),
    responses(
        (status = 200, description = "How many grants were revoked", body = Object),
        crate::admin::docs::AdminErrors,
    ))]
pub(crate) async fn revoke_user(
    _: Admin,
    state: web::Data<AdminState>,
    user: web::Path<String>,
) -> Result<HttpResponse, AdminError> {
    let user = parse_user(&user)?;
    let revoked = revoke_all_of_user(&state, &user).await?;
    Ok(HttpResponse::Ok().json(json!({ "user": user.as_str(), "revoked_grants": revoked })))
}

/// Revokes every live grant of `user`; returns how many there were.
pub async fn revoke_all_of_user(state: &AdminState, user: &Username) -> Result<usize, AdminError> {
    if state.store.user(user).await?.is_none() {
        return Err(AdminError::NotFound(format!("no user '{user}'")));
    }
    let now = state.clock.now();
    let grants = state.store.live_grants_of(user.as_str()).await?;
    for g in &grants {
        state
            .tokens
            .revocations
            .revoke_grant(&state.store, g, "revoked_by_admin", now)
            .await?;
    }
    tracing::info!(event = "admin_revoke", user = %user, grants = grants.len(), "all tokens of a user revoked");
    Ok(grants.len())
}

/// Revokes one grant (its refresh tokens and, through `gid`, its access
/// tokens), as if the user had unlinked the app.
pub async fn revoke_one_grant(state: &AdminState, grant_id: &str) -> Result<(), AdminError> {
    // Grant ids are UUIDs; anything else (a NUL above all) never reaches the database.
    if uuid::Uuid::parse_str(grant_id).is_err() {
        return Err(AdminError::NotFound(format!("no live grant '{grant_id}'")));
    }
    let grant = state
        .store
        .grant(grant_id)
        .await?
        .filter(|g| g.revoked_at.is_none())
        .ok_or_else(|| AdminError::NotFound(format!("no live grant '{grant_id}'")))?;
    state
        .tokens
        .revocations
        .revoke_grant(
            &state.store,
            &grant.id,
            "revoked_by_admin",
            state.clock.now(),
        )
        .await?;
    tracing::info!(event = "admin_revoke", grant = %grant.id, user = %grant.user_id, client = %grant.client_id, "a grant revoked");
    Ok(())
}

#[utoipa::path(get, path = "/admin/api/clock", tag = "admin",
    responses(
        (status = 200, description = "The virtual clock, global and per client", body = clock::ClockView),
        crate::admin::docs::AdminErrors,
    ))]
pub(crate) async fn clock(_: Admin, state: web::Data<AdminState>) -> HttpResponse {
    HttpResponse::Ok().json(clock::view(&state))
}

/// `POST /admin/api/clock/advance`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClockAdvance {
    /// Seconds to move forward (1 to ten years).
    pub seconds: i64,
    /// Move only this client's clock (on top of the global one).
    pub client_id: Option<String>,
}

/// `POST /admin/api/clock/reset` (the body is optional).
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClockReset {
    /// Reset only this client's clock; without it every clock is reset.
    pub client_id: Option<String>,
}

/// Moves the virtual clock (global, or one client's) forward for every
/// instance sharing the database.
#[utoipa::path(post, path = "/admin/api/clock/advance", tag = "admin",
    request_body(content = ClockAdvance, content_type = "application/json"),
    responses(
        (status = 200, description = "The virtual clock after the move", body = clock::ClockView),
        (status = 404, description = "No such client", body = Object),
        crate::admin::docs::AdminErrors,
    ))]
pub(crate) async fn advance_clock(
    _: Admin,
    state: web::Data<AdminState>,
    body: web::Bytes,
) -> Result<HttpResponse, AdminError> {
    let ClockAdvance { seconds, client_id } = json_body(&body)?;
    let view = clock::advance(&state, seconds, client_id.as_deref()).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Back to real time: every clock, or only `client_id`'s.
#[utoipa::path(post, path = "/admin/api/clock/reset", tag = "admin",
    request_body(content = Option<ClockReset>, content_type = "application/json"),
    responses(
        (status = 200, description = "The virtual clock after the reset", body = clock::ClockView),
        (status = 404, description = "No such client", body = Object),
        crate::admin::docs::AdminErrors,
    ))]
pub(crate) async fn reset_clock(
    _: Admin,
    state: web::Data<AdminState>,
    body: web::Bytes,
) -> Result<HttpResponse, AdminError> {
    let ClockReset { client_id } = if body.is_empty() {
        ClockReset::default()
    } else {
        json_body(&body)?
    };
    let view = clock::reset(&state, client_id.as_deref()).await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MintRequest {
    user: String,
    client_id: String,
    scope: Option<String>,
    expires_in: Option<i64>,
}

/// Mints a real token pair: a grant (as if the user had consented), its
/// refresh token, and an access token, so tests skip the browser.
#[utoipa::path(post, path = "/admin/api/tokens", tag = "admin",
    request_body(content = Object, content_type = "application/json"),
    responses(
        (status = 200, description = "A real access (and refresh) token", body = Object),
        crate::admin::docs::AdminErrors,
    ))]
pub(crate) async fn mint_token(
    _: Admin,
    state: web::Data<AdminState>,
    body: web::Bytes,
) -> Result<HttpResponse, AdminError> {
    let req: MintRequest = json_body(&body)?;
    let user = parse_user(&req.user)?;
    let client_id = ClientId::parse(&req.client_id).map_err(|e| AdminError::bad(e.to_string()))?;
    if state.store.user(&user).await?.is_none() {
        return Err(AdminError::NotFound(format!("no user '{user}'")));
    }
    let client = state
        .store
        .client(&client_id)
        .await?
        .ok_or_else(|| AdminError::NotFound(format!("no client '{client_id}'")))?;
    let scopes = match &req.scope {
        Some(s) => Scopes::parse(s).map_err(|e| AdminError::bad(e.to_string()))?,
        None => client.scopes.clone(),
    };
    if !scopes.is_subset(&client.scopes) {
        return Err(AdminError::bad(
            "the client may not hold one of these scopes",
        ));
    }
    let ttl = req.expires_in.unwrap_or(client.access_token_ttl);
    if !(1..=MAX_ADVANCE).contains(&ttl) {
        return Err(AdminError::bad(format!(
            "expires_in must be between 1 and {MAX_ADVANCE} seconds"
        )));
    }
    let now = state.clock.now_for(client.id.as_str());
    let code = Secret::generate(32);
    let refresh = Secret::generate(32);
    let grant_id = crate::store::new_grant_id();
    let code_hash = digest(code.expose());
    state
        .store
        .insert_code(
            &NewCode {
                user_id: &user,
                code: PendingCode {
                    code_hash: &code_hash,
                    grant_id: &grant_id,
                    client_id: &client.id,
                    scopes: &scopes,
                    redirect_uri: "urn:mocklink:admin",
                    code_challenge: None,
                    expires_at: now,
                    grant_expires_at: now + client.refresh_token_ttl,
                },
            },
            now,
        )
        .await?;
    if !state
        .store
        .redeem_code(&code_hash, &grant_id, &digest(refresh.expose()), now)
        .await?
    {
        return Err(AdminError::Internal(
            "the new grant could not be activated".into(),
        ));
    }
    let scope = scopes.to_string();
    let (access_token, claims) = state
        .tokens
        .mint(
            user.as_str(),
            client.id.as_str(),
            &scope,
            Some(&grant_id),
            ttl,
        )
        .map_err(|e| AdminError::Internal(e.to_string()))?;
    tracing::info!(event = "admin_mint", user = %user, client = %client.id, grant = %grant_id, "token minted by admin");
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(json!({
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": ttl,
            "expires_at": claims.exp,
            "refresh_token": refresh.expose(),
            "scope": scope,
            "grant_id": grant_id,
        })))
}
