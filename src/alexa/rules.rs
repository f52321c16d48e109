//! Alexa's account-linking rules (`linkcheck`) applied by the simulator on
//! every link and refresh: the console's URIs, a preflight of the user's
//! regional redirect URL, the redirect back, every token answer. Each
//! finding is stored with its flow; in strict mode (`alexa_strict`) a
//! failing one fails the link as Alexa would.

use super::oauth::{FlowCtx, LinkingConfig};
use super::SimulatorState;
use crate::linkcheck::{check_uri, Finding, Rule, UriKind, Verdict};
use crate::store::FlowFinding;
use crate::wire::alexa::Region;
use serde::{Deserialize, Serialize};

/// Which redirect URL a linking sends to the authorization and token URIs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RedirectChoice {
    /// The simulator's own callback when the provider accepts it (the
    /// browser comes back by itself), else Alexa's regional URL.
    #[default]
    Auto,
    /// Alexa's URL for the user's region, as Alexa sends it; the browser
    /// ends on Amazon's host and its address is pasted back.
    Regional,
    /// The simulator's own `/api/skill/link/{vendorId}`.
    Local,
}

impl RedirectChoice {
    pub fn parse(text: &str) -> Option<RedirectChoice> {
        match text.trim().to_ascii_lowercase().as_str() {
            "" | "auto" => Some(RedirectChoice::Auto),
            "regional" => Some(RedirectChoice::Regional),
            "local" => Some(RedirectChoice::Local),
            _ => None,
        }
    }
}

pub fn strict(state: &SimulatorState) -> bool {
    state.settings.simulator.strict
}

/// HTTPS and port 443 for the Web Authorization URI and the Access Token URI.
pub fn uri_findings(cfg: &LinkingConfig, strict: bool) -> Vec<Finding> {
    let mut findings = check_uri(UriKind::Authorization, &cfg.authorization_url, strict);
    findings.extend(check_uri(UriKind::AccessToken, &cfg.token_url, strict));
    findings
}

/// What the provider made of an authorization request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Judgement {
    Accepted(String),
    Refused(String),
    /// The request got no answer: nothing can be said.
    Unknown(String),
}

fn page_text(body: &str) -> String {
    // The page's title or first words, enough to recognise an error page.
    let lower = body.to_ascii_lowercase();
    let text = match (lower.find("<title>"), lower.find("</title>")) {
        (Some(a), Some(b)) if b > a + 7 => body[a + 7..b].to_owned(),
        _ => body.to_owned(),
    };
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let cut: String = flat.chars().take(120).collect();
    if cut.len() < flat.len() {
        format!("{cut}…")
    } else {
        cut
    }
}

/// Phrases of the error pages providers show for an unregistered redirect
/// URL while still answering 200.
const REFUSAL_PHRASES: &[&str] = &[
    "invalid redirect",
    "invalid_redirect",
    "redirect_uri_mismatch",
    "redirect_uri mismatch",
    "redirect uri mismatch",
    "invalid parameter: redirect_uri",
    "unregistered redirect",
];

/// Requests `url` (an authorization request carrying `redirect_uri`) without
/// following redirects, and judges whether the provider accepted it: an
/// error page, a 4xx/5xx or a redirect carrying `error=` is a refusal; a
/// login page, or a redirect to one, is acceptance.
pub async fn judge(http: &reqwest::Client, url: &str, redirect_uri: &str) -> Judgement {
    let res = match http.get(url).send().await {
        Ok(r) => r,
        Err(e) => return Judgement::Unknown(e.to_string()),
    };
    let status = res.status().as_u16();
    let location = res
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = res.text().await.unwrap_or_default();
    if (300..400).contains(&status) {
        let Some(location) = location else {
            return Judgement::Refused(format!("HTTP {status} without a Location"));
        };
        let target = url::Url::parse(url)
            .and_then(|base| base.join(&location))
            .map(|u| u.to_string())
            .unwrap_or(location);
        let error = url::Url::parse(&target).ok().and_then(|u| {
            let from_query = u
                .query_pairs()
                .find(|(k, _)| k == "error")
                .map(|(_, v)| v.into_owned());
            let from_fragment = u.fragment().and_then(|f| {
                form_urlencoded::parse(f.as_bytes())
                    .find(|(k, _)| k == "error")
                    .map(|(_, v)| v.into_owned())
            });
            from_query.or(from_fragment)
        });
        return match error {
            Some(e) => Judgement::Refused(format!(
                "HTTP {status} to {} with error={e}",
                super::oauth::redact_url(&target)
            )),
            None if target.starts_with(redirect_uri) => {
                Judgement::Accepted(format!("HTTP {status} straight back to the redirect URL"))
            }
            None => Judgement::Accepted(format!(
                "HTTP {status} to {} (the login page)",
                super::oauth::redact_url(&target)
            )),
        };
    }
    let text = page_text(&body);
    if status >= 400 {
        return Judgement::Refused(format!("HTTP {status}: {text}"));
    }
    let lower = body.to_ascii_lowercase();
    if REFUSAL_PHRASES.iter().any(|p| lower.contains(p)) {
        return Judgement::Refused(format!("HTTP {status}, an error page: {text}"));
    }
    Judgement::Accepted(format!("HTTP {status}: {text}"))
}

