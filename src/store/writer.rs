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

use super::grants::{ClaimedRow, CodeRecord, GrantRow, CLAIMED_COLUMNS, GRANT_COLUMNS, REDEEM_OK};
use super::inspector::{COLUMNS, COLUMN_COUNT, PRUNE_SQL};
use super::sessions::{SignedInRow, SIGNED_IN_SQL};
use super::users::UserRow;
use super::InspectorRecord;
use super::StoreError;
use rusqlite::{params, OptionalExtension};
use sqlx::any::AnyConnectOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{AnyPool, Connection, Executor};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, OnceLock};
use tokio::sync::{mpsc, oneshot};

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

/// Writes committed between two checkpoints (a few pages each).
const CHECKPOINT_EVERY: usize = 128;

/// WAL frames (pages) past which the writer checkpoints itself.
const WAL_FRAMES_HIGH: i64 = 8192;

/// The writer's connection does not checkpoint the WAL on commit: SQLite's
/// automatic checkpoint ran in the commit that crossed 1,000 pages, copying
/// them into the database and syncing both files while every queued write
/// waited: commits of 9.5–10 ms, about one group in thirty at 16 connections
/// of redemptions, the p99 (issue 16). A pool connection checkpoints instead
/// (PASSIVE: it never blocks the writer), after every `CHECKPOINT_EVERY`
/// writes, one checkpoint at a time.
///
/// Under sustained writes such a checkpoint never catches up with the
/// writer, and SQLite restarts the WAL from its beginning only after one
/// that did: the file grew by ~0.3 MB/s at 5,000 rotations/s. So when the
/// pool's last checkpoint found more than `WAL_FRAMES_HIGH` frames, the
/// writer copies the few written since, between two groups, and the next
/// group starts the WAL over.
#[derive(Default)]
struct Checkpoints {
    since_last: usize,
    running: Arc<std::sync::atomic::AtomicBool>,
    /// Frames in the WAL at the pool's last checkpoint.
    wal_frames: Arc<std::sync::atomic::AtomicI64>,
}

