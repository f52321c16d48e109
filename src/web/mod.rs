//! What every HTML and HTTP surface shares, owned by no role: rendered pages,
//! redirects and the error page (`pages`), the one CSRF and same-origin rule
//! for forms and JSON calls (`csrf`), who a request comes from (`client`),
//! who may reach the toolbox and which hosts are served (`access`), and the
//! security headers every answer carries.

pub mod access;
pub mod client;
pub mod csrf;
pub mod pages;

use actix_web::middleware::DefaultHeaders;

/// Headers on every answer: no framing, a strict CSP, no referrer, no sniffing.
pub fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add(("X-Frame-Options", "DENY"))
        .add((
            "Content-Security-Policy",
            "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'",
        ))
        .add(("Referrer-Policy", "no-referrer"))
        .add(("X-Content-Type-Options", "nosniff"))
}
