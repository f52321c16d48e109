//! The report as one self-contained HTML page (no JavaScript, no external
//! files): readable on screen, printable, attachable to a ticket. One
//! renderer for both kinds of check (provider and skill).

use crate::linkcheck::{sequence_svg, Exchange, Report, Verdict};
use askama::Template;
use base64::Engine as _;
use sha2::{Digest, Sha256};

/// The page's only stylesheet, inline so a saved report stands alone. When
/// the simulator serves it, its CSP allows exactly this text by hash.
const STYLE: &str = "
body { font: 15px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 1.5rem auto; padding: 0 1rem; color: #1b1b1b; overflow-wrap: anywhere; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin: 1.6rem 0 .3rem; } h3 { font-size: 1rem; margin: .8rem 0 .2rem; }
.pass { color: #176c2e; } .warn { color: #8a5a00; } .fail { color: #b00020; }
.verdict { font-weight: 700; text-transform: uppercase; }
table { border-collapse: collapse; width: 100%; margin: .4rem 0; }
th, td { border: 1px solid #ccc; padding: .3rem .45rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
th, td.verdict { overflow-wrap: normal; }
pre { white-space: pre-wrap; word-break: break-all; background: #f6f6f6; padding: .5rem; border: 1px solid #ddd; font-size: 13px; margin: .2rem 0; }
.step { border-top: 2px solid #ddd; page-break-inside: avoid; }
.assumption { font-style: italic; color: #555; }
.meta { color: #555; }
.diagram { margin: 1rem 0; overflow-x: auto; }
.diagram svg { max-width: 100%; height: auto; }
a:focus-visible { outline: 3px solid #0b57d0; outline-offset: 2px; }
@media print { body { margin: 0; max-width: none; } a { color: inherit; } .diagram { overflow: visible; } }
";

#[derive(Template)]
#[template(path = "doctor_report.html")]
struct ReportPage<'a> {
    report: &'a Report,
    style: &'static str,
    /// The sequence diagram of every exchange of the report (an inline SVG),
    /// its arrows numbered like the exchange blocks below it.
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

    fn title(&self) -> &'static str {
        title_of(self.report)
    }

    fn skill(&self) -> bool {
        self.report.kind == "skill"
    }

    /// The number of exchange `exchange` of step `step`, counted over the
    /// whole report from 1, as `sequence_svg` numbers its arrows.
    fn number(&self, step: &usize, exchange: &usize) -> usize {
        let before: usize = self.report.steps[..*step]
            .iter()
            .map(|s| s.exchanges.len())
            .sum();
        before + exchange + 1
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

/// "Skill check" or "Account-linking check".
pub fn title_of(report: &Report) -> &'static str {
    if report.kind == "skill" {
        "Skill check"
    } else {
        "Account-linking check"
    }
}

/// The report page; `back` is a link to show above it.
pub fn render(report: &Report, back: Option<&str>) -> Result<String, askama::Error> {
    let exchanges: Vec<Exchange> = report.steps.iter().flat_map(drawn).collect();
    ReportPage {
        report,
        style: STYLE,
        diagram: (!exchanges.is_empty()).then(|| sequence_svg(&exchanges)),
        back,
    }
    .render()
}

/// A step's exchanges as the diagram draws them. A rule can fail on an
/// answer that came (a 200 with a 120 s token): the step's last exchange,
/// the answer the rule judged, carries the failing rules so it is drawn red.
fn drawn(step: &crate::linkcheck::Step) -> Vec<Exchange> {
    let mut exchanges = step.exchanges.clone();
    let failing: Vec<&str> = step
        .findings
        .iter()
        .filter(|f| f.verdict == Verdict::Fail)
        .map(|f| f.rule.id())
        .collect();
    if let Some(last) = exchanges.last_mut().filter(|_| !failing.is_empty()) {
        if last.error.is_none() && !last.failed() {
            last.error = Some(format!("fails {}", failing.join(", ")));
        }
    }
    exchanges
}

/// The Content-Security-Policy to serve the page with: mocklink's strict
/// one, its inline stylesheet allowed by hash (the diagram's `style`
/// attribute stays blocked; the stylesheet repeats its rule).
pub fn content_security_policy() -> String {
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(STYLE.as_bytes()));
    format!(
        "default-src 'none'; style-src 'sha256-{hash}'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linkcheck::{Finding, Lane, Rule, Step};

    fn exchange(url: &str, status: Option<u16>) -> Exchange {
        Exchange {
            from: Some(Lane::Alexa),
            to: Some(Lane::Provider),
            method: "POST".into(),
            url: url.into(),
            status,
            ..Exchange::default()
        }
    }

    #[test]
    fn every_arrow_of_the_diagram_lands_on_an_exchange_block() {
        let mut r = Report::new("provider", "https://id.example/token", "now".into());
        r.push(Step::new(
            "code exchange",
            "tokens issued",
            vec![],
            vec![exchange("https://id.example/token", Some(200))],
        ));
        r.push(Step::new("nothing sent", "no exchange", vec![], vec![]));
        r.push(Step::new(
            "refresh",
            "refused",
            vec![Finding::fail(Rule::Lifetime, "120 s", "longer")],
            vec![
                exchange("https://id.example/token?a=1", None),
                exchange("https://id.example/token?a=2", Some(200)),
            ],
        ));
        let page = render(&r, None).unwrap();
        assert!(
            page.contains("<title>Account-linking check: fail"),
            "{page}"
        );
        let doc = scraper::Html::parse_document(&page);
        let sel = |s: &str| scraper::Selector::parse(s).unwrap();
        let hrefs: Vec<&str> = doc
            .select(&sel(".diagram svg a"))
            .filter_map(|a| a.value().attr("href"))
            .collect();
        assert_eq!(hrefs.len(), 3, "one link per exchange");
        for href in &hrefs {
            let id = href.trim_start_matches('#');
            let target = doc
                .select(&sel(&format!("[id=\"{id}\"]")))
                .next()
                .unwrap_or_else(|| panic!("no anchor for {href}"));
            let n: usize = id.trim_start_matches("exchange-").parse().unwrap();
            let url = ["", "token", "token?a=1", "token?a=2"][n];
            assert!(target.text().collect::<String>().contains(url));
        }
        // The failing rule marks the step's last answer in the diagram.
        let svg = doc.select(&sel(".diagram svg")).next().unwrap().html();
        assert!(svg.contains("✘ FAILED no answer<"), "{svg}");
        assert!(svg.contains("✘ FAILED 200: fails lifetime"), "{svg}");
        assert!(
            svg.contains(">200<"),
            "the passing step's answer stays as it came"
        );
        // The page's own stylesheet is the one the CSP hash allows.
        assert!(page.contains(&format!("<style>{STYLE}</style>")));
        assert!(content_security_policy().contains("style-src 'sha256-"));
    }

    #[test]
    fn a_skill_report_is_titled_as_one() {
        let r = Report::new("skill", "https://skill.example/alexa", "now".into());
        let page = render(&r, Some("/alexa/doctor")).unwrap();
        assert!(page.contains("<h1>Skill check:"), "{page}");
        assert!(
            !page.contains("class=\"diagram\""),
            "no exchange, no diagram"
        );
    }
}
