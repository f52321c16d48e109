//! SQLite's hot writes, committed in groups: refresh-token rotations (issue
//! 8), authorization codes issued and redeemed, the flow inspector's
//! batches (issue 16); and the linking path's two reads, `GET /authorize`'s
//! session (which with remembered consent also stores the code, so that step
//! is one write) and the token endpoint's refresh token (read and rotated in
//! one write). The WAL is checkpointed off this thread (`Checkpoints`).
//!
//! On PostgreSQL the same queue takes the linking path's writes (codes
//! issued, codes presented, refresh tokens presented) and its session read,
//! and a thread of its own runs each kind of a group as one statement
//! (`postgres`); the rest of this note is about SQLite (`sqlite`).
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
use super::{DatabaseKind, StoreError};
use sqlx::any::AnyConnectOptions;
use sqlx::postgres::PgConnectOptions;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::AnyPool;
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};

mod apply;
mod checkpoints;
mod postgres;
mod sqlite;
#[cfg(test)]
mod tests;

/// Most writes committed together on SQLite (PostgreSQL: `postgres::MAX_GROUP` per kind).
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

/// `Store::signed_in`'s read, and `Store::signed_in_issuing`'s code.
pub(super) struct SignedInQuery {
    pub id_hash: String,
    pub now: i64,
    pub client: String,
    /// Stored for the session's user, whatever its `user_id` says, if that
    /// user's consent to `client` covers its scopes.
    pub issue: Option<InsertCode>,
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
        !matches!(self, Op::SignedIn(SignedInQuery { issue: None, .. }))
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
    /// A session read: the session, and whether its code was stored.
    SignedIn(Box<Option<SignedInRow>>, bool),
}

/// The database a writer thread writes to.
enum Target {
    /// With the write gate it shares with the pool's writers.
    Sqlite(SqliteConnectOptions, Arc<tokio::sync::Mutex<()>>),
    Postgres(PgConnectOptions),
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
    kind: DatabaseKind,
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
        kind: DatabaseKind,
        options: AnyConnectOptions,
        pool: AnyPool,
        gate: Arc<tokio::sync::Mutex<()>>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                queue: Default::default(),
                kind,
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

    /// Reads a session with its user and consent (`Store::signed_in`), and
    /// stores the query's code if it is to be issued; whether it was.
    pub(super) async fn signed_in(
        &self,
        q: SignedInQuery,
    ) -> Result<(Option<SignedInRow>, bool), StoreError> {
        match self.submit(Op::SignedIn(q)).await? {
            Outcome::SignedIn(x, issued) => Ok((*x, issued)),
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
        let pool = self.inner.pool.clone();
        // The SQLite writer's future is not `Send`: it is made on its thread.
        let (name, target) = match self.inner.kind {
            DatabaseKind::Sqlite => {
                let options = SqliteConnectOptions::try_from(&self.inner.options)?;
                (
                    "sqlite-writer",
                    Target::Sqlite(options, self.inner.gate.clone()),
                )
            }
            DatabaseKind::Postgres => {
                let options = PgConnectOptions::try_from(&self.inner.options)?;
                ("postgres-writer", Target::Postgres(options))
            }
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(sqlx::Error::Io)?;
        std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                match target {
                    Target::Sqlite(options, gate) => {
                        runtime.block_on(sqlite::writer(jobs, options, pool, gate))
                    }
                    Target::Postgres(options) => {
                        runtime.block_on(postgres::writer(jobs, options, pool))
                    }
                }
                let _ = done.send(());
            })
            .map_err(sqlx::Error::Io)?;
        Ok((sender, finished))
    }
}
