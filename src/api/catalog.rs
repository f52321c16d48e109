//! The seeded catalog: invented artists, albums and tracks generated from a
//! fixed seed, so every fresh database holds exactly the same music.

use super::ids::SpotifyId;
use crate::api::ApiState;
use crate::store::{NewAlbum, NewArtist, NewCatalog, NewTrack, StoreError};

pub const ARTIST_COUNT: usize = 48;
pub const ALBUMS_PER_ARTIST: usize = 2;

const ADJECTIVES: &[&str] = &[
    "Amber", "Silver", "Velvet", "Electric", "Golden", "Hollow", "Crimson", "Quiet", "Wild",
    "Neon", "Paper", "Midnight", "Lucky", "Frozen", "Broken", "Distant", "Gentle", "Restless",
    "Burning", "Northern", "Secret", "Little", "Endless", "Static",
];
const NOUNS: &[&str] = &[
    "Harbor",
    "River",
    "Comet",
    "Lantern",
    "Garden",
    "Echo",
    "Signal",
    "Meadow",
    "Mirror",
    "Canyon",
    "Orchard",
    "Satellite",
    "Thunder",
    "Window",
    "Highway",
    "Ocean",
    "Forest",
    "Ember",
    "Island",
    "Horizon",
    "Avenue",
    "Balloon",
    "Feather",
    "Engine",
];
const PLURALS: &[&str] = &[
    "Foxes",
    "Pilots",
    "Lights",
    "Strangers",
    "Wolves",
    "Sparrows",
    "Machines",
    "Tides",
    "Dreamers",
    "Giants",
    "Rockets",
    "Ghosts",
];
const FIRST_NAMES: &[&str] = &[
    "Ada", "Milo", "Nina", "Otto", "Lena", "Ravi", "Iris", "Jonas", "Mara", "Theo", "Zoe", "Felix",
];
const LAST_NAMES: &[&str] = &[
    "Lindqvist",
    "Moreau",
    "Okafor",
    "Takeda",
    "Varga",
    "Castell",
    "Hale",
    "Brandt",
    "Quinn",
    "Sorensen",
    "Rivera",
    "Novak",
];
const VERBS: &[&str] = &[
    "Chasing", "Dancing", "Waiting", "Falling", "Running", "Holding", "Dreaming", "Calling",
    "Drifting", "Singing",
];
const GENRES: &[&str] = &[
    "indie pop",
    "synthwave",
    "folk",
    "dream pop",
    "garage rock",
    "lo-fi",
    "jazz",
    "electronica",
];
const LABELS: &[&str] = &[
    "Mock Records",
    "Linkwave",
    "Sandbox Sound",
    "Loopback Music",
];

/// Everything the generator invents, in seeding order.
pub fn generate() -> NewCatalog {
    let mut rng = SplitMix64(0x6d6f_636b_6c69_6e6b); // "mocklink"
    let mut artists = Vec::with_capacity(ARTIST_COUNT);
    let mut albums = Vec::new();
    let mut tracks = Vec::new();
    for a in 0..ARTIST_COUNT {
        let name = if a % 3 == 2 {
            format!("{} {}", rng.pick(FIRST_NAMES), rng.pick(LAST_NAMES))
        } else {
            format!("The {} {}", rng.pick(ADJECTIVES), rng.pick(PLURALS))
        };
        let artist_id = SpotifyId::derive(&format!("mocklink:artist:{a}"));
        artists.push(NewArtist {
            id: artist_id.as_str().to_owned(),
            genre: rng.pick(GENRES).to_owned(),
            popularity: 20 + rng.below(80) as i64,
            followers: 1_000 + rng.below(2_000_000) as i64,
            name,
        });
        for b in 0..ALBUMS_PER_ARTIST {
            let n = a * ALBUMS_PER_ARTIST + b;
            let album_id = SpotifyId::derive(&format!("mocklink:album:{n}"));
            let total = 3 + rng.below(8) as i64; // 3..=10 tracks
            albums.push(NewAlbum {
                id: album_id.as_str().to_owned(),
                name: format!("{} {}", rng.pick(ADJECTIVES), rng.pick(NOUNS)),
                artist_id: artist_id.as_str().to_owned(),
                album_type: if total <= 4 { "single" } else { "album" }.to_owned(),
                release_date: format!(
                    "{}-{:02}-{:02}",
                    1995 + rng.below(31),
                    1 + rng.below(12),
                    1 + rng.below(28)
                ),
                label: rng.pick(LABELS).to_owned(),
                upc: format!("{:012}", 100_000_000_000u64 + n as u64),
                total_tracks: total,
                popularity: 10 + rng.below(90) as i64,
            });
            for t in 0..total {
                let seq = tracks.len();
                let name = match rng.below(3) {
                    0 => format!("{} the {}", rng.pick(VERBS), rng.pick(NOUNS)),
                    1 => format!("{} {}", rng.pick(ADJECTIVES), rng.pick(NOUNS)),
                    _ => format!("{} {}", rng.pick(NOUNS), rng.pick(PLURALS)),
                };
                tracks.push(NewTrack {
                    id: SpotifyId::derive(&format!("mocklink:track:{seq}"))
                        .as_str()
                        .to_owned(),
                    name,
                    album_id: album_id.as_str().to_owned(),
                    artist_id: artist_id.as_str().to_owned(),
                    track_number: t + 1,
                    disc_number: 1,
                    duration_ms: 120_000 + rng.below(180_000) as i64,
                    explicit: rng.below(5) == 0,
                    popularity: rng.below(100) as i64,
                    isrc: format!("QZML{:08}", seq),
                });
            }
        }
    }
    NewCatalog {
        artists,
        albums,
        tracks,
    }
}

/// Seeds the catalog if the database has none (one cheap query otherwise).
pub async fn seed(state: &ApiState) -> Result<(), StoreError> {
    if state.store.catalog_seeded().await? {
        return Ok(());
    }
    state.store.insert_catalog(&generate()).await
}

/// A small deterministic generator (SplitMix64); no dependency, no OS entropy.
pub(crate) struct SplitMix64(pub u64);

impl SplitMix64 {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }

    /// Seeded from a string, for per-user choices.
    pub fn from_seed(seed: &str) -> Self {
        let d = crate::store::digest(seed);
        Self(u64::from_str_radix(&d[..16], 16).unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalog_is_deterministic_and_a_few_hundred_tracks_large() {
        let a = generate();
        let b = generate();
        assert_eq!(a.tracks.len(), b.tracks.len());
        assert_eq!(a.tracks[17].id, b.tracks[17].id);
        assert_eq!(a.tracks[17].name, b.tracks[17].name);
        assert!((200..=1000).contains(&a.tracks.len()), "{}", a.tracks.len());
        assert_eq!(a.albums.len(), ARTIST_COUNT * ALBUMS_PER_ARTIST);
        let mut ids: Vec<_> = a.tracks.iter().map(|t| &t.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), a.tracks.len(), "track ids are unique");
    }
}
