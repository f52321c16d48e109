//! The transport controls: pause, next, previous, seek, shuffle, repeat,
//! queue and volume, each one `run` of a playback rule (see `commands`).

use super::commands::{commander, run};
use crate::api::auth::Bearer;
use crate::api::error::{ApiError, PlayerReason};
use crate::api::ids::{Kind, SpotifyId};
use crate::api::params::Query;
use crate::api::playback::{self};
use crate::api::ApiState;
use actix_web::{web, HttpRequest, HttpResponse};

/// PUT /v1/me/player/pause
#[utoipa::path(
    put,
    path = "/v1/me/player/pause",
    tag = "api",
    security(("bearer" = ["user-modify-playback-state"])),
    params(("device_id" = Option<String>, Query, pattern = r"^[!-~]{1,64}$", description = "Target device; else the active one")),
    responses((status = 204, description = "Done"), crate::api::docs::PlayerCommandErrors)
)]
pub async fn pause(
    state: web::Data<ApiState>,
    bearer: Bearer,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let user = commander(&state, &bearer).await?;
    let device = Query::of(&req).device_id()?;
    run(&state, &user, device, |p, _| {
        playback::pause(p).map_err(ApiError::player)
    })
    .await
}

/// POST /v1/me/player/next
#[utoipa::path(
    post,
    path = "/v1/me/player/next",
    tag = "api",
    security(("bearer" = ["user-modify-playback-state"])),
    params(("device_id" = Option<String>, Query, pattern = r"^[!-~]{1,64}$", description = "Target device; else the active one")),
    responses((status = 204, description = "Done"), crate::api::docs::PlayerCommandErrors)
)]
pub async fn next(
    state: web::Data<ApiState>,
    bearer: Bearer,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let user = commander(&state, &bearer).await?;
    let device = Query::of(&req).device_id()?;
    run(&state, &user, device, |p, _| {
        playback::next(p).map_err(ApiError::player)
    })
    .await
}

/// POST /v1/me/player/previous
#[utoipa::path(
    post,
    path = "/v1/me/player/previous",
    tag = "api",
    security(("bearer" = ["user-modify-playback-state"])),
    params(("device_id" = Option<String>, Query, pattern = r"^[!-~]{1,64}$", description = "Target device; else the active one")),
    responses((status = 204, description = "Done"), crate::api::docs::PlayerCommandErrors)
)]
pub async fn previous(
    state: web::Data<ApiState>,
    bearer: Bearer,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let user = commander(&state, &bearer).await?;
    let device = Query::of(&req).device_id()?;
    run(&state, &user, device, |p, _| {
        playback::previous(p).map_err(ApiError::player)
    })
    .await
}

/// PUT /v1/me/player/seek?position_ms=
#[utoipa::path(
    put,
    path = "/v1/me/player/seek",
    tag = "api",
    security(("bearer" = ["user-modify-playback-state"])),
    params(("position_ms" = i64, Query, minimum = 0, description = "Position in the track"), ("device_id" = Option<String>, Query, pattern = r"^[!-~]{1,64}$", description = "Target device; else the active one")),
    responses((status = 204, description = "Done"), crate::api::docs::PlayerCommandErrors)
)]
pub async fn seek(
    state: web::Data<ApiState>,
    bearer: Bearer,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let user = commander(&state, &bearer).await?;
    let q = Query::of(&req);
    let position = q
        .get("position_ms")
        .ok_or_else(|| ApiError::bad("Missing parameter position_ms"))?
        .parse::<i64>()
        .ok()
        .filter(|p| *p >= 0)
        .ok_or_else(|| ApiError::bad("Invalid position_ms"))?;
    run(&state, &user, q.device_id()?, |p, d| {
        playback::seek(p, position, d);
        Ok(())
    })
    .await
}

/// PUT /v1/me/player/shuffle?state=true|false
#[utoipa::path(
    put,
    path = "/v1/me/player/shuffle",
    tag = "api",
    security(("bearer" = ["user-modify-playback-state"])),
    params(("state" = String, Query, pattern = r"^(true|false)$", description = "`true` or `false`"), ("device_id" = Option<String>, Query, pattern = r"^[!-~]{1,64}$", description = "Target device; else the active one")),
    responses((status = 204, description = "Done"), crate::api::docs::PlayerCommandErrors)
)]
pub async fn shuffle(
    state: web::Data<ApiState>,
    bearer: Bearer,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let user = commander(&state, &bearer).await?;
    let q = Query::of(&req);
    let on = match q.get("state") {
        Some("true") => true,
        Some("false") => false,
        Some(_) => return Err(ApiError::bad("Invalid state")),
        None => return Err(ApiError::bad("Missing parameter state")),
    };
    // Recorded and reported; the play order itself is left as it is.
    run(&state, &user, q.device_id()?, |p, _| {
        p.shuffle = on;
        Ok(())
    })
    .await
}