impl Checkpoints {
    fn committed(&mut self, db: &rusqlite::Connection, writes: usize, pool: &AnyPool) {
        use std::sync::atomic::Ordering;
        self.since_last += writes;
        if self.since_last < CHECKPOINT_EVERY || self.running.swap(true, Ordering::AcqRel) {
            return;
        }
        self.since_last = 0;
        if self.wal_frames.swap(0, Ordering::AcqRel) > WAL_FRAMES_HIGH {
            if let Err(e) = db.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                tracing::debug!(error = %e, "WAL checkpoint failed; the next one retries");
            }
            self.running.store(false, Ordering::Release);
            return;
        }
        let (pool, running, frames) = (pool.clone(), self.running.clone(), self.wal_frames.clone());
        tokio::spawn(async move {
            // busy, frames in the WAL, frames checkpointed
            match sqlx::query_as::<_, (i64, i64, i64)>("PRAGMA wal_checkpoint(PASSIVE)")
                .fetch_one(&pool)
                .await
            {
                Ok((_, log, _)) => frames.store(log, Ordering::Release),
                Err(e) => {
                    tracing::debug!(error = %e, "WAL checkpoint failed; the next one retries")
                }
            }
            running.store(false, Ordering::Release);
        });
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

/// One write. Each is a conditional statement evaluated after the ones
/// before it, so a group's outcome is that of running its writes one by one.
fn apply(db: &rusqlite::Connection, op: &Op) -> Result<Outcome, StoreError> {
    Ok(match op {
        Op::Rotate(r) => Outcome::Rotated(rotate(db, &r.old, &r.new, &r.grant, r.now)?),
        Op::Refresh(r) => {
            static SQL: OnceLock<String> = OnceLock::new();
            let sql = SQL.get_or_init(|| {
                format!(
                    "SELECT {GRANT_COLUMNS}, r.rotated_at FROM refresh_tokens r \
                     JOIN grants g ON g.id = r.grant_id WHERE r.token_hash = ?1"
                )
            });
            let found = db
                .prepare_cached(sql)?
                .query_row(params![r.token_hash], |row| {
                    Ok((grant_row(row)?, row.get::<_, Option<i64>>(8)?))
                })
                .optional()?;
            Outcome::Refreshed(Box::new(match found {
                Some((grant, rotated_at)) => {
                    let live = rotated_at.is_none()
                        && grant.client_id == r.client
                        && grant.revoked_at.is_none()
                        && grant.expires_at > r.now;
                    let rotated = live && rotate(db, &r.token_hash, &r.new_hash, &grant.id, r.now)?;
                    Some((grant, rotated_at, rotated))
                }
                None => None,
            }))
        }
        Op::Insert(c) => {
            db.prepare_cached(
                "INSERT INTO grants (id, user_id, client_id, scopes, created_at, expires_at, \
                 code_hash, code_redirect_uri, code_challenge, code_expires_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?
            .execute(params![
                c.grant_id,
                c.user_id,
                c.client_id,
                c.scopes,
                c.now,
                c.grant_expires_at,
                c.code_hash,
                c.redirect_uri,
                c.code_challenge,
                c.code_expires_at
            ])?;
            Outcome::Inserted
        }
        Op::Redeem(r) => {
            let claimed = db
                .prepare_cached(redeem_sql())?
                .query_row(
                    params![r.now, r.code_hash, r.client_id, r.redirect_uri, r.challenge],
                    claimed_row,
                )
                .optional()?;
            let claimed = match claimed {
                Some(row) => {
                    let record = row.into_record()?;
                    // This very UPDATE activated the grant: its first refresh token.
                    let activated = record.grant.activated_at == Some(r.now);
                    if activated {
                        insert_refresh(db, &r.refresh_hash, &record.grant.id, r.now)?;
                    }
                    Some((record, activated))
                }
                None => None,
            };
            Outcome::Redeemed(Box::new(claimed))
        }
        Op::Record(batch) => {
            static SQL: OnceLock<(String, String)> = OnceLock::new();
            let (insert, prune) = SQL.get_or_init(|| {
                let values: Vec<String> = (1..=COLUMN_COUNT).map(|i| format!("?{i}")).collect();
                (
                    format!(
                        "INSERT INTO inspector_events ({COLUMNS}) VALUES ({})",
                        values.join(", ")
                    ),
                    PRUNE_SQL.replace('$', "?"),
                )
            });
            let mut statement = db.prepare_cached(insert)?;
            for r in &batch.records {
                statement.execute(params![
                    r.id,
                    r.client_id,
                    r.seq,
                    r.at_ms,
                    r.user_id,
                    r.grant_id,
                    r.flow_id,
                    r.kind,
                    r.method,
                    r.path,
                    r.status,
                    r.latency_us,
                    r.outcome,
                    r.error,
                    r.request,
                    r.response
                ])?;
            }
            let mut clients: Vec<&str> =
                batch.records.iter().map(|r| r.client_id.as_str()).collect();
            clients.sort_unstable();
            clients.dedup();
            let mut statement = db.prepare_cached(prune)?;
            for client in clients {
                statement.execute(params![client, batch.max_per_client.max(1) - 1])?;
            }
            Outcome::Inserted
        }
        Op::SignedIn(q) => {
            static SQL: OnceLock<String> = OnceLock::new();
            let sql = SQL.get_or_init(|| SIGNED_IN_SQL.replace('$', "?"));
            let row = db
                .prepare_cached(sql)?
                .query_row(params![q.id_hash, q.now, q.client], signed_in_row)
                .optional()?;
            Outcome::SignedIn(Box::new(row))
        }
    })
}

/// A row of `SIGNED_IN_SQL`.
fn signed_in_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<SignedInRow> {
    Ok(SignedInRow {
        id_hash: row.get("id_hash")?,
        csrf_token: row.get("csrf_token")?,
        expires_at: row.get("session_expires_at")?,
        user: UserRow {
            id: row.get("id")?,
            password_hash: row.get("password_hash")?,
            display_name: row.get("display_name")?,
            email: row.get("email")?,
            country: row.get("country")?,
            product: row.get("product")?,
            created_at: row.get("created_at")?,
            persona: row.get("persona")?,
            locked_at: row.get("locked_at")?,
        },
        consent: row.get("consent_scopes")?,
    })
}

/// Retires `old` and stores `new` for `grant`; false if `old` was retired already.
fn rotate(
    db: &rusqlite::Connection,
    old: &str,
    new: &str,
    grant: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let retired = db
        .prepare_cached(
            "UPDATE refresh_tokens SET rotated_at = ?1 \
             WHERE token_hash = ?2 AND rotated_at IS NULL",
        )?
        .execute(params![now, old])?
        == 1;
    if retired {
        insert_refresh(db, new, grant, now)?;
    }
    Ok(retired)
}

fn insert_refresh(
    db: &rusqlite::Connection,
    token_hash: &str,
    grant_id: &str,
    now: i64,
) -> Result<(), StoreError> {
    db.prepare_cached(
        "INSERT INTO refresh_tokens (token_hash, grant_id, created_at) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![token_hash, grant_id, now])?;
    Ok(())
}

/// Claims an unused code of this client, and activates its grant if the
/// code is good: ?1 now, ?2 code hash, ?3 client, ?4 redirect URI, ?5 PKCE
/// challenge.
fn redeem_sql() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| {
        let ok = REDEEM_OK
            .replace("$NOW", "?1")
            .replace("$REDIRECT", "?4")
            .replace("$CHALLENGE", "?5");
        format!(
            "UPDATE grants SET code_used_at = ?1, \
             activated_at = CASE WHEN {ok} THEN ?1 ELSE activated_at END \
             WHERE code_hash = ?2 AND code_used_at IS NULL AND client_id = ?3 \
             RETURNING {CLAIMED_COLUMNS}"
        )
    })
}

/// The grant in the first 8 columns (`GRANT_COLUMNS`, `CLAIMED_COLUMNS`).
fn grant_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<GrantRow> {
    Ok(GrantRow {
        id: row.get(0)?,
        user_id: row.get(1)?,
        client_id: row.get(2)?,
        scopes: row.get(3)?,
        created_at: row.get(4)?,
        expires_at: row.get(5)?,
        activated_at: row.get(6)?,
        revoked_at: row.get(7)?,
    })
}

/// A row of `CLAIMED_COLUMNS`.
fn claimed_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ClaimedRow> {
    Ok(ClaimedRow {
        grant: grant_row(row)?,
        redirect_uri: row.get(8)?,
        code_challenge: row.get(9)?,
        expires_at: row.get(10)?,
        used_at: row.get(11)?,
    })
}

#[cfg(test)]
mod tests {
    use crate::domain::{ClientId, RedirectUri, Scopes, Username};
    use crate::store::{Client, NewCode, NewUser, RefreshPolicy, Store};

