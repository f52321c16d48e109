//! A check's report: steps in the order they ran, each with its findings and
//! the exact exchanges (secrets already redacted) that are its evidence. The
//! doctor prints steps as they finish, saves the report as HTML and JSON, and
//! draws its exchanges as a sequence diagram.

use super::{worst, Finding, Verdict};
use serde::Serialize;

/// The parties of an account link, as the lanes of a sequence diagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Lane {
    /// The user's browser (the Alexa app's web view).
    Browser,
    /// The provider: authorization and access-token URIs.
    Provider,
    /// Alexa's service: the simulator, the doctor or the recording proxy.
    Alexa,
    /// The skill endpoint.
    Skill,
    /// The Web API the skill calls.
    Api,
}

impl Lane {
    pub const ALL: [Lane; 5] = [
        Lane::Browser,
        Lane::Alexa,
        Lane::Provider,
        Lane::Skill,
        Lane::Api,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Lane::Browser => "Browser",
            Lane::Provider => "Provider",
            Lane::Alexa => "Alexa",
            Lane::Skill => "Skill",
            Lane::Api => "Web API",
        }
    }
}

/// One request and its answer, redacted.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct Exchange {
    #[schema(value_type = String)]
    pub from: Option<Lane>,
    #[schema(value_type = String)]
    pub to: Option<Lane>,
    pub method: String,
    pub url: String,
    /// Request headers, secrets redacted.
    pub request_headers: Vec<(String, String)>,
    pub request_body: String,
    /// `None` when no answer came.
    pub status: Option<u16>,
    pub response_headers: Vec<(String, String)>,
    pub response_body: String,
    pub elapsed_ms: u64,
    /// Why no answer came.
    pub error: Option<String>,
}

impl Exchange {
    /// Failed: no answer, or a status of 400 or above.
    pub fn failed(&self) -> bool {
        self.status.is_none_or(|s| s >= 400)
    }
}

/// One step of a check.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Step {
    pub name: String,
    pub verdict: Verdict,
    /// What happened, in a sentence.
    pub summary: String,
    pub findings: Vec<Finding>,
    pub exchanges: Vec<Exchange>,
}

impl Step {
    /// A step judged by its findings (pass when none).
    pub fn new(
        name: impl Into<String>,
        summary: impl Into<String>,
        findings: Vec<Finding>,
        exchanges: Vec<Exchange>,
    ) -> Step {
        Step {
            name: name.into(),
            verdict: worst(&findings),
            summary: summary.into(),
            findings,
            exchanges,
        }
    }

    /// The checklist line printed when the step ends, and the finding lines
    /// under it that are not passes.
    pub fn lines(&self) -> Vec<String> {
        let mark = match self.verdict {
            Verdict::Pass => "✔",
            Verdict::Warn => "!",
            Verdict::Fail => "✘",
        };
        let mut lines = vec![format!("{mark} {}: {}", self.name, self.summary)];
        lines.extend(
            self.findings
                .iter()
                .filter(|f| f.verdict != Verdict::Pass)
                .map(|f| format!("    {}", f.line())),
        );
        lines
    }
}

/// A whole check: what was checked and every step.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Report {
    /// "provider" or "skill".
    pub kind: String,
    /// What was checked (a token URL, a skill endpoint).
    pub subject: String,
    /// RFC 3339.
    pub started_at: String,
    pub verdict: Verdict,
    pub steps: Vec<Step>,
}

impl Report {
    pub fn new(kind: impl Into<String>, subject: impl Into<String>, started_at: String) -> Report {
        Report {
            kind: kind.into(),
            subject: subject.into(),
            started_at,
            verdict: Verdict::Pass,
            steps: Vec::new(),
        }
    }

    pub fn push(&mut self, step: Step) {
        self.verdict = self.verdict.max(step.verdict);
        self.steps.push(step);
    }

    /// Every finding of every step.
    pub fn findings(&self) -> impl Iterator<Item = &Finding> {
        self.steps.iter().flat_map(|s| s.findings.iter())
    }

    /// Whether the doctor exits 1.
    pub fn failed(&self) -> bool {
        self.verdict == Verdict::Fail
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Finding, Rule};
    use super::*;

    #[test]
    fn a_report_is_as_bad_as_its_worst_step() {
        let mut r = Report::new("provider", "https://id.example/token", "now".into());
        r.push(Step::new(
            "exchange",
            "tokens issued",
            vec![Finding::pass(Rule::JsonBody, "ok")],
            vec![],
        ));
        assert!(!r.failed());
        let step = Step::new(
            "lifetime",
            "short",
            vec![Finding::fail(Rule::Lifetime, "120 s", "longer")],
            vec![],
        );
        assert_eq!(step.lines()[0], "✘ lifetime: short");
        assert!(step.lines()[1].contains("fail lifetime: 120 s → longer"));
        r.push(step);
        assert!(r.failed());
        assert_eq!(r.findings().count(), 2);
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["verdict"], "fail");
        assert_eq!(json["steps"][1]["findings"][0]["rule"], "lifetime");
    }
}
