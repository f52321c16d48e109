//! `mocklink demo`: the whole story, headless, against a freshly started
//! server on a temporary SQLite database, over HTTP like a real user and Alexa:
//! unlinked request → LinkAccount card → authorize → login → consent →
//! redirect → token exchange → request with token → skill calls the api →
//! answer with the user's name; then revoke → LinkAccount card again.

use crate::clock::Clock;
use crate::config::Settings;
use crate::startup::Application;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::Write;
use std::net::TcpListener;

mod browser;

pub use browser::form_value;
use browser::Browser;

/// Why the demo could not even run (as opposed to a step misbehaving).
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("could not start the server: {0}")]
    Startup(#[from] crate::startup::StartupError),
    #[error("could not bind a local port: {0}")]
    Bind(#[from] std::io::Error),
    #[error("HTTP: {0}")]
    Http(#[from] reqwest::Error),
}

struct Steps<'a, W: Write> {
    out: &'a mut W,
    n: usize,
    failed: usize,
}

impl<W: Write> Steps<'_, W> {
    fn step(&mut self, title: &str, ok: bool, detail: impl AsRef<str>) -> bool {
        self.n += 1;
        if !ok {
            self.failed += 1;
        }
        let _ = writeln!(
            self.out,
            "[{:>2}] {} {title}",
            self.n,
            if ok { "ok  " } else { "FAIL" }
        );
        for line in detail.as_ref().lines() {
            let _ = writeln!(self.out, "       {line}");
        }
        ok
    }
}

/// Runs the story; `Ok(true)` only if every step behaved.
pub async fn run(out: &mut impl Write) -> Result<bool, DemoError> {
    let db = std::env::temp_dir().join(format!("mocklink-demo-{}.db", uuid::Uuid::new_v4()));
    let settings = Settings {
        database_url: format!("sqlite:{}", db.display()),
        listen: "127.0.0.1:0".parse().expect("a valid address"),
        ..Settings::default()
    };
    let listener = TcpListener::bind(settings.listen)?;
    let app = Application::build_with(settings, listener, Clock::default()).await?;
    let state = app.state().clone();
    let handle = app.server_handle();
    let server = tokio::spawn(app.run_until_stopped());
    let result = story(&state, out).await;
    handle.stop(true).await;
    let _ = server.await;
    state.store.close().await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    result
}

