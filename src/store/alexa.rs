//! The Alexa simulator's tables: simulated users and their open session,
//! account links, pending link attempts, and the flow log.

use super::{Store, StoreError};
use sqlx::Row;

#[derive(Debug, Clone)]
pub struct AlexaUser {
    pub id: String,
    pub name: String,
    pub session_id: Option<String>,
    /// JSON object text.
    pub session_attributes: Option<String>,
    pub created_at: i64,
}

/// A stored link. The tokens are in clear: the simulator must send them on.
#[derive(Clone)]
pub struct AlexaLink {
    pub user_id: String,
    pub flow_id: String,
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub expires_at: i64,
    pub scopes: String,
    pub linked_at: i64,
    pub refreshed_at: Option<i64>,
}

impl std::fmt::Debug for AlexaLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlexaLink")
            .field("user_id", &self.user_id)
            .field("flow_id", &self.flow_id)
            .field("expires_at", &self.expires_at)
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

#[derive(Clone)]
pub struct LinkAttempt {
    pub flow_id: String,
    pub state_hash: String,
    pub user_id: String,
    pub pkce_verifier: Option<String>,
    pub redirect_uri: String,
    pub expires_at: i64,
}

/// One line of a flow log.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct FlowEntry {
    pub flow_id: String,
    pub user_id: String,
    pub seq: i64,
    pub at: i64,
    pub step: String,
    /// request | response | note
    pub direction: String,
    pub method: Option<String>,
    pub url: Option<String>,
    pub status: Option<i64>,
    pub headers: serde_json::Value,
    pub body: String,
}

fn user_from_row(row: &sqlx::any::AnyRow) -> Result<AlexaUser, StoreError> {
    Ok(AlexaUser {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        session_id: row.try_get("session_id")?,
        session_attributes: row.try_get("session_attributes")?,
        created_at: row.try_get("created_at")?,
    })
}

