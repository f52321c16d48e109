//! Alexa's account-linking rules (alexa.md §1, §8, §9) as findings: each
//! names its rule and Amazon's page, shows the evidence and says what to
//! change. Pure functions over what was sent and received, so the simulator
//! (on every link and refresh), the doctor and the recording proxy judge an
//! exchange the same way. Where Amazon is silent a finding says it is an
//! assumption.

pub mod diagram;
pub mod report;
mod rules;
mod token;

pub use diagram::{sequence_svg, sequence_svg_from};
pub use report::{Exchange, Lane, Report, Step};
pub use rules::{check_callback, check_uri, is_loopback, UriKind};
pub use token::{check_token_answer, Grant, TokenAnswer};

use serde::Serialize;
use std::time::Duration;

/// Alexa gives the access-token URI this long to answer.
pub const TOKEN_DEADLINE: Duration = Duration::from_millis(4500);
/// The shortest access-token lifetime Alexa accepts (six minutes).
pub const MIN_LIFETIME_SECONDS: u64 = 360;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Warn,
    Fail,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Warn => "warn",
            Verdict::Fail => "fail",
        }
    }
}

/// One of Amazon's pages a rule comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AmazonPage {
    pub title: &'static str,
    pub url: &'static str,
}

pub const REQUIREMENTS: AmazonPage = AmazonPage {
    title: "Requirements for Account Linking for Alexa Skills",
    url: "https://developer.amazon.com/en-US/docs/alexa/account-linking/requirements-account-linking.html",
};
pub const AUTH_CODE_GRANT: AmazonPage = AmazonPage {
    title: "Configure an Authorization Code Grant",
    url: "https://developer.amazon.com/en-US/docs/alexa/account-linking/configure-authorization-code-grant.html",
};
pub const TROUBLESHOOTING: AmazonPage = AmazonPage {
    title: "Troubleshooting Account Linking",
    url: "https://developer.amazon.com/en-US/docs/alexa/account-linking/troubleshooting-account-linking.html",
};
pub const RFC6749: AmazonPage = AmazonPage {
    title: "RFC 6749, The OAuth 2.0 Authorization Framework (which Alexa's client follows)",
    url: "https://www.rfc-editor.org/rfc/rfc6749",
};

pub const HOST_WEB_SERVICE: AmazonPage = AmazonPage {
    title: "Host a Custom Skill as a Web Service",
    url: "https://developer.amazon.com/en-US/docs/alexa/custom-skills/host-a-custom-skill-as-a-web-service.html",
};
pub const SECURITY_TESTING: AmazonPage = AmazonPage {
    title: "Security Testing for an Alexa Skill",
    url: "https://developer.amazon.com/en-US/docs/alexa/custom-skills/security-testing-for-an-alexa-skill.html",
};
pub const CERTIFICATION: AmazonPage = AmazonPage {
    title: "Certification Requirements for Custom Skills (account linking, functional tests)",
    url: "https://developer.amazon.com/en-US/docs/alexa/custom-skills/certification-requirements-for-custom-skills.html",
};
pub const JSON_REFERENCE: AmazonPage = AmazonPage {
    title: "Request and Response JSON Reference",
    url: "https://developer.amazon.com/en-US/docs/alexa/custom-skills/request-and-response-json-reference.html",
};

/// A rule Alexa applies to a provider or, from `SignatureRequired` on, to a
/// skill hosted as a web service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// The authorization and access-token URIs use HTTPS.
    Https,
    /// … on port 443.
    Port443,
    /// Its certificate chain is complete and from a CA Amazon accepts.
    Certificate,
    /// The access-token URI answers within 4.5 s.
    ResponseTime,
    /// A token request succeeds (200), or fails with 400/401.
    Status,
    /// The answer says `application/json`.
    JsonContentType,
    /// The answer is a JSON object with an `access_token`.
    JsonBody,
    /// `token_type` is present and `bearer`.
    TokenType,
    /// `expires_in` is an integer number of seconds.
    ExpiresIn,
    /// The access token lives at least 360 s.
    Lifetime,
    /// A refresh token comes with the access token.
    RefreshToken,
    /// Error answers follow RFC 6749 §5.2 (`{"error": "invalid_grant"}`).
    ErrorShape,
    /// The redirect back to Alexa carries the `state` Alexa sent, unchanged,
    /// and a `code` (not an `error`).
    StateEchoed,
    /// The provider accepts the region's Alexa redirect URL.
    RedirectUri,
    /// A refresh with the refresh token gives a new access token.
    RefreshWorks,
    /// A refresh retried with the same refresh token still works (Alexa may
    /// retry after a lost answer).
    RefreshRetry,
    /// The skill refuses a request without signature headers (HTTP 400).
    SignatureRequired,
    /// … a `SignatureCertChainUrl` that breaks Amazon's rules.
    CertUrl,
    /// … a body the signature was not made over.
    TamperedBody,
    /// … a request whose timestamp is over 150 s old.
    OldTimestamp,
    /// … a request for another skill's `applicationId`.
    ApplicationId,
    /// A request without an access token gets a LinkAccount card.
    LinkAccountCard,
    /// A request with an invalid or revoked token gets a LinkAccount card,
    /// not an error.
    InvalidToken,
    /// The built-in intents of the functional tests get a valid response.
    BuiltInIntent,
    /// A `SessionEndedRequest` gets a valid (silent) response.
    SessionEnded,
    /// The skill answers within about 8 s.
    SkillResponseTime,
    /// The response is at most 24 KB.
    ResponseSize,
    /// Speech is under 8,000 characters.
    SpeechLength,
    /// The response is a valid response envelope.
    ResponseSchema,
    /// The endpoint is HTTPS on port 443 with a certificate for its name.
    SkillHttps,
}

