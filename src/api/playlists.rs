//! Playlists: the user's lists, reading one, creating one, adding tracks.
//! Spotify's 2026 paths (`/me/playlists`, `/playlists/{id}/items`) and the
//! older ones (`/users/{id}/playlists`, `/playlists/{id}/tracks`) are served
//! alike.

use super::auth::Bearer;
use super::error::ApiError;
use super::ids::{Kind, SpotifyId};
use super::library::ensure;
use super::model::{FullPlaylist, Links, PlaylistItem, SimplifiedPlaylist, SnapshotId};
use super::params::{json_body, list_body, Body, ListBody, Page, Paging, Query};
use crate::api::ApiState;
use crate::domain::Username;
use crate::store::{NewPlaylist, PlaylistRecord};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

const MAX_NAME: usize = 100;
const MAX_DESCRIPTION: usize = 300;
const MAX_ADD: usize = 100;

/// GET /v1/me/playlists
#[utoipa::path(
    get,
    path = "/v1/me/playlists",
    tag = "api",
    security(("bearer" = ["playlist-read-private"])),
    params(("limit" = Option<i64>, Query, minimum = 1, maximum = 50, description = "1 to 50, default 20"), ("offset" = Option<i64>, Query, minimum = 0, maximum = 100000, description = "default 0")),
    responses((status = 200, description = "The user's playlists", body = crate::api::params::Page<crate::api::model::SimplifiedPlaylist>), (status = 400, description = "Bad parameter or body", body = crate::api::docs::SpotifyErrorBody), (status = 401, description = "No token, or an invalid, expired or revoked one (`WWW-Authenticate: Bearer`)", body = crate::api::docs::SpotifyErrorBody), (status = 403, description = "Missing scope (`error=\"insufficient_scope\"`) or not allowed", body = crate::api::docs::SpotifyErrorBody), (status = 405, description = "Method not allowed", body = crate::api::docs::SpotifyErrorBody))
)]
pub async fn mine(
    state: web::Data<ApiState>,
    bearer: Bearer,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let user = bearer.user()?;
    bearer.require("playlist-read-private")?;
    let paging = Query::of(&req).paging(20, 50, 100_000)?;
    ensure(&state, &user).await?;
    let slice = state
        .store
        .user_playlists(&user, false, paging.limit, paging.offset)
        .await?;
    let links = Links::new(&state.settings.public_url());
    let items: Vec<_> = slice
        .items
        .iter()
        .map(|p| SimplifiedPlaylist::new(&links, p))
        .collect();
    Ok(HttpResponse::Ok().json(Page::new(
        &links.api("me/playlists"),
        &[],
        paging,
        slice.total,
        items,
    )))
}

/// GET /v1/users/{user_id}/playlists: public lists of anyone; a user asking
/// for their own with playlist-read-private also sees the private ones.
#[utoipa::path(
    get,
    path = "/v1/users/{user_id}/playlists",
    tag = "api",
    security(("bearer" = [])),
    params(("user_id" = String, Path, pattern = r"^[a-z0-9][a-z0-9._-]{0,63}$", description = "User id"), ("limit" = Option<i64>, Query, minimum = 1, maximum = 50, description = "1 to 50, default 20"), ("offset" = Option<i64>, Query, minimum = 0, maximum = 100000, description = "default 0")),
    responses((status = 200, description = "The user's public playlists (and private ones for their owner with playlist-read-private)", body = crate::api::params::Page<crate::api::model::SimplifiedPlaylist>), (status = 400, description = "Bad parameter or body", body = crate::api::docs::SpotifyErrorBody), (status = 401, description = "No token, or an invalid, expired or revoked one (`WWW-Authenticate: Bearer`)", body = crate::api::docs::SpotifyErrorBody), (status = 404, description = "No such resource", body = crate::api::docs::SpotifyErrorBody), (status = 405, description = "Method not allowed", body = crate::api::docs::SpotifyErrorBody))
)]
pub async fn of_user(
    state: web::Data<ApiState>,
    bearer: Bearer,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let paging = Query::of(&req).paging(20, 50, 100_000)?;
    let owner = Username::parse(&path).map_err(|_| ApiError::bad("Invalid username"))?;
    if state.store.user(&owner).await?.is_none() {
        return Err(ApiError::not_found());
    }
    let own = bearer.user_opt().as_ref() == Some(&owner) && bearer.has("playlist-read-private");
    // Seeding is deterministic, so seeding another user's library on a read
    // shows what they would have had anyway.
    ensure(&state, &owner).await?;
    let slice = state
        .store
        .user_playlists(&owner, !own, paging.limit, paging.offset)
        .await?;
    let links = Links::new(&state.settings.public_url());
    let items: Vec<_> = slice
        .items
        .iter()
        .map(|p| SimplifiedPlaylist::new(&links, p))
        .collect();
    Ok(HttpResponse::Ok().json(Page::new(
        &links.api(&format!("users/{owner}/playlists")),
        &[],
        paging,
        slice.total,
        items,
    )))
}

