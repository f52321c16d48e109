//! Issue 14, "Alexa-exact": envelopes as thick as a device's, the requests
//! Alexa sends on its own (SessionEndedRequest, skill events), a new userId
//! after disable → enable, refresh failures with a backoff and a relink
//! notification, regions, and the bundled skill's one budget for its api calls.

use crate::alexa_support::*;
use crate::helpers::*;
use crate::skill_support::{envelope, timestamp};
use actix_web::{web, App, HttpResponse, HttpServer};
use serde_json::{json, Value};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

type Script = dyn Fn(&Value) -> (u64, u16, Value) + Send + Sync;

/// A skill endpoint that answers each request as `script` says: after a
/// delay (ms), with a status and a body; it records every request body.
struct ScriptedSkill {
    url: String,
    seen: Arc<Mutex<Vec<Value>>>,
}

impl ScriptedSkill {
    async fn start(script: impl Fn(&Value) -> (u64, u16, Value) + Send + Sync + 'static) -> Self {
        let seen: Arc<Mutex<Vec<Value>>> = Arc::default();
        let log = seen.clone();
        let script: Arc<Script> = Arc::new(script);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/skill", listener.local_addr().unwrap());
        let server = HttpServer::new(move || {
            let log = log.clone();
            let script = script.clone();
            App::new().default_service(web::to(move |body: web::Bytes| {
                let log = log.clone();
                let script = script.clone();
                async move {
                    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    log.lock().unwrap().push(v.clone());
                    let (delay, status, answer) = script(&v);
                    if delay > 0 {
                        tokio::time::sleep(Duration::from_millis(delay)).await;
                    }
                    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap())
                        .json(answer)
                }
            }))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        tokio::spawn(server);
        Self { url, seen }
    }

    fn requests(&self) -> Vec<Value> {
        self.seen.lock().unwrap().clone()
    }

    fn of_type(&self, kind: &str) -> Vec<Value> {
        self.requests()
            .into_iter()
            .filter(|r| r["request"]["type"] == kind)
            .collect()
    }
}

fn kind(req: &Value) -> &str {
    req["request"]["type"].as_str().unwrap_or("")
}

fn empty() -> Value {
    json!({"version": "1.0", "response": {}})
}

fn listening() -> Value {
    json!({"version": "1.0", "response": {
        "outputSpeech": {"type": "PlainText", "text": "What now?"},
        "reprompt": {"outputSpeech": {"type": "PlainText", "text": "Say something."}},
        "shouldEndSession": false}})
}

async fn events(app: &TestApp, id: &str) -> Vec<Value> {
    let (status, list) = api_get(app, &format!("/alexa/api/users/{id}/events")).await;
    assert_eq!(status, 200, "{list}");
    list.as_array().unwrap().clone()
}

#[tokio::test]
async fn a_skill_slower_than_the_deadline_gets_session_ended_with_endpoint_timeout() {
    // The skill sleeps 9 s on what the user says; the deadline is lowered to
    // 1 s for the test (the default is Alexa's 8 s).
    let skill = ScriptedSkill::start(|r| match kind(r) {
        "SessionEndedRequest" => (0, 200, empty()),
        _ => (9000, 200, listening()),
    })
    .await;
    let endpoint = skill.url.clone();
    let app = spawn_app_with(|s| {
        s.simulator.skill_endpoint = Some(endpoint);
        s.simulator.skill_timeout_ms = 1000;
    })
    .await;
    let id = new_user(&app).await;
    let started = Instant::now();
    let r = talk(&app, &id, json!({"launch": true})).await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(
        r["error"].as_str().unwrap().contains("ENDPOINT_TIMEOUT"),
        "{r}"
    );
    assert_eq!(r["session_ended"]["reason"], "ERROR", "{r}");
    assert_eq!(r["session_ended"]["error_type"], "ENDPOINT_TIMEOUT");
    assert_eq!(r["session_ended"]["status"], 200);
    let ended = skill.of_type("SessionEndedRequest");
    assert_eq!(ended.len(), 1, "{ended:?}");
    let launch = &skill.of_type("LaunchRequest")[0];
    assert_eq!(ended[0]["request"]["reason"], "ERROR");
    assert_eq!(ended[0]["request"]["error"]["type"], "ENDPOINT_TIMEOUT");
    assert!(ended[0]["request"]["error"]["message"].as_str().is_some());
    assert_eq!(
        ended[0]["session"]["sessionId"], launch["session"]["sessionId"],
        "the session that timed out is the one ended"
    );
    assert_eq!(user_status(&app, &id).await["session_open"], json!(false));
    let log = events(&app, &id).await;
    assert_eq!(log.last().unwrap()["kind"], "session_ended", "{log:?}");
    assert!(log.last().unwrap()["summary"]
        .as_str()
        .unwrap()
        .contains("ENDPOINT_TIMEOUT"));
}

#[tokio::test]
async fn invalid_answers_end_the_session_with_invalid_response() {
    let long = "la ".repeat(3000);
    let answers: Vec<(u16, Value)> = vec![
        (200, json!({"not": "an envelope"})),
        (
            200,
            json!({"version": "1.0", "response": {"outputSpeech": {"type": "PlainText", "text": long}}}),
        ),
        (500, json!({"error": "boom"})),
        (
            200,
            json!({"version": "1.0", "response": {"outputSpeech": {"type": "PlainText", "text": "x".repeat(25 * 1024)}}}),
        ),
    ];
    let turn = Arc::new(Mutex::new(0usize));
    let script_turn = turn.clone();
    let skill = ScriptedSkill::start(move |r| {
        if kind(r) == "SessionEndedRequest" {
            return (0, 200, empty());
        }
        let mut n = script_turn.lock().unwrap();
        let (status, body) = answers[*n].clone();
        *n += 1;
        (0, status, body)
    })
    .await;
    let endpoint = skill.url.clone();
    let app = spawn_app_with(|s| s.simulator.skill_endpoint = Some(endpoint)).await;
    let id = new_user(&app).await;
    for expected in [
        "not a valid response envelope",
        "fewer than 8000",
        "HTTP 500",
        "over 24 KB",
    ] {
        let r = talk(&app, &id, json!({"launch": true})).await;
        assert!(r["error"].as_str().unwrap().contains(expected), "{r}");
        assert_eq!(r["session_ended"]["error_type"], "INVALID_RESPONSE", "{r}");
    }
    let ended = skill.of_type("SessionEndedRequest");
    assert_eq!(ended.len(), 4);
    for e in &ended {
        assert_eq!(e["request"]["reason"], "ERROR");
        assert_eq!(e["request"]["error"]["type"], "INVALID_RESPONSE");
    }
}

#[tokio::test]
async fn exit_ends_the_session_and_silence_exceeds_the_reprompts() {
    let skill = ScriptedSkill::start(|r| match kind(r) {
        "SessionEndedRequest" => (0, 200, empty()),
        _ => (0, 200, listening()),
    })
    .await;
    let endpoint = skill.url.clone();
    let app = spawn_app_with(|s| s.simulator.skill_endpoint = Some(endpoint)).await;
    let id = new_user(&app).await;

    // "exit" outside a session does nothing (nothing to end).
    let (status, r) = api_post(
        &app,
        &format!("/alexa/api/users/{id}/talk"),
        json!({"utterance": "exit"}),
    )
    .await;
    assert_eq!(status, 400, "{r}");

    let r = talk(&app, &id, json!({"launch": true})).await;
    assert_eq!(r["session_open"], json!(true));
    let r = talk(&app, &id, json!({"utterance": "Alexa, exit"})).await;
    assert_eq!(r["request_type"], "SessionEndedRequest", "{r}");
    assert_eq!(r["request"]["request"]["reason"], "USER_INITIATED");
    assert_eq!(r["status"], 200);
    assert_eq!(user_status(&app, &id).await["session_open"], json!(false));
    // "stop" is the skill's business: AMAZON.StopIntent, as on a device.
    talk(&app, &id, json!({"launch": true})).await;
    let r = talk(&app, &id, json!({"utterance": "stop"})).await;
    assert_eq!(r["intent"], "AMAZON.StopIntent");

    // Silence: Alexa plays the reprompt once, then ends the session.
    let before = skill.requests().len();
    let r = talk(&app, &id, json!({"silence": true})).await;
    assert_eq!(r["reprompted"], json!(true), "{r}");
    assert_eq!(r["speech"], "Say something.");
    assert_eq!(r["session_open"], json!(true));
    assert_eq!(
        skill.requests().len(),
        before,
        "nothing sent for the reprompt"
    );
    let r = talk(&app, &id, json!({"silence": true})).await;
    assert_eq!(r["request_type"], "SessionEndedRequest");
    assert_eq!(r["request"]["request"]["reason"], "EXCEEDED_MAX_REPROMPTS");
    let ended = skill.of_type("SessionEndedRequest");
    assert_eq!(
        ended.last().unwrap()["request"]["reason"],
        "EXCEEDED_MAX_REPROMPTS"
    );
    assert_eq!(user_status(&app, &id).await["session_open"], json!(false));
}

#[tokio::test]
async fn disable_then_enable_gives_a_new_user_id_and_the_skill_hears_each_event() {
    let skill = ScriptedSkill::start(|_| (0, 200, empty())).await;
    let endpoint = skill.url.clone();
    let app = spawn_app_with(|s| s.simulator.skill_endpoint = Some(endpoint)).await;
    let id = new_user(&app).await;
    assert_eq!(user_status(&app, &id).await["skill_user_id"], json!(id));
    link(&app, &id).await;
    let u = user_status(&app, &id).await;
    assert_eq!(u["skill_enabled"], json!(true));
    let (status, _) = api_post(&app, &format!("/alexa/api/users/{id}/disable"), json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(user_status(&app, &id).await["skill_enabled"], json!(false));
    link(&app, &id).await;
    let second = user_status(&app, &id).await["skill_user_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(second.starts_with("amzn1.ask.account.") && second != id);
    let r = talk(&app, &id, json!({"launch": true})).await;
    assert_eq!(r["user_id"], json!(second));

    let seen: Vec<(String, String)> = skill
        .requests()
        .iter()
        .map(|r| {
            (
                kind(r).to_owned(),
                r["context"]["System"]["user"]["userId"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            )
        })
        .collect();
    let expect = |k: &str, u: &str| (k.to_owned(), u.to_owned());
    assert_eq!(
        seen,
        [
            expect("AlexaSkillEvent.SkillEnabled", &id),
            expect("AlexaSkillEvent.SkillAccountLinked", &id),
            expect("AlexaSkillEvent.SkillDisabled", &id),
            expect("AlexaSkillEvent.SkillEnabled", &second),
            expect("AlexaSkillEvent.SkillAccountLinked", &second),
            expect("LaunchRequest", &second),
        ]
    );
    let all = skill.requests();
    for event in &all[..5] {
        // Out of session, from no device, with Alexa's own API token.
        assert!(event.get("session").is_none(), "{event}");
        assert!(event["context"]["System"].get("device").is_none());
        assert!(event["context"]["System"]["apiAccessToken"].is_string());
        assert!(event["request"]["eventCreationTime"].is_string());
        assert!(event["request"]["requestId"].is_string());
    }
    let linked_event = &all[4];
    let token = stored_link(&app, &id).await.unwrap().access_token;
    assert_eq!(linked_event["request"]["body"]["accessToken"], json!(token));
    assert_eq!(
        linked_event["context"]["System"]["user"]["accessToken"],
        json!(token)
    );
    assert!(
        all[0]["request"].get("body").is_none(),
        "SkillEnabled has no body"
    );
    // The JSON API shows them, with the token cut to a hint.
    let log = events(&app, &id).await;
    let sent: Vec<&str> = log
        .iter()
        .filter(|e| e["kind"] == "skill_event")
        .map(|e| e["summary"].as_str().unwrap())
        .collect();
    assert_eq!(sent.len(), 5);
    assert!(!serde_json::to_string(&log).unwrap().contains(&token));
}

#[tokio::test]
async fn the_bundled_skill_answers_skill_events_within_the_hour_they_may_take() {
    let app = spawn_app().await;
    let id = new_user(&app).await;
    // Through the simulator: the bundled skill answers every event 200.
    link(&app, &id).await;
    let log = events(&app, &id).await;
    let answered: Vec<i64> = log
        .iter()
        .filter(|e| e["kind"] == "skill_event")
        .map(|e| e["status"].as_i64().unwrap())
        .collect();
    assert_eq!(answered, [200, 200], "{log:?}");

    // Directly: an event 50 minutes old is fine, a LaunchRequest is not.
    let now = app.clock.now();
    let event = json!({"type": "AlexaSkillEvent.SkillDisabled", "requestId": "amzn1.echo-api.request.1",
        "timestamp": timestamp(now, -3000), "eventCreationTime": timestamp(now, -3000)});
    let res = app
        .http
        .post(format!("{}/alexa/skill", app.url))
        .json(&envelope(event, None))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["response"], json!({}));
    let mut launch = crate::skill_support::launch(now);
    launch["timestamp"] = json!(timestamp(now, -3000));
    let res = app
        .http
        .post(format!("{}/alexa/skill", app.url))
        .json(&envelope(launch, None))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let late = json!({"type": "AlexaSkillEvent.SkillEnabled", "requestId": "amzn1.echo-api.request.2",
        "timestamp": timestamp(now, -3601)});
    let res = app
        .http
        .post(format!("{}/alexa/skill", app.url))
        .json(&envelope(late, None))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400, "over the hour");
}

#[tokio::test]
async fn requests_carry_the_regional_endpoint_an_api_token_and_an_echos_interfaces() {
    let skill = ScriptedSkill::start(|_| (0, 200, empty())).await;
    let endpoint = skill.url.clone();
    let app = spawn_app_with(|s| s.simulator.skill_endpoint = Some(endpoint)).await;
    let (status, u) = api_post(&app, "/alexa/api/users", json!({"region": "fe"})).await;
    assert_eq!(status, 201, "{u}");
    assert_eq!(u["region"], "FE");
    assert_eq!(u["api_endpoint"], "https://api.fe.amazonalexa.com");
    let id = u["id"].as_str().unwrap().to_owned();
    let r = talk(&app, &id, json!({"launch": true})).await;
    let system = &r["request"]["context"]["System"];
    assert_eq!(system["apiEndpoint"], "https://api.fe.amazonalexa.com");
    assert_eq!(
        system["device"]["supportedInterfaces"],
        json!({"AudioPlayer": {}})
    );
    let first = system["apiAccessToken"].as_str().unwrap().to_owned();
    assert_eq!(first.split('.').count(), 3, "a JWT like Amazon's");

    let res = app
        .http
        .patch(format!("{}/alexa/api/users/{id}", app.url))
        .json(&json!({"region": "EU"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let r = talk(&app, &id, json!({"utterance": "what's playing"})).await;
    let system = &r["request"]["context"]["System"];
    assert_eq!(system["apiEndpoint"], "https://api.eu.amazonalexa.com");
    assert_ne!(system["apiAccessToken"], json!(first), "one per request");
    // Without a dialog model Alexa reports the intent COMPLETED.
    assert_eq!(r["request"]["request"]["dialogState"], "COMPLETED");
    let res = app
        .http
        .patch(format!("{}/alexa/api/users/{id}", app.url))
        .json(&json!({"region": "MARS"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    // The page shows the region and lets a person change it.
    let page = app
        .get(&format!("/alexa/users/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("action=\"/alexa/users/") && page.contains("/region\""));
    assert!(page.contains("https://api.eu.amazonalexa.com"));
}

#[tokio::test]
async fn slots_of_a_custom_type_carry_slot_value_and_resolutions() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model.json");
    std::fs::write(
        &model,
        json!({"interactionModel": {"languageModel": {
            "invocationName": "mock music",
            "intents": [{"name": "GenreIntent", "slots": [{"name": "genre", "type": "GENRE"}, {"name": "mood", "type": "AMAZON.SearchQuery"}], "samples": ["play some {genre}"]}],
            "types": [{"name": "GENRE", "values": [{"id": "JAZZ", "name": {"value": "jazz", "synonyms": ["smooth jazz"]}}]}]}}})
        .to_string(),
    )
    .unwrap();
    let skill = ScriptedSkill::start(|_| (0, 200, empty())).await;
    let endpoint = skill.url.clone();
    let app = spawn_app_with(|s| {
        s.simulator.skill_endpoint = Some(endpoint);
        s.simulator.interaction_model_file = Some(model);
    })
    .await;
    let id = new_user(&app).await;
    let skill_id = app.state.settings.simulator.skill_id.clone();
    let r = talk(&app, &id, json!({"utterance": "play some smooth jazz"})).await;
    let slots = &r["request"]["request"]["intent"]["slots"];
    assert_eq!(slots["genre"]["value"], "smooth jazz");
    assert_eq!(
        slots["genre"]["resolutions"],
        json!({"resolutionsPerAuthority": [{
            "authority": format!("amzn1.er-authority.echo-sdk.{skill_id}.GENRE"),
            "status": {"code": "ER_SUCCESS_MATCH"},
            "values": [{"value": {"name": "jazz", "id": "JAZZ"}}]}]})
    );
    assert_eq!(slots["genre"]["slotValue"]["type"], "Simple");
    assert_eq!(slots["genre"]["slotValue"]["value"], "smooth jazz");
    assert_eq!(
        slots["genre"]["slotValue"]["resolutions"],
        slots["genre"]["resolutions"]
    );
    // An unfilled slot: declared, no value; a built-in type: no resolutions.
    assert_eq!(
        slots["mood"],
        json!({"name": "mood", "confirmationStatus": "NONE"})
    );
    let r = talk(&app, &id, json!({"utterance": "play some polka"})).await;
    let genre = &r["request"]["request"]["intent"]["slots"]["genre"];
    assert_eq!(
        genre["resolutions"]["resolutionsPerAuthority"][0]["status"]["code"],
        "ER_SUCCESS_NO_MATCH"
    );
    assert_eq!(
        genre["resolutions"]["resolutionsPerAuthority"][0]["values"],
        json!([])
    );
}

#[tokio::test]
async fn the_bundled_skill_apologises_within_its_budget_when_the_api_is_slow() {
    // The api answers after 5 s; the skill's budget (6 s by default) is
    // lowered to 1 s so the test is quick: "play {song}" would chain a
    // search and a play, 10 s in all.
    let app = spawn_app_with(|s| s.skill.request_budget_ms = 1000).await;
    let id = new_user(&app).await;
    link(&app, &id).await;
    crate::toolbox_support::set_scenario(
        &app,
        json!({"kind": "api_delay", "client_id": "alexa-skill", "delay_ms": 5000, "path": "/v1", "count": 10}),
    )
    .await;
    let started = Instant::now();
    let r = talk(&app, &id, json!({"utterance": "play yesterday"})).await;
    let took = started.elapsed();
    assert!(took < Duration::from_secs(4), "answered after {took:?}");
    assert_eq!(r["status"], 200, "{r}");
    assert!(
        r["speech"].as_str().unwrap().contains("taking too long"),
        "{r}"
    );
    assert_eq!(
        r["session_ended"],
        Value::Null,
        "answered in time for Alexa"
    );
}

#[tokio::test]
async fn api_delay_scenarios_are_validated() {
    let app = spawn_app().await;
    for (body, needle) in [
        (json!({"kind": "api_delay", "count": 1}), "delay_ms"),
        (
            json!({"kind": "api_delay", "delay_ms": 0, "count": 1}),
            "delay_ms",
        ),
        (
            json!({"kind": "api_delay", "delay_ms": 100, "status": 500, "count": 1}),
            "status",
        ),
        (
            json!({"kind": "api_delay", "delay_ms": 100, "path": "/me", "count": 1}),
            "path",
        ),
    ] {
        let res = app
            .http
            .post(format!("{}/admin/api/scenarios", app.url))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{body}");
        let text = res.text().await.unwrap();
        assert!(text.contains(needle), "{body}: {text}");
    }
}

#[tokio::test]
async fn a_refused_refresh_makes_alexa_ask_the_user_to_relink() {
    let app = spawn_app().await;
    let id = new_user(&app).await;
    link(&app, &id).await;
    assert_eq!(
        user_status(&app, &id).await["relink_requested"],
        json!(false)
    );
    crate::toolbox_support::set_scenario(
        &app,
        json!({"kind": "token_error", "client_id": "alexa-skill", "error": "invalid_grant", "grant_type": "refresh_token", "count": 1}),
    )
    .await;
    app.clock.advance(3600);
    let r = talk(&app, &id, json!({"launch": true})).await;
    assert_eq!(r["linked"], json!(false));
    let u = user_status(&app, &id).await;
    assert_eq!(
        (u["linked"].clone(), u["relink_requested"].clone()),
        (json!(false), json!(true))
    );
    let log = events(&app, &id).await;
    let relink = log.iter().find(|e| e["kind"] == "relink").unwrap();
    assert!(relink["summary"]
        .as_str()
        .unwrap()
        .starts_with("Alexa would now ask the user to relink"));
    let page = app
        .get(&format!("/alexa/users/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Alexa would now ask the user to relink"),
        "{page}"
    );
    // Linking again clears it.
    link(&app, &id).await;
    assert_eq!(
        user_status(&app, &id).await["relink_requested"],
        json!(false)
    );
}

#[tokio::test]
async fn without_a_refresh_token_the_stale_token_setting_decides() {
    for (policy, still_linked) in [
        (mocklink::config::StaleToken::Send, true),
        (mocklink::config::StaleToken::Drop, false),
    ] {
        let app = spawn_app_with(|s| s.simulator.stale_token = policy).await;
        let id = new_user(&app).await;
        crate::toolbox_support::set_scenario(
            &app,
            json!({"kind": "omit_refresh_token", "client_id": "alexa-skill", "count": 1}),
        )
        .await;
        link(&app, &id).await;
        assert!(stored_link(&app, &id)
            .await
            .unwrap()
            .refresh_token
            .is_none());
        app.clock.advance(3600);
        let r = talk(&app, &id, json!({"intent": "AMAZON.HelpIntent"})).await;
        assert_eq!(r["linked"], json!(still_linked), "{policy:?}: {r}");
        let u = user_status(&app, &id).await;
        assert_eq!(u["linked"], json!(still_linked), "{policy:?}");
        assert_eq!(u["relink_requested"], json!(!still_linked), "{policy:?}");
    }
}

#[tokio::test]
async fn during_a_refresh_outage_drop_sends_no_token_but_keeps_the_link() {
    let app =
        spawn_app_with(|s| s.simulator.stale_token = mocklink::config::StaleToken::Drop).await;
    let id = new_user(&app).await;
    link(&app, &id).await;
    crate::toolbox_support::set_scenario(
        &app,
        json!({"kind": "token_error", "client_id": "alexa-skill", "status": 503, "grant_type": "refresh_token", "count": 2}),
    )
    .await;
    app.clock.advance(3600);
    let r = talk(&app, &id, json!({"launch": true})).await;
    assert_eq!(r["linked"], json!(false), "{r}");
    let u = user_status(&app, &id).await;
    assert_eq!(u["linked"], json!(true));
    assert_eq!(u["relink_requested"], json!(false));
    // The backoff doubles: 60 s, then 120 s.
    app.clock.advance(61);
    talk(&app, &id, json!({"launch": true})).await;
    let u = user_status(&app, &id).await;
    assert_eq!(u["refresh_failures"], json!(2));
    let wait = u["next_refresh_in"].as_i64().unwrap();
    assert!((115..=120).contains(&wait), "{wait}");
    let page = app
        .get(&format!("/alexa/users/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Assumption") && page.contains("alexa_stale_token = drop"),
        "{page}"
    );
}
