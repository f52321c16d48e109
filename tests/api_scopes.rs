//! Scope enforcement, endpoint by endpoint: without its scope each endpoint
//! answers 403 "Insufficient client scope"; with only that scope it works.

use crate::api_support::*;
use crate::helpers::*;
use mocklink::api::{catalog, ids::SpotifyId};
use serde_json::{json, Value};

struct Case {
    method: &'static str,
    path: String,
    body: Option<Value>,
    scope: &'static str,
    /// Status with exactly `scope` granted.
    ok: u16,
}

fn case(
    method: &'static str,
    path: impl Into<String>,
    body: Option<Value>,
    scope: &'static str,
    ok: u16,
) -> Case {
    Case {
        method,
        path: path.into(),
        body,
        scope,
        ok,
    }
}

#[tokio::test]
async fn each_endpoint_requires_its_scope() {
    let app = spawn_app().await;
    let track = catalog::generate().tracks[3].id.clone();
    let uri = format!("spotify:track:{track}");
    // The demo user's seeded playlists: 0 and 1 public, 2 private.
    let public = SpotifyId::derive("mocklink:playlist:demo:0").to_string();
    let private = SpotifyId::derive("mocklink:playlist:demo:2").to_string();
    let cases = vec![
        case(
            "GET",
            "/v1/me/player",
            None,
            "user-read-playback-state",
            204,
        ),
        case(
            "GET",
            "/v1/me/player/devices",
            None,
            "user-read-playback-state",
            200,
        ),
        case(
            "GET",
            "/v1/me/player/currently-playing",
            None,
            "user-read-currently-playing",
            204,
        ),
        // Without an active device, commands get past the scope check to 404.
        case(
            "PUT",
            "/v1/me/player/play",
            None,
            "user-modify-playback-state",
            404,
        ),
        case(
            "PUT",
            "/v1/me/player/pause",
            None,
            "user-modify-playback-state",
            404,
        ),
        case(
            "POST",
            "/v1/me/player/next",
            None,
            "user-modify-playback-state",
            404,
        ),
        case(
            "POST",
            "/v1/me/player/previous",
            None,
            "user-modify-playback-state",
            404,
        ),
        case(
            "PUT",
            "/v1/me/player/seek?position_ms=0",
            None,
            "user-modify-playback-state",
            404,
        ),
        case(
            "PUT",
            "/v1/me/player/volume?volume_percent=5",
            None,
            "user-modify-playback-state",
            404,
        ),
        case(
            "PUT",
            "/v1/me/player/shuffle?state=true",
            None,
            "user-modify-playback-state",
            404,
        ),
        case(
            "PUT",
            "/v1/me/player/repeat?state=off",
            None,
            "user-modify-playback-state",
            404,
        ),
        case(
            "POST",
            format!("/v1/me/player/queue?uri={uri}"),
            None,
            "user-modify-playback-state",
            404,
        ),
        case(
            "PUT",
            "/v1/me/player",
            Some(json!({"device_ids": ["0000"]})),
            "user-modify-playback-state",
            404,
        ),
        case(
            "GET",
            "/v1/me/playlists",
            None,
            "playlist-read-private",
            200,
        ),
        case(
            "GET",
            format!("/v1/playlists/{private}"),
            None,
            "playlist-read-private",
            200,
        ),
        case(
            "GET",
            format!("/v1/playlists/{private}/items"),
            None,
            "playlist-read-private",
            200,
        ),
        case(
            "POST",
            "/v1/me/playlists",
            Some(json!({"name": "Public list"})),
            "playlist-modify-public",
            201,
        ),
        case(
            "POST",
            "/v1/users/demo/playlists",
            Some(json!({"name": "Private list", "public": false})),
            "playlist-modify-private",
            201,
        ),
        case(
            "POST",
            format!("/v1/playlists/{public}/items"),
            Some(json!({"uris": [uri]})),
            "playlist-modify-public",
            201,
        ),
        // Appending to one's own private list needs only the modify scope.
        case(
            "POST",
            format!("/v1/playlists/{private}/items"),
            Some(json!({"uris": [uri]})),
            "playlist-modify-private",
            201,
        ),
        case(
            "POST",
            format!("/v1/playlists/{public}/tracks?uris={uri}"),
            None,
            "playlist-modify-public",
            201,
        ),
        case("GET", "/v1/me/tracks", None, "user-library-read", 200),
        case(
            "GET",
            format!("/v1/me/tracks/contains?ids={track}"),
            None,
            "user-library-read",
            200,
        ),
        case(
            "PUT",
            format!("/v1/me/tracks?ids={track}"),
            None,
            "user-library-modify",
            200,
        ),
        case(
            "DELETE",
            format!("/v1/me/tracks?ids={track}"),
            None,
            "user-library-modify",
            200,
        ),
        case(
            "PUT",
            format!("/v1/me/library?uris={uri}"),
            None,
            "user-library-modify",
            200,
        ),
        case(
            "GET",
            format!("/v1/me/library/contains?uris={uri}"),
            None,
            "user-library-read",
            200,
        ),
        case("GET", "/v1/me/top/tracks", None, "user-top-read", 200),
        case("GET", "/v1/me/top/artists", None, "user-top-read", 200),
    ];

    // The user's library (devices, playlists) is seeded on first use.
    get_json(
        &app,
        "/v1/me/playlists",
        &user_token(&app, "playlist-read-private").await,
    )
    .await;
    let none = user_token(&app, "").await;
    for c in &cases {
        let res = call(&app, c.method, &c.path, Some(&none), c.body.clone()).await;
        let challenge = res.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            challenge.contains(&format!("scope=\"{}\"", c.scope)),
            "{} {}: {challenge}",
            c.method,
            c.path
        );
        let err = expect_error(res, 403).await;
        assert_eq!(err["message"], "Insufficient client scope");
    }

    let mut scopes: Vec<&str> = cases.iter().map(|c| c.scope).collect();
    scopes.sort();
    scopes.dedup();
    for scope in scopes {
        let token = user_token(&app, scope).await;
        for c in cases.iter().filter(|c| c.scope == scope) {
            let res = call(&app, c.method, &c.path, Some(&token), c.body.clone()).await;
            assert_eq!(res.status(), c.ok, "{} {} with {scope}", c.method, c.path);
        }
    }
}

