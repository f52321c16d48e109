//! Spotify ids and URIs: 22 base62 characters, `spotify:{type}:{id}`.

use sha2::{Digest, Sha256};
use std::fmt;

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// What an id names; also the `type` field and the URI's middle part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Track,
    Album,
    Artist,
    Playlist,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Track => "track",
            Kind::Album => "album",
            Kind::Artist => "artist",
            Kind::Playlist => "playlist",
        }
    }

    /// The collection path segment under /v1.
    pub fn path(self) -> &'static str {
        match self {
            Kind::Track => "tracks",
            Kind::Album => "albums",
            Kind::Artist => "artists",
            Kind::Playlist => "playlists",
        }
    }
}

/// A 22-character base62 id; built only by `parse` or `derive`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SpotifyId(String);

impl SpotifyId {
    /// A bare id. Anything but exactly 22 base62 characters is rejected.
    pub fn parse(s: &str) -> Option<Self> {
        (s.len() == 22 && s.bytes().all(|b| b.is_ascii_alphanumeric())).then(|| Self(s.to_owned()))
    }

    /// A bare id or a `spotify:{kind}:{id}` URI of the expected kind.
    pub fn parse_id_or_uri(s: &str, kind: Kind) -> Option<Self> {
        match s.strip_prefix("spotify:") {
            Some(rest) => Self::parse_uri_rest(rest, kind),
            None => Self::parse(s),
        }
    }

    /// Only a `spotify:{kind}:{id}` URI.
    pub fn parse_uri(s: &str, kind: Kind) -> Option<Self> {
        Self::parse_uri_rest(s.strip_prefix("spotify:")?, kind)
    }

    fn parse_uri_rest(rest: &str, kind: Kind) -> Option<Self> {
        let (k, id) = rest.split_once(':')?;
        (k == kind.as_str()).then(|| Self::parse(id)).flatten()
    }

    /// The deterministic id of a seed string: SHA-256 mapped onto base62, so
    /// every fresh start produces the same ids.
    pub fn derive(seed: &str) -> Self {
        let hash = Sha256::digest(seed.as_bytes());
        Self(
            hash.iter()
                .take(22)
                .map(|b| BASE62[(*b as usize) % 62] as char)
                .collect(),
        )
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn uri(&self, kind: Kind) -> String {
        format!("spotify:{}:{}", kind.as_str(), self.0)
    }
}

impl fmt::Display for SpotifyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Lowercase hex of SHA-256(seed), cut to `len` characters (device ids).
pub fn hex_id(seed: &str, len: usize) -> String {
    crate::store::digest(seed).chars().take(len).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_ids_are_stable_base62() {
        let a = SpotifyId::derive("mocklink:track:1");
        assert_eq!(a, SpotifyId::derive("mocklink:track:1"));
        assert_ne!(a, SpotifyId::derive("mocklink:track:2"));
        assert!(SpotifyId::parse(a.as_str()).is_some());
    }

    #[test]
    fn parses_ids_and_uris_strictly() {
        let id = "6rqhFgbbKwnb9MLmUQDhG6";
        assert!(SpotifyId::parse(id).is_some());
        assert!(SpotifyId::parse("6rqhFgbbKwnb9MLmUQDhG").is_none());
        assert!(SpotifyId::parse("6rqhFgbbKwnb9MLmUQDh-6").is_none());
        assert!(SpotifyId::parse_uri(&format!("spotify:track:{id}"), Kind::Track).is_some());
        assert!(SpotifyId::parse_uri(&format!("spotify:album:{id}"), Kind::Track).is_none());
        assert!(SpotifyId::parse_id_or_uri(id, Kind::Track).is_some());
        assert!(SpotifyId::parse_uri(id, Kind::Track).is_none());
    }
}
