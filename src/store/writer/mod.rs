//! SQLite's hot writes, committed in groups: refresh-token rotations (issue
//! 8), authorization codes issued and redeemed, the flow inspector's
//! batches (issue 16); and the linking path's two reads, `GET /authorize`'s
//! session and the token endpoint's refresh token (read and rotated in one
//! write). The WAL is checkpointed off this thread (`Checkpoints`).
//!
//! SQLite has one writer, and every commit rewrites each page it touched (the
//! row, its table's index pages) into the WAL. These writes from concurrent
//! requests therefore go to one writer thread, which takes whatever is queued
//! (up to `MAX_BATCH`) and runs it as one transaction on a connection of its
//! own: one commit for the whole group, on a page cache no other writer
//! invalidates. Under 64 concurrent refreshes this cut the SQLite threads'
//! CPU per rotation by a third and the context switches from 8.4 to 5
//! (docs/perf-notes.md). The writer runs the statements on that connection's
//! handle itself (see `open`), so a group costs no hand-off between threads.
//!
//! Each write in a group is still its own conditional statement, run in the
//! order the writes arrived: a rotation stores the successor only if its
//! UPDATE retired the old token (no earlier rotation, in this group or
//! before, did); a redemption claims its code only if it is unused, and
//! stores the first refresh token only if that very UPDATE activated the
//! grant; a refresh reads its token and rotates it only if it is live. The
//! outcome is the one of running them one by one. If a group fails, its
//! writes are tried again one at a time, so one bad write fails only itself.
//! A group of reads alone runs outside a transaction and the write gate.
//!
//! Through sqlx's pool these reads cost a hand-off to a connection's thread,
//! one per returned row, and sqlx's ping of every connection given back:
//! on the writer's thread a linking flow took 420 µs of server CPU instead
//! of 500, a refresh 350 instead of 425 (issue 16, bench/profile.sh).
//!
//! Callers wait on a reply; one that stops waiting (its client went away)
//! does not stop the write, which is then applied or not as a whole. A reply
//! is sent only after the group's COMMIT, so an acknowledged write is
//! committed; `Store::close` drains the queue before the pool closes.

use super::grants::{CodeRecord, GrantRow};
use super::sessions::SignedInRow;
use super::InspectorRecord;
use super::StoreError;
use sqlx::any::AnyConnectOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{AnyPool, Connection, Executor};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};

mod apply;
mod checkpoints;
#[cfg(test)]
mod tests;

use apply::apply;
use checkpoints::Checkpoints;

/// Most writes committed together.
const MAX_BATCH: usize = 32;

/// A refresh-token rotation: retire `old`, store `new` for `grant`.
pub(super) struct Rotate {
    pub old: String,
    pub new: String,
    pub grant: String,
    pub now: i64,
}

/// A pending grant with its authorization code (one row).
pub(super) struct InsertCode {
    pub grant_id: String,
    pub user_id: String,
    pub client_id: String,
    pub scopes: String,
    pub now: i64,
    pub grant_expires_at: i64,
    pub code_hash: String,
    pub redirect_uri: String,
    pub code_challenge: Option<String>,
    pub code_expires_at: i64,
}

/// A code presented at the token endpoint.
pub(super) struct Redeem {
    pub code_hash: String,
    pub client_id: String,
    pub redirect_uri: Option<String>,
    pub challenge: Option<String>,
    pub refresh_hash: String,
    pub now: i64,
}

/// A presented refresh token: read it and, if it is live and `client`'s,
/// retire it in favour of `new_hash` (`Store::refresh_and_rotate`).
pub(super) struct Refresh {
    pub token_hash: String,
    pub new_hash: String,
    pub client: String,
    pub now: i64,
}

/// Flow-inspector records, and the rings to trim after them
/// (`Store::insert_inspector_records`).
pub(super) struct InspectorBatch {
    pub records: Vec<InspectorRecord>,
    pub max_per_client: i64,
}

/// `Store::signed_in`'s read.
pub(super) struct SignedInQuery {
    pub id_hash: String,
    pub now: i64,
    pub client: String,
}

enum Op {
    Rotate(Rotate),
    Insert(InsertCode),
    Redeem(Redeem),
    Refresh(Refresh),
    Record(InspectorBatch),
    SignedIn(SignedInQuery),
}

impl Op {
    fn writes(&self) -> bool {
        !matches!(self, Op::SignedIn(_))
    }
}

/// What one write did.
enum Outcome {
    /// A rotation: whether it retired its token.
    Rotated(bool),
    Inserted,
    /// A redemption: the code if this write claimed it, and whether the
    /// grant was activated (and its first refresh token stored).
    Redeemed(Box<Option<(CodeRecord, bool)>>),
    /// A presented refresh token: its grant, when it was retired, and
    /// whether this write retired it.
    Refreshed(Box<Option<(GrantRow, Option<i64>, bool)>>),
    SignedIn(Box<Option<SignedInRow>>),
}

struct Job {
    op: Op,
    reply: oneshot::Sender<Result<Outcome, StoreError>>,
}

/// The queue to the writer, which runs on a thread of its own (started on
/// first use). On an actix worker's event loop it was polled behind every
/// ready request of that worker, i.e. behind RS256 signatures of 0.3–0.8 ms
/// each, and every redemption and rotation queued behind them (issue 16).
#[derive(Clone)]
pub(super) struct Writer {
    inner: Arc<Inner>,
}

