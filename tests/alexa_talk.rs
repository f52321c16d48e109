//! "Talk": utterances become full request envelopes for any skill endpoint;
//! sessions carry their attributes until the skill ends them.

use crate::alexa_support::*;
use crate::helpers::*;
use crate::skill_support::{FakeApi, StaticServer, TestSigner};
use serde_json::{json, Value};

#[tokio::test]
async fn an_unlinked_user_is_told_to_link_by_the_bundled_skill() {
    let app = spawn_app().await;
    let id = new_user(&app).await;
    let r = talk(&app, &id, json!({"utterance": "Alexa, open mock music"})).await;
    assert_eq!(r["request_type"], "LaunchRequest");
    assert_eq!(r["status"], 200);
    assert_eq!(r["linked"], json!(false));
    assert!(r["speech"]
        .as_str()
        .unwrap()
        .starts_with("You need to link your account"));
    assert_eq!(r["card"], json!({"type": "LinkAccount"}));
    assert_eq!(r["session_open"], json!(false));
}

#[tokio::test]
async fn the_envelope_is_complete_and_sessions_carry_attributes() {
    // A skill of the user's own that counts turns in its session attributes.
    let skill = FakeApi::start_seq(vec![
        (200, json!({"version": "1.0", "sessionAttributes": {"count": 1}, "response": {"outputSpeech": {"type": "PlainText", "text": "one"}, "shouldEndSession": false}})),
        (200, json!({"version": "1.0", "sessionAttributes": {"count": 2}, "response": {"outputSpeech": {"type": "SSML", "ssml": "<speak>two</speak>"}, "shouldEndSession": true}})),
        (200, json!({"version": "1.0", "response": {"outputSpeech": {"type": "PlainText", "text": "fresh"}}})),
    ])
    .await;
    let endpoint = format!("{}/skill", skill.url);
    let app = spawn_app_with(|s| s.simulator.skill_endpoint = Some(endpoint)).await;
    let id = new_user(&app).await;

    let r = talk(
        &app,
        &id,
        json!({"utterance": "ask mock music to play never gonna give you up"}),
    )
    .await;
    assert_eq!(r["speech"], "one");
    assert_eq!(r["session_open"], json!(true));
    assert_eq!(r["intent"], "PlaySongIntent");
    let r = talk(
        &app,
        &id,
        json!({"intent": "SetVolumeIntent", "slots": {"volume": "30"}}),
    )
    .await;
    assert_eq!(r["speech"], "<speak>two</speak>");
    assert_eq!(r["session_open"], json!(false));
    talk(&app, &id, json!({"utterance": "what's playing"})).await;

    let seen: Vec<Value> = skill
        .requests()
        .iter()
        .map(|s| serde_json::from_str(&s.body).unwrap())
        .collect();
    let first = &seen[0];
    // Parses as an Alexa envelope, and has what Alexa always sends.
    let env: mocklink::wire::alexa::envelope::RequestEnvelope =
        serde_json::from_value(first.clone()).unwrap();
    assert_eq!(env.version, "1.0");
    assert_eq!(first["session"]["new"], json!(true));
    assert_eq!(first["session"]["user"]["userId"], json!(id));
    assert_eq!(first["context"]["System"]["user"]["userId"], json!(id));
    assert!(
        first["context"]["System"]["user"]
            .get("accessToken")
            .is_none(),
        "omitted, not null"
    );
    assert_eq!(
        first["context"]["System"]["apiEndpoint"],
        "https://api.amazonalexa.com"
    );
    assert!(first["context"]["System"]["device"]["deviceId"]
        .as_str()
        .unwrap()
        .starts_with("amzn1.ask.device."));
    assert_eq!(
        first["context"]["System"]["application"]["applicationId"],
        json!(app.state.settings.simulator.skill_id)
    );
    assert!(first["request"]["requestId"]
        .as_str()
        .unwrap()
        .starts_with("amzn1.echo-api.request."));
    assert_eq!(first["request"]["locale"], "en-US");
    assert_eq!(
        first["request"]["intent"]["slots"]["song"]["value"],
        "never gonna give you up"
    );
    mocklink::skill::verify::check_timestamp(
        first["request"]["timestamp"].as_str().unwrap(),
        app.clock.now(),
    )
    .unwrap();

    // Turn two continues the session with the attributes the skill returned.
    assert_eq!(seen[1]["session"]["new"], json!(false));
    assert_eq!(
        seen[1]["session"]["sessionId"],
        first["session"]["sessionId"]
    );
    assert_eq!(seen[1]["session"]["attributes"], json!({"count": 1}));
    assert_eq!(
        seen[1]["request"]["intent"]["slots"]["volume"]["value"],
        "30"
    );
    // The skill ended it: turn three is a new session with no attributes.
    assert_eq!(seen[2]["session"]["new"], json!(true));
    assert_ne!(
        seen[2]["session"]["sessionId"],
        first["session"]["sessionId"]
    );
    assert_eq!(seen[2]["session"]["attributes"], json!({}));
}

