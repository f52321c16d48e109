//! Spotify's JSON objects, field for field (see shared/spec/spotify.md §3.3),
//! built from store records. Links point at this server's public URL.

use super::ids::Kind;
use super::params::Page;
use crate::store::{
    AlbumRecord, ArtistRecord, DeviceRecord, PlaylistEntry, PlaylistRecord, TrackRecord, User,
};
use serde::Serialize;
use time::OffsetDateTime;

/// Builds `href` and `external_urls` for this server.
#[derive(Debug, Clone)]
pub struct Links {
    base: String,
}

impl Links {
    pub fn new(public_url: &str) -> Self {
        Self {
            base: public_url.trim_end_matches('/').to_owned(),
        }
    }

    /// Absolute URL of an api path (without the leading `/v1/`).
    pub fn api(&self, path: &str) -> String {
        format!("{}/v1/{path}", self.base)
    }

    fn item(&self, kind: Kind, id: &str) -> String {
        self.api(&format!("{}/{id}", kind.path()))
    }

    /// The "open in the app" link; this mock serves no such page, but the
    /// link is stable and on our origin.
    fn open(&self, kind: &str, id: &str) -> ExternalUrls {
        ExternalUrls {
            spotify: format!("{}/open/{kind}/{id}", self.base),
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ExternalUrls {
    pub spotify: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Followers {
    pub href: Option<String>,
    pub total: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Image {
    pub url: String,
    pub height: Option<i64>,
    pub width: Option<i64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ExplicitContent {
    pub filter_enabled: bool,
    pub filter_locked: bool,
}

/// GET /v1/me: `email` only with user-read-email; `country`, `product` and
/// `explicit_content` only with user-read-private.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PrivateUser {
    pub id: String,
    pub display_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explicit_content: Option<ExplicitContent>,
    pub external_urls: ExternalUrls,
    pub followers: Followers,
    pub href: String,
    pub images: Vec<Image>,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub uri: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PublicUser {
    pub id: String,
    pub display_name: String,
    pub external_urls: ExternalUrls,
    pub followers: Followers,
    pub href: String,
    pub images: Vec<Image>,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub uri: String,
}

impl PublicUser {
    pub fn new(links: &Links, id: &str, display_name: &str) -> Self {
        Self {
            id: id.to_owned(),
            display_name: display_name.to_owned(),
            external_urls: links.open("user", id),
            followers: Followers {
                href: None,
                total: 0,
            },
            href: links.api(&format!("users/{id}")),
            images: Vec::new(),
            kind: "user",
            uri: format!("spotify:user:{id}"),
        }
    }
}

impl PrivateUser {
    pub fn new(links: &Links, u: &User, email: bool, private: bool) -> Self {
        let id = u.id.as_str();
        Self {
            id: id.to_owned(),
            display_name: u.display_name.clone(),
            email: email.then(|| u.email.clone()),
            country: private.then(|| u.country.clone()),
            product: private.then(|| u.product.clone()),
            explicit_content: private.then_some(ExplicitContent {
                filter_enabled: false,
                filter_locked: false,
            }),
            external_urls: links.open("user", id),
            followers: Followers {
                href: None,
                total: 0,
            },
            href: links.api(&format!("users/{id}")),
            images: Vec::new(),
            kind: "user",
            uri: format!("spotify:user:{id}"),
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SimplifiedArtist {
    pub external_urls: ExternalUrls,
    pub href: String,
    pub id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub uri: String,
}

impl SimplifiedArtist {
    pub fn new(links: &Links, id: &str, name: &str) -> Self {
        Self {
            external_urls: links.open("artist", id),
            href: links.item(Kind::Artist, id),
            id: id.to_owned(),
            name: name.to_owned(),
            kind: "artist",
            uri: format!("spotify:artist:{id}"),
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FullArtist {
    pub external_urls: ExternalUrls,
    pub followers: Followers,
    pub genres: Vec<String>,
    pub href: String,
    pub id: String,
    pub images: Vec<Image>,
    pub name: String,
    pub popularity: i64,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub uri: String,
}

impl FullArtist {
    pub fn new(links: &Links, a: &ArtistRecord) -> Self {
        Self {
            external_urls: links.open("artist", &a.id),
            followers: Followers {
                href: None,
                total: a.followers,
            },
            genres: vec![a.genre.clone()],
            href: links.item(Kind::Artist, &a.id),
            id: a.id.clone(),
            images: Vec::new(),
            name: a.name.clone(),
            popularity: a.popularity,
            kind: "artist",
            uri: format!("spotify:artist:{}", a.id),
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SimplifiedAlbum {
    pub album_type: String,
    pub total_tracks: i64,
    pub external_urls: ExternalUrls,
    pub href: String,
    pub id: String,
    pub images: Vec<Image>,
    pub name: String,
    pub release_date: String,
    pub release_date_precision: &'static str,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub uri: String,
    pub artists: Vec<SimplifiedArtist>,
}

impl SimplifiedAlbum {
    pub fn new(links: &Links, a: &AlbumRecord) -> Self {
        Self {
            album_type: a.album_type.clone(),
            total_tracks: a.total_tracks,
            external_urls: links.open("album", &a.id),
            href: links.item(Kind::Album, &a.id),
            id: a.id.clone(),
            images: Vec::new(),
            name: a.name.clone(),
            release_date: a.release_date.clone(),
            release_date_precision: "day",
            kind: "album",
            uri: format!("spotify:album:{}", a.id),
            artists: vec![SimplifiedArtist::new(links, &a.artist_id, &a.artist_name)],
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Copyright {
    pub text: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AlbumExternalIds {
    pub upc: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FullAlbum {
    #[serde(flatten)]
    pub album: SimplifiedAlbum,
    pub tracks: Page<SimplifiedTrack>,
    pub copyrights: Vec<Copyright>,
    pub external_ids: AlbumExternalIds,
    pub genres: Vec<String>,
    pub label: String,
    pub popularity: i64,
}

impl FullAlbum {
    pub fn new(links: &Links, a: &AlbumRecord, tracks: Page<SimplifiedTrack>) -> Self {
        let year = a.release_date.get(..4).unwrap_or("2000");
        Self {
            album: SimplifiedAlbum::new(links, a),
            tracks,
            copyrights: vec![
                Copyright {
                    text: format!("© {year} {}", a.label),
                    kind: "C",
                },
                Copyright {
                    text: format!("℗ {year} {}", a.label),
                    kind: "P",
                },
            ],
            external_ids: AlbumExternalIds { upc: a.upc.clone() },
            genres: Vec::new(),
            label: a.label.clone(),
            popularity: a.popularity,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TrackExternalIds {
    pub isrc: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SimplifiedTrack {
    pub artists: Vec<SimplifiedArtist>,
    pub disc_number: i64,
    pub duration_ms: i64,
    pub explicit: bool,
    pub external_urls: ExternalUrls,
    pub href: String,
    pub id: String,
    pub is_local: bool,
    pub is_playable: bool,
    pub name: String,
    pub preview_url: Option<String>,
    pub track_number: i64,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub uri: String,
}

impl SimplifiedTrack {
    pub fn new(links: &Links, t: &TrackRecord) -> Self {
        Self {
            artists: vec![SimplifiedArtist::new(
                links,
                &t.album.artist_id,
                &t.album.artist_name,
            )],
            disc_number: t.disc_number,
            duration_ms: t.duration_ms,
            explicit: t.explicit,
            external_urls: links.open("track", &t.id),
            href: links.item(Kind::Track, &t.id),
            id: t.id.clone(),
            is_local: false,
            is_playable: true,
            name: t.name.clone(),
            preview_url: None,
            track_number: t.track_number,
            kind: "track",
            uri: format!("spotify:track:{}", t.id),
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FullTrack {
    pub album: SimplifiedAlbum,
    #[serde(flatten)]
    pub track: SimplifiedTrack,
    pub external_ids: TrackExternalIds,
    pub popularity: i64,
}

impl FullTrack {
    pub fn new(links: &Links, t: &TrackRecord) -> Self {
        Self {
            album: SimplifiedAlbum::new(links, &t.album),
            track: SimplifiedTrack::new(links, t),
            external_ids: TrackExternalIds {
                isrc: t.isrc.clone(),
            },
            popularity: t.popularity,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SavedTrack {
    pub added_at: String,
    pub track: FullTrack,
}

/// A playlist entry under both the 2026 names (`item`) and the old ones
/// (`track`), so old and new clients read it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PlaylistItem {
    pub added_at: String,
    pub added_by: PublicUser,
    pub is_local: bool,
    pub item: FullTrack,
    pub track: FullTrack,
}

impl PlaylistItem {
    pub fn new(links: &Links, e: &PlaylistEntry, owner_name: &str) -> Self {
        Self {
            added_at: iso8601(e.added_at),
            added_by: PublicUser::new(links, &e.added_by, owner_name),
            is_local: false,
            item: FullTrack::new(links, &e.track),
            track: FullTrack::new(links, &e.track),
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TracksRef {
    pub href: String,
    pub total: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SimplifiedPlaylist {
    pub collaborative: bool,
    pub description: String,
    pub external_urls: ExternalUrls,
    pub href: String,
    pub id: String,
    pub images: Vec<Image>,
    pub name: String,
    pub owner: PublicUser,
    pub public: bool,
    pub snapshot_id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub uri: String,
    pub items: TracksRef,
    pub tracks: TracksRef,
}

impl SimplifiedPlaylist {
    pub fn new(links: &Links, p: &PlaylistRecord) -> Self {
        let items_href = links.api(&format!("playlists/{}/items", p.id));
        Self {
            collaborative: p.collaborative,
            description: p.description.clone(),
            external_urls: links.open("playlist", &p.id),
            href: links.item(Kind::Playlist, &p.id),
            id: p.id.clone(),
            images: Vec::new(),
            name: p.name.clone(),
            owner: PublicUser::new(links, &p.owner_id, &p.owner_name),
            public: p.public,
            snapshot_id: snapshot_id(&p.id, p.version),
            kind: "playlist",
            uri: format!("spotify:playlist:{}", p.id),
            items: TracksRef {
                href: items_href.clone(),
                total: p.total,
            },
            tracks: TracksRef {
                href: items_href,
                total: p.total,
            },
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FullPlaylist {
    pub collaborative: bool,
    pub description: String,
    pub external_urls: ExternalUrls,
    pub followers: Followers,
    pub href: String,
    pub id: String,
    pub images: Vec<Image>,
    pub name: String,
    pub owner: PublicUser,
    pub public: bool,
    pub snapshot_id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub uri: String,
    pub items: serde_json::Value,
    pub tracks: serde_json::Value,
}

impl FullPlaylist {
    pub fn new(links: &Links, p: &PlaylistRecord, items: Page<PlaylistItem>) -> Self {
        // Both names carry the same page (serialised once, cloned).
        let page = serde_json::to_value(&items).unwrap_or(serde_json::Value::Null);
        Self {
            collaborative: p.collaborative,
            description: p.description.clone(),
            external_urls: links.open("playlist", &p.id),
            followers: Followers {
                href: None,
                total: 0,
            },
            href: links.item(Kind::Playlist, &p.id),
            id: p.id.clone(),
            images: Vec::new(),
            name: p.name.clone(),
            owner: PublicUser::new(links, &p.owner_id, &p.owner_name),
            public: p.public,
            snapshot_id: snapshot_id(&p.id, p.version),
            kind: "playlist",
            uri: format!("spotify:playlist:{}", p.id),
            tracks: page.clone(),
            items: page,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SnapshotId {
    pub snapshot_id: String,
}

/// Opaque, changes with every edit of the playlist.
pub fn snapshot_id(playlist_id: &str, version: i64) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(format!(
        "{version},{}",
        &crate::store::digest(&format!("{playlist_id}:{version}"))[..16]
    ))
}

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

/// An album in an artist's discography, with how it relates to the artist.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ArtistAlbum {
    #[serde(flatten)]
    pub album: SimplifiedAlbum,
    /// `album`, `single`, `compilation` or `appears_on`.
    pub album_group: String,
}

/// `GET /v1/tracks?ids=`: `null` for ids that name no track.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Tracks {
    pub tracks: Vec<Option<FullTrack>>,
}

/// `GET /v1/artists?ids=`: `null` for ids that name no artist.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Artists {
    pub artists: Vec<Option<FullArtist>>,
}

/// `GET /v1/artists/{id}/top-tracks`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TopTracks {
    pub tracks: Vec<FullTrack>,
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

/// RFC 3339 UTC with milliseconds, as Spotify writes `played_at`.
pub fn iso8601_ms(unix_ms: i64) -> String {
    let t = OffsetDateTime::from_unix_timestamp_nanos(unix_ms as i128 * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let f = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    t.format(&f)
        .unwrap_or_else(|_| "1970-01-01T00:00:00.000Z".into())
}

/// RFC 3339 UTC, seconds precision, as Spotify writes `added_at`.
pub fn iso8601(unix: i64) -> String {
    let t = OffsetDateTime::from_unix_timestamp(unix).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let f = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    t.format(&f)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".into())
}
