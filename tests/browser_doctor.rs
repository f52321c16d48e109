//! The Doctor page in a real browser: a failing provider check and its
//! report, checked for accessibility and saved as a screenshot
//! (`docs/screenshots/doctor-report.png`). See `browser_support`.

use crate::browser_support::*;
use crate::helpers::*;

/// The doctor page runs a provider check that fails (tokens living 120 s)
/// and shows the report: the failing `lifetime` finding and the sequence
/// diagram with the failed exchange in red.
#[tokio::test]
async fn browser_doctor_report_of_a_failing_provider() {
    let app = spawn_app_with(|s| {
        let seed = mocklink::commands::doctor::retry_tolerant_demo_client(s);
        s.clients.push(seed);
    })
    .await;
    crate::toolbox_support::set_scenario(
        &app,
        serde_json::json!({"kind": "token_lifetime", "seconds": 120, "count": 1}),
    )
    .await;
    with_browser(true, async |b| {
        b.goto(&format!("{}/alexa/doctor", app.url)).await;
        b.assert_accessible("doctor").await;
        // The form starts with this simulator's provider; its secret is
        // typed, as in the console.
        b.find("#client_secret")
            .await
            .send_keys(DEMO_SECRET)
            .await
            .unwrap();
        b.find("#login").await.send_keys("demo:demo").await.unwrap();
        b.submit("form[action='/alexa/doctor'] button[type=submit]")
            .await;
        assert!(b.title().await.starts_with("Account-linking check: fail"));
        let failing = b.find_all("td.fail + td code").await;
        let mut rules = Vec::new();
        for code in failing {
            rules.push(code.text().await.unwrap());
        }
        assert!(rules.contains(&"lifetime".to_owned()), "{rules:?}");
        let svg = b.find("figure.diagram svg").await;
        let drawn = svg.html(false).await.unwrap();
        assert!(drawn.starts_with("<svg"), "{drawn}");
        assert!(
            drawn.contains("#c62828") || drawn.contains('✘'),
            "no failure drawn: {drawn}"
        );
        // The stylesheet applies under the page's CSP: the diagram fits.
        let width = b
            .client
            .execute(
                "return [document.querySelector('figure.diagram svg').getBoundingClientRect().width, \
                 document.querySelector('figure.diagram').clientWidth, \
                 getComputedStyle(document.querySelector('h1')).fontSize];",
                vec![],
            )
            .await
            .unwrap();
        assert!(width[0].as_f64().unwrap() <= width[1].as_f64().unwrap() + 0.5, "{width}");
        // 1.5rem by its stylesheet (a browser default h1 is 2em: 32px).
        assert_eq!(width[2], "24px", "the report's own stylesheet applies");
        b.assert_accessible("doctor report").await;
        // Tall enough for the verdict, the steps and the red arrow at once.
        b.client.set_window_size(900, 1500).await.unwrap();
        let page_width = b
            .client
            .execute(
                "return document.documentElement.scrollWidth <= document.documentElement.clientWidth;",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(page_width, true, "the report scrolls sideways");
        b.screenshot("doctor-report").await;
    })
    .await;
}
