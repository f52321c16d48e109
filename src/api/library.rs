//! Per-user seeded library (devices, playlists, saved tracks), saved tracks
//! and top items.

use super::auth::Bearer;
use super::catalog::{self, SplitMix64};
use super::error::ApiError;
use super::ids::{hex_id, Kind, SpotifyId};
use super::model::{iso8601, FullArtist, FullTrack, Links, SavedTrack};
use super::params::{list_body, Body, ListBody, Page, Query};
use crate::api::ApiState;
use crate::domain::Username;
use crate::store::{LibrarySeed, NewDevice, NewPlay, NewPlaylist};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use std::collections::HashMap;

const SEEDED_PLAYLISTS: &[(&str, &str, bool, usize)] = &[
    ("Morning Commute", "Songs for the way in", true, 12),
    ("Focus Flow", "Instrumental-ish, for deep work", true, 15),
    ("Late Night Drive", "Just for me", false, 10),
];
const SAVED_TRACKS: usize = 30;
const RECENT_PLAYS: usize = 20;
const MAX_TOP: usize = 50;

/// Seeds the user's library on first use (a one-row probe afterwards).
pub async fn ensure(state: &ApiState, user: &Username) -> Result<(), ApiError> {
    if state.store.library_seeded(user).await? {
        return Ok(());
    }
    let seed = library_seed(user, state.clock.now());
    state
        .store
        .seed_library(user, &seed, state.clock.now(), super::now_ms(state))
        .await?;
    Ok(())
}

/// Seeds `user` with devices but no playlists or saved tracks (the "empty
/// library" persona), unless the library was seeded before.
pub async fn seed_empty(state: &ApiState, user: &Username) -> Result<(), crate::store::StoreError> {
    let now = state.clock.now();
    let seed = LibrarySeed {
        playlists: Vec::new(),
        saved_tracks: Vec::new(),
        recent_plays: Vec::new(),
        ..library_seed(user, now)
    };
    state
        .store
        .seed_library(user, &seed, now, super::now_ms(state))
        .await
}

/// The deterministic starting library of `user`.
pub fn library_seed(user: &Username, now: i64) -> LibrarySeed {
    let catalog = catalog::generate();
    let album_of: HashMap<&str, &str> = catalog
        .tracks
        .iter()
        .map(|t| (t.id.as_str(), t.album_id.as_str()))
        .collect();
    let tracks: Vec<String> = catalog.tracks.iter().map(|t| t.id.clone()).collect();
    let pick = |seed: &str, n: usize| {
        let mut rng = SplitMix64::from_seed(seed);
        let mut out: Vec<String> = Vec::with_capacity(n);
        while out.len() < n.min(tracks.len()) {
            let t = &tracks[rng.below(tracks.len() as u64) as usize];
            if !out.contains(t) {
                out.push(t.clone());
            }
        }
        out
    };
    let devices = [
        ("Kitchen speaker", "Speaker", 60, true),
        ("Living room TV", "TV", 35, false),
        ("Phone", "Smartphone", 80, true),
    ]
    .iter()
    .enumerate()
    .map(|(i, (name, kind, vol, supports))| NewDevice {
        id: hex_id(&format!("mocklink:device:{user}:{i}"), 40),
        name: name.to_string(),
        device_type: kind.to_string(),
        volume_percent: *vol,
        supports_volume: *supports,
    })
    .collect();
    let playlists = SEEDED_PLAYLISTS
        .iter()
        .enumerate()
        .map(|(i, (name, description, public, n))| NewPlaylist {
            id: SpotifyId::derive(&format!("mocklink:playlist:{user}:{i}"))
                .as_str()
                .to_owned(),
            name: name.to_string(),
            description: description.to_string(),
            public: *public,
            collaborative: false,
            track_ids: pick(&format!("{user}:playlist:{i}"), *n),
        })
        .collect();
    let saved_tracks = pick(&format!("{user}:saved"), SAVED_TRACKS)
        .into_iter()
        .enumerate()
        .map(|(i, id)| (id, now - 7 * 3600 * (i as i64 + 1)))
        .collect();
    // Yesterday's listening, one track every 40 minutes, played from its album.
    let recent_plays = pick(&format!("{user}:recent"), RECENT_PLAYS)
        .into_iter()
        .enumerate()
        .map(|(i, id)| NewPlay {
            played_at_ms: (now - 3600 - 2400 * i as i64) * 1000,
            context_uri: album_of
                .get(id.as_str())
                .map(|album| format!("spotify:album:{album}")),
            track_id: id,
        })
        .collect();
    LibrarySeed {
        devices,
        playlists,
        saved_tracks,
        recent_plays,
    }
}

