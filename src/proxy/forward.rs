//! The two routes: forward a token request to the configured upstream and
//! pass its answer back untouched; send the browser to the configured
//! authorization URL. Both are recorded in the flow inspector.

use super::{ProxyError, ProxyState, MAX_ANSWER_BYTES, UPSTREAM_TIMEOUT};
use crate::inspector::Forwarded;
use crate::linkcheck::{check_token_answer, Grant, TokenAnswer};
use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};
use std::time::{Duration, Instant};

/// Hop-by-hop headers (RFC 9110 §7.6.1): they describe one connection and
/// are not forwarded. `Host` and `Content-Length` are set anew for the next
/// hop (the body is the same bytes).
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
];

type Headers = Vec<(String, Vec<u8>)>;

/// The headers of a message minus the hop-by-hop ones and those its
/// `Connection` header names.
pub(crate) fn end_to_end(headers: &[(String, Vec<u8>)]) -> Headers {
    let named: Vec<String> = headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("connection"))
        .flat_map(|(_, v)| {
            String::from_utf8_lossy(v)
                .split(',')
                .map(|t| t.trim().to_ascii_lowercase())
                .filter(|t| !t.is_empty())
                .collect::<Vec<_>>()
        })
        .collect();
    headers
        .iter()
        .filter(|(n, _)| {
            let n = n.to_ascii_lowercase();
            !HOP_BY_HOP.contains(&n.as_str()) && !named.contains(&n)
        })
        .cloned()
        .collect()
}

/// The configured URL with the request's query carried over. Nothing of
/// the request's path is appended: the target is the configured URL.
pub(crate) fn with_query(base: &str, query: &str) -> String {
    if query.is_empty() {
        base.to_owned()
    } else if base.contains('?') {
        format!("{base}&{query}")
    } else {
        format!("{base}?{query}")
    }
}

fn header_pairs(headers: &actix_web::http::header::HeaderMap) -> Headers {
    headers
        .iter()
        .map(|(n, v)| (n.as_str().to_owned(), v.as_bytes().to_vec()))
        .collect()
}

fn text_pairs(headers: &[(String, Vec<u8>)]) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(n, v)| (n.clone(), String::from_utf8_lossy(v).into_owned()))
        .collect()
}

/// What came back from the upstream.
struct Answer {
    status: u16,
    headers: Headers,
    body: Bytes,
}

/// An error and every cause under it: TLS and DNS failures say what went
/// wrong only in their sources.
fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return format!(
            "no answer within {} s (timeout)",
            UPSTREAM_TIMEOUT.as_secs()
        );
    }
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

async fn send(
    state: &ProxyState,
    target: &str,
    headers: &Headers,
    body: Bytes,
) -> Result<Answer, String> {
    let url = reqwest::Url::parse(target).map_err(|e| format!("invalid upstream URL: {e}"))?;
    let mut out = reqwest::header::HeaderMap::new();
    for (name, value) in end_to_end(headers) {
        // The names and values came in as valid header parts.
        if let (Ok(n), Ok(v)) = (
            reqwest::header::HeaderName::from_bytes(name.as_bytes()),
            reqwest::header::HeaderValue::from_bytes(&value),
        ) {
            out.append(n, v);
        }
    }
    let mut res = state
        .http
        .post(url)
        .headers(out)
        .body(body)
        .send()
        .await
        .map_err(|e| describe(&e))?;
    let status = res.status().as_u16();
    let headers = res
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().to_owned(), v.as_bytes().to_vec()))
        .collect();
    let mut body = Vec::new();
    while let Some(chunk) = res.chunk().await.map_err(|e| describe(&e))? {
        if body.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(format!(
                "the answer is larger than {} KiB",
                MAX_ANSWER_BYTES / 1024
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Answer {
        status,
        headers,
        body: body.into(),
    })
}

/// The grant a token request asks for, when it is one Alexa sends.
fn grant_of(body: &[u8]) -> Option<Grant> {
    form_urlencoded::parse(body)
        .find(|(k, _)| k == "grant_type")
        .and_then(|(_, v)| match v.as_ref() {
            "authorization_code" => Some(Grant::AuthorizationCode),
            "refresh_token" => Some(Grant::RefreshToken),
            _ => None,
        })
}

fn content_type(headers: &Headers) -> Option<String> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-type"))
        .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
}