#[tokio::test]
async fn utterances_map_to_intents_and_unknown_ones_to_fallback() {
    let app = spawn_app().await;
    let id = new_user(&app).await;
    for (said, intent) in [
        ("help", "AMAZON.HelpIntent"),
        ("stop", "AMAZON.StopIntent"),
        ("cancel", "AMAZON.CancelIntent"),
        ("tell mock music to skip", "NextIntent"),
        ("order a pizza", "AMAZON.FallbackIntent"),
    ] {
        let r = talk(&app, &id, json!({"utterance": said})).await;
        assert_eq!(r["intent"], intent, "{said}");
    }
    let r = talk(&app, &id, json!({"utterance": "order a pizza"})).await;
    assert!(r["speech"]
        .as_str()
        .unwrap()
        .contains("can't help with that"));
    assert_eq!(r["session_open"], json!(true));
}

#[tokio::test]
async fn a_broken_skill_endpoint_is_reported_not_fatal() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app = spawn_app_with(|s| {
        s.simulator.skill_endpoint = Some(format!("http://127.0.0.1:{port}/skill"))
    })
    .await;
    let id = new_user(&app).await;
    let r = talk(&app, &id, json!({"launch": true})).await;
    assert!(
        r["error"]
            .as_str()
            .unwrap()
            .contains("could not be reached"),
        "{r}"
    );

    let skill = FakeApi::start(500, json!({"oops": true})).await;
    let endpoint = format!("{}/skill", skill.url);
    let app = spawn_app_with(|s| s.simulator.skill_endpoint = Some(endpoint)).await;
    let id = new_user(&app).await;
    let r = talk(&app, &id, json!({"launch": true})).await;
    assert_eq!(r["status"], 500);
    assert!(r["error"].as_str().unwrap().contains("HTTP 500"), "{r}");

    let skill = FakeApi::start(200, json!({"not": "an envelope"})).await;
    let endpoint = format!("{}/skill", skill.url);
    let app = spawn_app_with(|s| s.simulator.skill_endpoint = Some(endpoint)).await;
    let id = new_user(&app).await;
    let r = talk(&app, &id, json!({"launch": true})).await;
    assert!(
        r["error"]
            .as_str()
            .unwrap()
            .contains("not a valid response envelope"),
        "{r}"
    );

    // Alexa's size limits: under 8000 characters of speech, 24 KB in all.
    let long = "a".repeat(8000);
    let skill = FakeApi::start(200, json!({"version": "1.0", "response": {"outputSpeech": {"type": "PlainText", "text": long}}})).await;
    let endpoint = format!("{}/skill", skill.url);
    let app = spawn_app_with(|s| s.simulator.skill_endpoint = Some(endpoint)).await;
    let id = new_user(&app).await;
    let r = talk(&app, &id, json!({"launch": true})).await;
    assert!(
        r["error"].as_str().unwrap().contains("fewer than 8000"),
        "{r}"
    );
    let big = "b".repeat(25 * 1024);
    let skill = FakeApi::start(
        200,
        json!({"version": "1.0", "sessionAttributes": {"big": big}, "response": {}}),
    )
    .await;
    let endpoint = format!("{}/skill", skill.url);
    let app = spawn_app_with(|s| s.simulator.skill_endpoint = Some(endpoint)).await;
    let id = new_user(&app).await;
    let r = talk(&app, &id, json!({"launch": true})).await;
    assert!(r["error"].as_str().unwrap().contains("24 KB"), "{r}");
}

