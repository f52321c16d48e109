//! The flow inspector's records: a bounded ring per client, written in
//! batches by the inspector's background writer (`crate::inspector`), never
//! on a request's path.

use super::{writer, DatabaseKind, Store, StoreError};
use sqlx::Row;

/// One recorded request, already redacted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InspectorRecord {
    pub id: String,
    /// `""` when no registered client could be told from the request.
    pub client_id: String,
    pub seq: i64,
    pub at_ms: i64,
    pub user_id: Option<String>,
    pub grant_id: Option<String>,
    pub flow_id: Option<String>,
    pub kind: String,
    pub method: String,
    pub path: String,
    pub status: i64,
    pub latency_us: i64,
    pub outcome: Option<String>,
    pub error: Option<String>,
    /// JSON text.
    pub request: String,
    /// JSON text.
    pub response: String,
}

pub(super) const COLUMNS: &str =
    "id, client_id, seq, at_ms, user_id, grant_id, flow_id, kind, method, path, \
     status, latency_us, outcome, error, request, response";
pub(super) const COLUMN_COUNT: usize = 16;

/// Trims a client's ring ($1) to its newest $2 + 1 records.
pub(super) const PRUNE_SQL: &str = "DELETE FROM inspector_events WHERE client_id = $1 AND seq < ( \
     SELECT seq FROM inspector_events WHERE client_id = $1 \
     ORDER BY seq DESC LIMIT 1 OFFSET $2)";

/// Rows per INSERT statement on PostgreSQL (16 parameters each), one round
/// trip each. (SQLite's batches go to the writer, one prepared row at a
/// time: it looks up a statement's parameters by a scan of all of them,
/// quadratic in multi-row INSERTs.)
const ROWS_PER_STATEMENT: usize = 8;

fn from_row(row: &sqlx::any::AnyRow) -> Result<InspectorRecord, StoreError> {
    Ok(InspectorRecord {
        id: row.try_get("id")?,
        client_id: row.try_get("client_id")?,
        seq: row.try_get("seq")?,
        at_ms: row.try_get("at_ms")?,
        user_id: row.try_get("user_id")?,
        grant_id: row.try_get("grant_id")?,
        flow_id: row.try_get("flow_id")?,
        kind: row.try_get("kind")?,
        method: row.try_get("method")?,
        path: row.try_get("path")?,
        status: row.try_get("status")?,
        latency_us: row.try_get("latency_us")?,
        outcome: row.try_get("outcome")?,
        error: row.try_get("error")?,
        request: row.try_get("request")?,
        response: row.try_get("response")?,
    })
}

/// Which records a read is about.
#[derive(Debug, Clone, Copy, Default)]
pub struct InspectorFilter<'a> {
    /// `None`: every client; `Some("")`: requests of no known client.
    pub client_id: Option<&'a str>,
    /// Only this grant (and the pre-code steps of its authorization request).
    pub grant_id: Option<&'a str>,
}

impl Store {
    /// Writes a batch in one transaction, then trims the ring of every client
    /// the batch touched to its newest `max_per_client` records.
    pub async fn insert_inspector_records(
        &self,
        records: &[InspectorRecord],
        max_per_client: i64,
    ) -> Result<(), StoreError> {
        if records.is_empty() {
            return Ok(());
        }
        if self.kind == DatabaseKind::Sqlite {
            // On the writer's thread, in one of its groups: through the pool
            // this transaction held the write gate over a dozen hand-offs,
            // 15–23 ms on a busy machine, while every hot write waited.
            return self
                .writer
                .record(writer::InspectorBatch {
                    records: records.to_vec(),
                    max_per_client,
                })
                .await;
        }
        let _gate = self.write_gate().await;
        let mut tx = self.pool.begin().await?;
        for chunk in records.chunks(ROWS_PER_STATEMENT) {
            let mut sql = format!("INSERT INTO inspector_events ({COLUMNS}) VALUES ");
            for row in 0..chunk.len() {
                if row > 0 {
                    sql.push_str(", ");
                }
                sql.push('(');
                for col in 0..COLUMN_COUNT {
                    if col > 0 {
                        sql.push_str(", ");
                    }
                    sql.push_str(&format!("${}", row * COLUMN_COUNT + col + 1));
                }
                sql.push(')');
            }
            let mut query = sqlx::query(&sql);
            for r in chunk {
                query = query
                    .bind(&r.id)
                    .bind(&r.client_id)
                    .bind(r.seq)
                    .bind(r.at_ms)
                    .bind(r.user_id.as_deref())
                    .bind(r.grant_id.as_deref())
                    .bind(r.flow_id.as_deref())
                    .bind(&r.kind)
                    .bind(&r.method)
                    .bind(&r.path)
                    .bind(r.status)
                    .bind(r.latency_us)
                    .bind(r.outcome.as_deref())
                    .bind(r.error.as_deref())
                    .bind(&r.request)
                    .bind(&r.response);
            }
            query.execute(&mut *tx).await?;
        }
        let mut clients: Vec<&str> = records.iter().map(|r| r.client_id.as_str()).collect();
        clients.sort_unstable();
        clients.dedup();
        for client in clients {
            // The oldest record to keep is the max-th newest; older ones go.
            sqlx::query(PRUNE_SQL)
                .bind(client)
                .bind(max_per_client.max(1) - 1)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The newest `limit` records matching `filter`, newest first.
    pub async fn inspector_records(
        &self,
        filter: InspectorFilter<'_>,
        limit: i64,
    ) -> Result<Vec<InspectorRecord>, StoreError> {
        let mut sql = format!("SELECT {COLUMNS} FROM inspector_events WHERE 1 = 1");
        let mut n = 0;
        let mut next = || {
            n += 1;
            format!("${n}")
        };
        if filter.client_id.is_some() {
            sql.push_str(&format!(" AND client_id = {}", next()));
        }
        if filter.grant_id.is_some() {
            let p = next();
            sql.push_str(&format!(
                " AND (grant_id = {p} OR flow_id IN (SELECT flow_id FROM inspector_events \
                 WHERE grant_id = {p} AND flow_id IS NOT NULL))"
            ));
        }
        sql.push_str(&format!(" ORDER BY seq DESC, id DESC LIMIT {}", next()));
        let mut query = sqlx::query(&sql);
        if let Some(c) = filter.client_id {
            query = query.bind(c);
        }
        if let Some(g) = filter.grant_id {
            query = query.bind(g);
        }
        query
            .bind(limit)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(from_row)
            .collect()
    }

    /// Every client with records: (client id, records, newest `seq`), by id.
    pub async fn inspector_clients(&self) -> Result<Vec<(String, i64, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT client_id, COUNT(*) AS n, MAX(seq) AS last FROM inspector_events \
             GROUP BY client_id ORDER BY client_id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("client_id")?, r.try_get("n")?, r.try_get("last")?)))
            .collect()
    }

    /// Deletes one client's records (`Some("")`: those of no known client),
    /// or all; returns how many.
    pub async fn clear_inspector(&self, client_id: Option<&str>) -> Result<u64, StoreError> {
        let _gate = self.write_gate().await;
        let res = match client_id {
            Some(c) => {
                sqlx::query("DELETE FROM inspector_events WHERE client_id = $1")
                    .bind(c)
                    .execute(&self.pool)
                    .await?
            }
            None => {
                sqlx::query("DELETE FROM inspector_events")
                    .execute(&self.pool)
                    .await?
            }
        };
        Ok(res.rows_affected())
    }
}
