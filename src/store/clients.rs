use super::{Store, StoreError};
use crate::domain::{ClientId, RedirectUri, Scopes};
use serde::{Deserialize, Serialize};
use sqlx::Row;

/// What happens to a refresh token when it is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum RefreshPolicy {
    /// A new refresh token on every use; reusing a retired one (after the grace
    /// window) revokes the whole grant (RFC 9700 §4.14.2).
    #[default]
    Rotate,
    /// The refresh token stays valid and is returned again, as some Spotify
    /// clients (rspotify) expect.
    Reuse,
}

impl RefreshPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rotate => "rotate",
            Self::Reuse => "reuse",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "rotate" => Some(Self::Rotate),
            "reuse" => Some(Self::Reuse),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Client {
    pub id: ClientId,
    pub name: String,
    /// SHA-256 hex of the secret; `None` for a public (PKCE-only) client.
    pub secret_hash: Option<String>,
    pub redirect_uris: Vec<RedirectUri>,
    pub scopes: Scopes,
    pub refresh_policy: RefreshPolicy,
    pub refresh_grace_seconds: i64,
    pub access_token_ttl: i64,
    pub refresh_token_ttl: i64,
    /// Spotify's "extended quota mode": the Web API calls withdrawn from
    /// development-mode apps in February 2026 are served to this client.
    pub extended_quota: bool,
}

impl Client {
    pub fn is_public(&self) -> bool {
        self.secret_hash.is_none()
    }

    /// The registered URI that equals `candidate` byte for byte, if any.
    pub fn registered_redirect(&self, candidate: &str) -> Option<&RedirectUri> {
        self.redirect_uris.iter().find(|r| r.as_str() == candidate)
    }
}

const COLUMNS: &str = "id, name, secret_hash, redirect_uris, scopes, refresh_policy, \
                       refresh_grace_seconds, access_token_ttl, refresh_token_ttl, extended_quota";

fn from_row(row: &sqlx::any::AnyRow) -> Result<Client, StoreError> {
    let id: String = row.try_get("id")?;
    let corrupt = |what: &str, e: &dyn std::fmt::Display| {
        StoreError::Corrupt(format!("client {id}: {what}: {e}"))
    };
    let uris: String = row.try_get("redirect_uris")?;
    let policy: String = row.try_get("refresh_policy")?;
    Ok(Client {
        id: ClientId::parse(&id).map_err(|e| corrupt("id", &e))?,
        name: row.try_get("name")?,
        secret_hash: row.try_get("secret_hash")?,
        redirect_uris: uris
            .lines()
            .filter(|l| !l.is_empty())
            .map(RedirectUri::parse)
            .collect::<Result<_, _>>()
            .map_err(|e| corrupt("redirect_uris", &e))?,
        scopes: Scopes::parse(&row.try_get::<String, _>("scopes")?)
            .map_err(|e| corrupt("scopes", &e))?,
        refresh_policy: RefreshPolicy::parse(&policy)
            .ok_or_else(|| corrupt("refresh_policy", &policy))?,
        refresh_grace_seconds: row.try_get("refresh_grace_seconds")?,
        access_token_ttl: row.try_get("access_token_ttl")?,
        refresh_token_ttl: row.try_get("refresh_token_ttl")?,
        extended_quota: row.try_get::<i64, _>("extended_quota")? != 0,
    })
}

impl Store {
    /// Inserts the client, or replaces every field of an existing one.
    pub async fn upsert_client(&self, c: &Client, now: i64) -> Result<(), StoreError> {
        self.write_client(c, now, true).await
    }

    /// Inserts the client; `Conflict` if the id is taken.
    pub async fn insert_client(&self, c: &Client, now: i64) -> Result<(), StoreError> {
        self.write_client(c, now, false).await
    }

    async fn write_client(&self, c: &Client, now: i64, replace: bool) -> Result<(), StoreError> {
        self.cache.forget_client(c.id.as_str());
        let on_conflict = if replace {
            "DO UPDATE SET name = excluded.name, secret_hash = excluded.secret_hash, \
             redirect_uris = excluded.redirect_uris, scopes = excluded.scopes, \
             refresh_policy = excluded.refresh_policy, \
             refresh_grace_seconds = excluded.refresh_grace_seconds, \
             access_token_ttl = excluded.access_token_ttl, \
             refresh_token_ttl = excluded.refresh_token_ttl, \
             extended_quota = excluded.extended_quota"
        } else {
            "DO NOTHING"
        };
        let uris: Vec<&str> = c.redirect_uris.iter().map(|u| u.as_str()).collect();
        let res = sqlx::query(&format!(
            "INSERT INTO clients ({COLUMNS}, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (id) {on_conflict}"
        ))
        .bind(c.id.as_str())
        .bind(&c.name)
        .bind(c.secret_hash.as_deref())
        .bind(uris.join("\n"))
        .bind(c.scopes.to_string())
        .bind(c.refresh_policy.as_str())
        .bind(c.refresh_grace_seconds)
        .bind(c.access_token_ttl)
        .bind(c.refresh_token_ttl)
        .bind(c.extended_quota as i64)
        .bind(now)
        .execute(&self.pool)
        .await?;
        if res.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!("client '{}'", c.id)));
        }
        Ok(())
    }

    /// The client, read from the database at most once a second (see `cache`).
    pub async fn client(&self, id: &ClientId) -> Result<Option<Client>, StoreError> {
        if let Some(hit) = self.cache.client(id.as_str()) {
            return Ok(hit);
        }
        let client = sqlx::query(&format!("SELECT {COLUMNS} FROM clients WHERE id = $1"))
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(from_row)
            .transpose()?;
        self.cache.remember_client(id.as_str(), client.clone());
        Ok(client)
    }

    pub async fn clients(&self) -> Result<Vec<Client>, StoreError> {
        sqlx::query(&format!("SELECT {COLUMNS} FROM clients ORDER BY id"))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(from_row)
            .collect()
    }

    /// Switches a client between development mode and extended quota; false
    /// if there is no such client.
    pub async fn set_client_extended_quota(
        &self,
        id: &ClientId,
        extended: bool,
    ) -> Result<bool, StoreError> {
        self.cache.forget_client(id.as_str());
        let res = sqlx::query("UPDATE clients SET extended_quota = $1 WHERE id = $2")
            .bind(extended as i64)
            .bind(id.as_str())
            .execute(&self.pool)
            .await?;
        Ok(res.rows_affected() > 0)
    }

    pub async fn delete_client(&self, id: &ClientId) -> Result<bool, StoreError> {
        self.cache.forget_client(id.as_str());
        let res = sqlx::query("DELETE FROM clients WHERE id = $1")
            .bind(id.as_str())
            .execute(&self.pool)
            .await?;
        Ok(res.rows_affected() > 0)
    }
}
