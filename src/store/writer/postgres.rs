//! The writer on PostgreSQL: the linking path's writes from concurrent
//! requests — pending grants with their codes, codes presented, refresh
//! tokens presented — and `GET /authorize`'s session read (with the code
//! it stores when consent is remembered), each kind as one
//! statement over arrays (`UNNEST`), on a connection of its own. A group
//! costs one round trip and one commit instead of a pooled connection's
//! ping, round trip and commit per write; on 2 cores shared with the
//! database those were most of a redemption's and a rotation's CPU (issue
//! 16, docs/perf-notes.md).
//!
//! No two writes of a group present the same code or token: a write on a key
//! already in the group waits for the next one. Each row is still the
//! conditional UPDATE it was alone (claim an unused code, retire a live
//! token), so the group's outcome is that of running its writes one by one,
//! and one winner among presentations of a code holds across instances. A
//! statement is atomic: if it fails in the database, nothing of it was
//! written, and its writes are tried again one at a time so one bad write
//! fails only itself. If the connection fails, the group's writes fail
//! (whether the server committed them is unknown) and the next group opens
//! another connection.

use super::{InsertCode, Job, Op, Outcome, Redeem, Refresh, SignedInQuery};
use crate::store::grants::{
    claimed_row, grant_row, GrantRow, CLAIMED_COLUMNS, NEW_GRANT_COLUMNS, REDEEM_OK,
};
use crate::store::sessions::{signed_in_row, SIGNED_IN_COLUMNS};
use crate::store::StoreError;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgRow};
use sqlx::{AnyPool, Connection, Row};
use std::collections::{HashSet, VecDeque};
use std::sync::OnceLock;
use tokio::sync::mpsc;

/// Most writes of one kind in one statement.
const MAX_GROUP: usize = 64;

/// The statements of a group: one per kind of write (and one for the reads).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Insert,
    Redeem,
    Refresh,
    SignedIn,
}

impl Kind {
    /// The kind of `op`, and the key no other write of its group may have
    /// (reads have none).
    fn of(op: &Op) -> Option<(Kind, Option<&str>)> {
        match op {
            Op::Insert(c) => Some((Kind::Insert, Some(c.code_hash.as_str()))),
            Op::Redeem(r) => Some((Kind::Redeem, Some(r.code_hash.as_str()))),
            Op::Refresh(r) => Some((Kind::Refresh, Some(r.token_hash.as_str()))),
            Op::SignedIn(q) => Some((
                Kind::SignedIn,
                q.issue.as_ref().map(|c| c.code_hash.as_str()),
            )),
            Op::Rotate(_) | Op::Record(_) => None,
        }
    }
}

/// Runs until the queue's sender is gone (the store was closed or dropped)
/// and every queued write has been answered.
pub(super) async fn writer(
    mut jobs: mpsc::UnboundedReceiver<Job>,
    options: PgConnectOptions,
    pool: AnyPool,
) {
    let mut waiting: VecDeque<Job> = VecDeque::new();
    let mut conn: Option<PgConnection> = None;
    loop {
        if waiting.is_empty() {
            match jobs.recv().await {
                Some(job) => waiting.push_back(job),
                None => break,
            }
        }
        while let Ok(job) = jobs.try_recv() {
            waiting.push_back(job);
        }
        if pool.is_closed() {
            for job in waiting.drain(..) {
                let _ = job.reply.send(Err(sqlx::Error::PoolClosed.into()));
            }
            continue;
        }
        let db = match &mut conn {
            Some(db) => db,
            None => match connect(&options).await {
                Ok(db) => conn.insert(db),
                Err(e) => {
                    // Every write waiting now would wait for the same server.
                    let message = e.to_string();
                    for job in waiting.drain(..) {
                        let _ = job.reply.send(Err(unavailable(&message)));
                    }
                    continue;
                }
            },
        };
        let mut groups = next_groups(&mut waiting).into_iter();
        while let Some((kind, group)) = groups.next() {
            if !settle(db, kind, group).await {
                conn = None;
                // The groups not run yet go first on the next connection.
                for job in groups.rev().flat_map(|(_, group)| group.into_iter().rev()) {
                    waiting.push_front(job);
                }
                break;
            }
        }
    }
    if let Some(db) = conn {
        let _ = db.close().await;
    }
}

