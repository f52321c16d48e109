//! Simulated skills created in the simulator's UI or JSON API. The store
//! keeps their form as JSON (`spec`) and the client secret beside it; the
//! simulator (`alexa::skills`) gives the JSON its meaning.

use super::{Store, StoreError};
use sqlx::Row;

/// One stored simulated skill.
#[derive(Clone)]
pub struct StoredSkill {
    pub key: String,
    /// The form without the secret, as JSON text.
    pub spec: String,
    pub client_secret: String,
    pub created_at: i64,
}

impl std::fmt::Debug for StoredSkill {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredSkill")
            .field("key", &self.key)
            .field("spec", &self.spec)
            .finish_non_exhaustive()
    }
}

fn skill_from_row(row: &sqlx::any::AnyRow) -> Result<StoredSkill, StoreError> {
    Ok(StoredSkill {
        key: row.try_get("skill_key")?,
        spec: row.try_get("spec")?,
        client_secret: row.try_get("client_secret")?,
        created_at: row.try_get("created_at")?,
    })
}

impl Store {
    /// Every stored skill, oldest first.
    pub async fn alexa_skills(&self) -> Result<Vec<StoredSkill>, StoreError> {
        sqlx::query(
            "SELECT skill_key, spec, client_secret, created_at FROM alexa_skills \
             ORDER BY created_at, skill_key",
        )
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(skill_from_row)
        .collect()
    }

    pub async fn alexa_skill(&self, key: &str) -> Result<Option<StoredSkill>, StoreError> {
        sqlx::query(
            "SELECT skill_key, spec, client_secret, created_at FROM alexa_skills \
             WHERE skill_key = $1",
        )
        .bind(key)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(skill_from_row)
        .transpose()
    }

    /// Creates or replaces a stored skill; true if it was new.
    pub async fn save_alexa_skill(&self, s: &StoredSkill) -> Result<bool, StoreError> {
        let existed = self.alexa_skill(&s.key).await?.is_some();
        sqlx::query(
            "INSERT INTO alexa_skills (skill_key, spec, client_secret, created_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (skill_key) DO UPDATE SET \
             spec = excluded.spec, client_secret = excluded.client_secret",
        )
        .bind(&s.key)
        .bind(&s.spec)
        .bind(&s.client_secret)
        .bind(s.created_at)
        .execute(&self.pool)
        .await?;
        Ok(!existed)
    }

    /// Deletes a stored skill with every user's enablement, session, link,
    /// pending linking and events for it; true if it existed.
    pub async fn delete_alexa_skill(&self, key: &str) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        for table in [
            "alexa_skill_links",
            "alexa_enablements",
            "alexa_link_attempts",
            "alexa_events",
        ] {
            sqlx::query(&format!("DELETE FROM {table} WHERE skill_key = $1"))
                .bind(key)
                .execute(&mut *tx)
                .await?;
        }
        let done = sqlx::query("DELETE FROM alexa_skills WHERE skill_key = $1")
            .bind(key)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }
}