#[tokio::test]
async fn bad_input_is_a_clear_4xx() {
    let app = spawn_app().await;
    let id = new_user(&app).await;
    let (s, r) = api_post(&app, &format!("/alexa/api/users/{id}/talk"), json!({})).await;
    assert_eq!(s, 400, "{r}");
    assert_eq!(r["error"], "bad_request");
    let (s, _) = api_post(
        &app,
        &format!("/alexa/api/users/{id}/talk"),
        json!({"intent": "<script>"}),
    )
    .await;
    assert_eq!(s, 400);
    let (s, _) = api_post(
        &app,
        &format!("/alexa/api/users/{id}/talk"),
        json!({"utterance": 5}),
    )
    .await;
    assert_eq!(s, 400);
    let (s, _) = api_post(
        &app,
        "/alexa/api/users/amzn1.ask.account.NOPE/talk",
        json!({"launch": true}),
    )
    .await;
    assert_eq!(s, 404);
    let (s, _) = api_post(&app, "/alexa/api/users/whoever/enable", json!({})).await;
    assert_eq!(s, 404);
    assert_eq!(api_get(&app, "/alexa/api/users/nobody").await.0, 404);
    // Actions need a JSON content type (no cross-site form posts).
    let res = app
        .http
        .post(format!("{}/alexa/api/users/{id}/disable", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    // A callback for another vendor id is not ours.
    let res = app.get("/api/skill/link/OTHERVENDOR?code=x&state=y").await;
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn the_simulator_signs_like_alexa_and_the_bundled_skill_verifies_it() {
    let signer = TestSigner::new("echo-api.amazon.com");
    let chain = StaticServer::start(signer.chain_pem.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let roots = dir.path().join("roots.pem");
    let key = dir.path().join("key.pem");
    std::fs::write(&roots, &signer.root_pem).unwrap();
    std::fs::write(&key, signer.key_pem()).unwrap();
    let prefix = format!("{}/echo.api/", chain.base);
    let chain_url = format!("{}/echo.api/echo-api-cert.pem", chain.base);
    let verifying = |s: &mut mocklink::config::Settings| {
        s.skill.verify_signatures = true;
        s.skill.cert_url_prefix = prefix.clone();
        s.skill.trusted_roots_file = Some(roots.clone());
        s.skill.application_id = Some(s.simulator.skill_id.clone());
    };
    let app = spawn_app_with(|s| {
        verifying(s);
        s.simulator.signing_key_file = Some(key.clone());
        s.simulator.signature_cert_chain_url = Some(chain_url.clone());
    })
    .await;
    let id = new_user(&app).await;
    let r = talk(&app, &id, json!({"launch": true})).await;
    assert_eq!(r["status"], 200, "{r}");
    assert_eq!(r["card"], json!({"type": "LinkAccount"}));

    // Unsigned requests to a verifying skill are refused with 400.
    let app = spawn_app_with(verifying).await;
    let id = new_user(&app).await;
    let r = talk(&app, &id, json!({"launch": true})).await;
    assert_eq!(r["status"], 400, "{r}");
    assert!(
        r["error"]
            .as_str()
            .unwrap()
            .contains("SignatureCertChainUrl"),
        "{r}"
    );
}

#[tokio::test]
async fn a_custom_interaction_model_drives_utterance_matching() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("en-US.json");
    std::fs::write(
        &model,
        json!({"interactionModel": {"languageModel": {"invocationName": "hello world", "intents": [
            {"name": "GreetIntent", "slots": [{"name": "who", "type": "AMAZON.FirstName"}], "samples": ["say hello to {who}"]},
            {"name": "AMAZON.StopIntent", "samples": []}
        ]}}})
        .to_string(),
    )
    .unwrap();
    let app = spawn_app_with(|s| s.simulator.interaction_model_file = Some(model)).await;
    let id = new_user(&app).await;
    let r = talk(
        &app,
        &id,
        json!({"utterance": "ask hello world to say hello to Ada"}),
    )
    .await;
    assert_eq!(r["intent"], "GreetIntent");
    assert_eq!(r["slots"], json!({"who": "ada"}));
    let r = talk(&app, &id, json!({"utterance": "open hello world"})).await;
    assert_eq!(r["request_type"], "LaunchRequest");
}
