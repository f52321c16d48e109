//! The skill-side doctor (`mocklink doctor skill`, `POST
//! /alexa/api/doctor/skill`) against the bundled skill with and without
//! signature verification, and against small skills written here that break
//! Amazon's rules one way each.

use crate::alexa_support::api_post;
use crate::helpers::*;
use crate::skill_support::*;
use actix_web::{web, App, HttpResponse, HttpServer};
use serde_json::{json, Value};
use std::net::TcpListener;

/// A skill that answers every request with `body` after `delay_ms`.
struct FakeSkill {
    url: String,
    handle: actix_web::dev::ServerHandle,
}

impl FakeSkill {
    async fn start(body: Value, delay_ms: u64) -> FakeSkill {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/skill", listener.local_addr().unwrap());
        let server = HttpServer::new(move || {
            let body = body.clone();
            App::new().default_service(web::to(move || {
                let body = body.clone();
                async move {
                    // The skill's own slowness, not the test waiting.
                    tokio::time::sleep(std::time::Duration::from_millis(delay_ms)).await;
                    HttpResponse::Ok().json(body)
                }
            }))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        FakeSkill { url, handle }
    }
}

impl Drop for FakeSkill {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}

/// The verdict of every finding of `rule` in the report, worst first.
fn verdicts(report: &Value, rule: &str) -> Vec<String> {
    let mut v: Vec<String> = report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["findings"].as_array().unwrap().iter())
        .filter(|f| f["rule"] == rule)
        .map(|f| f["verdict"].as_str().unwrap().to_owned())
        .collect();
    v.sort_by_key(|x| match x.as_str() {
        "fail" => 0,
        "warn" => 1,
        _ => 2,
    });
    v
}

fn worst(report: &Value, rule: &str) -> String {
    verdicts(report, rule)
        .first()
        .cloned()
        .unwrap_or_else(|| panic!("no finding for {rule}: {report:#}"))
}

fn failing_rules(report: &Value) -> Vec<String> {
    let mut ids: Vec<String> = report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["findings"].as_array().unwrap().iter())
        .filter(|f| f["verdict"] == "fail")
        .map(|f| f["rule"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

async fn doctor(app: &TestApp, body: Value) -> Value {
    let (status, report) = api_post(app, "/alexa/api/doctor/skill", body).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["kind"], "skill");
    report
}

/// A test CA signing like Amazon, its chain served under `/echo.api/`, and
/// the files the doctor and the skill read.
struct TestRoot {
    signer: TestSigner,
    chain: StaticServer,
    key: tempfile::NamedTempFile,
    roots: tempfile::NamedTempFile,
}

impl TestRoot {
    async fn new() -> TestRoot {
        let signer = TestSigner::new("echo-api.amazon.com");
        let chain = StaticServer::start(signer.chain_pem.clone()).await;
        let key = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(key.path(), signer.key_pem()).unwrap();
        let roots = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(roots.path(), &signer.root_pem).unwrap();
        TestRoot {
            signer,
            chain,
            key,
            roots,
        }
    }

    fn cert_url(&self) -> String {
        format!("{}/echo.api/echo-api-cert.pem", self.chain.base)
    }

    /// The bundled skill verifying against this root (or not), and the
    /// simulator signing with its key.
    async fn app(&self, verify: bool) -> TestApp {
        let (prefix, roots, key, url) = (
            format!("{}/echo.api/", self.chain.base),
            self.roots.path().to_owned(),
            self.key.path().to_owned(),
            self.cert_url(),
        );
        let _ = &self.signer;
        spawn_app_with(move |s| {
            s.skill.verify_signatures = verify;
            s.skill.cert_url_prefix = prefix;
            s.skill.trusted_roots_file = Some(roots);
            s.skill.application_id = Some(SKILL_ID.into());
            s.simulator.skill_id = SKILL_ID.into();
            s.simulator.signing_key_file = Some(key);
            s.simulator.signature_cert_chain_url = Some(url);
        })
        .await
    }
}

#[tokio::test]
async fn the_bundled_skill_verifying_against_the_test_root_passes_from_the_cli() {
    let root = TestRoot::new().await;
    let app = root.app(true).await;
    let endpoint = format!("{}/alexa/skill", app.url);
    let dir = tempfile::tempdir().unwrap();
    let run = |json: bool| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_mocklink"));
        cmd.current_dir(dir.path())
            .env("MOCKLINK_ALEXA_SIGNING_KEY_FILE", root.key.path())
            .env("MOCKLINK_ALEXA_SIGNATURE_CERT_CHAIN_URL", root.cert_url())
            .args(["doctor", "skill", "--endpoint", &endpoint])
            .args(["--skill-id", SKILL_ID]);
        if json {
            cmd.arg("--json");
        }
        // The chain server runs on this test's runtime: wait off it.
        tokio::task::spawn_blocking(move || cmd.output().unwrap())
    };
    let out = run(false).await.unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for line in [
        "✔ refuses: no signature headers",
        "✔ refuses: cert URL with another host",
        "✔ refuses: tampered body",
        "✔ refuses: timestamp 200 s old",
        "✔ refuses: another skill's applicationId",
        "✔ LaunchRequest without accessToken",
        // Minted and revoked on the local mocklink by the doctor itself.
        "✔ LaunchRequest with a revoked token",
        "✔ AMAZON.HelpIntent",
        "✔ SessionEndedRequest",
        "! endpoint",
        "No rule fails",
    ] {
        assert!(
            text.contains(line),
            "missing {line:?} in:\n{text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = run(true).await.unwrap();
    assert_eq!(out.status.code(), Some(0));
    let report: Value = serde_json::from_slice(&out.stdout).expect("only JSON on stdout");
    assert_eq!(report["verdict"], "warn", "{report:#}");
    assert!(failing_rules(&report).is_empty());
    assert_eq!(worst(&report, "skill_https"), "warn");
    assert_eq!(worst(&report, "link_account_card"), "pass");
    assert_eq!(worst(&report, "invalid_token"), "pass");
    assert_eq!(worst(&report, "cert_url"), "pass");
    assert_eq!(verdicts(&report, "cert_url").len(), 4);
    assert_eq!(worst(&report, "built_in_intent"), "pass");
    assert_eq!(verdicts(&report, "built_in_intent").len(), 5);
    assert!(report["steps"][0]["summary"]
        .as_str()
        .unwrap()
        .contains("TEST key"));
    // The request the skill saw was signed with the test key.
    let exchange = &report["steps"][0]["exchanges"][0];
    assert!(exchange["request_headers"]
        .to_string()
        .contains(&root.cert_url()));
}

#[tokio::test]
async fn the_cli_writes_the_html_report_of_a_failing_skill() {
    let root = TestRoot::new().await;
    let app = root.app(false).await;
    let endpoint = format!("{}/alexa/skill", app.url);
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("skill-report.html");
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_mocklink"));
    cmd.current_dir(dir.path())
        .env("MOCKLINK_ALEXA_SIGNING_KEY_FILE", root.key.path())
        .env("MOCKLINK_ALEXA_SIGNATURE_CERT_CHAIN_URL", root.cert_url())
        .args(["doctor", "skill", "--endpoint", &endpoint])
        .args(["--skill-id", SKILL_ID, "--html"])
        .arg(&html);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    // Unverified signatures fail the check; the report is written anyway.
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("HTML report: "), "{text}");
    let page = std::fs::read_to_string(&html).expect("the report file");
    let doc = scraper::Html::parse_document(&page);
    let sel = |css: &str| scraper::Selector::parse(css).unwrap();
    let h1: String = doc.select(&sel("h1")).next().unwrap().text().collect();
    assert!(h1.starts_with("Skill check: fail"), "{h1}");
    assert!(!page.contains("<script"));
    let arrows: Vec<&str> = doc
        .select(&sel("figure.diagram svg a"))
        .map(|a| a.value().attr("href").unwrap())
        .collect();
    assert!(arrows.len() >= 10, "{arrows:?}");
    for href in arrows {
        let id = href.trim_start_matches('#');
        assert!(
            doc.select(&sel(&format!(".exchange[id='{id}']")))
                .next()
                .is_some(),
            "{href} lands nowhere"
        );
    }
    let failing: Vec<String> = doc
        .select(&sel("td.fail + td code"))
        .map(|c| c.text().collect())
        .collect();
    assert!(
        failing.contains(&"signature_required".to_owned()),
        "{failing:?}"
    );
}

#[tokio::test]
async fn the_bundled_skill_without_verification_fails_each_signature_check() {
    let root = TestRoot::new().await;
    let app = root.app(false).await;
    let report = doctor(
        &app,
        json!({"endpoint": format!("{}/alexa/skill", app.url), "skill_id": SKILL_ID}),
    )
    .await;
    assert_eq!(report["verdict"], "fail");
    for rule in ["signature_required", "cert_url", "tampered_body"] {
        assert_eq!(worst(&report, rule), "fail", "{rule}");
    }
    // The bundled skill checks timestamps and the skill id even unverified.
    assert_eq!(worst(&report, "old_timestamp"), "pass");
    assert_eq!(worst(&report, "application_id"), "pass");
    assert_eq!(worst(&report, "link_account_card"), "pass");
    let step = report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "refuses: tampered body")
        .unwrap();
    assert!(step["findings"][0]["evidence"]
        .as_str()
        .unwrap()
        .contains("would fail certification"));
    assert_eq!(
        step["findings"][0]["page_title"],
        "Security Testing for an Alexa Skill"
    );
}

#[tokio::test]
async fn a_skill_that_says_the_same_thing_to_everything_fails_by_name() {
    let app = spawn_app().await;
    let skill = FakeSkill::start(
        json!({"version": "1.0", "response": {
            "outputSpeech": {"type": "PlainText", "text": "Hello from the fixed skill."},
            "shouldEndSession": true}}),
        0,
    )
    .await;
    let report = doctor(
        &app,
        json!({"endpoint": skill.url, "skill_id": SKILL_ID, "revoked_token": "revoked-one"}),
    )
    .await;
    assert_eq!(
        failing_rules(&report),
        [
            "application_id",
            "cert_url",
            "invalid_token",
            "link_account_card",
            "old_timestamp",
            "signature_required",
            "tampered_body",
        ]
    );
    // Three token cases × (launch + the model's first custom intent).
    assert_eq!(verdicts(&report, "invalid_token").len(), 4);
    // Valid answers to the built-ins, but Help should keep the session open.
    assert_eq!(worst(&report, "built_in_intent"), "warn");
    let help = report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "AMAZON.HelpIntent")
        .unwrap();
    assert_eq!(help["verdict"], "warn", "{help:#}");
    assert_eq!(worst(&report, "response_schema"), "pass");
    assert!(report["steps"][0]["summary"]
        .as_str()
        .unwrap()
        .contains("unsigned"));
}