/// The writer's connection; given up after as long as the pool waits for one.
///
/// Every statement of the writer joins a group's few rows to tables by
/// their keys, for which nested loops over index lookups are the right plan
/// at any table size. PostgreSQL's planner picks by the tables' statistics:
/// it planned once for any arrays (the generic plan it keeps after five
/// executions) while the tables were small, chose to scan them whole, and
/// kept scanning `refresh_tokens` as it grew (1,100 rows read per rotation
/// after 6 s of them). Planning each group for its arrays instead cost up to
/// a third of the database's CPU per flow at 16 connections.
async fn connect(options: &PgConnectOptions) -> Result<PgConnection, sqlx::Error> {
    let options = options.clone().options([
        ("enable_seqscan", "off"),
        ("enable_hashjoin", "off"),
        ("enable_mergejoin", "off"),
    ]);
    tokio::time::timeout(
        crate::store::ACQUIRE_TIMEOUT,
        PgConnection::connect_with(&options),
    )
    .await
    .unwrap_or(Err(sqlx::Error::PoolTimedOut))
}

/// Takes this round's groups off the front of `waiting`: per kind, up to
/// `MAX_GROUP` writes on distinct keys. The others stay, in order.
fn next_groups(waiting: &mut VecDeque<Job>) -> Vec<(Kind, Vec<Job>)> {
    let mut groups: Vec<(Kind, Vec<Job>)> = Vec::new();
    let mut keys: HashSet<(u8, String)> = HashSet::new();
    let mut later = VecDeque::new();
    for job in waiting.drain(..) {
        let Some((kind, key)) = Kind::of(&job.op) else {
            let _ = job.reply.send(Err(unavailable(
                "this write is not one the PostgreSQL writer runs",
            )));
            continue;
        };
        let at = groups.iter().position(|(k, _)| *k == kind);
        let full = at.is_some_and(|i| groups[i].1.len() >= MAX_GROUP);
        let taken = key.is_some_and(|key| !keys.insert((kind as u8, key.to_owned())));
        if full || taken {
            later.push_back(job);
            continue;
        }
        match at {
            Some(i) => groups[i].1.push(job),
            None => groups.push((kind, vec![job])),
        }
    }
    *waiting = later;
    groups
}

/// Runs one group and answers its writes; false if the connection broke.
async fn settle(db: &mut PgConnection, kind: Kind, group: Vec<Job>) -> bool {
    let ops: Vec<&Op> = group.iter().map(|job| &job.op).collect();
    match run(db, kind, &ops).await {
        Ok(outcomes) => {
            tracing::debug!(writes = group.len(), "writes committed together");
            for (job, outcome) in group.into_iter().zip(outcomes) {
                let _ = job.reply.send(outcome);
            }
            true
        }
        // The statement was rolled back: each write on its own.
        Err(sqlx::Error::Database(e)) if group.len() > 1 => {
            tracing::debug!(error = %e, writes = group.len(), "a group failed; its writes run alone");
            for job in group {
                if !Box::pin(settle(db, kind, vec![job])).await {
                    return false;
                }
            }
            true
        }
        Err(e @ sqlx::Error::Database(_)) => {
            if let Some(job) = group.into_iter().next() {
                let _ = job.reply.send(Err(e.into()));
            }
            true
        }
        Err(e) => {
            tracing::warn!(error = %e, writes = group.len(), "the PostgreSQL writer's connection failed");
            let message = e.to_string();
            for job in group {
                let _ = job.reply.send(Err(unavailable(&message)));
            }
            false
        }
    }
}

