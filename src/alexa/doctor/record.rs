//! Requests the doctor sends, recorded as `Exchange`s with secrets cut to a
//! hint the way the simulator's flow log cuts them (`alexa::oauth`).

use crate::alexa::oauth::{hint, redact_form, redact_json, redact_url};
use crate::linkcheck::{Exchange, Lane, TOKEN_DEADLINE};
use std::time::{Duration, Instant};

/// Headers whose values are secrets: only a hint is shown.
fn redact_header(name: &str, value: &str) -> String {
    match name.to_ascii_lowercase().as_str() {
        "authorization" => match value.split_once(' ') {
            Some((scheme, cred)) => format!("{scheme} {}", hint(cred)),
            None => hint(value),
        },
        "cookie" | "set-cookie" => value
            .split(';')
            .map(|part| match part.split_once('=') {
                Some((k, v)) if !k.trim().eq_ignore_ascii_case("path") => {
                    format!("{k}={}", hint(v))
                }
                _ => part.to_owned(),
            })
            .collect::<Vec<_>>()
            .join(";"),
        _ => value.to_owned(),
    }
}

pub fn headers(map: &reqwest::header::HeaderMap) -> Vec<(String, String)> {
    map.iter()
        .map(|(k, v)| {
            let v = v.to_str().unwrap_or("<binary>");
            (k.as_str().to_owned(), redact_header(k.as_str(), v))
        })
        .collect()
}

/// What came back from one request, unredacted, for the rules.
#[derive(Debug, Clone, Default)]
pub struct Raw {
    pub status: Option<u16>,
    pub content_type: Option<String>,
    pub location: Option<String>,
    pub set_cookies: Vec<String>,
    pub body: Vec<u8>,
    pub elapsed: Duration,
    pub failure: Option<String>,
}

/// A request about to be sent, as the report shows it.
pub fn request_exchange(
    from: Lane,
    to: Lane,
    method: &str,
    url: &str,
    headers: Vec<(String, String)>,
    body: &str,
) -> Exchange {
    Exchange {
        from: Some(from),
        to: Some(to),
        method: method.to_owned(),
        url: redact_url(url),
        request_headers: headers,
        request_body: redact_form(body),
        ..Exchange::default()
    }
}

/// Sends `req`, giving up after `deadline`, and fills in the answer.
pub async fn send(
    http: &reqwest::Client,
    req: reqwest::Request,
    deadline: Duration,
    exchange: &mut Exchange,
) -> Raw {
    let started = Instant::now();
    let outcome = tokio::time::timeout(deadline, async {
        let res = http.execute(req).await?;
        let status = res.status().as_u16();
        let head = res.headers().clone();
        let body = res.bytes().await?;
        Ok::<_, reqwest::Error>((status, head, body))
    })
    .await;
    let elapsed = started.elapsed();
    exchange.elapsed_ms = elapsed.as_millis() as u64;
    match outcome {
        Ok(Ok((status, head, body))) => {
            exchange.status = Some(status);
            exchange.response_headers = headers(&head);
            exchange.response_body = redact_json(&body);
            let get = |name| {
                head.get(name)
                    .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
                    .map(str::to_owned)
            };
            Raw {
                status: Some(status),
                content_type: get(reqwest::header::CONTENT_TYPE),
                location: get(reqwest::header::LOCATION),
                set_cookies: head
                    .get_all(reqwest::header::SET_COOKIE)
                    .iter()
                    .filter_map(|v| v.to_str().ok().map(str::to_owned))
                    .collect(),
                body: body.to_vec(),
                elapsed,
                failure: None,
            }
        }
        Ok(Err(e)) => {
            let why = error_chain(&e);
            exchange.error = Some(why.clone());
            Raw {
                elapsed,
                failure: Some(why),
                ..Raw::default()
            }
        }
        Err(_) => {
            let why = format!(
                "timed out after {:.1} s with no answer",
                deadline.as_secs_f64()
            );
            exchange.error = Some(why.clone());
            Raw {
                elapsed: deadline.max(elapsed),
                failure: Some(why),
                ..Raw::default()
            }
        }
    }
}

/// reqwest's error with its causes ("error sending request: … : certificate …").
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// A token request from Alexa's `oauth2` client, sent and recorded; the
/// raw answer goes to `slot` for the rules, the `oauth2` answer back to the
/// client so it parses it exactly as Alexa does.
pub async fn token_call(
    http: &reqwest::Client,
    req: oauth2::HttpRequest,
    slot: &std::sync::Mutex<Option<(Exchange, Raw)>>,
) -> Result<oauth2::HttpResponse, oauth2::HttpClientError<reqwest::Error>> {
    let mut exchange = request_exchange(
        Lane::Alexa,
        Lane::Provider,
        req.method().as_str(),
        &req.uri().to_string(),
        headers(req.headers()),
        &String::from_utf8_lossy(req.body()),
    );
    let (parts, body) = req.into_parts();
    let mut builder = http.request(parts.method, parts.uri.to_string());
    for (k, v) in &parts.headers {
        builder = builder.header(k, v);
    }
    let sent = match builder.body(body).build() {
        Ok(r) => r,
        Err(e) => return Err(oauth2::HttpClientError::Reqwest(Box::new(e))),
    };
    let raw = send(http, sent, TOKEN_DEADLINE, &mut exchange).await;
    let answer = match raw.status {
        Some(status) => {
            let mut res = oauth2::http::Response::builder().status(status);
            if let Some(ct) = &raw.content_type {
                res = res.header(oauth2::http::header::CONTENT_TYPE, ct);
            }
            res.body(raw.body.clone())
                .map_err(oauth2::HttpClientError::Http)
        }
        None => Err(oauth2::HttpClientError::Other(
            raw.failure.clone().unwrap_or_default(),
        )),
    };
    if let Ok(mut s) = slot.lock() {
        *s = Some((exchange, raw));
    }
    answer
}