impl Rule {
    pub fn id(self) -> &'static str {
        match self {
            Rule::Https => "https",
            Rule::Port443 => "port_443",
            Rule::Certificate => "certificate",
            Rule::ResponseTime => "response_time",
            Rule::Status => "status",
            Rule::JsonContentType => "json_content_type",
            Rule::JsonBody => "json_body",
            Rule::TokenType => "token_type",
            Rule::ExpiresIn => "expires_in",
            Rule::Lifetime => "lifetime",
            Rule::RefreshToken => "refresh_token",
            Rule::ErrorShape => "error_shape",
            Rule::StateEchoed => "state_echoed",
            Rule::RedirectUri => "redirect_uri",
            Rule::RefreshWorks => "refresh_works",
            Rule::RefreshRetry => "refresh_retry",
            Rule::SignatureRequired => "signature_required",
            Rule::CertUrl => "cert_url",
            Rule::TamperedBody => "tampered_body",
            Rule::OldTimestamp => "old_timestamp",
            Rule::ApplicationId => "application_id",
            Rule::LinkAccountCard => "link_account_card",
            Rule::InvalidToken => "invalid_token",
            Rule::BuiltInIntent => "built_in_intent",
            Rule::SessionEnded => "session_ended",
            Rule::SkillResponseTime => "skill_response_time",
            Rule::ResponseSize => "response_size",
            Rule::SpeechLength => "speech_length",
            Rule::ResponseSchema => "response_schema",
            Rule::SkillHttps => "skill_https",
        }
    }

    /// The rule in one sentence.
    pub fn text(self) -> &'static str {
        match self {
            Rule::Https => "The URI is reachable over HTTPS.",
            Rule::Port443 => "The URI uses port 443.",
            Rule::Certificate => "The certificate chain is complete and issued by a CA Amazon accepts (not Let's Encrypt).",
            Rule::ResponseTime => "The access-token URI answers within 4.5 seconds.",
            Rule::Status => "A token request answers 200 on success and 400 or 401 on failure.",
            Rule::JsonContentType => "Token answers are sent as application/json.",
            Rule::JsonBody => "A successful token answer is a JSON object with an access_token.",
            Rule::TokenType => "The token answer has token_type \"bearer\".",
            Rule::ExpiresIn => "expires_in is an integer number of seconds.",
            Rule::Lifetime => "Access tokens live at least 360 seconds (six minutes).",
            Rule::RefreshToken => "The token answer includes a refresh token.",
            Rule::ErrorShape => "Error answers are JSON with an RFC 6749 error code.",
            Rule::StateEchoed => "The redirect back to Alexa carries the same state and a code.",
            Rule::RedirectUri => "The provider accepts Alexa's redirect URL for the user's region.",
            Rule::RefreshWorks => "Alexa can refresh the access token with the refresh token.",
            Rule::RefreshRetry => "A refresh retried with the same refresh token is not refused.",
            Rule::SignatureRequired => "A request without SignatureCertChainUrl and Signature-256 is refused with HTTP 400.",
            Rule::CertUrl => "A SignatureCertChainUrl other than https://s3.amazonaws.com(:443)/echo.api/… is refused with HTTP 400.",
            Rule::TamperedBody => "A body the Signature-256 was not made over is refused with HTTP 400.",
            Rule::OldTimestamp => "A request whose timestamp is more than 150 seconds old is refused with HTTP 400.",
            Rule::ApplicationId => "A request for another skill's applicationId is refused with HTTP 400.",
            Rule::LinkAccountCard => "A request that needs a linked account and has no accessToken gets a LinkAccount card and speech pointing to the Alexa app.",
            Rule::InvalidToken => "A request with an invalid or revoked accessToken gets a LinkAccount card, not an error.",
            Rule::BuiltInIntent => "The built-in intents (Help, Stop, Cancel, Fallback, NavigateHome) get a valid response.",
            Rule::SessionEnded => "A SessionEndedRequest gets a valid response.",
            Rule::SkillResponseTime => "The skill answers within about 8 seconds.",
            Rule::ResponseSize => "The response is at most 24 KB.",
            Rule::SpeechLength => "Output speech is under 8,000 characters.",
            Rule::ResponseSchema => "The response is a valid response envelope (ask-sdk-model's Response).",
            Rule::SkillHttps => "The endpoint is HTTPS on port 443 with a certificate whose name matches the endpoint.",
        }
    }

    /// Where the rule is written down.
    pub fn page(self) -> AmazonPage {
        match self {
            Rule::Https | Rule::Port443 | Rule::Certificate | Rule::ResponseTime => REQUIREMENTS,
            Rule::Lifetime | Rule::RefreshToken | Rule::RedirectUri => REQUIREMENTS,
            Rule::StateEchoed | Rule::ExpiresIn | Rule::RefreshWorks => AUTH_CODE_GRANT,
            Rule::JsonBody | Rule::RefreshRetry => TROUBLESHOOTING,
            Rule::Status | Rule::JsonContentType | Rule::TokenType | Rule::ErrorShape => RFC6749,
            Rule::SignatureRequired | Rule::CertUrl | Rule::TamperedBody | Rule::OldTimestamp => {
                SECURITY_TESTING
            }
            Rule::ApplicationId | Rule::SkillResponseTime | Rule::SkillHttps => HOST_WEB_SERVICE,
            Rule::LinkAccountCard | Rule::InvalidToken => CERTIFICATION,
            Rule::BuiltInIntent | Rule::SessionEnded => CERTIFICATION,
            Rule::ResponseSize | Rule::SpeechLength | Rule::ResponseSchema => JSON_REFERENCE,
        }
    }
}