/// Loads a playlist the token may read: public ones for anyone; private ones
/// only for their owner with playlist-read-private, 404 for everyone else.
async fn readable(
    state: &ApiState,
    bearer: &Bearer,
    raw_id: &str,
) -> Result<PlaylistRecord, ApiError> {
    let id = SpotifyId::parse(raw_id).ok_or_else(|| ApiError::bad("Invalid playlist Id"))?;
    let p = state
        .store
        .playlist(id.as_str())
        .await?
        .ok_or_else(ApiError::not_found)?;
    if !p.public {
        match bearer.user_opt() {
            Some(u) if u.as_str() == p.owner_id => bearer.require("playlist-read-private")?,
            _ => return Err(ApiError::not_found()),
        }
    }
    Ok(p)
}

async fn items_page(
    state: &ApiState,
    links: &Links,
    p: &PlaylistRecord,
    paging: Paging,
) -> Result<Page<PlaylistItem>, ApiError> {
    let slice = state
        .store
        .playlist_items(&p.id, paging.limit, paging.offset)
        .await?;
    let items = slice
        .items
        .iter()
        .map(|e| PlaylistItem::new(links, e, &p.owner_name))
        .collect();
    Ok(Page::new(
        &links.api(&format!("playlists/{}/items", p.id)),
        &[],
        paging,
        slice.total,
        items,
    ))
}

/// GET /v1/playlists/{id}
#[utoipa::path(
    get,
    path = "/v1/playlists/{id}",
    tag = "api",
    security(("bearer" = ["playlist-read-private"])),
    params(("id" = String, Path, pattern = r"^[0-9A-Za-z]{22}$", description = "Spotify id"), ("market" = Option<String>, Query, description = "ISO 3166-1 country code; accepted and ignored"), ("fields" = Option<String>, Query, description = "Accepted and ignored")),
    responses((status = 200, description = "A playlist with its first page of items", body = crate::api::model::FullPlaylist), (status = 400, description = "Bad parameter or body", body = crate::api::docs::SpotifyErrorBody), (status = 401, description = "No token, or an invalid, expired or revoked one (`WWW-Authenticate: Bearer`)", body = crate::api::docs::SpotifyErrorBody), (status = 403, description = "Missing scope (`error=\"insufficient_scope\"`) or not allowed", body = crate::api::docs::SpotifyErrorBody), (status = 404, description = "No such resource", body = crate::api::docs::SpotifyErrorBody), (status = 405, description = "Method not allowed", body = crate::api::docs::SpotifyErrorBody))
)]
pub async fn get(
    state: web::Data<ApiState>,
    bearer: Bearer,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let p = readable(&state, &bearer, &path).await?;
    let links = Links::new(&state.settings.public_url());
    let page = items_page(
        &state,
        &links,
        &p,
        Paging {
            limit: 100,
            offset: 0,
        },
    )
    .await?;
    Ok(HttpResponse::Ok().json(FullPlaylist::new(&links, &p, page)))
}

/// GET /v1/playlists/{id}/items (and /tracks)
#[utoipa::path(
    get,
    path = "/v1/playlists/{id}/items",
    tag = "api",
    security(("bearer" = ["playlist-read-private"])),
    params(("id" = String, Path, pattern = r"^[0-9A-Za-z]{22}$", description = "Spotify id"), ("limit" = Option<i64>, Query, minimum = 1, maximum = 100, description = "1 to 100, default 100"), ("offset" = Option<i64>, Query, minimum = 0, maximum = 100000, description = "default 0"), ("market" = Option<String>, Query, description = "ISO 3166-1 country code; accepted and ignored")),
    responses((status = 200, description = "A page of items (also served at `/tracks`)", body = crate::api::params::Page<crate::api::model::PlaylistItem>), (status = 400, description = "Bad parameter or body", body = crate::api::docs::SpotifyErrorBody), (status = 401, description = "No token, or an invalid, expired or revoked one (`WWW-Authenticate: Bearer`)", body = crate::api::docs::SpotifyErrorBody), (status = 403, description = "Missing scope (`error=\"insufficient_scope\"`) or not allowed", body = crate::api::docs::SpotifyErrorBody), (status = 404, description = "No such resource", body = crate::api::docs::SpotifyErrorBody), (status = 405, description = "Method not allowed", body = crate::api::docs::SpotifyErrorBody))
)]
pub async fn items(
    state: web::Data<ApiState>,
    bearer: Bearer,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let paging = Query::of(&req).paging(100, 100, 100_000)?;
    let p = readable(&state, &bearer, &path).await?;
    let links = Links::new(&state.settings.public_url());
    Ok(HttpResponse::Ok().json(items_page(&state, &links, &p, paging).await?))
}

