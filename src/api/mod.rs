//! The api role: a Spotify-shaped Web API under /v1, behind the provider's
//! access tokens, that real Spotify clients can be pointed at.
//!
//! Token rules: header-only Bearer JWTs, verified with the shared
//! `oauth::Tokens` (`auth::authenticate`). Client-credentials tokens read the catalog,
//! search, public playlists and public profiles; anything about "the current
//! user" (/v1/me...) answers them 401 "Valid user authentication required".

pub mod auth;
pub mod browse;
pub mod catalog;
pub mod docs;
pub mod error;
pub mod ids;
pub mod library;
pub mod me;
pub mod model;
pub mod params;
pub mod playback;
pub mod player;
pub mod playlists;

use crate::clock::Clock;
use crate::config::Settings;
use crate::faults::Faults;
use crate::oauth::Tokens;
use crate::store::Store;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, StatusCode};
use actix_web::middleware::{self, Next};
use actix_web::{web, HttpResponse, Resource, ResponseError};
use error::ApiError;
use std::sync::Arc;

/// What the api's handlers use.
#[derive(Clone)]
pub struct ApiState {
    pub settings: Arc<Settings>,
    pub store: Store,
    pub clock: Clock,
    /// Verifies the bearer tokens.
    pub tokens: Tokens,
    /// Scripted api failures (401, 429, 5xx per path).
    pub faults: Faults,
}

/// Registers the /v1 routes. A path with a trailing slash is answered as
/// the path without it, as Spotify does (spotipy asks for `me/`,
/// `albums/{id}/tracks/`, `tracks/?ids=`; spotify-web-api-node for
/// `/v1/search/`).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/v1")
            .wrap(middleware::from_fn(method_not_allowed))
            .wrap(middleware::NormalizePath::trim())
            .service(res("/me").route(web::get().to(me::me)))
            .service(res("/users/{user_id}").route(web::get().to(me::user)))
            .service(
                res("/users/{user_id}/playlists")
                    .route(web::get().to(playlists::of_user))
                    .route(web::post().to(playlists::create_for_user)),
            )
            .service(
                res("/me/player")
                    .route(web::get().to(player::state))
                    .route(web::put().to(player::commands::transfer)),
            )
            .service(
                res("/me/player/currently-playing").route(web::get().to(player::currently_playing)),
            )
            .service(res("/me/player/devices").route(web::get().to(player::devices)))
            .service(
                res("/me/player/recently-played")
                    .route(web::get().to(player::history::recently_played)),
            )
            .service(res("/me/player/play").route(web::put().to(player::commands::play)))
            .service(res("/me/player/pause").route(web::put().to(player::controls::pause)))
            .service(res("/me/player/next").route(web::post().to(player::controls::next)))
            .service(res("/me/player/previous").route(web::post().to(player::controls::previous)))
            .service(res("/me/player/seek").route(web::put().to(player::controls::seek)))
            .service(res("/me/player/volume").route(web::put().to(player::controls::volume)))
            .service(res("/me/player/shuffle").route(web::put().to(player::controls::shuffle)))
            .service(res("/me/player/repeat").route(web::put().to(player::controls::repeat)))
            .service(
                res("/me/player/queue")
                    .route(web::get().to(player::queue_view))
                    .route(web::post().to(player::controls::queue)),
            )
            .service(
                res("/me/playlists")
                    .route(web::get().to(playlists::mine))
                    .route(web::post().to(playlists::create_mine)),
            )
            .service(
                res("/me/tracks")
                    .route(web::get().to(library::saved_tracks))
                    .route(web::put().to(library::save_tracks))
                    .route(web::delete().to(library::remove_tracks)),
            )
            .service(res("/me/tracks/contains").route(web::get().to(library::tracks_contain)))
            .service(
                res("/me/library")
                    .route(web::put().to(library::library_add))
                    .route(web::delete().to(library::library_remove)),
            )
            .service(res("/me/library/contains").route(web::get().to(library::library_contains)))
            .service(res("/me/top/{kind}").route(web::get().to(library::top)))
            .service(res("/playlists/{id}").route(web::get().to(playlists::get)))
            .service(
                res("/playlists/{id}/items")
                    .route(web::get().to(playlists::items))
                    .route(web::post().to(playlists::add)),
            )
            .service(
                res("/playlists/{id}/tracks")
                    .route(web::get().to(playlists::items))
                    .route(web::post().to(playlists::add)),
            )
            .service(res("/tracks").route(web::get().to(browse::several_tracks)))
            .service(res("/tracks/{id}").route(web::get().to(browse::track)))
            .service(res("/albums/{id}").route(web::get().to(browse::album)))
            .service(res("/albums/{id}/tracks").route(web::get().to(browse::album_tracks)))
            .service(res("/artists").route(web::get().to(browse::several_artists)))
            .service(res("/artists/{id}").route(web::get().to(browse::artist)))
            .service(res("/artists/{id}/albums").route(web::get().to(browse::artist_albums)))
            .service(
                res("/artists/{id}/top-tracks").route(web::get().to(browse::artist_top_tracks)),
            )
            .service(res("/search").route(web::get().to(browse::search)))
            .default_service(web::to(|| async {
                Err::<HttpResponse, _>(ApiError::NotFound("Service not found".into()))
            })),
    );
}

/// A /v1 resource. Other methods get actix's 405, which names the allowed
/// ones in `Allow` (RFC 9110 §15.5.6); `method_not_allowed` gives it
/// Spotify's error body.
fn res(path: &str) -> Resource {
    web::resource(path)
}

/// Rewrites a 405 into Spotify's error shape, keeping its `Allow` header.
async fn method_not_allowed(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let res = next.call(req).await?;
    if res.status() != StatusCode::METHOD_NOT_ALLOWED {
        return Ok(res.map_into_left_body());
    }
    let allow = res.headers().get(header::ALLOW).cloned();
    let (req, _) = res.into_parts();
    let mut answer = ApiError::MethodNotAllowed.error_response();
    if let Some(allow) = allow {
        answer.headers_mut().insert(header::ALLOW, allow);
    }
    Ok(ServiceResponse::new(req, answer).map_into_right_body())
}

/// Seeds the catalog at start-up if the database has none.
pub async fn seed(state: &ApiState) -> Result<(), crate::store::StoreError> {
    catalog::seed(state).await
}

/// The server clock in Unix milliseconds: real time plus the test clock's
/// offset, so progress advances with `Clock::advance` as with wall time.
pub fn now_ms(state: &ApiState) -> i64 {
    let real = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    real + state.clock.offset() * 1000
}
