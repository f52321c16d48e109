//! Per-user library: the seeding marker, playlists and their entries, saved
//! tracks.

use super::catalog::{placeholders, track_from_row, Slice, TrackRecord, TRACK_SELECT};
use super::search::{count, WordSearch};
use super::{Store, StoreError};
use crate::domain::Username;
use sqlx::any::AnyRow;
use sqlx::Row;

/// What a user's library starts with (built by the api role's seeder).
pub struct LibrarySeed {
    pub devices: Vec<super::player::NewDevice>,
    pub playlists: Vec<NewPlaylist>,
    /// (track id, added_at)
    pub saved_tracks: Vec<(String, i64)>,
    /// The listening history the user starts with.
    pub recent_plays: Vec<super::player::NewPlay>,
}

#[derive(Debug, Clone)]
pub struct NewPlaylist {
    pub id: String,
    pub name: String,
    pub description: String,
    pub public: bool,
    pub collaborative: bool,
    pub track_ids: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct PlaylistRecord {
    pub id: String,
    pub owner_id: String,
    pub owner_name: String,
    pub name: String,
    pub description: String,
    pub public: bool,
    pub collaborative: bool,
    pub version: i64,
    pub total: i64,
}

#[derive(Debug, Clone)]
pub struct PlaylistEntry {
    pub added_at: i64,
    pub added_by: String,
    pub track: TrackRecord,
}

const PLAYLIST_SELECT: &str = "SELECT p.id, p.owner_id, u.display_name AS owner_name, p.name, \
     p.description, p.public, p.collaborative, p.version, \
     (SELECT COUNT(*) FROM playlist_tracks pt WHERE pt.playlist_id = p.id) AS total \
     FROM playlists p JOIN users u ON u.id = p.owner_id";

fn playlist_from_row(row: &AnyRow) -> Result<PlaylistRecord, StoreError> {
    Ok(PlaylistRecord {
        id: row.try_get("id")?,
        owner_id: row.try_get("owner_id")?,
        owner_name: row.try_get("owner_name")?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        public: row.try_get::<i64, _>("public")? != 0,
        collaborative: row.try_get::<i64, _>("collaborative")? != 0,
        version: row.try_get("version")?,
        total: row.try_get("total")?,
    })
}

impl Store {
    pub async fn library_seeded(&self, user: &Username) -> Result<bool, StoreError> {
        Ok(
            sqlx::query("SELECT user_id FROM library_seeded WHERE user_id = $1")
                .bind(user.as_str())
                .fetch_optional(&self.pool)
                .await?
                .is_some(),
        )
    }

