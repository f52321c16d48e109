//! The writer on SQLite: its thread commits groups on a connection of its
//! own (see the module above for why).

use super::apply::apply;
use super::checkpoints::Checkpoints;
use super::{Job, Outcome, MAX_BATCH};
use crate::store::StoreError;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{AnyPool, Connection, Executor};
use std::collections::VecDeque;
use std::sync::Arc;
use tokio::sync::mpsc;

/// Runs until the queue's sender is gone (the store was closed or dropped)
/// and every queued write has been committed and answered.
pub(super) async fn writer(
    mut jobs: mpsc::UnboundedReceiver<Job>,
    options: SqliteConnectOptions,
    pool: AnyPool,
    gate: Arc<tokio::sync::Mutex<()>>,
) {
    let mut waiting = Waiting::default();
    loop {
        if waiting.jobs.is_empty() {
            match jobs.recv().await {
                Some(job) => waiting.jobs.push_back(job),
                None => return,
            }
        }
        if pool.is_closed() {
            waiting.refuse_all();
            continue;
        }
        let mut conn = match open(&options).await {
            Ok(conn) => conn,
            Err(e) => {
                waiting.fail_first(e.into());
                continue;
            }
        };
        let ended = match conn.lock_handle().await {
            Ok(mut handle) => {
                // SAFETY: the handle stays locked away from sqlx's thread for
                // as long as `db` lives (it is dropped first, finalizing its
                // statements), and nothing else uses this connection.
                match unsafe { rusqlite::Connection::from_handle(handle.as_raw_handle().as_ptr()) }
                {
                    Ok(db) => serve(&db, &mut waiting, &mut jobs, &pool, &gate).await,
                    Err(e) => {
                        waiting.fail_first(e.into());
                        false
                    }
                }
            }
            Err(e) => {
                waiting.fail_first(e.into());
                false
            }
        };
        let _ = conn.close().await;
        if ended {
            return;
        }
    }
}

/// The writer's own connection: sqlx opens it and runs its settings, then
/// lends out its handle (`lock_handle`), on which the writer runs the groups
/// itself. Through sqlx's queries each statement of a group, and each row it
/// returned, was a message between the writer and sqlx's SQLite thread, and
/// each woke the other thread: ~4 per redemption (issue 16).
async fn open(options: &SqliteConnectOptions) -> Result<SqliteConnection, sqlx::Error> {
    let mut conn = SqliteConnection::connect_with(options).await?;
    conn.execute(crate::store::SQLITE_PRAGMAS).await?;
    conn.execute("PRAGMA wal_autocheckpoint = 0").await?;
    Ok(conn)
}

/// Writes received and not answered yet, in order.
#[derive(Default)]
struct Waiting {
    jobs: VecDeque<Job>,
    /// How many at the front run one at a time: they were in a group that failed.
    alone: usize,
}

impl Waiting {
    /// Whatever is queued, up to a group's size.
    fn take_from(&mut self, jobs: &mut mpsc::UnboundedReceiver<Job>) {
        while self.jobs.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => self.jobs.push_back(job),
                Err(_) => break,
            }
        }
    }

    fn fail_first(&mut self, e: StoreError) {
        if let Some(job) = self.jobs.pop_front() {
            self.alone = self.alone.saturating_sub(1);
            let _ = job.reply.send(Err(e));
        }
    }

    fn refuse_all(&mut self) {
        while !self.jobs.is_empty() {
            self.fail_first(sqlx::Error::PoolClosed.into());
        }
    }
}

/// Commits groups on `db` until the queue ends (true) or the connection is
/// broken (false: the writes not answered yet stay in `waiting`).
async fn serve(
    db: &rusqlite::Connection,
    waiting: &mut Waiting,
    jobs: &mut mpsc::UnboundedReceiver<Job>,
    pool: &AnyPool,
    gate: &tokio::sync::Mutex<()>,
) -> bool {
    let mut checkpoints = Checkpoints::default();
    loop {
        if waiting.jobs.is_empty() {
            match jobs.recv().await {
                Some(job) => waiting.jobs.push_back(job),
                None => return true,
            }
        }
        waiting.take_from(jobs);
        // Reads alone need neither the gate nor a transaction.
        let held = if waiting.jobs.iter().take(MAX_BATCH).any(|j| j.op.writes()) {
            let guard = gate.lock().await;
            // Whatever arrived while another writer held the gate joins too.
            waiting.take_from(jobs);
            Some(guard)
        } else {
            None
        };
        if pool.is_closed() {
            waiting.refuse_all();
            continue;
        }
        let size = if waiting.alone > 0 {
            1
        } else {
            waiting.jobs.len().min(MAX_BATCH)
        };
        let group: Vec<Job> = waiting.jobs.drain(..size).collect();
        waiting.alone = waiting.alone.saturating_sub(size);
        tracing::debug!(writes = group.len(), "writes committed together");
        match commit(db, &group, held.is_some()) {
            Ok(outcomes) => {
                if held.is_some() {
                    checkpoints.committed(db, group.len(), pool);
                }
                for (job, outcome) in group.into_iter().zip(outcomes) {
                    let _ = job.reply.send(Ok(outcome));
                }
            }
            Err(e) => {
                let usable = undo(db);
                if group.len() == 1 {
                    let _ = group.into_iter().next().map(|job| job.reply.send(Err(e)));
                } else {
                    // One bad write fails only itself: each is tried again alone.
                    tracing::debug!(error = %e, writes = group.len(), "a group failed; its writes run alone");
                    waiting.alone += group.len();
                    for job in group.into_iter().rev() {
                        waiting.jobs.push_front(job);
                    }
                }
                if !usable {
                    return false;
                }
            }
        }
    }
}

/// Rolls back what a failed group began; false if the connection is no
/// longer usable.
fn undo(db: &rusqlite::Connection) -> bool {
    db.is_autocommit() || db.execute_batch("ROLLBACK").is_ok()
}

/// `group` applied in order, as one transaction if `transaction`; what each did.
fn commit(
    db: &rusqlite::Connection,
    group: &[Job],
    transaction: bool,
) -> Result<Vec<Outcome>, StoreError> {
    if transaction {
        db.prepare_cached("BEGIN IMMEDIATE")?.execute([])?;
    }
    let outcomes = group
        .iter()
        .map(|job| apply(db, &job.op))
        .collect::<Result<Vec<_>, _>>()?;
    if transaction {
        db.prepare_cached("COMMIT")?.execute([])?;
    }
    Ok(outcomes)
}
