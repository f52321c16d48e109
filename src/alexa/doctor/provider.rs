//! The provider side: Alexa's own client (`LinkingConfig::client`, the
//! `AlexaTokenResponse` the simulator parses with) run against any
//! provider, step by step, each step judged by `linkcheck`'s rules.

use super::record::{self, Raw};
use super::tls;
use crate::alexa::oauth::{AlexaTokenResponse, LinkingConfig};
use crate::linkcheck::{
    check_token_answer, check_uri, Exchange, Finding, Grant, Lane, Report, Rule, Step, TokenAnswer,
    UriKind,
};
use crate::wire::alexa::region::Region;
use oauth2::{
    AuthorizationCode, CsrfToken, PkceCodeChallenge, PkceCodeVerifier, RefreshToken, Scope,
    TokenResponse,
};
use serde::{Deserialize, Serialize};
use std::sync::Mutex;

/// What the doctor checks: the console's Account Linking form and how to
/// play the user.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProviderInput {
    pub linking: LinkingConfig,
    pub region: Region,
    /// Sent instead of the region's Alexa redirect URL (a local one the
    /// provider allows, for a provider that cannot register Amazon's).
    pub redirect_uri: Option<String>,
    /// A protected URL to call with the access token.
    pub api_url: Option<String>,
    /// Local `http://` URIs fail instead of warn.
    pub strict: bool,
}

impl ProviderInput {
    /// The `redirect_uri` Alexa sends for this region.
    pub fn redirect_uri(&self) -> String {
        self.redirect_uri
            .clone()
            .unwrap_or_else(|| self.region.redirect_uri(&self.linking.vendor_id))
    }
}

/// How the user's part (login, consent) is played.
pub enum Authorize {
    /// Fill a plain HTML login form and the consent form.
    Login { username: String, password: String },
    /// A person did it; this is where their browser landed. `state` and
    /// `verifier` are the ones of the URL they opened.
    Pasted {
        state: String,
        verifier: Option<String>,
        landed: String,
    },
    /// Ask a person now: shown the URL, answers the landing address.
    Prompt(Ask),
}

/// Shows a person the URL to open; returns the address they landed on.
pub type Ask = Box<dyn FnOnce(&str) -> Option<String>>;

/// A fresh `state` and, with PKCE, a code verifier.
pub fn new_secrets(pkce: bool) -> (String, Option<String>) {
    let state = CsrfToken::new_random().secret().clone();
    let verifier = pkce.then(|| PkceCodeChallenge::new_random_sha256().1.secret().clone());
    (state, verifier)
}

/// The authorization request exactly as Alexa sends it: response_type=code,
/// client_id, redirect_uri, the scopes joined with spaces, state and, with
/// PKCE, an S256 challenge.
pub fn authorization_url(
    input: &ProviderInput,
    state: &str,
    verifier: Option<&str>,
) -> Result<String, String> {
    let client = input.linking.client(&input.redirect_uri())?;
    let state = state.to_owned();
    let mut req = client.authorize_url(move || CsrfToken::new(state));
    for scope in &input.linking.scopes {
        req = req.add_scope(Scope::new(scope.clone()));
    }
    if let Some(v) = verifier {
        let challenge =
            PkceCodeChallenge::from_code_verifier_sha256(&PkceCodeVerifier::new(v.to_owned()));
        req = req.set_pkce_challenge(challenge);
    }
    Ok(req.url().0.to_string())
}

