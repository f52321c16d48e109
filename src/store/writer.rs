//! SQLite's hot writes, committed in groups: refresh-token rotations (issue
//! 8), and authorization codes issued and redeemed (issue 16).
//!
//! SQLite has one writer, and every commit rewrites each page it touched (the
//! row, its table's index pages) into the WAL. These writes from concurrent
//! requests therefore go to one writer task, which takes whatever is queued
//! (up to `MAX_BATCH`) and runs it as one transaction on a connection of its
//! own: one hand-off to SQLite's thread per kind of write in the group, and
//! one commit for the whole group, on a page cache no other writer
//! invalidates. Under 64 concurrent refreshes this cut the SQLite threads'
//! CPU per rotation by a third and the context switches from 8.4 to 5
//! (docs/perf-notes.md).
//!
//! Each write in a group is still its own conditional statement, evaluated
//! after the ones queued before it: a rotation retires its token only if no
//! earlier rotation (also in the same group) did, and stores the successor
//! only if it did (`changes() = 1`); a redemption claims its code only if it
//! is unused, and activates the grant and stores the first refresh token
//! only if that very UPDATE claimed it. The outcome is the one of running
//! them one by one. If a group fails, its writes are retried one at a time,
//! so one bad write fails only itself.
//!
//! Callers wait on a reply; one that stops waiting (its client went away)
//! does not stop the write, which is then applied or not as a whole. A reply
//! is sent only after the group's COMMIT, so an acknowledged write is
//! committed; `Store::close` drains the queue before the pool closes.

use super::grants::{claimed_code, CodeRecord, REDEEM_OK};
use super::StoreError;
use sqlx::any::{AnyConnectOptions, AnyRow};
use sqlx::{AnyConnection, AnyPool, Column, Connection, Executor, Row};
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

enum Op {
    Rotate(Rotate),
    Insert(InsertCode),
    Redeem(Redeem),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Rotate,
    Insert,
    Redeem,
}

impl Op {
    fn kind(&self) -> Kind {
        match self {
            Op::Rotate(_) => Kind::Rotate,
            Op::Insert(_) => Kind::Insert,
            Op::Redeem(_) => Kind::Redeem,
        }
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
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(sqlx::Error::Io)?;
        let (options, pool, gate) = (
            self.inner.options.clone(),
            self.inner.pool.clone(),
            self.inner.gate.clone(),
        );
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
        tracing::debug!(writes = batch.len(), "writes committed together");
        let ops: Vec<&Op> = batch.iter().map(|j| &j.op).collect();
        match run(&mut conn, &options, &pool, &ops).await {
            Ok(outcomes) => {
                for (job, outcome) in batch.into_iter().zip(outcomes) {
                    let _ = job.reply.send(Ok(outcome));
                }
            }
            Err(e) if batch.len() == 1 => {
                let _ = batch.remove(0).reply.send(Err(e));
            }
            Err(_) => {
                for job in batch {
                    let result = run(&mut conn, &options, &pool, &[&job.op])
                        .await
                        .map(|mut o| o.remove(0));
                    let _ = job.reply.send(result);
                }
            }
        }
    }
    if let Some(c) = conn {
        let _ = c.close().await;
    }
}

/// The statements of `n` writes of one kind, with `BEGIN IMMEDIATE` before
/// them if `begin` and `COMMIT` after them if `commit`. Each text is prepared
/// once per connection. Every row a text returns starts with the index of
/// its write in the group of that kind, as a literal.
fn batch_sql(kind: Kind, n: usize, begin: bool, commit: bool) -> &'static str {
    static TEXTS: [OnceLock<Vec<String>>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    let (slot, one): (usize, fn(usize) -> String) = match kind {
        Kind::Rotate => (0, rotate_sql),
        Kind::Insert => (1, insert_sql),
        Kind::Redeem => (2, redeem_sql),
    };
    &TEXTS[slot].get_or_init(|| {
        let mut texts = Vec::with_capacity((MAX_BATCH + 1) * 4);
        for n in 0..=MAX_BATCH {
            for (begin, commit) in [(false, false), (false, true), (true, false), (true, true)] {
                let mut sql = String::new();
                if begin {
                    sql.push_str("BEGIN IMMEDIATE;");
                }
                for i in 0..n {
                    sql.push_str(&one(i));
                }
                if commit {
                    sql.push_str(" COMMIT;");
                }
                texts.push(sql);
            }
        }
        texts
    })[n * 4 + usize::from(begin) * 2 + usize::from(commit)]
}

/// `UPDATE; INSERT … WHERE changes() = 1 RETURNING`: 4 parameters.
fn rotate_sql(i: usize) -> String {
    let (now, old, new, grant) = (4 * i + 1, 4 * i + 2, 4 * i + 3, 4 * i + 4);
    format!(
        " UPDATE refresh_tokens SET rotated_at = ${now} \
         WHERE token_hash = ${old} AND rotated_at IS NULL; \
         INSERT INTO refresh_tokens (token_hash, grant_id, created_at) \
         SELECT ${new}, ${grant}, ${now} WHERE changes() = 1 RETURNING {i} AS rotated;"
    )
}

/// One pending grant with its code: 10 parameters.
fn insert_sql(i: usize) -> String {
    let params: Vec<String> = (1..=10).map(|k| format!("${}", 10 * i + k)).collect();
    format!(
        " INSERT INTO grants (id, user_id, client_id, scopes, created_at, expires_at, \
         code_hash, code_redirect_uri, code_challenge, code_expires_at) VALUES ({});",
        params.join(", ")
    )
}

