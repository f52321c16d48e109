//! The read side: records grouped into linking stories (one per grant),
//! each step with a one-line headline, for the admin JSON and the page.

use crate::linkcheck::{Exchange, Lane};
use crate::store::InspectorRecord;
use serde_json::{json, Value};
use std::collections::HashMap;

/// One recorded step, ready to show.
#[derive(Debug, Clone)]
pub struct Step {
    pub record: InspectorRecord,
    pub request: Value,
    pub response: Value,
    /// "Alexa exchanged the code → 400 invalid_grant: …"
    pub headline: String,
    pub failed: bool,
    /// Server-clock time, e.g. `2026-11-25 12:00:01.234 UTC`.
    pub at: String,
    /// Alexa's rules on a proxied answer (`linkcheck::Finding` as JSON).
    pub findings: Vec<Value>,
}

/// The steps of one grant (or one authorization request that got no code,
/// or the client's requests tied to no grant), oldest first.
#[derive(Debug, Clone)]
pub struct Story {
    pub key: String,
    pub title: String,
    pub grant_id: Option<String>,
    pub flow_id: Option<String>,
    pub user: Option<String>,
    pub failed: bool,
    /// The headline of the first failed step: usually the answer to "why?".
    pub first_failure: Option<String>,
    pub steps: Vec<Step>,
}

impl Step {
    fn new(record: InspectorRecord) -> Self {
        let request = serde_json::from_str(&record.request).unwrap_or(Value::Null);
        let response = serde_json::from_str(&record.response).unwrap_or(Value::Null);
        let headline = headline(&record, &request);
        let findings = match &response["findings"] {
            Value::Array(list) => list.clone(),
            _ => Vec::new(),
        };
        Step {
            findings,
            failed: record.error.is_some(),
            at: format_ms(record.at_ms),
            headline,
            request,
            response,
            record,
        }
    }

    pub fn latency_ms(&self) -> f64 {
        (self.record.latency_us as f64 / 1000.0 * 10.0).round() / 10.0
    }

    /// The step as one exchange of a sequence diagram: who called whom.
    /// A failing finding on a proxied answer is its `error`.
    pub fn exchange(&self) -> Exchange {
        let r = &self.record;
        let (from, to) = match r.kind.as_str() {
            "authorize" | "login" | "consent" => (Lane::Browser, Lane::Provider),
            "api" => (Lane::Skill, Lane::Api),
            "proxy" if r.path.ends_with("/authorize") => (Lane::Browser, Lane::Provider),
            _ => (Lane::Alexa, Lane::Provider),
        };
        let headers = |v: &Value| -> Vec<(String, String)> {
            v["headers"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().map_or(v.to_string(), str::to_owned)))
                        .collect()
                })
                .unwrap_or_default()
        };
        let body = |v: &Value| -> String {
            ["form", "body"]
                .iter()
                .find_map(|k| v.get(*k))
                .map(Value::to_string)
                .unwrap_or_default()
        };
        let no_answer = r.kind == "proxy" && self.response["failure"].is_string();
        Exchange {
            from: Some(from),
            to: Some(to),
            method: r.method.clone(),
            url: r.path.clone(),
            request_headers: headers(&self.request),
            request_body: body(&self.request),
            status: (!no_answer).then(|| u16::try_from(r.status).unwrap_or(0)),
            response_headers: headers(&self.response),
            response_body: body(&self.response),
            // Rounded up: a measured time is never shown as none.
            elapsed_ms: u64::try_from((r.latency_us + 999) / 1000).unwrap_or(0),
            error: r.error.clone(),
        }
    }

    pub fn to_json(&self) -> Value {
        let r = &self.record;
        json!({
            "id": r.id,
            "seq": r.seq,
            "at_ms": r.at_ms,
            "at": self.at,
            "client_id": (!r.client_id.is_empty()).then_some(&r.client_id),
            "user": r.user_id,
            "grant_id": r.grant_id,
            "flow_id": r.flow_id,
            "kind": r.kind,
            "method": r.method,
            "path": r.path,
            "status": r.status,
            "latency_ms": self.latency_ms(),
            "outcome": r.outcome,
            "failed": self.failed,
            "error": r.error,
            "summary": self.headline,
            "request": self.request,
            "response": self.response,
            "findings": self.findings,
        })
    }
}

impl Story {
    pub fn started_at_ms(&self) -> i64 {
        self.steps.first().map_or(0, |s| s.record.at_ms)
    }

