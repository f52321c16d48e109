//! The account-linking doctor, provider side, through real HTTP: mocklink's
//! own provider under the toolbox's scenarios, an independent provider
//! written here with one defect at a time, the CLI's exit status and JSON,
//! and the simulator's doctor page and JSON API.

use crate::doctor_fake::{start_fake, Defect};
use crate::helpers::*;
use crate::toolbox_support::set_scenario;
use mocklink::alexa::doctor::{provider, Authorize, ProviderInput};
use mocklink::alexa::oauth::LinkingConfig;
use mocklink::config::AccessTokenScheme;
use mocklink::wire::alexa::region::Region;
use serde_json::{json, Value};

fn graceful(s: &mut mocklink::config::Settings) {
    let seed = mocklink::commands::doctor::retry_tolerant_demo_client(s);
    s.clients.push(seed);
}

fn input(authorization_url: String, token_url: String, region: Region) -> ProviderInput {
    ProviderInput {
        linking: LinkingConfig {
            authorization_url,
            token_url,
            client_id: DEMO_CLIENT.into(),
            client_secret: DEMO_SECRET.into(),
            scheme: AccessTokenScheme::HttpBasic,
            scopes: vec!["user-read-private".into(), "user-read-email".into()],
            domains: vec![],
            default_expiration_seconds: 0,
            pkce: true,
            vendor_id: DEMO_VENDOR.into(),
        },
        region,
        redirect_uri: None,
        api_url: None,
        strict: false,
    }
}

async fn check(input: &ProviderInput) -> Value {
    let mut lines = Vec::new();
    let report = provider::run(
        input,
        Authorize::Login {
            username: "demo".into(),
            password: "demo".into(),
        },
        &mut |step| lines.extend(step.lines()),
    )
    .await;
    assert!(!lines.is_empty(), "each step is printed as it ends");
    serde_json::to_value(&report).unwrap()
}

/// The ids of the failing rules.
fn failing(report: &Value) -> Vec<String> {
    report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["findings"].as_array().unwrap().iter())
        .filter(|f| f["verdict"] == "fail")
        .map(|f| f["rule"].as_str().unwrap().to_owned())
        .collect()
}

fn evidence_of(report: &Value, rule: &str) -> String {
    report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["findings"].as_array().unwrap().iter())
        .filter(|f| f["rule"] == rule)
        .map(|f| f["evidence"].as_str().unwrap().to_owned())
        .collect::<Vec<_>>()
        .join(" | ")
}

fn mocklink_input(app: &TestApp) -> ProviderInput {
    let mut i = input(
        format!("{}/authorize", app.url),
        format!("{}/api/token", app.url),
        Region::Na,
    );
    i.api_url = Some(format!("{}/v1/me", app.url));
    i
}

#[tokio::test]
async fn a_healthy_mocklink_provider_fails_no_rule_and_local_http_is_only_a_warning() {
    let app = spawn_app_with(graceful).await;
    let report = check(&mocklink_input(&app)).await;
    assert_eq!(failing(&report), Vec::<String>::new(), "{report:#}");
    assert_eq!(report["verdict"], "warn");
    let names: Vec<&str> = report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    for step in [
        "authorization",
        "code exchange",
        "refresh",
        "api call",
        "refresh retry",
    ] {
        assert!(names.contains(&step), "{names:?}");
    }
    // Secrets are redacted in the recorded exchanges.
    let text = report.to_string();
    assert!(!text.contains(DEMO_SECRET), "the client secret leaked");
    assert!(!text.contains("password=demo"), "the password leaked");
}