async fn story(state: &crate::startup::Services, out: &mut impl Write) -> Result<bool, DemoError> {
    let base = state.settings.public_url();
    let _ = writeln!(
        out,
        "mocklink demo: a fresh server at {base} on a temporary SQLite database\n"
    );
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let mut browser = Browser {
        http: http.clone(),
        jar: BTreeMap::new(),
    };
    let mut s = Steps {
        out,
        n: 0,
        failed: 0,
    };
    let api = |path: String, body: Value| {
        let http = http.clone();
        let url = format!("{base}{path}");
        async move {
            let res = http.post(url).json(&body).send().await?;
            let status = res.status().as_u16();
            Ok::<_, DemoError>((status, res.json::<Value>().await.unwrap_or(Value::Null)))
        }
    };

    let events = |id: String| {
        let http = http.clone();
        let url = format!("{base}/alexa/api/users/{id}/events");
        async move {
            let list = http
                .get(url)
                .send()
                .await?
                .json::<Value>()
                .await
                .unwrap_or(Value::Null);
            Ok::<_, DemoError>(list.as_array().cloned().unwrap_or_default())
        }
    };
    // The skill events among a user's events, one line each.
    let skill_events = |list: &[Value]| -> Vec<String> {
        list.iter()
            .filter(|e| e["kind"] == "skill_event" || e["kind"] == "session_ended")
            .map(|e| {
                format!(
                    "→ {} (userId {}) ← {}",
                    e["summary"].as_str().unwrap_or(""),
                    e["request"]["context"]["System"]["user"]["userId"]
                        .as_str()
                        .unwrap_or("?"),
                    e["status"]
                        .as_i64()
                        .map(|s| format!("HTTP {s}"))
                        .unwrap_or_else(|| "no answer".into())
                )
            })
            .collect()
    };

    let (status, user) = api(
        "/alexa/api/users".into(),
        json!({"name": "Demo Alexa user"}),
    )
    .await?;
    let id = user["id"].as_str().unwrap_or_default().to_owned();
    if !s.step(
        "a simulated Alexa user",
        status == 201 && !id.is_empty(),
        &id,
    ) {
        return Ok(false);
    }
    let talk_path = format!("/alexa/api/users/{id}/talk");

    // 1. Unlinked: the skill answers with a LinkAccount card.
    let (_, r) = api(talk_path.clone(), json!({"utterance": "open mock music"})).await?;
    s.step(
        "request without token → LinkAccount card",
        r["linked"] == json!(false) && r["card"] == json!({"type": "LinkAccount"}),
        format!("Alexa: {}", r["speech"].as_str().unwrap_or("(nothing)")),
    );

    // 2. Enable skill: the authorize URL, as Alexa builds it.
    let (status, e) = api(format!("/alexa/api/users/{id}/enable"), json!({})).await?;
    let authorize = e["authorize_url"].as_str().unwrap_or_default().to_owned();
    let flow = e["flow_id"].as_str().unwrap_or_default().to_owned();
    if !s.step(
        "authorize: the Alexa app opens the provider",
        status == 200 && !authorize.is_empty(),
        crate::alexa::oauth::redact_url(&authorize),
    ) {
        return Ok(false);
    }
    let (status, _, page) = browser.get(&authorize).await?;
    let login_ok = status == 200 && page.contains("action=\"/login\"");
    if !s.step("login page shown", login_ok, format!("HTTP {status}")) {
        return Ok(false);
    }

    // 3. Log in as the demo user.
    let (status, location, _) = browser
        .post(
            &format!("{base}/login"),
            &[
                (
                    "csrf_token",
                    &form_value(&page, "csrf_token").unwrap_or_default(),
                ),
                (
                    "return_to",
                    &form_value(&page, "return_to").unwrap_or_default(),
                ),
                ("username", &state.settings.demo_username),
                ("password", &state.settings.demo_password),
            ],
        )
        .await?;
    let next = location.unwrap_or_default();
    if !s.step(
        &format!("login as '{}'", state.settings.demo_username),
        status == 303 && next.starts_with('/'),
        format!("HTTP {status}"),
    ) {
        return Ok(false);
    }
    let (status, _, page) = browser.get(&format!("{base}{next}")).await?;
    let consent_ok = status == 200 && page.contains("action=\"/consent\"");
    if !s.step("consent page shown", consent_ok, format!("HTTP {status}")) {
        return Ok(false);
    }

    // 4. Agree: the provider redirects to the simulator with code and state.
    let (status, location, _) = browser
        .post(
            &format!("{base}/consent"),
            &[
                (
                    "csrf_token",
                    &form_value(&page, "csrf_token").unwrap_or_default(),
                ),
                (
                    "authorization_request",
                    &form_value(&page, "authorization_request").unwrap_or_default(),
                ),
                ("decision", "allow"),
            ],
        )
        .await?;
    let back = location.unwrap_or_default();
    let redirect_ok = status == 303
        && back.starts_with(&state.settings.alexa_redirect_url())
        && back.contains("code=");
    if !s.step(
        "consent → redirect to /api/skill/link/{vendorId} with code and state",
        redirect_ok,
        crate::alexa::oauth::redact_url(&back),
    ) {
        return Ok(false);
    }

    // 5. The simulator checks the state and exchanges the code.
    let (status, _, page) = browser.get(&back).await?;
    let log = http
        .get(format!("{base}/alexa/api/flows/{flow}"))
        .send()
        .await?
        .json::<Value>()
        .await
        .unwrap_or(Value::Null);
    let exchange = log["entries"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["step"] == "token exchange")
        .map(|e| match e["direction"].as_str() {
            Some("request") => format!(
                "→ {} {}\n  {}",
                e["method"].as_str().unwrap_or(""),
                e["url"].as_str().unwrap_or(""),
                e["body"].as_str().unwrap_or("")
            ),
            _ => format!(
                "← HTTP {} {}",
                e["status"],
                e["body"].as_str().unwrap_or("")
            ),
        })
        .collect::<Vec<_>>()
        .join("\n");
    if !s.step(
        "token exchange at the Access Token URI → linked",
        status == 200 && page.contains("successfully linked"),
        exchange,
    ) {
        return Ok(false);
    }
    // Alexa's rules, as the simulator checked them on this link.
    let findings = log["findings"].as_array().cloned().unwrap_or_default();
    let count = |v: &str| findings.iter().filter(|f| f["verdict"] == v).count();
    let lines: Vec<String> = findings
        .iter()
        .map(|f| {
            format!(
                "{:<4} {} ({}): {}{}",
                f["verdict"].as_str().unwrap_or("?").to_uppercase(),
                f["rule"].as_str().unwrap_or("?"),
                f["step"].as_str().unwrap_or("?"),
                f["evidence"].as_str().unwrap_or(""),
                if f["assumption"] == json!(true) {
                    " (assumption)"
                } else {
                    ""
                }
            )
        })
        .collect();
    s.step(
        &format!(
            "Alexa's rules: {} pass, {} warn, {} fail",
            count("pass"),
            count("warn"),
            count("fail")
        ),
        !findings.is_empty() && count("fail") == 0,
        lines.join("\n"),
    );
    let sent = skill_events(&events(id.clone()).await?);
    s.step(
        "skill events: AlexaSkillEvent.SkillEnabled, then SkillAccountLinked",
        sent.len() == 2
            && sent[0].contains("SkillEnabled")
            && sent[1].contains("SkillAccountLinked"),
        sent.join("\n"),
    );

    // 6. Linked: the request carries the token; the skill calls the api.
    let (_, r) = api(talk_path.clone(), json!({"utterance": "open mock music"})).await?;
    let speech = r["speech"].as_str().unwrap_or("(nothing)").to_owned();
    let system = &r["request"]["context"]["System"];
    s.step(
        "request with token, as thick as a device's",
        r["linked"] == json!(true)
            && system["apiAccessToken"].as_str().is_some()
            && system["device"]["supportedInterfaces"]["AudioPlayer"].is_object(),
        format!(
            "accessToken {}\napiEndpoint {} · apiAccessToken {} (Alexa's own, not the linking token) · supportedInterfaces {}",
            system["user"]["accessToken"].as_str().unwrap_or("(none)"),
            system["apiEndpoint"].as_str().unwrap_or("?"),
            crate::alexa::oauth::hint(system["apiAccessToken"].as_str().unwrap_or("")),
            system["device"]["supportedInterfaces"]
        ),
    );
    let display_name = match crate::domain::Username::parse(&state.settings.demo_username) {
        Ok(u) => state
            .store
            .user(&u)
            .await
            .ok()
            .flatten()
            .map(|u| u.display_name),
        Err(_) => None,
    }
    .unwrap_or_else(|| state.settings.demo_username.clone());
    s.step(
        "skill calls the api (GET /v1/me) → answer with the user's name",
        speech.contains(&display_name),
        format!("Alexa: {speech}"),
    );

    // The skill keeps the session open; "exit" makes Alexa end it.
    let (_, r) = api(talk_path.clone(), json!({"utterance": "exit"})).await?;
    s.step(
        "\"exit\" → SessionEndedRequest (reason USER_INITIATED)",
        r["request_type"] == "SessionEndedRequest"
            && r["request"]["request"]["reason"] == "USER_INITIATED",
        format!(
            "skill answered {}",
            r["status"]
                .as_u64()
                .map(|s| format!("HTTP {s}"))
                .unwrap_or_else(|| "nothing".into())
        ),
    );

    // 7. Revoke the access token at the provider: the api answers 401 and the
    //    skill sends the LinkAccount card again.
    let token = state
        .store
        .alexa_link(&id, crate::config::DEFAULT_SKILL_KEY)
        .await
        .ok()
        .flatten()
        .map(|l| l.access_token);
    let revoked = match &token {
        Some(t) => {
            http.post(format!("{base}/api/revoke"))
                .basic_auth(
                    state.settings.alexa_client_id(),
                    Some(state.settings.alexa_client_secret()),
                )
                .form(&[("token", t.as_str())])
                .send()
                .await?
                .status()
                .as_u16()
                == 200
        }
        None => false,
    };
    s.step("revoke the access token (POST /api/revoke)", revoked, "");
    let (_, r) = api(talk_path, json!({"utterance": "open mock music"})).await?;
    s.step(
        "request with the revoked token → LinkAccount card again",
        r["card"] == json!({"type": "LinkAccount"}),
        format!("Alexa: {}", r["speech"].as_str().unwrap_or("(nothing)")),
    );

    // 8. Disable, enable again: Alexa tells the skill, and issues a new userId.
    let before = events(id.clone()).await?.len();
    let (status, _) = api(format!("/alexa/api/users/{id}/disable"), json!({})).await?;
    let (_, e) = api(format!("/alexa/api/users/{id}/enable"), json!({})).await?;
    let after = events(id.clone()).await?;
    let sent = skill_events(after.get(before..).unwrap_or_default());
    let new_user_id = e["skill_event"]["request"]["context"]["System"]["user"]["userId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    s.step(
        "disable → SkillDisabled; enable again → SkillEnabled with a new userId",
        status == 200
            && sent.len() == 2
            && sent[0].contains("SkillDisabled")
            && sent[1].contains("SkillEnabled")
            && !new_user_id.is_empty()
            && new_user_id != id,
        sent.join("\n"),
    );

    let failed = s.failed;
    let _ = writeln!(
        s.out,
        "\n{}",
        if failed == 0 {
            "every step behaved".to_owned()
        } else {
            format!("{failed} step(s) failed")
        }
    );
    Ok(failed == 0)
}
