//! Playback as state: devices becoming active, progress following the clock,
//! contexts, offsets, persistence across restarts; and seeding.

use crate::api_support::*;
use crate::helpers::*;
use mocklink::api::{catalog, ids::SpotifyId};
use serde_json::{json, Value};

async fn player(app: &TestApp, token: &str) -> Value {
    get_json(app, "/v1/me/player", token).await
}

async fn put(app: &TestApp, token: &str, path: &str, body: Option<Value>) {
    let res = call(app, "PUT", path, Some(token), body).await;
    assert_eq!(
        res.status(),
        204,
        "PUT {path}: {}",
        res.text().await.unwrap()
    );
}

/// A catalog album with at least three tracks: (album id, [(track id, ms)]).
fn album_with_tracks() -> (String, Vec<(String, i64)>) {
    let c = catalog::generate();
    let album = c.albums.iter().find(|a| a.total_tracks >= 3).unwrap();
    let tracks = c
        .tracks
        .iter()
        .filter(|t| t.album_id == album.id)
        .map(|t| (t.id.clone(), t.duration_ms))
        .collect();
    (album.id.clone(), tracks)
}

#[tokio::test]
async fn transfer_activates_a_device_and_play_resumes_the_saved_tracks() {
    let app = spawn_app().await;
    let token = user_token(&app, ALL_SCOPES).await;
    let devices = device_ids(&app, &token).await;
    let res = call(&app, "GET", "/v1/me/player", Some(&token), None).await;
    assert_eq!(res.status(), 204);
    assert!(res.bytes().await.unwrap().is_empty());

    put(
        &app,
        &token,
        "/v1/me/player",
        Some(json!({"device_ids": [devices[2]]})),
    )
    .await;
    let state = player(&app, &token).await;
    assert_eq!(state["device"]["id"], devices[2].as_str());
    assert_eq!(state["device"]["is_active"], true);
    assert_eq!(state["device"]["type"], "Smartphone");
    assert_eq!(state["is_playing"], false);
    assert!(state["item"].is_null());
    let res = call(
        &app,
        "GET",
        "/v1/me/player/currently-playing",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(res.status(), 204, "nothing loaded yet");
    let listed = get_json(&app, "/v1/me/player/devices", &token).await;
    let active: Vec<_> = listed["devices"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["is_active"] == true)
        .map(|d| d["id"].clone())
        .collect();
    assert_eq!(active, [json!(devices[2])]);

    put(&app, &token, "/v1/me/player/play", None).await;
    let newest = get_json(&app, "/v1/me/tracks?limit=1", &token).await;
    let state = player(&app, &token).await;
    assert_eq!(state["is_playing"], true);
    assert_eq!(state["item"]["id"], newest["items"][0]["track"]["id"]);
    assert!(state["context"].is_null());
    assert_eq!(state["currently_playing_type"], "track");
    assert!(state["timestamp"].as_i64().unwrap() > 1_700_000_000_000);
}

#[tokio::test]
async fn progress_follows_the_clock_into_the_next_track() {
    let app = spawn_app().await;
    let token = user_token(&app, ALL_SCOPES).await;
    let device = device_ids(&app, &token).await.remove(0);
    let (album, tracks) = album_with_tracks();
    put(
        &app,
        &token,
        &format!("/v1/me/player/play?device_id={device}"),
        Some(json!({
            "context_uri": format!("spotify:album:{album}"),
            "offset": {"position": 1},
            "position_ms": 1000
        })),
    )
    .await;
    let state = player(&app, &token).await;
    assert_eq!(state["item"]["id"], tracks[1].0.as_str());
    assert_eq!(state["context"]["type"], "album");
    assert_eq!(state["context"]["uri"], format!("spotify:album:{album}"));
    assert_eq!(
        state["context"]["href"],
        format!("{}/v1/albums/{album}", app.url)
    );
    let progress = state["progress_ms"].as_i64().unwrap();
    assert!((1000..6000).contains(&progress), "{progress}");

    // The rest of track 1 plus 4 s: 4 s into track 2.
    app.clock.advance((tracks[1].1 - 1000) / 1000 + 5);
    let state = player(&app, &token).await;
    assert_eq!(state["item"]["id"], tracks[2].0.as_str());
    let progress = state["progress_ms"].as_i64().unwrap();
    assert!((3000..10_000).contains(&progress), "{progress}");
    assert_eq!(state["is_playing"], true);
}

#[tokio::test]
async fn the_end_of_the_tracks_stops_unless_repeating() {
    let app = spawn_app().await;
    let token = user_token(&app, ALL_SCOPES).await;
    let device = device_ids(&app, &token).await.remove(0);
    let (_, tracks) = album_with_tracks();
    let (id, ms) = tracks[0].clone();
    let play = json!({"uris": [format!("spotify:track:{id}")]});
    put(
        &app,
        &token,
        &format!("/v1/me/player/play?device_id={device}"),
        Some(play.clone()),
    )
    .await;
    app.clock.advance(ms / 1000 + 2);
    let state = player(&app, &token).await;
    assert_eq!(state["is_playing"], false);
    assert_eq!(state["progress_ms"], 0);
    assert_eq!(state["item"]["id"], id.as_str());

    put(&app, &token, "/v1/me/player/play", Some(play)).await;
    put(&app, &token, "/v1/me/player/repeat?state=track", None).await;
    app.clock.advance(ms / 1000 + 5);
    let state = player(&app, &token).await;
    assert_eq!(state["is_playing"], true);
    assert_eq!(state["repeat_state"], "track");
    assert_eq!(state["item"]["id"], id.as_str());
    assert!(state["progress_ms"].as_i64().unwrap() >= 3000);

    // next at the end of the order with repeat off is refused.
    put(&app, &token, "/v1/me/player/repeat?state=off", None).await;
    let res = call(&app, "POST", "/v1/me/player/next", Some(&token), None).await;
    let err = expect_error(res, 403).await;
    assert_eq!(err["reason"], "NO_NEXT_TRACK");
}

#[tokio::test]
async fn playlists_play_as_contexts_from_an_offset_uri() {
    let app = spawn_app().await;
    let token = user_token(&app, ALL_SCOPES).await;
    let device = device_ids(&app, &token).await.remove(0);
    let list = SpotifyId::derive("mocklink:playlist:demo:0").to_string();
    let items = get_json(
        &app,
        &format!("/v1/playlists/{list}/items?limit=5&offset=2"),
        &token,
    )
    .await;
    assert_eq!(items["offset"], 2);
    assert_eq!(items["limit"], 5);
    assert_eq!(
        items["items"][0]["item"], items["items"][0]["track"],
        "both names"
    );
    let third = items["items"][0]["item"]["uri"]
        .as_str()
        .unwrap()
        .to_owned();
    put(
        &app,
        &token,
        &format!("/v1/me/player/play?device_id={device}"),
        Some(json!({"context_uri": format!("spotify:playlist:{list}"), "offset": {"uri": third}})),
    )
    .await;
    let state = player(&app, &token).await;
    assert_eq!(state["item"]["uri"], third.as_str());
    assert_eq!(state["context"]["type"], "playlist");

    for body in [
        json!({"context_uri": format!("spotify:playlist:{list}"), "offset": {"position": 999}}),
        json!({"context_uri": format!("spotify:playlist:{list}"), "uris": [third]}),
        json!({"uris": [third], "offset": {"uri": "spotify:track:0000000000000000000000"}}),
    ] {
        let res = call(&app, "PUT", "/v1/me/player/play", Some(&token), Some(body)).await;
        expect_error(res, 400).await;
    }
    let res = call(
        &app,
        "PUT",
        "/v1/me/player/play",
        Some(&token),
        Some(json!({"context_uri": "spotify:playlist:0000000000000000000000"})),
    )
    .await;
    expect_error(res, 404).await;

    // Seek moves within the track.
    put(&app, &token, "/v1/me/player/seek?position_ms=5000", None).await;
    let state = player(&app, &token).await;
    assert!(state["progress_ms"].as_i64().unwrap() >= 5000);
}

#[tokio::test]
async fn playback_is_persisted_across_a_restart() {
    let app = spawn_app().await;
    let token = user_token(&app, ALL_SCOPES).await;
    let device = device_ids(&app, &token).await.remove(0);
    let (album, tracks) = album_with_tracks();
    put(
        &app,
        &token,
        &format!("/v1/me/player/play?device_id={device}"),
        Some(json!({"context_uri": format!("spotify:album:{album}")})),
    )
    .await;
    put(&app, &token, "/v1/me/player/pause", None).await;
    // A connection of the test's own, independent of the app's runtime.
    let count = |app: &TestApp| {
        let url = app.db.url.clone();
        async move {
            let store = mocklink::store::Store::connect(&url).await.unwrap();
            let n = sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM tracks")
                .fetch_one(store.pool())
                .await
                .unwrap();
            store.close().await;
            n
        }
    };
    let tracks_before = count(&app).await;
    assert_eq!(tracks_before as usize, catalog::generate().tracks.len());
    app.stop().await;

    let again = spawn_on(app.db.clone(), |_| {}).await;
    assert_eq!(
        count(&again).await,
        tracks_before,
        "the catalog is seeded once"
    );
    let token = user_token(&again, ALL_SCOPES).await;
    let state = player(&again, &token).await;
    assert_eq!(state["device"]["id"], device.as_str());
    assert_eq!(state["item"]["id"], tracks[0].0.as_str());
    assert_eq!(state["is_playing"], false);
    let playlists = get_json(&again, "/v1/me/playlists", &token).await;
    assert_eq!(playlists["total"], 3, "the library is seeded once");
}

#[tokio::test]
async fn concurrent_first_requests_seed_the_library_once() {
    let app = spawn_app().await;
    let token = user_token(&app, ALL_SCOPES).await;
    let calls = (0..8).map(|i| {
        let path = if i % 2 == 0 {
            "/v1/me/playlists"
        } else {
            "/v1/me/player/devices"
        };
        call(&app, "GET", path, Some(&token), None)
    });
    for res in futures_util::future::join_all(calls).await {
        assert_eq!(res.status(), 200);
    }
    let playlists = get_json(&app, "/v1/me/playlists", &token).await;
    assert_eq!(playlists["total"], 3);
    assert_eq!(device_ids(&app, &token).await.len(), 3);
    let saved = get_json(&app, "/v1/me/tracks?limit=50", &token).await;
    assert_eq!(saved["total"], 30);
}

#[tokio::test]
async fn paging_objects_link_with_absolute_urls() {
    let app = spawn_app().await;
    let token = user_token(&app, ALL_SCOPES).await;
    let page = get_json(&app, "/v1/me/tracks?limit=10&offset=10", &token).await;
    assert_eq!(
        page["href"],
        format!("{}/v1/me/tracks?offset=10&limit=10", app.url)
    );
    assert_eq!(
        page["next"],
        format!("{}/v1/me/tracks?offset=20&limit=10", app.url)
    );
    assert_eq!(
        page["previous"],
        format!("{}/v1/me/tracks?offset=0&limit=10", app.url)
    );
    let last = get_json(&app, "/v1/me/tracks?limit=10&offset=25", &token).await;
    assert_eq!(last["items"].as_array().unwrap().len(), 5);
    assert!(last["next"].is_null());
    let beyond = get_json(&app, "/v1/me/tracks?limit=10&offset=40", &token).await;
    assert_eq!(beyond["items"].as_array().unwrap().len(), 0);
    assert_eq!(beyond["total"], 30);

    let search = get_json(
        &app,
        "/v1/search?q=the&type=track,show&limit=3&offset=3",
        &token,
    )
    .await;
    assert_eq!(search["tracks"]["items"].as_array().unwrap().len(), 3);
    assert_eq!(search["shows"]["total"], 0);
    let next = search["tracks"]["next"].as_str().unwrap();
    let followed: Value = app
        .http
        .get(next)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(followed["tracks"]["offset"], 6);
    assert_eq!(followed["shows"]["offset"], 6);
}

#[tokio::test]
async fn search_treats_like_wildcards_literally_and_matches_every_word() {
    let app = spawn_app().await;
    let token = user_token(&app, "").await;
    for q in ["%25", "100%25", "_", "a_b", "%5C", "%5C%25"] {
        let body = get_json(
            &app,
            &format!("/v1/search?q={q}&type=track,album,artist,playlist"),
            &token,
        )
        .await;
        for kind in ["tracks", "albums", "artists", "playlists"] {
            assert_eq!(body[kind]["total"], 0, "{q} {kind}");
        }
    }
    // Every word must match; a field filter counts as its value.
    let c = catalog::generate();
    let artist = &c.artists[5];
    let last_word = artist.name.split(' ').next_back().unwrap();
    let body = get_json(
        &app,
        &format!("/v1/search?q=artist:{last_word}&type=artist&limit=50"),
        &token,
    )
    .await;
    let names: Vec<_> = body["artists"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap().to_owned())
        .collect();
    assert!(names.contains(&artist.name), "{names:?}");
    assert!(names
        .iter()
        .all(|n| n.to_lowercase().contains(&last_word.to_lowercase())));
    let none = get_json(
        &app,
        &format!("/v1/search?q={last_word}%20zzzznotaword&type=artist"),
        &token,
    )
    .await;
    assert_eq!(none["artists"]["total"], 0);
}

#[tokio::test]
async fn deleting_a_user_removes_their_library_and_playback() {
    // Only the demo user: the personas' libraries would stay in the counts.
    let app = spawn_app_with(|s| s.demo_personas = false).await;
    let token = user_token(&app, ALL_SCOPES).await;
    let device = device_ids(&app, &token).await.remove(0);
    put(
        &app,
        &token,
        &format!("/v1/me/player/play?device_id={device}"),
        None,
    )
    .await;
    let created = call(
        &app,
        "POST",
        "/v1/me/playlists",
        Some(&token),
        Some(json!({"name": "Doomed", "public": true})),
    )
    .await;
    assert_eq!(created.status(), 201);
    let store = mocklink::store::Store::connect(&app.db.url).await.unwrap();
    let demo = mocklink::domain::Username::parse("demo").unwrap();
    assert!(store
        .delete_user(&demo)
        .await
        .expect("cascades through api tables"));
    for table in [
        "playlists",
        "devices",
        "playback",
        "saved_tracks",
        "library_seeded",
    ] {
        let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(n, 0, "{table}");
    }
    store.close().await;
}
