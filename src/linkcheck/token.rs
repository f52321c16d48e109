//! The rules of a token endpoint's answer, as Alexa's client receives it.

use super::{Finding, Rule, MIN_LIFETIME_SECONDS, TOKEN_DEADLINE};
use std::time::Duration;

/// Which token request an answer was for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Grant {
    AuthorizationCode,
    RefreshToken,
}

/// A token endpoint's answer as Alexa's client received it.
#[derive(Debug, Clone)]
pub struct TokenAnswer<'a> {
    pub grant: Grant,
    /// `None` when no answer came (timeout, refused connection, TLS failure).
    pub status: Option<u16>,
    pub content_type: Option<&'a str>,
    pub body: &'a [u8],
    pub elapsed: Duration,
    /// Why no answer came, when `status` is `None`.
    pub failure: Option<&'a str>,
    /// The console's "Default Access Token Expiration Time", used by Alexa
    /// when the answer has no `expires_in`.
    pub default_expiration: Option<u64>,
}

const RFC6749_ERRORS: &[&str] = &[
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
];

fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    let mut cut: String = text.chars().take(80).collect();
    if cut.len() < text.len() {
        cut.push('…');
    }
    format!("{cut:?}")
}

fn millis(d: Duration) -> String {
    format!("{} ms", d.as_millis())
}

