//! /v1/me/player: state, devices and the queue (here), the listening history
//! (`history`) and the commands (`commands`). The rules live in `playback`;
//! these modules load, check (scope, Premium, device) and save.

pub mod commands;
pub mod controls;
pub mod history;

use crate::api::auth::Bearer;
use crate::api::error::ApiError;
use crate::api::library::ensure;
use crate::api::model::{Actions, Context, Device, Devices, FullTrack, Links, PlaybackState};
use crate::api::playback::{self};
use crate::api::ApiState;
use crate::domain::Username;
use actix_web::{web, HttpResponse};
use serde_json::{json, Map};

/// GET /v1/me/player: 204 when no device is active.
#[utoipa::path(
    get,
    path = "/v1/me/player",
    tag = "api",
    security(("bearer" = ["user-read-playback-state"])),
    params(("market" = Option<String>, Query, description = "ISO 3166-1 country code; accepted and ignored"), ("additional_types" = Option<String>, Query, description = "Accepted and ignored")),
    responses((status = 200, description = "Playback state", body = crate::api::model::PlaybackState), (status = 204, description = "Nothing is playing"), (status = 401, description = "No token, or an invalid, expired or revoked one (`WWW-Authenticate: Bearer`)", body = crate::api::docs::SpotifyErrorBody), (status = 403, description = "Missing scope (`error=\"insufficient_scope\"`) or not allowed", body = crate::api::docs::SpotifyErrorBody), (status = 405, description = "Method not allowed", body = crate::api::docs::SpotifyErrorBody))
)]
pub async fn state(state: web::Data<ApiState>, bearer: Bearer) -> Result<HttpResponse, ApiError> {
    let user = bearer.user()?;
    bearer.require("user-read-playback-state")?;
    view(&state, &user, true).await
}

/// GET /v1/me/player/currently-playing: 204 when nothing is loaded.
#[utoipa::path(
    get,
    path = "/v1/me/player/currently-playing",
    tag = "api",
    security(("bearer" = ["user-read-currently-playing", "user-read-playback-state"])),
    params(("market" = Option<String>, Query, description = "ISO 3166-1 country code; accepted and ignored"), ("additional_types" = Option<String>, Query, description = "Accepted and ignored")),
    responses((status = 200, description = "The playing item", body = crate::api::model::PlaybackState), (status = 204, description = "Nothing is playing"), (status = 401, description = "No token, or an invalid, expired or revoked one (`WWW-Authenticate: Bearer`)", body = crate::api::docs::SpotifyErrorBody), (status = 403, description = "Missing scope (`error=\"insufficient_scope\"`) or not allowed", body = crate::api::docs::SpotifyErrorBody), (status = 405, description = "Method not allowed", body = crate::api::docs::SpotifyErrorBody))
)]
pub async fn currently_playing(
    state: web::Data<ApiState>,
    bearer: Bearer,
) -> Result<HttpResponse, ApiError> {
    let user = bearer.user()?;
    bearer.require_any(&["user-read-currently-playing", "user-read-playback-state"])?;
    view(&state, &user, false).await
}

async fn view(state: &ApiState, user: &Username, full: bool) -> Result<HttpResponse, ApiError> {
    ensure(state, user).await?;
    let Some(mut p) = state.store.playback(user).await? else {
        return Ok(HttpResponse::NoContent().finish());
    };
    let Some(device_id) = p.device_id.clone() else {
        return Ok(HttpResponse::NoContent().finish());
    };
    if !full && p.track_ids.is_empty() {
        return Ok(HttpResponse::NoContent().finish());
    }
    // `timestamp` is when the state last changed (a command), not now.
    let changed_at = p.updated_ms;
    let durations = state.store.track_durations(&p.track_ids).await?;
    playback::settle(&mut p, crate::api::now_ms(state), &durations);
    let links = Links::new(&state.settings.public_url());
    let item = match playback::current_track(&p) {
        Some(id) => state.store.track(id).await?,
        None => None,
    };
    let device = if full {
        state
            .store
            .devices(user)
            .await?
            .iter()
            .find(|d| d.id == device_id)
            .map(|d| Device::new(d, true))
    } else {
        None
    };
    let mut disallows = Map::new();
    disallows.insert(
        if p.is_playing { "resuming" } else { "pausing" }.into(),
        json!(true),
    );
    if p.repeat_state == "off" && p.position + 1 >= p.track_ids.len() as i64 {
        disallows.insert("skipping_next".into(), json!(true));
    }
    Ok(HttpResponse::Ok().json(PlaybackState {
        device,
        repeat_state: full.then(|| p.repeat_state.clone()),
        shuffle_state: full.then_some(p.shuffle),
        context: p
            .context_uri
            .as_deref()
            .and_then(|uri| Context::new(&links, uri)),
        timestamp: changed_at,
        progress_ms: item
            .as_ref()
            .and_then(|_| playback::progress_for_display(&p, &durations)),
        is_playing: p.is_playing && item.is_some(),
        item: item.as_ref().map(|t| FullTrack::new(&links, t)),
        currently_playing_type: if item.is_some() { "track" } else { "unknown" },
        actions: Actions { disallows },
    }))
}

