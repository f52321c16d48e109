//! A skill's answer checked against ask-sdk-model's `ResponseEnvelope`,
//! field by field over `serde_json::Value`, so each problem gets its own
//! message with a JSON path (a typed parse would stop at the first one and
//! say little). Unknown fields are tolerated, as Alexa tolerates them.

use serde_json::{Map, Value};

/// Alexa refuses responses over 24 KB.
pub const MAX_RESPONSE_BYTES: usize = 24 * 1024;
/// Speech must be under 8,000 characters.
pub const MAX_SPEECH_CHARS: usize = 7999;

const PLAY_BEHAVIORS: &[&str] = &["ENQUEUE", "REPLACE_ALL", "REPLACE_ENQUEUED"];

/// Every way `answer` breaks the response schema; empty when it is valid.
pub fn validate(answer: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let Some(top) = answer.as_object() else {
        return vec![format!(
            "the answer is a JSON {}, not an object",
            kind(answer)
        )];
    };
    match top.get("version") {
        Some(Value::String(v)) if v == "1.0" => {}
        Some(Value::String(v)) => problems.push(format!("version is {v:?}; it must be \"1.0\"")),
        Some(other) => problems.push(format!(
            "version is a {}; it must be the string \"1.0\"",
            kind(other)
        )),
        None => problems.push("version is missing; it must be \"1.0\"".into()),
    }
    if let Some(a) = top.get("sessionAttributes") {
        if !a.is_object() {
            problems.push(format!("sessionAttributes is a {}, not an object", kind(a)));
        }
    }
    if let Some(a) = top.get("userAgent") {
        if !a.is_string() {
            problems.push(format!("userAgent is a {}, not a string", kind(a)));
        }
    }
    match top.get("response") {
        Some(Value::Object(r)) => response(r, &mut problems),
        Some(other) => problems.push(format!("response is a {}, not an object", kind(other))),
        None => problems.push("response is missing".into()),
    }
    problems
}

fn response(r: &Map<String, Value>, problems: &mut Vec<String>) {
    if let Some(s) = r.get("outputSpeech") {
        output_speech("response.outputSpeech", s, problems);
    }
    if let Some(c) = r.get("card") {
        card(c, problems);
    }
    match r.get("reprompt") {
        None => {}
        Some(Value::Object(rp)) => {
            if let Some(s) = rp.get("outputSpeech") {
                output_speech("response.reprompt.outputSpeech", s, problems);
            }
            if let Some(d) = rp.get("directives") {
                directives("response.reprompt.directives", d, problems);
            }
        }
        Some(other) => problems.push(format!(
            "response.reprompt is a {}, not an object",
            kind(other)
        )),
    }
    if let Some(d) = r.get("directives") {
        directives("response.directives", d, problems);
    }
    match r.get("shouldEndSession") {
        None | Some(Value::Bool(_)) => {}
        // `null` is what many hand-written skills send for "leave it open".
        Some(Value::Null) => {}
        Some(other) => problems.push(format!(
            "response.shouldEndSession is {other} ({}); it must be true or false",
            kind(other)
        )),
    }
}

fn output_speech(path: &str, s: &Value, problems: &mut Vec<String>) {
    let Some(o) = s.as_object() else {
        problems.push(format!("{path} is a {}, not an object", kind(s)));
        return;
    };
    match o.get("type").and_then(Value::as_str) {
        Some("PlainText") => {
            if !o.get("text").is_some_and(Value::is_string) {
                problems.push(format!("{path} is PlainText but has no string \"text\""));
            }
        }
        Some("SSML") => match o.get("ssml").and_then(Value::as_str) {
            None => problems.push(format!("{path} is SSML but has no string \"ssml\"")),
            Some(ssml) => {
                let t = ssml.trim();
                if !(t.starts_with("<speak>") || t.starts_with("<speak "))
                    || !t.ends_with("</speak>")
                {
                    problems.push(format!(
                        "{path}.ssml is not wrapped in <speak>…</speak>: {}",
                        cut(ssml)
                    ));
                }
            }
        },
        Some(other) => problems.push(format!(
            "{path}.type is {other:?}; it must be \"PlainText\" or \"SSML\""
        )),
        None => problems.push(format!(
            "{path} has no \"type\" (\"PlainText\" or \"SSML\")"
        )),
    }
    if let Some(b) = o.get("playBehavior") {
        if !b.as_str().is_some_and(|b| PLAY_BEHAVIORS.contains(&b)) {
            problems.push(format!(
                "{path}.playBehavior is {b}; it must be one of {}",
                PLAY_BEHAVIORS.join(", ")
            ));
        }
    }
}

