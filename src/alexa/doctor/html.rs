//! The report as one self-contained HTML page (no JavaScript, no external
//! files): readable on screen, printable, attachable to a ticket.

use crate::linkcheck::{Exchange, Report, Verdict};
use askama::Template;

#[derive(Template)]
#[template(path = "doctor_report.html")]
struct ReportPage<'a> {
    report: &'a Report,
    /// The sequence diagram of the report's exchanges (an inline SVG).
    // DIAGRAM: the lead wires `linkcheck::diagram` here; until then `None`.
    diagram: Option<String>,
    /// Links back to the simulator's doctor form when served by it.
    back: Option<&'a str>,
}

impl ReportPage<'_> {
    fn mark(&self, v: &Verdict) -> &'static str {
        match v {
            Verdict::Pass => "✔",
            Verdict::Warn => "!",
            Verdict::Fail => "✘",
        }
    }

    fn lanes(&self, e: &Exchange) -> String {
        let label = |l: Option<crate::linkcheck::Lane>| l.map_or("?", |l| l.label());
        format!("{} → {}", label(e.from), label(e.to))
    }

    fn answer(&self, e: &Exchange) -> String {
        match (e.status, &e.error) {
            (Some(s), _) => format!("HTTP {s} in {} ms", e.elapsed_ms),
            (None, Some(err)) => format!("no answer after {} ms: {err}", e.elapsed_ms),
            (None, None) => "no answer".into(),
        }
    }
}

/// The report page; `back` is a link to show above it.
pub fn render(report: &Report, back: Option<&str>) -> Result<String, askama::Error> {
    ReportPage {
        report,
        diagram: None,
        back,
    }
    .render()
}
