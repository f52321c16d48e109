//! A sequence diagram of exchanges, drawn on the server as one SVG with
//! inline styles (no script, no stylesheet), so a page, a saved report or
//! an e-mail can show it as is. One lane per party that appears, in the
//! order Browser, Alexa, Provider, Skill, Web API; each request a solid
//! arrow, its answer a dashed one back; failures red and marked "✘ FAILED"
//! in words too; each arrow a link to `#exchange-N`, where the page shows
//! the exact request and answer. Every text comes from the wire (URLs,
//! errors) and is escaped. Drawn at its natural size and shrunk to the
//! page's width (`max-width:100%`); colours and fonts are presentation
//! attributes, which a strict Content-Security-Policy (`style-src 'self'`)
//! leaves alone; such a page repeats the one `style` rule in its stylesheet
//! (mocklink's `assets/style.css` does: `.diagram svg`).

use super::report::{Exchange, Lane};
use std::fmt::Write;

const LANE_WIDTH: u32 = 190;
const MARGIN: u32 = 10;
const HEADER: u32 = 44;
const ROW: u32 = 70;
const OK_COLOUR: &str = "#1d4f91";
const FAIL_COLOUR: &str = "#c62828";
const LIFELINE_COLOUR: &str = "#9aa5b1";

/// Escapes text for XML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters are not allowed in XML 1.0.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// At most `max` characters, "…" marking a cut.
fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// An absolute URL's path and query (the whole URL is in the arrow's title).
fn path_of(url: &str) -> &str {
    match url.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or(url, |i| &rest[i..]),
        None => url,
    }
}

/// Failed: no answer, a status of 400 or above, or an error attached (a
/// failing finding on an answer that came).
pub fn is_failure(e: &Exchange) -> bool {
    e.failed() || e.error.is_some()
}

fn ends(e: &Exchange) -> (Lane, Lane) {
    (
        e.from.unwrap_or(Lane::Alexa),
        e.to.unwrap_or(Lane::Provider),
    )
}

/// What the answer arrow says: `200 · 12 ms`, `no answer · 4500 ms: why`
/// (the time left out where it was not measured: `elapsed_ms` 0).
fn answer_text(e: &Exchange) -> String {
    let mut text = match e.status {
        Some(s) => s.to_string(),
        None => "no answer".to_owned(),
    };
    if e.elapsed_ms > 0 {
        text.push_str(&format!(" · {} ms", e.elapsed_ms));
    }
    if let Some(why) = &e.error {
        text.push_str(": ");
        text.push_str(why);
    }
    if is_failure(e) {
        text.insert_str(0, "✘ FAILED ");
    }
    text
}

/// The diagram, arrows numbered from 1 (`#exchange-1`, …).
pub fn sequence_svg(exchanges: &[Exchange]) -> String {
    sequence_svg_from(exchanges, 1)
}

/// The diagram, arrows numbered from `first`: for a page with several
/// diagrams whose anchors must not clash.
pub fn sequence_svg_from(exchanges: &[Exchange], first: usize) -> String {
    let lanes: Vec<Lane> = Lane::ALL
        .into_iter()
        .filter(|l| {
            exchanges.iter().any(|e| {
                let (f, t) = ends(e);
                f == *l || t == *l
            })
        })
        .collect();
    let x_of = |lane: Lane| -> u32 {
        let i = lanes.iter().position(|l| *l == lane).unwrap_or(0) as u32;
        MARGIN + i * LANE_WIDTH + LANE_WIDTH / 2
    };
    let width = MARGIN * 2 + LANE_WIDTH * (lanes.len().max(1) as u32);
    let height = HEADER + ROW * (exchanges.len().max(1) as u32) + MARGIN;
    let failures = exchanges.iter().filter(|e| is_failure(e)).count();
    let summary = format!(
        "Sequence diagram: {} exchange{} between {}; {} failed",
        exchanges.len(),
        if exchanges.len() == 1 { "" } else { "s" },
        lanes
            .iter()
            .map(|l| l.label())
            .collect::<Vec<_>>()
            .join(", "),
        failures
    );
    let mut svg = String::new();
    let _ = write!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" style="max-width:100%;height:auto" role="group" aria-label="{label}" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="12"><title>{label}</title><rect width="{width}" height="{height}" fill="#fff"/>"##,
        label = escape(&summary)
    );
    for lane in &lanes {
        let x = x_of(*lane);
        let _ = write!(
            svg,
            r##"<g><rect x="{}" y="{MARGIN}" width="{}" height="26" rx="4" fill="#eef2f6" stroke="{LIFELINE_COLOUR}"/><text x="{x}" y="{}" text-anchor="middle" font-weight="bold" fill="#1b2733">{}</text><line x1="{x}" y1="{}" x2="{x}" y2="{}" stroke="{LIFELINE_COLOUR}" stroke-dasharray="2 3"/></g>"##,
            x - LANE_WIDTH / 2 + 8,
            LANE_WIDTH - 16,
            MARGIN + 17,
            escape(lane.label()),
            MARGIN + 26,
            height - MARGIN / 2,
        );
    }
    if exchanges.is_empty() {
        let _ = write!(
            svg,
            r##"<text x="{MARGIN}" y="{}" fill="#1b2733">No exchanges recorded.</text>"##,
            HEADER + 24
        );
    }
    for (i, e) in exchanges.iter().enumerate() {
        let n = first + i;
        let y = HEADER + ROW * i as u32 + 24;
        arrow(&mut svg, e, n, y, &x_of);
    }
    svg.push_str("</svg>");
    svg
}

