//! The Alexa simulator's tables: simulated users and their open session,
//! account links, pending link attempts, and the flow log.

use super::{Store, StoreError};
use sqlx::Row;

#[derive(Debug, Clone)]
pub struct AlexaUser {
    pub id: String,
    pub name: String,
    /// The simulated skill this view of the user is for (`default`: the
    /// skill of the `alexa_*` settings); the fields below are per skill.
    pub skill_key: String,
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
    pub skill_key: String,
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
            .field("skill_key", &self.skill_key)
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
    pub skill_key: String,
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

fn user_from_row(row: &sqlx::any::AnyRow, skill_key: &str) -> Result<AlexaUser, StoreError> {
    Ok(AlexaUser {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        skill_key: skill_key.to_owned(),
        session_id: row.try_get("session_id")?,
        session_attributes: row.try_get("session_attributes")?,
        created_at: row.try_get("created_at")?,
        region: row.try_get("region")?,
        skill_user_id: row.try_get("skill_user_id")?,
        skill_enabled: row.try_get::<i64, _>("skill_enabled")? != 0,
        session_state: row.try_get("session_state")?,
    })
}

/// A user as one skill sees it: the user row and its enablement row, if any.
const USER_SELECT: &str = "SELECT u.id, u.name, u.created_at, u.region, e.session_id, \
     e.session_attributes, e.skill_user_id, COALESCE(e.enabled, 0) AS skill_enabled, \
     e.session_state FROM alexa_users u \
     LEFT JOIN alexa_enablements e ON e.user_id = u.id AND e.skill_key = $1";

/// One entry of a simulated user's event log (`alexa_events`).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct AlexaEvent {
    pub user_id: String,
    /// The simulated skill it concerns.
    pub skill_key: String,
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
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO alexa_users (id, name, created_at, region) VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(name)
        .bind(now)
        .bind(region)
        .execute(&mut *tx)
        .await?;
        // The default skill sees the account id itself until a disable.
        sqlx::query(
            "INSERT INTO alexa_enablements (user_id, skill_key, skill_user_id) \
             VALUES ($1, 'default', $1)",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
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
        skill_key: &str,
        enabled: bool,
        skill_user_id: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO alexa_enablements (user_id, skill_key, enabled, skill_user_id) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, skill_key) DO UPDATE SET \
             enabled = excluded.enabled, skill_user_id = excluded.skill_user_id",
        )
        .bind(id)
        .bind(skill_key)
        .bind(i64::from(enabled))
        .bind(skill_user_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Sets the userId the skill sees if none is set yet; returns the one in force.
    pub async fn ensure_skill_user_id(
        &self,
        id: &str,
        skill_key: &str,
        fresh: &str,
    ) -> Result<String, StoreError> {
        sqlx::query(
            "INSERT INTO alexa_enablements (user_id, skill_key, skill_user_id) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id, skill_key) DO UPDATE SET skill_user_id = \
             COALESCE(alexa_enablements.skill_user_id, excluded.skill_user_id)",
        )
        .bind(id)
        .bind(skill_key)
        .bind(fresh)
        .execute(&self.pool)
        .await?;
        let current: Option<String> = sqlx::query_scalar(
            "SELECT skill_user_id FROM alexa_enablements WHERE user_id = $1 AND skill_key = $2",
        )
        .bind(id)
        .bind(skill_key)
        .fetch_one(&self.pool)
        .await?;
        Ok(current.unwrap_or_else(|| fresh.to_owned()))
    }

    /// The simulator's side of the open session (JSON text), or `None`.
    pub async fn set_alexa_session_state(
        &self,
        id: &str,
        skill_key: &str,
        state: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE alexa_enablements SET session_state = $1 WHERE user_id = $2 AND skill_key = $3",
        )
        .bind(state)
        .bind(id)
        .bind(skill_key)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The (user, skill) pairs with a row: the skills each user has used.
    pub async fn alexa_enablement_keys(&self, user_id: &str) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT skill_key FROM alexa_enablements WHERE user_id = $1 ORDER BY skill_key",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Appends to a user's event log.
    pub async fn append_alexa_event(&self, e: &AlexaEvent) -> Result<(), StoreError> {
        let seq = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_micros() as i64)
            .unwrap_or(0);
        sqlx::query(
            "INSERT INTO alexa_events (id, user_id, seq, at, kind, summary, request, status, \
             response, skill_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
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
        .bind(&e.skill_key)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A user's event log with one skill, oldest first (the last `limit`).
    pub async fn alexa_events(
        &self,
        user_id: &str,
        skill_key: &str,
        limit: i64,
    ) -> Result<Vec<AlexaEvent>, StoreError> {
        let mut out = sqlx::query(
            "SELECT user_id, skill_key, at, kind, summary, request, status, response \
             FROM alexa_events WHERE user_id = $1 AND skill_key = $2 \
             ORDER BY seq DESC, id LIMIT $3",
        )
        .bind(user_id)
        .bind(skill_key)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| {
            let request: String = row.try_get("request")?;
            Ok(AlexaEvent {
                user_id: row.try_get("user_id")?,
                skill_key: row.try_get("skill_key")?,
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

    /// Every simulated user, as `skill_key` sees them.
    pub async fn alexa_users(&self, skill_key: &str) -> Result<Vec<AlexaUser>, StoreError> {
        sqlx::query(&format!("{USER_SELECT} ORDER BY u.created_at, u.id"))
            .bind(skill_key)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| user_from_row(row, skill_key))
            .collect()
    }

    /// A simulated user as `skill_key` sees them.
    pub async fn alexa_user(
        &self,
        id: &str,
        skill_key: &str,
    ) -> Result<Option<AlexaUser>, StoreError> {
        sqlx::query(&format!("{USER_SELECT} WHERE u.id = $2"))
            .bind(skill_key)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(|row| user_from_row(row, skill_key))
            .transpose()
    }

    /// Opens, continues (`Some`) or closes (`None`) the user's session with a skill.
    pub async fn set_alexa_session(
        &self,
        user_id: &str,
        skill_key: &str,
        session: Option<(&str, &str)>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO alexa_enablements (user_id, skill_key, session_id, session_attributes) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, skill_key) DO UPDATE SET \
             session_id = excluded.session_id, \
             session_attributes = excluded.session_attributes, \
             session_state = CASE WHEN excluded.session_id IS NULL THEN NULL \
             ELSE alexa_enablements.session_state END",
        )
        .bind(user_id)
        .bind(skill_key)
        .bind(session.map(|s| s.0))
        .bind(session.map(|s| s.1))
        .execute(&self.pool)
        .await?;
        Ok(())
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
