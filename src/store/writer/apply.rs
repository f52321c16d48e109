//! What each write does: its statements, run on the writer's connection.

use super::{InsertCode, Op, Outcome};
use crate::domain::Scopes;
use crate::store::grants::{
    ClaimedRow, GrantRow, CLAIMED_COLUMNS, GRANT_COLUMNS, NEW_GRANT_COLUMNS, REDEEM_OK,
};
use crate::store::inspector::{COLUMNS, COLUMN_COUNT, PRUNE_SQL};
use crate::store::sessions::{signed_in_sql, SignedInRow};
use crate::store::users::UserRow;
use crate::store::StoreError;
use rusqlite::{params, OptionalExtension};
use std::sync::OnceLock;

/// One write. Each is a conditional statement evaluated after the ones
/// before it, so a group's outcome is that of running its writes one by one.
pub(super) fn apply(db: &rusqlite::Connection, op: &Op) -> Result<Outcome, StoreError> {
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
            insert_code(db, c, &c.user_id)?;
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
            let row = db
                .prepare_cached(signed_in_sql())?
                .query_row(params![q.id_hash, q.now, q.client], signed_in_row)
                .optional()?;
            let issued = match (&row, &q.issue) {
                (Some(row), Some(code)) if consent_covers(row.consent.as_deref(), &code.scopes) => {
                    insert_code(db, code, &row.user.id)?;
                    true
                }
                _ => false,
            };
            Outcome::SignedIn(Box::new(row), issued)
        }
    })
}

/// A pending grant with its code, for `user`.
fn insert_code(db: &rusqlite::Connection, c: &InsertCode, user: &str) -> Result<(), StoreError> {
    static SQL: OnceLock<String> = OnceLock::new();
    let sql = SQL.get_or_init(|| {
        format!(
            "INSERT INTO grants ({NEW_GRANT_COLUMNS}) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
        )
    });
    db.prepare_cached(sql)?.execute(params![
        c.grant_id,
        user,
        c.client_id,
        c.scopes,
        c.now,
        c.grant_expires_at,
        c.code_hash,
        c.redirect_uri,
        c.code_challenge,
        c.code_expires_at
    ])?;
    Ok(())
}

/// Whether stored consent (`None`: never given) covers `requested`, both
/// as stored (`Scopes`' text). PostgreSQL's statement asks the same with
/// arrays (`postgres::signed_in_sql`).
fn consent_covers(consent: Option<&str>, requested: &str) -> bool {
    match (consent.map(Scopes::parse), Scopes::parse(requested)) {
        (Some(Ok(granted)), Ok(requested)) => requested.is_subset(&granted),
        _ => false,
    }
}

/// A row of `signed_in_sql`.
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