/// Runs every step, calling `on_step` as each ends.
pub async fn run(
    input: &ProviderInput,
    authorize: Authorize,
    on_step: &mut dyn FnMut(&Step),
) -> Report {
    let mut report = Report::new(
        "provider",
        input.linking.token_url.clone(),
        super::now_rfc3339(),
    );
    let mut push = |report: &mut Report, step: Step| {
        on_step(&step);
        report.push(step);
    };
    for (kind, label, uri) in [
        (
            UriKind::Authorization,
            "Web Authorization URI",
            &input.linking.authorization_url,
        ),
        (
            UriKind::AccessToken,
            "Access Token URI",
            &input.linking.token_url,
        ),
    ] {
        let mut findings = check_uri(kind, uri, input.strict);
        findings.push(tls::check(label, uri).await);
        push(&mut report, Step::new(label, uri.clone(), findings, vec![]));
    }
    // Pages and the API: no redirects followed by the client itself.
    let http = match reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
    {
        Ok(h) => h,
        Err(e) => {
            push(&mut report, config_step(format!("no HTTP client: {e}")));
            return report;
        }
    };
    let redirect_uri = input.redirect_uri();
    let Some(code) = super::authorization::step(input, authorize, &http, &redirect_uri)
        .await
        .and_then(|(step, code)| {
            push(&mut report, step);
            code
        })
    else {
        if report.steps.len() == 2 {
            push(
                &mut report,
                config_step("the form's URLs are not valid URLs".into()),
            );
        }
        return report;
    };
    let (code, verifier) = code;
    let client = match input.linking.client(&redirect_uri) {
        Ok(c) => c,
        Err(e) => {
            push(&mut report, config_step(e));
            return report;
        }
    };
    let default_expiration = u64::try_from(input.linking.default_expiration_seconds)
        .ok()
        .filter(|s| *s > 0);

    // The code exchange.
    let slot = Mutex::new(None);
    let sender = |r| record::token_call(&http, r, &slot);
    let mut req = client.exchange_code(AuthorizationCode::new(code));
    if let Some(v) = verifier {
        req = req.set_pkce_verifier(PkceCodeVerifier::new(v));
    }
    let parsed = req.request_async(&sender).await;
    let (step, tokens) = token_step(
        "code exchange",
        Grant::AuthorizationCode,
        slot.lock().ok().and_then(|mut s| s.take()),
        parsed.map_err(|e| e.to_string()),
        default_expiration,
    );
    push(&mut report, step);
    let Some(first) = tokens else {
        return report;
    };

    // An immediate refresh with the first refresh token.
    let Some(first_refresh) = first.refresh.clone() else {
        push(
            &mut report,
            Step::new(
                "refresh",
                "skipped: the code exchange gave no refresh token",
                vec![Finding::fail(
                    Rule::RefreshWorks,
                    "no refresh token to refresh with: the link ends when the access token expires",
                    "issue a refresh token with the authorization code grant",
                )],
                vec![],
            ),
        );
        if let Some(api) = &input.api_url {
            push(&mut report, api_step(&http, api, &first.access).await);
        }
        return report;
    };
    let refreshed = refresh(&client, &http, &first_refresh).await;
    let (mut step, tokens) = token_step(
        "refresh",
        Grant::RefreshToken,
        refreshed.0,
        refreshed.1,
        default_expiration,
    );
    step.findings.push(match &tokens {
        Some(_) => Finding::pass(Rule::RefreshWorks, "the refresh gave a new access token"),
        None => Finding::fail(
            Rule::RefreshWorks,
            format!("the refresh right after linking was refused: {}", step.summary),
            "accept the refresh token just issued (grant_type=refresh_token, with the same client authentication as the code exchange)",
        ),
    });
    let step = Step::new(step.name, step.summary, step.findings, step.exchanges);
    push(&mut report, step);
    let access = tokens
        .as_ref()
        .map(|t| t.access.clone())
        .unwrap_or(first.access.clone());
    let rotated = tokens
        .as_ref()
        .and_then(|t| t.refresh.as_ref())
        .is_some_and(|r| *r != first_refresh);
    if let Some(api) = &input.api_url {
        push(&mut report, api_step(&http, api, &access).await);
    }
    if tokens.is_none() {
        return report;
    }

    // Alexa may retry a refresh whose answer it lost, with the token it has.
    let (captured, parsed) = refresh(&client, &http, &first_refresh).await;
    let exchanges: Vec<Exchange> = captured.iter().map(|(e, _)| e.clone()).collect();
    let status = captured.as_ref().and_then(|(_, raw)| raw.status);
    let finding = match (&parsed, rotated) {
        (Ok(_), true) => Finding::pass(
            Rule::RefreshRetry,
            "the provider rotates refresh tokens and still accepted the previous one once more (a grace window)",
        ),
        (Ok(_), false) => Finding::pass(
            Rule::RefreshRetry,
            "the same refresh token worked again",
        ),
        (Err(e), _) => Finding::fail(
            Rule::RefreshRetry,
            format!(
                "a second refresh with the first refresh token was refused ({}){}: if Alexa's refresh answer is lost, Alexa retries with the token it has, the provider refuses it and the user must link again",
                status.map(|s| format!("HTTP {s}: {e}")).unwrap_or_else(|| e.clone()),
                if rotated { "; the provider rotates refresh tokens" } else { "" }
            ),
            "accept a just-used refresh token again for a short grace period (or do not rotate refresh tokens), and never revoke the grant on such a retry",
        )
        .assumed(),
    };
    let summary = if finding.verdict == crate::linkcheck::Verdict::Pass {
        "a retried refresh works"
    } else {
        "a retried refresh is refused"
    };
    push(
        &mut report,
        Step::new("refresh retry", summary, vec![finding], exchanges),
    );
    report
}