/// Every rule that applies to one token answer.
pub fn check_token_answer(answer: &TokenAnswer<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    let timed_out = answer.elapsed >= TOKEN_DEADLINE;
    if timed_out && answer.status.is_none() {
        findings.push(Finding::fail(
            Rule::ResponseTime,
            "timed out after 4.5 s with no answer",
            "answer within 4.5 s: keep the token endpoint warm and avoid slow calls while issuing",
        ));
    } else if timed_out {
        findings.push(Finding::fail(
            Rule::ResponseTime,
            format!(
                "answered after {}; Alexa gives up at 4.5 s",
                millis(answer.elapsed)
            ),
            "answer within 4.5 s: keep the token endpoint warm and avoid slow calls while issuing",
        ));
    } else if answer.status.is_some() {
        findings.push(Finding::pass(
            Rule::ResponseTime,
            format!("answered in {}", millis(answer.elapsed)),
        ));
    }
    let Some(status) = answer.status else {
        if !timed_out {
            findings.push(Finding::fail(
                Rule::Status,
                format!(
                    "no answer: {}",
                    answer.failure.unwrap_or("the connection failed")
                ),
                "make the Access Token URI reachable from the internet over HTTPS on port 443",
            ));
        }
        return findings;
    };
    let media = answer
        .content_type
        .map(|ct| {
            ct.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    let json: Option<serde_json::Value> = serde_json::from_slice(answer.body).ok();
    let is_json_type = media == "application/json" || media.ends_with("+json");
    if is_json_type {
        findings.push(Finding::pass(
            Rule::JsonContentType,
            format!("Content-Type: {media}"),
        ));
    } else if json.is_some() {
        findings.push(
            Finding::fail(
                Rule::JsonContentType,
                format!(
                    "the body is JSON but is sent as {}",
                    if media.is_empty() {
                        "no Content-Type"
                    } else {
                        &media
                    }
                ),
                "send Content-Type: application/json (RFC 6749 §5.1)",
            )
            .assumed(),
        );
    } else if (200..300).contains(&status) || (400..500).contains(&status) {
        findings.push(Finding::fail(
            Rule::JsonContentType,
            format!(
                "the answer is {} and not JSON: {}",
                if media.is_empty() { "untyped" } else { &media },
                snippet(answer.body)
            ),
            "answer token requests with JSON, never an HTML page or a redirect",
        ));
    }
    match status {
        200..=299 => success_rules(answer, json.as_ref(), &mut findings),
        400 | 401 => error_rules(status, json.as_ref(), answer.body, &mut findings),
        _ => findings.push(Finding::fail(
            Rule::Status,
            format!("answered HTTP {status}: {}", snippet(answer.body)),
            if (300..400).contains(&status) {
                "answer the token request itself; Alexa does not follow redirects from the Access Token URI"
            } else if status >= 500 {
                "the token endpoint failed; read its logs for this request"
            } else {
                "answer 200 with tokens, or 400/401 with an RFC 6749 error"
            },
        )),
    }
    findings
}

fn success_rules(
    answer: &TokenAnswer<'_>,
    json: Option<&serde_json::Value>,
    findings: &mut Vec<Finding>,
) {
    let Some(obj) = json.and_then(|v| v.as_object()) else {
        findings.push(Finding::fail(
            Rule::JsonBody,
            format!("the body is not a JSON object: {}", snippet(answer.body)),
            "answer {\"access_token\": …, \"token_type\": \"bearer\", \"expires_in\": 3600, \"refresh_token\": …}",
        ));
        return;
    };
    match obj.get("access_token").and_then(|v| v.as_str()) {
        Some(t) if !t.is_empty() => findings.push(Finding::pass(
            Rule::JsonBody,
            "a JSON object with an access_token",
        )),
        _ => {
            findings.push(Finding::fail(
                Rule::JsonBody,
                "the JSON has no access_token string",
                "include the access token as \"access_token\"",
            ));
            return;
        }
    }
    match obj.get("token_type").and_then(|v| v.as_str()) {
        Some(t) if t.eq_ignore_ascii_case("bearer") => {
            findings.push(Finding::pass(Rule::TokenType, format!("token_type {t:?}")))
        }
        Some(t) => findings.push(Finding::fail(
            Rule::TokenType,
            format!("token_type is {t:?}"),
            "send \"token_type\": \"bearer\"; Alexa sends the token as a bearer token",
        )),
        None => findings.push(
            Finding::fail(
                Rule::TokenType,
                "no token_type",
                "send \"token_type\": \"bearer\" (required by RFC 6749 §5.1)",
            )
            .assumed(),
        ),
    }
    let lifetime = match obj.get("expires_in") {
        Some(serde_json::Value::Number(n)) if n.as_u64().is_some() => {
            let s = n.as_u64().unwrap_or_default();
            findings.push(Finding::pass(Rule::ExpiresIn, format!("expires_in {s}")));
            Some(s)
        }
        Some(serde_json::Value::String(s)) if s.trim().parse::<u64>().is_ok() => {
            // That Alexa reads the string is an assumption: Amazon is silent.
            findings.push(
                Finding::fail(
                    Rule::ExpiresIn,
                    format!("expires_in is the string {s:?}"),
                    "send a JSON number (\"expires_in\": 3600); Alexa reads a string too, stricter clients refuse it",
                )
                .assumed(),
            );
            s.trim().parse().ok()
        }
        Some(other) => {
            findings.push(Finding::fail(
                Rule::ExpiresIn,
                format!("expires_in is {other}"),
                "send a whole number of seconds (\"expires_in\": 3600)",
            ));
            other.as_f64().map(|f| f as u64)
        }
        None => {
            let evidence = match answer.default_expiration {
                Some(d) => {
                    format!("no expires_in: Alexa uses the console's default expiration of {d} s")
                }
                None => "no expires_in, and no default expiration is set in the console".into(),
            };
            findings.push(Finding::warn(
                Rule::ExpiresIn,
                evidence,
                "send expires_in so Alexa refreshes the token in time",
            ));
            answer.default_expiration
        }
    };
    if let Some(seconds) = lifetime {
        if seconds < MIN_LIFETIME_SECONDS {
            findings.push(Finding::fail(
                Rule::Lifetime,
                format!("the access token lives {seconds} s"),
                "issue access tokens that live at least 360 s (one hour is usual)",
            ));
        } else {
            findings.push(Finding::pass(
                Rule::Lifetime,
                format!("the access token lives {seconds} s"),
            ));
        }
    }
    let refresh = obj
        .get("refresh_token")
        .and_then(|v| v.as_str())
        .is_some_and(|t| !t.is_empty());
    match (answer.grant, refresh) {
        (_, true) => findings.push(Finding::pass(Rule::RefreshToken, "a refresh_token is included")),
        (Grant::AuthorizationCode, false) => findings.push(Finding::fail(
            Rule::RefreshToken,
            "no refresh_token: the link breaks when the access token expires and the user must link again",
            "issue a refresh token with the authorization code grant (some servers need an offline_access scope)",
        )),
        (Grant::RefreshToken, false) => findings.push(Finding::pass(
            Rule::RefreshToken,
            "no new refresh_token: Alexa keeps the one it has (RFC 6749 §6)",
        )),
    }
}

fn error_rules(
    status: u16,
    json: Option<&serde_json::Value>,
    body: &[u8],
    findings: &mut Vec<Finding>,
) {
    let error = json
        .and_then(|v| v.get("error"))
        .and_then(|v| v.as_str())
        .map(str::to_owned);
    let description = json
        .and_then(|v| v.get("error_description"))
        .and_then(|v| v.as_str())
        .unwrap_or_default();
    match error.as_deref() {
        Some(code) if RFC6749_ERRORS.contains(&code) => {
            findings.push(Finding::pass(Rule::ErrorShape, format!("error {code:?}")))
        }
        Some(code) => findings.push(Finding::fail(
            Rule::ErrorShape,
            format!("error {code:?} is not an RFC 6749 §5.2 code"),
            "use invalid_request, invalid_client, invalid_grant, unauthorized_client, unsupported_grant_type or invalid_scope",
        )),
        None => findings.push(Finding::fail(
            Rule::ErrorShape,
            format!("the error answer has no \"error\" field: {}", snippet(body)),
            "answer {\"error\": \"invalid_grant\", \"error_description\": …} as JSON",
        )),
    }
    let code = error.unwrap_or_else(|| "an error".into());
    let advice = match code.as_str() {
        "invalid_client" | "unauthorized_client" => {
            "check the client id and secret, and that the console's Authentication Scheme (HTTP Basic or credentials in the request body) is the one the provider expects"
        }
        "invalid_grant" => {
            "the code or refresh token was refused: expired, already used, revoked, or the redirect_uri differs from the one sent to the authorization URI"
        }
        "invalid_scope" => "request only scopes the provider knows for this client",
        _ => "read the provider's log for this request",
    };
    let evidence = if description.is_empty() {
        format!("HTTP {status} with {code}")
    } else {
        format!("HTTP {status} with {code}: {description}")
    };
    findings.push(Finding::fail(Rule::Status, evidence, advice));
}

#[cfg(test)]
mod tests {
    use super::super::{worst, Verdict};
    use super::*;

    fn answer<'a>(status: u16, ct: &'a str, body: &'a str) -> TokenAnswer<'a> {
        TokenAnswer {
            grant: Grant::AuthorizationCode,
            status: Some(status),
            content_type: Some(ct),
            body: body.as_bytes(),
            elapsed: Duration::from_millis(30),
            failure: None,
            default_expiration: None,
        }
    }

    fn verdict_of(findings: &[Finding], rule: Rule) -> Option<Verdict> {
        findings.iter().find(|f| f.rule == rule).map(|f| f.verdict)
    }

    #[test]
    fn a_healthy_answer_passes_every_rule() {
        let f = check_token_answer(&answer(
            200,
            "application/json;charset=UTF-8",
            r#"{"access_token":"a","token_type":"Bearer","expires_in":3600,"refresh_token":"r"}"#,
        ));
        assert_eq!(worst(&f), Verdict::Pass, "{f:#?}");
        for rule in [
            Rule::ResponseTime,
            Rule::JsonContentType,
            Rule::JsonBody,
            Rule::TokenType,
            Rule::ExpiresIn,
            Rule::Lifetime,
            Rule::RefreshToken,
        ] {
            assert_eq!(verdict_of(&f, rule), Some(Verdict::Pass), "{rule:?}");
        }
    }

    #[test]
    fn each_defect_fails_its_named_rule() {
        let cases = [
            (
                answer(200, "text/html", "<!DOCTYPE html><p>Log in"),
                Rule::JsonContentType,
            ),
            (
                answer(
                    200,
                    "text/plain",
                    r#"{"access_token":"a","token_type":"bearer","expires_in":3600,"refresh_token":"r"}"#,
                ),
                Rule::JsonContentType,
            ),
            (
                answer(
                    200,
                    "application/json",
                    r#"{"access_token":"a","expires_in":3600,"refresh_token":"r"}"#,
                ),
                Rule::TokenType,
            ),
            (
                answer(
                    200,
                    "application/json",
                    r#"{"access_token":"a","token_type":"bearer","expires_in":"3600","refresh_token":"r"}"#,
                ),
                Rule::ExpiresIn,
            ),
            (
                answer(
                    200,
                    "application/json",
                    r#"{"access_token":"a","token_type":"bearer","expires_in":120,"refresh_token":"r"}"#,
                ),
                Rule::Lifetime,
            ),
            (
                answer(
                    200,
                    "application/json",
                    r#"{"access_token":"a","token_type":"bearer","expires_in":3600}"#,
                ),
                Rule::RefreshToken,
            ),
            (
                answer(400, "application/json", r#"{"error":"invalid_grant"}"#),
                Rule::Status,
            ),
            (answer(400, "text/plain", "bad request"), Rule::ErrorShape),
            (answer(500, "text/html", "<h1>oops"), Rule::Status),
        ];
        for (a, rule) in cases {
            let f = check_token_answer(&a);
            assert_eq!(
                verdict_of(&f, rule),
                Some(Verdict::Fail),
                "{rule:?}: {f:#?}"
            );
        }
    }

    #[test]
    fn slowness_is_timed_out_after_four_and_a_half_seconds() {
        let mut a = answer(200, "application/json", "{}");
        a.status = None;
        a.failure = Some("operation timed out");
        a.elapsed = TOKEN_DEADLINE;
        let f = check_token_answer(&a);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].rule, Rule::ResponseTime);
        assert!(f[0].evidence.contains("timed out after 4.5 s"), "{f:?}");
    }

    #[test]
    fn a_missing_expires_in_falls_back_to_the_console_default() {
        let mut a = answer(
            200,
            "application/json",
            r#"{"access_token":"a","token_type":"bearer","refresh_token":"r"}"#,
        );
        a.default_expiration = Some(300);
        let f = check_token_answer(&a);
        assert_eq!(verdict_of(&f, Rule::ExpiresIn), Some(Verdict::Warn));
        assert_eq!(verdict_of(&f, Rule::Lifetime), Some(Verdict::Fail));
    }
}
