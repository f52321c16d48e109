//! Schemas of the api's JSON, for the OpenAPI document.

use serde::Serialize;
use utoipa::ToSchema;

/// Spotify's error object.
#[derive(Serialize, ToSchema)]
pub struct SpotifyError {
    pub status: u16,
    pub message: String,
    /// Player command failures only: `PREMIUM_REQUIRED`, `NO_ACTIVE_DEVICE`, ...
    pub reason: Option<String>,
}

/// Spotify's error body: `{"error": {...}}`.
#[derive(Serialize, ToSchema)]
pub struct SpotifyErrorBody {
    pub error: SpotifyError,
}

/// The error answers every player command shares, documented once.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // a description for the document, never built
pub enum PlayerCommandErrors {
    #[response(status = 400, description = "Bad parameter or body")]
    BadRequest(SpotifyErrorBody),
    #[response(
        status = 401,
        description = "No token, or an invalid, expired or revoked one (`WWW-Authenticate: Bearer`)"
    )]
    Unauthorized(SpotifyErrorBody),
    #[response(
        status = 403,
        description = "Missing scope, `PREMIUM_REQUIRED`, or a player restriction (`reason`)"
    )]
    Forbidden(SpotifyErrorBody),
    #[response(status = 404, description = "No such item, or `NO_ACTIVE_DEVICE`")]
    NotFound(SpotifyErrorBody),
    #[response(status = 405, description = "Method not allowed")]
    MethodNotAllowed(SpotifyErrorBody),
}

/// `{"snapshot_id": ...}` (also the body of the /v1 playlist changes).
#[derive(Serialize, ToSchema)]
pub struct Snapshot {
    pub snapshot_id: String,
}

/// `GET /v1/me/player/queue`.
#[derive(Serialize, ToSchema)]
pub struct Queue {
    #[schema(value_type = Option<Object>)]
    pub currently_playing: Option<serde_json::Value>,
    #[schema(value_type = Vec<Object>)]
    pub queue: Vec<serde_json::Value>,
}

/// `GET /v1/search`: one paging object per requested type.
#[derive(Serialize, ToSchema)]
pub struct SearchResult {
    pub tracks: Option<super::params::Page<super::model::FullTrack>>,
    pub albums: Option<super::params::Page<super::model::SimplifiedAlbum>>,
    pub artists: Option<super::params::Page<super::model::FullArtist>>,
    pub playlists: Option<super::params::Page<super::model::SimplifiedPlaylist>>,
}

/// Ids, as JSON body alternative to the `ids` query parameter.
#[derive(Serialize, ToSchema)]
pub struct IdsBody {
    /// Track ids or `spotify:track:` uris.
    #[schema(min_items = 1, max_items = 50)]
    pub ids: Vec<String>,
}

/// `{"ids": [...]}`, or the bare array (Spotify's TypeScript SDK sends that).
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum IdsOrList {
    Object(IdsBody),
    /// 1 to 50 ids or uris.
    List(Vec<String>),
}

/// `POST /v1/playlists/{id}/items` body.
#[derive(Serialize, ToSchema)]
pub struct AddItemsBody {
    /// `spotify:track:` uris; if absent, the `uris` query parameter.
    #[schema(min_items = 1, max_items = 100)]
    pub uris: Option<Vec<String>>,
    /// Insert position; default: the end.
    #[schema(minimum = 0)]
    pub position: Option<i64>,
}

/// `{"uris": [...], "position"?}`, or the bare array of uris (spotipy sends
/// that, with `position` in the query).
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum AddItemsOrList {
    Object(AddItemsBody),
    /// 1 to 100 uris.
    List(Vec<String>),
}

/// `POST /v1/me/playlists` body.
#[derive(Serialize, ToSchema)]
pub struct CreatePlaylistBody {
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// Default true.
    pub public: Option<bool>,
    /// Default false; only for private lists.
    pub collaborative: Option<bool>,
    #[schema(max_length = 300)]
    pub description: Option<String>,
}
