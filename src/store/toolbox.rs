//! Scenarios (scripted faults), the virtual-clock offsets (shared and per
//! client), and the admin pages' listings.

use super::{Store, StoreError};
use sqlx::Row;

/// A stored scenario; see `admin::scenarios` for what each kind does.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ScenarioRecord {
    pub id: String,
    pub kind: String,
    pub client_id: Option<String>,
    pub user_id: Option<String>,
    pub error: Option<String>,
    pub status: Option<i64>,
    pub delay_ms: Option<i64>,
    pub seconds: Option<i64>,
    pub path: Option<String>,
    /// token_error / token_delay: only requests of this grant type (None: any).
    pub grant_type: Option<String>,
    pub remaining: Option<i64>,
    pub expires_at: Option<i64>,
    pub created_at: i64,
    /// Order of creation (real-time microseconds); earlier scenarios apply first.
    #[serde(skip)]
    pub seq: i64,
}

const COLUMNS: &str = "id, kind, client_id, user_id, error, status, delay_ms, seconds, path, \
                       remaining, expires_at, created_at, seq, grant_type";

fn from_row(row: &sqlx::any::AnyRow) -> Result<ScenarioRecord, StoreError> {
    Ok(ScenarioRecord {
        id: row.try_get("id")?,
        kind: row.try_get("kind")?,
        client_id: row.try_get("client_id")?,
        user_id: row.try_get("user_id")?,
        error: row.try_get("error")?,
        status: row.try_get("status")?,
        delay_ms: row.try_get("delay_ms")?,
        seconds: row.try_get("seconds")?,
        path: row.try_get("path")?,
        remaining: row.try_get("remaining")?,
        expires_at: row.try_get("expires_at")?,
        created_at: row.try_get("created_at")?,
        seq: row.try_get("seq")?,
        grant_type: row.try_get("grant_type")?,
    })
}

impl Store {
    /// Inserts a scenario; an existing id is left alone (config seeds are
    /// applied once per database, whatever the number of instances).
    pub async fn insert_scenario(&self, s: &ScenarioRecord) -> Result<bool, StoreError> {
        let res = sqlx::query(&format!(
            "INSERT INTO scenarios ({COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) ON CONFLICT (id) DO NOTHING"
        ))
        .bind(&s.id)
        .bind(&s.kind)
        .bind(s.client_id.as_deref())
        .bind(s.user_id.as_deref())
        .bind(s.error.as_deref())
        .bind(s.status)
        .bind(s.delay_ms)
        .bind(s.seconds)
        .bind(s.path.as_deref())
        .bind(s.remaining)
        .bind(s.expires_at)
        .bind(s.created_at)
        .bind(s.seq)
        .bind(s.grant_type.as_deref())
        .execute(&self.pool)
        .await?;
        Ok(res.rows_affected() == 1)
    }