#[tokio::test]
async fn each_toolbox_scenario_fails_its_named_rule() {
    let app = spawn_app_with(graceful).await;
    let cases = [
        (
            json!({"kind": "expires_in_string", "count": 1}),
            "expires_in",
            "",
        ),
        (
            json!({"kind": "omit_refresh_token", "count": 1}),
            "refresh_token",
            "",
        ),
        (
            json!({"kind": "token_lifetime", "seconds": 120, "count": 1}),
            "lifetime",
            "",
        ),
        (
            json!({"kind": "token_error", "client_id": DEMO_CLIENT, "error": "invalid_grant", "grant_type": "refresh_token", "count": 1}),
            "refresh_works",
            "",
        ),
        (
            json!({"kind": "token_delay", "client_id": DEMO_CLIENT, "delay_ms": 5000, "grant_type": "authorization_code", "count": 1}),
            "response_time",
            "timed out after 4.5 s",
        ),
    ];
    for (scenario, rule, evidence) in cases {
        set_scenario(&app, scenario.clone()).await;
        let report = check(&mocklink_input(&app)).await;
        assert!(
            failing(&report).contains(&rule.to_owned()),
            "{scenario}: {rule} should fail: {report:#}"
        );
        assert!(evidence_of(&report, rule).contains(evidence), "{report:#}");
        let (status, _) = crate::toolbox_support::admin(&app, "DELETE", "/scenarios", None).await;
        assert!(status < 300);
    }
}

#[tokio::test]
async fn mocklinks_demo_client_rotates_without_grace_so_a_retried_refresh_fails() {
    let app = spawn_app().await;
    let report = check(&mocklink_input(&app)).await;
    assert_eq!(failing(&report), vec!["refresh_retry"], "{report:#}");
}

async fn check_fake(defect: Defect, region: Region) -> Value {
    let url = start_fake(defect);
    check(&input(
        format!("{url}/oauth/authorize"),
        format!("{url}/oauth/token"),
        region,
    ))
    .await
}

#[tokio::test]
async fn an_independent_provider_passes_when_healthy_and_each_defect_fails_its_rule() {
    let report = check_fake(Defect::None, Region::Na).await;
    assert_eq!(failing(&report), Vec::<String>::new(), "{report:#}");
    for (defect, rule) in [
        (Defect::HtmlAnswer, "json_content_type"),
        (Defect::TextPlain, "json_content_type"),
        (Defect::NoTokenType, "token_type"),
        (Defect::RotateNoRetry, "refresh_retry"),
    ] {
        let report = check_fake(defect, Region::Na).await;
        assert!(
            failing(&report).contains(&rule.to_owned()),
            "{rule}: {report:#}"
        );
    }
    // Only the NA redirect URL is registered: an EU user cannot link.
    let report = check_fake(Defect::None, Region::Eu).await;
    assert_eq!(failing(&report), vec!["redirect_uri"], "{report:#}");
    let evidence = evidence_of(&report, "redirect_uri");
    assert!(
        evidence.contains("layla.amazon.com") && evidence.contains("EU"),
        "{evidence}"
    );
}

