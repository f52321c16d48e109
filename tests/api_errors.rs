//! Ways a /v1 request can fail, over raw HTTP: the status, Spotify's
//! `{"error":{"status","message"}}` body and the RFC 6750 challenge. The
//! token checks of security.md items 27–30 are in `security_jwt_api.rs`.

use crate::api_support::*;
use crate::helpers::*;
use mocklink::api::catalog;
use serde_json::json;

fn challenge(res: &reqwest::Response) -> String {
    res.headers()
        .get("www-authenticate")
        .expect("a WWW-Authenticate challenge")
        .to_str()
        .unwrap()
        .to_owned()
}

fn track_id() -> String {
    catalog::generate().tracks[0].id.clone()
}

#[tokio::test]
async fn a_non_bearer_authorization_header_is_400() {
    let app = spawn_app().await;
    let res = app
        .http
        .get(format!("{}/v1/me", app.url))
        .basic_auth("demo", Some("demo"))
        .send()
        .await
        .unwrap();
    let err = expect_error(res, 400).await;
    assert_eq!(err["message"], "Only valid bearer authentication supported");
}

#[tokio::test]
async fn client_credentials_read_the_catalog_but_not_the_user() {
    let app = spawn_app().await;
    let token = client_token(&app).await;
    for path in [
        "/v1/me",
        "/v1/me/",
        "/v1/me/player",
        "/v1/me/playlists",
        "/v1/me/tracks",
        "/v1/me/top/tracks",
    ] {
        let res = call(&app, "GET", path, Some(&token), None).await;
        assert!(
            challenge(&res).contains("error=\"invalid_token\""),
            "{path}"
        );
        let err = expect_error(res, 401).await;
        assert_eq!(
            err["message"], "Valid user authentication required",
            "{path}"
        );
    }
    let res = call(&app, "PUT", "/v1/me/player/pause", Some(&token), None).await;
    expect_error(res, 401).await;
    for path in [
        format!("/v1/tracks/{}", track_id()),
        "/v1/search?q=the&type=track,artist,album,playlist".into(),
        "/v1/users/demo".into(),
    ] {
        let res = call(&app, "GET", &path, Some(&token), None).await;
        assert_eq!(res.status(), 200, "{path}");
    }
}

#[tokio::test]
async fn malformed_and_unknown_ids() {
    let app = spawn_app().await;
    let token = user_token(&app, "").await;
    let unknown = "0000000000000000000000";
    for kind in ["tracks", "albums", "artists", "playlists"] {
        for bad in [
            "abc",
            "6rqhFgbbKwnb9MLmUQDh-6",
            "6rqhFgbbKwnb9MLmUQDhG6x",
            "%00",
        ] {
            let res = call(
                &app,
                "GET",
                &format!("/v1/{kind}/{bad}"),
                Some(&token),
                None,
            )
            .await;
            expect_error(res, 400).await;
        }
        let res = call(
            &app,
            "GET",
            &format!("/v1/{kind}/{unknown}"),
            Some(&token),
            None,
        )
        .await;
        expect_error(res, 404).await;
    }
    let res = call(&app, "GET", "/v1/users/NOT%20A%20USER", Some(&token), None).await;
    expect_error(res, 400).await;
    let res = call(&app, "GET", "/v1/users/nobody", Some(&token), None).await;
    expect_error(res, 404).await;
}

#[tokio::test]
async fn bad_query_parameters_are_400() {
    let app = spawn_app().await;
    let token = user_token(&app, ALL_SCOPES).await;
    let cases = [
        ("/v1/search?type=track", "No search query"),
        ("/v1/search?q=%20&type=track", "No search query"),
        ("/v1/search?q=the", "Missing parameter type"),
        ("/v1/search?q=the&type=song", "Bad search type field song"),
        ("/v1/search?q=the&type=track&limit=0", "Invalid limit"),
        ("/v1/search?q=the&type=track&limit=51", "Invalid limit"),
        ("/v1/search?q=the&type=track&limit=ten", "Invalid limit"),
        ("/v1/search?q=the&type=track&offset=-1", "Invalid offset"),
        ("/v1/search?q=the&type=track&offset=1001", "Invalid offset"),
        (
            "/v1/search?q=the&type=track&offset=99999999999999999999",
            "Invalid offset",
        ),
        ("/v1/me/tracks?limit=51", "Invalid limit"),
        ("/v1/me/playlists?offset=x", "Invalid offset"),
        ("/v1/me/top/tracks?time_range=forever", "Invalid time range"),
    ];
    for (path, message) in cases {
        let res = call(&app, "GET", path, Some(&token), None).await;
        let err = expect_error(res, 400).await;
        assert_eq!(err["message"], message, "{path}");
    }
    let long = "a".repeat(300);
    let res = call(
        &app,
        "GET",
        &format!("/v1/search?q={long}&type=track"),
        Some(&token),
        None,
    )
    .await;
    expect_error(res, 400).await;
}

