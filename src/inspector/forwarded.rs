//! Exchanges the recording proxy forwarded: the request Alexa sent, the
//! answer the provider gave (or why none came), the time it took and the
//! account-linking rules' findings on it. The proxy hands them over whole
//! (the capture middleware keeps only a few headers and JSON answers); the
//! writer redacts them here, with the same rules as every other record.

use super::{redact, Captured, Inspector, Kind, Note};
use crate::linkcheck::{Finding, Verdict};
use crate::oauth::basic::decode_basic;
use actix_web::web::Bytes;
use serde_json::{json, Map, Value};
use std::time::Duration;

/// What the record's `client_id` is for an upstream: `proxy:<name>` (a
/// registered client id never has a colon, so the two cannot clash).
pub fn client_label(upstream: &str) -> String {
    format!("proxy:{upstream}")
}

/// One forwarded exchange, unredacted: it holds secrets until the writer
/// redacts it, so its `Debug` shows none.
pub struct Forwarded {
    /// The upstream's configured name.
    pub upstream: String,
    /// Where the request went (the configured URL), or where the browser was sent.
    pub target: String,
    pub method: String,
    /// The path asked of mocklink (`/proxy/<name>/token`).
    pub path: String,
    pub query: String,
    /// Every request header as received.
    pub request_headers: Vec<(String, String)>,
    pub request_body: Bytes,
    /// The upstream's status, `None` when no answer came.
    pub upstream_status: Option<u16>,
    pub response_headers: Vec<(String, String)>,
    pub response_body: Bytes,
    /// What mocklink answered (the upstream's status, or 502).
    pub status: u16,
    pub elapsed: Duration,
    /// Why no answer came.
    pub failure: Option<String>,
    /// What Alexa's rules say about the answer.
    pub findings: Vec<Finding>,
    /// `forwarded`, `redirected`, `bad_gateway`.
    pub outcome: &'static str,
}

impl std::fmt::Debug for Forwarded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Forwarded")
            .field("upstream", &self.upstream)
            .field("path", &self.path)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

impl Inspector {
    /// Queues a forwarded exchange without waiting; false if it was dropped.
    pub fn record_forwarded(&self, f: Forwarded) -> bool {
        if !self.is_enabled() {
            return false;
        }
        if !self.has_room() {
            self.dropped();
            return false;
        }
        let elapsed = f.elapsed;
        let record = Captured {
            seq: self.next_seq(),
            at_ms: self.now_ms() - elapsed.as_millis().min(i64::MAX as u128) as i64,
            kind: Kind::Proxy,
            method: f.method.clone(),
            path: f.path.clone(),
            query: f.query.clone(),
            headers: Vec::new(),
            status: f.status,
            latency_us: elapsed.as_micros().min(i64::MAX as u128) as i64,
            response_headers: Vec::new(),
            body: None,
            page_error: None,
            note: Note {
                client_id: Some(client_label(&f.upstream)),
                outcome: Some(f.outcome),
                ..Note::default()
            },
            forwarded: Some(Box::new(f)),
        };
        let pushed = self.push(record);
        if !pushed {
            self.dropped();
        }
        pushed
    }
}

fn media_type(headers: &[(String, String)]) -> String {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-type"))
        .map(|(_, v)| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default()
}

/// A header's value as it may be kept.
fn header_value(name: &str, value: &str) -> String {
    let lower = name.to_ascii_lowercase();
    match lower.as_str() {
        "authorization" | "proxy-authorization" => redact::authorization(value),
        "cookie" | "set-cookie" => redact::REMOVED.into(),
        "location" | "content-location" => redact::path_and_query(value),
        n if n.contains("secret") || n.contains("token") || n.contains("key") => {
            redact::hint(value)
        }
        _ => value.to_owned(),
    }
}

fn headers_json(headers: &[(String, String)]) -> Map<String, Value> {
    let mut out = Map::new();
    for (name, value) in headers {
        let shown = Value::String(header_value(name, value));
        match out.get_mut(name) {
            Some(Value::Array(list)) => list.push(shown),
            Some(first) => {
                let first = first.take();
                out.insert(name.clone(), Value::Array(vec![first, shown]));
            }
            None => {
                out.insert(name.clone(), shown);
            }
        }
    }
    out
}

/// Looks like `a=b&c=d` (a form, or a form-encoded token answer).
fn looks_like_form(text: &str) -> bool {
    !text.is_empty() && text.contains('=') && !text.chars().any(char::is_whitespace)
}

/// A body as it may be kept: a form or JSON redacted; other text cut short
/// (and still redacted if it reads as a form); binary only by its size.
fn body_json(media: &str, body: &[u8]) -> Option<(&'static str, Value)> {
    if body.is_empty() {
        return None;
    }
    if let Ok(v) = serde_json::from_slice::<Value>(body) {
        return Some(("body", redact::json(v)));
    }
    let Ok(text) = std::str::from_utf8(body) else {
        return Some(("body", json!(format!("({} bytes, not text)", body.len()))));
    };
    let text = text.trim();
    if media == "application/x-www-form-urlencoded" || looks_like_form(text) {
        return Some(("form", Value::Object(redact::query(text))));
    }
    let mut cut: String = text.chars().take(1024).collect();
    if cut.len() < text.len() {
        cut.push('…');
    }
    Some(("body", Value::String(cut)))
}

/// The request, redacted: what Alexa sent and where it went.
pub(super) fn request_json(f: &Forwarded) -> Value {
    let mut out = Map::new();
    out.insert(
        "forwarded_to".into(),
        Value::String(redact::path_and_query(&f.target)),
    );
    if !f.query.is_empty() {
        out.insert("query".into(), Value::Object(redact::query(&f.query)));
    }
    if let Some((_, auth)) = f
        .request_headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("authorization"))
    {
        if let Some((id, _)) = decode_basic(auth) {
            out.insert("basic_auth_client_id".into(), Value::String(id));
        }
    }
    out.insert(
        "headers".into(),
        Value::Object(headers_json(&f.request_headers)),
    );
    if let Some((key, body)) = body_json(&media_type(&f.request_headers), &f.request_body) {
        out.insert(key.into(), body);
    }
    Value::Object(out)
}

