//! Logging: one line per request (method, path without the query string,
//! status, latency, request id) so codes and tokens in URLs never reach logs;
//! the same middleware feeds the request metrics (`crate::metrics`).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use std::time::Instant;
use tracing::Instrument;
use tracing_subscriber::EnvFilter;

/// What is logged when neither `MOCKLINK_LOG` nor `RUST_LOG` says.
pub const DEFAULT_LOG_FILTER: &str = "info,sqlx=warn,actix_server=warn";

/// Installs the global subscriber (text or JSON lines). Idempotent. The
/// filter is `MOCKLINK_LOG`, else `RUST_LOG` (the convention every Rust
/// service follows), else [`DEFAULT_LOG_FILTER`]; an unset or empty variable
/// falls through to the next.
pub fn init(json: bool) {
    let filter = ["MOCKLINK_LOG", "RUST_LOG"]
        .iter()
        .filter_map(|name| std::env::var(name).ok())
        .find(|v| !v.trim().is_empty())
        .map_or_else(|| EnvFilter::new(DEFAULT_LOG_FILTER), EnvFilter::new);
    // Colours only on a terminal: escape codes are noise in a log file, and
    // writing them took a fifth of the instructions of a `/healthz` request
    // (issue 8, docs/perf-notes.md).
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()));
    let _ = if json {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.try_init()
    };
}

pub async fn log_request(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let request_id = uuid::Uuid::new_v4().simple().to_string();
    let span = tracing::info_span!("request", id = %&request_id[..12]);
    let method = req.method().clone();
    let path = req.path().to_owned();
    let res = next.call(req).instrument(span.clone()).await?;
    let status = res.status().as_u16();
    let elapsed = started.elapsed().as_secs_f64();
    if let Some(metrics) = res
        .request()
        .app_data::<actix_web::web::Data<crate::metrics::Metrics>>()
    {
        // The route pattern (e.g. /v1/playlists/{id}), never the raw path.
        let route = res.request().match_pattern();
        metrics.record_request(
            method.as_str(),
            route.as_deref().unwrap_or("unmatched"),
            status,
            elapsed,
        );
    }
    let _enter = span.enter();
    tracing::info!(
        method = %method,
        path = %path,
        status,
        ms = elapsed * 1000.0,
        "request"
    );
    Ok(res)
}
