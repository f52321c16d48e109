//! The background writer: drains the queue in batches, tells each record's
//! client, keeps only what the rings can hold, joins records to their grant,
//! redacts, and inserts each batch in transactions of `WRITE_CHUNK` records.

use super::{redact, Captured, Kind};
use crate::domain::ClientId;
use crate::metrics::Metrics;
use crate::oauth::basic::decode_basic;
use crate::store::{digest, InspectorRecord, Store};
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// Records taken from the queue at once: all it can hold.
const BATCH: usize = super::QUEUE_CAPACITY;
/// This many records within one `PACE` means load, not a person linking an
/// account. The writer then waits out the rest of that `PACE` before the next
/// batch: meanwhile the queue fills and further records are dropped at the
/// door (cheaply, and counted). If the queue filled up meanwhile, of the
/// next batch only the newest `LARGE_BATCH` are kept (the rest counted as
/// dropped too) before any work is done; else it is cut to the rings'
/// bound. So under sustained load the rings hold a sample of at most
/// `LARGE_BATCH` records a `PACE`, and the writer takes little CPU from
/// requests, while a burst that fits in the queue is recorded whole: the
/// whole queue (cut only to the rings' bound, 500) took 10–20 ms to prepare
/// and 40–100 ms to write on PostgreSQL once a second, and the p99 of paced
/// refreshes there was 56–84 ms with it against 13–22 ms without the
/// inspector (issue 16, docs/perf-notes.md). Counting per `PACE`, not per batch:
/// at a test suite's load (16 connections of linking flows, ~3,000 records/s)
/// batches stayed under 64 and every record was written, which cost the
/// server 0.4 of its 2 cores (issue 16, `bench/profile.sh flow 16`).
/// A person's steps come a few at a time and are written at once.
pub(super) const LARGE_BATCH: usize = 64;
const PACE: Duration = Duration::from_secs(1);

/// What the writer writes with.
pub(super) struct Writer {
    pub store: Store,
    pub metrics: Metrics,
    /// Records kept per client (`inspector_max_per_client`).
    pub max_per_client: i64,
}

/// Writes batches until every sender is gone or `stop` turns true; then
/// takes no more records and writes what is queued, without pausing.
pub(super) async fn run(
    state: Writer,
    mut rx: mpsc::Receiver<Captured>,
    mut stop: watch::Receiver<bool>,
) {
    let max = state.max_per_client;
    let mut batch = Vec::with_capacity(BATCH);
    let mut stopping = false;
    // When the current `PACE` began, and the records taken since.
    let mut window = (tokio::time::Instant::now(), 0usize);
    // The writer paused for load: the batch after the pause may be a sample.
    let mut loaded = false;
    let full = rx.max_capacity().min(BATCH);
    loop {
        let received = if stopping {
            rx.recv_many(&mut batch, BATCH).await
        } else {
            tokio::select! {
                biased;
                _ = stop.wait_for(|s| *s) => {
                    stopping = true;
                    // Later pushes fail (and are counted as dropped); what
                    // is queued is still received below.
                    rx.close();
                    continue;
                }
                // recv_many is cancel-safe: nothing is lost if `stop` wins.
                n = rx.recv_many(&mut batch, BATCH) => n,
            }
        };
        if received == 0 {
            return; // every sender is gone, or closed and drained
        }
        let taken = batch.len();
        // The queue filled during the pause, so the door turns records
        // away: what is written is a sample anyway, so a small one. A burst
        // that fit in the queue is written whole.
        if loaded && !stopping && taken >= full && taken > LARGE_BATCH {
            for _ in batch.drain(..batch.len() - LARGE_BATCH) {
                state.metrics.inspector_dropped();
            }
        }
        loaded = false;
        let started = std::time::Instant::now();
        let records = prepare(&state, std::mem::take(&mut batch), max).await;
        let prepared = started.elapsed();
        let written = write(&state, &records, max).await;
        tracing::debug!(
            taken,
            written,
            prepare_ms = prepared.as_secs_f64() * 1e3,
            total_ms = started.elapsed().as_secs_f64() * 1e3,
            "inspector: batch written"
        );
        if window.0.elapsed() >= PACE {
            window = (started.into(), 0);
        }
        window.1 += taken;
        if window.1 >= LARGE_BATCH && !stopping {
            tokio::select! {
                _ = tokio::time::sleep_until(window.0 + PACE) => {}
                _ = stop.wait_for(|s| *s) => {}
            }
            window = (tokio::time::Instant::now(), 0);
            loaded = true;
        }
    }
}

