//! The authorization step: the request exactly as Alexa sends it, the
//! user's part (automated, pasted or asked for), and the redirect back.

use super::login::{self, Outcome};
use super::provider::{authorization_url, new_secrets, Authorize, ProviderInput};
use crate::linkcheck::{check_callback, Finding, Rule, Step};

/// The authorization step: its `Step` and, when a code came back, the code
/// and the PKCE verifier. `None` when the request cannot even be built.
pub(super) async fn step(
    input: &ProviderInput,
    authorize: Authorize,
    http: &reqwest::Client,
    redirect_uri: &str,
) -> Option<(Step, Option<(String, Option<String>)>)> {
    let (state, verifier, pasted) = match &authorize {
        Authorize::Pasted {
            state,
            verifier,
            landed,
        } => (state.clone(), verifier.clone(), Some(landed.clone())),
        _ => {
            let (s, v) = new_secrets(input.linking.pkce);
            (s, v, None)
        }
    };
    let url = authorization_url(input, &state, verifier.as_deref()).ok()?;
    let region = if input.redirect_uri.is_some() {
        "the --redirect-uri given".to_owned()
    } else {
        format!("Alexa's {} region", input.region)
    };
    let mut exchanges = Vec::new();
    let outcome = match authorize {
        Authorize::Login { username, password } => {
            login::walk(
                http,
                &url,
                redirect_uri,
                &username,
                &password,
                &mut exchanges,
            )
            .await
        }
        Authorize::Pasted { .. } => Outcome::Landed(pasted.unwrap_or_default()),
        Authorize::Prompt(ask) => match ask(&url) {
            Some(landed) => Outcome::Landed(landed.trim().to_owned()),
            None => Outcome::Stuck("no address was pasted".into()),
        },
    };
    let mut findings = Vec::new();
    let (summary, code) = match outcome {
        Outcome::Landed(landed) => {
            let on_redirect = url::Url::parse(&landed).is_ok_and(|u| {
                let mut bare = u.clone();
                bare.set_query(None);
                bare.as_str().trim_end_matches('/') == redirect_uri.trim_end_matches('/')
            });
            if on_redirect {
                findings.push(Finding::pass(
                    Rule::RedirectUri,
                    format!("the provider redirected to {redirect_uri} ({region})"),
                ));
            } else {
                findings.push(Finding::fail(
                    Rule::RedirectUri,
                    format!("the browser ended on {landed}, not on the redirect URI {redirect_uri} ({region})"),
                    format!("redirect back to exactly the redirect_uri sent ({redirect_uri})"),
                ));
            }
            let callback = check_callback(&state, &landed);
            let ok = callback.verdict != crate::linkcheck::Verdict::Fail;
            findings.push(callback);
            let code = url::Url::parse(&landed).ok().and_then(|u| {
                u.query_pairs()
                    .find(|(k, _)| k == "code")
                    .map(|(_, v)| v.into_owned())
            });
            match code.filter(|_| ok && on_redirect) {
                Some(code) => (
                    "logged in, consented, and redirected back with a code".to_owned(),
                    Some((code, verifier)),
                ),
                None => ("the redirect back carried no usable code".to_owned(), None),
            }
        }
        Outcome::Refused { status, body } => {
            findings.push(Finding::fail(
                Rule::RedirectUri,
                format!(
                    "the authorization URI refused the request with HTTP {status} for redirect_uri {redirect_uri} ({region}): {body}"
                ),
                format!(
                    "register {redirect_uri} as an allowed redirect URL for client {} — Alexa uses a different URL in each region (pitangui.amazon.com, layla.amazon.com, alexa.amazon.co.jp): register all three",
                    input.linking.client_id
                ),
            ));
            (format!("refused (HTTP {status})"), None)
        }
        Outcome::Stuck(why) => {
            findings.push(Finding::fail(
                Rule::StateEchoed,
                format!("the flow did not come back to {redirect_uri}: {why}"),
                "check --login, or run without --login, open the URL yourself and paste the address the browser ends on",
            ));
            (
                "the flow did not come back to the redirect URI".to_owned(),
                None,
            )
        }
    };
    let mut step = Step::new("authorization", summary, findings, exchanges);
    step.summary = format!(
        "{} — {}",
        step.summary,
        crate::alexa::oauth::redact_url(&url)
    );
    Some((step, code))
}
