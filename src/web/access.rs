//! Who may reach what: the one rule for the tester's toolbox (`/admin`,
//! `/admin/api`, the inspector) and the simulator's control surfaces
//! (`/alexa` pages, `/alexa/api`), and the `Host` allowlist of every route.
//!
//! **Hosts** (`gate`, on every request): the `Host` must name the public
//! URL's host, a loopback name (`127.0.0.1`, `localhost`, `[::1]`) or one of
//! `allowed_hosts`, with any port; anything else is 421 (a DNS-rebound page
//! names its own host). With `trust_forwarded_headers`, a forwarding chain
//! that cannot be read is 400 (see `web::client`).
//!
//! **Toolbox** (`Access::admit`):
//! - with `admin_password`: every caller presents it (HTTP Basic
//!   `admin:<password>` or `Bearer <password>`); wrong guesses are throttled
//!   per address like client secrets (`oauth::throttle`);
//! - without it, when the public URL is not on loopback: off (404), and the
//!   start-up banner says how to turn it on;
//! - without it otherwise: loopback only, which means the TCP peer is
//!   loopback **and** the `Host` is a loopback name **and** the request
//!   carries no forwarding header (`Forwarded`, `X-Forwarded-For`,
//!   `X-Forwarded-Host`, `X-Real-IP`): a tunnel agent or proxy on this
//!   machine connects from 127.0.0.1, but names the public host or adds
//!   those headers.
//!
//! **Origins** (`Access::origin_allowed`): the origins forms and JSON calls
//! may come from are the allowed hosts on this server's ports, never the
//! request's own `Host`.

use super::client::{client_ip, forwarded_chain};
use super::pages::error_page;
use crate::clock::Clock;
use crate::config::Settings;
use crate::domain::Secret;
use crate::oauth::throttle::Attempt;
use crate::store::{Store, StoreError};
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, HttpRequest, HttpResponse};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use subtle::ConstantTimeEq;

/// The host names a browser on this machine uses for it.
pub const LOOPBACK_NAMES: &[&str] = &["127.0.0.1", "localhost", "[::1]"];

/// Headers tunnels and reverse proxies add; a request carrying one did not
/// come straight from a browser on this machine.
pub const FORWARDING_HEADERS: &[&str] = &[
    "forwarded",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-real-ip",
];

/// The rule, built once from the settings.
#[derive(Clone)]
pub struct Access {
    /// Lowercase host names, IPv6 ones bracketed.
    hosts: Vec<String>,
    /// The ports this server is reached at (public URL's, listen port).
    ports: Vec<u16>,
    password: Option<Secret>,
    off: bool,
    trust_forwarded: bool,
    store: Store,
    clock: Clock,
}

/// Why a toolbox or simulator request was refused.
#[derive(Debug, thiserror::Error)]
pub enum Denied {
    #[error("the toolbox is off: the public URL is not on loopback and admin_password is unset; set MOCKLINK_ADMIN_PASSWORD to turn it on")]
    Off,
    #[error("the toolbox is reachable only from loopback (a browser or script on this machine, no proxy or tunnel in between) while admin_password is unset")]
    LoopbackOnly,
    #[error("admin password required: HTTP Basic admin:<password> or Bearer <password>")]
    PasswordRequired,
    #[error("wrong admin password")]
    WrongPassword,
    #[error("too many wrong admin passwords; try again in {0} s")]
    Throttled(i64),
    #[error("the database is unavailable; try again shortly")]
    Unavailable(#[from] StoreError),
}

impl Access {
    pub fn new(settings: &Settings, store: Store, clock: Clock) -> Self {
        let public = url::Url::parse(&settings.public_url()).ok();
        let public_host = public.as_ref().and_then(host_of_url);
        let mut hosts: Vec<String> = LOOPBACK_NAMES.iter().map(|h| (*h).to_owned()).collect();
        let simulator = settings
            .simulator_url
            .as_deref()
            .and_then(|u| url::Url::parse(u).ok());
        for h in [
            public_host.clone(),
            simulator.as_ref().and_then(host_of_url),
        ]
        .into_iter()
        .flatten()
        .chain(
            settings
                .allowed_hosts
                .iter()
                .map(|h| h.to_ascii_lowercase()),
        ) {
            if !hosts.contains(&h) {
                hosts.push(h);
            }
        }
        let mut ports = vec![settings.listen.port()];
        ports.extend(public.as_ref().and_then(url::Url::port_or_known_default));
        let public_is_loopback = public_host
            .as_deref()
            .is_some_and(|h| LOOPBACK_NAMES.contains(&h));
        Self {
            hosts,
            ports,
            password: settings.toolbox.admin_password.clone(),
            off: settings.toolbox.admin_password.is_none() && !public_is_loopback,
            trust_forwarded: settings.trust_forwarded_headers,
            store,
            clock,
        }
    }

