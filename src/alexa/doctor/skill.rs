//! `mocklink doctor skill`: the checks Amazon's certification runs against a
//! skill hosted as a web service ("Host a Custom Skill as a Web Service",
//! "Security Testing for an Alexa Skill", the account-linking criteria),
//! against any endpoint. Requests it must refuse with HTTP 400, the
//! account-linking answers, the built-in intents of the functional tests,
//! and the limits every answer must keep. Each check is a `Step`, handed to
//! `on_step` as it finishes (the CLI's live checklist).

use super::skill_answers::{built_in_step, linking_step, session_ended_step, TokenCase};
use super::skill_probe::{self as probe, Probe, Signing};
use crate::alexa::RequestSigner;
use crate::linkcheck::{Finding, Report, Rule, Step};
use std::sync::Arc;
use std::time::Duration;

/// Alexa waits about 8 s for a skill (widely reported; see alexa.md §3).
pub const SKILL_DEADLINE: Duration = Duration::from_secs(8);

/// What the doctor tells a reader about its signatures, in the report, the
/// CLI help and the README.
pub const TEST_SIGNATURE_NOTE: &str = "Valid requests are signed with the simulator's TEST key \
(alexa_signing_key_file, chain served at alexa_signature_cert_chain_url), which chains to a test \
root, not Amazon's: a skill verifying against Amazon's real root refuses every request with 400. \
Point its verification at the test root while checking: for the bundled skill \
skill_verify_signatures=true, skill_trusted_roots_file=<the test root PEM>, \
skill_cert_url_prefix=<the URL prefix the chain is served under>; for ask-sdk-express-adapter, \
add the test root to the CA store its SkillRequestSignatureVerifier builds and let it fetch the \
chain from that URL.";

pub const UNSIGNED_NOTE: &str = "No signing key is configured (alexa_signing_key_file, \
alexa_signature_cert_chain_url): valid requests are sent unsigned, so the signature checks only \
mean something against a skill that does not verify signatures — a verifying skill refuses \
everything.";

/// The CLI's help after the flags.
pub const CLI_NOTE: &str = "\
Checks, each printed as it finishes:
  endpoint             HTTPS on port 443 with a certificate for the endpoint's name (skill_https)
  refuses: …           no signature headers (signature_required); SignatureCertChainUrl with http,
                       another host, another path, port 563 (cert_url); a tampered body
                       (tampered_body); a timestamp 200 s old (old_timestamp); another skill's
                       applicationId, with --skill-id (application_id): each must get HTTP 400
  … without token      LaunchRequest and a custom intent without accessToken, with a garbage token
                       and with --revoked-token: a LinkAccount card and speech pointing to the
                       Alexa app (link_account_card, invalid_token)
  AMAZON.*Intent       Help, Stop, Cancel, and Fallback / NavigateHome when the model has them
                       (built_in_intent); SessionEndedRequest (session_ended)
  every answer         within 8 s (skill_response_time), at most 24 KB (response_size), speech
                       under 8,000 characters (speech_length), a valid response envelope
                       (response_schema)

Signatures: valid requests are signed with the simulator's TEST key (alexa_signing_key_file,
chain at alexa_signature_cert_chain_url), which chains to a test root, not Amazon's. A skill
that verifies against Amazon's real root refuses them all with 400. Point its verification at
the test root while checking: for the bundled skill skill_verify_signatures=true,
skill_trusted_roots_file=<test root PEM>, skill_cert_url_prefix=<where the chain is served>;
for ask-sdk-express-adapter, add the test root to the CA store its
SkillRequestSignatureVerifier builds. Without a signing key, valid requests go unsigned and the
signature checks only mean something against a skill that verifies.

Exit status: 0 when no rule fails (warnings allowed), 1 otherwise.";

/// What to check.
#[derive(Debug, Clone)]
pub struct SkillCheck {
    pub endpoint: String,
    /// The applicationId valid requests carry.
    pub skill_id: String,
    /// The skill id was given: also send a request for another skill.
    pub check_application_id: bool,
    /// A token the provider has revoked (the skill must treat it as unlinked).
    pub revoked_token: Option<String>,
    /// The intents of the interaction model.
    pub model_intents: Vec<String>,
    /// Alexa's patience (8 s; shorter only in tests).
    pub deadline: Duration,
}

/// An endpoint is an absolute `http(s)://` URL.
pub fn parse_endpoint(endpoint: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(endpoint.trim())
        .map_err(|e| format!("the endpoint {endpoint:?} is not an absolute URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(format!(
            "the endpoint {endpoint:?} must be an http:// or https:// URL with a host"
        ));
    }
    Ok(url)
}

