//! Spotify's JSON objects, field for field (see shared/spec/spotify.md §3.3),
//! built from store records. Links point at this server's public URL.

use super::ids::Kind;
use super::params::Page;
use crate::store::{
    AlbumRecord, ArtistRecord, DeviceRecord, PlaylistEntry, PlaylistRecord, TrackRecord, User,
};
use serde::Serialize;
use time::OffsetDateTime;

mod catalog;
mod player;
mod playlists;

pub use catalog::*;
pub use player::*;
pub use playlists::*;

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
