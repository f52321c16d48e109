//! The catalog: tracks, albums and artists by id, and search. Readable with
//! any valid token, including client-credentials ones.

use super::auth::Bearer;
use super::error::ApiError;
use super::ids::SpotifyId;
use super::model::{
    ArtistAlbum, Artists, FullAlbum, FullArtist, FullTrack, Links, SimplifiedAlbum,
    SimplifiedPlaylist, SimplifiedTrack, TopTracks, Tracks,
};
use super::params::{Page, Paging, Query};
use crate::api::ApiState;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{Map, Value};

const SEARCH_TYPES: &[&str] = &[
    "album",
    "artist",
    "playlist",
    "track",
    "show",
    "episode",
    "audiobook",
];
const MAX_QUERY_CHARS: usize = 250;
const MAX_WORDS: usize = 10;

fn parse_id(raw: &str) -> Result<SpotifyId, ApiError> {
    SpotifyId::parse(raw).ok_or_else(|| ApiError::bad("invalid id"))
}

/// GET /v1/tracks/{id}
#[utoipa::path(
    get,
    path = "/v1/tracks/{id}",
    tag = "api",
    security(("bearer" = [])),
    params(("id" = String, Path, pattern = r"^[0-9A-Za-z]{22}$", description = "Spotify id"), ("market" = Option<String>, Query, description = "ISO 3166-1 country code; accepted and ignored")),
    responses((status = 200, description = "A track", body = crate::api::model::FullTrack), (status = 400, description = "Bad parameter or body", body = crate::api::docs::SpotifyErrorBody), (status = 401, description = "No token, or an invalid, expired or revoked one (`WWW-Authenticate: Bearer`)", body = crate::api::docs::SpotifyErrorBody), (status = 404, description = "No such resource", body = crate::api::docs::SpotifyErrorBody), (status = 405, description = "Method not allowed", body = crate::api::docs::SpotifyErrorBody))
)]
pub async fn track(
    state: web::Data<ApiState>,
    _bearer: Bearer,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&path)?;
    let t = state
        .store
        .track(id.as_str())
        .await?
        .ok_or_else(ApiError::not_found)?;
    let links = Links::new(&state.settings.public_url());
    Ok(HttpResponse::Ok().json(FullTrack::new(&links, &t)))
}

/// GET /v1/albums/{id}, with its tracks as a paging object.
#[utoipa::path(
    get,
    path = "/v1/albums/{id}",
    tag = "api",
    security(("bearer" = [])),
    params(("id" = String, Path, pattern = r"^[0-9A-Za-z]{22}$", description = "Spotify id"), ("market" = Option<String>, Query, description = "ISO 3166-1 country code; accepted and ignored")),
    responses((status = 200, description = "An album", body = crate::api::model::FullAlbum), (status = 400, description = "Bad parameter or body", body = crate::api::docs::SpotifyErrorBody), (status = 401, description = "No token, or an invalid, expired or revoked one (`WWW-Authenticate: Bearer`)", body = crate::api::docs::SpotifyErrorBody), (status = 404, description = "No such resource", body = crate::api::docs::SpotifyErrorBody), (status = 405, description = "Method not allowed", body = crate::api::docs::SpotifyErrorBody))
)]
pub async fn album(
    state: web::Data<ApiState>,
    _bearer: Bearer,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&path)?;
    let a = state
        .store
        .album(id.as_str())
        .await?
        .ok_or_else(ApiError::not_found)?;
    let tracks = state.store.album_tracks(id.as_str()).await?;
    let links = Links::new(&state.settings.public_url());
    let items: Vec<_> = tracks
        .iter()
        .map(|t| SimplifiedTrack::new(&links, t))
        .collect();
    let page = Page::new(
        &links.api(&format!("albums/{id}/tracks")),
        &[],
        Paging {
            limit: 50,
            offset: 0,
        },
        items.len() as i64,
        items,
    );
    Ok(HttpResponse::Ok().json(FullAlbum::new(&links, &a, page)))
}

