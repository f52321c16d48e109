use super::columns::ByName;
use super::{users, writer, PendingCode, Store, StoreError, User};
use crate::domain::{ClientId, Scopes, Username};
use sqlx::Row;

/// A browser session, bound to a user at login. (`user_id` is optional in
/// the schema: versions before the signed CSRF cookie stored anonymous rows.)
#[derive(Debug, Clone)]
pub struct Session {
    pub id_hash: String,
    pub user_id: Option<Username>,
    pub csrf_token: String,
    pub expires_at: i64,
}

/// What `GET /authorize` needs of a logged-in browser (`Store::signed_in`).
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub session: Session,
    pub user: User,
    /// The scopes the user consented to for the client, if ever.
    pub consent: Option<Scopes>,
}

/// What `GET /authorize` reads of a session, its user and their consent.
pub(super) const SIGNED_IN_COLUMNS: &str =
    "s.id_hash, s.csrf_token, s.expires_at AS session_expires_at, u.id, \
     u.password_hash, u.display_name, u.email, u.country, u.product, u.created_at, \
     u.persona, u.locked_at, c.scopes AS consent_scopes";

/// `Store::signed_in`'s query on SQLite: ?1 the session id hash, ?2 now,
/// ?3 the client. (PostgreSQL reads a group of them in one statement.)
pub(super) fn signed_in_sql() -> &'static str {
    static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SQL.get_or_init(|| {
        format!(
            "SELECT {SIGNED_IN_COLUMNS} \
             FROM sessions s JOIN users u ON u.id = s.user_id \
             LEFT JOIN consents c ON c.user_id = s.user_id AND c.client_id = ?3 \
             WHERE s.id_hash = ?1 AND s.expires_at > ?2"
        )
    })
}

/// A row of `SIGNED_IN_COLUMNS` as read, before it is checked.
pub(super) struct SignedInRow {
    pub id_hash: String,
    pub csrf_token: String,
    pub expires_at: i64,
    pub user: users::UserRow,
    pub consent: Option<String>,
}

/// A row of `SIGNED_IN_COLUMNS`, by name.
pub(super) fn signed_in_row(row: &impl ByName) -> Result<SignedInRow, sqlx::Error> {
    Ok(SignedInRow {
        id_hash: row.col("id_hash")?,
        csrf_token: row.col("csrf_token")?,
        expires_at: row.col("session_expires_at")?,
        user: users::user_row(row)?,
        consent: row.col("consent_scopes")?,
    })
}

impl SignedInRow {
    fn into_signed_in(self) -> Result<SignedIn, StoreError> {
        let user = self.user.into_user()?;
        Ok(SignedIn {
            session: Session {
                id_hash: self.id_hash,
                user_id: Some(user.id.clone()),
                csrf_token: self.csrf_token,
                expires_at: self.expires_at,
            },
            consent: self
                .consent
                .map(|s| {
                    Scopes::parse(&s).map_err(|e| StoreError::Corrupt(format!("consent: {e}")))
                })
                .transpose()?,
            user,
        })
    }
}

impl Store {
    /// The live session with this id hash, its user and the user's consent
    /// to `client`, in one read: `GET /authorize` with a session made three
    /// round trips for these (issue 16). None if there is no such session,
    /// it is anonymous, or its user is gone. Read by the writer's thread
    /// (`writer`), without the pool's hand-offs and pings.
    pub async fn signed_in(
        &self,
        id_hash: &str,
        now: i64,
        client: &ClientId,
    ) -> Result<Option<SignedIn>, StoreError> {
        let (row, _) = self
            .writer
            .signed_in(writer::SignedInQuery {
                id_hash: id_hash.to_owned(),
                now,
                client: client.as_str().to_owned(),
                issue: None,
            })
            .await?;
        row.map(SignedInRow::into_signed_in).transpose()
    }