struct Inner {
    queue: Mutex<Queue>,
    options: AnyConnectOptions,
    pool: AnyPool,
    gate: Arc<tokio::sync::Mutex<()>>,
}

#[derive(Default)]
struct Queue {
    sender: Option<mpsc::UnboundedSender<Job>>,
    /// Resolves when the running writer thread has finished.
    finished: Option<oneshot::Receiver<()>>,
    /// `close` was called: no more writes.
    closed: bool,
}

impl Writer {
    pub(super) fn new(
        options: AnyConnectOptions,
        pool: AnyPool,
        gate: Arc<tokio::sync::Mutex<()>>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                queue: Default::default(),
                options,
                pool,
                gate,
            }),
        }
    }

    /// Retires `old` and stores `new` for `grant`; false if `old` was retired already.
    pub(super) async fn rotate(&self, r: Rotate) -> Result<bool, StoreError> {
        match self.submit(Op::Rotate(r)).await? {
            Outcome::Rotated(won) => Ok(won),
            _ => unreachable!("a rotation answers Rotated"),
        }
    }

    /// Stores a pending grant with its code.
    pub(super) async fn insert_code(&self, c: InsertCode) -> Result<(), StoreError> {
        self.submit(Op::Insert(c)).await.map(|_| ())
    }

    /// Claims an unused code of this client; see `Store::redeem_presented_code`.
    pub(super) async fn redeem(&self, r: Redeem) -> Result<Option<(CodeRecord, bool)>, StoreError> {
        match self.submit(Op::Redeem(r)).await? {
            Outcome::Redeemed(x) => Ok(*x),
            _ => unreachable!("a redemption answers Redeemed"),
        }
    }

    /// Reads a presented refresh token and rotates it if it is live; see
    /// `Store::refresh_and_rotate`.
    pub(super) async fn refresh(
        &self,
        r: Refresh,
    ) -> Result<Option<(GrantRow, Option<i64>, bool)>, StoreError> {
        match self.submit(Op::Refresh(r)).await? {
            Outcome::Refreshed(x) => Ok(*x),
            _ => unreachable!("a refresh answers Refreshed"),
        }
    }

    /// Writes flow-inspector records (`Store::insert_inspector_records`).
    pub(super) async fn record(&self, batch: InspectorBatch) -> Result<(), StoreError> {
        self.submit(Op::Record(batch)).await.map(|_| ())
    }

    /// Reads a session with its user and consent (`Store::signed_in`).
    pub(super) async fn signed_in(
        &self,
        q: SignedInQuery,
    ) -> Result<Option<SignedInRow>, StoreError> {
        match self.submit(Op::SignedIn(q)).await? {
            Outcome::SignedIn(x) => Ok(*x),
            _ => unreachable!("a session read answers SignedIn"),
        }
    }

    /// Takes no more writes, lets the writer commit (and answer) everything
    /// queued before this call, and waits for its thread to end. Later
    /// writes fail as if the pool were closed.
    pub(super) async fn close(&self) {
        let finished = {
            let mut queue = self.inner.queue.lock().expect("writer queue poisoned");
            queue.closed = true;
            // Dropping the sender ends the thread once the queue is drained.
            queue.sender = None;
            queue.finished.take()
        };
        if let Some(finished) = finished {
            let _ = finished.await;
        }
    }

    async fn submit(&self, op: Op) -> Result<Outcome, StoreError> {
        let (reply, answer) = oneshot::channel();
        let mut job = Job { op, reply };
        {
            let mut queue = self.inner.queue.lock().expect("writer queue poisoned");
            let queue = &mut *queue;
            loop {
                if queue.closed {
                    return Err(sqlx::Error::PoolClosed.into());
                }
                if queue.sender.is_none() {
                    let (sender, finished) = self.start()?;
                    queue.sender = Some(sender);
                    queue.finished = Some(finished);
                }
                let Some(sender) = &queue.sender else {
                    unreachable!("a sender was just set")
                };
                match sender.send(job) {
                    Ok(()) => break,
                    // The thread is gone (it panicked): start another.
                    Err(mpsc::error::SendError(back)) => {
                        job = back;
                        queue.sender = None;
                    }
                }
            }
        }
        answer
            .await
            .map_err(|_| StoreError::Unavailable(sqlx::Error::WorkerCrashed))?
    }

    /// A thread with a current-thread runtime that runs only the writer:
    /// it wakes as soon as a write is queued, whatever the request threads
    /// are busy with.
    fn start(&self) -> Result<(mpsc::UnboundedSender<Job>, oneshot::Receiver<()>), StoreError> {
        let (sender, jobs) = mpsc::unbounded_channel();
        let (done, finished) = oneshot::channel();
        let options = SqliteConnectOptions::try_from(&self.inner.options)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(sqlx::Error::Io)?;
        let (pool, gate) = (self.inner.pool.clone(), self.inner.gate.clone());
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || {
                runtime.block_on(writer(jobs, options, pool, gate));
                let _ = done.send(());
            })
            .map_err(sqlx::Error::Io)?;
        Ok((sender, finished))
    }
}

/// Runs until the queue's sender is gone (the store was closed or dropped)
/// and every queued write has been committed and answered.
async fn writer(
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
    conn.execute(super::SQLITE_PRAGMAS).await?;
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
