//! `GET /metrics` in Prometheus' text format: requests by route pattern and
//! status with latency histograms (recorded by `telemetry::log_request`),
//! token-endpoint outcomes by grant type and error code (recorded by
//! `provider::token`), and the flow inspector's written and dropped
//! records. Each app has its own registry, so several apps in one
//! process (tests) never mix their numbers. Label values come from fixed
//! sets (route patterns, not raw paths), so cardinality stays bounded.

use actix_web::{web, HttpResponse};
use prometheus::{
    HistogramOpts, HistogramVec, IntCounter, IntCounterVec, Opts, Registry, TextEncoder,
};

#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    tokens_issued: IntCounterVec,
    token_errors: IntCounterVec,
    inspector_recorded: IntCounter,
    inspector_dropped: IntCounter,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let registry =
            Registry::new_custom(Some("mocklink".into()), None).expect("a valid metrics prefix");
        let requests = IntCounterVec::new(
            Opts::new(
                "http_requests_total",
                "HTTP requests by route pattern and status",
            ),
            &["method", "route", "status"],
        )
        .expect("valid metric");
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "HTTP request latency by route pattern",
            )
            .buckets(vec![
                0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 4.5, 10.0,
            ]),
            &["method", "route"],
        )
        .expect("valid metric");
        let tokens_issued = IntCounterVec::new(
            Opts::new(
                "tokens_issued_total",
                "Token responses issued by grant type",
            ),
            &["grant_type"],
        )
        .expect("valid metric");
        let token_errors = IntCounterVec::new(
            Opts::new(
                "token_errors_total",
                "Token requests refused, by grant type and OAuth error code",
            ),
            &["grant_type", "error"],
        )
        .expect("valid metric");
        let inspector_recorded = IntCounter::new(
            "inspector_recorded_total",
            "Requests the flow inspector wrote to its rings",
        )
        .expect("valid metric");
        let inspector_dropped = IntCounter::new(
            "inspector_dropped_total",
            "Requests the flow inspector did not record: its queue was full or a write failed",
        )
        .expect("valid metric");
        for m in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(latency.clone()),
            Box::new(tokens_issued.clone()),
            Box::new(token_errors.clone()),
            Box::new(inspector_recorded.clone()),
            Box::new(inspector_dropped.clone()),
        ] {
            registry.register(m).expect("metric registered once");
        }
        Self {
            registry,
            requests,
            latency,
            tokens_issued,
            token_errors,
            inspector_recorded,
            inspector_dropped,
        }
    }

    /// The inspector wrote `n` records.
    pub fn inspector_recorded(&self, n: u64) {
        self.inspector_recorded.inc_by(n);
    }

    /// The inspector dropped a record.
    pub fn inspector_dropped(&self) {
        self.inspector_dropped.inc();
    }

    pub fn record_request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.requests
            .with_label_values(&[method, route, &status.to_string()])
            .inc();
        self.latency
            .with_label_values(&[method, route])
            .observe(seconds);
    }

    /// Records a token-endpoint outcome: `Ok(())` issued, `Err(code)` refused.
    pub fn record_token(&self, grant_type: &str, outcome: Result<(), &str>) {
        let grant = match grant_type {
            "authorization_code" | "refresh_token" | "client_credentials" => grant_type,
            _ => "other",
        };
        match outcome {
            Ok(()) => self.tokens_issued.with_label_values(&[grant]).inc(),
            Err(code) => self.token_errors.with_label_values(&[grant, code]).inc(),
        }
    }

    pub fn render(&self) -> String {
        TextEncoder::new()
            .encode_to_string(&self.registry.gather())
            .unwrap_or_else(|e| format!("# metrics could not be encoded: {e}\n"))
    }
}

/// `GET /metrics`
#[utoipa::path(get, path = "/metrics", tag = "ops",
    responses((status = 200, description = "Prometheus text exposition format", content_type = "text/plain")))]
pub async fn metrics(metrics: web::Data<Metrics>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body(metrics.render())
}