/// Forwards a token request to the upstream's `token_url` and answers
/// with exactly what it answered; records both sides in the flow inspector.
#[utoipa::path(post, path = "/proxy/{name}/token", tag = "proxy",
    params(("name" = String, Path, description = "An upstream configured in `proxy_upstreams`")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded",
        description = "Forwarded untouched (Alexa's `grant_type=authorization_code|refresh_token` form), with the request's headers but the hop-by-hop ones (RFC 9110 §7.6.1) and `Host`"),
    responses(
        (status = 200, description = "The upstream's answer, untouched: its status, headers (but hop-by-hop ones) and body, whatever they are"),
        (status = 404, description = "`not_found`: no upstream of that name", body = crate::proxy::docs::ProxyErrorBody),
        (status = 405, description = "`method_not_allowed`", body = crate::proxy::docs::ProxyErrorBody),
        (status = 502, description = "`bad_gateway`: the upstream could not be reached, timed out (10 s), failed TLS or answered more than 1 MiB", body = crate::proxy::docs::ProxyErrorBody),
    ))]
pub async fn token(
    req: HttpRequest,
    name: web::Path<String>,
    body: Bytes,
    state: web::Data<ProxyState>,
) -> Result<HttpResponse, ProxyError> {
    let name = name.into_inner();
    let upstream = state
        .upstreams
        .get(&name)
        .ok_or_else(|| ProxyError::UnknownUpstream(name.clone()))?;
    let target = with_query(&upstream.token_url, req.query_string());
    let incoming = header_pairs(req.headers());
    let started = Instant::now();
    let result = send(&state, &target, &incoming, body.clone()).await;
    let elapsed = started.elapsed();
    let grant = grant_of(&body);
    let record = |status: u16, answer: Option<&Answer>, failure: Option<String>| {
        let findings = match grant {
            Some(grant) => check_token_answer(&TokenAnswer {
                grant,
                status: answer.map(|a| a.status),
                content_type: answer.and_then(|a| content_type(&a.headers)).as_deref(),
                body: answer.map_or(&[][..], |a| &a.body[..]),
                elapsed,
                failure: failure.as_deref(),
                default_expiration: None,
            }),
            None => Vec::new(),
        };
        Forwarded {
            upstream: name.clone(),
            target: target.clone(),
            method: req.method().to_string(),
            path: req.path().to_owned(),
            query: req.query_string().to_owned(),
            request_headers: text_pairs(&incoming),
            request_body: body.clone(),
            upstream_status: answer.map(|a| a.status),
            response_headers: answer.map(|a| text_pairs(&a.headers)).unwrap_or_default(),
            response_body: answer.map(|a| a.body.clone()).unwrap_or_default(),
            status,
            elapsed,
            failure,
            findings,
            outcome: if answer.is_some() {
                "forwarded"
            } else {
                "bad_gateway"
            },
        }
    };
    match result {
        Ok(answer) => {
            let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::BAD_GATEWAY);
            state
                .inspector
                .record_forwarded(record(status.as_u16(), Some(&answer), None));
            let mut res = HttpResponse::build(status);
            for (n, v) in end_to_end(&answer.headers) {
                if let (Ok(n), Ok(v)) = (
                    actix_web::http::header::HeaderName::from_bytes(n.as_bytes()),
                    actix_web::http::header::HeaderValue::from_bytes(&v),
                ) {
                    res.append_header((n, v));
                }
            }
            Ok(res.body(answer.body))
        }
        Err(why) => {
            tracing::warn!(event = "proxy_bad_gateway", upstream = %name, reason = %why, "the upstream gave no answer");
            let why = format!("the upstream '{name}' gave no answer: {why}");
            state
                .inspector
                .record_forwarded(record(502, None, Some(why.clone())));
            Err(ProxyError::BadGateway(why))
        }
    }
}