#[derive(Deserialize)]
struct CreateBody {
    name: Option<String>,
    public: Option<bool>,
    collaborative: Option<bool>,
    description: Option<String>,
}

/// POST /v1/me/playlists
#[utoipa::path(
    post,
    path = "/v1/me/playlists",
    tag = "api",
    security(("bearer" = ["playlist-modify-public", "playlist-modify-private"])),
    request_body(content = crate::api::docs::CreatePlaylistBody, content_type = "application/json", description = "The new playlist"),
    responses((status = 201, description = "The new playlist", body = crate::api::model::FullPlaylist), (status = 400, description = "Bad parameter or body", body = crate::api::docs::SpotifyErrorBody), (status = 401, description = "No token, or an invalid, expired or revoked one (`WWW-Authenticate: Bearer`)", body = crate::api::docs::SpotifyErrorBody), (status = 403, description = "Missing scope (`error=\"insufficient_scope\"`) or not allowed", body = crate::api::docs::SpotifyErrorBody), (status = 405, description = "Method not allowed", body = crate::api::docs::SpotifyErrorBody))
)]
pub async fn create_mine(
    state: web::Data<ApiState>,
    bearer: Bearer,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    let user = bearer.user()?;
    create(&state, &bearer, user, &body.0).await
}

/// POST /v1/users/{user_id}/playlists: only for oneself.
#[utoipa::path(
    post,
    path = "/v1/users/{user_id}/playlists",
    tag = "api",
    security(("bearer" = ["playlist-modify-public", "playlist-modify-private"])),
    params(("user_id" = String, Path, pattern = r"^[a-z0-9][a-z0-9._-]{0,63}$", description = "Must be the current user")),
    request_body(content = crate::api::docs::CreatePlaylistBody, content_type = "application/json", description = "The new playlist"),
    responses((status = 201, description = "The new playlist", body = crate::api::model::FullPlaylist), (status = 400, description = "Bad parameter or body", body = crate::api::docs::SpotifyErrorBody), (status = 401, description = "No token, or an invalid, expired or revoked one (`WWW-Authenticate: Bearer`)", body = crate::api::docs::SpotifyErrorBody), (status = 403, description = "Missing scope (`error=\"insufficient_scope\"`) or not allowed", body = crate::api::docs::SpotifyErrorBody), (status = 405, description = "Method not allowed", body = crate::api::docs::SpotifyErrorBody))
)]
pub async fn create_for_user(
    state: web::Data<ApiState>,
    bearer: Bearer,
    path: web::Path<String>,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    let user = bearer.user()?;
    if path.as_str() != user.as_str() {
        return Err(ApiError::Forbidden(
            "You cannot create a playlist for another user".into(),
        ));
    }
    create(&state, &bearer, user, &body.0).await
}

async fn create(
    state: &ApiState,
    bearer: &Bearer,
    user: Username,
    body: &[u8],
) -> Result<HttpResponse, ApiError> {
    let body: CreateBody = json_body(body)?.ok_or_else(|| ApiError::bad("Missing body"))?;
    let public = body.public.unwrap_or(true);
    let collaborative = body.collaborative.unwrap_or(false);
    bearer.require(if public {
        "playlist-modify-public"
    } else {
        "playlist-modify-private"
    })?;
    let name = body.name.unwrap_or_default();
    let name = name.trim();
    if name.is_empty() {
        return Err(ApiError::bad("Missing required field: name"));
    }
    if name.chars().count() > MAX_NAME {
        return Err(ApiError::bad("Playlist name too long"));
    }
    let description = body.description.unwrap_or_default();
    if description.chars().count() > MAX_DESCRIPTION {
        return Err(ApiError::bad("Playlist description too long"));
    }
    // PostgreSQL refuses NUL in text; Spotify has no names with one either.
    if name.contains('\0') || description.contains('\0') {
        return Err(ApiError::bad(
            "Invalid character in playlist name or description",
        ));
    }
    if collaborative && public {
        return Err(ApiError::bad("Collaborative playlists can only be private"));
    }
    ensure(state, &user).await?;
    let id = SpotifyId::derive(&uuid::Uuid::new_v4().to_string());
    let new = NewPlaylist {
        id: id.as_str().to_owned(),
        name: name.to_owned(),
        description,
        public,
        collaborative,
        track_ids: Vec::new(),
    };
    state
        .store
        .create_playlist(&user, &new, state.clock.now())
        .await?;
    let p = state
        .store
        .playlist(id.as_str())
        .await?
        .ok_or_else(ApiError::not_found)?;
    let links = Links::new(&state.settings.public_url());
    let page = items_page(
        state,
        &links,
        &p,
        Paging {
            limit: 100,
            offset: 0,
        },
    )
    .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", links.api(&format!("playlists/{}", p.id))))
        .json(FullPlaylist::new(&links, &p, page)))
}