/// Each job of a failed group gets its own copy of the error.
fn unavailable(message: &str) -> StoreError {
    StoreError::Unavailable(sqlx::Error::Io(std::io::Error::other(message.to_owned())))
}

/// The writes of `ops` that are `$variant`s (all of them: a group is of one kind).
macro_rules! of_kind {
    ($ops:expr, $variant:path) => {
        $ops.iter()
            .filter_map(|op| match op {
                $variant(x) => Some(x),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
}

/// One column of a statement's arrays: `field` of each write.
fn column<'a, T, U>(writes: &[&'a T], field: impl Fn(&'a T) -> U) -> Vec<U> {
    writes.iter().map(|w| field(w)).collect()
}

/// One statement for `ops` (all of `kind`); what each did, in order.
async fn run(
    db: &mut PgConnection,
    kind: Kind,
    ops: &[&Op],
) -> Result<Vec<Result<Outcome, StoreError>>, sqlx::Error> {
    let ord: Vec<i32> = (0..ops.len() as i32).collect();
    match kind {
        Kind::Insert => {
            let c: Vec<&InsertCode> = of_kind!(ops, Op::Insert);
            sqlx::query(insert_sql())
                .bind(column(&c, |c| c.grant_id.as_str()))
                .bind(column(&c, |c| c.user_id.as_str()))
                .bind(column(&c, |c| c.client_id.as_str()))
                .bind(column(&c, |c| c.scopes.as_str()))
                .bind(column(&c, |c| c.now))
                .bind(column(&c, |c| c.grant_expires_at))
                .bind(column(&c, |c| c.code_hash.as_str()))
                .bind(column(&c, |c| c.redirect_uri.as_str()))
                .bind(column(&c, |c| c.code_challenge.as_deref()))
                .bind(column(&c, |c| c.code_expires_at))
                .execute(&mut *db)
                .await?;
            Ok(c.iter().map(|_| Ok(Outcome::Inserted)).collect())
        }
        Kind::Redeem => {
            let r: Vec<&Redeem> = of_kind!(ops, Op::Redeem);
            let rows = sqlx::query(redeem_sql())
                .bind(&ord)
                .bind(column(&r, |r| r.code_hash.as_str()))
                .bind(column(&r, |r| r.client_id.as_str()))
                .bind(column(&r, |r| r.redirect_uri.as_deref()))
                .bind(column(&r, |r| r.challenge.as_deref()))
                .bind(column(&r, |r| r.refresh_hash.as_str()))
                .bind(column(&r, |r| r.now))
                .fetch_all(&mut *db)
                .await?;
            // A code no row came back for was not claimed.
            answers(
                rows,
                r.len(),
                || Outcome::Redeemed(Box::new(None)),
                |row| Ok(Outcome::Redeemed(Box::new(Some(claimed(row)?)))),
            )
        }
        Kind::Refresh => {
            let r: Vec<&Refresh> = of_kind!(ops, Op::Refresh);
            let rows = sqlx::query(REFRESH_SQL)
                .bind(&ord)
                .bind(column(&r, |r| r.token_hash.as_str()))
                .bind(column(&r, |r| r.new_hash.as_str()))
                .bind(column(&r, |r| r.client.as_str()))
                .bind(column(&r, |r| r.now))
                .fetch_all(&mut *db)
                .await?;
            // A token no row came back for is unknown.
            answers(
                rows,
                r.len(),
                || Outcome::Refreshed(Box::new(None)),
                |row| Ok(Outcome::Refreshed(Box::new(Some(refreshed(row)?)))),
            )
        }
        Kind::SignedIn => {
            let q: Vec<&SignedInQuery> = of_kind!(ops, Op::SignedIn);
            let c: Vec<Option<&InsertCode>> = column(&q, |q| q.issue.as_ref());
            let code = |field: fn(&InsertCode) -> &str| -> Vec<Option<&str>> {
                c.iter().map(|c| c.map(field)).collect()
            };
            let number = |field: fn(&InsertCode) -> i64| -> Vec<Option<i64>> {
                c.iter().map(|c| c.map(field)).collect()
            };
            let rows = sqlx::query(signed_in_sql())
                .bind(&ord)
                .bind(column(&q, |q| q.id_hash.as_str()))
                .bind(column(&q, |q| q.now))
                .bind(column(&q, |q| q.client.as_str()))
                .bind(code(|c| &c.grant_id))
                .bind(code(|c| &c.scopes))
                .bind(number(|c| c.now))
                .bind(number(|c| c.grant_expires_at))
                .bind(code(|c| &c.code_hash))
                .bind(code(|c| &c.redirect_uri))
                .bind(
                    c.iter()
                        .map(|c| c.and_then(|c| c.code_challenge.as_deref()))
                        .collect::<Vec<_>>(),
                )
                .bind(number(|c| c.code_expires_at))
                .fetch_all(&mut *db)
                .await?;
            // A session no row came back for is unknown, expired or anonymous.
            answers(
                rows,
                q.len(),
                || Outcome::SignedIn(Box::new(None), false),
                |row| {
                    Ok(Outcome::SignedIn(
                        Box::new(Some(signed_in_row(row)?)),
                        row.try_get("issued")?,
                    ))
                },
            )
        }
    }
}

/// Each write's outcome: from the row returned for it, else `missing`.
fn answers(
    rows: Vec<PgRow>,
    writes: usize,
    missing: impl Fn() -> Outcome,
    found: impl Fn(&PgRow) -> Result<Outcome, StoreError>,
) -> Result<Vec<Result<Outcome, StoreError>>, sqlx::Error> {
    let mut outcomes: Vec<Option<Result<Outcome, StoreError>>> =
        (0..writes).map(|_| None).collect();
    for row in rows {
        let at = slot(&row, writes)?;
        outcomes[at] = Some(found(&row));
    }
    Ok(outcomes
        .into_iter()
        .map(|o| o.unwrap_or_else(|| Ok(missing())))
        .collect())
}

/// Which write a returned row answers.
fn slot(row: &PgRow, writes: usize) -> Result<usize, sqlx::Error> {
    let ord: i32 = row.try_get("i_ord")?;
    usize::try_from(ord)
        .ok()
        .filter(|&at| at < writes)
        .ok_or_else(|| sqlx::Error::Protocol(format!("a row for write {ord} of {writes}")))
}

/// Claims each presented code if it is unused and the presenting client's;
/// activates the grant only if the presentation is good (`REDEEM_OK`), and
/// then stores its first refresh token. One row back per claimed code.
fn redeem_sql() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| {
        let ok = REDEEM_OK
            .replace("$NOW", "i.i_now")
            .replace("$REDIRECT", "i.i_redirect")
            .replace("$CHALLENGE", "i.i_challenge");
        format!(
            "WITH i AS (SELECT * FROM UNNEST($1::int4[], $2::text[], $3::text[], $4::text[], \
             $5::text[], $6::text[], $7::int8[]) \
             AS t(i_ord, i_code, i_client, i_redirect, i_challenge, i_refresh, i_now)), \
             claimed AS (UPDATE grants SET code_used_at = i.i_now, \
             activated_at = CASE WHEN {ok} THEN i.i_now ELSE activated_at END \
             FROM i WHERE code_hash = i.i_code AND code_used_at IS NULL AND client_id = i.i_client \
             RETURNING i.i_ord, i.i_refresh, i.i_now, {CLAIMED_COLUMNS}), \
             issued AS (INSERT INTO refresh_tokens (token_hash, grant_id, created_at) \
             SELECT i_refresh, id, i_now FROM claimed \
             WHERE activated_at = i_now AND code_used_at = i_now RETURNING grant_id) \
             SELECT claimed.*, claimed.id IN (SELECT grant_id FROM issued) AS issued FROM claimed"
        )
    })
}