/// The claiming UPDATE (returning the code) and the first refresh token,
/// stored only if that UPDATE claimed the code and activated its grant: 6
/// parameters.
fn redeem_sql(i: usize) -> String {
    let p = |k: usize| 6 * i + k;
    let (now, code, client, redirect, challenge, refresh) = (p(1), p(2), p(3), p(4), p(5), p(6));
    let ok = REDEEM_OK
        .replace("$NOW", &format!("${now}"))
        .replace("$REDIRECT", &format!("${redirect}"))
        .replace("$CHALLENGE", &format!("${challenge}"));
    format!(
        " UPDATE grants SET code_used_at = ${now}, \
         activated_at = CASE WHEN {ok} THEN ${now} ELSE activated_at END \
         WHERE code_hash = ${code} AND code_used_at IS NULL AND client_id = ${client} \
         RETURNING {i} AS claimed, id, user_id, client_id, scopes, created_at, expires_at, \
         activated_at, revoked_at, code_redirect_uri, code_challenge, code_expires_at, code_used_at; \
         INSERT INTO refresh_tokens (token_hash, grant_id, created_at) \
         SELECT ${refresh}, id, ${now} FROM grants \
         WHERE code_hash = ${code} AND activated_at = ${now} AND code_used_at = ${now} \
         AND changes() = 1 RETURNING {i} AS issued;"
    )
}

/// One transaction for `ops`; what each did.
async fn run(
    conn: &mut Option<AnyConnection>,
    options: &AnyConnectOptions,
    pool: &AnyPool,
    ops: &[&Op],
) -> Result<Vec<Outcome>, StoreError> {
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
    match run_on(c, ops).await {
        Ok(outcomes) => Ok(outcomes),
        Err(e) => {
            // Stopped part-way: undo what it began. If even that fails (or
            // there was nothing to undo), start on a fresh connection.
            if sqlx::query("ROLLBACK").execute(&mut *c).await.is_err() {
                if let Some(c) = conn.take() {
                    let _ = c.close().await;
                }
            }
            Err(e)
        }
    }
}

async fn run_on(c: &mut AnyConnection, ops: &[&Op]) -> Result<Vec<Outcome>, StoreError> {
    let kinds: Vec<Kind> = [Kind::Rotate, Kind::Insert, Kind::Redeem]
        .into_iter()
        .filter(|k| ops.iter().any(|o| o.kind() == *k))
        .collect();
    let mut outcomes: Vec<Option<Outcome>> = ops.iter().map(|_| None).collect();
    for (k, kind) in kinds.iter().enumerate() {
        // The positions in `ops` of this kind's writes, in order.
        let at: Vec<usize> = (0..ops.len()).filter(|&i| ops[i].kind() == *kind).collect();
        let sql = batch_sql(*kind, at.len(), k == 0, k + 1 == kinds.len());
        let mut query = sqlx::query(sql);
        for &i in &at {
            query = match ops[i] {
                Op::Rotate(r) => query.bind(r.now).bind(&r.old).bind(&r.new).bind(&r.grant),
                Op::Insert(c) => query
                    .bind(&c.grant_id)
                    .bind(&c.user_id)
                    .bind(&c.client_id)
                    .bind(&c.scopes)
                    .bind(c.now)
                    .bind(c.grant_expires_at)
                    .bind(&c.code_hash)
                    .bind(&c.redirect_uri)
                    .bind(&c.code_challenge)
                    .bind(c.code_expires_at),
                Op::Redeem(r) => query
                    .bind(r.now)
                    .bind(&r.code_hash)
                    .bind(&r.client_id)
                    .bind(&r.redirect_uri)
                    .bind(&r.challenge)
                    .bind(&r.refresh_hash),
            };
        }
        let rows = query.fetch_all(&mut *c).await?;
        match kind {
            Kind::Rotate => {
                let mut won = vec![false; at.len()];
                for row in &rows {
                    won[index(row, at.len())?] = true;
                }
                for (j, &i) in at.iter().enumerate() {
                    outcomes[i] = Some(Outcome::Rotated(won[j]));
                }
            }
            Kind::Insert => {
                for &i in &at {
                    outcomes[i] = Some(Outcome::Inserted);
                }
            }
            Kind::Redeem => {
                let mut claimed: Vec<Option<(CodeRecord, bool)>> =
                    at.iter().map(|_| None).collect();
                for row in &rows {
                    let j = index(row, at.len())?;
                    if first_column(row) == "issued" {
                        match &mut claimed[j] {
                            Some((_, issued)) => *issued = true,
                            None => {
                                return Err(StoreError::Corrupt(
                                    "a refresh token without its claimed code".into(),
                                ))
                            }
                        }
                    } else {
                        claimed[j] = Some((claimed_code(row)?, false));
                    }
                }
                for (&i, c) in at.iter().zip(claimed) {
                    outcomes[i] = Some(Outcome::Redeemed(Box::new(c)));
                }
            }
        }
    }
    Ok(outcomes
        .into_iter()
        .map(|o| o.expect("every write has an outcome"))
        .collect())
}

fn first_column(row: &AnyRow) -> &str {
    row.columns().first().map_or("", |c| c.name())
}

/// The write a returned row belongs to (its first column).
fn index(row: &AnyRow, n: usize) -> Result<usize, StoreError> {
    let i: i64 = row.try_get(0)?;
    usize::try_from(i)
        .ok()
        .filter(|&i| i < n)
        .ok_or_else(|| StoreError::Corrupt(format!("write index {i} out of range")))
}