/// GET /v1/me/tracks
#[utoipa::path(
    get,
    path = "/v1/me/tracks",
    tag = "api",
    security(("bearer" = ["user-library-read"])),
    params(("limit" = Option<i64>, Query, minimum = 1, maximum = 50, description = "1 to 50, default 20"), ("offset" = Option<i64>, Query, minimum = 0, maximum = 100000, description = "default 0"), ("market" = Option<String>, Query, description = "ISO 3166-1 country code; accepted and ignored")),
    responses((status = 200, description = "Saved tracks", body = crate::api::params::Page<crate::api::model::SavedTrack>), (status = 400, description = "Bad parameter or body", body = crate::api::docs::SpotifyErrorBody), (status = 401, description = "No token, or an invalid, expired or revoked one (`WWW-Authenticate: Bearer`)", body = crate::api::docs::SpotifyErrorBody), (status = 403, description = "Missing scope (`error=\"insufficient_scope\"`) or not allowed", body = crate::api::docs::SpotifyErrorBody), (status = 405, description = "Method not allowed", body = crate::api::docs::SpotifyErrorBody))
)]
pub async fn saved_tracks(
    state: web::Data<ApiState>,
    bearer: Bearer,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let user = bearer.user()?;
    bearer.require("user-library-read")?;
    let paging = Query::of(&req).paging(20, 50, 100_000)?;
    ensure(&state, &user).await?;
    let slice = state
        .store
        .saved_tracks(&user, paging.limit, paging.offset)
        .await?;
    let links = Links::new(&state.settings.public_url());
    let items = slice
        .items
        .iter()
        .map(|(at, t)| SavedTrack {
            added_at: iso8601(*at),
            track: FullTrack::new(&links, t),
        })
        .collect();
    Ok(HttpResponse::Ok().json(Page::new(
        &links.api("me/tracks"),
        &[],
        paging,
        slice.total,
        items,
    )))
}

#[derive(Deserialize)]
struct IdsBody {
    ids: Vec<String>,
}

/// Track ids from `?ids=a,b` (bare ids or track URIs), `{"ids":[..]}` or
/// the bare array `[..]`.
fn ids_param(req: &HttpRequest, body: &[u8]) -> Result<Vec<String>, ApiError> {
    let raw: Vec<String> = match Query::of(req).get("ids") {
        Some(ids) => ids.split(',').map(str::to_owned).collect(),
        None => match list_body::<IdsBody>(body)? {
            Some(ListBody::Bare(ids)) => ids,
            Some(ListBody::Object(b)) => b.ids,
            None => return Err(ApiError::bad("Missing parameter ids")),
        },
    };
    parse_track_list(
        &raw,
        |s| SpotifyId::parse_id_or_uri(s, Kind::Track),
        "invalid id",
    )
}

/// Track ids from the 2026 library API's `?uris=spotify:track:..,..`; this
/// library holds tracks only, so other kinds are refused clearly.
fn uris_param(req: &HttpRequest) -> Result<Vec<String>, ApiError> {
    let raw: Vec<String> = Query::of(req)
        .get("uris")
        .ok_or_else(|| ApiError::bad("Missing parameter uris"))?
        .split(',')
        .map(str::to_owned)
        .collect();
    parse_track_list(
        &raw,
        |s| SpotifyId::parse_uri(s, Kind::Track),
        "Only spotify:track URIs are supported",
    )
}

fn parse_track_list(
    raw: &[String],
    parse: impl Fn(&str) -> Option<SpotifyId>,
    invalid: &str,
) -> Result<Vec<String>, ApiError> {
    if raw.is_empty() || raw.len() > 50 {
        return Err(ApiError::bad("Too many ids requested"));
    }
    raw.iter()
        .map(|s| {
            parse(s)
                .map(|id| id.as_str().to_owned())
                .ok_or_else(|| ApiError::bad(invalid))
        })
        .collect()
}

