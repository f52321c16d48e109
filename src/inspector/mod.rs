//! The flow inspector: every authorize, login, consent, token, revoke,
//! introspect and `/v1` call is recorded, redacted, per client, so "why did
//! linking fail?" is answered by the exact request and the exact answer.
//!
//! - `capture`: a middleware that copies what a request and its answer
//!   showed (the answer body is shared, not copied) and pushes it on a
//!   bounded channel. It never waits and never writes: when the channel is
//!   full the record is dropped and counted (`mocklink_inspector_dropped_total`).
//! - Handlers add what only they know through [`note`]: the verified client,
//!   the user, the grant, the parsed form, what they did (`outcome`).
//! - `writer`: a background task that redacts, joins each record to its
//!   grant, and inserts batches a few dozen records per transaction (so
//!   the hot writes never wait long behind one), trimming each client's
//!   ring to `inspector_max_per_client`. At shutdown, [`Inspector::close`]
//!   has it write what is still queued before the process exits.
//! - `story`: the read side, grouping records by grant into a timeline.
//!
//! The grouping key is the grant id. Steps before the code exists (the first
//! `/authorize`, the login, the consent) carry a flow id instead: generated
//! at the first `/authorize`, carried in the authorization request's query
//! (`mocklink_flow`, ignored by validation) through the login's `return_to`
//! and the consent form, and recorded together with the grant id on the
//! step that issues the code, which ties the two together.

mod capture;
mod forwarded;
pub mod redact;
pub mod story;
mod writer;

pub use capture::capture;
pub use forwarded::{client_label, Forwarded};

use crate::clock::Clock;
use crate::metrics::Metrics;
use crate::store::Store;
use actix_web::{HttpMessage, HttpRequest};
use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

/// Records waiting for the writer; beyond this they are dropped and counted.
pub const QUEUE_CAPACITY: usize = 1024;
/// The query parameter carrying the flow id through login and consent.
pub const FLOW_PARAM: &str = "mocklink_flow";

/// What kind of step a record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Authorize,
    Login,
    Consent,
    Token,
    Revoke,
    Introspect,
    Api,
    /// An exchange the recording proxy forwarded (recorded by the proxy).
    Proxy,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Authorize => "authorize",
            Self::Login => "login",
            Self::Consent => "consent",
            Self::Token => "token",
            Self::Revoke => "revoke",
            Self::Introspect => "introspect",
            Self::Api => "api",
            Self::Proxy => "proxy",
        }
    }

    /// The kind of a request to record, or `None` for one that is not.
    pub fn of(method: &actix_web::http::Method, path: &str) -> Option<Self> {
        let post = method == actix_web::http::Method::POST;
        match path {
            "/authorize" => Some(Self::Authorize),
            "/login" if post => Some(Self::Login),
            "/consent" if post => Some(Self::Consent),
            "/api/token" => Some(Self::Token),
            "/api/revoke" => Some(Self::Revoke),
            "/api/introspect" => Some(Self::Introspect),
            p if p == "/v1" || p.starts_with("/v1/") => Some(Self::Api),
            _ => None,
        }
    }
}

/// What a handler knows that the request itself does not show. Present in
/// a request's extensions only while the inspector records that request.
#[derive(Default, Clone)]
pub struct Note {
    /// The client, once the handler has verified it.
    pub client_id: Option<String>,
    pub user: Option<String>,
    pub grant: Option<String>,
    pub flow: Option<String>,
    /// What the handler did: `login_page`, `consent_page`, `code`, ...
    pub outcome: Option<&'static str>,
    /// A failure the status does not show (a login page with an error).
    pub error: Option<String>,
    /// The form as parsed, unredacted: the writer redacts it.
    pub form: Vec<(String, String)>,
}

