use super::{Store, StoreError};

impl Store {
    /// Records a failure for each key, pruning what fell out of the window.
    pub async fn record_failures(
        &self,
        keys: &[String],
        now: i64,
        window: i64,
    ) -> Result<(), StoreError> {
        for key in keys {
            self.cache.forget_clean(key);
        }
        let _gate = self.write_gate().await;
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM auth_failures WHERE failed_at <= $1")
            .bind(now - window)
            .execute(&mut *tx)
            .await?;
        for key in keys {
            sqlx::query("INSERT INTO auth_failures (key, failed_at) VALUES ($1, $2)")
                .bind(key)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Failures of `key` after `since`, and the oldest of them. A key seen
    /// without failures is not read again for up to a second (see `cache`).
    pub async fn failures_since(
        &self,
        key: &str,
        since: i64,
    ) -> Result<(i64, Option<i64>), StoreError> {
        if self.cache.is_clean(key) {
            return Ok((0, None));
        }
        let row: (i64, Option<i64>) = sqlx::query_as(
            "SELECT COUNT(*), MIN(failed_at) FROM auth_failures WHERE key = $1 AND failed_at > $2",
        )
        .bind(key)
        .bind(since)
        .fetch_one(&self.pool)
        .await?;
        if row.0 == 0 {
            self.cache.remember_clean(key);
        }
        Ok(row)
    }

    pub async fn clear_failures(&self, key: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM auth_failures WHERE key = $1")
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
