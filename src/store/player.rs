//! Per-user devices and playback state. Commands are read-modify-write with a
//! version check, so concurrent commands on any number of instances never lose
//! each other's changes silently (the loser re-reads and retries).

use super::catalog::{track_from_row, TrackRecord, TRACK_SELECT};
use super::{Store, StoreError};
use crate::domain::Username;
use sqlx::any::AnyRow;
use sqlx::Row;

#[derive(Debug, Clone)]
pub struct NewDevice {
    pub id: String,
    pub name: String,
    pub device_type: String,
    pub volume_percent: i64,
    pub supports_volume: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRecord {
    pub id: String,
    pub name: String,
    pub device_type: String,
    pub volume_percent: i64,
    pub supports_volume: bool,
}

/// The stored playback row; the api role's `playback` module gives it meaning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaybackRecord {
    pub device_id: Option<String>,
    pub context_uri: Option<String>,
    pub track_ids: Vec<String>,
    pub position: i64,
    pub queued: i64,
    pub progress_ms: i64,
    pub is_playing: bool,
    pub shuffle: bool,
    pub repeat_state: String,
    pub updated_ms: i64,
    pub version: i64,
}

/// One play of the listening history, to be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPlay {
    pub track_id: String,
    /// Unix milliseconds, when the play ended.
    pub played_at_ms: i64,
    pub context_uri: Option<String>,
}

/// A stored play with its track.
#[derive(Debug, Clone)]
pub struct PlayRecord {
    pub played_at_ms: i64,
    pub context_uri: Option<String>,
    pub track: TrackRecord,
}

/// Which part of the history to read, newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryWindow {
    /// The latest plays.
    Latest,
    /// Plays strictly before this time (Unix ms).
    Before(i64),
    /// Plays strictly after this time (Unix ms): the oldest of them.
    After(i64),
}

fn device_from_row(row: &AnyRow) -> Result<DeviceRecord, StoreError> {
    Ok(DeviceRecord {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        device_type: row.try_get("device_type")?,
        volume_percent: row.try_get("volume_percent")?,
        supports_volume: row.try_get::<i64, _>("supports_volume")? != 0,
    })
}

impl Store {
    pub async fn devices(&self, user: &Username) -> Result<Vec<DeviceRecord>, StoreError> {
        sqlx::query(
            "SELECT id, name, device_type, volume_percent, supports_volume FROM devices \
             WHERE user_id = $1 ORDER BY sort_order",
        )
        .bind(user.as_str())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(device_from_row)
        .collect()
    }

    pub async fn set_device_volume(
        &self,
        user: &Username,
        device_id: &str,
        volume: i64,
    ) -> Result<bool, StoreError> {
        let res =
            sqlx::query("UPDATE devices SET volume_percent = $1 WHERE id = $2 AND user_id = $3")
                .bind(volume)
                .bind(device_id)
                .bind(user.as_str())
                .execute(&self.pool)
                .await?;
        Ok(res.rows_affected() == 1)
    }

    pub async fn playback(&self, user: &Username) -> Result<Option<PlaybackRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT device_id, context_uri, track_ids, position, queued, progress_ms, is_playing, \
             shuffle, repeat_state, updated_ms, version FROM playback WHERE user_id = $1",
        )
        .bind(user.as_str())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            let ids: String = row.try_get("track_ids")?;
            Ok(PlaybackRecord {
                device_id: row.try_get("device_id")?,
                context_uri: row.try_get("context_uri")?,
                track_ids: ids
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect(),
                position: row.try_get("position")?,
                queued: row.try_get("queued")?,
                progress_ms: row.try_get("progress_ms")?,
                is_playing: row.try_get::<i64, _>("is_playing")? != 0,
                shuffle: row.try_get::<i64, _>("shuffle")? != 0,
                repeat_state: row.try_get("repeat_state")?,
                updated_ms: row.try_get("updated_ms")?,
                version: row.try_get("version")?,
            })
        })
        .transpose()
    }

    /// Writes `p` if the stored version is still `p.version`, bumping it.
    /// False when another command won the race.
    pub async fn save_playback(
        &self,
        user: &Username,
        p: &PlaybackRecord,
    ) -> Result<bool, StoreError> {
        let res = sqlx::query(
            "UPDATE playback SET device_id = $1, context_uri = $2, track_ids = $3, position = $4, \
             queued = $5, progress_ms = $6, is_playing = $7, shuffle = $8, repeat_state = $9, \
             updated_ms = $10, version = version + 1 WHERE user_id = $11 AND version = $12",
        )
        .bind(p.device_id.as_deref())
        .bind(p.context_uri.as_deref())
        .bind(p.track_ids.join(","))
        .bind(p.position)
        .bind(p.queued)
        .bind(p.progress_ms)
        .bind(p.is_playing as i64)
        .bind(p.shuffle as i64)
        .bind(&p.repeat_state)
        .bind(p.updated_ms)
        .bind(user.as_str())
        .bind(p.version)
        .execute(&self.pool)
        .await?;
        Ok(res.rows_affected() == 1)
    }
}

impl Store {
    /// Appends plays to `user`'s history; a play already recorded (same
    /// user and end time) is kept as it is.
    pub async fn record_plays(&self, user: &Username, plays: &[NewPlay]) -> Result<(), StoreError> {
        for play in plays {
            sqlx::query(
                "INSERT INTO play_history (user_id, played_at, track_id, context_uri) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, played_at) DO NOTHING",
            )
            .bind(user.as_str())
            .bind(play.played_at_ms)
            .bind(&play.track_id)
            .bind(play.context_uri.as_deref())
            .execute(&self.pool)
            .await?;
        }
        Ok(())
    }

    /// Up to `limit` plays of `user` in `window`, newest first.
    pub async fn play_history(
        &self,
        user: &Username,
        window: HistoryWindow,
        limit: i64,
    ) -> Result<Vec<PlayRecord>, StoreError> {
        // TRACK_SELECT ends in its joins, so the history joins on after them.
        let select = TRACK_SELECT.replacen("SELECT ", "SELECT h.played_at, h.context_uri, ", 1);
        let (filter, order, bound) = match window {
            HistoryWindow::Latest => ("", "DESC", None),
            HistoryWindow::Before(t) => (" AND h.played_at < $3", "DESC", Some(t)),
            HistoryWindow::After(t) => (" AND h.played_at > $3", "ASC", Some(t)),
        };
        let sql = format!(
            "{select} JOIN play_history h ON h.track_id = t.id \
             WHERE h.user_id = $1{filter} ORDER BY h.played_at {order} LIMIT $2"
        );
        let mut q = sqlx::query(&sql).bind(user.as_str()).bind(limit);
        if let Some(t) = bound {
            q = q.bind(t);
        }
        let mut plays = q
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| {
                Ok(PlayRecord {
                    played_at_ms: row.try_get("played_at")?,
                    context_uri: row.try_get("context_uri")?,
                    track: track_from_row(row)?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        if order == "ASC" {
            plays.reverse();
        }
        Ok(plays)
    }
}
