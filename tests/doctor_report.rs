//! The doctor's HTML report through the simulator's page: the sequence
//! diagram's arrows land on the report's exchange blocks, the page's CSP
//! allows its own stylesheet, and the page's second form checks a skill
//! endpoint and renders the same report.

use crate::helpers::*;
use crate::toolbox_support::set_scenario;
use scraper::{Html, Selector};
use serde_json::json;

fn graceful(s: &mut mocklink::config::Settings) {
    let seed = mocklink::commands::doctor::retry_tolerant_demo_client(s);
    s.clients.push(seed);
}

fn sel(css: &str) -> Selector {
    Selector::parse(css).unwrap()
}

async fn csrf(app: &TestApp) -> String {
    let form = app
        .browser
        .get(format!("{}/alexa/doctor", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    mocklink::commands::demo::form_value(&form, "csrf_token").unwrap()
}

/// Every arrow of the diagram links to an element of the page, in order.
fn assert_arrows_land(page: &str) -> usize {
    let doc = Html::parse_document(page);
    let hrefs: Vec<String> = doc
        .select(&sel("figure.diagram svg a"))
        .map(|a| a.value().attr("href").unwrap().to_owned())
        .collect();
    assert!(!hrefs.is_empty(), "no diagram arrows in {page}");
    let blocks: Vec<String> = doc
        .select(&sel(".exchange[id]"))
        .map(|e| e.value().attr("id").unwrap().to_owned())
        .collect();
    for href in &hrefs {
        let id = href.strip_prefix('#').expect("a fragment link");
        assert!(blocks.iter().any(|b| b == id), "{href} lands nowhere");
    }
    let numbered: Vec<String> = (1..=blocks.len())
        .map(|n| format!("exchange-{n}"))
        .collect();
    assert_eq!(blocks, numbered, "the blocks are numbered in page order");
    blocks.len()
}

#[tokio::test]
async fn the_provider_report_draws_its_exchanges_and_links_each_arrow_to_one() {
    let app = spawn_app_with(graceful).await;
    set_scenario(
        &app,
        json!({"kind": "token_lifetime", "seconds": 120, "count": 1}),
    )
    .await;
    let csrf = csrf(&app).await;
    let res = app
        .browser
        .post(format!("{}/alexa/doctor", app.url))
        .form(&[("csrf_token", csrf.as_str()), ("login", "demo:demo")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let page = res.text().await.unwrap();
    assert!(csp.contains("style-src 'sha256-"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    let exchanges = assert_arrows_land(&page);
    assert!(exchanges >= 3, "{page}");
    let doc = Html::parse_document(&page);
    assert!(doc
        .select(&sel("h1"))
        .next()
        .unwrap()
        .text()
        .collect::<String>()
        .starts_with("Account-linking check: fail"));
    // The failing rule is in the findings, the failure in the diagram.
    let failing: Vec<String> = doc
        .select(&sel("td.fail + td code"))
        .map(|c| c.text().collect())
        .collect();
    assert!(failing.contains(&"lifetime".to_owned()), "{failing:?}");
    let style = doc
        .select(&sel("style"))
        .next()
        .unwrap()
        .text()
        .collect::<String>();
    assert!(style.contains(".diagram svg { max-width: 100%; height: auto; }"));
}

#[tokio::test]
async fn the_skill_form_checks_an_endpoint_and_renders_the_report() {
    let app = spawn_app().await;
    let csrf = csrf(&app).await;
    let form_page = app
        .browser
        .get(format!("{}/alexa/doctor", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let doc = Html::parse_document(&form_page);
    assert!(doc
        .select(&sel(
            "form[action='/alexa/doctor/skill'] input[name=endpoint]"
        ))
        .next()
        .is_some());

    let endpoint = format!("{}/alexa/skill", app.url);
    let res = app
        .browser
        .post(format!("{}/alexa/doctor/skill", app.url))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("endpoint", endpoint.as_str()),
            ("skill_id", ""),
            ("revoked_token", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("'sha256-"));
    let page = res.text().await.unwrap();
    let doc = Html::parse_document(&page);
    let h1: String = doc.select(&sel("h1")).next().unwrap().text().collect();
    assert!(h1.starts_with("Skill check:"), "{h1}");
    assert!(page.contains(&endpoint));
    for step in ["LaunchRequest without accessToken", "AMAZON.HelpIntent"] {
        assert!(page.contains(step), "{step}: {page}");
    }
    assert!(assert_arrows_land(&page) >= 5);
    assert!(doc.select(&sel("a[href='/alexa/doctor']")).next().is_some());

    // Bad input: back on the form, with the error, at 400.
    let res = app
        .browser
        .post(format!("{}/alexa/doctor/skill", app.url))
        .form(&[("csrf_token", csrf.as_str()), ("endpoint", "ftp://x")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let page = res.text().await.unwrap();
    let doc = Html::parse_document(&page);
    assert!(doc.select(&sel("[role=alert]")).next().is_some(), "{page}");
    assert!(page.contains("value=\"ftp://x\""), "{page}");

    // Without the form's token: refused, nothing sent.
    let res = app
        .browser
        .post(format!("{}/alexa/doctor/skill", app.url))
        .form(&[("csrf_token", "forged"), ("endpoint", endpoint.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}