impl Store {
    pub async fn insert_alexa_user(
        &self,
        id: &str,
        name: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO alexa_users (id, name, created_at) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(name)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn alexa_users(&self) -> Result<Vec<AlexaUser>, StoreError> {
        sqlx::query(
            "SELECT id, name, session_id, session_attributes, created_at FROM alexa_users \
             ORDER BY created_at, id",
        )
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(user_from_row)
        .collect()
    }

    pub async fn alexa_user(&self, id: &str) -> Result<Option<AlexaUser>, StoreError> {
        sqlx::query(
            "SELECT id, name, session_id, session_attributes, created_at FROM alexa_users \
             WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(user_from_row)
        .transpose()
    }

    /// Opens, continues (`Some`) or closes (`None`) the user's skill session.
    pub async fn set_alexa_session(
        &self,
        user_id: &str,
        session: Option<(&str, &str)>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE alexa_users SET session_id = $1, session_attributes = $2 WHERE id = $3",
        )
        .bind(session.map(|s| s.0))
        .bind(session.map(|s| s.1))
        .bind(user_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn insert_link_attempt(&self, a: &LinkAttempt, now: i64) -> Result<(), StoreError> {
        // One pending attempt per user: a new "Enable" replaces the old one.
        sqlx::query("DELETE FROM alexa_link_attempts WHERE user_id = $1 OR expires_at <= $2")
            .bind(&a.user_id)
            .bind(now)
            .execute(&self.pool)
            .await?;
        sqlx::query(
            "INSERT INTO alexa_link_attempts \
             (flow_id, state_hash, user_id, pkce_verifier, redirect_uri, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&a.flow_id)
        .bind(&a.state_hash)
        .bind(&a.user_id)
        .bind(a.pkce_verifier.as_deref())
        .bind(&a.redirect_uri)
        .bind(now)
        .bind(a.expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Removes and returns the live attempt with this state, so a state is
    /// usable once.
    pub async fn take_link_attempt(
        &self,
        state_hash: &str,
        now: i64,
    ) -> Result<Option<LinkAttempt>, StoreError> {
        let row = sqlx::query(
            "DELETE FROM alexa_link_attempts WHERE state_hash = $1 \
             RETURNING flow_id, state_hash, user_id, pkce_verifier, redirect_uri, expires_at",
        )
        .bind(state_hash)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(LinkAttempt {
                flow_id: row.try_get("flow_id")?,
                state_hash: row.try_get("state_hash")?,
                user_id: row.try_get("user_id")?,
                pkce_verifier: row.try_get("pkce_verifier")?,
                redirect_uri: row.try_get("redirect_uri")?,
                expires_at: row.try_get("expires_at")?,
            })
        })
        .transpose()
        .map(|a: Option<LinkAttempt>| a.filter(|a| a.expires_at > now))
    }

    /// The flow id of the user's pending attempt, if any.
    pub async fn pending_link_flow(
        &self,
        user_id: &str,
        now: i64,
    ) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT flow_id FROM alexa_link_attempts WHERE user_id = $1 AND expires_at > $2",
        )
        .bind(user_id)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn alexa_link(&self, user_id: &str) -> Result<Option<AlexaLink>, StoreError> {
        let row = sqlx::query(
            "SELECT user_id, flow_id, access_token, refresh_token, expires_at, scopes, linked_at, \
             refreshed_at FROM alexa_links WHERE user_id = $1",
        )
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(AlexaLink {
                user_id: row.try_get("user_id")?,
                flow_id: row.try_get("flow_id")?,
                access_token: row.try_get("access_token")?,
                refresh_token: row.try_get("refresh_token")?,
                expires_at: row.try_get("expires_at")?,
                scopes: row.try_get("scopes")?,
                linked_at: row.try_get("linked_at")?,
                refreshed_at: row.try_get("refreshed_at")?,
            })
        })
        .transpose()
    }

    pub async fn save_alexa_link(&self, l: &AlexaLink) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO alexa_links (user_id, flow_id, access_token, refresh_token, expires_at, \
             scopes, linked_at, refreshed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (user_id) DO UPDATE SET flow_id = excluded.flow_id, \
             access_token = excluded.access_token, refresh_token = excluded.refresh_token, \
             expires_at = excluded.expires_at, scopes = excluded.scopes, \
             linked_at = excluded.linked_at, refreshed_at = excluded.refreshed_at",
        )
        .bind(&l.user_id)
        .bind(&l.flow_id)
        .bind(&l.access_token)
        .bind(l.refresh_token.as_deref())
        .bind(l.expires_at)
        .bind(&l.scopes)
        .bind(l.linked_at)
        .bind(l.refreshed_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Unlinks; true if there was a link.
    pub async fn delete_alexa_link(&self, user_id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM alexa_links WHERE user_id = $1")
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Appends to a flow log; `seq` is assigned here.
    pub async fn append_flow(&self, e: &FlowEntry) -> Result<(), StoreError> {
        let last: Option<i64> =
            sqlx::query_scalar("SELECT MAX(seq) FROM alexa_flow_log WHERE flow_id = $1")
                .bind(&e.flow_id)
                .fetch_one(&self.pool)
                .await?;
        sqlx::query(
            "INSERT INTO alexa_flow_log (id, flow_id, user_id, seq, at, step, direction, method, \
             url, status, headers, body) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(&e.flow_id)
        .bind(&e.user_id)
        .bind(last.unwrap_or(0) + 1)
        .bind(e.at)
        .bind(&e.step)
        .bind(&e.direction)
        .bind(e.method.as_deref())
        .bind(e.url.as_deref())
        .bind(e.status)
        .bind(e.headers.to_string())
        .bind(&e.body)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn flow(&self, flow_id: &str) -> Result<Vec<FlowEntry>, StoreError> {
        sqlx::query(
            "SELECT flow_id, user_id, seq, at, step, direction, method, url, status, headers, body \
             FROM alexa_flow_log WHERE flow_id = $1 ORDER BY seq",
        )
        .bind(flow_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| {
            let headers: String = row.try_get("headers")?;
            Ok(FlowEntry {
                flow_id: row.try_get("flow_id")?,
                user_id: row.try_get("user_id")?,
                seq: row.try_get("seq")?,
                at: row.try_get("at")?,
                step: row.try_get("step")?,
                direction: row.try_get("direction")?,
                method: row.try_get("method")?,
                url: row.try_get("url")?,
                status: row.try_get("status")?,
                headers: serde_json::from_str(&headers)
                    .map_err(|e| StoreError::Corrupt(format!("flow log headers: {e}")))?,
                body: row.try_get("body")?,
            })
        })
        .collect()
    }
}
