use super::{DatabaseKind, Store, StoreError};

/// What `throttled_step` does when no limit is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThrottleStep {
    /// Record one failure under every key.
    RecordFailure,
    /// Forget the first key's failures (a success).
    ClearFirst,
}

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

    /// Checks every `(key, limit)` and takes `step` in one transaction that
    /// holds the keys' lock in the database, so two instances racing on one
    /// account cannot both pass the limit: on PostgreSQL an advisory lock per
    /// key (taken in key order), on SQLite the write lock, taken up front by
    /// the pruning `DELETE`. `Some(until)` (the time the longest block ends)
    /// when a limit is reached; then nothing is written.
    pub async fn throttled_step(
        &self,
        keys: &[(String, i64)],
        step: ThrottleStep,
        now: i64,
        window: i64,
    ) -> Result<Option<i64>, StoreError> {
        for (key, _) in keys {
            self.cache.forget_clean(key);
        }
        let _gate = self.write_gate().await;
        let mut tx = self.pool.begin().await?;
        if self.kind == DatabaseKind::Postgres {
            let mut names: Vec<&str> = keys.iter().map(|(k, _)| k.as_str()).collect();
            names.sort_unstable();
            names.dedup();
            for key in names {
                sqlx::query(
                    "SELECT COUNT(*) FROM (SELECT pg_advisory_xact_lock(hashtextextended($1, 7))) AS locked",
                )
                .bind(key)
                .execute(&mut *tx)
                .await?;
            }
        }
        sqlx::query("DELETE FROM auth_failures WHERE failed_at <= $1")
            .bind(now - window)
            .execute(&mut *tx)
            .await?;
        let mut until: Option<i64> = None;
        for (key, limit) in keys {
            let (count, oldest): (i64, Option<i64>) = sqlx::query_as(
                "SELECT COUNT(*), MIN(failed_at) FROM auth_failures WHERE key = $1 AND failed_at > $2",
            )
            .bind(key)
            .bind(now - window)
            .fetch_one(&mut *tx)
            .await?;
            if count >= *limit {
                let end = oldest.unwrap_or(now) + window;
                until = Some(until.map_or(end, |u| u.max(end)));
            }
        }
        if until.is_some() {
            tx.rollback().await?;
            return Ok(until);
        }
        match step {
            ThrottleStep::RecordFailure => {
                for (key, _) in keys {
                    sqlx::query("INSERT INTO auth_failures (key, failed_at) VALUES ($1, $2)")
                        .bind(key)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            ThrottleStep::ClearFirst => {
                if let Some((first, _)) = keys.first() {
                    sqlx::query("DELETE FROM auth_failures WHERE key = $1")
                        .bind(first)
                        .execute(&mut *tx)
                        .await?;
                }
            }
        }
        tx.commit().await?;
        Ok(None)
    }

    pub async fn clear_failures(&self, key: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM auth_failures WHERE key = $1")
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