/// GET /v1/albums/{id}/tracks
#[utoipa::path(
    get,
    path = "/v1/albums/{id}/tracks",
    tag = "api",
    security(("bearer" = [])),
    params(("id" = String, Path, pattern = r"^[0-9A-Za-z]{22}$", description = "Spotify id"), ("limit" = Option<i64>, Query, minimum = 1, maximum = 50, description = "1 to 50, default 20"), ("offset" = Option<i64>, Query, minimum = 0, maximum = 100000, description = "default 0"), ("market" = Option<String>, Query, description = "ISO 3166-1 country code; accepted and ignored")),
    responses((status = 200, description = "The album's tracks", body = crate::api::params::Page<crate::api::model::SimplifiedTrack>), (status = 400, description = "Bad parameter or body", body = crate::api::docs::SpotifyErrorBody), (status = 401, description = "No token, or an invalid, expired or revoked one (`WWW-Authenticate: Bearer`)", body = crate::api::docs::SpotifyErrorBody), (status = 404, description = "No such resource", body = crate::api::docs::SpotifyErrorBody), (status = 405, description = "Method not allowed", body = crate::api::docs::SpotifyErrorBody))
)]
pub async fn album_tracks(
    state: web::Data<ApiState>,
    _bearer: Bearer,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let paging = Query::of(&req).paging(20, 50, 100_000)?;
    let id = parse_id(&path)?;
    if state.store.album(id.as_str()).await?.is_none() {
        return Err(ApiError::not_found());
    }
    let tracks = state.store.album_tracks(id.as_str()).await?;
    let links = Links::new(&state.settings.public_url());
    let total = tracks.len() as i64;
    let items: Vec<_> = tracks
        .iter()
        .skip(paging.offset as usize)
        .take(paging.limit as usize)
        .map(|t| SimplifiedTrack::new(&links, t))
        .collect();
    Ok(HttpResponse::Ok().json(Page::new(
        &links.api(&format!("albums/{id}/tracks")),
        &[],
        paging,
        total,
        items,
    )))
}

/// GET /v1/artists/{id}
#[utoipa::path(
    get,
    path = "/v1/artists/{id}",
    tag = "api",
    security(("bearer" = [])),
    params(("id" = String, Path, pattern = r"^[0-9A-Za-z]{22}$", description = "Spotify id")),
    responses((status = 200, description = "An artist", body = crate::api::model::FullArtist), (status = 400, description = "Bad parameter or body", body = crate::api::docs::SpotifyErrorBody), (status = 401, description = "No token, or an invalid, expired or revoked one (`WWW-Authenticate: Bearer`)", body = crate::api::docs::SpotifyErrorBody), (status = 404, description = "No such resource", body = crate::api::docs::SpotifyErrorBody), (status = 405, description = "Method not allowed", body = crate::api::docs::SpotifyErrorBody))
)]
pub async fn artist(
    state: web::Data<ApiState>,
    _bearer: Bearer,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&path)?;
    let a = state
        .store
        .artist(id.as_str())
        .await?
        .ok_or_else(ApiError::not_found)?;
    let links = Links::new(&state.settings.public_url());
    Ok(HttpResponse::Ok().json(FullArtist::new(&links, &a)))
}

/// Ids of a several-items call: `?ids=a,b` (at most `max`, each a bare
/// Spotify id).
fn several_ids(req: &HttpRequest, max: usize) -> Result<Vec<SpotifyId>, ApiError> {
    let raw = Query::of(req)
        .get("ids")
        .map(str::to_owned)
        .ok_or_else(|| ApiError::bad("Missing required parameter: ids"))?;
    let ids: Vec<&str> = raw.split(',').collect();
    if ids.len() > max {
        return Err(ApiError::bad("Too many ids requested"));
    }
    ids.into_iter().map(parse_id).collect()
}

/// GET /v1/tracks?ids=a,b (withdrawn from development mode in February 2026)
#[utoipa::path(
    get,
    path = "/v1/tracks",
    tag = "api",
    security(("bearer" = [])),
    description = "Spotify withdrew this call from development-mode apps in February 2026: it answers 403 `Forbidden` unless the token's client has extended quota (`extended_quota` client setting).",
    params(("ids" = String, Query, pattern = r"^[0-9A-Za-z]{22}(,[0-9A-Za-z]{22}){0,49}$", description = "Comma-separated track ids (at most 50)"), ("market" = Option<String>, Query, description = "ISO 3166-1 country code; accepted and ignored")),
    responses((status = 200, description = "The tracks, `null` for unknown ids", body = crate::api::model::Tracks), (status = 400, description = "Bad parameter or body", body = crate::api::docs::SpotifyErrorBody), (status = 401, description = "No token, or an invalid, expired or revoked one (`WWW-Authenticate: Bearer`)", body = crate::api::docs::SpotifyErrorBody), (status = 403, description = "Development mode (the client has no extended quota)", body = crate::api::docs::SpotifyErrorBody), (status = 405, description = "Method not allowed", body = crate::api::docs::SpotifyErrorBody))
)]
pub async fn several_tracks(
    state: web::Data<ApiState>,
    bearer: Bearer,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    bearer.require_extended_quota(&state).await?;
    let ids: Vec<String> = several_ids(&req, 50)?
        .iter()
        .map(|id| id.as_str().to_owned())
        .collect();
    let found = state.store.tracks_by_ids(&ids).await?;
    let links = Links::new(&state.settings.public_url());
    let tracks = in_request_order(&ids, &found, |t| &t.id, |t| FullTrack::new(&links, t));
    Ok(HttpResponse::Ok().json(Tracks { tracks }))
}