/// Tracks listed by GET /v1/me/player/queue.
const QUEUE_PREVIEW: usize = 20;

/// GET /v1/me/player/queue: the current track and what plays after it.
#[utoipa::path(
    get,
    path = "/v1/me/player/queue",
    tag = "api",
    security(("bearer" = ["user-read-playback-state"])),
    responses((status = 200, description = "The playing item and what follows", body = crate::api::docs::Queue), (status = 401, description = "No token, or an invalid, expired or revoked one (`WWW-Authenticate: Bearer`)", body = crate::api::docs::SpotifyErrorBody), (status = 403, description = "Missing scope (`error=\"insufficient_scope\"`) or not allowed", body = crate::api::docs::SpotifyErrorBody), (status = 405, description = "Method not allowed", body = crate::api::docs::SpotifyErrorBody))
)]
pub async fn queue_view(
    state: web::Data<ApiState>,
    bearer: Bearer,
) -> Result<HttpResponse, ApiError> {
    let user = bearer.user()?;
    bearer.require("user-read-playback-state")?;
    ensure(&state, &user).await?;
    let links = Links::new(&state.settings.public_url());
    let mut current = None;
    let mut upcoming = Vec::new();
    if let Some(mut p) = state.store.playback(&user).await? {
        if p.device_id.is_some() {
            let durations = state.store.track_durations(&p.track_ids).await?;
            playback::settle(&mut p, crate::api::now_ms(&state), &durations);
            let at = p.position as usize;
            if at < p.track_ids.len() {
                let ids: Vec<String> = p.track_ids[at..]
                    .iter()
                    .take(QUEUE_PREVIEW + 1)
                    .cloned()
                    .collect();
                let mut tracks = state.store.tracks_by_ids(&ids).await?.into_iter();
                current = tracks.next().map(|t| FullTrack::new(&links, &t));
                upcoming = tracks.map(|t| FullTrack::new(&links, &t)).collect();
            }
        }
    }
    Ok(HttpResponse::Ok().json(json!({"currently_playing": current, "queue": upcoming})))
}

/// GET /v1/me/player/devices
#[utoipa::path(
    get,
    path = "/v1/me/player/devices",
    tag = "api",
    security(("bearer" = ["user-read-playback-state"])),
    responses((status = 200, description = "The user's devices", body = crate::api::model::Devices), (status = 401, description = "No token, or an invalid, expired or revoked one (`WWW-Authenticate: Bearer`)", body = crate::api::docs::SpotifyErrorBody), (status = 403, description = "Missing scope (`error=\"insufficient_scope\"`) or not allowed", body = crate::api::docs::SpotifyErrorBody), (status = 405, description = "Method not allowed", body = crate::api::docs::SpotifyErrorBody))
)]
pub async fn devices(state: web::Data<ApiState>, bearer: Bearer) -> Result<HttpResponse, ApiError> {
    let user = bearer.user()?;
    bearer.require("user-read-playback-state")?;
    ensure(&state, &user).await?;
    let active = state.store.playback(&user).await?.and_then(|p| p.device_id);
    let devices = state.store.devices(&user).await?;
    Ok(HttpResponse::Ok().json(Devices {
        devices: devices
            .iter()
            .map(|d| Device::new(d, active.as_deref() == Some(d.id.as_str())))
            .collect(),
    }))
}