/// The answer, redacted, with the findings.
pub(super) fn response_json(f: &Forwarded) -> Value {
    let mut out = json!({
        "status": f.status,
        "upstream_status": f.upstream_status,
        "headers": headers_json(&f.response_headers),
    });
    if let Some((key, body)) = body_json(&media_type(&f.response_headers), &f.response_body) {
        out[key] = body;
    }
    if let Some(why) = &f.failure {
        out["failure"] = Value::String(why.clone());
    }
    if !f.findings.is_empty() {
        out["findings"] = serde_json::to_value(&f.findings).unwrap_or(Value::Null);
    }
    out
}

/// The error the exchange ended in, or `None`: no answer, an error answer,
/// or an answer Alexa's rules fail.
pub(super) fn error_of(f: &Forwarded) -> Option<String> {
    if let Some(why) = &f.failure {
        return Some(format!("bad_gateway: {why}"));
    }
    if let Ok(body) = serde_json::from_slice::<Value>(&f.response_body) {
        if let Some(code) = body["error"].as_str() {
            return Some(match body["error_description"].as_str() {
                Some(d) => format!("{code}: {d}"),
                None => code.to_owned(),
            });
        }
    }
    if f.status >= 400 {
        return Some(format!("HTTP {}", f.status));
    }
    f.findings
        .iter()
        .find(|x| x.verdict == Verdict::Fail)
        .map(|x| format!("Alexa would refuse this answer: {}", x.line()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forwarded() -> Forwarded {
        Forwarded {
            upstream: "myskill".into(),
            target: "https://id.example/oauth/token".into(),
            method: "POST".into(),
            path: "/proxy/myskill/token".into(),
            query: String::new(),
            request_headers: vec![
                (
                    "content-type".into(),
                    "application/x-www-form-urlencoded".into(),
                ),
                (
                    "authorization".into(),
                    "Basic YWxleGEtc2tpbGw6c2VjcmV0".into(),
                ),
                ("cookie".into(), "session=abc".into()),
            ],
            request_body: Bytes::from_static(
                b"grant_type=authorization_code&code=SplxlOBeZQQYbYS6&client_secret=s3cr3t&redirect_uri=https%3A%2F%2Fpitangui.amazon.com%2Fapi%2Fskill%2Flink%2FM2",
            ),
            upstream_status: Some(200),
            response_headers: vec![("content-type".into(), "application/json".into())],
            response_body: Bytes::from_static(
                br#"{"access_token":"eyJhbGciOiJSUzI1NiJ9.x.y","refresh_token":"AQDzUkfakesecret","token_type":"Bearer","expires_in":3600}"#,
            ),
            status: 200,
            elapsed: Duration::from_millis(12),
            failure: None,
            findings: vec![],
            outcome: "forwarded",
        }
    }

    #[test]
    fn both_sides_are_kept_without_their_secrets() {
        let f = forwarded();
        let req = request_json(&f).to_string();
        let res = response_json(&f).to_string();
        for secret in [
            "SplxlOBeZQQYbYS6",
            "s3cr3t",
            "YWxleGEtc2tpbGw6c2VjcmV0",
            "session=abc",
            "AQDzUkfakesecret",
            "eyJhbGciOiJSUzI1NiJ9.x.y",
        ] {
            assert!(
                !req.contains(secret) && !res.contains(secret),
                "{secret} kept"
            );
        }
        let req = request_json(&f);
        assert_eq!(req["form"]["grant_type"], "authorization_code");
        assert_eq!(req["basic_auth_client_id"], "alexa-skill");
        assert_eq!(
            req["form"]["redirect_uri"],
            "https://pitangui.amazon.com/api/skill/link/M2"
        );
        assert_eq!(response_json(&f)["body"]["token_type"], "Bearer");
        assert_eq!(error_of(&f), None);
    }

    #[test]
    fn form_encoded_answers_lose_their_tokens_too() {
        let mut f = forwarded();
        f.response_headers = vec![("content-type".into(), "text/plain".into())];
        f.response_body =
            Bytes::from_static(b"access_token=gho_16C7e42F292c6912E7710c8&scope=repo");
        let res = response_json(&f);
        assert_eq!(res["form"]["access_token"], "gho_…");
        assert_eq!(res["form"]["scope"], "repo");
    }

    #[test]
    fn failures_are_named() {
        let mut f = forwarded();
        f.failure = Some("connection refused".into());
        f.upstream_status = None;
        f.status = 502;
        assert_eq!(
            error_of(&f).as_deref(),
            Some("bad_gateway: connection refused")
        );
    }
}