async fn save(
    state: &ApiState,
    bearer: &Bearer,
    ids: Vec<String>,
) -> Result<HttpResponse, ApiError> {
    let user = bearer.user()?;
    bearer.require("user-library-modify")?;
    let existing = state.store.existing_track_ids(&ids).await?;
    if ids.iter().any(|id| !existing.contains(id)) {
        return Err(ApiError::bad("Payload contains a non-existing ID"));
    }
    ensure(state, &user).await?;
    state
        .store
        .save_tracks(&user, &ids, state.clock.now())
        .await?;
    Ok(HttpResponse::Ok().finish())
}

async fn remove(
    state: &ApiState,
    bearer: &Bearer,
    ids: Vec<String>,
) -> Result<HttpResponse, ApiError> {
    let user = bearer.user()?;
    bearer.require("user-library-modify")?;
    ensure(state, &user).await?;
    state.store.remove_saved_tracks(&user, &ids).await?;
    Ok(HttpResponse::Ok().finish())
}

async fn contains(
    state: &ApiState,
    bearer: &Bearer,
    ids: Vec<String>,
) -> Result<HttpResponse, ApiError> {
    let user = bearer.user()?;
    bearer.require("user-library-read")?;
    ensure(state, &user).await?;
    let saved = state.store.saved_among(&user, &ids).await?;
    let answer: Vec<bool> = ids.iter().map(|id| saved.contains(id)).collect();
    Ok(HttpResponse::Ok().json(answer))
}

/// PUT /v1/me/tracks?ids=a,b (or a JSON body `{"ids":[..]}`)
#[utoipa::path(
    put,
    path = "/v1/me/tracks",
    tag = "api",
    security(("bearer" = ["user-library-modify"])),
    params(("ids" = Option<String>, Query, pattern = r"^(spotify:track:)?[0-9A-Za-z]{22}(,(spotify:track:)?[0-9A-Za-z]{22}){0,49}$", description = "Comma-separated track ids or uris (at most 50); else the body")),
    request_body(content = Option<crate::api::docs::IdsOrList>, content_type = "application/json", description = "`{\"ids\": [...]}` or the bare array, if there is no `ids` query parameter"),
    responses((status = 200, description = "Saved"), (status = 400, description = "Bad parameter or body", body = crate::api::docs::SpotifyErrorBody), (status = 401, description = "No token, or an invalid, expired or revoked one (`WWW-Authenticate: Bearer`)", body = crate::api::docs::SpotifyErrorBody), (status = 403, description = "Missing scope (`error=\"insufficient_scope\"`) or not allowed", body = crate::api::docs::SpotifyErrorBody), (status = 405, description = "Method not allowed", body = crate::api::docs::SpotifyErrorBody))
)]
pub async fn save_tracks(
    state: web::Data<ApiState>,
    bearer: Bearer,
    req: HttpRequest,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    bearer.user()?;
    save(&state, &bearer, ids_param(&req, &body.0)?).await
}

/// DELETE /v1/me/tracks?ids=a,b
#[utoipa::path(
    delete,
    path = "/v1/me/tracks",
    tag = "api",
    security(("bearer" = ["user-library-modify"])),
    params(("ids" = Option<String>, Query, pattern = r"^(spotify:track:)?[0-9A-Za-z]{22}(,(spotify:track:)?[0-9A-Za-z]{22}){0,49}$", description = "Comma-separated track ids or uris (at most 50); else the body")),
    request_body(content = Option<crate::api::docs::IdsOrList>, content_type = "application/json", description = "`{\"ids\": [...]}` or the bare array, if there is no `ids` query parameter"),
    responses((status = 200, description = "Removed"), (status = 400, description = "Bad parameter or body", body = crate::api::docs::SpotifyErrorBody), (status = 401, description = "No token, or an invalid, expired or revoked one (`WWW-Authenticate: Bearer`)", body = crate::api::docs::SpotifyErrorBody), (status = 403, description = "Missing scope (`error=\"insufficient_scope\"`) or not allowed", body = crate::api::docs::SpotifyErrorBody), (status = 405, description = "Method not allowed", body = crate::api::docs::SpotifyErrorBody))
)]
pub async fn remove_tracks(
    state: web::Data<ApiState>,
    bearer: Bearer,
    req: HttpRequest,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    bearer.user()?;
    remove(&state, &bearer, ids_param(&req, &body.0)?).await
}

