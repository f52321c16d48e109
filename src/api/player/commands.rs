//! The player commands: play, transfer, pause, next, previous, seek, shuffle,
//! repeat, queue and volume, each a read-modify-write of the stored playback.

use super::history::to_store;
use crate::api::auth::Bearer;
use crate::api::error::{ApiError, PlayerReason};
use crate::api::ids::{Kind, SpotifyId};
use crate::api::library::ensure;
use crate::api::params::{json_body, Body, Query};
use crate::api::playback::{self, Durations, MAX_QUEUE};
use crate::api::ApiState;
use crate::domain::Username;
use crate::store::PlaybackRecord;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

/// Attempts before a command gives up on concurrent changes.
const RETRIES: usize = 8;
/// Tracks of an artist context.
const ARTIST_CONTEXT_TRACKS: i64 = 10;

/// Checks every command shares: a user token with the modify scope, and a
/// Premium account (free accounts get 403 PREMIUM_REQUIRED, as on Spotify).
pub(super) async fn commander(state: &ApiState, bearer: &Bearer) -> Result<Username, ApiError> {
    let user = bearer.user()?;
    bearer.require("user-modify-playback-state")?;
    let account = state
        .store
        .cached_user(&user)
        .await?
        .ok_or(ApiError::InvalidToken)?;
    if account.product != "premium" {
        return Err(ApiError::player(PlayerReason::PremiumRequired));
    }
    ensure(state, &user).await?;
    Ok(user)
}

/// Loads the playback row, activates `device` if given (else requires an
/// active one), brings it to now, applies `apply` and saves it, retrying if a
/// concurrent command got there first.
pub(super) async fn run(
    state: &ApiState,
    user: &Username,
    device: Option<String>,
    mut apply: impl FnMut(&mut PlaybackRecord, &Durations) -> Result<(), ApiError>,
) -> Result<HttpResponse, ApiError> {
    if let Some(d) = &device {
        let devices = state.store.devices(user).await?;
        if !devices.iter().any(|x| &x.id == d) {
            return Err(ApiError::NotFound("Device not found".into()));
        }
    }
    for _ in 0..RETRIES {
        let mut p = state
            .store
            .playback(user)
            .await?
            .ok_or(ApiError::player(PlayerReason::NoActiveDevice))?;
        match &device {
            Some(d) => p.device_id = Some(d.clone()),
            None if p.device_id.is_none() => {
                return Err(ApiError::player(PlayerReason::NoActiveDevice))
            }
            None => {}
        }
        let durations = state.store.track_durations(&p.track_ids).await?;
        let now = crate::api::now_ms(state);
        let mut played = playback::settle(&mut p, now, &durations);
        let before = p.clone();
        apply(&mut p, &durations)?;
        played.extend(playback::left_after_playing(&before, &p, now));
        if state.store.save_playback(user, &p).await? {
            // Recorded once the change is saved: a lost race recomputes them.
            state.store.record_plays(user, &to_store(played)).await?;
            return Ok(HttpResponse::NoContent().finish());
        }
    }
    Err(ApiError::Busy)
}

#[derive(Deserialize)]
struct PlayBody {
    context_uri: Option<String>,
    uris: Option<Vec<String>>,
    offset: Option<OffsetBody>,
    position_ms: Option<i64>,
}

#[derive(Deserialize)]
struct OffsetBody {
    position: Option<i64>,
    uri: Option<String>,
}

/// What `play` was asked to do, resolved against the catalog.
enum PlayPlan {
    Resume(Option<i64>),
    Start {
        context: Option<String>,
        ids: Vec<String>,
        index: usize,
        position_ms: i64,
    },
}