/// GET /v1/artists?ids=a,b (withdrawn from development mode in February 2026)
#[utoipa::path(
    get,
    path = "/v1/artists",
    tag = "api",
    security(("bearer" = [])),
    description = "Spotify withdrew this call from development-mode apps in February 2026: it answers 403 `Forbidden` unless the token's client has extended quota (`extended_quota` client setting).",
    params(("ids" = String, Query, pattern = r"^[0-9A-Za-z]{22}(,[0-9A-Za-z]{22}){0,49}$", description = "Comma-separated artist ids (at most 50)")),
    responses((status = 200, description = "The artists, `null` for unknown ids", body = crate::api::model::Artists), (status = 400, description = "Bad parameter or body", body = crate::api::docs::SpotifyErrorBody), (status = 401, description = "No token, or an invalid, expired or revoked one (`WWW-Authenticate: Bearer`)", body = crate::api::docs::SpotifyErrorBody), (status = 403, description = "Development mode (the client has no extended quota)", body = crate::api::docs::SpotifyErrorBody), (status = 405, description = "Method not allowed", body = crate::api::docs::SpotifyErrorBody))
)]
pub async fn several_artists(
    state: web::Data<ApiState>,
    bearer: Bearer,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    bearer.require_extended_quota(&state).await?;
    let ids: Vec<String> = several_ids(&req, 50)?
        .iter()
        .map(|id| id.as_str().to_owned())
        .collect();
    let found = state.store.artists_by_ids(&ids).await?;
    let links = Links::new(&state.settings.public_url());
    let artists = in_request_order(&ids, &found, |a| &a.id, |a| FullArtist::new(&links, a));
    Ok(HttpResponse::Ok().json(Artists { artists }))
}

/// What several-ids calls answer: one entry per requested id, in the
/// request's order, `null` for an unknown one (as Spotify does).
fn in_request_order<R, T>(
    ids: &[String],
    found: &[R],
    id_of: impl Fn(&R) -> &String,
    make: impl Fn(&R) -> T,
) -> Vec<Option<T>> {
    ids.iter()
        .map(|id| found.iter().find(|r| id_of(r) == id).map(&make))
        .collect()
}

/// Tracks listed by GET /v1/artists/{id}/top-tracks.
const TOP_TRACKS: i64 = 10;

/// GET /v1/artists/{id}/top-tracks (withdrawn from development mode in
/// February 2026)
#[utoipa::path(
    get,
    path = "/v1/artists/{id}/top-tracks",
    tag = "api",
    security(("bearer" = [])),
    description = "Spotify withdrew this call from development-mode apps in February 2026: it answers 403 `Forbidden` unless the token's client has extended quota (`extended_quota` client setting).",
    params(("id" = String, Path, pattern = r"^[0-9A-Za-z]{22}$", description = "Spotify id"), ("market" = Option<String>, Query, description = "ISO 3166-1 country code; accepted and ignored")),
    responses((status = 200, description = "The artist's ten most popular tracks", body = crate::api::model::TopTracks), (status = 400, description = "Bad parameter or body", body = crate::api::docs::SpotifyErrorBody), (status = 401, description = "No token, or an invalid, expired or revoked one (`WWW-Authenticate: Bearer`)", body = crate::api::docs::SpotifyErrorBody), (status = 403, description = "Development mode (the client has no extended quota)", body = crate::api::docs::SpotifyErrorBody), (status = 404, description = "No such resource", body = crate::api::docs::SpotifyErrorBody), (status = 405, description = "Method not allowed", body = crate::api::docs::SpotifyErrorBody))
)]
pub async fn artist_top_tracks(
    state: web::Data<ApiState>,
    bearer: Bearer,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    bearer.require_extended_quota(&state).await?;
    let id = parse_id(&path)?;
    if state.store.artist(id.as_str()).await?.is_none() {
        return Err(ApiError::not_found());
    }
    let top = state
        .store
        .artist_top_tracks(id.as_str(), TOP_TRACKS)
        .await?;
    let links = Links::new(&state.settings.public_url());
    Ok(HttpResponse::Ok().json(TopTracks {
        tracks: top.iter().map(|t| FullTrack::new(&links, t)).collect(),
    }))
}

