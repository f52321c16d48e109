//! Artists, albums and tracks, and the catalog endpoints' wrappers.

use super::*;

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