/// Stores each pending grant with its code.
fn insert_sql() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| {
        format!(
            "INSERT INTO grants ({NEW_GRANT_COLUMNS}) \
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], \
             $5::int8[], $6::int8[], $7::text[], $8::text[], $9::text[], $10::int8[])"
        )
    })
}

/// Reads each live session with its user and the user's consent to the
/// client asking (`Store::signed_in`), and stores a read's code, if it has
/// one (`$5`… not null), for the session's user if that consent covers the
/// code's scopes (the scope names as arrays: `apply::consent_covers` on
/// SQLite). One row back per such session.
fn signed_in_sql() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| {
        format!(
            "WITH i AS (SELECT * FROM UNNEST($1::int4[], $2::text[], $3::int8[], $4::text[], \
             $5::text[], $6::text[], $7::int8[], $8::int8[], $9::text[], $10::text[], \
             $11::text[], $12::int8[]) \
             AS t(i_ord, i_session, i_now, i_client, i_grant, i_scopes, i_code_now, \
             i_grant_expires, i_code, i_redirect, i_challenge, i_code_expires)), \
             found AS (SELECT i.*, {SIGNED_IN_COLUMNS} \
             FROM i JOIN sessions s ON s.id_hash = i.i_session JOIN users u ON u.id = s.user_id \
             LEFT JOIN consents c ON c.user_id = s.user_id AND c.client_id = i.i_client \
             WHERE s.expires_at > i.i_now), \
             issued AS (INSERT INTO grants ({NEW_GRANT_COLUMNS}) \
             SELECT i_grant, id, i_client, i_scopes, i_code_now, i_grant_expires, i_code, \
             i_redirect, i_challenge, i_code_expires FROM found \
             WHERE i_grant IS NOT NULL \
             AND string_to_array(i_scopes, ' ') <@ string_to_array(consent_scopes, ' ') \
             RETURNING id) \
             SELECT found.*, COALESCE(found.i_grant IN (SELECT id FROM issued), false) AS issued \
             FROM found"
        )
    })
}