#[tokio::test]
async fn the_profile_shows_fields_by_scope() {
    let app = spawn_app().await;
    let bare = get_json(&app, "/v1/me", &user_token(&app, "").await).await;
    assert_eq!(bare["id"], "demo");
    assert_eq!(bare["type"], "user");
    assert_eq!(bare["uri"], "spotify:user:demo");
    for hidden in ["email", "country", "product", "explicit_content"] {
        assert!(bare.get(hidden).is_none(), "{hidden} without a scope");
    }
    let email = get_json(&app, "/v1/me", &user_token(&app, "user-read-email").await).await;
    assert_eq!(email["email"], "demo@example.com");
    assert!(email.get("product").is_none());
    let private = get_json(
        &app,
        "/v1/me/",
        &user_token(&app, "user-read-private").await,
    )
    .await;
    assert_eq!(private["product"], "premium");
    assert_eq!(private["country"], "US");
    assert!(private.get("email").is_none());
}

#[tokio::test]
async fn catalog_and_search_need_no_scope() {
    let app = spawn_app().await;
    // Seeds the demo user's library, whose public playlists anyone may read.
    get_json(
        &app,
        "/v1/me/playlists",
        &user_token(&app, ALL_SCOPES).await,
    )
    .await;
    let token = user_token(&app, "").await;
    let c = catalog::generate();
    for path in [
        format!("/v1/tracks/{}", c.tracks[0].id),
        format!("/v1/albums/{}", c.albums[0].id),
        format!("/v1/artists/{}", c.artists[0].id),
        format!(
            "/v1/playlists/{}",
            SpotifyId::derive("mocklink:playlist:demo:1")
        ),
        "/v1/users/demo".into(),
        "/v1/search?q=the&type=track".into(),
    ] {
        let res = call(&app, "GET", &path, Some(&token), None).await;
        assert_eq!(res.status(), 200, "{path}");
    }
}