/// Records written in one transaction. On SQLite a batch joins the hot
/// writes' group on the writer's thread, and each of those writes waits for
/// its commit: a whole paced batch (~500 records, ~210 WAL pages) held them
/// 5–6 ms once a second: most of the writer's slow commits under paced
/// redemptions (issue 16, docs/perf-notes.md). A chunk holds them ~0.3 ms
/// (no commits over 2 ms in most 5-s windows of the same load), and the
/// writes queued meanwhile go in the same group as the next one.
const WRITE_CHUNK: usize = 32;

/// Writes `records` a chunk at a time, each trimming its clients' rings;
/// returns how many were written. A chunk that cannot be written is
/// counted as dropped and loses only itself.
async fn write(state: &Writer, records: &[InspectorRecord], max: i64) -> usize {
    let mut written = 0;
    for chunk in records.chunks(WRITE_CHUNK) {
        match retried(|| state.store.insert_inspector_records(chunk, max)).await {
            Ok(()) => {
                written += chunk.len();
                state.metrics.inspector_recorded(chunk.len() as u64);
            }
            Err(e) => {
                tracing::warn!(error = %e, records = chunk.len(), "inspector: could not write records");
                for _ in chunk {
                    state.metrics.inspector_dropped();
                }
            }
        }
    }
    written
}

/// Attempts at a database call before its records count as dropped.
const ATTEMPTS: u32 = 4;

/// Runs `call` until it succeeds, up to `ATTEMPTS` times, 50 ms apart. At
/// shutdown the writer's last batches can meet PostgreSQL connections the
/// pool opened on a server worker's runtime, which is being torn down: their
/// use fails ("A Tokio 1.x context was found, but it is being shutdown") and
/// sqlx drops them, so the next attempt gets a live connection. Without this
/// the last records under load were lost or filed under no client.
async fn retried<T, F, Fut>(mut call: F) -> Result<T, crate::store::StoreError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, crate::store::StoreError>>,
{
    let mut attempt = 1;
    loop {
        match call().await {
            Ok(v) => return Ok(v),
            Err(e) if attempt >= ATTEMPTS => return Err(e),
            Err(e) => {
                tracing::debug!(error = %e, attempt, "inspector: database call failed; retrying");
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// Turns a batch into rows: at most `max` (the newest) per client.
async fn prepare(state: &Writer, batch: Vec<Captured>, max: i64) -> Vec<InspectorRecord> {
    let mut known: HashMap<String, bool> = HashMap::new();
    let mut with_client = Vec::with_capacity(batch.len());
    for c in batch {
        let client = client_of(state, &c, &mut known).await;
        with_client.push((client, c));
    }
    // Newest first, so the first `max` of each client are the ones kept.
    with_client.sort_by_key(|(_, c)| std::cmp::Reverse(c.seq));
    let mut per_client: HashMap<String, i64> = HashMap::new();
    let mut out = Vec::with_capacity(with_client.len());
    for (client, c) in with_client {
        let n = per_client.entry(client.clone()).or_insert(0);
        *n += 1;
        if *n > max {
            continue;
        }
        out.push(record(state, client, c).await);
    }
    out
}

/// The registered client a request belongs to, or `""`. An unregistered id
/// is never recorded as a client: anyone could invent ids without end.
async fn client_of(state: &Writer, c: &Captured, known: &mut HashMap<String, bool>) -> String {
    if let Some(id) = &c.note.client_id {
        return id.clone();
    }
    let Some(id) = presented_client(c) else {
        return String::new();
    };
    let registered = match known.get(&id) {
        Some(r) => *r,
        None => {
            let r = match ClientId::parse(&id) {
                Ok(cid) => retried(|| state.store.client(&cid))
                    .await
                    .ok()
                    .flatten()
                    .is_some(),
                Err(_) => false,
            };
            known.insert(id.clone(), r);
            r
        }
    };
    if registered {
        id
    } else {
        String::new()
    }
}

fn form<'a>(c: &'a Captured, name: &str) -> Option<&'a str> {
    c.note
        .form
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn header<'a>(c: &'a Captured, name: &str) -> Option<&'a str> {
    c.headers
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.as_str())
}

