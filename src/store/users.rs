use super::columns::ByName;
use super::{Store, StoreError};
use crate::domain::Username;

#[derive(Debug, Clone)]
pub struct User {
    pub id: Username,
    pub password_hash: String,
    pub display_name: String,
    pub email: String,
    pub country: String,
    pub product: String,
    pub created_at: i64,
    pub persona: Option<String>,
    pub locked_at: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub id: Username,
    pub password_hash: String,
    pub display_name: String,
    pub email: String,
    pub country: String,
    pub product: String,
    pub persona: Option<String>,
    pub locked_at: Option<i64>,
}

const COLUMNS: &str =
    "id, password_hash, display_name, email, country, product, created_at, persona, locked_at";

pub(super) fn from_row(row: &sqlx::any::AnyRow) -> Result<User, StoreError> {
    user_row(row)?.into_user()
}

/// The user's columns of a row (`COLUMNS`, by name).
pub(super) fn user_row(row: &impl ByName) -> Result<UserRow, sqlx::Error> {
    Ok(UserRow {
        id: row.col("id")?,
        password_hash: row.col("password_hash")?,
        display_name: row.col("display_name")?,
        email: row.col("email")?,
        country: row.col("country")?,
        product: row.col("product")?,
        created_at: row.col("created_at")?,
        persona: row.col("persona")?,
        locked_at: row.col("locked_at")?,
    })
}

/// A user's columns as read, before they are checked.
pub(super) struct UserRow {
    pub id: String,
    pub password_hash: String,
    pub display_name: String,
    pub email: String,
    pub country: String,
    pub product: String,
    pub created_at: i64,
    pub persona: Option<String>,
    pub locked_at: Option<i64>,
}

impl UserRow {
    pub(super) fn into_user(self) -> Result<User, StoreError> {
        let id = self.id;
        Ok(User {
            id: Username::parse(&id)
                .map_err(|e| StoreError::Corrupt(format!("user id {id}: {e}")))?,
            password_hash: self.password_hash,
            display_name: self.display_name,
            email: self.email,
            country: self.country,
            product: self.product,
            created_at: self.created_at,
            persona: self.persona,
            locked_at: self.locked_at,
        })
    }
}

impl Store {
    /// Inserts a user; `Conflict` if the name is taken.
    pub async fn insert_user(&self, user: &NewUser, now: i64) -> Result<(), StoreError> {
        let res = sqlx::query(
            "INSERT INTO users (id, password_hash, display_name, email, country, product, created_at, \
             persona, locked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING",
        )
        .bind(user.id.as_str())
        .bind(&user.password_hash)
        .bind(&user.display_name)
        .bind(&user.email)
        .bind(&user.country)
        .bind(&user.product)
        .bind(now)
        .bind(user.persona.as_deref())
        .bind(user.locked_at)
        .execute(&self.pool)
        .await?;
        self.cache.forget_user(user.id.as_str());
        if res.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!("user '{}'", user.id)));
        }
        Ok(())
    }

    pub async fn user(&self, id: &Username) -> Result<Option<User>, StoreError> {
        sqlx::query(&format!("SELECT {COLUMNS} FROM users WHERE id = $1"))
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(from_row)
            .transpose()
    }

    /// The user for read-only answers (the api's profiles), read from the
    /// database at most once per `cache::TTL`: a change made through this
    /// `Store` is seen at once, one made by another instance within a second.
    /// Login and administration read with `user`, never stale.
    pub async fn cached_user(&self, id: &Username) -> Result<Option<User>, StoreError> {
        if let Some(hit) = self.cache.user(id.as_str()) {
            return Ok(hit);
        }
        let user = self.user(id).await?;
        self.cache.remember_user(id.as_str(), user.clone());
        Ok(user)
    }

    pub async fn users(&self) -> Result<Vec<User>, StoreError> {
        sqlx::query(&format!("SELECT {COLUMNS} FROM users ORDER BY id"))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(from_row)
            .collect()
    }

    /// Sets the persona label and the lock (`None`: unlocked).
    pub async fn set_persona(
        &self,
        id: &Username,
        persona: Option<&str>,
        locked_at: Option<i64>,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE users SET persona = $1, locked_at = $2 WHERE id = $3")
            .bind(persona)
            .bind(locked_at)
            .bind(id.as_str())
            .execute(&self.pool)
            .await?;
        // After the write, so a row read before it is not kept.
        self.cache.forget_user(id.as_str());
        Ok(())
    }

    /// Deletes a user and, by cascade, their sessions, consents and grants.
    pub async fn delete_user(&self, id: &Username) -> Result<bool, StoreError> {
        let res = sqlx::query("DELETE FROM users WHERE id = $1")
            .bind(id.as_str())
            .execute(&self.pool)
            .await?;
        self.cache.forget_user(id.as_str());
        Ok(res.rows_affected() > 0)
    }
}
