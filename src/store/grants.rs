//! Grants, authorization codes, refresh tokens, consents and revoked access
//! tokens. Every state change that must happen once (redeeming a code,
//! rotating a refresh token) is a single conditional UPDATE whose affected-row
//! count decides the winner, so concurrent requests on any number of instances
//! cannot both succeed.

use super::{DatabaseKind, Store, StoreError};
use crate::domain::{ClientId, Scopes, Username};
use sqlx::Row;

#[derive(Debug, Clone)]
pub struct Grant {
    pub id: String,
    pub user_id: Username,
    pub client_id: ClientId,
    pub scopes: Scopes,
    pub created_at: i64,
    pub expires_at: i64,
    pub activated_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// An authorization code as stored, with its grant.
#[derive(Debug, Clone)]
pub struct CodeRecord {
    pub grant: Grant,
    pub redirect_uri: String,
    pub code_challenge: Option<String>,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

/// A refresh token as stored, with its grant.
#[derive(Debug, Clone)]
pub struct RefreshRecord {
    pub grant: Grant,
    pub rotated_at: Option<i64>,
}

/// A client a user has linked, for the "Linked apps" page.
#[derive(Debug, Clone)]
pub struct LinkedApp {
    pub grant_id: String,
    pub client_id: String,
    pub client_name: String,
    pub scopes: String,
    pub linked_at: i64,
}

const GRANT_COLUMNS: &str = "g.id, g.user_id, g.client_id, g.scopes, g.created_at, \
                             g.expires_at, g.activated_at, g.revoked_at";

fn grant_from_row(row: &sqlx::any::AnyRow) -> Result<Grant, StoreError> {
    let corrupt = |e: crate::domain::ParseError| StoreError::Corrupt(format!("grant: {e}"));
    Ok(Grant {
        id: row.try_get("id")?,
        user_id: Username::parse(&row.try_get::<String, _>("user_id")?).map_err(corrupt)?,
        client_id: ClientId::parse(&row.try_get::<String, _>("client_id")?).map_err(corrupt)?,
        scopes: Scopes::parse(&row.try_get::<String, _>("scopes")?).map_err(corrupt)?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        activated_at: row.try_get("activated_at")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

/// What a new authorization code carries.
pub struct NewCode<'a> {
    pub code_hash: &'a str,
    pub grant_id: &'a str,
    pub user_id: &'a Username,
    pub client_id: &'a ClientId,
    pub scopes: &'a Scopes,
    pub redirect_uri: &'a str,
    pub code_challenge: Option<&'a str>,
    pub expires_at: i64,
    pub grant_expires_at: i64,
}

impl Store {
    /// Creates a pending grant and its authorization code.
    pub async fn insert_code(&self, c: &NewCode<'_>, now: i64) -> Result<(), StoreError> {
        let _gate = self.write_gate().await;
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO grants (id, user_id, client_id, scopes, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(c.grant_id)
        .bind(c.user_id.as_str())
        .bind(c.client_id.as_str())
        .bind(c.scopes.to_string())
        .bind(now)
        .bind(c.grant_expires_at)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO auth_codes (code_hash, grant_id, redirect_uri, code_challenge, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(c.code_hash)
        .bind(c.grant_id)
        .bind(c.redirect_uri)
        .bind(c.code_challenge)
        .bind(now)
        .bind(c.expires_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn code(&self, code_hash: &str) -> Result<Option<CodeRecord>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {GRANT_COLUMNS}, c.redirect_uri, c.code_challenge, \
             c.expires_at AS code_expires_at, c.used_at \
             FROM auth_codes c JOIN grants g ON g.id = c.grant_id WHERE c.code_hash = $1"
        ))
        .bind(code_hash)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(CodeRecord {
                grant: grant_from_row(&row)?,
                redirect_uri: row.try_get("redirect_uri")?,
                code_challenge: row.try_get("code_challenge")?,
                expires_at: row.try_get("code_expires_at")?,
                used_at: row.try_get("used_at")?,
            })
        })
        .transpose()
    }

    /// Marks the code used. True only for the one caller that got there first.
    pub async fn claim_code(&self, code_hash: &str, now: i64) -> Result<bool, StoreError> {
        let res = sqlx::query(
            "UPDATE auth_codes SET used_at = $1 WHERE code_hash = $2 AND used_at IS NULL",
        )
        .bind(now)
        .bind(code_hash)
        .execute(&self.pool)
        .await?;
        Ok(res.rows_affected() == 1)
    }

    /// Redeems a code: marks it used, activates its grant and stores the
    /// grant's first refresh token, all in one transaction. False if the code
    /// was already used (the caller lost a race or this is a replay) or the
    /// grant was revoked.
    pub async fn redeem_code(
        &self,
        code_hash: &str,
        grant_id: &str,
        refresh_hash: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let _gate = self.write_gate().await;
        let mut tx = self.pool.begin().await?;
        let claimed = sqlx::query(
            "UPDATE auth_codes SET used_at = $1 WHERE code_hash = $2 AND used_at IS NULL",
        )
        .bind(now)
        .bind(code_hash)
        .execute(&mut *tx)
        .await?;
        if claimed.rows_affected() != 1 {
            return Ok(false);
        }
        let activated =
            sqlx::query("UPDATE grants SET activated_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                .bind(now)
                .bind(grant_id)
                .execute(&mut *tx)
                .await?;
        if activated.rows_affected() != 1 {
            return Ok(false);
        }
        insert_refresh(&mut tx, refresh_hash, grant_id, now).await?;
        tx.commit().await?;
        Ok(true)
    }

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
    /// together with the other rotations queued at that moment (`rotation`).
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
                self.rotations
                    .rotate(old_hash, new_hash, grant_id, now)
                    .await
            }
        }
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

    /// Revokes a grant; its refresh tokens stop working and its access tokens
    /// fail verification. True if it was live before.
    pub async fn revoke_grant(
        &self,
        grant_id: &str,
        reason: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let res = sqlx::query(
            "UPDATE grants SET revoked_at = $1, revoked_reason = $2 WHERE id = $3 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(reason)
        .bind(grant_id)
        .execute(&self.pool)
        .await?;
        Ok(res.rows_affected() == 1)
    }

    pub async fn grant(&self, grant_id: &str) -> Result<Option<Grant>, StoreError> {
        sqlx::query(&format!(
            "SELECT {GRANT_COLUMNS} FROM grants g WHERE g.id = $1"
        ))
        .bind(grant_id)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(grant_from_row)
        .transpose()
    }

    /// The live, redeemed grants of a user, newest first.
    pub async fn linked_apps(&self, user: &Username) -> Result<Vec<LinkedApp>, StoreError> {
        let rows = sqlx::query(
            "SELECT g.id, g.client_id, c.name, g.scopes, g.activated_at \
             FROM grants g JOIN clients c ON c.id = g.client_id \
             WHERE g.user_id = $1 AND g.activated_at IS NOT NULL AND g.revoked_at IS NULL \
             ORDER BY g.activated_at DESC, g.id",
        )
        .bind(user.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(LinkedApp {
                    grant_id: r.try_get("id")?,
                    client_id: r.try_get("client_id")?,
                    client_name: r.try_get("name")?,
                    scopes: r.try_get("scopes")?,
                    linked_at: r.try_get("activated_at")?,
                })
            })
            .collect()
    }

    /// The scopes a user already approved for a client.
    pub async fn consent(
        &self,
        user: &Username,
        client: &ClientId,
    ) -> Result<Option<Scopes>, StoreError> {
        let scopes: Option<String> =
            sqlx::query_scalar("SELECT scopes FROM consents WHERE user_id = $1 AND client_id = $2")
                .bind(user.as_str())
                .bind(client.as_str())
                .fetch_optional(&self.pool)
                .await?;
        scopes
            .map(|s| Scopes::parse(&s).map_err(|e| StoreError::Corrupt(format!("consent: {e}"))))
            .transpose()
    }

    pub async fn save_consent(
        &self,
        user: &Username,
        client: &ClientId,
        scopes: &Scopes,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO consents (user_id, client_id, scopes, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (user_id, client_id) DO UPDATE SET scopes = excluded.scopes, created_at = excluded.created_at",
        )
        .bind(user.as_str())
        .bind(client.as_str())
        .bind(scopes.to_string())
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Forgets a user's consent for a client (on unlink).
    pub async fn delete_consent(
        &self,
        user: &Username,
        client: &ClientId,
    ) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM consents WHERE user_id = $1 AND client_id = $2")
            .bind(user.as_str())
            .bind(client.as_str())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Records one revoked access token until its natural expiry, and prunes
    /// the entries whose tokens have expired anyway.
    pub async fn revoke_jti(&self, jti: &str, expires_at: i64, now: i64) -> Result<(), StoreError> {
        let _gate = self.write_gate().await;
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM revoked_tokens WHERE expires_at < $1")
            .bind(now - 120)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO revoked_tokens (jti, expires_at, revoked_at) VALUES ($1, $2, $3) \
             ON CONFLICT (jti) DO NOTHING",
        )
        .bind(jti)
        .bind(expires_at)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn is_jti_revoked(&self, jti: &str) -> Result<bool, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM revoked_tokens WHERE jti = $1")
            .bind(jti)
            .fetch_one(&self.pool)
            .await?;
        Ok(n > 0)
    }

    /// Ids of grants revoked at or after `since`, and jtis revoked at or after
    /// `since`, for the verifier's revocation cache.
    pub async fn revocations_since(
        &self,
        since: i64,
    ) -> Result<(Vec<String>, Vec<String>), StoreError> {
        let grants = sqlx::query_scalar("SELECT id FROM grants WHERE revoked_at >= $1")
            .bind(since)
            .fetch_all(&self.pool)
            .await?;
        let jtis = sqlx::query_scalar("SELECT jti FROM revoked_tokens WHERE revoked_at >= $1")
            .bind(since)
            .fetch_all(&self.pool)
            .await?;
        Ok((grants, jtis))
    }
}

async fn insert_refresh(
    conn: &mut sqlx::AnyConnection,
    token_hash: &str,
    grant_id: &str,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO refresh_tokens (token_hash, grant_id, created_at) VALUES ($1, $2, $3)",
    )
    .bind(token_hash)
    .bind(grant_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}