/// What a rule found in one exchange.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Finding {
    #[schema(value_type = String, example = "lifetime")]
    #[serde(serialize_with = "rule_id")]
    pub rule: Rule,
    pub verdict: Verdict,
    /// The rule in one sentence.
    pub text: &'static str,
    /// What was seen.
    pub evidence: String,
    /// What to change; empty when the rule passed.
    pub advice: String,
    /// Amazon does not document this; mocklink assumes what Alexa does.
    pub assumption: bool,
    pub page_title: &'static str,
    pub page_url: &'static str,
}

fn rule_id<S: serde::Serializer>(rule: &Rule, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(rule.id())
}

impl Finding {
    fn new(rule: Rule, verdict: Verdict, evidence: impl Into<String>) -> Finding {
        let page = rule.page();
        Finding {
            rule,
            verdict,
            text: rule.text(),
            evidence: evidence.into(),
            advice: String::new(),
            assumption: false,
            page_title: page.title,
            page_url: page.url,
        }
    }

    pub fn pass(rule: Rule, evidence: impl Into<String>) -> Finding {
        Finding::new(rule, Verdict::Pass, evidence)
    }

    pub fn warn(rule: Rule, evidence: impl Into<String>, advice: impl Into<String>) -> Finding {
        Finding::new(rule, Verdict::Warn, evidence).advise(advice)
    }

    pub fn fail(rule: Rule, evidence: impl Into<String>, advice: impl Into<String>) -> Finding {
        Finding::new(rule, Verdict::Fail, evidence).advise(advice)
    }

    fn advise(mut self, advice: impl Into<String>) -> Finding {
        self.advice = advice.into();
        self
    }

    /// Marks the finding as resting on an assumption about Alexa.
    pub fn assumed(mut self) -> Finding {
        self.assumption = true;
        self
    }

    /// One line: `fail lifetime: expires_in is 120 s … → issue tokens …`.
    pub fn line(&self) -> String {
        let mut line = format!(
            "{} {}: {}",
            self.verdict.as_str(),
            self.rule.id(),
            self.evidence
        );
        if !self.advice.is_empty() {
            line.push_str(" → ");
            line.push_str(&self.advice);
        }
        if self.assumption {
            line.push_str(" (assumption: Amazon does not document this)");
        }
        line
    }
}

/// The worst verdict among `findings` (pass when there are none).
pub fn worst(findings: &[Finding]) -> Verdict {
    findings
        .iter()
        .map(|f| f.verdict)
        .max()
        .unwrap_or(Verdict::Pass)
}