/// `include_groups` values; the catalog's albums are `album` or `single`,
/// all by their own artist.
const ALBUM_GROUPS: &[&str] = &["album", "single", "appears_on", "compilation"];

/// GET /v1/artists/{id}/albums
#[utoipa::path(
    get,
    path = "/v1/artists/{id}/albums",
    tag = "api",
    security(("bearer" = [])),
    params(("id" = String, Path, pattern = r"^[0-9A-Za-z]{22}$", description = "Spotify id"), ("include_groups" = Option<String>, Query, pattern = r"^(album|single|appears_on|compilation)(,(album|single|appears_on|compilation))*$", description = "Comma-separated: album, single, appears_on, compilation [default: all]"), ("limit" = Option<i64>, Query, minimum = 1, maximum = 50, description = "1 to 50, default 20"), ("offset" = Option<i64>, Query, minimum = 0, maximum = 100000, description = "default 0"), ("market" = Option<String>, Query, description = "ISO 3166-1 country code; accepted and ignored")),
    responses((status = 200, description = "The artist's albums, newest first", body = crate::api::params::Page<crate::api::model::ArtistAlbum>), (status = 400, description = "Bad parameter or body", body = crate::api::docs::SpotifyErrorBody), (status = 401, description = "No token, or an invalid, expired or revoked one (`WWW-Authenticate: Bearer`)", body = crate::api::docs::SpotifyErrorBody), (status = 404, description = "No such resource", body = crate::api::docs::SpotifyErrorBody), (status = 405, description = "Method not allowed", body = crate::api::docs::SpotifyErrorBody))
)]
pub async fn artist_albums(
    state: web::Data<ApiState>,
    _bearer: Bearer,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let query = Query::of(&req);
    let paging = query.paging(20, 50, 100_000)?;
    let groups_param = query.get("include_groups").unwrap_or("").to_owned();
    let mut groups: Vec<&str> = Vec::new();
    for g in groups_param.split(',').filter(|g| !g.is_empty()) {
        if !ALBUM_GROUPS.contains(&g) {
            return Err(ApiError::bad(format!("Invalid include_groups value: {g}")));
        }
        if !groups.contains(&g) {
            groups.push(g);
        }
    }
    if groups.is_empty() {
        groups = ALBUM_GROUPS.to_vec();
    }
    let id = parse_id(&path)?;
    if state.store.artist(id.as_str()).await?.is_none() {
        return Err(ApiError::not_found());
    }
    // Every album is its artist's own, so its group is its type.
    let types: Vec<&str> = groups
        .iter()
        .copied()
        .filter(|g| *g == "album" || *g == "single")
        .collect();
    let slice = state
        .store
        .artist_albums(id.as_str(), &types, paging.limit, paging.offset)
        .await?;
    let links = Links::new(&state.settings.public_url());
    let items: Vec<_> = slice
        .items
        .iter()
        .map(|a| ArtistAlbum {
            album_group: a.album_type.clone(),
            album: SimplifiedAlbum::new(&links, a),
        })
        .collect();
    let mut extra = Vec::new();
    if !groups_param.is_empty() {
        extra.push(("include_groups", groups_param.as_str()));
    }
    Ok(HttpResponse::Ok().json(Page::new(
        &links.api(&format!("artists/{id}/albums")),
        &extra,
        paging,
        slice.total,
        items,
    )))
}

/// The words of a query, lowercased; `field:value` filters count as their
/// value (the mock matches every word against the whole item).
pub fn search_words(q: &str) -> Vec<String> {
    q.split_whitespace()
        .map(|w| {
            w.rsplit(':')
                .next()
                .unwrap_or(w)
                .trim_matches('"')
                .to_lowercase()
        })
        .filter(|w| !w.is_empty())
        .take(MAX_WORDS)
        .collect()
}