fn card(c: &Value, problems: &mut Vec<String>) {
    let Some(o) = c.as_object() else {
        problems.push(format!("response.card is a {}, not an object", kind(c)));
        return;
    };
    let strings = |fields: &[&str], problems: &mut Vec<String>| {
        for f in fields {
            if let Some(v) = o.get(*f) {
                if !v.is_string() {
                    problems.push(format!("response.card.{f} is a {}, not a string", kind(v)));
                }
            }
        }
    };
    match o.get("type").and_then(Value::as_str) {
        Some("Simple") => strings(&["title", "content"], problems),
        Some("Standard") => {
            strings(&["title", "text"], problems);
            match o.get("image") {
                None => {}
                Some(Value::Object(img)) => {
                    for f in ["smallImageUrl", "largeImageUrl"] {
                        if img.get(f).is_some_and(|v| !v.is_string()) {
                            problems.push(format!("response.card.image.{f} is not a string"));
                        }
                    }
                }
                Some(other) => problems.push(format!(
                    "response.card.image is a {}, not an object",
                    kind(other)
                )),
            }
        }
        Some("LinkAccount") => {}
        Some("AskForPermissionsConsent") => match o.get("permissions") {
            Some(Value::Array(p)) if p.iter().all(Value::is_string) => {}
            _ => problems.push(
                "response.card is AskForPermissionsConsent but \"permissions\" is not an array of strings"
                    .into(),
            ),
        },
        Some(other) => problems.push(format!(
            "response.card.type is {other:?}; it must be Simple, Standard, LinkAccount or AskForPermissionsConsent"
        )),
        None => problems.push("response.card has no \"type\"".into()),
    }
}

fn directives(path: &str, d: &Value, problems: &mut Vec<String>) {
    let Some(list) = d.as_array() else {
        problems.push(format!("{path} is a {}, not an array", kind(d)));
        return;
    };
    for (i, item) in list.iter().enumerate() {
        if !item.get("type").is_some_and(Value::is_string) {
            problems.push(format!("{path}[{i}] has no string \"type\""));
        }
    }
}

/// The speech texts of an answer (the response's and the reprompt's).
pub fn speeches(answer: &Value) -> Vec<(&'static str, String)> {
    let text = |s: &Value| {
        s.get("text")
            .or_else(|| s.get("ssml"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let mut out = Vec::new();
    if let Some(t) = answer.pointer("/response/outputSpeech").and_then(text) {
        out.push(("outputSpeech", t));
    }
    if let Some(t) = answer
        .pointer("/response/reprompt/outputSpeech")
        .and_then(text)
    {
        out.push(("reprompt", t));
    }
    out
}

/// The card type of an answer, if it has one.
pub fn card_type(answer: &Value) -> Option<&str> {
    answer
        .pointer("/response/card/type")
        .and_then(Value::as_str)
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn cut(s: &str) -> String {
    let mut c: String = s.chars().take(60).collect();
    if c.len() < s.len() {
        c.push('…');
    }
    format!("{c:?}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_link_account_answer_is_valid() {
        let a = json!({"version": "1.0", "response": {
            "outputSpeech": {"type": "PlainText", "text": "Link your account in the Alexa app."},
            "card": {"type": "LinkAccount"}, "shouldEndSession": true}});
        assert_eq!(validate(&a), Vec::<String>::new());
        assert_eq!(card_type(&a), Some("LinkAccount"));
        assert_eq!(speeches(&a).len(), 1);
    }

    #[test]
    fn each_defect_gets_its_own_message() {
        let a = json!({"version": "2", "response": {
            "outputSpeech": {"type": "SSML", "ssml": "hello"},
            "card": {"type": "Fancy"},
            "reprompt": {"outputSpeech": {"type": "PlainText"}},
            "directives": [{"kind": "x"}],
            "shouldEndSession": "yes"}});
        let p = validate(&a);
        assert_eq!(p.len(), 6, "{p:#?}");
        assert!(p[0].contains("version"));
        assert!(p.iter().any(|m| m.contains("<speak>")));
        assert!(p.iter().any(|m| m.contains("Fancy")));
        assert!(p.iter().any(|m| m.contains("reprompt.outputSpeech")));
        assert!(p.iter().any(|m| m.contains("directives[0]")));
        assert!(p.iter().any(|m| m.contains("shouldEndSession")));
        assert_eq!(validate(&json!([1])).len(), 1);
        assert!(validate(&json!({"version": "1.0"}))[0].contains("response is missing"));
    }
}