impl fmt::Debug for Note {
    // The form holds passwords and secrets: only its field names are shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Note")
            .field("client_id", &self.client_id)
            .field("user", &self.user)
            .field("grant", &self.grant)
            .field("outcome", &self.outcome)
            .field(
                "form",
                &self.form.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// Adds to the request's record, if the inspector records this request
/// (otherwise `f` does not run, so a handler's extra work costs nothing).
pub fn note(req: &HttpRequest, f: impl FnOnce(&mut Note)) {
    if let Some(n) = req.extensions_mut().get_mut::<Note>() {
        f(n)
    }
}

/// True while the inspector records this request.
pub fn is_recording(req: &HttpRequest) -> bool {
    req.extensions().contains::<Note>()
}

/// A new flow id: 32 lowercase hex digits.
pub fn new_flow_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Flow ids come back from the browser: only our own shape is accepted.
pub fn valid_flow_id(s: &str) -> bool {
    s.len() == 32
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// What the middleware saw of one request and its answer. Holds secrets
/// until the writer redacts it, so its `Debug` shows none.
pub(crate) struct Captured {
    pub seq: i64,
    pub at_ms: i64,
    pub kind: Kind,
    pub method: String,
    pub path: String,
    pub query: String,
    /// Allow-listed request headers, unredacted.
    pub headers: Vec<(&'static str, String)>,
    pub status: u16,
    pub latency_us: i64,
    /// Allow-listed response headers (`location`, `www-authenticate`, ...).
    pub response_headers: Vec<(&'static str, String)>,
    /// A JSON answer body (shared with the response, not copied).
    pub body: Option<actix_web::web::Bytes>,
    /// The message of an HTML error page.
    pub page_error: Option<String>,
    pub note: Note,
    /// The whole exchange, for one the proxy forwarded.
    pub forwarded: Option<Box<Forwarded>>,
}

impl fmt::Debug for Captured {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Captured")
            .field("kind", &self.kind)
            .field("method", &self.method)
            .field("path", &self.path)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

/// The recording side: a bounded queue to the writer. Cheap to clone.
#[derive(Clone, Default)]
pub struct Inspector {
    inner: Option<Arc<Inner>>,
}

struct Inner {
    tx: mpsc::Sender<Captured>,
    /// Records are stamped with the app's (virtual) time.
    clock: Clock,
    /// Counts recorded and dropped records.
    metrics: Metrics,
    /// Taken once by `spawn_writer`.
    rx: Mutex<Option<mpsc::Receiver<Captured>>>,
    /// The last sequence number handed out.
    seq: AtomicI64,
    /// Set by `close`: the writer writes what is queued, then stops.
    stop: tokio::sync::watch::Sender<bool>,
    /// The running writer, awaited by `close`.
    writer: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl Inspector {
    /// An inspector that records (with a queue of `capacity`), or one that does not.
    pub fn new(enabled: bool, capacity: usize, clock: Clock, metrics: Metrics) -> Self {
        if !enabled {
            return Self { inner: None };
        }
        let (tx, rx) = mpsc::channel(capacity.max(1));
        Self {
            inner: Some(Arc::new(Inner {
                tx,
                clock,
                metrics,
                rx: Mutex::new(Some(rx)),
                seq: AtomicI64::new(0),
                stop: tokio::sync::watch::Sender::new(false),
                writer: Mutex::new(None),
            })),
        }
    }

    pub fn is_enabled(&self) -> bool {
        self.inner.is_some()
    }

    /// False when the queue is full: the request is then not even copied.
    pub(crate) fn has_room(&self) -> bool {
        self.inner.as_ref().is_some_and(|i| i.tx.capacity() > 0)
    }

    /// Real-time microseconds, strictly increasing on this instance, so
    /// records sort in the order they were made even within a microsecond.
    pub(crate) fn next_seq(&self) -> i64 {
        let Some(inner) = &self.inner else { return 0 };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_micros() as i64)
            .unwrap_or(0);
        let mut last = inner.seq.load(Ordering::Relaxed);
        loop {
            let next = now.max(last + 1);
            match inner
                .seq
                .compare_exchange_weak(last, next, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => return next,
                Err(seen) => last = seen,
            }
        }
    }

    /// Queues a record without waiting; false if it was dropped (queue full,
    /// writer gone, or inspector off).
    pub(crate) fn push(&self, record: Captured) -> bool {
        self.inner
            .as_ref()
            .is_some_and(|i| i.tx.try_send(record).is_ok())
    }

    /// Starts the background writer (once; later calls do nothing), keeping
    /// at most `max_per_client` records per client.
    pub fn spawn_writer(&self, store: Store, max_per_client: i64) {
        let Some(inner) = &self.inner else { return };
        let Some(rx) = inner.rx.lock().expect("inspector lock poisoned").take() else {
            return;
        };
        let writer = writer::Writer {
            store,
            metrics: inner.metrics.clone(),
            max_per_client,
        };
        let task = tokio::spawn(writer::run(writer, rx, inner.stop.subscribe()));
        *inner.writer.lock().expect("inspector lock poisoned") = Some(task);
    }

    /// At shutdown, once the server has answered its last request: stops
    /// taking records, writes every queued one (without the pause the
    /// writer keeps under load), and returns when they are in the database
    /// or after `timeout`. True if everything queued was written.
    pub async fn close(&self, timeout: std::time::Duration) -> bool {
        let Some(inner) = &self.inner else {
            return true;
        };
        inner.stop.send_replace(true);
        let task = inner.writer.lock().expect("inspector lock poisoned").take();
        let Some(task) = task else { return true };
        match tokio::time::timeout(timeout, task).await {
            Ok(Ok(())) => true,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "inspector: the writer failed");
                false
            }
            Err(_) => {
                tracing::warn!(
                    "inspector: queued records not all written within {} s",
                    timeout.as_secs()
                );
                false
            }
        }
    }

    /// Counts a record dropped before it reached the queue.
    fn dropped(&self) {
        if let Some(inner) = &self.inner {
            inner.metrics.inspector_dropped();
        }
    }

    /// The app's time in milliseconds.
    fn now_ms(&self) -> i64 {
        self.inner.as_ref().map_or(0, |i| i.clock.now_ms())
    }
}

#[cfg(test)]
mod tests;