    /// Scenarios still in force at `now`, oldest first.
    pub async fn active_scenarios(&self, now: i64) -> Result<Vec<ScenarioRecord>, StoreError> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM scenarios \
             WHERE (remaining IS NULL OR remaining > 0) AND (expires_at IS NULL OR expires_at > $1) \
             ORDER BY seq, id"
        ))
        .bind(now)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(from_row)
        .collect()
    }

    /// Takes one use of a counted scenario; false if none was left (another
    /// request, possibly on another instance, took the last one).
    pub async fn consume_scenario(&self, id: &str) -> Result<bool, StoreError> {
        let res = sqlx::query(
            "UPDATE scenarios SET remaining = remaining - 1 WHERE id = $1 AND remaining > 0",
        )
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(res.rows_affected() == 1)
    }

    pub async fn delete_scenario(&self, id: &str) -> Result<bool, StoreError> {
        let res = sqlx::query("DELETE FROM scenarios WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(res.rows_affected() > 0)
    }

    pub async fn delete_all_scenarios(&self) -> Result<u64, StoreError> {
        let res = sqlx::query("DELETE FROM scenarios")
            .execute(&self.pool)
            .await?;
        Ok(res.rows_affected())
    }

    /// The shared virtual-clock offset in seconds (0 if never set).
    pub async fn clock_offset(&self) -> Result<i64, StoreError> {
        let offset: Option<i64> =
            sqlx::query_scalar("SELECT offset_seconds FROM clock_offsets WHERE id = 'global'")
                .fetch_optional(&self.pool)
                .await?;
        Ok(offset.unwrap_or(0))
    }

    /// Adds `seconds` to the shared offset atomically; returns the new offset.
    pub async fn advance_clock_offset(&self, seconds: i64, now: i64) -> Result<i64, StoreError> {
        let offset: i64 = sqlx::query_scalar(
            "INSERT INTO clock_offsets (id, offset_seconds, updated_at) VALUES ('global', $1, $2) \
             ON CONFLICT (id) DO UPDATE SET offset_seconds = clock_offsets.offset_seconds + $1, \
             updated_at = $2 RETURNING offset_seconds",
        )
        .bind(seconds)
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        Ok(offset)
    }

    pub async fn reset_clock_offset(&self) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM clock_offsets WHERE id = 'global'")
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Grant ids of the user's live (not revoked) grants.
    pub async fn live_grants_of(&self, user: &str) -> Result<Vec<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT id FROM grants WHERE user_id = $1 AND revoked_at IS NULL")
                .bind(user)
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// Every client's own clock offset (rows exist only for shifted clients).
    pub async fn client_clock_offsets(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT client_id, offset_seconds FROM client_clock_offsets ORDER BY client_id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("client_id")?, r.try_get("offset_seconds")?)))
            .collect()
    }

    /// Adds `seconds` to one client's offset atomically; returns the new offset.
    pub async fn advance_client_clock_offset(
        &self,
        client_id: &str,
        seconds: i64,
        now: i64,
    ) -> Result<i64, StoreError> {
        let offset: i64 = sqlx::query_scalar(
            "INSERT INTO client_clock_offsets (client_id, offset_seconds, updated_at) \
             VALUES ($1, $2, $3) ON CONFLICT (client_id) DO UPDATE SET \
             offset_seconds = client_clock_offsets.offset_seconds + $2, updated_at = $3 \
             RETURNING offset_seconds",
        )
        .bind(client_id)
        .bind(seconds)
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        Ok(offset)
    }

    /// Removes one client's offset (`Some`), or every client's (`None`).
    pub async fn reset_client_clock_offsets(
        &self,
        client_id: Option<&str>,
    ) -> Result<u64, StoreError> {
        let res = match client_id {
            Some(id) => {
                sqlx::query("DELETE FROM client_clock_offsets WHERE client_id = $1")
                    .bind(id)
                    .execute(&self.pool)
                    .await?
            }
            None => {
                sqlx::query("DELETE FROM client_clock_offsets")
                    .execute(&self.pool)
                    .await?
            }
        };
        Ok(res.rows_affected())
    }

    /// Every live grant (redeemed, not revoked), newest first, for the admin
    /// pages; whether it has expired is for the caller to judge per client.
    pub async fn live_grants(&self) -> Result<Vec<LiveGrant>, StoreError> {
        let rows = sqlx::query(
            "SELECT g.id, g.user_id, g.client_id, c.name, g.scopes, g.activated_at, g.expires_at \
             FROM grants g JOIN clients c ON c.id = g.client_id \
             WHERE g.activated_at IS NOT NULL AND g.revoked_at IS NULL \
             ORDER BY g.activated_at DESC, g.id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(LiveGrant {
                    grant_id: r.try_get("id")?,
                    user_id: r.try_get("user_id")?,
                    client_id: r.try_get("client_id")?,
                    client_name: r.try_get("name")?,
                    scopes: r.try_get("scopes")?,
                    activated_at: r.try_get("activated_at")?,
                    expires_at: r.try_get("expires_at")?,
                })
            })
            .collect()
    }
}

/// A live grant as the admin pages list it.
#[derive(Debug, Clone)]
pub struct LiveGrant {
    pub grant_id: String,
    pub user_id: String,
    pub client_id: String,
    pub client_name: String,
    pub scopes: String,
    pub activated_at: i64,
    pub expires_at: i64,
}