/// The preflight: does the provider accept Alexa's redirect URL for the
/// user's region? Judged on the very authorization request Alexa would send.
pub async fn preflight(
    http: &reqwest::Client,
    authorize_url: &str,
    redirect_uri: &str,
    region: Region,
) -> Finding {
    let who = format!("{} ({}) users", region.code(), region_name(region));
    match judge(http, authorize_url, redirect_uri).await {
        Judgement::Accepted(seen) => Finding::pass(
            Rule::RedirectUri,
            format!("the provider accepts the {} redirect URL {redirect_uri}: {seen}", region.code()),
        ),
        Judgement::Refused(seen) => Finding::fail(
            Rule::RedirectUri,
            format!(
                "the provider refused the {} redirect URL {redirect_uri} ({seen}): {who} cannot link",
                region.code()
            ),
            format!(
                "register all three of Alexa's redirect URLs for the client: {}",
                Region::ALL
                    .iter()
                    .map(|r| r.redirect_uri(vendor_of(redirect_uri)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ),
        Judgement::Unknown(why) => Finding::warn(
            Rule::RedirectUri,
            format!("the Web Authorization URI could not be reached to check {redirect_uri}: {why}"),
            "make the Web Authorization URI reachable, then enable the skill again",
        ),
    }
}

fn vendor_of(redirect_uri: &str) -> &str {
    redirect_uri.rsplit('/').next().unwrap_or_default()
}

pub fn region_name(region: Region) -> &'static str {
    match region {
        Region::Na => "North America",
        Region::Eu => "Europe and India",
        Region::Fe => "Far East",
    }
}

/// Findings as stored and shown.
pub fn stored(step: &str, at: i64, findings: &[Finding]) -> Vec<FlowFinding> {
    findings
        .iter()
        .map(|f| FlowFinding {
            step: step.to_owned(),
            rule: f.rule.id().to_owned(),
            verdict: f.verdict.as_str().to_owned(),
            text: f.text.to_owned(),
            evidence: f.evidence.clone(),
            advice: f.advice.clone(),
            assumption: f.assumption,
            page_title: f.page_title.to_owned(),
            page_url: f.page_url.to_owned(),
            at,
        })
        .collect()
}

/// Stores the findings of one step with the flow; a note in the flow log
/// sums them up.
pub async fn record(flow: &FlowCtx<'_>, step: &str, findings: &[Finding]) -> Vec<FlowFinding> {
    let rows = stored(step, flow.now, findings);
    if rows.is_empty() {
        return rows;
    }
    // A diagnostic, like the flow log: failing to write it must not fail the link.
    if let Err(err) = flow
        .store
        .append_findings(flow.flow_id, flow.user_id, &rows)
        .await
    {
        tracing::warn!(error = %err, "could not write the findings");
    }
    let lines: Vec<String> = findings.iter().map(Finding::line).collect();
    flow.note(&format!("rules: {step}"), lines.join("\n")).await;
    rows
}

/// The first failing finding.
pub fn first_failure(findings: &[FlowFinding]) -> Option<&FlowFinding> {
    findings
        .iter()
        .find(|f| f.verdict == Verdict::Fail.as_str())
}

/// `fail lifetime: … → …`, as `Finding::line` says it.
pub fn line(f: &FlowFinding) -> String {
    let mut line = format!("{} {}: {}", f.verdict, f.rule, f.evidence);
    if !f.advice.is_empty() {
        line.push_str(" → ");
        line.push_str(&f.advice);
    }
    if f.assumption {
        line.push_str(" (assumption: Amazon does not document this)");
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_redirect_choice_parses() {
        assert_eq!(RedirectChoice::parse(""), Some(RedirectChoice::Auto));
        assert_eq!(
            RedirectChoice::parse(" Regional "),
            Some(RedirectChoice::Regional)
        );
        assert_eq!(RedirectChoice::parse("local"), Some(RedirectChoice::Local));
        assert_eq!(RedirectChoice::parse("amazon"), None);
    }

    #[test]
    fn an_error_page_is_recognised_by_its_title() {
        assert_eq!(
            page_text("<html><head><title>Invalid redirect URI</title></head><body>x</body>"),
            "Invalid redirect URI"
        );
        assert_eq!(
            vendor_of("https://layla.amazon.com/api/skill/link/V1"),
            "V1"
        );
    }
}