    /// `signed_in`, and in the same write `code` stored as the pending grant
    /// of the session's user if that user's consent to the code's client
    /// covers its scopes; whether it was. `GET /authorize` with remembered
    /// consent took two writes, the read and then the code (issue 16).
    pub async fn signed_in_issuing(
        &self,
        id_hash: &str,
        now: i64,
        code: &PendingCode<'_>,
        code_now: i64,
    ) -> Result<(Option<SignedIn>, bool), StoreError> {
        let (row, issued) = self
            .writer
            .signed_in(writer::SignedInQuery {
                id_hash: id_hash.to_owned(),
                now,
                client: code.client_id.as_str().to_owned(),
                issue: Some(code.row("", code_now)),
            })
            .await?;
        Ok((row.map(SignedInRow::into_signed_in).transpose()?, issued))
    }

    pub async fn insert_session(&self, s: &Session, now: i64) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&s.id_hash)
        .bind(s.user_id.as_ref().map(|u| u.as_str()))
        .bind(&s.csrf_token)
        .bind(now)
        .bind(s.expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The live session with this id hash, if any.
    pub async fn session(&self, id_hash: &str, now: i64) -> Result<Option<Session>, StoreError> {
        let row = sqlx::query(
            "SELECT id_hash, user_id, csrf_token, expires_at FROM sessions \
             WHERE id_hash = $1 AND expires_at > $2",
        )
        .bind(id_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            let user: Option<String> = row.try_get("user_id")?;
            Ok(Session {
                id_hash: row.try_get("id_hash")?,
                user_id: user
                    .map(|u| Username::parse(&u))
                    .transpose()
                    .map_err(|e| StoreError::Corrupt(format!("session user: {e}")))?,
                csrf_token: row.try_get("csrf_token")?,
                expires_at: row.try_get("expires_at")?,
            })
        })
        .transpose()
    }

    /// The server secret called `name`, stored as `fresh()` if there is none
    /// yet. Every instance on the database reads back the same one. `fresh`
    /// runs only when the secret is missing: the first random bytes of the
    /// process cost tens of milliseconds (aws-lc seeds its generator with CPU
    /// jitter), which a restart on an existing database need not pay.
    pub async fn server_secret(
        &self,
        name: &str,
        fresh: impl FnOnce() -> String,
        now: i64,
    ) -> Result<String, StoreError> {
        let read = || {
            sqlx::query_scalar::<_, String>("SELECT value FROM server_secrets WHERE name = $1")
                .bind(name)
        };
        if let Some(value) = read().fetch_optional(&self.pool).await? {
            return Ok(value);
        }
        {
            let _gate = self.write_gate().await;
            sqlx::query(
                "INSERT INTO server_secrets (name, value, created_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (name) DO NOTHING",
            )
            .bind(name)
            .bind(fresh())
            .bind(now)
            .execute(&self.pool)
            .await?;
        }
        Ok(read().fetch_one(&self.pool).await?)
    }

    /// Deletes expired sessions, spent or expired codes and grants that were
    /// never redeemed within a day; returns how many rows went.
    pub async fn sweep(&self, now: i64) -> Result<u64, StoreError> {
        let day = 24 * 3600;
        let mut rows = 0;
        for (sql, cutoff) in [
            ("DELETE FROM sessions WHERE expires_at <= $1", now),
            // A spent code is kept a day past expiry so a late replay is
            // still recognised; then its grant (if active) forgets it.
            (
                "UPDATE grants SET code_hash = NULL, code_redirect_uri = NULL, \
                 code_challenge = NULL WHERE code_hash IS NOT NULL AND activated_at IS NOT NULL \
                 AND code_expires_at <= $1",
                now - day,
            ),
            (
                "DELETE FROM grants WHERE activated_at IS NULL AND created_at <= $1",
                now - day,
            ),
        ] {
            rows += sqlx::query(sql)
                .bind(cutoff)
                .execute(&self.pool)
                .await?
                .rows_affected();
        }
        Ok(rows)
    }

    /// Deletes a session and, opportunistically, every expired one.
    pub async fn delete_session(&self, id_hash: &str, now: i64) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1 OR expires_at <= $2")
            .bind(id_hash)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