async fn resolve_play(
    state: &ApiState,
    user: &Username,
    body: Option<PlayBody>,
) -> Result<PlayPlan, ApiError> {
    let Some(body) = body else {
        return Ok(PlayPlan::Resume(None));
    };
    if body.position_ms.is_some_and(|p| p < 0) {
        return Err(ApiError::bad("Invalid position_ms"));
    }
    let (context, ids) = match (&body.context_uri, &body.uris) {
        (Some(_), Some(_)) => {
            return Err(ApiError::bad(
                "Only one of context_uri and uris may be given",
            ))
        }
        (None, None) => return Ok(PlayPlan::Resume(body.position_ms)),
        (Some(uri), None) => (Some(uri.clone()), context_tracks(state, user, uri).await?),
        (None, Some(uris)) => {
            if uris.is_empty() || uris.len() > MAX_QUEUE {
                return Err(ApiError::bad("Invalid number of uris"));
            }
            let ids = uris
                .iter()
                .map(|u| {
                    SpotifyId::parse_uri(u, Kind::Track)
                        .map(|id| id.as_str().to_owned())
                        .ok_or_else(|| ApiError::bad(format!("Invalid track uri: {u}")))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let existing = state.store.existing_track_ids(&ids).await?;
            if ids.iter().any(|id| !existing.contains(id)) {
                return Err(ApiError::bad("Payload contains a non-existing ID"));
            }
            (None, ids)
        }
    };
    if ids.is_empty() {
        return Err(ApiError::bad("The context has no tracks"));
    }
    let index = match body.offset {
        None => 0,
        Some(OffsetBody {
            position: Some(p), ..
        }) => usize::try_from(p)
            .ok()
            .filter(|p| *p < ids.len())
            .ok_or_else(|| ApiError::bad("Invalid offset"))?,
        Some(OffsetBody { uri: Some(u), .. }) => {
            let id = SpotifyId::parse_uri(&u, Kind::Track)
                .ok_or_else(|| ApiError::bad(format!("Invalid track uri: {u}")))?;
            ids.iter()
                .position(|x| x == id.as_str())
                .ok_or_else(|| ApiError::bad("Invalid offset"))?
        }
        Some(_) => return Err(ApiError::bad("Invalid offset")),
    };
    Ok(PlayPlan::Start {
        context,
        ids,
        index,
        position_ms: body.position_ms.unwrap_or(0),
    })
}

/// The tracks of an album, a playlist the user may read, or an artist.
async fn context_tracks(
    state: &ApiState,
    user: &Username,
    uri: &str,
) -> Result<Vec<String>, ApiError> {
    let invalid = || ApiError::bad("Invalid context uri");
    let rest = uri.strip_prefix("spotify:").ok_or_else(invalid)?;
    let (kind, raw) = rest.split_once(':').ok_or_else(invalid)?;
    let id = SpotifyId::parse(raw).ok_or_else(invalid)?;
    let ids = match kind {
        "album" => state.store.album_tracks(id.as_str()).await?,
        "artist" => {
            state
                .store
                .artist_top_tracks(id.as_str(), ARTIST_CONTEXT_TRACKS)
                .await?
        }
        "playlist" => {
            let p = state
                .store
                .playlist(id.as_str())
                .await?
                .filter(|p| p.public || p.owner_id == user.as_str())
                .ok_or_else(ApiError::not_found)?;
            return state
                .store
                .playlist_track_ids(&p.id)
                .await
                .map_err(Into::into);
        }
        _ => return Err(invalid()),
    };
    if ids.is_empty() {
        return Err(ApiError::not_found());
    }
    Ok(ids.into_iter().map(|t| t.id).collect())
}

/// PUT /v1/me/player/play: starts a context or tracks, or resumes. Resuming
/// with nothing loaded starts the user's saved tracks.
#[utoipa::path(
    put,
    path = "/v1/me/player/play",
    tag = "api",
    security(("bearer" = ["user-modify-playback-state"])),
    params(("device_id" = Option<String>, Query, pattern = r"^[!-~]{1,64}$", description = "Target device; else the active one")),
    request_body(content = Option<Object>, content_type = "application/json", description = "`{\"context_uri\"?, \"uris\"?, \"offset\"?: {\"position\"|\"uri\"}, \"position_ms\"?}`; empty resumes"),
    responses((status = 204, description = "Done"), crate::api::docs::PlayerCommandErrors)
)]
pub async fn play(
    state: web::Data<ApiState>,
    bearer: Bearer,
    req: HttpRequest,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    let user = commander(&state, &bearer).await?;
    let device = Query::of(&req).device_id()?;
    let plan = resolve_play(&state, &user, json_body(&body.0)?).await?;
    let fallback = fallback_tracks(&state, &user).await?;
    run(&state, &user, device, |p, _| {
        match &plan {
            PlayPlan::Resume(_) if p.track_ids.is_empty() => {
                if fallback.is_empty() {
                    return Err(ApiError::bad("Nothing to play"));
                }
                playback::start(p, None, fallback.clone(), 0, 0)
            }
            PlayPlan::Resume(pos) => playback::resume(p, *pos),
            PlayPlan::Start {
                context,
                ids,
                index,
                position_ms,
            } => playback::start(p, context.clone(), ids.clone(), *index, *position_ms),
        }
        Ok(())
    })
    .await
}

/// The user's saved tracks, newest first, for a resume with nothing loaded.
async fn fallback_tracks(state: &ApiState, user: &Username) -> Result<Vec<String>, ApiError> {
    Ok(state
        .store
        .saved_tracks(user, 50, 0)
        .await?
        .items
        .into_iter()
        .map(|(_, t)| t.id)
        .collect())
}

#[derive(Deserialize)]
struct TransferBody {
    device_ids: Option<Vec<String>>,
    play: Option<bool>,
}

/// PUT /v1/me/player: transfers playback to (and so activates) one device.
#[utoipa::path(
    put,
    path = "/v1/me/player",
    tag = "api",
    security(("bearer" = ["user-modify-playback-state"])),
    request_body(content = Object, content_type = "application/json", description = "`{\"device_ids\": [one id], \"play\"?: bool}`"),
    responses((status = 204, description = "Done"), crate::api::docs::PlayerCommandErrors)
)]
pub async fn transfer(
    state: web::Data<ApiState>,
    bearer: Bearer,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    let user = commander(&state, &bearer).await?;
    let body: TransferBody = json_body(&body.0)?.ok_or_else(|| ApiError::bad("Missing body"))?;
    let ids = body
        .device_ids
        .ok_or_else(|| ApiError::bad("Missing required field: device_ids"))?;
    let device = match ids.as_slice() {
        [one] if !one.is_empty() && one.len() <= 64 => one.clone(),
        [_] => return Err(ApiError::bad("Invalid device id")),
        [] => return Err(ApiError::bad("Missing required field: device_ids")),
        _ => return Err(ApiError::bad("Only one device_id is supported")),
    };
    let play = body.play.unwrap_or(false);
    let fallback = fallback_tracks(&state, &user).await?;
    run(&state, &user, Some(device), |p, _| {
        if play {
            if p.track_ids.is_empty() {
                playback::start(p, None, fallback.clone(), 0, 0);
            } else {
                playback::resume(p, None);
            }
        }
        Ok(())
    })
    .await
}
