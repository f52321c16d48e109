//! What the inspector may keep of a secret: codes, tokens, verifiers and
//! CSRF tokens keep their first four characters and "…"; passwords and
//! client secrets are replaced by "(removed)"; everything else (state,
//! scopes, redirect URIs, errors and their descriptions) is kept in full.

use serde_json::{Map, Value};

/// Stands in for a value that is never kept.
pub const REMOVED: &str = "(removed)";

/// Parameters whose value is shown as a hint only.
const HINTED: &[&str] = &[
    "code",
    "access_token",
    "refresh_token",
    "id_token",
    "code_verifier",
    "token",
    "csrf_token",
    "assertion",
];
/// Parameters whose value is never shown.
const REMOVED_FIELDS: &[&str] = &["password", "client_secret"];
/// Form fields that carry a path with a query string (login, consent).
const NESTED_QUERY: &[&str] = &["return_to", "authorization_request"];

/// The first four characters and "…"; for a short value at most half of it,
/// so no value is ever shown whole.
pub fn hint(secret: &str) -> String {
    let n = secret.chars().count();
    let keep = 4.min(n / 2);
    let prefix: String = secret.chars().take(keep).collect();
    format!("{prefix}…")
}

/// The value a parameter is shown with, or `None` to leave it out (our own
/// flow id is not part of what the client sent).
pub fn param(name: &str, value: &str) -> Option<String> {
    if name == super::FLOW_PARAM {
        return None;
    }
    if REMOVED_FIELDS.contains(&name) {
        return Some(REMOVED.into());
    }
    if HINTED.contains(&name) {
        return Some(hint(value));
    }
    if NESTED_QUERY.contains(&name) {
        return Some(path_and_query(value));
    }
    Some(value.to_owned())
}

/// Name/value pairs as a JSON object, redacted; a repeated name becomes an
/// array of its values (repetition is itself an error worth seeing).
pub fn pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Map<String, Value> {
    let mut out = Map::new();
    for (k, v) in pairs {
        let Some(v) = param(k, v) else { continue };
        match out.get_mut(k) {
            None => {
                out.insert(k.to_owned(), Value::String(v));
            }
            Some(Value::Array(list)) => list.push(Value::String(v)),
            Some(first) => {
                let first = first.take();
                out.insert(k.to_owned(), Value::Array(vec![first, Value::String(v)]));
            }
        }
    }
    out
}

/// A query string as a redacted JSON object.
pub fn query(q: &str) -> Map<String, Value> {
    let parsed: Vec<(String, String)> = form_urlencoded::parse(q.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    pairs(parsed.iter().map(|(k, v)| (k.as_str(), v.as_str())))
}

/// A URL or path whose query string is redacted (re-encoded), e.g. a
/// `Location` carrying a code.
pub fn path_and_query(url: &str) -> String {
    let Some((base, q)) = url.split_once('?') else {
        return url.to_owned();
    };
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (k, v) in form_urlencoded::parse(q.as_bytes()) {
        if let Some(v) = param(&k, &v) {
            out.append_pair(&k, &v);
        }
    }
    let q = out.finish();
    if q.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{q}")
    }
}

/// An `Authorization` header: the scheme and a hint of the credentials.
pub fn authorization(value: &str) -> String {
    match value.trim().split_once(' ') {
        Some((scheme, cred)) => format!("{scheme} {}", hint(cred.trim())),
        None => hint(value),
    }
}

/// A JSON answer with token values cut to a hint (at any depth).
pub fn json(mut value: Value) -> Value {
    redact_json(&mut value);
    value
}

fn redact_json(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                match v {
                    Value::String(s) if REMOVED_FIELDS.contains(&k.as_str()) => {
                        *s = REMOVED.into();
                    }
                    Value::String(s) if HINTED.contains(&k.as_str()) => *s = hint(s),
                    _ => redact_json(v),
                }
            }
        }
        Value::Array(list) => list.iter_mut().for_each(redact_json),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hints_never_show_a_whole_value() {
        assert_eq!(hint("SplxlOBeZQQYbYS6WxSbIA"), "Splx…");
        assert_eq!(hint("abc"), "a…");
        assert_eq!(hint(""), "…");
    }

    #[test]
    fn forms_keep_what_helps_and_hide_what_hurts() {
        let q = query(
            "grant_type=authorization_code&code=SplxlOBeZQQYbYS6WxSbIA&client_secret=s3cr3t\
             &password=hunter2&state=a%2Bb&code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk\
             &mocklink_flow=0123",
        );
        assert_eq!(q["grant_type"], "authorization_code");
        assert_eq!(q["code"], "Splx…");
        assert_eq!(q["client_secret"], REMOVED);
        assert_eq!(q["password"], REMOVED);
        assert_eq!(q["state"], "a+b");
        assert_eq!(q["code_verifier"], "dBjf…");
        assert!(!q.contains_key("mocklink_flow"));
    }

    #[test]
    fn repeated_names_are_shown_as_a_list() {
        let q = query("scope=a&scope=b&scope=c");
        assert_eq!(q["scope"], json!(["a", "b", "c"]));
    }

    #[test]
    fn locations_and_nested_queries_lose_their_codes() {
        assert_eq!(
            path_and_query("https://x.example/cb?code=SplxlOBeZQQY&state=st&iss=http%3A%2F%2Fh"),
            "https://x.example/cb?code=Splx%E2%80%A6&state=st&iss=http%3A%2F%2Fh"
        );
        assert_eq!(path_and_query("/authorize"), "/authorize");
        assert_eq!(
            param("return_to", "/authorize?client_id=a&mocklink_flow=f").unwrap(),
            "/authorize?client_id=a"
        );
    }

    #[test]
    fn authorization_headers_keep_the_scheme() {
        assert_eq!(
            authorization("Basic YWxleGEtc2tpbGw6c2VjcmV0"),
            "Basic YWxl…"
        );
        assert_eq!(authorization("Bearer eyJhbGciOi.x.y"), "Bearer eyJh…");
    }

    #[test]
    fn json_answers_lose_their_tokens_at_any_depth() {
        let v = json(json!({
            "access_token": "eyJhbGciOiJSUzI1NiJ9.payload.sig",
            "refresh_token": "AQDzUkfakesecretvalue",
            "token_type": "Bearer",
            "nested": [{"token": "abcdefgh"}],
            "error_description": "Invalid authorization code"
        }));
        assert_eq!(v["access_token"], "eyJh…");
        assert_eq!(v["refresh_token"], "AQDz…");
        assert_eq!(v["token_type"], "Bearer");
        assert_eq!(v["nested"][0]["token"], "abcd…");
        assert_eq!(v["error_description"], "Invalid authorization code");
    }
}
