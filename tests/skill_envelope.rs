//! Alexa's documented JSON (alexa.md §3, §4) parses into our types and
//! serialises back to exactly the same JSON.

use mocklink::wire::alexa::envelope::*;
use serde_json::{json, Value};

fn round_trip<T: serde::Serialize + serde::de::DeserializeOwned>(doc: Value) -> T {
    let parsed: T = serde_json::from_value(doc.clone()).expect("parses");
    assert_eq!(serde_json::to_value(&parsed).unwrap(), doc, "round trip");
    parsed
}

#[test]
fn the_documented_linked_intent_request_round_trips() {
    let doc = json!({
      "version": "1.0",
      "session": {
        "new": false,
        "sessionId": "amzn1.echo-api.session.0000-1111",
        "application": {"applicationId": "amzn1.ask.skill.11111111-2222-3333-4444-555555555555"},
        "attributes": {},
        "user": {"userId": "amzn1.ask.account.AEXAMPLE", "accessToken": "Atza|abc123"}
      },
      "context": {
        "System": {
          "application": {"applicationId": "amzn1.ask.skill.11111111-2222-3333-4444-555555555555"},
          "user": {"userId": "amzn1.ask.account.AEXAMPLE", "accessToken": "Atza|abc123"},
          "device": {"deviceId": "amzn1.ask.device.AEXAMPLE", "supportedInterfaces": {}},
          "apiEndpoint": "https://api.amazonalexa.com",
          "apiAccessToken": "eyJ0eXAiOiJKV1Qi…"
        }
      },
      "request": {
        "type": "IntentRequest",
        "requestId": "amzn1.echo-api.request.0000-2222",
        "timestamp": "2026-11-24T21:00:00Z",
        "locale": "en-US",
        "dialogState": "COMPLETED",
        "intent": {"name": "WhatsPlayingIntent", "confirmationStatus": "NONE", "slots": {}}
      }
    });
    let env: RequestEnvelope = round_trip(doc);
    assert_eq!(env.access_token(), Some("Atza|abc123"));
    assert_eq!(
        env.application_id(),
        "amzn1.ask.skill.11111111-2222-3333-4444-555555555555"
    );
    let Request::Known(KnownRequest::IntentRequest(r)) = &env.request else {
        panic!("an IntentRequest");
    };
    assert_eq!(r.intent.name, "WhatsPlayingIntent");
    // The token never shows in debug output.
    assert!(!format!("{env:?}").contains("abc123"));
}

#[test]
fn an_unlinked_out_of_session_launch_has_no_token_and_no_session() {
    let doc = json!({
      "version": "1.0",
      "context": {
        "System": {
          "application": {"applicationId": "amzn1.ask.skill.x"},
          "user": {"userId": "amzn1.ask.account.AEXAMPLE"},
          "apiEndpoint": "https://api.eu.amazonalexa.com"
        },
        "Viewport": {"pixelWidth": 1024}
      },
      "request": {"type": "LaunchRequest", "requestId": "r", "timestamp": "2026-11-24T21:00:00Z"}
    });
    let env: RequestEnvelope = round_trip(doc);
    assert!(env.session.is_none());
    assert_eq!(env.access_token(), None);
    assert_eq!(env.request.type_name(), "LaunchRequest");
}

#[test]
fn slots_session_ended_and_unknown_request_types_round_trip() {
    let with_slot = json!({
        "type": "IntentRequest", "requestId": "r", "timestamp": "2026-11-24T21:00:00Z",
        "dialogState": "STARTED",
        "intent": {"name": "PlaySongIntent", "confirmationStatus": "NONE",
                   "slots": {"song": {"name": "song", "value": "yesterday", "confirmationStatus": "NONE"},
                             "empty": {"name": "empty", "confirmationStatus": "NONE"}}}
    });
    let r: Request = round_trip(with_slot);
    let Request::Known(KnownRequest::IntentRequest(r)) = r else {
        panic!()
    };
    assert_eq!(r.intent.slot("song"), Some("yesterday"));
    assert_eq!(r.intent.slot("empty"), None);

    let ended: Request = round_trip(json!({
        "type": "SessionEndedRequest", "requestId": "r", "timestamp": "2026-11-24T21:00:00Z",
        "locale": "en-US", "reason": "ERROR",
        "error": {"type": "INVALID_RESPONSE", "message": "bad"}
    }));
    assert_eq!(ended.type_name(), "SessionEndedRequest");

    let other: Request = round_trip(json!({
        "type": "AudioPlayer.PlaybackStarted", "requestId": "r",
        "timestamp": "2026-11-24T21:00:00Z", "token": "t", "offsetInMilliseconds": 0
    }));
    assert_eq!(other.type_name(), "AudioPlayer.PlaybackStarted");
}

#[test]
fn the_documented_unlinked_answer_round_trips() {
    let doc = json!({
      "version": "1.0",
      "response": {
        "outputSpeech": {"type": "PlainText", "text": "You need to link your account. I've sent a card to your Alexa app to get you started."},
        "card": {"type": "LinkAccount"},
        "shouldEndSession": true
      }
    });
    let res: ResponseEnvelope = round_trip(doc.clone());
    assert_eq!(res.response.card, Some(Card::LinkAccount));
    // The skill's own answer is exactly the documented one.
    assert_eq!(
        serde_json::to_value(mocklink::skill::handler::link_account()).unwrap(),
        doc
    );
}

#[test]
fn every_card_and_speech_shape_round_trips() {
    let doc = json!({
      "version": "1.0",
      "sessionAttributes": {"turns": 2},
      "response": {
        "outputSpeech": {"type": "SSML", "ssml": "<speak>Hi</speak>", "playBehavior": "REPLACE_ALL"},
        "card": {"type": "Standard", "title": "T", "text": "x",
                 "image": {"smallImageUrl": "https://a/s.png", "largeImageUrl": "https://a/l.png"}},
        "reprompt": {"outputSpeech": {"type": "PlainText", "text": "Well?"}},
        "directives": [],
        "shouldEndSession": false
      }
    });
    let _: ResponseEnvelope = round_trip(doc);
    let _: Card = round_trip(json!({"type": "Simple", "title": "T", "content": "c"}));
    let _: Card = round_trip(
        json!({"type": "AskForPermissionsConsent", "permissions": ["read::alexa:device:all:address"]}),
    );
    let _: ResponseEnvelope = round_trip(json!({"version": "1.0", "response": {}}));
}