#[tokio::test]
async fn slow_oversized_and_malformed_answers_are_named() {
    let app = spawn_app().await;
    let slow = FakeSkill::start(
        json!({"version": "1.0", "response": {"shouldEndSession": true}}),
        1500,
    )
    .await;
    let report = doctor(&app, json!({"endpoint": slow.url, "deadline_ms": 300})).await;
    assert_eq!(worst(&report, "skill_response_time"), "fail");
    assert_eq!(worst(&report, "built_in_intent"), "fail");

    let big = FakeSkill::start(
        json!({"version": "1.0", "response": {
            "outputSpeech": {"type": "PlainText", "text": "la ".repeat(10_000)},
            "card": {"type": "LinkAccount"}}}),
        0,
    )
    .await;
    let report = doctor(&app, json!({"endpoint": big.url})).await;
    assert_eq!(worst(&report, "response_size"), "fail");
    assert_eq!(worst(&report, "speech_length"), "fail");
    assert_eq!(worst(&report, "link_account_card"), "fail");

    let bad = FakeSkill::start(
        json!({"version": "2", "response": {
            "outputSpeech": {"type": "SSML", "ssml": "no speak tags"},
            "card": {"type": "LinkAccount"}, "shouldEndSession": "yes"}}),
        0,
    )
    .await;
    let report = doctor(&app, json!({"endpoint": bad.url})).await;
    assert_eq!(worst(&report, "response_schema"), "fail");
    let evidence = report.to_string();
    assert!(evidence.contains("version is \\\"2\\\""), "{evidence}");
    assert!(evidence.contains("<speak>"));
    assert!(evidence.contains("shouldEndSession"));
}

#[tokio::test]
async fn the_api_refuses_what_it_cannot_check() {
    let app = spawn_app().await;
    for body in [
        json!({"endpoint": "not a url"}),
        json!({"endpoint": "ftp://example.com/skill"}),
        json!({"endpoint": "http://127.0.0.1:9/skill", "deadline_ms": 50}),
        json!({"endpoint": "http://127.0.0.1:9/skill", "surprise": true}),
    ] {
        let (status, err) = api_post(&app, "/alexa/api/doctor/skill", body.clone()).await;
        assert_eq!(status, 400, "{body} → {err}");
        assert_eq!(err["error"], "bad_request");
    }
    // Nothing listens there: one failing step, and the report says why.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}/skill", listener.local_addr().unwrap());
    drop(listener);
    let report = doctor(&app, json!({"endpoint": dead})).await;
    assert_eq!(report["steps"].as_array().unwrap().len(), 1);
    assert_eq!(worst(&report, "skill_https"), "fail");
}