fn config_step(why: String) -> Step {
    Step::new(
        "configuration",
        format!("the check cannot go on: {why}"),
        vec![Finding::fail(
            Rule::Https,
            why,
            "fix the Account Linking form's URLs",
        )],
        vec![],
    )
}

type Captured = Option<(Exchange, Raw)>;

async fn refresh(
    client: &crate::alexa::oauth::AlexaClient,
    http: &reqwest::Client,
    token: &str,
) -> (Captured, Result<AlexaTokenResponse, String>) {
    let slot = Mutex::new(None);
    let sender = |r| record::token_call(http, r, &slot);
    let refresh_token = RefreshToken::new(token.to_owned());
    let parsed = client
        .exchange_refresh_token(&refresh_token)
        .request_async(&sender)
        .await
        .map_err(|e| describe(&e));
    (slot.lock().ok().and_then(|mut s| s.take()), parsed)
}

fn describe<E: std::error::Error + 'static>(e: &E) -> String {
    record::error_chain(e)
}

/// The tokens a step got.
struct Tokens {
    access: String,
    refresh: Option<String>,
}

/// Judges one token answer; the tokens as Alexa's client read them or, if
/// it refused the answer, as the raw JSON has them (so later steps still
/// show what else is wrong).
fn token_step(
    name: &str,
    grant: Grant,
    captured: Captured,
    parsed: Result<AlexaTokenResponse, String>,
    default_expiration: Option<u64>,
) -> (Step, Option<Tokens>) {
    let Some((exchange, raw)) = captured else {
        let why = parsed.err().unwrap_or_default();
        return (
            Step::new(
                name,
                format!("no request was sent: {why}"),
                vec![config_finding(&why)],
                vec![],
            ),
            None,
        );
    };
    let findings = check_token_answer(&TokenAnswer {
        grant,
        status: raw.status,
        content_type: raw.content_type.as_deref(),
        body: &raw.body,
        elapsed: raw.elapsed,
        failure: raw.failure.as_deref(),
        default_expiration,
    });
    let from_json = || {
        let v: serde_json::Value = serde_json::from_slice(&raw.body).ok()?;
        let access = v.get("access_token")?.as_str()?.to_owned();
        let refresh = v
            .get("refresh_token")
            .and_then(|r| r.as_str())
            .map(str::to_owned);
        Some(Tokens { access, refresh })
    };
    let (summary, tokens) = match (&parsed, raw.status) {
        (Ok(t), _) => (
            format!(
                "tokens issued in {} ms (HTTP {})",
                raw.elapsed.as_millis(),
                raw.status.unwrap_or_default()
            ),
            Some(Tokens {
                access: t.access_token().secret().clone(),
                refresh: t.refresh_token().map(|r| r.secret().clone()),
            }),
        ),
        (Err(e), Some(s)) if (200..300).contains(&s) => (
            format!("HTTP {s}, but Alexa's client refused the answer: {e}"),
            from_json(),
        ),
        (Err(e), Some(s)) => (format!("refused (HTTP {s}): {e}"), None),
        (Err(_), None) => (
            format!("no answer: {}", raw.failure.clone().unwrap_or_default()),
            None,
        ),
    };
    (Step::new(name, summary, findings, vec![exchange]), tokens)
}

fn config_finding(why: &str) -> Finding {
    Finding::fail(Rule::Status, why.to_owned(), "fix the Access Token URI")
}

async fn api_step(http: &reqwest::Client, api: &str, access: &str) -> Step {
    let req = match http.get(api).bearer_auth(access).build() {
        Ok(r) => r,
        Err(e) => {
            return Step::new(
                "api call",
                format!("{api} is not a URL: {e}"),
                vec![Finding::fail(
                    Rule::Status,
                    format!("--api-url {api} is not a URL"),
                    "give an absolute URL",
                )],
                vec![],
            )
        }
    };
    let mut exchange = record::request_exchange(
        Lane::Alexa,
        Lane::Api,
        "GET",
        api,
        record::headers(req.headers()),
        "",
    );
    let raw = record::send(http, req, std::time::Duration::from_secs(10), &mut exchange).await;
    let finding = match raw.status {
        Some(s) if (200..300).contains(&s) => {
            Finding::pass(Rule::Status, format!("the API answered HTTP {s} to the access token"))
        }
        Some(s) => Finding::fail(
            Rule::Status,
            format!("the API answered HTTP {s} to the access token just issued"),
            "the API must accept the provider's access tokens as bearer tokens (audience, issuer, scopes)",
        ),
        None => Finding::fail(
            Rule::Status,
            format!("the API did not answer: {}", raw.failure.unwrap_or_default()),
            "make the API reachable",
        ),
    };
    let summary = format!("GET {api} with the access token");
    Step::new("api call", summary, vec![finding], vec![exchange])
}