fn doctor_cli(args: &[&str]) -> (Option<i32>, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mocklink"))
        .arg("doctor")
        .args(args)
        .env_remove("MOCKLINK_CONFIG")
        .env_remove("DATABASE_URL")
        .current_dir(std::env::temp_dir())
        .output()
        .expect("run mocklink doctor");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn the_cli_exits_0_on_the_local_provider_and_1_with_json_on_a_defect() {
    let html = std::env::temp_dir().join(format!("doctor-{}.html", uuid::Uuid::new_v4()));
    let (code, out, err) = doctor_cli(&["--html", html.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(out.contains("✔ code exchange"), "{out}");
    let page = std::fs::read_to_string(&html).unwrap();
    let _ = std::fs::remove_file(&html);
    assert!(
        page.contains("refresh retry") && !page.contains("<script"),
        "{page}"
    );

    let app = spawn_app_with(graceful).await;
    set_scenario(
        &app,
        json!({"kind": "token_lifetime", "seconds": 120, "count": 1}),
    )
    .await;
    let (authorize, token) = (
        format!("{}/authorize", app.url),
        format!("{}/api/token", app.url),
    );
    let (code, out, err) = doctor_cli(&[
        "--authorization-url",
        &authorize,
        "--token-url",
        &token,
        "--client-id",
        DEMO_CLIENT,
        "--client-secret",
        DEMO_SECRET,
        "--vendor-id",
        DEMO_VENDOR,
        "--login",
        "demo:demo",
        "--json",
    ]);
    assert_eq!(code, Some(1), "{out}\n{err}");
    let report: Value = serde_json::from_str(&out).expect("stdout is the JSON report only");
    assert!(
        failing(&report).contains(&"lifetime".to_owned()),
        "{report:#}"
    );
    assert!(
        err.contains("lifetime"),
        "the checklist goes to stderr: {err}"
    );
}

fn hidden_fields(html: &str) -> Vec<(String, String)> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse("input[type=hidden]").unwrap();
    doc.select(&sel)
        .map(|e| {
            (
                e.value().attr("name").unwrap_or_default().to_owned(),
                e.value().attr("value").unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_doctor_page_and_json_api_report_on_the_simulators_provider() {
    let app = spawn_app_with(graceful).await;
    let home = app
        .browser
        .get(format!("{}/alexa", app.url))
        .send()
        .await
        .unwrap();
    assert!(home
        .text()
        .await
        .unwrap()
        .contains("href=\"/alexa/doctor\""));
    let form = app
        .browser
        .get(format!("{}/alexa/doctor", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 200);
    let form = form.text().await.unwrap();
    let csrf = mocklink::commands::demo::form_value(&form, "csrf_token").unwrap();
    // Empty fields: the simulator's own provider, its demo login.
    let res = app
        .browser
        .post(format!("{}/alexa/doctor", app.url))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let report = res.text().await.unwrap();
    for text in ["code exchange", "refresh retry", "state_echoed", "warn"] {
        assert!(report.contains(text), "{text}: {report}");
    }
    assert!(!report.contains(">fail<"), "{report}");

    // As the form comes prefilled (the own provider's URLs and client id),
    // its secret need not be typed.
    let res = app
        .browser
        .post(format!("{}/alexa/doctor", app.url))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("authorization_url", &format!("{}/authorize", app.url)),
            ("token_url", &format!("{}/api/token", app.url)),
            ("client_id", DEMO_CLIENT),
            ("login", "demo:demo"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let report = res.text().await.unwrap();
    assert!(report.contains("code exchange"), "{report}");
    assert!(!report.contains("invalid_client"), "{report}");

    // The paste flow: the page shows the URL; a person follows it.
    let res = app
        .browser
        .post(format!("{}/alexa/doctor", app.url))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("authorization_url", &format!("{}/authorize", app.url)),
            ("token_url", &format!("{}/api/token", app.url)),
            ("client_id", DEMO_CLIENT),
            ("client_secret", DEMO_SECRET),
            ("scope", "user-read-private"),
            ("pkce", "on"),
        ])
        .send()
        .await
        .unwrap();
    let paste = res.text().await.unwrap();
    let doc = scraper::Html::parse_document(&paste);
    let link = doc
        .select(&scraper::Selector::parse("a[target=_blank]").unwrap())
        .next()
        .expect("a URL to open")
        .value()
        .attr("href")
        .unwrap()
        .to_owned();
    let landed = app.browse_and_agree(&link).await;
    let mut fields = hidden_fields(&paste);
    fields.push(("landed".into(), landed.to_string()));
    let res = app
        .browser
        .post(format!("{}/alexa/doctor", app.url))
        .form(&fields)
        .send()
        .await
        .unwrap();
    let report = res.text().await.unwrap();
    assert!(report.contains("redirected back with a code"), "{report}");
    assert!(report.contains("tokens issued"), "{report}");

    // The JSON API.
    let res = app
        .http
        .post(format!("{}/alexa/api/doctor", app.url))
        .json(&json!({"api_url": format!("{}/v1/me", app.url)}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let report: Value = res.json().await.unwrap();
    assert_eq!(report["kind"], "provider");
    assert_eq!(failing(&report), Vec::<String>::new(), "{report:#}");
    let res = app
        .http
        .post(format!("{}/alexa/api/doctor", app.url))
        .json(&json!({"authorization_url": "https://id.example/a", "token_url": "https://id.example/t", "region": "XX"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
}
