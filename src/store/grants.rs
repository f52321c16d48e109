//! Grants, authorization codes, consents and revoked access tokens (refresh
//! tokens are in `refresh`). Every state change that must happen once (redeeming a code,
//! rotating a refresh token) is a single conditional UPDATE whose affected-row
//! count decides the winner, so concurrent requests on any number of instances
//! cannot both succeed.

use super::columns::ByName;
use super::{writer, Store, StoreError};
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

pub(super) const GRANT_COLUMNS: &str = "g.id, g.user_id, g.client_id, g.scopes, g.created_at, \
                             g.expires_at, g.activated_at, g.revoked_at";

pub(super) fn grant_from_row(row: &sqlx::any::AnyRow) -> Result<Grant, StoreError> {
    grant_row(row)?.into_grant()
}

/// A grant's columns of a row (`GRANT_COLUMNS`, by name).
pub(super) fn grant_row(row: &impl ByName) -> Result<GrantRow, sqlx::Error> {
    Ok(GrantRow {
        id: row.col("id")?,
        user_id: row.col("user_id")?,
        client_id: row.col("client_id")?,
        scopes: row.col("scopes")?,
        created_at: row.col("created_at")?,
        expires_at: row.col("expires_at")?,
        activated_at: row.col("activated_at")?,
        revoked_at: row.col("revoked_at")?,
    })
}

/// A grant's columns as read, before they are checked.
pub(super) struct GrantRow {
    pub id: String,
    pub user_id: String,
    pub client_id: String,
    pub scopes: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub activated_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

impl GrantRow {
    pub(super) fn into_grant(self) -> Result<Grant, StoreError> {
        let corrupt = |e: crate::domain::ParseError| StoreError::Corrupt(format!("grant: {e}"));
        Ok(Grant {
            id: self.id,
            user_id: Username::parse(&self.user_id).map_err(corrupt)?,
            client_id: ClientId::parse(&self.client_id).map_err(corrupt)?,
            scopes: Scopes::parse(&self.scopes).map_err(corrupt)?,
            created_at: self.created_at,
            expires_at: self.expires_at,
            activated_at: self.activated_at,
            revoked_at: self.revoked_at,
        })
    }
}

/// A claimed code's columns (`CLAIMED_COLUMNS`) as read.
pub(super) struct ClaimedRow {
    pub grant: GrantRow,
    pub redirect_uri: String,
    pub code_challenge: Option<String>,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

impl ClaimedRow {
    pub(super) fn into_record(self) -> Result<CodeRecord, StoreError> {
        Ok(CodeRecord {
            grant: self.grant.into_grant()?,
            redirect_uri: self.redirect_uri,
            code_challenge: self.code_challenge,
            expires_at: self.expires_at,
            used_at: self.used_at,
        })
    }
}

/// What the claiming UPDATE returns, in this order.
pub(super) const CLAIMED_COLUMNS: &str = "id, user_id, client_id, scopes, created_at, \
     expires_at, activated_at, revoked_at, code_redirect_uri, code_challenge, code_expires_at, \
     code_used_at";

/// The columns a pending grant is written with, its code's included, in the
/// order the writer's statements give them.
pub(super) const NEW_GRANT_COLUMNS: &str = "id, user_id, client_id, scopes, created_at, \
     expires_at, code_hash, code_redirect_uri, code_challenge, code_expires_at";

/// The id of a new grant. Time-ordered (UUIDv7): a group's new grants share
/// the id index's last page instead of dirtying one random page each (and so
/// do their refresh tokens in `refresh_tokens_grant`).
pub fn new_grant_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// A new authorization code for a user.
pub struct NewCode<'a> {
    pub user_id: &'a Username,
    pub code: PendingCode<'a>,
}

/// What a new authorization code carries besides its user: all
/// `Store::signed_in_issuing` knows before it reads the session.
pub struct PendingCode<'a> {
    pub code_hash: &'a str,
    pub grant_id: &'a str,
    pub client_id: &'a ClientId,
    pub scopes: &'a Scopes,
    pub redirect_uri: &'a str,
    pub code_challenge: Option<&'a str>,
    pub expires_at: i64,
    pub grant_expires_at: i64,
}

impl PendingCode<'_> {
    /// Its row, for `user` (`Store::signed_in_issuing` gives none: the writer
    /// stores the session's user).
    pub(super) fn row(&self, user: &str, now: i64) -> writer::InsertCode {
        writer::InsertCode {
            grant_id: self.grant_id.to_owned(),
            user_id: user.to_owned(),
            client_id: self.client_id.as_str().to_owned(),
            scopes: self.scopes.to_string(),
            now,
            grant_expires_at: self.grant_expires_at,
            code_hash: self.code_hash.to_owned(),
            redirect_uri: self.redirect_uri.to_owned(),
            code_challenge: self.code_challenge.map(str::to_owned),
            code_expires_at: self.expires_at,
        }
    }
}

