//! The Alexa simulator's account links: pending link attempts and one link
//! per (simulated user, simulated skill).

use super::{AlexaLink, LinkAttempt, Store, StoreError};
use sqlx::Row;

impl Store {
    pub async fn insert_link_attempt(&self, a: &LinkAttempt, now: i64) -> Result<(), StoreError> {
        // One pending attempt per user and skill: a new "Enable" replaces the old one.
        sqlx::query(
            "DELETE FROM alexa_link_attempts WHERE (user_id = $1 AND skill_key = $2) \
             OR expires_at <= $3",
        )
        .bind(&a.user_id)
        .bind(&a.skill_key)
        .bind(now)
        .execute(&self.pool)
        .await?;
        sqlx::query(
            "INSERT INTO alexa_link_attempts \
             (flow_id, state_hash, user_id, pkce_verifier, redirect_uri, created_at, expires_at, \
             skill_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&a.flow_id)
        .bind(&a.state_hash)
        .bind(&a.user_id)
        .bind(a.pkce_verifier.as_deref())
        .bind(&a.redirect_uri)
        .bind(now)
        .bind(a.expires_at)
        .bind(&a.skill_key)
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
             RETURNING flow_id, state_hash, user_id, skill_key, pkce_verifier, redirect_uri, \
             expires_at",
        )
        .bind(state_hash)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(LinkAttempt {
                flow_id: row.try_get("flow_id")?,
                state_hash: row.try_get("state_hash")?,
                user_id: row.try_get("user_id")?,
                skill_key: row.try_get("skill_key")?,
                pkce_verifier: row.try_get("pkce_verifier")?,
                redirect_uri: row.try_get("redirect_uri")?,
                expires_at: row.try_get("expires_at")?,
            })
        })
        .transpose()
        .map(|a: Option<LinkAttempt>| a.filter(|a| a.expires_at > now))
    }

    /// The flow id of the user's pending attempt with a skill, if any.
    pub async fn pending_link_flow(
        &self,
        user_id: &str,
        skill_key: &str,
        now: i64,
    ) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT flow_id FROM alexa_link_attempts WHERE user_id = $1 AND skill_key = $2 \
             AND expires_at > $3",
        )
        .bind(user_id)
        .bind(skill_key)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn alexa_link(
        &self,
        user_id: &str,
        skill_key: &str,
    ) -> Result<Option<AlexaLink>, StoreError> {
        let row = sqlx::query(
            "SELECT user_id, skill_key, flow_id, access_token, refresh_token, expires_at, scopes, \
             linked_at, refreshed_at, refresh_failures, next_refresh_at FROM alexa_skill_links \
             WHERE user_id = $1 AND skill_key = $2",
        )
        .bind(user_id)
        .bind(skill_key)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(AlexaLink {
                user_id: row.try_get("user_id")?,
                skill_key: row.try_get("skill_key")?,
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
            "INSERT INTO alexa_skill_links (user_id, flow_id, access_token, refresh_token, \
             expires_at, scopes, linked_at, refreshed_at, refresh_failures, next_refresh_at, \
             skill_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             ON CONFLICT (user_id, skill_key) DO UPDATE SET flow_id = excluded.flow_id, \
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
        .bind(&l.skill_key)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records a failed refresh that kept the link: the count and the backoff.
    pub async fn note_refresh_failure(
        &self,
        user_id: &str,
        skill_key: &str,
        failures: i64,
        next_refresh_at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE alexa_skill_links SET refresh_failures = $1, next_refresh_at = $2 \
             WHERE user_id = $3 AND skill_key = $4",
        )
        .bind(failures)
        .bind(next_refresh_at)
        .bind(user_id)
        .bind(skill_key)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Unlinks; true if there was a link.
    pub async fn delete_alexa_link(
        &self,
        user_id: &str,
        skill_key: &str,
    ) -> Result<bool, StoreError> {
        let done =
            sqlx::query("DELETE FROM alexa_skill_links WHERE user_id = $1 AND skill_key = $2")
                .bind(user_id)
                .bind(skill_key)
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected() > 0)
    }

    /// The skills a user is linked to.
    pub async fn alexa_linked_skills(&self, user_id: &str) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT skill_key FROM alexa_skill_links WHERE user_id = $1 ORDER BY skill_key",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?)
    }
}