    /// Whether the toolbox is off (no password, public URL not on loopback).
    pub fn is_off(&self) -> bool {
        self.off
    }

    pub fn has_password(&self) -> bool {
        self.password.is_some()
    }

    /// Whether `Host` (or HTTP/2's authority) names an allowed host.
    pub fn host_allowed(&self, req: &HttpRequest) -> bool {
        request_host(req).is_some_and(|h| self.hosts.contains(&h))
    }

    /// Whether an `Origin` (`scheme://host[:port]`) is one this server is
    /// reached at: an allowed host on one of its ports.
    pub fn origin_allowed(&self, origin: &str) -> bool {
        let Ok(url) = url::Url::parse(origin) else {
            return false;
        };
        if !matches!(url.scheme(), "http" | "https") || url.path() != "/" && !url.path().is_empty()
        {
            return false;
        }
        host_of_url(&url).is_some_and(|h| self.hosts.contains(&h))
            && url
                .port_or_known_default()
                .is_some_and(|p| self.ports.contains(&p))
    }

    /// Straight from a browser or script on this machine: loopback peer,
    /// loopback `Host`, no forwarding header.
    pub fn is_local(req: &HttpRequest) -> bool {
        req.peer_addr().is_some_and(|a| a.ip().is_loopback())
            && request_host(req).is_some_and(|h| LOOPBACK_NAMES.contains(&h.as_str()))
            && FORWARDING_HEADERS
                .iter()
                .all(|h| !req.headers().contains_key(*h))
    }

    /// Applies the rule of the module doc. `Ok(true)` when the caller
    /// presented the right password.
    pub async fn admit(&self, req: &HttpRequest) -> Result<bool, Denied> {
        let Some(password) = &self.password else {
            return if self.off {
                Err(Denied::Off)
            } else if Self::is_local(req) {
                Ok(false)
            } else {
                Err(Denied::LoopbackOnly)
            };
        };
        let presented = presented_password(req).ok_or(Denied::PasswordRequired)?;
        let attempt = Attempt::admin(client_ip(req, self.trust_forwarded));
        if let Some(wait) = attempt.blocked_for(&self.store, &self.clock).await? {
            return Err(Denied::Throttled(wait));
        }
        if bool::from(presented.as_bytes().ct_eq(password.expose().as_bytes())) {
            return Ok(true);
        }
        tracing::warn!(event = "admin_password_failed", "wrong admin password");
        match attempt.failed(&self.store, &self.clock).await? {
            Some(wait) => Err(Denied::Throttled(wait)),
            None => Err(Denied::WrongPassword),
        }
    }
}

/// The access rule of the app, registered by `startup`.
pub fn of(req: &HttpRequest) -> Option<&Access> {
    req.app_data::<web::Data<Access>>().map(|d| d.get_ref())
}

/// The password of `Authorization: Basic admin:<p>` or `Bearer <p>`.
fn presented_password(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = value.split_once(' ')?;
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        return Some(rest.to_owned());
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = String::from_utf8(STANDARD.decode(rest).ok()?).ok()?;
        let (user, password) = decoded.split_once(':')?;
        return (user == "admin").then(|| password.to_owned());
    }
    None
}

