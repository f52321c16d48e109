//! The recording middleware. On a recorded route it copies the request's
//! head, lets handlers add a `Note`, and after the answer copies its status,
//! a few headers and (for JSON answers) a shared handle on the body. All
//! parsing, redaction and writing happen later, in the writer.

use super::{Captured, Inspector, Kind, Note};
use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage};
use std::time::Instant;

/// Request headers worth showing (the writer redacts `authorization`;
/// cookies are never copied: they carry session ids).
const REQUEST_HEADERS: &[&str] = &[
    "authorization",
    "content-type",
    "accept",
    "user-agent",
    "origin",
];
/// Answer headers worth showing (the writer redacts a code in `location`).
const RESPONSE_HEADERS: &[&str] = &[
    "location",
    "content-type",
    "www-authenticate",
    "retry-after",
    "cache-control",
];
/// JSON answers up to this size are kept; larger ones are noted by size.
const MAX_BODY: u64 = 16 * 1024;

pub async fn capture(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let recorded = Kind::of(req.method(), req.path()).and_then(|kind| {
        let inspector = req.app_data::<web::Data<Inspector>>()?;
        inspector.is_enabled().then(|| (kind, inspector.clone()))
    });
    let Some((kind, inspector)) = recorded else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    if !inspector.has_room() {
        // Full: drop before copying anything, so overload costs nothing more.
        inspector.dropped();
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let started = Instant::now();
    let at_ms = inspector.now_ms();
    let method = req.method().to_string();
    let path = req.path().to_owned();
    let query = req.query_string().to_owned();
    let headers = copy_headers(req.headers(), REQUEST_HEADERS);
    req.extensions_mut().insert(Note::default());

    let res = next.call(req).await?;

    let latency_us = started.elapsed().as_micros().min(i64::MAX as u128) as i64;
    let note = res
        .request()
        .extensions_mut()
        .remove::<Note>()
        .unwrap_or_default();
    let status = res.status().as_u16();
    let response_headers = copy_headers(res.headers(), RESPONSE_HEADERS);
    let content_type = response_headers
        .iter()
        .find(|(n, _)| *n == "content-type")
        .map(|(_, v)| v.as_str());
    let is_json = content_type.is_some_and(|c| c.starts_with("application/json"));
    // An HTML error page: its message is the error's text (pages never
    // show internal details; see `PageError`).
    let page_error = match (res.response().error(), content_type) {
        (Some(e), Some(c)) if c.starts_with("text/html") => Some(e.to_string()),
        _ => None,
    };
    let res = res.map_into_boxed_body();
    let (res, body) = match res.response().body().size() {
        BodySize::Sized(n) if is_json && n <= MAX_BODY => share_body(res),
        _ => (res, None),
    };
    let record = Captured {
        seq: inspector.next_seq(),
        at_ms,
        kind,
        method,
        path,
        query,
        headers,
        status,
        latency_us,
        response_headers,
        body,
        page_error,
        note,
        forwarded: None,
    };
    if !inspector.push(record) {
        inspector.dropped();
    }
    Ok(res)
}

fn copy_headers(
    headers: &actix_web::http::header::HeaderMap,
    names: &[&'static str],
) -> Vec<(&'static str, String)> {
    names
        .iter()
        .filter_map(|name| {
            headers
                .get(*name)
                .map(|v| (*name, String::from_utf8_lossy(v.as_bytes()).into_owned()))
        })
        .collect()
}

/// Takes the answer's body bytes (a reference-counted handle, no copy) and
/// puts the same bytes back into the answer.
fn share_body(
    res: ServiceResponse<BoxBody>,
) -> (ServiceResponse<BoxBody>, Option<actix_web::web::Bytes>) {
    let (req, response) = res.into_parts();
    let (response, body) = response.into_parts();
    match body.try_into_bytes() {
        Ok(bytes) => {
            let kept = bytes.clone();
            let response = response.set_body(BoxBody::new(bytes));
            (ServiceResponse::new(req, response), Some(kept))
        }
        Err(body) => (ServiceResponse::new(req, response.set_body(body)), None),
    }
}