/// Reads each presented refresh token with its grant and retires it in
/// favour of its successor if it is live, the presenting client's, and its
/// grant neither revoked nor expired. One row back per known token.
const REFRESH_SQL: &str = "WITH i AS (SELECT * FROM UNNEST($1::int4[], $2::text[], $3::text[], \
     $4::text[], $5::int8[]) AS t(i_ord, i_token, i_new, i_client, i_now)), \
     cur AS (SELECT i.*, g.id, g.user_id, g.client_id, g.scopes, g.created_at, g.expires_at, \
     g.activated_at, g.revoked_at, r.rotated_at \
     FROM i JOIN refresh_tokens r ON r.token_hash = i.i_token JOIN grants g ON g.id = r.grant_id), \
     retired AS (UPDATE refresh_tokens r SET rotated_at = cur.i_now FROM cur \
     WHERE r.token_hash = cur.i_token AND r.rotated_at IS NULL AND cur.client_id = cur.i_client \
     AND cur.revoked_at IS NULL AND cur.expires_at > cur.i_now \
     RETURNING cur.i_new, cur.id AS grant_id, cur.i_now), \
     issued AS (INSERT INTO refresh_tokens (token_hash, grant_id, created_at) \
     SELECT i_new, grant_id, i_now FROM retired RETURNING token_hash) \
     SELECT cur.*, cur.i_new IN (SELECT token_hash FROM issued) AS rotated FROM cur";

fn claimed(row: &PgRow) -> Result<(super::CodeRecord, bool), StoreError> {
    let record = claimed_row(row)?.into_record()?;
    Ok((record, row.try_get("issued")?))
}

fn refreshed(row: &PgRow) -> Result<(GrantRow, Option<i64>, bool), StoreError> {
    Ok((
        grant_row(row)?,
        row.try_get("rotated_at")?,
        row.try_get("rotated")?,
    ))
}
