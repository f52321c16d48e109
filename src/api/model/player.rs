//! Devices, playback state and the listening history.

use super::*;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Device {
    pub id: String,
    pub is_active: bool,
    pub is_private_session: bool,
    pub is_restricted: bool,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub volume_percent: i64,
    pub supports_volume: bool,
}

impl Device {
    pub fn new(d: &DeviceRecord, active: bool) -> Self {
        Self {
            id: d.id.clone(),
            is_active: active,
            is_private_session: false,
            is_restricted: false,
            name: d.name.clone(),
            kind: d.device_type.clone(),
            volume_percent: d.volume_percent,
            supports_volume: d.supports_volume,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Devices {
    pub devices: Vec<Device>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Context {
    #[serde(rename = "type")]
    pub kind: String,
    pub href: String,
    pub external_urls: ExternalUrls,
    pub uri: String,
}

impl Context {
    /// From a `spotify:{type}:{id}` context URI we stored ourselves.
    pub fn new(links: &Links, uri: &str) -> Option<Self> {
        let mut parts = uri.splitn(3, ':');
        let (_, kind, id) = (parts.next()?, parts.next()?, parts.next()?);
        let path = match kind {
            "album" => "albums",
            "playlist" => "playlists",
            "artist" => "artists",
            _ => return None,
        };
        Some(Self {
            kind: kind.to_owned(),
            href: links.api(&format!("{path}/{id}")),
            external_urls: links.open(kind, id),
            uri: uri.to_owned(),
        })
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Actions {
    #[schema(value_type = Object)]
    pub disallows: serde_json::Map<String, serde_json::Value>,
}

/// GET /v1/me/player; currently-playing omits the `device`, `repeat_state`
/// and `shuffle_state` fields.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PlaybackState {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<Device>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repeat_state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shuffle_state: Option<bool>,
    pub context: Option<Context>,
    pub timestamp: i64,
    pub progress_ms: Option<i64>,
    pub is_playing: bool,
    pub item: Option<FullTrack>,
    pub currently_playing_type: &'static str,
    pub actions: Actions,
}

/// One entry of `GET /v1/me/player/recently-played`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PlayHistory {
    pub track: FullTrack,
    /// RFC 3339 UTC with milliseconds.
    pub played_at: String,
    pub context: Option<Context>,
}

/// The cursors of a cursor page: Unix milliseconds, as strings.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Cursors {
    /// The newest item's time.
    pub after: String,
    /// The oldest item's time; `next` pages on from it.
    pub before: String,
}

/// Spotify's cursor-based paging object. `cursors` is null on an empty page.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CursorPage<T: Serialize> {
    pub href: String,
    pub items: Vec<T>,
    pub limit: i64,
    pub next: Option<String>,
    pub cursors: Option<Cursors>,
}