/// GET /v1/search?q=&type=&limit=&offset=: one paging object per requested
/// type, each following `limit`/`offset` exactly.
#[utoipa::path(
    get,
    path = "/v1/search",
    tag = "api",
    security(("bearer" = [])),
    params(("q" = String, Query, min_length = 1, max_length = 250, pattern = r#"[^\s:"][^\s:]*(\s|$)"#, description = "Search query (`track:`, `artist:`, `album:` filters), at most 250 characters; `field:` prefixes and quotes are not words"), ("type" = String, Query, pattern = r"^(album|artist|playlist|track|show|episode|audiobook)(,(album|artist|playlist|track|show|episode|audiobook))*$", description = "Comma-separated: album, artist, playlist, track (show, episode, audiobook give empty pages)"), ("limit" = Option<i64>, Query, minimum = 1, maximum = 50, description = "1 to 50, default 20"), ("offset" = Option<i64>, Query, minimum = 0, maximum = 1000, description = "default 0"), ("market" = Option<String>, Query, description = "ISO 3166-1 country code; accepted and ignored")),
    responses((status = 200, description = "One paging object per requested type", body = crate::api::docs::SearchResult), (status = 400, description = "Bad parameter or body", body = crate::api::docs::SpotifyErrorBody), (status = 401, description = "No token, or an invalid, expired or revoked one (`WWW-Authenticate: Bearer`)", body = crate::api::docs::SpotifyErrorBody), (status = 405, description = "Method not allowed", body = crate::api::docs::SpotifyErrorBody))
)]
pub async fn search(
    state: web::Data<ApiState>,
    _bearer: Bearer,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let query = Query::of(&req);
    // `query` too: Spotify's own paging links spell it that way, and clients
    // follow those links as they are.
    let q = query
        .get("q")
        .or_else(|| query.get("query"))
        .map(str::trim)
        .unwrap_or("");
    if q.is_empty() {
        return Err(ApiError::bad("No search query"));
    }
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(ApiError::bad("Query too long"));
    }
    // No stored name has a NUL, and PostgreSQL refuses one in a text parameter.
    if q.contains('\0') {
        return Err(ApiError::bad("Invalid search query"));
    }
    let type_param = query
        .get("type")
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::bad("Missing parameter type"))?;
    let mut types: Vec<&str> = Vec::new();
    for t in type_param.split(',') {
        if !SEARCH_TYPES.contains(&t) {
            return Err(ApiError::bad(format!("Bad search type field {t}")));
        }
        if !types.contains(&t) {
            types.push(t);
        }
    }
    let paging = query.paging(20, 50, 1000)?;
    let words = search_words(q);
    if words.is_empty() {
        return Err(ApiError::bad("No search query"));
    }
    let links = Links::new(&state.settings.public_url());
    let href = links.api("search");
    let extra = [("query", q), ("type", type_param)];
    let (limit, offset) = (paging.limit, paging.offset);
    let mut out = Map::new();
    for t in types {
        let page = match t {
            "track" => {
                let s = state.store.search_tracks(&words, limit, offset).await?;
                let items: Vec<_> = s.items.iter().map(|x| FullTrack::new(&links, x)).collect();
                serde_json::to_value(Page::new(&href, &extra, paging, s.total, items))
            }
            "album" => {
                let s = state.store.search_albums(&words, limit, offset).await?;
                let items: Vec<_> = s
                    .items
                    .iter()
                    .map(|x| SimplifiedAlbum::new(&links, x))
                    .collect();
                serde_json::to_value(Page::new(&href, &extra, paging, s.total, items))
            }
            "artist" => {
                let s = state.store.search_artists(&words, limit, offset).await?;
                let items: Vec<_> = s.items.iter().map(|x| FullArtist::new(&links, x)).collect();
                serde_json::to_value(Page::new(&href, &extra, paging, s.total, items))
            }
            "playlist" => {
                let s = state.store.search_playlists(&words, limit, offset).await?;
                let items: Vec<_> = s
                    .items
                    .iter()
                    .map(|x| SimplifiedPlaylist::new(&links, x))
                    .collect();
                serde_json::to_value(Page::new(&href, &extra, paging, s.total, items))
            }
            // The catalog has no podcasts or audiobooks: empty, well-formed pages.
            _ => serde_json::to_value(Page::<Value>::new(&href, &extra, paging, 0, Vec::new())),
        }
        .map_err(|e| ApiError::bad(format!("cannot encode results: {e}")))?;
        out.insert(format!("{t}s"), page);
    }
    Ok(HttpResponse::Ok().json(Value::Object(out)))
}