/// One exchange: the request arrow, its label, the dashed answer arrow.
fn arrow(svg: &mut String, e: &Exchange, n: usize, y: u32, x_of: &dyn Fn(Lane) -> u32) {
    let (from, to) = ends(e);
    let failed = is_failure(e);
    let colour = if failed { FAIL_COLOUR } else { OK_COLOUR };
    let (x1, x2) = (x_of(from) as i64, x_of(to) as i64);
    let request = format!("{n}. {} {}", e.method, path_of(&e.url));
    let answer = answer_text(e);
    let described = format!("{request}, {} to {}: {answer}", from.label(), to.label());
    let span = (x2 - x1).unsigned_abs().max(LANE_WIDTH as u64) as usize;
    let room = span / 7;
    let _ = write!(
        svg,
        r##"<a href="#exchange-{n}" aria-label="{label}"><title>{label}</title><g>"##,
        label = escape(&described)
    );
    // A wide transparent band, so the whole row is easy to click.
    let (left, right) = (x1.min(x2) - 20, x1.max(x2) + 20);
    let _ = write!(
        svg,
        r##"<rect x="{left}" y="{}" width="{}" height="{}" fill="#fff" fill-opacity="0"/>"##,
        y as i64 - 18,
        right - left,
        ROW - 8
    );
    let mid = (x1 + x2) / 2;
    let dash = |svg: &mut String, y: i64, xa: i64, xb: i64, dashed: bool| {
        if xa == xb {
            // A call to itself: a small loop to the right.
            let _ = write!(
                svg,
                r##"<path d="M{xa} {y} h30 v12 h-26" fill="none" stroke="{colour}" stroke-width="1.6"{}/><polygon points="{},{} {},{} {},{}" fill="{colour}"/>"##,
                if dashed {
                    r#" stroke-dasharray="5 4""#
                } else {
                    ""
                },
                xa,
                y + 12,
                xa + 8,
                y + 8,
                xa + 8,
                y + 16
            );
            return;
        }
        let dir = if xb > xa { 1 } else { -1 };
        let _ = write!(
            svg,
            r##"<line x1="{xa}" y1="{y}" x2="{}" y2="{y}" stroke="{colour}" stroke-width="1.6"{}/><polygon points="{xb},{y} {},{} {},{}" fill="{colour}"/>"##,
            xb - dir * 8,
            if dashed {
                r#" stroke-dasharray="5 4""#
            } else {
                ""
            },
            xb - dir * 9,
            y - 4,
            xb - dir * 9,
            y + 4
        );
    };
    let y = y as i64;
    let _ = write!(
        svg,
        r##"<text x="{mid}" y="{}" text-anchor="middle" fill="{colour}">{}</text>"##,
        y - 5,
        escape(&cut(&request, room))
    );
    dash(svg, y, x1, x2, false);
    let back = y + 26;
    // No answer, no arrow back.
    if e.status.is_some() {
        dash(svg, back, x2, x1, true);
    }
    let _ = write!(
        svg,
        r##"<text x="{mid}" y="{}" text-anchor="middle" fill="{colour}"{}>{}</text>"##,
        back + 16,
        if failed { r#" font-weight="bold""# } else { "" },
        escape(&cut(&answer, room))
    );
    svg.push_str("</g></a>");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exchange(from: Lane, to: Lane, url: &str, status: Option<u16>) -> Exchange {
        Exchange {
            from: Some(from),
            to: Some(to),
            method: "POST".into(),
            url: url.into(),
            status,
            elapsed_ms: 12,
            ..Exchange::default()
        }
    }

    fn parse(svg: &str) -> roxmltree::Document<'_> {
        roxmltree::Document::parse(svg).expect("the diagram is well-formed XML")
    }

    #[test]
    fn one_linked_arrow_per_exchange_failures_in_red() {
        let exchanges = vec![
            exchange(
                Lane::Browser,
                Lane::Provider,
                "/authorize?state=x",
                Some(302),
            ),
            exchange(Lane::Alexa, Lane::Provider, "/api/token", Some(400)),
            Exchange {
                error: Some("Alexa would refuse this answer: fail lifetime".into()),
                ..exchange(Lane::Alexa, Lane::Provider, "/api/token", Some(200))
            },
            exchange(Lane::Skill, Lane::Api, "/v1/me", Some(200)),
        ];
        let svg = sequence_svg(&exchanges);
        let doc = parse(&svg);
        let links: Vec<_> = doc.descendants().filter(|n| n.has_tag_name("a")).collect();
        assert_eq!(links.len(), 4);
        let hrefs: Vec<_> = links.iter().map(|a| a.attribute("href").unwrap()).collect();
        assert_eq!(
            hrefs,
            ["#exchange-1", "#exchange-2", "#exchange-3", "#exchange-4"]
        );
        let red = |a: &roxmltree::Node| {
            a.descendants()
                .any(|n| n.attribute("stroke") == Some(FAIL_COLOUR))
        };
        let reds: Vec<bool> = links.iter().map(red).collect();
        assert_eq!(reds, [false, true, true, false]);
        // Not colour alone: the failure is said in words, and each link is named.
        let text_of = |a: &roxmltree::Node| -> String {
            a.descendants()
                .filter_map(|n| n.text())
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert!(text_of(&links[1]).contains("✘ FAILED 400"));
        assert!(!text_of(&links[0]).contains("FAILED"));
        assert!(links.iter().all(|a| a
            .attribute("aria-label")
            .is_some_and(|l| l.contains(". POST "))));
        // Lanes: the four parties that appear, in their order.
        let root = doc.root_element();
        assert_eq!(root.attribute("style"), Some("max-width:100%;height:auto"));
        let labels: Vec<_> = root
            .children()
            .filter(|n| n.has_tag_name("g"))
            .filter_map(|g| g.children().find(|n| n.has_tag_name("text")))
            .filter_map(|t| t.text())
            .collect();
        assert_eq!(labels, ["Browser", "Alexa", "Provider", "Skill", "Web API"]);
    }

    #[test]
    fn text_from_the_wire_is_escaped() {
        let nasty = r#"/x?a=<script>alert("1")</script>&b='c'"#;
        let svg = sequence_svg(&[Exchange {
            error: Some("<b>boom</b> & \u{1}".into()),
            ..exchange(Lane::Alexa, Lane::Provider, nasty, None)
        }]);
        assert!(!svg.contains("<script") && !svg.contains("<b>"));
        let doc = parse(&svg);
        let titles: Vec<_> = doc
            .descendants()
            .filter(|n| n.has_tag_name("title"))
            .filter_map(|n| n.text())
            .collect();
        assert!(titles.iter().any(|t| t.contains(nasty)), "{titles:?}");
        assert!(titles.iter().any(|t| t.contains("<b>boom</b> &")));
        // No answer: no dashed arrow back, and the failure said in words.
        let a = doc.descendants().find(|n| n.has_tag_name("a")).unwrap();
        assert!(!a
            .descendants()
            .any(|n| n.attribute("stroke-dasharray").is_some()));
        assert!(svg.contains("✘ FAILED no answer"));
    }

    #[test]
    fn arrows_name_the_path_and_titles_the_whole_url() {
        assert_eq!(
            path_of("https://id.example/oauth/token?a=1"),
            "/oauth/token?a=1"
        );
        assert_eq!(path_of("https://id.example"), "https://id.example");
        assert_eq!(path_of("/api/token"), "/api/token");
    }

    #[test]
    fn numbering_can_start_later_and_an_empty_diagram_says_so() {
        let svg = sequence_svg_from(&[exchange(Lane::Alexa, Lane::Provider, "/t", Some(200))], 5);
        assert!(svg.contains(r##"href="#exchange-5""##));
        let empty = sequence_svg(&[]);
        parse(&empty);
        assert!(empty.contains("No exchanges recorded."));
    }
}