/// A parameter of a query string.
fn query_param(q: &str, name: &str) -> Option<String> {
    form_urlencoded::parse(q.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The authorization request a step is about: its own query at
/// `/authorize`, the one the login returns to, the one consent answers.
fn authorization_query(c: &Captured) -> Option<&str> {
    match c.kind {
        Kind::Authorize => Some(c.query.as_str()),
        Kind::Login => form(c, "return_to").and_then(|r| r.split_once('?').map(|(_, q)| q)),
        Kind::Consent => form(c, "authorization_request"),
        _ => None,
    }
}

/// The client id the request names (not yet checked).
fn presented_client(c: &Captured) -> Option<String> {
    match c.kind {
        Kind::Token | Kind::Revoke | Kind::Introspect => header(c, "authorization")
            .and_then(decode_basic)
            .map(|(id, _)| id)
            .or_else(|| form(c, "client_id").map(str::to_owned)),
        Kind::Authorize | Kind::Login | Kind::Consent => {
            authorization_query(c).and_then(|q| query_param(q, "client_id"))
        }
        Kind::Api | Kind::Proxy => None,
    }
}

fn flow_of(c: &Captured) -> Option<String> {
    c.note
        .flow
        .clone()
        .or_else(|| authorization_query(c).and_then(|q| query_param(q, super::FLOW_PARAM)))
        .filter(|f| super::valid_flow_id(f))
}

/// The grant (and its user) a token request presented a code or refresh
/// token of. Looked up here, off the request's path.
async fn grant_of(state: &Writer, c: &Captured) -> Option<(String, String)> {
    if c.kind != Kind::Token {
        return None;
    }
    let found = match form(c, "grant_type") {
        Some("authorization_code") => match form(c, "code") {
            Some(code) => state
                .store
                .code(&digest(code))
                .await
                .map(|r| r.map(|r| r.grant)),
            None => return None,
        },
        Some("refresh_token") => match form(c, "refresh_token") {
            Some(t) => state
                .store
                .refresh_token(&digest(t))
                .await
                .map(|r| r.map(|r| r.grant)),
            None => return None,
        },
        _ => return None,
    };
    match found {
        Ok(g) => g.map(|g| (g.id, g.user_id.to_string())),
        Err(e) => {
            tracing::debug!(error = %e, "inspector: grant lookup failed");
            None
        }
    }
}

async fn record(state: &Writer, client_id: String, c: Captured) -> InspectorRecord {
    let looked_up = match &c.note.grant {
        Some(_) => None,
        None => grant_of(state, &c).await,
    };
    let grant_id = c
        .note
        .grant
        .clone()
        .or_else(|| looked_up.as_ref().map(|(g, _)| g.clone()));
    let user_id = c.note.user.clone().or_else(|| looked_up.map(|(_, u)| u));
    let body = c
        .body
        .as_ref()
        .and_then(|b| serde_json::from_slice::<Value>(b).ok());
    let (error, request, response) = match &c.forwarded {
        Some(f) => (
            super::forwarded::error_of(f),
            super::forwarded::request_json(f),
            super::forwarded::response_json(f),
        ),
        None => (
            error_of(&c, body.as_ref()),
            request_json(&c),
            response_json(&c, body),
        ),
    };
    InspectorRecord {
        id: uuid::Uuid::new_v4().simple().to_string(),
        client_id,
        seq: c.seq,
        at_ms: c.at_ms,
        user_id,
        grant_id,
        flow_id: flow_of(&c),
        kind: c.kind.as_str().to_owned(),
        method: c.method.clone(),
        path: c.path.clone(),
        status: i64::from(c.status),
        latency_us: c.latency_us,
        outcome: c.note.outcome.map(str::to_owned),
        error,
        request: request.to_string(),
        response: response.to_string(),
    }
}

/// The error a step ended in, in full, or `None` if it succeeded.
fn error_of(c: &Captured, body: Option<&Value>) -> Option<String> {
    if let Some(e) = &c.note.error {
        return Some(e.clone());
    }
    if let Some(b) = body {
        match &b["error"] {
            // RFC 6749: {"error": "invalid_grant", "error_description": "..."}
            Value::String(code) => {
                return Some(match b["error_description"].as_str() {
                    Some(d) => format!("{code}: {d}"),
                    None => code.clone(),
                })
            }
            // Spotify: {"error": {"status": 401, "message": "...", "reason"?}}
            Value::Object(o) => {
                let message = o.get("message").and_then(Value::as_str).unwrap_or("");
                return Some(match o.get("reason").and_then(Value::as_str) {
                    Some(r) => format!("{message} ({r})"),
                    None => message.to_owned(),
                });
            }
            _ => {}
        }
    }
    let location = c
        .response_headers
        .iter()
        .find(|(n, _)| *n == "location")
        .map(|(_, v)| v.as_str());
    if let Some(q) = location.and_then(|l| l.split_once('?')).map(|(_, q)| q) {
        if let Some(e) = query_param(q, "error") {
            return Some(match query_param(q, "error_description") {
                Some(d) => format!("{e}: {d}"),
                None => e,
            });
        }
    }
    if let Some(p) = &c.page_error {
        return Some(p.clone());
    }
    (c.status >= 400).then(|| {
        let status = actix_web::http::StatusCode::from_u16(c.status).ok();
        let reason = status.and_then(|s| s.canonical_reason()).unwrap_or("error");
        format!("HTTP {}: {reason}", c.status)
    })
}

fn request_json(c: &Captured) -> Value {
    let mut out = Map::new();
    if !c.query.is_empty() {
        out.insert("query".into(), Value::Object(redact::query(&c.query)));
    }
    if !c.note.form.is_empty() {
        let form = redact::pairs(c.note.form.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        out.insert("form".into(), Value::Object(form));
    }
    let mut headers = Map::new();
    for (name, value) in &c.headers {
        let shown = if *name == "authorization" {
            if let Some((id, _)) = decode_basic(value) {
                // The client id is no secret, and the first thing to check.
                out.insert("basic_auth_client_id".into(), Value::String(id));
            }
            redact::authorization(value)
        } else {
            value.clone()
        };
        headers.insert((*name).to_owned(), Value::String(shown));
    }
    out.insert("headers".into(), Value::Object(headers));
    Value::Object(out)
}

fn response_json(c: &Captured, body: Option<Value>) -> Value {
    let mut headers = Map::new();
    for (name, value) in &c.response_headers {
        let shown = if *name == "location" {
            redact::path_and_query(value)
        } else {
            value.clone()
        };
        headers.insert((*name).to_owned(), Value::String(shown));
    }
    let mut out = json!({ "status": c.status, "headers": headers });
    if let Some(b) = body {
        out["body"] = redact::json(b);
    } else if let Some(p) = &c.page_error {
        out["page"] = Value::String(format!("error page: {p}"));
    } else if let Some(o) = c.note.outcome {
        if let Some(page) = page_name(o) {
            out["page"] = Value::String(page.into());
        }
    }
    out
}

/// The page an outcome showed, for the record's answer.
fn page_name(outcome: &str) -> Option<&'static str> {
    match outcome {
        "login_page" => Some("the login page"),
        "consent_page" => Some("the consent page"),
        "login_failed" | "login_locked" | "login_throttled" => {
            Some("the login page, with an error")
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests;