#[derive(Deserialize)]
struct AddBody {
    uris: Option<Vec<String>>,
    position: Option<i64>,
}

/// POST /v1/playlists/{id}/items (and /tracks): `uris` and `position` in a
/// JSON body or the query string, or the bare array of uris as the body
/// with `position` in the query.
#[utoipa::path(
    post,
    path = "/v1/playlists/{id}/items",
    tag = "api",
    security(("bearer" = ["playlist-modify-public", "playlist-modify-private"])),
    params(("id" = String, Path, pattern = r"^[0-9A-Za-z]{22}$", description = "Spotify id"), ("uris" = Option<String>, Query, pattern = r"^spotify:track:[0-9A-Za-z]{22}(,spotify:track:[0-9A-Za-z]{22}){0,99}$", description = "Comma-separated track uris (at most 100), if the body has none"), ("position" = Option<i64>, Query, minimum = 0, description = "Insert position (default: the end)")),
    request_body(content = Option<crate::api::docs::AddItemsOrList>, content_type = "application/json", description = "`{\"uris\": [...], \"position\"?}` or the bare array of uris; else the query"),
    responses((status = 201, description = "Added", body = crate::api::model::SnapshotId), (status = 400, description = "Bad parameter or body", body = crate::api::docs::SpotifyErrorBody), (status = 401, description = "No token, or an invalid, expired or revoked one (`WWW-Authenticate: Bearer`)", body = crate::api::docs::SpotifyErrorBody), (status = 403, description = "Missing scope (`error=\"insufficient_scope\"`) or not allowed", body = crate::api::docs::SpotifyErrorBody), (status = 404, description = "No such resource", body = crate::api::docs::SpotifyErrorBody), (status = 405, description = "Method not allowed", body = crate::api::docs::SpotifyErrorBody))
)]
pub async fn add(
    state: web::Data<ApiState>,
    bearer: Bearer,
    req: HttpRequest,
    path: web::Path<String>,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    let user = bearer.user()?;
    // Adding needs only the modify scope: the owner need not be able to read
    // a private list to append to it. Other users' private lists stay hidden.
    let id = SpotifyId::parse(&path).ok_or_else(|| ApiError::bad("Invalid playlist Id"))?;
    let p = state
        .store
        .playlist(id.as_str())
        .await?
        .ok_or_else(ApiError::not_found)?;
    if p.owner_id != user.as_str() {
        return Err(if p.public {
            ApiError::Forbidden("Forbidden".into())
        } else {
            ApiError::not_found()
        });
    }
    bearer.require(if p.public {
        "playlist-modify-public"
    } else {
        "playlist-modify-private"
    })?;
    let query = Query::of(&req);
    let query_position = || {
        query
            .get("position")
            .map(|s| {
                s.parse::<i64>()
                    .map_err(|_| ApiError::bad("Invalid position"))
            })
            .transpose()
    };
    let (uris, position) = match list_body::<AddBody>(&body.0)? {
        // spotipy's playlist_add_items: the bare array, position in the query.
        Some(ListBody::Bare(uris)) => (uris, query_position()?),
        Some(ListBody::Object(AddBody {
            uris: Some(uris),
            position,
        })) => (uris, position),
        other => {
            let uris = query
                .get("uris")
                .map(|u| u.split(',').map(str::to_owned).collect())
                .ok_or_else(|| ApiError::bad("No uris provided"))?;
            let position = match other {
                Some(ListBody::Object(AddBody {
                    position: Some(p), ..
                })) => Some(p),
                _ => query_position()?,
            };
            (uris, position)
        }
    };
    if uris.is_empty() {
        return Err(ApiError::bad("No uris provided"));
    }
    if uris.len() > MAX_ADD {
        return Err(ApiError::bad("Too many ids requested"));
    }
    if position.is_some_and(|p| p < 0) {
        return Err(ApiError::bad("Invalid position"));
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
    let version = state
        .store
        .add_playlist_tracks(&p.id, &ids, position, &user, state.clock.now())
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(HttpResponse::Created().json(SnapshotId {
        snapshot_id: super::model::snapshot_id(&p.id, version),
    }))
}
