//! The current user's profile and public profiles.

use super::auth::Bearer;
use super::error::ApiError;
use super::model::{Links, PrivateUser, PublicUser};
use crate::api::ApiState;
use crate::domain::Username;
use actix_web::{web, HttpResponse};

/// GET /v1/me (and /v1/me/): basics for any user token; `email` with
/// user-read-email; `country`, `product`, `explicit_content` with
/// user-read-private.
#[utoipa::path(
    get,
    path = "/v1/me",
    tag = "api",
    security(("bearer" = ["user-read-private", "user-read-email"])),
    responses((status = 200, description = "The current user; email/country/product need their scopes", body = crate::api::model::PrivateUser), (status = 401, description = "No token, or an invalid, expired or revoked one (`WWW-Authenticate: Bearer`)", body = crate::api::docs::SpotifyErrorBody), (status = 405, description = "Method not allowed", body = crate::api::docs::SpotifyErrorBody))
)]
pub async fn me(state: web::Data<ApiState>, bearer: Bearer) -> Result<HttpResponse, ApiError> {
    let id = bearer.user()?;
    // A token whose user was deleted is revoked with its grants; this is the
    // narrow race where the token was verified just before.
    let user = state
        .store
        .cached_user(&id)
        .await?
        .ok_or(ApiError::InvalidToken)?;
    let links = Links::new(&state.settings.public_url());
    Ok(HttpResponse::Ok().json(PrivateUser::new(
        &links,
        &user,
        bearer.has("user-read-email"),
        bearer.has("user-read-private"),
    )))
}

/// GET /v1/users/{user_id}: any valid token, user or client.
#[utoipa::path(
    get,
    path = "/v1/users/{user_id}",
    tag = "api",
    security(("bearer" = [])),
    params(("user_id" = String, Path, pattern = r"^[a-z0-9][a-z0-9._-]{0,63}$", description = "User id")),
    responses((status = 200, description = "A public profile", body = crate::api::model::PublicUser), (status = 400, description = "Bad parameter or body", body = crate::api::docs::SpotifyErrorBody), (status = 401, description = "No token, or an invalid, expired or revoked one (`WWW-Authenticate: Bearer`)", body = crate::api::docs::SpotifyErrorBody), (status = 404, description = "No such resource", body = crate::api::docs::SpotifyErrorBody), (status = 405, description = "Method not allowed", body = crate::api::docs::SpotifyErrorBody))
)]
pub async fn user(
    state: web::Data<ApiState>,
    _bearer: Bearer,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = Username::parse(&path).map_err(|_| ApiError::bad("Invalid username"))?;
    let user = state
        .store
        .cached_user(&id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let links = Links::new(&state.settings.public_url());
    Ok(HttpResponse::Ok().json(PublicUser::new(
        &links,
        user.id.as_str(),
        &user.display_name,
    )))
}
