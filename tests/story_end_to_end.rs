//! The seed's story across all four roles: the simulator links, the skill
//! calls the api with the linked token and answers by name; revocation sends
//! the user back to linking.

use crate::alexa_support::*;
use crate::helpers::*;
use crate::skill_support::*;
use serde_json::json;

/// The demo story, headless, end to end (what `mocklink demo` runs).
#[tokio::test]
async fn the_demo_story_behaves_end_to_end() {
    let mut out = Vec::new();
    let ok = mocklink::commands::demo::run(&mut out)
        .await
        .expect("the demo runs");
    assert!(ok, "{}", String::from_utf8_lossy(&out));
}

#[tokio::test]
async fn a_linked_user_hears_their_display_name() {
    let app = spawn_app().await;
    let id = new_user(&app).await;
    link(&app, &id).await;
    let r = talk(&app, &id, json!({"utterance": "open mock music"})).await;
    assert_eq!(r["linked"], json!(true));
    assert!(
        r["speech"]
            .as_str()
            .unwrap()
            .starts_with("Welcome to mock music, Demo User."),
        "{r}"
    );
    assert_eq!(r["session_open"], json!(true));
    // What's playing: an answer, not a card and not an error.
    let r = talk(&app, &id, json!({"utterance": "what's playing"})).await;
    assert!(r["card"].is_null() && r["error"].is_null(), "{r}");
    assert!(
        !r["speech"].as_str().unwrap().contains("link your account"),
        "{r}"
    );
}

#[tokio::test]
async fn a_revoked_token_makes_the_skill_send_the_link_account_card() {
    let app = spawn_app().await;
    let id = new_user(&app).await;
    link(&app, &id).await;
    let token = stored_link(&app, &id).await.unwrap().access_token;
    let res = app
        .http
        .post(format!("{}/api/revoke", app.url))
        .basic_auth(DEMO_CLIENT, Some(DEMO_SECRET))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // The request still carries the (revoked) token; the api answers 401.
    let r = talk(&app, &id, json!({"launch": true})).await;
    assert_eq!(r["linked"], json!(true));
    assert_eq!(r["card"], json!({"type": "LinkAccount"}), "{r}");
}

#[tokio::test]
async fn the_skill_greets_by_name_with_a_token_from_the_provider() {
    use oauth2::{AuthType, AuthorizationCode, CsrfToken, Scope, TokenResponse};
    let app = spawn_app().await;
    let client = app.oauth_client(AuthType::BasicAuth);
    let (url, _) = client
        .authorize_url(CsrfToken::new_random)
        .add_scope(Scope::new("user-read-private".into()))
        .url();
    let back = app.browse_and_agree(url.as_str()).await;
    let code = query_param(&back, "code").unwrap();
    let token = client
        .exchange_code(AuthorizationCode::new(code))
        .request_async(&app.http)
        .await
        .unwrap();
    let res = app
        .http
        .post(format!("{}/alexa/skill", app.url))
        .json(&envelope(
            launch(app.clock.now()),
            Some(token.access_token().secret()),
        ))
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(
        body["response"]["outputSpeech"]["text"]
            .as_str()
            .unwrap()
            .starts_with("Welcome to mock music, Demo User."),
        "{body}"
    );
}

#[tokio::test]
async fn play_a_song_then_ask_whats_playing_like_on_an_echo() {
    let app = spawn_app().await;
    let id = new_user(&app).await;
    link(&app, &id).await;
    // Nothing is active yet; the skill plays on the user's speaker, as an Echo would.
    let catalog = mocklink::store::Store::connect(&app.db.url).await.unwrap();
    let track: String = sqlx::query_scalar("SELECT name FROM tracks ORDER BY id LIMIT 1")
        .fetch_one(catalog.pool())
        .await
        .unwrap();
    catalog.close().await;
    let r = talk(&app, &id, json!({"utterance": format!("play {track}")})).await;
    let speech = r["speech"].as_str().unwrap().to_owned();
    // "Playing <track> by <artist>." — whichever track the search ranked first.
    let playing = speech
        .strip_prefix("Playing ")
        .and_then(|rest| rest.split(" by ").next())
        .unwrap_or_else(|| panic!("{r}"))
        .to_owned();
    let r = talk(&app, &id, json!({"utterance": "what's playing"})).await;
    assert!(r["speech"].as_str().unwrap().contains(&playing), "{r}");
    let r = talk(&app, &id, json!({"utterance": "pause"})).await;
    assert!(r["speech"].as_str().unwrap().starts_with("Paused"), "{r}");
}