/// Runs every check; `now` is the clock request timestamps come from.
pub async fn run(
    check: &SkillCheck,
    signer: Option<Arc<RequestSigner>>,
    now: &(dyn Fn() -> i64 + Sync),
    on_step: &mut (dyn FnMut(&Step) + Send),
) -> Result<Report, String> {
    let url = parse_endpoint(&check.endpoint)?;
    let signed = signer.is_some();
    let probe = Probe::new(url.as_str(), signer, check.deadline)?;
    let mut report = Report::new(
        "skill",
        url.as_str(),
        crate::alexa::deliver::iso_timestamp(now()),
    );
    let mut push = |report: &mut Report, step: Step| {
        on_step(&step);
        report.push(step);
    };
    let (step, reachable) = endpoint_step(&probe, &url, check, signed, now()).await;
    push(&mut report, step);
    if !reachable {
        return Ok(report);
    }
    for case in refusal_cases(check) {
        push(&mut report, refusal_step(&probe, check, case, now()).await);
    }
    let custom = check
        .model_intents
        .iter()
        .find(|i| !i.starts_with("AMAZON."))
        .cloned();
    let mut token_cases = vec![TokenCase::Missing, TokenCase::Garbage];
    if let Some(t) = &check.revoked_token {
        token_cases.push(TokenCase::Revoked(t.clone()));
    }
    for case in &token_cases {
        push(
            &mut report,
            linking_step(&probe, check, case, None, signed, now()).await,
        );
        if let Some(intent) = &custom {
            push(
                &mut report,
                linking_step(&probe, check, case, Some(intent), signed, now()).await,
            );
        }
    }
    for intent in [
        "AMAZON.HelpIntent",
        "AMAZON.StopIntent",
        "AMAZON.CancelIntent",
        "AMAZON.FallbackIntent",
        "AMAZON.NavigateHomeIntent",
    ] {
        let required = matches!(
            intent,
            "AMAZON.HelpIntent" | "AMAZON.StopIntent" | "AMAZON.CancelIntent"
        );
        if required || check.model_intents.iter().any(|i| i == intent) {
            push(
                &mut report,
                built_in_step(&probe, check, intent, signed, now()).await,
            );
        }
    }
    push(
        &mut report,
        session_ended_step(&probe, check, signed, now()).await,
    );
    Ok(report)
}

/// HTTPS, port 443 and the certificate's name, judged on a first signed
/// LaunchRequest; `false` when the endpoint cannot be reached at all.
async fn endpoint_step(
    probe: &Probe,
    url: &url::Url,
    check: &SkillCheck,
    signed: bool,
    now: i64,
) -> (Step, bool) {
    let local = crate::linkcheck::is_loopback(url);
    let mut findings = Vec::new();
    let refuse = |evidence: String, advice: &str| {
        if local {
            Finding::warn(
                Rule::SkillHttps,
                format!("{evidence}: works here, Amazon would refuse it"),
                advice,
            )
        } else {
            Finding::fail(Rule::SkillHttps, evidence, advice)
        }
    };
    if url.scheme() != "https" {
        findings.push(refuse(
            format!("the endpoint uses {}", url.scheme()),
            "serve the skill over HTTPS (for a local skill: a tunnel with a public certificate)",
        ));
    }
    match url.port_or_known_default() {
        Some(443) => {}
        Some(port) => findings.push(refuse(
            format!("the endpoint uses port {port}"),
            "serve the skill on port 443; Alexa calls no other port",
        )),
        None => findings.push(refuse("the endpoint has no port".into(), "use port 443")),
    }
    let envelope = probe.envelope(probe::launch(now), &check.skill_id, None, now);
    let answer = probe.send(&envelope, Signing::Valid).await;
    let reachable = answer.status.is_some() || answer.timed_out;
    match (&answer.error, reachable) {
        (Some(e), false) if url.scheme() == "https" => findings.push(Finding::fail(
            Rule::SkillHttps,
            format!("no TLS connection to the endpoint: {e}"),
            "present a certificate from a CA Amazon trusts whose name (SAN) matches the endpoint's host",
        )),
        (Some(e), false) => findings.push(Finding::fail(
            Rule::SkillHttps,
            format!("the endpoint could not be reached: {e}"),
            "start the skill, or check the URL",
        )),
        _ if url.scheme() == "https" && findings.is_empty() => findings.push(Finding::pass(
            Rule::SkillHttps,
            "HTTPS on port 443 with a certificate that matches the endpoint",
        )),
        _ => {}
    }
    let note = if signed {
        TEST_SIGNATURE_NOTE
    } else {
        UNSIGNED_NOTE
    };
    let summary = match answer.status {
        Some(s) => format!("the endpoint answered HTTP {s}. {note}"),
        None if reachable => format!("the endpoint did not answer in time. {note}"),
        None => "the endpoint could not be reached; nothing else was checked".to_owned(),
    };
    (
        Step::new("endpoint", summary, findings, vec![answer.exchange]),
        reachable,
    )
}

/// One request the skill must refuse.
struct Refusal {
    name: String,
    rule: Rule,
    what: String,
    advice: &'static str,
    signing: Signing,
    application_id: Option<String>,
    timestamp_offset: i64,
    tamper: bool,
}