/// Sends the browser to the upstream's `authorization_url`, the query
/// carried over; recorded in the flow inspector.
#[utoipa::path(get, path = "/proxy/{name}/authorize", tag = "proxy",
    params(("name" = String, Path, description = "An upstream configured in `proxy_upstreams`")),
    responses(
        (status = 302, description = "To the upstream's `authorization_url` with this request's query string",
            headers(("Location" = String, description = "`authorization_url?<query>`"))),
        (status = 404, description = "`not_found`: no upstream of that name, or it has no `authorization_url`", body = crate::proxy::docs::ProxyErrorBody),
        (status = 405, description = "`method_not_allowed`", body = crate::proxy::docs::ProxyErrorBody),
    ))]
pub async fn authorize(
    req: HttpRequest,
    name: web::Path<String>,
    state: web::Data<ProxyState>,
) -> Result<HttpResponse, ProxyError> {
    let name = name.into_inner();
    let upstream = state
        .upstreams
        .get(&name)
        .ok_or_else(|| ProxyError::UnknownUpstream(name.clone()))?;
    let base = upstream
        .authorization_url
        .as_deref()
        .ok_or_else(|| ProxyError::NoAuthorizationUrl(name.clone()))?;
    let location = with_query(base, req.query_string());
    state.inspector.record_forwarded(Forwarded {
        upstream: name.clone(),
        target: location.clone(),
        method: req.method().to_string(),
        path: req.path().to_owned(),
        query: req.query_string().to_owned(),
        request_headers: text_pairs(&header_pairs(req.headers())),
        request_body: Bytes::new(),
        upstream_status: None,
        response_headers: vec![("location".into(), location.clone())],
        response_body: Bytes::new(),
        status: 302,
        elapsed: Duration::ZERO,
        failure: None,
        findings: Vec::new(),
        outcome: "redirected",
    });
    Ok(HttpResponse::Found()
        .insert_header((actix_web::http::header::LOCATION, location))
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> Headers {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.as_bytes().to_vec()))
            .collect()
    }

    #[test]
    fn hop_by_hop_headers_and_those_connection_names_are_dropped() {
        let kept = end_to_end(&h(&[
            ("host", "mocklink.example"),
            ("connection", "keep-alive, X-Secret-Hop"),
            ("keep-alive", "timeout=5"),
            ("x-secret-hop", "1"),
            ("te", "trailers"),
            ("transfer-encoding", "chunked"),
            ("upgrade", "h2c"),
            ("proxy-connection", "keep-alive"),
            ("trailer", "x"),
            ("content-length", "12"),
            ("authorization", "Basic abc"),
            ("content-type", "application/x-www-form-urlencoded"),
            ("x-forwarded-host", "evil.example"),
        ]));
        let names: Vec<&str> = kept.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["authorization", "content-type", "x-forwarded-host"]);
    }

    #[test]
    fn the_query_is_carried_and_nothing_else() {
        assert_eq!(
            with_query("https://id.example/t", ""),
            "https://id.example/t"
        );
        assert_eq!(
            with_query("https://id.example/t", "a=1"),
            "https://id.example/t?a=1"
        );
        assert_eq!(
            with_query("https://id.example/t?x=y", "a=1"),
            "https://id.example/t?x=y&a=1"
        );
    }

    #[test]
    fn grants_are_read_from_the_form() {
        assert_eq!(
            grant_of(b"grant_type=refresh_token&refresh_token=x"),
            Some(Grant::RefreshToken)
        );
        assert_eq!(grant_of(b"grant_type=client_credentials"), None);
        assert_eq!(grant_of(b""), None);
    }
}
