//! Refresh-token rotations on SQLite, committed in groups.
//!
//! SQLite has one writer, and every commit rewrites each page it touched (the
//! token's row, the token index, the grant index) into the WAL. Rotations from
//! concurrent requests therefore go to one writer task, which takes whatever
//! is queued (up to `MAX_BATCH`) and runs it as one transaction on a
//! connection of its own: one hand-off to SQLite's thread and one commit for
//! the whole group, and a page cache no other writer invalidates. Under 64
//! concurrent refreshes this cut the SQLite threads' CPU per rotation by a
//! third and the context switches from 8.4 to 5 (docs/perf-notes.md).
//!
//! Each rotation in a group is still its own conditional UPDATE (the retired
//! token must not have been retired before, also by an earlier rotation of the
//! same group) followed by the INSERT of its successor only if that UPDATE
//! retired it, so the outcome is the one of running them one by one. If a
//! group fails, its rotations are retried one at a time, so one bad rotation
//! fails only itself.
//!
//! Callers wait on a reply; one that stops waiting (its client went away)
//! does not stop the rotation, which is then applied or not as a whole.

use super::StoreError;
use sqlx::any::AnyConnectOptions;
use sqlx::{AnyConnection, AnyPool, Connection, Executor, Row};
use std::collections::HashSet;
use std::sync::{Arc, Mutex, OnceLock};
use tokio::sync::{mpsc, oneshot};

/// Most rotations committed together (4 parameters each).
const MAX_BATCH: usize = 32;

struct Job {
    old: String,
    new: String,
    grant: String,
    now: i64,
    reply: oneshot::Sender<Result<bool, StoreError>>,
}

/// The queue to the writer task, which is started on first use (on the
/// caller's runtime) and again if that runtime has gone.
#[derive(Clone)]
pub(super) struct Rotations {
    sender: Arc<Mutex<Option<mpsc::UnboundedSender<Job>>>>,
    options: AnyConnectOptions,
    pool: AnyPool,
    gate: Arc<tokio::sync::Mutex<()>>,
}

impl Rotations {
    pub(super) fn new(
        options: AnyConnectOptions,
        pool: AnyPool,
        gate: Arc<tokio::sync::Mutex<()>>,
    ) -> Self {
        Self {
            sender: Default::default(),
            options,
            pool,
            gate,
        }
    }

    /// Retires `old` and stores `new` for `grant`; false if `old` was retired already.
    pub(super) async fn rotate(
        &self,
        old: &str,
        new: &str,
        grant: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let (reply, answer) = oneshot::channel();
        let mut job = Job {
            old: old.to_owned(),
            new: new.to_owned(),
            grant: grant.to_owned(),
            now,
            reply,
        };
        {
            let mut sender = self.sender.lock().expect("rotation queue poisoned");
            loop {
                let queue = sender.get_or_insert_with(|| self.start());
                match queue.send(job) {
                    Ok(()) => break,
                    // The writer's runtime has shut down: start another here.
                    Err(mpsc::error::SendError(back)) => {
                        job = back;
                        *sender = None;
                    }
                }
            }
        }
        answer
            .await
            .map_err(|_| StoreError::Unavailable(sqlx::Error::WorkerCrashed))?
    }

    fn start(&self) -> mpsc::UnboundedSender<Job> {
        let (sender, jobs) = mpsc::unbounded_channel();
        tokio::spawn(writer(
            jobs,
            self.options.clone(),
            self.pool.clone(),
            self.gate.clone(),
        ));
        sender
    }
}

/// Runs until every `Rotations` (every clone of the store) is gone.
async fn writer(
    mut jobs: mpsc::UnboundedReceiver<Job>,
    options: AnyConnectOptions,
    pool: AnyPool,
    gate: Arc<tokio::sync::Mutex<()>>,
) {
    let mut conn = None;
    while let Some(first) = jobs.recv().await {
        let mut batch = vec![first];
        let drain = |batch: &mut Vec<Job>, jobs: &mut mpsc::UnboundedReceiver<Job>| {
            while batch.len() < MAX_BATCH {
                match jobs.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
        };
        drain(&mut batch, &mut jobs);
        let _gate = gate.lock().await;
        // Whatever arrived while another writer held the gate joins too.
        drain(&mut batch, &mut jobs);
        tracing::debug!(
            rotations = batch.len(),
            "refresh rotations committed together"
        );
        match run(&mut conn, &options, &pool, &batch).await {
            Ok(won) => {
                for (job, won) in batch.into_iter().zip(won) {
                    let _ = job.reply.send(Ok(won));
                }
            }
            Err(e) if batch.len() == 1 => {
                let _ = batch.remove(0).reply.send(Err(e));
            }
            Err(_) => {
                for job in batch {
                    let result = run(&mut conn, &options, &pool, std::slice::from_ref(&job))
                        .await
                        .map(|won| won[0]);
                    let _ = job.reply.send(result);
                }
            }
        }
    }
}

/// `BEGIN; (UPDATE; INSERT … WHERE changes() = 1 RETURNING)×n; COMMIT`, for
/// each group size (the texts are prepared once per size and connection).
fn batch_sql(n: usize) -> &'static str {
    static TEXTS: OnceLock<Vec<String>> = OnceLock::new();
    &TEXTS.get_or_init(|| {
        (0..=MAX_BATCH)
            .map(|n| {
                let mut sql = String::from("BEGIN IMMEDIATE;");
                for i in 0..n {
                    let (now, old, new, grant) = (4 * i + 1, 4 * i + 2, 4 * i + 3, 4 * i + 4);
                    sql.push_str(&format!(
                        " UPDATE refresh_tokens SET rotated_at = ${now} \
                         WHERE token_hash = ${old} AND rotated_at IS NULL; \
                         INSERT INTO refresh_tokens (token_hash, grant_id, created_at) \
                         SELECT ${new}, ${grant}, ${now} WHERE changes() = 1 RETURNING token_hash;"
                    ));
                }
                sql.push_str(" COMMIT;");
                sql
            })
            .collect()
    })[n]
}

/// One transaction for `jobs`; which of them retired their token.
async fn run(
    conn: &mut Option<AnyConnection>,
    options: &AnyConnectOptions,
    pool: &AnyPool,
    jobs: &[Job],
) -> Result<Vec<bool>, StoreError> {
    if pool.is_closed() {
        return Err(sqlx::Error::PoolClosed.into());
    }
    let c = match conn {
        Some(c) => c,
        None => {
            let mut c = AnyConnection::connect_with(options).await?;
            c.execute(super::SQLITE_PRAGMAS).await?;
            conn.insert(c)
        }
    };
    let mut query = sqlx::query(batch_sql(jobs.len()));
    for j in jobs {
        query = query.bind(j.now).bind(&j.old).bind(&j.new).bind(&j.grant);
    }
    match query.fetch_all(&mut *c).await {
        Ok(rows) => {
            let inserted: HashSet<String> = rows
                .iter()
                .map(|r| r.try_get::<String, _>(0))
                .collect::<Result<_, _>>()?;
            Ok(jobs.iter().map(|j| inserted.contains(&j.new)).collect())
        }
        Err(e) => {
            // Stopped part-way: undo what it began. If even that fails (or
            // there was nothing to undo), start on a fresh connection.
            if sqlx::query("ROLLBACK").execute(&mut *c).await.is_err() {
                if let Some(c) = conn.take() {
                    let _ = c.close().await;
                }
            }
            Err(e.into())
        }
    }
}