/// A URL's host as the allowlist spells it (lowercase, IPv6 bracketed).
fn host_of_url(url: &url::Url) -> Option<String> {
    Some(match url.host()? {
        url::Host::Ipv6(ip) => format!("[{ip}]"),
        h => h.to_string().to_ascii_lowercase(),
    })
}

/// The host the request names, port removed: the `Host` header (never
/// `X-Forwarded-Host`), or HTTP/2's `:authority`.
pub fn request_host(req: &HttpRequest) -> Option<String> {
    let raw = match req.headers().get(header::HOST) {
        Some(v) => v.to_str().ok()?.to_owned(),
        None => req.uri().authority()?.as_str().to_owned(),
    };
    let raw = raw.trim().to_ascii_lowercase();
    let host = if raw.starts_with('[') {
        let end = raw.find(']')?;
        let (host, rest) = raw.split_at(end + 1);
        if !(rest.is_empty() || rest.strip_prefix(':').is_some_and(is_port)) {
            return None;
        }
        host.to_owned()
    } else {
        match raw.split_once(':') {
            Some((host, port)) if is_port(port) => host.to_owned(),
            Some(_) => return None,
            None => raw,
        }
    };
    (!host.is_empty()).then_some(host)
}

fn is_port(p: &str) -> bool {
    !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit())
}

/// Whether the answer should be a page: the client asks for HTML.
pub fn wants_html(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"))
}

/// An error in the shape the client asked for: the readable page for a
/// browser, `{"error", "error_description"}` for everyone else.
fn refusal(
    req: &HttpRequest,
    status: StatusCode,
    code: &str,
    title: &str,
    message: &str,
) -> HttpResponse {
    if wants_html(req) {
        error_page(status, title, message)
    } else {
        HttpResponse::build(status)
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(serde_json::json!({"error": code, "error_description": message}))
    }
}

/// The `Host` allowlist and the forwarding-chain check, on every request.
pub async fn gate(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let Some(access) = req.app_data::<web::Data<Access>>().cloned() else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let refused = if !access.host_allowed(req.request()) {
        let host = request_host(req.request()).unwrap_or_else(|| "(none)".into());
        tracing::warn!(event = "host_refused", host = %host, "request for a host this server does not serve");
        Some(refusal(
            req.request(),
            StatusCode::MISDIRECTED_REQUEST,
            "misdirected_request",
            "Wrong host name",
            &format!(
                "This server does not answer to the host name '{host}'. Use its public URL, a loopback name (127.0.0.1, localhost, [::1]), or add the name to allowed_hosts (MOCKLINK_ALLOWED_HOSTS)."
            ),
        ))
    } else if access.trust_forwarded {
        forwarded_chain(req.request()).err().map(|e| {
            refusal(
                req.request(),
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "Bad request",
                &format!("{e}; the address of the client is unknown"),
            )
        })
    } else {
        None
    };
    match refused {
        Some(res) => Ok(req.into_response(res).map_into_right_body()),
        None => Ok(next.call(req).await?.map_into_left_body()),
    }
}

/// Whether cookies get `Secure`: the public URL is https, the connection is
/// TLS, or (behind a trusted proxy) the proxy says the browser used https.
pub fn https(req: &HttpRequest, settings: &Settings) -> bool {
    let forwarded_https = || {
        let proto = |name| {
            req.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.to_ascii_lowercase())
        };
        proto("x-forwarded-proto")
            .is_some_and(|p| p.split(',').next_back().map(str::trim) == Some("https"))
            || proto("forwarded").is_some_and(|f| {
                f.rsplit(',')
                    .next()
                    .is_some_and(|last| last.split(';').any(|kv| kv.trim() == "proto=https"))
            })
    };
    settings
        .public_url()
        .to_ascii_lowercase()
        .starts_with("https:")
        || req.app_config().secure()
        || settings.trust_forwarded_headers && forwarded_https()
}