    /// Seeds a user's devices, playlists, saved tracks and empty playback in
    /// one transaction. The marker row is inserted first: a concurrent seeder
    /// waits on it and then finds it taken, so exactly one seeds.
    pub async fn seed_library(
        &self,
        user: &Username,
        seed: &LibrarySeed,
        now: i64,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let won = sqlx::query(
            "INSERT INTO library_seeded (user_id, seeded_at) VALUES ($1, $2) \
             ON CONFLICT (user_id) DO NOTHING",
        )
        .bind(user.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if !won {
            tx.rollback().await?;
            return Ok(());
        }
        for (i, d) in seed.devices.iter().enumerate() {
            sqlx::query(
                "INSERT INTO devices (id, user_id, name, device_type, volume_percent, \
                 supports_volume, sort_order) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (id) DO NOTHING",
            )
            .bind(&d.id)
            .bind(user.as_str())
            .bind(&d.name)
            .bind(&d.device_type)
            .bind(d.volume_percent)
            .bind(d.supports_volume as i64)
            .bind(i as i64)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "INSERT INTO playback (user_id, device_id, context_uri, track_ids, position, queued, \
             progress_ms, is_playing, shuffle, repeat_state, updated_ms, version) \
             VALUES ($1, NULL, NULL, '', 0, 0, 0, 0, 0, 'off', $2, 0) \
             ON CONFLICT (user_id) DO NOTHING",
        )
        .bind(user.as_str())
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
        for (i, p) in seed.playlists.iter().enumerate() {
            // Seeded lists get distinct creation times so their order is stable.
            insert_playlist(&mut tx, user, p, now - (seed.playlists.len() - i) as i64).await?;
            for (pos, track) in p.track_ids.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO playlist_tracks (playlist_id, position, track_id, added_at, \
                     added_by) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&p.id)
                .bind(pos as i64)
                .bind(track)
                .bind(now - 86_400 * (p.track_ids.len() - pos) as i64)
                .bind(user.as_str())
                .execute(&mut *tx)
                .await?;
            }
        }
        for (track, added_at) in &seed.saved_tracks {
            sqlx::query(
                "INSERT INTO saved_tracks (user_id, track_id, added_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (user_id, track_id) DO NOTHING",
            )
            .bind(user.as_str())
            .bind(track)
            .bind(added_at)
            .execute(&mut *tx)
            .await?;
        }
        for play in &seed.recent_plays {
            sqlx::query(
                "INSERT INTO play_history (user_id, played_at, track_id, context_uri) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, played_at) DO NOTHING",
            )
            .bind(user.as_str())
            .bind(play.played_at_ms)
            .bind(&play.track_id)
            .bind(play.context_uri.as_deref())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn create_playlist(
        &self,
        owner: &Username,
        p: &NewPlaylist,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        insert_playlist(&mut tx, owner, p, now).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn playlist(&self, id: &str) -> Result<Option<PlaylistRecord>, StoreError> {
        sqlx::query(&format!("{PLAYLIST_SELECT} WHERE p.id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(playlist_from_row)
            .transpose()
    }

    /// A user's playlists (only the public ones if `public_only`), newest
    /// first.
    pub async fn user_playlists(
        &self,
        owner: &Username,
        public_only: bool,
        limit: i64,
        offset: i64,
    ) -> Result<Slice<PlaylistRecord>, StoreError> {
        // public_only: only rows with public = 1; otherwise public >= 0 (all).
        let min_public = public_only as i64;
        let total: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM playlists WHERE owner_id = $1 AND public >= $2",
        )
        .bind(owner.as_str())
        .bind(min_public)
        .fetch_one(&self.pool)
        .await?;
        let items = sqlx::query(&format!(
            "{PLAYLIST_SELECT} WHERE p.owner_id = $1 AND p.public >= $2 \
             ORDER BY p.created_at DESC, p.id LIMIT $3 OFFSET $4"
        ))
        .bind(owner.as_str())
        .bind(min_public)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(playlist_from_row)
        .collect::<Result<_, _>>()?;
        Ok(Slice { items, total })
    }

    /// Public playlists whose name contains every word.
    pub async fn search_playlists(
        &self,
        words: &[String],
        limit: i64,
        offset: i64,
    ) -> Result<Slice<PlaylistRecord>, StoreError> {
        let search = WordSearch {
            select: PLAYLIST_SELECT,
            from: "playlists p",
            condition: "p.public = 1",
            text_column: "p.search_text",
            order: "p.created_at DESC, p.id",
        };
        self.word_search(&search, words, limit, offset, playlist_from_row)
            .await
    }

    pub async fn playlist_items(
        &self,
        playlist_id: &str,
        limit: i64,
        offset: i64,
    ) -> Result<Slice<PlaylistEntry>, StoreError> {
        let total = count(
            self,
            "SELECT COUNT(*) FROM playlist_tracks WHERE playlist_id = $1",
            &[playlist_id.to_owned()],
        )
        .await?;
        let sql = TRACK_SELECT.replacen("SELECT ", "SELECT pt.added_at, pt.added_by, ", 1)
            + " JOIN playlist_tracks pt ON pt.track_id = t.id WHERE pt.playlist_id = $1 \
              ORDER BY pt.position LIMIT $2 OFFSET $3";
        let items = sqlx::query(&sql)
            .bind(playlist_id)
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| {
                Ok(PlaylistEntry {
                    added_at: row.try_get("added_at")?,
                    added_by: row.try_get("added_by")?,
                    track: track_from_row(row)?,
                })
            })
            .collect::<Result<_, StoreError>>()?;
        Ok(Slice { items, total })
    }

    /// All track ids of a playlist in order (to play it as a context).
    pub async fn playlist_track_ids(&self, playlist_id: &str) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query(
            "SELECT track_id FROM playlist_tracks WHERE playlist_id = $1 ORDER BY position",
        )
        .bind(playlist_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| r.try_get::<String, _>("track_id").map_err(Into::into))
            .collect()
    }

    /// Inserts tracks at `position` (None: append), shifting the tail, and
    /// bumps the version; returns the new version, or None if the playlist is
    /// gone. `position` past the end appends.
    pub async fn add_playlist_tracks(
        &self,
        playlist_id: &str,
        track_ids: &[String],
        position: Option<i64>,
        added_by: &Username,
        now: i64,
    ) -> Result<Option<i64>, StoreError> {
        let mut tx = self.pool.begin().await?;
        // Bumping the version first locks the playlist row for the rest of
        // the transaction, so concurrent inserts cannot interleave positions.
        let version: Option<i64> = sqlx::query_scalar(
            "UPDATE playlists SET version = version + 1 WHERE id = $1 RETURNING version",
        )
        .bind(playlist_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(version) = version else {
            tx.rollback().await?;
            return Ok(None);
        };
        let len: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM playlist_tracks WHERE playlist_id = $1")
                .bind(playlist_id)
                .fetch_one(&mut *tx)
                .await?;
        let at = position.unwrap_or(len).clamp(0, len);
        let n = track_ids.len() as i64;
        sqlx::query(
            "UPDATE playlist_tracks SET position = position + $1 \
             WHERE playlist_id = $2 AND position >= $3",
        )
        .bind(n)
        .bind(playlist_id)
        .bind(at)
        .execute(&mut *tx)
        .await?;
        for (i, id) in track_ids.iter().enumerate() {
            sqlx::query(
                "INSERT INTO playlist_tracks (playlist_id, position, track_id, added_at, added_by) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(playlist_id)
            .bind(at + i as i64)
            .bind(id)
            .bind(now)
            .bind(added_by.as_str())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(Some(version))
    }

    /// Saved tracks, most recently added first.
    pub async fn saved_tracks(
        &self,
        user: &Username,
        limit: i64,
        offset: i64,
    ) -> Result<Slice<(i64, TrackRecord)>, StoreError> {
        let total = count(
            self,
            "SELECT COUNT(*) FROM saved_tracks WHERE user_id = $1",
            &[user.as_str().to_owned()],
        )
        .await?;
        let sql = TRACK_SELECT.replacen("SELECT ", "SELECT s.added_at, ", 1)
            + " JOIN saved_tracks s ON s.track_id = t.id WHERE s.user_id = $1 \
                ORDER BY s.added_at DESC, t.id LIMIT $2 OFFSET $3";
        let items = sqlx::query(&sql)
            .bind(user.as_str())
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| Ok((row.try_get("added_at")?, track_from_row(row)?)))
            .collect::<Result<_, StoreError>>()?;
        Ok(Slice { items, total })
    }

    /// Saves tracks; already-saved ones keep their date.
    pub async fn save_tracks(
        &self,
        user: &Username,
        track_ids: &[String],
        now: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        for id in track_ids {
            sqlx::query(
                "INSERT INTO saved_tracks (user_id, track_id, added_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (user_id, track_id) DO NOTHING",
            )
            .bind(user.as_str())
            .bind(id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn remove_saved_tracks(
        &self,
        user: &Username,
        track_ids: &[String],
    ) -> Result<(), StoreError> {
        if track_ids.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "DELETE FROM saved_tracks WHERE user_id = $1 AND track_id IN ({})",
            placeholders(2, track_ids.len())
        );
        let mut q = sqlx::query(&sql).bind(user.as_str());
        for id in track_ids {
            q = q.bind(id);
        }
        q.execute(&self.pool).await?;
        Ok(())
    }

    /// Which of these track ids the user has saved.
    pub async fn saved_among(
        &self,
        user: &Username,
        track_ids: &[String],
    ) -> Result<Vec<String>, StoreError> {
        if track_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT track_id FROM saved_tracks WHERE user_id = $1 AND track_id IN ({})",
            placeholders(2, track_ids.len())
        );
        let mut q = sqlx::query(&sql).bind(user.as_str());
        for id in track_ids {
            q = q.bind(id);
        }
        q.fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| r.try_get::<String, _>("track_id").map_err(Into::into))
            .collect()
    }

    /// Which of these track ids exist in the catalog.
    pub async fn existing_track_ids(&self, ids: &[String]) -> Result<Vec<String>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT id FROM tracks WHERE id IN ({})",
            placeholders(1, ids.len())
        );
        let mut q = sqlx::query(&sql);
        for id in ids {
            q = q.bind(id);
        }
        q.fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| r.try_get::<String, _>("id").map_err(Into::into))
            .collect()
    }
}

async fn insert_playlist(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    owner: &Username,
    p: &NewPlaylist,
    created_at: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO playlists (id, owner_id, name, description, public, collaborative, version, \
         created_at, search_text) VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8)",
    )
    .bind(&p.id)
    .bind(owner.as_str())
    .bind(&p.name)
    .bind(&p.description)
    .bind(p.public as i64)
    .bind(p.collaborative as i64)
    .bind(created_at)
    .bind(p.name.to_lowercase())
    .execute(&mut **tx)
    .await?;
    Ok(())
}
