use super::{Store, StoreError};
use sqlx::Row;

/// A signing key as stored: PKCS#8 DER, base64.
#[derive(Debug, Clone)]
pub struct StoredKey {
    pub kid: String,
    pub alg: String,
    pub private_der_b64: String,
    pub created_at: i64,
    pub retired_at: Option<i64>,
}

impl Store {
    /// All keys, oldest first.
    pub async fn signing_keys(&self) -> Result<Vec<StoredKey>, StoreError> {
        let rows = sqlx::query(
            "SELECT kid, alg, private_der, created_at, retired_at FROM signing_keys \
             ORDER BY created_at, kid",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(StoredKey {
                    kid: r.try_get("kid")?,
                    alg: r.try_get("alg")?,
                    private_der_b64: r.try_get("private_der")?,
                    created_at: r.try_get("created_at")?,
                    retired_at: r.try_get("retired_at")?,
                })
            })
            .collect()
    }

    /// Adds a key and retires every other active key, atomically.
    pub async fn add_signing_key(&self, key: &StoredKey) -> Result<(), StoreError> {
        let _gate = self.write_gate().await;
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE signing_keys SET retired_at = $1 WHERE retired_at IS NULL")
            .bind(key.created_at)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO signing_keys (kid, alg, private_der, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(&key.kid)
        .bind(&key.alg)
        .bind(&key.private_der_b64)
        .bind(key.created_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deletes retired keys that no unexpired token can still reference.
    pub async fn prune_signing_keys(&self, retired_before: i64) -> Result<u64, StoreError> {
        let res = sqlx::query(
            "DELETE FROM signing_keys WHERE retired_at IS NOT NULL AND retired_at < $1",
        )
        .bind(retired_before)
        .execute(&self.pool)
        .await?;
        Ok(res.rows_affected())
    }
}