/// PUT /v1/me/player/repeat?state=track|context|off
#[utoipa::path(
    put,
    path = "/v1/me/player/repeat",
    tag = "api",
    security(("bearer" = ["user-modify-playback-state"])),
    params(("state" = String, Query, pattern = r"^(track|context|off)$", description = "`track`, `context` or `off`"), ("device_id" = Option<String>, Query, pattern = r"^[!-~]{1,64}$", description = "Target device; else the active one")),
    responses((status = 204, description = "Done"), crate::api::docs::PlayerCommandErrors)
)]
pub async fn repeat(
    state: web::Data<ApiState>,
    bearer: Bearer,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let user = commander(&state, &bearer).await?;
    let q = Query::of(&req);
    let mode = match q.get("state") {
        Some(s @ ("track" | "context" | "off")) => s.to_owned(),
        Some(_) => return Err(ApiError::bad("Invalid state")),
        None => return Err(ApiError::bad("Missing parameter state")),
    };
    run(&state, &user, q.device_id()?, |p, _| {
        p.repeat_state = mode.clone();
        Ok(())
    })
    .await
}

/// POST /v1/me/player/queue?uri=spotify:track:…
#[utoipa::path(
    post,
    path = "/v1/me/player/queue",
    tag = "api",
    security(("bearer" = ["user-modify-playback-state"])),
    params(("uri" = String, Query, pattern = r"^spotify:track:[0-9A-Za-z]{22}$", description = "A spotify:track: uri"), ("device_id" = Option<String>, Query, pattern = r"^[!-~]{1,64}$", description = "Target device; else the active one")),
    responses((status = 204, description = "Done"), crate::api::docs::PlayerCommandErrors)
)]
pub async fn queue(
    state: web::Data<ApiState>,
    bearer: Bearer,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let user = commander(&state, &bearer).await?;
    let q = Query::of(&req);
    let uri = q
        .get("uri")
        .ok_or_else(|| ApiError::bad("Missing parameter uri"))?;
    let id = SpotifyId::parse_uri(uri, Kind::Track)
        .ok_or_else(|| ApiError::bad(format!("Invalid track uri: {uri}")))?;
    if state.store.track(id.as_str()).await?.is_none() {
        return Err(ApiError::not_found());
    }
    run(&state, &user, q.device_id()?, |p, _| {
        playback::enqueue(p, id.as_str().to_owned());
        Ok(())
    })
    .await
}

/// PUT /v1/me/player/volume?volume_percent=0..100: on the given or the
/// active device; devices that cannot change volume answer 403.
#[utoipa::path(
    put,
    path = "/v1/me/player/volume",
    tag = "api",
    security(("bearer" = ["user-modify-playback-state"])),
    params(("volume_percent" = i64, Query, minimum = 0, maximum = 100, description = "0 to 100"), ("device_id" = Option<String>, Query, pattern = r"^[!-~]{1,64}$", description = "Target device; else the active one")),
    responses((status = 204, description = "Done"), crate::api::docs::PlayerCommandErrors)
)]
pub async fn volume(
    state: web::Data<ApiState>,
    bearer: Bearer,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let user = commander(&state, &bearer).await?;
    let q = Query::of(&req);
    let volume = q
        .get("volume_percent")
        .ok_or_else(|| ApiError::bad("Missing parameter volume_percent"))?
        .parse::<i64>()
        .ok()
        .filter(|v| (0..=100).contains(v))
        .ok_or_else(|| ApiError::bad("Invalid volume_percent"))?;
    let target = match q.device_id()? {
        Some(d) => d,
        None => state
            .store
            .playback(&user)
            .await?
            .and_then(|p| p.device_id)
            .ok_or(ApiError::player(PlayerReason::NoActiveDevice))?,
    };
    let device = state
        .store
        .devices(&user)
        .await?
        .into_iter()
        .find(|d| d.id == target)
        .ok_or_else(|| ApiError::NotFound("Device not found".into()))?;
    if !device.supports_volume {
        return Err(ApiError::player(PlayerReason::VolumeControlDisallow));
    }
    state
        .store
        .set_device_volume(&user, &device.id, volume)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
