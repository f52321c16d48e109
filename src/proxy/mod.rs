//! The recording proxy: Amazon's advice for an unexplained "We were unable
//! to link … at this time" is to put a proxy in front of the token endpoint
//! and read the JSON Alexa sends and receives. Paste
//! `{public_url}/proxy/{name}/token` into the console's Access Token URI
//! (and, optionally, `{public_url}/proxy/{name}/authorize` into the Web
//! Authorization URI); mocklink forwards to the configured upstream
//! (`proxy_upstreams`), answers with exactly what it answered, and records
//! both sides, redacted, with the time and Alexa's rules' findings, in the
//! flow inspector.
//!
//! The target is only ever the configured URL of a configured name: no
//! path, header or request target chooses it.

pub mod docs;
pub mod forward;

use crate::config::{ProxyUpstream, Settings};
use crate::inspector::Inspector;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse, ResponseError};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// How long the proxy waits for an upstream: longer than Alexa's 4.5 s, so
/// a slow answer is still seen, timed and judged.
pub const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(10);
/// Upstream answers larger than this are refused (502).
pub const MAX_ANSWER_BYTES: usize = 1024 * 1024;

/// What the proxy uses: its upstreams, one HTTP client, the inspector.
#[derive(Clone)]
pub struct ProxyState {
    pub upstreams: Arc<BTreeMap<String, ProxyUpstream>>,
    /// One client for every upstream: connections are reused, redirects
    /// are not followed (they are the upstream's answer), a timeout bounds
    /// every call.
    pub http: reqwest::Client,
    pub inspector: Inspector,
}

impl ProxyState {
    pub fn new(settings: &Settings, inspector: Inspector) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(UPSTREAM_TIMEOUT)
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            upstreams: Arc::new(settings.proxy_upstreams.clone()),
            http,
            inspector,
        })
    }
}

/// The proxy's own answers (an upstream's answer, errors included, is
/// passed through untouched and is not one of these).
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    #[error("no upstream is configured under the name '{0}' (see proxy_upstreams)")]
    UnknownUpstream(String),
    #[error("the upstream '{0}' has no authorization_url configured")]
    NoAuthorizationUrl(String),
    #[error("{0}")]
    BadGateway(String),
    #[error("this method is not allowed here")]
    MethodNotAllowed(&'static str),
}

impl ProxyError {
    fn code(&self) -> &'static str {
        match self {
            Self::UnknownUpstream(_) | Self::NoAuthorizationUrl(_) => "not_found",
            Self::BadGateway(_) => "bad_gateway",
            Self::MethodNotAllowed(_) => "method_not_allowed",
        }
    }
}

impl ResponseError for ProxyError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::UnknownUpstream(_) | Self::NoAuthorizationUrl(_) => StatusCode::NOT_FOUND,
            Self::BadGateway(_) => StatusCode::BAD_GATEWAY,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status_code());
        res.insert_header((header::CACHE_CONTROL, "no-store"));
        if let Self::MethodNotAllowed(allow) = self {
            res.insert_header((header::ALLOW, *allow));
        }
        res.json(docs::ProxyErrorBody {
            error: self.code().into(),
            error_description: self.to_string(),
        })
    }
}

/// Registers `/proxy/{name}/token` and `/proxy/{name}/authorize`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/proxy/{name}/token")
            // Alexa's token requests are small forms, forwarded as bytes.
            .app_data(web::PayloadConfig::new(64 * 1024))
            .route(web::post().to(forward::token))
            .route(
                web::route()
                    .to(|| async { Err::<HttpResponse, _>(ProxyError::MethodNotAllowed("POST")) }),
            ),
    )
    .service(
        web::resource("/proxy/{name}/authorize")
            .route(web::get().to(forward::authorize))
            .route(
                web::route()
                    .to(|| async { Err::<HttpResponse, _>(ProxyError::MethodNotAllowed("GET")) }),
            ),
    );
}