/// GET /v1/me/tracks/contains?ids=a,b
#[utoipa::path(
    get,
    path = "/v1/me/tracks/contains",
    tag = "api",
    security(("bearer" = ["user-library-read"])),
    params(("ids" = String, Query, pattern = r"^(spotify:track:)?[0-9A-Za-z]{22}(,(spotify:track:)?[0-9A-Za-z]{22}){0,49}$", description = "Comma-separated track ids or uris (at most 50)")),
    responses((status = 200, description = "One boolean per id", body = Vec<bool>), (status = 400, description = "Bad parameter or body", body = crate::api::docs::SpotifyErrorBody), (status = 401, description = "No token, or an invalid, expired or revoked one (`WWW-Authenticate: Bearer`)", body = crate::api::docs::SpotifyErrorBody), (status = 403, description = "Missing scope (`error=\"insufficient_scope\"`) or not allowed", body = crate::api::docs::SpotifyErrorBody), (status = 405, description = "Method not allowed", body = crate::api::docs::SpotifyErrorBody))
)]
pub async fn tracks_contain(
    state: web::Data<ApiState>,
    bearer: Bearer,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    bearer.user()?;
    contains(&state, &bearer, ids_param(&req, &[])?).await
}

/// PUT /v1/me/library?uris=spotify:track:..
#[utoipa::path(
    put,
    path = "/v1/me/library",
    tag = "api",
    security(("bearer" = ["user-library-modify"])),
    params(("uris" = String, Query, pattern = r"^spotify:track:[0-9A-Za-z]{22}(,spotify:track:[0-9A-Za-z]{22}){0,49}$", description = "Comma-separated spotify:track: uris (at most 50; the library holds tracks only)")),
    responses((status = 200, description = "Saved"), (status = 400, description = "Bad parameter or body", body = crate::api::docs::SpotifyErrorBody), (status = 401, description = "No token, or an invalid, expired or revoked one (`WWW-Authenticate: Bearer`)", body = crate::api::docs::SpotifyErrorBody), (status = 403, description = "Missing scope (`error=\"insufficient_scope\"`) or not allowed", body = crate::api::docs::SpotifyErrorBody), (status = 405, description = "Method not allowed", body = crate::api::docs::SpotifyErrorBody))
)]
pub async fn library_add(
    state: web::Data<ApiState>,
    bearer: Bearer,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    bearer.user()?;
    save(&state, &bearer, uris_param(&req)?).await
}

/// DELETE /v1/me/library?uris=spotify:track:..
#[utoipa::path(
    delete,
    path = "/v1/me/library",
    tag = "api",
    security(("bearer" = ["user-library-modify"])),
    params(("uris" = String, Query, pattern = r"^spotify:track:[0-9A-Za-z]{22}(,spotify:track:[0-9A-Za-z]{22}){0,49}$", description = "Comma-separated spotify:track: uris (at most 50; the library holds tracks only)")),
    responses((status = 200, description = "Removed"), (status = 400, description = "Bad parameter or body", body = crate::api::docs::SpotifyErrorBody), (status = 401, description = "No token, or an invalid, expired or revoked one (`WWW-Authenticate: Bearer`)", body = crate::api::docs::SpotifyErrorBody), (status = 403, description = "Missing scope (`error=\"insufficient_scope\"`) or not allowed", body = crate::api::docs::SpotifyErrorBody), (status = 405, description = "Method not allowed", body = crate::api::docs::SpotifyErrorBody))
)]
pub async fn library_remove(
    state: web::Data<ApiState>,
    bearer: Bearer,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    bearer.user()?;
    remove(&state, &bearer, uris_param(&req)?).await
}