fn refusal_cases(check: &SkillCheck) -> Vec<Refusal> {
    let case = |name: &str, rule, what: &str, advice, signing| Refusal {
        name: name.to_owned(),
        rule,
        what: what.to_owned(),
        advice,
        signing,
        application_id: None,
        timestamp_offset: 0,
        tamper: false,
    };
    const CERT_ADVICE: &str = "check SignatureCertChainUrl before downloading it: https, host s3.amazonaws.com, path starting /echo.api/ (after resolving . and ..), port 443 if any; answer 400 otherwise";
    let mut cases = vec![case(
        "refuses: no signature headers",
        Rule::SignatureRequired,
        "a request without SignatureCertChainUrl and Signature-256",
        "verify every request's signature (ask-sdk: SkillRequestSignatureVerifier) and answer 400 when the headers are missing",
        Signing::Unsigned,
    )];
    for (label, url) in [
        (
            "http scheme",
            "http://s3.amazonaws.com/echo.api/echo-api-cert.pem",
        ),
        (
            "another host",
            "https://notamazon.com/echo.api/echo-api-cert.pem",
        ),
        (
            "another path",
            "https://s3.amazonaws.com/invalid.path/echo-api-cert.pem",
        ),
        (
            "port 563",
            "https://s3.amazonaws.com:563/echo.api/echo-api-cert.pem",
        ),
    ] {
        cases.push(case(
            &format!("refuses: cert URL with {label}"),
            Rule::CertUrl,
            &format!("SignatureCertChainUrl {url}"),
            CERT_ADVICE,
            Signing::CertUrl(url.to_owned()),
        ));
    }
    cases.push(Refusal {
        tamper: true,
        ..case(
            "refuses: tampered body",
            Rule::TamperedBody,
            "a body other than the one Signature-256 was made over",
            "verify Signature-256 over the raw body bytes (RSA-SHA256 with the signing certificate's key) and answer 400 when it does not match",
            Signing::Valid,
        )
    });
    cases.push(Refusal {
        timestamp_offset: -200,
        ..case(
            "refuses: timestamp 200 s old",
            Rule::OldTimestamp,
            "a correctly signed request whose timestamp is 200 s old",
            "refuse requests whose request.timestamp is more than 150 s from now (ask-sdk: TimestampVerifier)",
            Signing::Valid,
        )
    });
    if check.check_application_id {
        cases.push(Refusal {
            application_id: Some(
                "amzn1.ask.skill.00000000-0000-0000-0000-000000000000".to_owned(),
            ),
            ..case(
                "refuses: another skill's applicationId",
                Rule::ApplicationId,
                "a correctly signed request for applicationId amzn1.ask.skill.00000000-…",
                "compare context.System.application.applicationId with your skill id (ask-sdk: .withSkillId) and answer 400 on a mismatch",
                Signing::Valid,
            )
        });
    }
    cases
}

async fn refusal_step(probe: &Probe, check: &SkillCheck, case: Refusal, now: i64) -> Step {
    let app_id = case.application_id.as_deref().unwrap_or(&check.skill_id);
    let at = now + case.timestamp_offset;
    let envelope = probe.envelope(probe::launch(at), app_id, None, at);
    let signing = if case.tamper {
        // The signature of the untampered body, sent with a token added.
        let original = serde_json::to_vec(&envelope).expect("envelopes serialise");
        Signing::OtherBody(original)
    } else {
        case.signing
    };
    let sent = if case.tamper {
        let mut t = envelope.clone();
        t.context.system.user.access_token = Some("stolen-by-a-middleman".into());
        t
    } else {
        envelope
    };
    let answer = probe.send(&sent, signing).await;
    let finding = match answer.status {
        Some(400) => Finding::pass(case.rule, format!("{} got HTTP 400", case.what)),
        Some(s) if (200..300).contains(&s) => Finding::fail(
            case.rule,
            format!(
                "{} got HTTP {s}: the skill accepted it and would fail certification",
                case.what
            ),
            case.advice,
        ),
        Some(s) => Finding::warn(
            case.rule,
            format!(
                "{} got HTTP {s}: refused, but Amazon expects 400",
                case.what
            ),
            "answer verification failures with 400 Bad Request",
        ),
        None => Finding::fail(
            case.rule,
            format!(
                "{} got no answer ({})",
                case.what,
                answer.error.as_deref().unwrap_or("no answer")
            ),
            "answer verification failures at once with 400 Bad Request",
        ),
    };
    let summary = match answer.status {
        Some(400) => "HTTP 400, as Amazon requires".to_owned(),
        Some(s) if (200..300).contains(&s) => {
            format!("HTTP {s}: accepted, the skill would fail certification")
        }
        Some(s) => format!("HTTP {s}: refused, but Amazon expects 400"),
        None => "no answer".to_owned(),
    };
    Step::new(case.name, summary, vec![finding], vec![answer.exchange])
}