#[tokio::test]
async fn bad_bodies_are_400_never_500() {
    let app = spawn_app().await;
    let token = user_token(&app, ALL_SCOPES).await;
    let raw = |method: &str, path: &str, body: &'static str| {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        app.http
            .request(method, format!("{}{}", app.url, path))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let cases = [
        ("PUT", "/v1/me/player/play", "{"),
        ("PUT", "/v1/me/player/play", "[1,2]"),
        ("PUT", "/v1/me/player/play", r#"{"uris":"spotify:track:x"}"#),
        (
            "PUT",
            "/v1/me/player/play",
            r#"{"uris":["spotify:track:nope"]}"#,
        ),
        (
            "PUT",
            "/v1/me/player/play",
            r#"{"context_uri":"spotify:show:0000000000000000000000"}"#,
        ),
        ("PUT", "/v1/me/player/play", r#"{"position_ms":-5}"#),
        ("PUT", "/v1/me/player", "{}"),
        ("PUT", "/v1/me/player", r#"{"device_ids":["a","b"]}"#),
        ("POST", "/v1/me/playlists", ""),
        ("POST", "/v1/me/playlists", r#"{"name":5}"#),
        ("POST", "/v1/me/playlists", r#"{"name":"  "}"#),
        (
            "POST",
            "/v1/me/playlists",
            r#"{"name":"x","public":true,"collaborative":true}"#,
        ),
        ("POST", "/v1/users/demo/playlists", "nonsense"),
        ("PUT", "/v1/me/tracks", r#"{"ids":"x"}"#),
        ("PUT", "/v1/me/tracks?ids=abc", ""),
        (
            "PUT",
            "/v1/me/library?uris=spotify:album:0000000000000000000000",
            "",
        ),
    ];
    for (method, path, body) in cases {
        let res = raw(method, path, body).await.unwrap();
        let err = expect_error(res, 400).await;
        assert!(
            !err["message"].as_str().unwrap().is_empty(),
            "{method} {path} {body}"
        );
    }
}

#[tokio::test]
async fn playlist_edits_validate_uris_and_positions() {
    let app = spawn_app().await;
    let token = user_token(&app, ALL_SCOPES).await;
    let created: serde_json::Value = call(
        &app,
        "POST",
        "/v1/me/playlists",
        Some(&token),
        Some(json!({"name": "Validation"})),
    )
    .await
    .json()
    .await
    .unwrap();
    let path = format!("/v1/playlists/{}/items", created["id"].as_str().unwrap());
    let t = format!("spotify:track:{}", track_id());
    let too_many: Vec<String> = (0..101).map(|_| t.clone()).collect();
    for body in [
        json!({"uris": []}),
        json!({"uris": ["spotify:episode:0000000000000000000000"]}),
        json!({"uris": [t, "spotify:track:0000000000000000000000"]}),
        json!({"uris": [t], "position": -1}),
        json!({"uris": too_many}),
        json!({"position": 0}),
    ] {
        let res = call(&app, "POST", &path, Some(&token), Some(body.clone())).await;
        expect_error(res, 400).await;
    }
    let res = call(
        &app,
        "POST",
        &format!("{path}?uris={t}"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(res.status(), 201);
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(body["snapshot_id"].is_string());
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_in_spotifys_shape() {
    let app = spawn_app().await;
    let token = user_token(&app, "").await;
    let res = call(&app, "GET", "/v1/does/not/exist", Some(&token), None).await;
    expect_error(res, 404).await;
    let res = call(&app, "GET", "/v1/me/top/albums", Some(&token), None).await;
    expect_error(res, 404).await;
    let res = call(&app, "DELETE", "/v1/me", Some(&token), None).await;
    expect_error(res, 405).await;
    let res = call(&app, "POST", "/v1/me/player/pause", Some(&token), None).await;
    expect_error(res, 405).await;
}

#[tokio::test]
async fn free_accounts_may_look_but_not_control_playback() {
    let app = spawn_app_with_free_user().await;
    let token = user_token_as(&app, FREE_USER, FREE_PASSWORD, ALL_SCOPES).await;
    let me = get_json(&app, "/v1/me", &token).await;
    assert_eq!(me["product"], "free");
    let res = call(&app, "GET", "/v1/me/player", Some(&token), None).await;
    assert_eq!(res.status(), 204);
    let devices = device_ids(&app, &token).await;
    for (method, path) in [
        (
            "PUT",
            format!("/v1/me/player/play?device_id={}", devices[0]),
        ),
        ("PUT", "/v1/me/player/pause".into()),
        ("POST", "/v1/me/player/next".into()),
        ("PUT", "/v1/me/player/volume?volume_percent=10".into()),
    ] {
        let res = call(&app, method, &path, Some(&token), None).await;
        let err = expect_error(res, 403).await;
        assert_eq!(err["reason"], "PREMIUM_REQUIRED", "{path}");
        assert_eq!(err["message"], "Player command failed: Premium required");
    }
}

#[tokio::test]
async fn commands_without_an_active_device_are_404_no_active_device() {
    let app = spawn_app().await;
    let token = user_token(&app, ALL_SCOPES).await;
    for (method, path) in [
        ("PUT", "/v1/me/player/play"),
        ("PUT", "/v1/me/player/pause"),
        ("POST", "/v1/me/player/next"),
        ("POST", "/v1/me/player/previous"),
        ("PUT", "/v1/me/player/volume?volume_percent=10"),
        ("PUT", "/v1/me/player/shuffle?state=true"),
    ] {
        let res = call(&app, method, path, Some(&token), None).await;
        let err = expect_error(res, 404).await;
        assert_eq!(err["reason"], "NO_ACTIVE_DEVICE", "{path}");
        assert_eq!(
            err["message"],
            "Player command failed: No active device found"
        );
    }
    let res = call(
        &app,
        "PUT",
        "/v1/me/player/play?device_id=0123456789",
        Some(&token),
        None,
    )
    .await;
    let err = expect_error(res, 404).await;
    assert_eq!(err["message"], "Device not found");
}

#[tokio::test]
async fn player_parameters_and_restrictions() {
    let app = spawn_app().await;
    let token = user_token(&app, ALL_SCOPES).await;
    let devices = device_ids(&app, &token).await;
    let res = call(
        &app,
        "PUT",
        &format!("/v1/me/player/play?device_id={}", devices[0]),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(res.status(), 204);
    for path in [
        "/v1/me/player/volume?volume_percent=101",
        "/v1/me/player/volume?volume_percent=-1",
        "/v1/me/player/volume",
        "/v1/me/player/shuffle?state=yes",
        "/v1/me/player/repeat?state=all",
        "/v1/me/player/seek?position_ms=-3",
    ] {
        let res = call(&app, "PUT", path, Some(&token), None).await;
        expect_error(res, 400).await;
    }
    let res = call(
        &app,
        "POST",
        "/v1/me/player/queue?uri=spotify:album:x",
        Some(&token),
        None,
    )
    .await;
    expect_error(res, 400).await;
    // The TV's volume cannot be changed.
    let res = call(
        &app,
        "PUT",
        &format!(
            "/v1/me/player/volume?volume_percent=10&device_id={}",
            devices[1]
        ),
        Some(&token),
        None,
    )
    .await;
    let err = expect_error(res, 403).await;
    assert_eq!(err["reason"], "VOLUME_CONTROL_DISALLOW");
    // Pausing twice is a restriction violation, as on Spotify.
    let res = call(&app, "PUT", "/v1/me/player/pause", Some(&token), None).await;
    assert_eq!(res.status(), 204);
    let res = call(&app, "PUT", "/v1/me/player/pause", Some(&token), None).await;
    let err = expect_error(res, 403).await;
    assert_eq!(err["reason"], "ALREADY_PAUSED");
}

#[tokio::test]
async fn private_playlists_are_hidden_from_others() {
    let app = spawn_app().await;
    let owner = user_token(&app, ALL_SCOPES).await;
    let client = client_token(&app).await;
    let mine = get_json(&app, "/v1/me/playlists", &owner).await;
    let private = mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["public"] == false)
        .expect("a seeded private playlist")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = call(
        &app,
        "GET",
        &format!("/v1/playlists/{private}"),
        Some(&client),
        None,
    )
    .await;
    expect_error(res, 404).await;
    let res = call(
        &app,
        "GET",
        &format!("/v1/playlists/{private}"),
        Some(&owner),
        None,
    )
    .await;
    assert_eq!(res.status(), 200);
    // Another user's playlist cannot be created or edited.
    let res = call(
        &app,
        "POST",
        "/v1/users/someone/playlists",
        Some(&owner),
        Some(json!({"name": "x"})),
    )
    .await;
    expect_error(res, 403).await;
}

#[tokio::test]
async fn other_users_playlists_show_only_public_ones() {
    let app = spawn_app_with_free_user().await;
    let demo = user_token(&app, ALL_SCOPES).await;
    // The free user has never used the api; their library appears on demand.
    let page = get_json(&app, &format!("/v1/users/{FREE_USER}/playlists"), &demo).await;
    assert_eq!(page["total"], 2);
    assert!(page["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["public"] == true && p["owner"]["id"] == FREE_USER));
    let own = get_json(&app, "/v1/users/demo/playlists?limit=1", &demo).await;
    assert_eq!(own["total"], 3);
    assert_eq!(own["items"].as_array().unwrap().len(), 1);
    let no_private_scope = user_token(&app, "").await;
    let own = get_json(&app, "/v1/users/demo/playlists", &no_private_scope).await;
    assert_eq!(own["total"], 2);
    let res = call(&app, "GET", "/v1/users/ghost/playlists", Some(&demo), None).await;
    expect_error(res, 404).await;
    let res = call(&app, "GET", "/v1/albums/abc/tracks", Some(&demo), None).await;
    expect_error(res, 400).await;
}