/// GET /v1/me/library/contains?uris=spotify:track:..
#[utoipa::path(
    get,
    path = "/v1/me/library/contains",
    tag = "api",
    security(("bearer" = ["user-library-read"])),
    params(("uris" = String, Query, pattern = r"^spotify:track:[0-9A-Za-z]{22}(,spotify:track:[0-9A-Za-z]{22}){0,49}$", description = "Comma-separated spotify:track: uris (at most 50; the library holds tracks only)")),
    responses((status = 200, description = "One boolean per uri", body = Vec<bool>), (status = 400, description = "Bad parameter or body", body = crate::api::docs::SpotifyErrorBody), (status = 401, description = "No token, or an invalid, expired or revoked one (`WWW-Authenticate: Bearer`)", body = crate::api::docs::SpotifyErrorBody), (status = 403, description = "Missing scope (`error=\"insufficient_scope\"`) or not allowed", body = crate::api::docs::SpotifyErrorBody), (status = 405, description = "Method not allowed", body = crate::api::docs::SpotifyErrorBody))
)]
pub async fn library_contains(
    state: web::Data<ApiState>,
    bearer: Bearer,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    bearer.user()?;
    contains(&state, &bearer, uris_param(&req)?).await
}

/// GET /v1/me/top/{artists|tracks}: a stable per-user ranking of the user's
/// saved tracks, different for each `time_range`.
#[utoipa::path(
    get,
    path = "/v1/me/top/{kind}",
    tag = "api",
    security(("bearer" = ["user-top-read"])),
    params(("kind" = String, Path, pattern = r"^(artists|tracks)$", description = "`artists` or `tracks`"), ("time_range" = Option<String>, Query, pattern = r"^(short_term|medium_term|long_term)$", description = "`short_term`, `medium_term` (default) or `long_term`"), ("limit" = Option<i64>, Query, minimum = 1, maximum = 50, description = "1 to 50, default 20"), ("offset" = Option<i64>, Query, minimum = 0, maximum = 100000, description = "default 0")),
    responses((status = 200, description = "A page of FullArtist or FullTrack objects", body = crate::api::params::Page<Object>), (status = 400, description = "Bad parameter or body", body = crate::api::docs::SpotifyErrorBody), (status = 401, description = "No token, or an invalid, expired or revoked one (`WWW-Authenticate: Bearer`)", body = crate::api::docs::SpotifyErrorBody), (status = 403, description = "Missing scope (`error=\"insufficient_scope\"`) or not allowed", body = crate::api::docs::SpotifyErrorBody), (status = 404, description = "No such resource", body = crate::api::docs::SpotifyErrorBody), (status = 405, description = "Method not allowed", body = crate::api::docs::SpotifyErrorBody))
)]
pub async fn top(
    state: web::Data<ApiState>,
    bearer: Bearer,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let user = bearer.user()?;
    let kind = path.into_inner();
    if kind != "artists" && kind != "tracks" {
        return Err(ApiError::NotFound("Service not found".into()));
    }
    bearer.require("user-top-read")?;
    let q = Query::of(&req);
    let range = q.get("time_range").unwrap_or("medium_term");
    if !["short_term", "medium_term", "long_term"].contains(&range) {
        return Err(ApiError::bad("Invalid time range"));
    }
    let paging = q.paging(20, 50, 100_000)?;
    ensure(&state, &user).await?;
    let saved = state.store.saved_tracks(&user, 500, 0).await?.items;
    let mut ranked: Vec<_> = saved.into_iter().map(|(_, t)| t).collect();
    ranked.sort_by_key(|t| crate::store::digest(&format!("{user}:{range}:{}", t.id)));
    ranked.truncate(MAX_TOP);
    let links = Links::new(&state.settings.public_url());
    let href = links.api(&format!("me/top/{kind}"));
    let extra = [("time_range", range)];
    let window = |total: usize| {
        let start = (paging.offset as usize).min(total);
        start..(start + paging.limit as usize).min(total)
    };
    if kind == "tracks" {
        let items: Vec<_> = ranked[window(ranked.len())]
            .iter()
            .map(|t| FullTrack::new(&links, t))
            .collect();
        return Ok(HttpResponse::Ok().json(Page::new(
            &href,
            &extra,
            paging,
            ranked.len() as i64,
            items,
        )));
    }
    let mut artist_ids: Vec<String> = Vec::new();
    for t in &ranked {
        if !artist_ids.contains(&t.album.artist_id) {
            artist_ids.push(t.album.artist_id.clone());
        }
    }
    let total = artist_ids.len();
    let wanted = artist_ids[window(total)].to_vec();
    let artists = state.store.artists_by_ids(&wanted).await?;
    let items: Vec<_> = artists.iter().map(|a| FullArtist::new(&links, a)).collect();
    Ok(HttpResponse::Ok().json(Page::new(&href, &extra, paging, total as i64, items)))
}
