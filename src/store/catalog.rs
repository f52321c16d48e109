//! The music catalog: artists, albums, tracks, and their lookups (word
//! search is in `search`).

use super::search::Page;
use super::{Store, StoreError};
use sqlx::any::AnyRow;
use sqlx::Row;

pub struct NewArtist {
    pub id: String,
    pub name: String,
    pub genre: String,
    pub popularity: i64,
    pub followers: i64,
}

pub struct NewAlbum {
    pub id: String,
    pub name: String,
    pub artist_id: String,
    pub album_type: String,
    pub release_date: String,
    pub label: String,
    pub upc: String,
    pub total_tracks: i64,
    pub popularity: i64,
}

pub struct NewTrack {
    pub id: String,
    pub name: String,
    pub album_id: String,
    pub artist_id: String,
    pub track_number: i64,
    pub disc_number: i64,
    pub duration_ms: i64,
    pub explicit: bool,
    pub popularity: i64,
    pub isrc: String,
}

pub struct NewCatalog {
    pub artists: Vec<NewArtist>,
    pub albums: Vec<NewAlbum>,
    pub tracks: Vec<NewTrack>,
}

#[derive(Debug, Clone)]
pub struct ArtistRecord {
    pub id: String,
    pub name: String,
    pub genre: String,
    pub popularity: i64,
    pub followers: i64,
}

#[derive(Debug, Clone)]
pub struct AlbumRecord {
    pub id: String,
    pub name: String,
    pub album_type: String,
    pub release_date: String,
    pub label: String,
    pub upc: String,
    pub total_tracks: i64,
    pub popularity: i64,
    pub artist_id: String,
    pub artist_name: String,
}

/// A track with its album and artist, as every track object needs them.
#[derive(Debug, Clone)]
pub struct TrackRecord {
    pub id: String,
    pub name: String,
    pub track_number: i64,
    pub disc_number: i64,
    pub duration_ms: i64,
    pub explicit: bool,
    pub popularity: i64,
    pub isrc: String,
    pub album: AlbumRecord,
}

/// One page of a search or listing, with the total it was cut from.
#[derive(Debug, Clone)]
pub struct Slice<T> {
    pub items: Vec<T>,
    pub total: i64,
}

pub(crate) const TRACK_SELECT: &str = "SELECT t.id, t.name, t.track_number, t.disc_number, \
     t.duration_ms, t.explicit, t.popularity, t.isrc, \
     a.id AS album_id, a.name AS album_name, a.album_type, a.release_date, a.label, a.upc, \
     a.total_tracks, a.popularity AS album_popularity, \
     r.id AS artist_id, r.name AS artist_name \
     FROM tracks t JOIN albums a ON a.id = t.album_id JOIN artists r ON r.id = a.artist_id";

pub(crate) const ALBUM_SELECT: &str =
    "SELECT a.id AS album_id, a.name AS album_name, a.album_type, \
     a.release_date, a.label, a.upc, a.total_tracks, a.popularity AS album_popularity, \
     r.id AS artist_id, r.name AS artist_name \
     FROM albums a JOIN artists r ON r.id = a.artist_id";

pub(crate) const ARTIST_SELECT: &str = "SELECT id, name, genre, popularity, followers FROM artists";

/// Rows per multi-row INSERT: well under both engines' bind-parameter limits.
const CHUNK: usize = 100;

pub(crate) fn album_from_row(row: &AnyRow) -> Result<AlbumRecord, StoreError> {
    Ok(AlbumRecord {
        id: row.try_get("album_id")?,
        name: row.try_get("album_name")?,
        album_type: row.try_get("album_type")?,
        release_date: row.try_get("release_date")?,
        label: row.try_get("label")?,
        upc: row.try_get("upc")?,
        total_tracks: row.try_get("total_tracks")?,
        popularity: row.try_get("album_popularity")?,
        artist_id: row.try_get("artist_id")?,
        artist_name: row.try_get("artist_name")?,
    })
}