/// A code presented at the token endpoint, with what the request says about it.
pub struct CodeRedemption<'a> {
    pub code_hash: &'a str,
    /// The authenticated client: another client's code is not touched.
    pub client_id: &'a ClientId,
    /// The request's `redirect_uri`, which must equal the code's.
    pub redirect_uri: Option<&'a str>,
    /// BASE64URL(SHA-256(code_verifier)) if the request has a verifier; it
    /// must equal the code's challenge, and be absent if the code has none.
    pub verifier_challenge: Option<&'a str>,
    /// The digest of the first refresh token, stored if the code is good.
    pub refresh_hash: &'a str,
    pub now: i64,
}

/// What presenting a code did.
#[derive(Debug)]
pub enum Redeemed {
    /// The code was good: it is spent, its grant active, the refresh token stored.
    Issued(CodeRecord),
    /// The code was this client's and unused, but expired, for another
    /// redirect URI, of a failed PKCE check, or of a revoked grant: it is
    /// spent now (it may have leaked) and no grant became active.
    Refused(CodeRecord),
    /// No unused code of this client has this hash: unknown, another
    /// client's, or used before (look at `Store::code` to tell).
    NotClaimed,
}

/// When a claimed code activates its grant. `$NOW`, `$REDIRECT` and
/// `$CHALLENGE` stand for the parameters; the same test on both backends.
pub(super) const REDEEM_OK: &str = "revoked_at IS NULL AND code_expires_at > $NOW \
     AND code_redirect_uri = $REDIRECT \
     AND (code_challenge = $CHALLENGE OR (code_challenge IS NULL AND $CHALLENGE IS NULL))";

/// A grant's row with its code (`CLAIMED_COLUMNS`, by name).
pub(super) fn claimed_row(row: &impl ByName) -> Result<ClaimedRow, sqlx::Error> {
    Ok(ClaimedRow {
        grant: grant_row(row)?,
        redirect_uri: row.col("code_redirect_uri")?,
        code_challenge: row.col("code_challenge")?,
        expires_at: row.col("code_expires_at")?,
        used_at: row.col("code_used_at")?,
    })
}

const CODE_COLUMNS: &str =
    "g.code_redirect_uri, g.code_challenge, g.code_expires_at, g.code_used_at";

impl Store {
    /// Creates a pending grant with its authorization code: one row (issue
    /// 16), committed together with the other codes queued at that moment
    /// (`writer`).
    pub async fn insert_code(&self, c: &NewCode<'_>, now: i64) -> Result<(), StoreError> {
        self.writer
            .insert_code(c.code.row(c.user_id.as_str(), now))
            .await
    }

    pub async fn code(&self, code_hash: &str) -> Result<Option<CodeRecord>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {GRANT_COLUMNS}, {CODE_COLUMNS} FROM grants g WHERE g.code_hash = $1"
        ))
        .bind(code_hash)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref()
            .map(|row| claimed_row(row)?.into_record())
            .transpose()
    }

    /// Marks the code used. True only for the one caller that got there first.
    pub async fn claim_code(&self, code_hash: &str, now: i64) -> Result<bool, StoreError> {
        let res = sqlx::query(
            "UPDATE grants SET code_used_at = $1 WHERE code_hash = $2 AND code_used_at IS NULL",
        )
        .bind(now)
        .bind(code_hash)
        .execute(&self.pool)
        .await?;
        Ok(res.rows_affected() == 1)
    }

    /// Presents a code at the token endpoint, in one round trip (issue 16):
    /// claims it if it is this client's and unused and, only if it is good
    /// (see `Redeemed`), activates its grant and stores the first refresh
    /// token, all as one write. One winner among concurrent presentations on
    /// any number of instances: the claim is a conditional UPDATE of the
    /// code's row. Runs in the writer's next group.
    pub async fn redeem_presented_code(
        &self,
        r: &CodeRedemption<'_>,
    ) -> Result<Redeemed, StoreError> {
        let claimed = self
            .writer
            .redeem(writer::Redeem {
                code_hash: r.code_hash.to_owned(),
                client_id: r.client_id.as_str().to_owned(),
                redirect_uri: r.redirect_uri.map(str::to_owned),
                challenge: r.verifier_challenge.map(str::to_owned),
                refresh_hash: r.refresh_hash.to_owned(),
                now: r.now,
            })
            .await?;
        Ok(match claimed {
            Some((record, true)) => Redeemed::Issued(record),
            Some((record, false)) => Redeemed::Refused(record),
            None => Redeemed::NotClaimed,
        })
    }

    /// Redeems a code unconditionally: marks it used, activates its grant and
    /// stores the grant's first refresh token, all in one transaction (the
    /// admin's minted grants). False if the code was already used or the
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
            "UPDATE grants SET code_used_at = $1, activated_at = $1 \
             WHERE code_hash = $2 AND id = $3 AND code_used_at IS NULL AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(code_hash)
        .bind(grant_id)
        .execute(&mut *tx)
        .await?;
        if claimed.rows_affected() != 1 {
            return Ok(false);
        }
        insert_refresh(&mut tx, refresh_hash, grant_id, now).await?;
        tx.commit().await?;
        Ok(true)
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

pub(super) async fn insert_refresh(
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
