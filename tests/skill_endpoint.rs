//! The bundled skill over HTTP: unlinked users get a LinkAccount card, linked
//! users get answers from the api, and every api failure becomes speech.

use crate::helpers::*;
use crate::skill_support::*;
use serde_json::{json, Value};

async fn post_skill(app: &TestApp, body: &Value) -> (u16, Value) {
    let res = app
        .http
        .post(format!("{}/alexa/skill", app.url))
        .json(body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

fn speech(res: &Value) -> &str {
    res["response"]["outputSpeech"]["text"]
        .as_str()
        .unwrap_or("")
}

fn is_link_account(res: &Value) -> bool {
    res["response"]["card"] == json!({"type": "LinkAccount"})
        && res["response"]["shouldEndSession"] == json!(true)
        && speech(res).starts_with("You need to link your account")
}

async fn app_with_api(api: &FakeApi) -> TestApp {
    let url = api.url.clone();
    spawn_app_with(|s| s.skill.api_base_url = Some(url)).await
}

#[tokio::test]
async fn an_unlinked_launch_gets_the_link_account_card() {
    let app = spawn_app().await;
    let (status, res) = post_skill(&app, &envelope(launch(app.clock.now()), None)).await;
    assert_eq!(status, 200);
    assert_eq!(
        res,
        json!({"version": "1.0", "response": {
            "outputSpeech": {"type": "PlainText", "text": "You need to link your account. I've sent a card to your Alexa app to get you started."},
            "card": {"type": "LinkAccount"},
            "shouldEndSession": true
        }})
    );
}

#[tokio::test]
async fn an_unlinked_intent_gets_the_link_account_card_but_help_works() {
    let app = spawn_app().await;
    let now = app.clock.now();
    let (_, res) = post_skill(
        &app,
        &envelope(intent(now, "WhatsPlayingIntent", json!({})), None),
    )
    .await;
    assert!(is_link_account(&res), "{res}");

    let mut env = envelope(intent(now, "AMAZON.HelpIntent", json!({})), None);
    env["session"]["attributes"] = json!({"turn": 1});
    let (_, res) = post_skill(&app, &env).await;
    assert!(speech(&res).contains("what's playing"), "{res}");
    assert_eq!(res["response"]["shouldEndSession"], json!(false));
    assert!(res["response"]["reprompt"]["outputSpeech"]["text"].is_string());
    assert_eq!(res["sessionAttributes"], json!({"turn": 1}));

    let (_, res) = post_skill(
        &app,
        &envelope(intent(now, "AMAZON.StopIntent", json!({})), None),
    )
    .await;
    assert_eq!(speech(&res), "Goodbye.");
    assert_eq!(res["response"]["shouldEndSession"], json!(true));
}

#[tokio::test]
async fn a_linked_launch_greets_the_user_by_display_name_via_the_api() {
    let api = FakeApi::start(200, json!({"id": "demo", "display_name": "Demo User"})).await;
    let app = app_with_api(&api).await;
    let (_, res) = post_skill(&app, &envelope(launch(app.clock.now()), Some("tok-123"))).await;
    assert!(
        speech(&res).starts_with("Welcome to mock music, Demo User."),
        "{res}"
    );
    assert_eq!(res["response"]["shouldEndSession"], json!(false));
    let seen = api.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path, "/v1/me");
    assert_eq!(seen[0].authorization.as_deref(), Some("Bearer tok-123"));
}

#[tokio::test]
async fn the_api_answering_401_sends_the_link_account_card_again() {
    let api = FakeApi::start(
        401,
        json!({"error": {"status": 401, "message": "The access token expired"}}),
    )
    .await;
    let app = app_with_api(&api).await;
    let now = app.clock.now();
    let (_, res) = post_skill(&app, &envelope(launch(now), Some("revoked"))).await;
    assert!(is_link_account(&res), "{res}");
    let (_, res) = post_skill(
        &app,
        &envelope(intent(now, "PauseIntent", json!({})), Some("revoked")),
    )
    .await;
    assert!(is_link_account(&res), "{res}");
}

#[tokio::test]
async fn api_failures_become_specific_apologies() {
    let cases = [
        (
            403,
            json!({"error": {"status": 403, "message": "Player command failed: Premium required", "reason": "PREMIUM_REQUIRED"}}),
            "premium",
        ),
        (
            404,
            json!({"error": {"status": 404, "message": "Player command failed: No active device found", "reason": "NO_ACTIVE_DEVICE"}}),
            "active device",
        ),
        (
            500,
            json!({"error": {"status": 500, "message": "boom"}}),
            "had a problem",
        ),
        (
            429,
            json!({"error": {"status": 429, "message": "slow down"}}),
            "busy",
        ),
    ];
    for (status, body, expected) in cases {
        let api = FakeApi::start(status, body).await;
        let app = app_with_api(&api).await;
        let (code, res) = post_skill(
            &app,
            &envelope(intent(app.clock.now(), "NextIntent", json!({})), Some("t")),
        )
        .await;
        assert_eq!(code, 200);
        assert!(speech(&res).contains(expected), "{status}: {res}");
        assert_eq!(res["response"]["shouldEndSession"], json!(true));
        assert!(res["response"]["card"].is_null());
        api.stop().await;
    }
}

#[tokio::test]
async fn the_api_being_down_is_an_apology_not_a_crash() {
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app =
        spawn_app_with(|s| s.skill.api_base_url = Some(format!("http://127.0.0.1:{port}/v1")))
            .await;
    let (code, res) = post_skill(&app, &envelope(launch(app.clock.now()), Some("t"))).await;
    assert_eq!(code, 200);
    assert!(
        speech(&res).contains("can't reach the music service"),
        "{res}"
    );
}

#[tokio::test]
async fn nothing_playing_is_said_on_204() {
    let api = FakeApi::start(204, json!(null)).await;
    let app = app_with_api(&api).await;
    let (_, res) = post_skill(
        &app,
        &envelope(
            intent(app.clock.now(), "WhatsPlayingIntent", json!({})),
            Some("t"),
        ),
    )
    .await;
    assert_eq!(speech(&res), "Nothing is playing right now.");
    assert_eq!(api.requests()[0].path, "/v1/me/player/currently-playing");
}

#[tokio::test]
async fn play_searches_for_the_song_then_plays_its_uri() {
    let api = FakeApi::start(
        200,
        json!({"tracks": {"items": [
            {"name": "Yesterday", "uri": "spotify:track:abc", "artists": [{"name": "The Beatles"}]}
        ]}}),
    )
    .await;
    let app = app_with_api(&api).await;
    let slots =
        json!({"song": {"name": "song", "value": "yesterday", "confirmationStatus": "NONE"}});
    let (_, res) = post_skill(
        &app,
        &envelope(intent(app.clock.now(), "PlaySongIntent", slots), Some("t")),
    )
    .await;
    assert_eq!(speech(&res), "Playing Yesterday by The Beatles.");
    let seen = api.requests();
    assert_eq!(
        (seen[0].method.as_str(), seen[0].path.as_str()),
        ("GET", "/v1/search")
    );
    assert!(seen[0].query.contains("type=track") && seen[0].query.contains("q=yesterday"));
    assert_eq!(
        (seen[1].method.as_str(), seen[1].path.as_str()),
        ("PUT", "/v1/me/player/play")
    );
}

#[tokio::test]
async fn volume_needs_a_number_between_0_and_100() {
    let api = FakeApi::start(204, json!(null)).await;
    let app = app_with_api(&api).await;
    let now = app.clock.now();
    let slots = |v: &str| json!({"volume": {"name": "volume", "value": v}});
    let (_, res) = post_skill(
        &app,
        &envelope(intent(now, "SetVolumeIntent", slots("140")), Some("t")),
    )
    .await;
    assert!(speech(&res).contains("between 0 and 100"));
    assert!(api.requests().is_empty());
    let (_, res) = post_skill(
        &app,
        &envelope(intent(now, "SetVolumeIntent", slots("40")), Some("t")),
    )
    .await;
    assert_eq!(speech(&res), "Volume set to 40.");
    assert_eq!(api.requests()[0].query, "volume_percent=40");
}

#[tokio::test]
async fn session_ended_and_unknown_requests_get_an_empty_response() {
    let app = spawn_app().await;
    let now = app.clock.now();
    let ended = json!({"type": "SessionEndedRequest", "requestId": "r", "timestamp": timestamp(now, 0), "reason": "USER_INITIATED"});
    let (code, res) = post_skill(&app, &envelope(ended, None)).await;
    assert_eq!(
        (code, res),
        (200, json!({"version": "1.0", "response": {}}))
    );
    let other = json!({"type": "AudioPlayer.PlaybackStopped", "requestId": "r", "timestamp": timestamp(now, 0)});
    let (code, res) = post_skill(&app, &envelope(other, None)).await;
    assert_eq!(
        (code, res),
        (200, json!({"version": "1.0", "response": {}}))
    );
}

#[tokio::test]
async fn stale_timestamps_are_rejected_even_without_signature_checks() {
    let app = spawn_app().await;
    let mut req = launch(app.clock.now());
    req["timestamp"] = json!(timestamp(app.clock.now(), -151));
    let (code, res) = post_skill(&app, &envelope(req, None)).await;
    assert_eq!(code, 400);
    assert!(res["error_description"]
        .as_str()
        .unwrap()
        .contains("timestamp"));
    // Moving the server's clock makes a fresh request stale too.
    let body = envelope(launch(app.clock.now()), None);
    app.clock.advance(200);
    assert_eq!(post_skill(&app, &body).await.0, 400);
}

#[tokio::test]
async fn a_configured_application_id_is_enforced() {
    let app =
        spawn_app_with(|s| s.skill.application_id = Some("amzn1.ask.skill.other".into())).await;
    let (code, res) = post_skill(&app, &envelope(launch(app.clock.now()), None)).await;
    assert_eq!(code, 400);
    assert!(res["error_description"]
        .as_str()
        .unwrap()
        .contains("applicationId"));
    let app = spawn_app_with(|s| s.skill.application_id = Some(SKILL_ID.into())).await;
    assert_eq!(
        post_skill(&app, &envelope(launch(app.clock.now()), None))
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn malformed_requests_are_400_and_other_methods_405() {
    let app = spawn_app().await;
    for body in [
        json!({"hello": "world"}),
        envelope(
            json!({"type": "IntentRequest", "requestId": "r", "timestamp": timestamp(app.clock.now(), 0)}),
            None,
        ),
    ] {
        let (code, res) = post_skill(&app, &body).await;
        assert_eq!(code, 400, "{res}");
    }
    let res = app
        .http
        .post(format!("{}/alexa/skill", app.url))
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let res = app
        .http
        .get(format!("{}/alexa/skill", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 405);
}

#[tokio::test]
async fn the_skill_path_is_configurable() {
    let app = spawn_app_with(|s| s.skill.path = "/my/skill".into()).await;
    let res = app
        .http
        .post(format!("{}/my/skill", app.url))
        .json(&envelope(launch(app.clock.now()), None))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = app
        .http
        .post(format!("{}/alexa/skill", app.url))
        .json(&envelope(launch(app.clock.now()), None))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}
