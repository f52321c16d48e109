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
    /// NA | EU | FE
    pub region: String,
    /// The userId the skill sees; `None` after a disable until a new one is made.
    pub skill_user_id: Option<String>,
    pub skill_enabled: bool,
    /// The simulator's side of the open session (JSON), see `alexa::talk`.
    pub session_state: Option<String>,
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
    /// Failed refreshes in a row that kept the link, and the backoff.
    pub refresh_failures: i64,
    pub next_refresh_at: Option<i64>,
}

impl std::fmt::Debug for AlexaLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlexaLink")
            .field("user_id", &self.user_id)
            .field("flow_id", &self.flow_id)
            .field("expires_at", &self.expires_at)
            .field("scopes", &self.scopes)
            .field("refresh_failures", &self.refresh_failures)
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
        region: row.try_get("region")?,
        skill_user_id: row.try_get("skill_user_id")?,
        skill_enabled: row.try_get::<i64, _>("skill_enabled")? != 0,
        session_state: row.try_get("session_state")?,
    })
}

const USER_COLUMNS: &str = "id, name, session_id, session_attributes, created_at, region, \
     skill_user_id, skill_enabled, session_state";

/// One entry of a simulated user's event log (`alexa_events`).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct AlexaEvent {
    pub user_id: String,
    pub at: i64,
    /// skill_event | session_ended | refresh | relink
    pub kind: String,
    pub summary: String,
    /// The envelope sent to the skill (token cut to a hint), if one was sent.
    #[schema(value_type = Object)]
    pub request: serde_json::Value,
    /// The skill's HTTP status, if it answered.
    pub status: Option<i64>,
    /// The skill's answer, or what went wrong.
    pub response: String,
}

impl Store {
    pub async fn insert_alexa_user(
        &self,
        id: &str,
        name: &str,
        region: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO alexa_users (id, name, created_at, region, skill_user_id) \
             VALUES ($1, $2, $3, $4, $1)",
        )
        .bind(id)
        .bind(name)
        .bind(now)
        .bind(region)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn set_alexa_region(&self, id: &str, region: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE alexa_users SET region = $1 WHERE id = $2")
            .bind(region)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Marks the skill enabled or disabled for the user, and sets the userId
    /// the skill sees (`None`: a fresh one will be issued).
    pub async fn set_alexa_enablement(
        &self,
        id: &str,
        enabled: bool,
        skill_user_id: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE alexa_users SET skill_enabled = $1, skill_user_id = $2 WHERE id = $3")
            .bind(i64::from(enabled))
            .bind(skill_user_id)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Sets the userId the skill sees if none is set yet; returns the one in force.
    pub async fn ensure_skill_user_id(&self, id: &str, fresh: &str) -> Result<String, StoreError> {
        sqlx::query(
            "UPDATE alexa_users SET skill_user_id = $1 WHERE id = $2 AND skill_user_id IS NULL",
        )
        .bind(fresh)
        .bind(id)
        .execute(&self.pool)
        .await?;
        let current: Option<String> =
            sqlx::query_scalar("SELECT skill_user_id FROM alexa_users WHERE id = $1")
                .bind(id)
                .fetch_one(&self.pool)
                .await?;
        Ok(current.unwrap_or_else(|| fresh.to_owned()))
    }

    /// The simulator's side of the open session (JSON text), or `None`.
    pub async fn set_alexa_session_state(
        &self,
        id: &str,
        state: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE alexa_users SET session_state = $1 WHERE id = $2")
            .bind(state)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Appends to a user's event log.
    pub async fn append_alexa_event(&self, e: &AlexaEvent) -> Result<(), StoreError> {
        let seq = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_micros() as i64)
            .unwrap_or(0);
        sqlx::query(
            "INSERT INTO alexa_events (id, user_id, seq, at, kind, summary, request, status, \
             response) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(&e.user_id)
        .bind(seq)
        .bind(e.at)
        .bind(&e.kind)
        .bind(&e.summary)
        .bind(if e.request.is_null() {
            String::new()
        } else {
            e.request.to_string()
        })
        .bind(e.status)
        .bind(&e.response)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A user's event log, oldest first (the last `limit`).
    pub async fn alexa_events(
        &self,
        user_id: &str,
        limit: i64,
    ) -> Result<Vec<AlexaEvent>, StoreError> {
        let mut out = sqlx::query(
            "SELECT user_id, at, kind, summary, request, status, response FROM alexa_events \
             WHERE user_id = $1 ORDER BY seq DESC, id LIMIT $2",
        )
        .bind(user_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| {
            let request: String = row.try_get("request")?;
            Ok(AlexaEvent {
                user_id: row.try_get("user_id")?,
                at: row.try_get("at")?,
                kind: row.try_get("kind")?,
                summary: row.try_get("summary")?,
                request: if request.is_empty() {
                    serde_json::Value::Null
                } else {
                    serde_json::from_str(&request)
                        .map_err(|e| StoreError::Corrupt(format!("alexa event request: {e}")))?
                },
                status: row.try_get("status")?,
                response: row.try_get("response")?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
        out.reverse();
        Ok(out)
    }

    pub async fn alexa_users(&self) -> Result<Vec<AlexaUser>, StoreError> {
        sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM alexa_users ORDER BY created_at, id"
        ))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(user_from_row)
        .collect()
    }

    pub async fn alexa_user(&self, id: &str) -> Result<Option<AlexaUser>, StoreError> {
        sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM alexa_users WHERE id = $1"
        ))
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
            "UPDATE alexa_users SET session_id = $1, session_attributes = $2, \
             session_state = CASE WHEN $1 IS NULL THEN NULL ELSE session_state END WHERE id = $3",
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
             refreshed_at, refresh_failures, next_refresh_at FROM alexa_links WHERE user_id = $1",
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
                refresh_failures: row.try_get("refresh_failures")?,
                next_refresh_at: row.try_get("next_refresh_at")?,
            })
        })
        .transpose()
    }

    pub async fn save_alexa_link(&self, l: &AlexaLink) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO alexa_links (user_id, flow_id, access_token, refresh_token, expires_at, \
             scopes, linked_at, refreshed_at, refresh_failures, next_refresh_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (user_id) DO UPDATE SET flow_id = excluded.flow_id, \
             access_token = excluded.access_token, refresh_token = excluded.refresh_token, \
             expires_at = excluded.expires_at, scopes = excluded.scopes, \
             linked_at = excluded.linked_at, refreshed_at = excluded.refreshed_at, \
             refresh_failures = excluded.refresh_failures, \
             next_refresh_at = excluded.next_refresh_at",
        )
        .bind(&l.user_id)
        .bind(&l.flow_id)
        .bind(&l.access_token)
        .bind(l.refresh_token.as_deref())
        .bind(l.expires_at)
        .bind(&l.scopes)
        .bind(l.linked_at)
        .bind(l.refreshed_at)
        .bind(l.refresh_failures)
        .bind(l.next_refresh_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records a failed refresh that kept the link: the count and the backoff.
    pub async fn note_refresh_failure(
        &self,
        user_id: &str,
        failures: i64,
        next_refresh_at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE alexa_links SET refresh_failures = $1, next_refresh_at = $2 WHERE user_id = $3",
        )
        .bind(failures)
        .bind(next_refresh_at)
        .bind(user_id)
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