    /// The writer's connection does not checkpoint on commit, so the pool
    /// does: the pages the writes put in the WAL reach the database file.
    #[tokio::test]
    async fn the_wal_is_checkpointed_while_the_writer_writes() {
        let (dir, store, alice, client, scopes) = store_with_a_user_and_client().await;
        let file = dir.path().join("writer.db");
        let size = || std::fs::metadata(&file).unwrap().len();
        let before = size();
        let hashes: Vec<String> = (0..4000)
            .map(|i| format!("code-{i:04}-{}", "x".repeat(40)))
            .collect();
        let ids: Vec<String> = (0..4000).map(|i| format!("grant-{i:04}")).collect();
        for round in hashes.chunks(200).zip(ids.chunks(200)) {
            let codes: Vec<NewCode> = round
                .0
                .iter()
                .zip(round.1)
                .map(|(hash, id)| NewCode {
                    code_hash: hash,
                    grant_id: id,
                    user_id: &alice,
                    client_id: &client.id,
                    scopes: &scopes,
                    redirect_uri: "https://example.com/cb",
                    code_challenge: None,
                    expires_at: 600,
                    grant_expires_at: 86400,
                })
                .collect();
            for r in
                futures_util::future::join_all(codes.iter().map(|c| store.insert_code(c, 0))).await
            {
                r.unwrap();
            }
        }
        // 4,000 rows of ~300 bytes: more than a MB once copied in.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while size() < before + (1 << 20) {
            assert!(
                std::time::Instant::now() < deadline,
                "no checkpoint: the database file stayed at {} bytes",
                size()
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        store.close().await;
    }

    async fn store_with_a_user_and_client() -> (tempfile::TempDir, Store, Username, Client, Scopes)
    {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", dir.path().join("writer.db").display());
        let store = Store::connect(&url).await.unwrap();
        store.migrate().await.unwrap();
        let alice = Username::parse("alice").unwrap();
        let scopes = Scopes::parse("user-read-private").unwrap();
        store
            .insert_user(
                &NewUser {
                    id: alice.clone(),
                    password_hash: "x".into(),
                    display_name: "Alice".into(),
                    email: "alice@example.com".into(),
                    country: "US".into(),
                    product: "premium".into(),
                    persona: None,
                    locked_at: None,
                },
                0,
            )
            .await
            .unwrap();
        let client = Client {
            id: ClientId::parse("app").unwrap(),
            name: "App".into(),
            secret_hash: None,
            redirect_uris: vec![RedirectUri::parse("https://example.com/cb").unwrap()],
            scopes: scopes.clone(),
            refresh_policy: RefreshPolicy::Rotate,
            refresh_grace_seconds: 0,
            access_token_ttl: 3600,
            refresh_token_ttl: 86400,
            extended_quota: false,
        };
        store.insert_client(&client, 0).await.unwrap();
        (dir, store, alice, client, scopes)
    }

    /// A group in which two writes fail (a user that does not exist, a grant
    /// id already taken) commits all the others, and only those two fail.
    #[tokio::test]
    async fn a_write_that_fails_in_a_group_fails_only_itself() {
        let (_dir, store, alice, client, scopes) = store_with_a_user_and_client().await;
        let ghost = Username::parse("ghost").unwrap();
        let grant_ids: Vec<String> = (0..32)
            .map(|i| {
                if i == 20 {
                    "g3".into()
                } else {
                    format!("g{i}")
                }
            })
            .collect();
        let hashes: Vec<String> = (0..32).map(|i| format!("c{i}")).collect();
        let codes: Vec<NewCode> = (0..32)
            .map(|i| NewCode {
                code_hash: &hashes[i],
                grant_id: &grant_ids[i],
                user_id: if i == 7 { &ghost } else { &alice },
                client_id: &client.id,
                scopes: &scopes,
                redirect_uri: "https://example.com/cb",
                code_challenge: None,
                expires_at: 600,
                grant_expires_at: 86400,
            })
            .collect();
        // Queued together: the writer takes them as one group (or a few).
        let inserts = codes.iter().map(|c| store.insert_code(c, 0));
        let results = futures_util::future::join_all(inserts).await;
        let failed: Vec<usize> = (0..32).filter(|&i| results[i].is_err()).collect();
        assert_eq!(failed, [7, 20]);
        for (i, hash) in hashes.iter().enumerate() {
            let stored = store.code(hash).await.unwrap();
            assert_eq!(stored.is_some(), !failed.contains(&i), "code {i}");
        }
        store.close().await;
    }
}
