//! Refresh tokens: lookup, rotation (with reuse detection) and the token
//! endpoint's read-and-rotate (on the writer). A rotation is one conditional
//! UPDATE whose affected-row count decides the winner.

use super::grants::{grant_from_row, insert_refresh, RefreshRecord, GRANT_COLUMNS};
use super::{writer, DatabaseKind, Store, StoreError};
use crate::domain::ClientId;
use sqlx::Row;

impl Store {
    pub async fn refresh_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<RefreshRecord>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {GRANT_COLUMNS}, r.rotated_at \
             FROM refresh_tokens r JOIN grants g ON g.id = r.grant_id WHERE r.token_hash = $1"
        ))
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(RefreshRecord {
                grant: grant_from_row(&row)?,
                rotated_at: row.try_get("rotated_at")?,
            })
        })
        .transpose()
    }

    /// Retires `old_hash` and stores `new_hash` in its place, atomically. False
    /// if `old_hash` was already retired (by a concurrent or earlier use).
    ///
    /// The hottest write (issue 8), so not the four round trips of BEGIN,
    /// UPDATE, INSERT, COMMIT: on PostgreSQL one statement whose UPDATE feeds
    /// the INSERT; on SQLite a conditional UPDATE and INSERT committed
    /// together with the other rotations queued at that moment (`writer`).
    /// The SQL differs by backend here only; the outcome does not.
    pub async fn rotate_refresh_token(
        &self,
        old_hash: &str,
        new_hash: &str,
        grant_id: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        match self.kind {
            DatabaseKind::Postgres => {
                let res = sqlx::query(
                    "WITH retired AS (UPDATE refresh_tokens SET rotated_at = $1 \
                     WHERE token_hash = $2 AND rotated_at IS NULL RETURNING grant_id) \
                     INSERT INTO refresh_tokens (token_hash, grant_id, created_at) \
                     SELECT $3, $4, $1 FROM retired",
                )
                .bind(now)
                .bind(old_hash)
                .bind(new_hash)
                .bind(grant_id)
                .execute(&self.pool)
                .await?;
                Ok(res.rows_affected() == 1)
            }
            DatabaseKind::Sqlite => {
                self.writer
                    .rotate(writer::Rotate {
                        old: old_hash.to_owned(),
                        new: new_hash.to_owned(),
                        grant: grant_id.to_owned(),
                        now,
                    })
                    .await
            }
        }
    }

    /// Reads a presented refresh token and, if it is live, this client's,
    /// and its grant neither revoked nor expired, retires it in favour of
    /// `new_hash`: the hot path of the token endpoint, as one write in one of
    /// the writer's groups (issue 16; on PostgreSQL one statement reads and
    /// rotates the whole group's tokens). None if the
    /// token is unknown; otherwise the record as read and whether this call
    /// retired the token. When it did not, the record's `rotated_at` may
    /// predate a concurrent rotation.
    pub async fn refresh_and_rotate(
        &self,
        token_hash: &str,
        new_hash: &str,
        client_id: &ClientId,
        now: i64,
    ) -> Result<Option<(RefreshRecord, bool)>, StoreError> {
        let found = self
            .writer
            .refresh(writer::Refresh {
                token_hash: token_hash.to_owned(),
                new_hash: new_hash.to_owned(),
                client: client_id.as_str().to_owned(),
                now,
            })
            .await?;
        found
            .map(|(grant, rotated_at, rotated)| {
                Ok((
                    RefreshRecord {
                        grant: grant.into_grant()?,
                        rotated_at,
                    },
                    rotated,
                ))
            })
            .transpose()
    }

    /// Stores one more refresh token for a grant (the grace-window answer).
    pub async fn add_refresh_token(
        &self,
        token_hash: &str,
        grant_id: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await?;
        insert_refresh(&mut conn, token_hash, grant_id, now).await
    }
}