pub(crate) fn track_from_row(row: &AnyRow) -> Result<TrackRecord, StoreError> {
    Ok(TrackRecord {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        track_number: row.try_get("track_number")?,
        disc_number: row.try_get("disc_number")?,
        duration_ms: row.try_get("duration_ms")?,
        explicit: row.try_get::<i64, _>("explicit")? != 0,
        popularity: row.try_get("popularity")?,
        isrc: row.try_get("isrc")?,
        album: album_from_row(row)?,
    })
}

pub(crate) fn artist_from_row(row: &AnyRow) -> Result<ArtistRecord, StoreError> {
    Ok(ArtistRecord {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        genre: row.try_get("genre")?,
        popularity: row.try_get("popularity")?,
        followers: row.try_get("followers")?,
    })
}

/// `$first, $first+1, …` for `n` values.
pub(crate) fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Store {
    /// True once the catalog has been seeded (a single-row probe).
    pub async fn catalog_seeded(&self) -> Result<bool, StoreError> {
        Ok(sqlx::query("SELECT id FROM artists LIMIT 1")
            .fetch_optional(&self.pool)
            .await?
            .is_some())
    }

    /// Inserts the whole catalog in one transaction. Rows that already exist
    /// are left alone, so two instances starting together both succeed.
    pub async fn insert_catalog(&self, c: &NewCatalog) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        for chunk in c.artists.chunks(CHUNK) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| format!("({})", placeholders(i * 6 + 1, 6)))
                .collect();
            let sql = format!(
                "INSERT INTO artists (id, name, genre, popularity, followers, search_text) \
                 VALUES {} ON CONFLICT (id) DO NOTHING",
                values.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for a in chunk {
                q = q
                    .bind(&a.id)
                    .bind(&a.name)
                    .bind(&a.genre)
                    .bind(a.popularity)
                    .bind(a.followers)
                    .bind(format!("{} {}", a.name, a.genre).to_lowercase());
            }
            q.execute(&mut *tx).await?;
        }
        let artist_name = |id: &str| {
            c.artists
                .iter()
                .find(|a| a.id == id)
                .map(|a| a.name.as_str())
                .unwrap_or("")
        };
        for chunk in c.albums.chunks(CHUNK) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| format!("({})", placeholders(i * 10 + 1, 10)))
                .collect();
            let sql = format!(
                "INSERT INTO albums (id, name, artist_id, album_type, release_date, label, upc, \
                 total_tracks, popularity, search_text) VALUES {} ON CONFLICT (id) DO NOTHING",
                values.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for a in chunk {
                q = q
                    .bind(&a.id)
                    .bind(&a.name)
                    .bind(&a.artist_id)
                    .bind(&a.album_type)
                    .bind(&a.release_date)
                    .bind(&a.label)
                    .bind(&a.upc)
                    .bind(a.total_tracks)
                    .bind(a.popularity)
                    .bind(format!("{} {}", a.name, artist_name(&a.artist_id)).to_lowercase());
            }
            q.execute(&mut *tx).await?;
        }
        let album_name = |id: &str| {
            c.albums
                .iter()
                .find(|a| a.id == id)
                .map(|a| a.name.as_str())
                .unwrap_or("")
        };
        for chunk in c.tracks.chunks(CHUNK) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| format!("({})", placeholders(i * 11 + 1, 11)))
                .collect();
            let sql = format!(
                "INSERT INTO tracks (id, name, album_id, artist_id, track_number, disc_number, \
                 duration_ms, explicit, popularity, isrc, search_text) VALUES {} \
                 ON CONFLICT (id) DO NOTHING",
                values.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for t in chunk {
                q = q
                    .bind(&t.id)
                    .bind(&t.name)
                    .bind(&t.album_id)
                    .bind(&t.artist_id)
                    .bind(t.track_number)
                    .bind(t.disc_number)
                    .bind(t.duration_ms)
                    .bind(t.explicit as i64)
                    .bind(t.popularity)
                    .bind(&t.isrc)
                    .bind(
                        format!(
                            "{} {} {}",
                            t.name,
                            album_name(&t.album_id),
                            artist_name(&t.artist_id)
                        )
                        .to_lowercase(),
                    );
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn track(&self, id: &str) -> Result<Option<TrackRecord>, StoreError> {
        sqlx::query(&format!("{TRACK_SELECT} WHERE t.id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(track_from_row)
            .transpose()
    }

    /// The tracks with these ids, in the order given; unknown ids are skipped.
    pub async fn tracks_by_ids(&self, ids: &[String]) -> Result<Vec<TrackRecord>, StoreError> {
        let mut found = std::collections::HashMap::new();
        for chunk in ids.chunks(CHUNK * 5) {
            let sql = format!(
                "{TRACK_SELECT} WHERE t.id IN ({})",
                placeholders(1, chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(id);
            }
            for row in q.fetch_all(&self.pool).await? {
                let t = track_from_row(&row)?;
                found.insert(t.id.clone(), t);
            }
        }
        Ok(ids.iter().filter_map(|id| found.get(id).cloned()).collect())
    }

    pub async fn album(&self, id: &str) -> Result<Option<AlbumRecord>, StoreError> {
        sqlx::query(&format!("{ALBUM_SELECT} WHERE a.id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(album_from_row)
            .transpose()
    }

    pub async fn album_tracks(&self, album_id: &str) -> Result<Vec<TrackRecord>, StoreError> {
        sqlx::query(&format!(
            "{TRACK_SELECT} WHERE t.album_id = $1 ORDER BY t.disc_number, t.track_number"
        ))
        .bind(album_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(track_from_row)
        .collect()
    }

    /// An artist's most popular tracks, for playing an artist context.
    pub async fn artist_top_tracks(
        &self,
        artist_id: &str,
        limit: i64,
    ) -> Result<Vec<TrackRecord>, StoreError> {
        sqlx::query(&format!(
            "{TRACK_SELECT} WHERE t.artist_id = $1 ORDER BY t.popularity DESC, t.id LIMIT $2"
        ))
        .bind(artist_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(track_from_row)
        .collect()
    }

    /// A page of an artist's albums whose type is one of `types`, newest
    /// release first.
    pub async fn artist_albums(
        &self,
        artist_id: &str,
        types: &[&str],
        limit: i64,
        offset: i64,
    ) -> Result<Slice<AlbumRecord>, StoreError> {
        if types.is_empty() {
            return Ok(Slice {
                items: Vec::new(),
                total: 0,
            });
        }
        let filter = format!(
            "WHERE a.artist_id = $1 AND a.album_type IN ({})",
            placeholders(2, types.len())
        );
        let mut binds = vec![artist_id.to_owned()];
        binds.extend(types.iter().map(|t| t.to_string()));
        let page = Page {
            select: ALBUM_SELECT,
            from: "albums a",
            filter: &filter,
            order: "a.release_date DESC, a.id",
        };
        self.paged(&page, &binds, limit, offset, album_from_row)
            .await
    }

    pub async fn artist(&self, id: &str) -> Result<Option<ArtistRecord>, StoreError> {
        sqlx::query(&format!("{ARTIST_SELECT} WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(artist_from_row)
            .transpose()
    }

    /// The artists with these ids, in the order given; unknown ids are skipped.
    pub async fn artists_by_ids(&self, ids: &[String]) -> Result<Vec<ArtistRecord>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "{ARTIST_SELECT} WHERE id IN ({})",
            placeholders(1, ids.len())
        );
        let mut q = sqlx::query(&sql);
        for id in ids {
            q = q.bind(id);
        }
        let rows: Vec<ArtistRecord> = q
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(artist_from_row)
            .collect::<Result<_, _>>()?;
        Ok(ids
            .iter()
            .filter_map(|id| rows.iter().find(|a| &a.id == id).cloned())
            .collect())
    }
}

impl Store {
    /// Durations of these tracks by id (the player's clock needs only these).
    pub async fn track_durations(
        &self,
        ids: &[String],
    ) -> Result<std::collections::HashMap<String, i64>, StoreError> {
        let mut out = std::collections::HashMap::new();
        let mut unique: Vec<&String> = ids.iter().collect();
        unique.sort();
        unique.dedup();
        for chunk in unique.chunks(CHUNK * 5) {
            let sql = format!(
                "SELECT id, duration_ms FROM tracks WHERE id IN ({})",
                placeholders(1, chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            for row in q.fetch_all(&self.pool).await? {
                out.insert(row.try_get("id")?, row.try_get("duration_ms")?);
            }
        }
        Ok(out)
    }
}