    pub fn last_at_ms(&self) -> i64 {
        self.steps.last().map_or(0, |s| s.record.at_ms)
    }

    pub fn to_json(&self) -> Value {
        json!({
            "key": self.key,
            "title": self.title,
            "grant_id": self.grant_id,
            "flow_id": self.flow_id,
            "user": self.user,
            "failed": self.failed,
            "first_failure": self.first_failure,
            "started_at_ms": self.started_at_ms(),
            "last_at_ms": self.last_at_ms(),
            "events": self.steps.iter().map(Step::to_json).collect::<Vec<_>>(),
        })
    }
}

fn short(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

/// Groups records (any order) into stories, the most recently active first.
pub fn stories(records: Vec<InspectorRecord>) -> Vec<Story> {
    // The step that issued the code carries both ids: it ties the steps
    // before the code (flow id only) to the grant.
    let flow_grant: HashMap<String, String> = records
        .iter()
        .filter_map(|r| Some((r.flow_id.clone()?, r.grant_id.clone()?)))
        .collect();
    let mut groups: HashMap<String, Story> = HashMap::new();
    let mut last_seq: HashMap<String, i64> = HashMap::new();
    for record in records {
        let step = Step::new(record);
        let r = &step.record;
        let grant = r
            .grant_id
            .clone()
            .or_else(|| r.flow_id.as_ref().and_then(|f| flow_grant.get(f).cloned()));
        let flow = if grant.is_none() {
            r.flow_id.clone()
        } else {
            None
        };
        let client_credentials = (r.kind == "token"
            && step.request["form"]["grant_type"] == "client_credentials")
            || (r.kind == "api" && r.user_id.is_none() && !r.client_id.is_empty());
        let (key, title) = match (&grant, &flow) {
            (Some(g), _) => (format!("grant:{g}"), format!("Grant {}…", short(g))),
            (None, Some(f)) => (
                format!("flow:{f}"),
                format!("Authorization request {}… (no code issued)", short(f)),
            ),
            _ if r.kind == "proxy" => (
                format!("proxy:{}", r.client_id),
                format!(
                    "Through the recording proxy: {}",
                    r.client_id.strip_prefix("proxy:").unwrap_or(&r.client_id)
                ),
            ),
            _ if client_credentials => (
                format!("client_credentials:{}", r.client_id),
                "Client-credentials tokens (no user)".to_owned(),
            ),
            _ => (
                format!("other:{}", r.client_id),
                "Requests tied to no grant".to_owned(),
            ),
        };
        let seq = last_seq.entry(key.clone()).or_insert(i64::MIN);
        *seq = (*seq).max(r.seq);
        let story = groups.entry(key.clone()).or_insert_with(|| Story {
            key,
            title,
            grant_id: grant.clone(),
            flow_id: flow.clone(),
            user: None,
            failed: false,
            first_failure: None,
            steps: Vec::new(),
        });
        story.steps.push(step);
    }
    let mut out: Vec<Story> = groups
        .into_values()
        .map(|mut s| {
            s.steps
                .sort_by(|a, b| (a.record.seq, &a.record.id).cmp(&(b.record.seq, &b.record.id)));
            s.user = s.steps.iter().find_map(|st| st.record.user_id.clone());
            if let (Some(user), true) = (&s.user, s.grant_id.is_some()) {
                s.title = format!("{} · {user}", s.title);
            }
            s.failed = s.steps.iter().any(|st| st.failed);
            s.first_failure = s
                .steps
                .iter()
                .find(|st| st.failed)
                .map(|st| st.headline.clone());
            s
        })
        .collect();
    out.sort_by_key(|s| std::cmp::Reverse(last_seq.get(&s.key).copied().unwrap_or(i64::MIN)));
    out
}

/// `→ 400 invalid_grant: …` or `→ 200`.
fn answer(r: &InspectorRecord) -> String {
    match &r.error {
        Some(e) => format!("→ {} {e}", r.status),
        None => format!("→ {}", r.status),
    }
}

/// One line saying what happened, in the linking story's words.
fn headline(r: &InspectorRecord, request: &Value) -> String {
    let user = r.user_id.as_deref().unwrap_or("?");
    let outcome = r.outcome.as_deref();
    let error = r.error.as_deref().unwrap_or("");
    match r.kind.as_str() {
        "authorize" => match outcome {
            Some("login_page") => "Alexa opened /authorize → the login page was shown".into(),
            Some("consent_page") => {
                format!("Alexa opened /authorize → the consent page was shown to {user}")
            }
            Some("code") => format!(
                "Alexa opened /authorize → consent remembered, redirected back with a code ({})",
                r.status
            ),
            Some("consent_denied_by_scenario") => format!(
                "Alexa opened /authorize → denied at once by a consent_deny scenario {}",
                answer(r)
            ),
            _ => format!("Alexa opened /authorize {}", answer(r)),
        },
        "login" => match outcome {
            Some("logged_in") => format!("user logged in as {user}"),
            Some("login_failed") => format!("login failed for “{user}”: {error}"),
            Some("login_locked") | Some("login_throttled") => {
                format!("login refused for “{user}”: {error}")
            }
            _ => format!("login form sent {}", answer(r)),
        },
        "consent" => match outcome {
            Some("consent_granted") => {
                format!(
                    "consent granted by {user} → redirected back with a code ({})",
                    r.status
                )
            }
            Some("consent_denied") => format!("consent denied by {user} {}", answer(r)),
            _ => format!("consent form sent {}", answer(r)),
        },
        "token" => {
            let what = match request["form"]["grant_type"].as_str() {
                Some("authorization_code") => "Alexa exchanged the code",
                Some("refresh_token") => "Alexa refreshed the token",
                Some("client_credentials") => "client-credentials token requested",
                _ => "token request",
            };
            format!("{what} {}", answer(r))
        }
        "proxy" if r.path.ends_with("/authorize") => {
            format!(
                "the browser was sent to the provider's /authorize {}",
                answer(r)
            )
        }
        "proxy" => {
            let what = match request["form"]["grant_type"].as_str() {
                Some("authorization_code") => "Alexa exchanged the code through the proxy",
                Some("refresh_token") => "Alexa refreshed the token through the proxy",
                _ => "token request through the proxy",
            };
            format!("{what} {}", answer(r))
        }
        "revoke" => format!("token revocation {}", answer(r)),
        "introspect" => format!("token introspection {}", answer(r)),
        _ => format!("{} {} {}", r.method, r.path, answer(r)),
    }
}

/// Milliseconds since the epoch on the server clock, as UTC text.
pub fn format_ms(ms: i64) -> String {
    let format = time::macros::format_description!(
        "[year]-[month]-[day] [hour]:[minute]:[second].[subsecond digits:3] UTC"
    );
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_else(|| ms.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(seq: i64, kind: &str, grant: Option<&str>, flow: Option<&str>) -> InspectorRecord {
        InspectorRecord {
            id: format!("id{seq}"),
            client_id: "alexa-skill".into(),
            seq,
            at_ms: 1_764_072_001_234,
            user_id: Some("demo".into()),
            grant_id: grant.map(str::to_owned),
            flow_id: flow.map(str::to_owned),
            kind: kind.into(),
            method: "POST".into(),
            path: "/api/token".into(),
            status: 200,
            latency_us: 1500,
            outcome: None,
            error: None,
            request: r#"{"form":{"grant_type":"authorization_code"}}"#.into(),
            response: "{}".into(),
        }
    }

    #[test]
    fn steps_before_the_code_join_their_grant() {
        let records = vec![
            rec(4, "token", Some("g1"), None),
            rec(1, "authorize", None, Some("f1")),
            rec(3, "consent", Some("g1"), Some("f1")),
            rec(2, "login", None, Some("f1")),
            rec(5, "authorize", None, Some("f2")),
        ];
        let s = stories(records);
        assert_eq!(s.len(), 2);
        // f2 is the most recent activity.
        assert_eq!(s[0].key, "flow:f2");
        assert_eq!(s[1].key, "grant:g1");
        let kinds: Vec<_> = s[1]
            .steps
            .iter()
            .map(|st| st.record.kind.as_str())
            .collect();
        assert_eq!(kinds, ["authorize", "login", "consent", "token"]);
        assert_eq!(s[1].title, "Grant g1… · demo");
    }

    #[test]
    fn failures_are_named_in_the_story() {
        let mut r = rec(1, "token", Some("g1"), None);
        r.status = 400;
        r.error = Some("invalid_grant: Invalid authorization code".into());
        let s = stories(vec![r]);
        assert!(s[0].failed);
        assert_eq!(
            s[0].first_failure.as_deref(),
            Some("Alexa exchanged the code → 400 invalid_grant: Invalid authorization code")
        );
    }

    #[test]
    fn times_are_utc_with_milliseconds() {
        assert_eq!(format_ms(1_764_072_001_234), "2025-11-25 12:00:01.234 UTC");
    }
}
