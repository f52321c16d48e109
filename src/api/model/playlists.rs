//! Playlists, their items and saved tracks.

use super::*;

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
