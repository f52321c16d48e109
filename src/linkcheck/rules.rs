//! The rules of the console's URIs and of the redirect back to Alexa.

use super::{Finding, Rule};

/// Which URI of the console's Account Linking form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UriKind {
    Authorization,
    AccessToken,
}

impl UriKind {
    fn label(self) -> &'static str {
        match self {
            UriKind::Authorization => "Web Authorization URI",
            UriKind::AccessToken => "Access Token URI",
        }
    }
}

/// Whether `url` names this machine (`localhost` or a loopback address).
pub fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// HTTPS and port 443 for one of the console's URIs. A loopback `http://`
/// URI is a warning ("works here, Alexa would refuse it") unless `strict`.
pub fn check_uri(kind: UriKind, uri: &str, strict: bool) -> Vec<Finding> {
    let label = kind.label();
    let Ok(url) = url::Url::parse(uri) else {
        return vec![Finding::fail(
            Rule::Https,
            format!("the {label} {uri:?} is not an absolute URL"),
            "enter the full https:// address",
        )];
    };
    let local = is_loopback(&url) && !strict;
    let refuse = |rule, evidence: String, advice: &str| {
        if local {
            Finding::warn(
                rule,
                format!("{evidence}: works here, Alexa would refuse it"),
                advice,
            )
        } else {
            Finding::fail(rule, evidence, advice)
        }
    };
    let mut findings = Vec::new();
    if url.scheme() == "https" {
        findings.push(Finding::pass(
            Rule::Https,
            format!("the {label} uses https"),
        ));
    } else {
        findings.push(refuse(
            Rule::Https,
            format!("the {label} {uri} uses {}", url.scheme()),
            "serve it over HTTPS (for a local server: a tunnel with a public certificate)",
        ));
    }
    match url.port_or_known_default() {
        Some(443) => findings.push(Finding::pass(
            Rule::Port443,
            format!("the {label} uses port 443"),
        )),
        Some(port) => findings.push(refuse(
            Rule::Port443,
            format!("the {label} uses port {port}"),
            "serve it on port 443; Alexa calls no other port",
        )),
        None => findings.push(refuse(
            Rule::Port443,
            format!("the {label} has no port"),
            "serve it on port 443",
        )),
    }
    findings
}

/// The redirect back to Alexa: the same `state`, and a `code`, not an `error`.
pub fn check_callback(sent_state: &str, landed_on: &str) -> Finding {
    let Ok(url) = url::Url::parse(landed_on) else {
        return Finding::fail(
            Rule::StateEchoed,
            format!("{landed_on:?} is not a URL"),
            "paste the whole address the browser ended on",
        );
    };
    let param = |name: &str| {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    if let Some(error) = param("error") {
        let description = param("error_description").unwrap_or_default();
        return Finding::fail(
            Rule::StateEchoed,
            format!("the provider redirected back with error={error} {description}").trim_end().to_owned(),
            "the authorization server returned an error parameter (RFC 6749 §4.1.2.1): check the client id, the scopes and the redirect URL",
        );
    }
    let hint = |s: &str| s.chars().take(4).collect::<String>() + "…";
    match param("state") {
        None => Finding::fail(
            Rule::StateEchoed,
            "the redirect has no state",
            "send back the state parameter exactly as Alexa sent it",
        ),
        Some(s) if s != sent_state => Finding::fail(
            Rule::StateEchoed,
            format!(
                "state came back as {} but {} was sent",
                hint(&s),
                hint(sent_state)
            ),
            "send back the state parameter unchanged (not decoded or encoded twice)",
        ),
        Some(_) if param("code").is_none_or(|c| c.is_empty()) => Finding::fail(
            Rule::StateEchoed,
            "the redirect has the state but no code",
            "send the authorization code as the code parameter",
        ),
        Some(_) => Finding::pass(Rule::StateEchoed, "state echoed unchanged, with a code"),
    }
}

#[cfg(test)]
mod tests {
    use super::super::{worst, Verdict};
    use super::*;

    fn verdict_of(findings: &[Finding], rule: Rule) -> Option<Verdict> {
        findings.iter().find(|f| f.rule == rule).map(|f| f.verdict)
    }

    #[test]
    fn local_http_works_here_but_alexa_would_refuse_it() {
        let f = check_uri(
            UriKind::AccessToken,
            "http://127.0.0.1:8080/api/token",
            false,
        );
        assert_eq!(worst(&f), Verdict::Warn);
        assert!(f[0].evidence.contains("Alexa would refuse it"));
        let f = check_uri(
            UriKind::AccessToken,
            "http://127.0.0.1:8080/api/token",
            true,
        );
        assert_eq!(worst(&f), Verdict::Fail);
        let f = check_uri(
            UriKind::Authorization,
            "https://id.example:8443/authorize",
            false,
        );
        assert_eq!(verdict_of(&f, Rule::Https), Some(Verdict::Pass));
        assert_eq!(verdict_of(&f, Rule::Port443), Some(Verdict::Fail));
        assert_eq!(
            worst(&check_uri(
                UriKind::Authorization,
                "https://id.example/authorize",
                true
            )),
            Verdict::Pass
        );
    }

    #[test]
    fn the_callback_must_echo_state_and_carry_a_code() {
        let base = "https://pitangui.amazon.com/api/skill/link/V";
        let ok = check_callback("xyz123", &format!("{base}?state=xyz123&code=c"));
        assert_eq!(ok.verdict, Verdict::Pass);
        for landed in [
            format!("{base}?code=c"),
            format!("{base}?state=other&code=c"),
            format!("{base}?state=xyz123"),
            format!("{base}?state=xyz123&error=invalid_scope"),
        ] {
            assert_eq!(
                check_callback("xyz123", &landed).verdict,
                Verdict::Fail,
                "{landed}"
            );
        }
    }
}
