//! A linking flow's log as the exchanges of a sequence diagram: the
//! simulator is Alexa, the authorize step and the redirect back are the
//! user's browser, every other request is Alexa's call to the provider's
//! Access Token URI.

use crate::linkcheck::{Exchange, Lane};
use crate::store::FlowEntry;
use std::collections::HashMap;

const AUTHORIZE: &str = "authorize (browser)";
const REDIRECT_BACK: &str = "redirect back";

fn lanes(step: &str) -> (Lane, Lane) {
    match step {
        AUTHORIZE => (Lane::Browser, Lane::Provider),
        REDIRECT_BACK => (Lane::Browser, Lane::Alexa),
        _ => (Lane::Alexa, Lane::Provider),
    }
}

fn pairs(headers: &serde_json::Value) -> Vec<(String, String)> {
    headers
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// The exchanges, and for each entry the number (from 1) of the exchange
/// its request opened.
pub(super) fn exchanges(entries: &[FlowEntry]) -> (Vec<Exchange>, Vec<Option<usize>>) {
    let mut out: Vec<Exchange> = Vec::new();
    let mut numbers = Vec::with_capacity(entries.len());
    // The open exchange of each step: a response or note completes it.
    let mut open: HashMap<&str, usize> = HashMap::new();
    let mut result: Option<&str> = None;
    for e in entries {
        let mut number = None;
        match e.direction.as_str() {
            "request" => {
                let (from, to) = lanes(&e.step);
                out.push(Exchange {
                    from: Some(from),
                    to: Some(to),
                    method: e.method.clone().unwrap_or_default(),
                    url: e.url.clone().unwrap_or_default(),
                    request_headers: pairs(&e.headers),
                    request_body: e.body.clone(),
                    ..Exchange::default()
                });
                open.insert(e.step.as_str(), out.len() - 1);
                number = Some(out.len());
            }
            "response" => {
                if let Some(x) = open.get(e.step.as_str()).and_then(|i| out.get_mut(*i)) {
                    x.status = e.status.and_then(|s| u16::try_from(s).ok());
                    x.response_headers = pairs(&e.headers);
                    x.response_body = e.body.clone();
                }
            }
            _ if e.step == "result" => result = Some(e.body.as_str()),
            _ => {
                if let (Some(why), Some(x)) = (
                    e.body.strip_prefix("no response: "),
                    open.get(e.step.as_str()).and_then(|i| out.get_mut(*i)),
                ) {
                    x.error = Some(why.to_owned());
                }
            }
        }
        numbers.push(number);
    }
    let came_back = open.contains_key(REDIRECT_BACK);
    if let Some(x) = open.get(AUTHORIZE).and_then(|i| out.get_mut(*i)) {
        // The browser left for the provider; its answer is known only by
        // the browser coming back to the redirect URL.
        if came_back {
            x.status = Some(302);
            x.response_body = "the provider redirected the browser back to Alexa".into();
        } else {
            x.error = Some("the browser has not come back from the provider (yet)".into());
        }
    }
    if let Some(x) = open.get(REDIRECT_BACK).and_then(|i| out.get_mut(*i)) {
        match result {
            Some(r) if r.starts_with("linked") => {
                x.status = Some(200);
                x.response_body = r.to_owned();
            }
            Some(r) => x.error = Some(r.to_owned()),
            None => {}
        }
    }
    (out, numbers)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(step: &str, direction: &str, status: Option<i64>, body: &str) -> FlowEntry {
        FlowEntry {
            flow_id: "f".into(),
            user_id: "u".into(),
            seq: 0,
            at: 0,
            step: step.into(),
            direction: direction.into(),
            method: (direction == "request").then(|| "POST".into()),
            url: (direction == "request").then(|| "https://id.example/token".into()),
            status,
            headers: serde_json::json!({}),
            body: body.into(),
        }
    }

    #[test]
    fn a_failed_exchange_is_one_red_arrow_among_three() {
        let entries = vec![
            entry("enable skill", "note", None, "client_id=x"),
            entry(AUTHORIZE, "request", None, ""),
            entry(REDIRECT_BACK, "request", None, ""),
            entry(
                "token exchange",
                "request",
                None,
                "grant_type=authorization_code",
            ),
            entry(
                "token exchange",
                "response",
                Some(400),
                "{\"error\":\"invalid_grant\"}",
            ),
            entry(
                "result",
                "note",
                None,
                "token exchange failed: invalid_grant; not linked",
            ),
        ];
        let (x, numbers) = exchanges(&entries);
        assert_eq!(x.len(), 3);
        assert_eq!(numbers, [None, Some(1), Some(2), Some(3), None, None]);
        assert_eq!(x[0].status, Some(302));
        assert_eq!(
            (x[0].from, x[0].to),
            (Some(Lane::Browser), Some(Lane::Provider))
        );
        assert_eq!(
            (x[1].from, x[1].to),
            (Some(Lane::Browser), Some(Lane::Alexa))
        );
        assert!(x[1].error.is_some());
        assert_eq!(x[2].status, Some(400));
        assert_eq!(
            (x[2].from, x[2].to),
            (Some(Lane::Alexa), Some(Lane::Provider))
        );
    }
}
