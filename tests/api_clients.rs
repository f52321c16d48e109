//! What real clients send that Spotify's reference does not say (issue 15),
//! through the real HTTP interface: trailing slashes, bare JSON arrays, the
//! endpoints spotipy and rspotify call (recently played, an artist's albums),
//! the calls Spotify withdrew from development-mode apps, `Allow` on 405 and
//! revocation's JSON answer.

use crate::api_support::*;
use crate::helpers::*;
use mocklink::config::ClientSeed;
use mocklink::store::RefreshPolicy;
use oauth2::{AuthType, AuthorizationCode, CsrfToken, Scope, TokenResponse};
use serde_json::{json, Value};
use std::time::Duration;

const EXTENDED: &str = "extended-app";
const EXTENDED_SECRET: &str = "extended-app-secret";
const EXTENDED_REDIRECT: &str = "http://127.0.0.1:8889/callback";

/// An app with a second, extended-quota client next to the demo one.
async fn spawn_with_extended_client() -> TestApp {
    spawn_app_with(|s| {
        s.clients.push(ClientSeed {
            id: EXTENDED.into(),
            name: Some("An extended-quota app".into()),
            secret: Some(EXTENDED_SECRET.into()),
            redirect_uris: vec![EXTENDED_REDIRECT.into()],
            scopes: None,
            refresh_policy: RefreshPolicy::Rotate,
            refresh_grace_seconds: 0,
            access_token_ttl_seconds: 3600,
            refresh_token_ttl_seconds: 86400,
            extended_quota: true,
        })
    })
    .await
}

/// A client-credentials token of `client`.
async fn client_credentials(app: &TestApp, client: &str, secret: &str) -> String {
    let res = app
        .token_request("grant_type=client_credentials", Some((client, secret)))
        .await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

/// A user token of the extended-quota client, through the pages.
async fn extended_user_token(app: &TestApp, scopes: &str) -> String {
    let client = app.oauth_client_for(
        EXTENDED,
        Some(EXTENDED_SECRET),
        EXTENDED_REDIRECT,
        AuthType::BasicAuth,
    );
    let mut req = client.authorize_url(CsrfToken::new_random);
    for s in scopes.split_whitespace() {
        req = req.add_scope(Scope::new(s.into()));
    }
    let (url, _) = req.url();
    let back = app.browse_and_agree(url.as_str()).await;
    let code = query_param(&back, "code").expect("a code");
    client
        .exchange_code(AuthorizationCode::new(code))
        .request_async(&app.http)
        .await
        .expect("the code is exchanged")
        .access_token()
        .secret()
        .clone()
}

/// An album id and its artist's id, through search.
async fn some_album(app: &TestApp, token: &str) -> (String, String) {
    let body = get_json(app, "/v1/search?q=the&type=album&limit=1", token).await;
    let album = &body["albums"]["items"][0];
    (
        album["id"].as_str().unwrap().to_owned(),
        album["artists"][0]["id"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn a_trailing_slash_under_v1_is_the_path_without_it() {
    let app = spawn_app().await;
    let token = user_token(&app, ALL_SCOPES).await;
    // spotify-web-api-node searches at /v1/search/.
    let plain = get_json(&app, "/v1/search?q=the&type=track&limit=3", &token).await;
    let slashed = get_json(&app, "/v1/search/?q=the&type=track&limit=3", &token).await;
    assert_eq!(plain["tracks"]["items"], slashed["tracks"]["items"]);
    // spotipy: albums/{id}/tracks/, me/.
    let (album, _) = some_album(&app, &token).await;
    let tracks = get_json(&app, &format!("/v1/albums/{album}/tracks/"), &token).await;
    assert!(tracks["total"].as_i64().unwrap() > 0);
    assert_eq!(get_json(&app, "/v1/me/", &token).await["id"], "demo");
    assert_eq!(get_json(&app, "/v1/me//", &token).await["id"], "demo");
    // Methods, auth and errors are those of the path without the slash.
    let put = call(&app, "PUT", "/v1/me/player/pause/", Some(&token), None).await;
    expect_error(put, 404).await; // no active device: the command ran
    expect_error(call(&app, "GET", "/v1/me/", None, None).await, 401).await;
    let e = expect_error(
        call(&app, "GET", "/v1/nothing/", Some(&token), None).await,
        404,
    )
    .await;
    assert_eq!(e["message"], "Service not found");
}

#[tokio::test]
async fn list_bodies_may_be_bare_json_arrays() {
    let app = spawn_app().await;
    let token = user_token(&app, ALL_SCOPES).await;
    let ids = some_track_ids(&app, &token, 3).await;
    let created = call(
        &app,
        "POST",
        "/v1/me/playlists",
        Some(&token),
        Some(json!({"name": "Bare arrays"})),
    )
    .await;
    assert_eq!(created.status(), 201);
    let playlist = created.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // spotipy's playlist_add_items: the bare array, position in the query.
    let uris: Vec<String> = ids.iter().map(|id| format!("spotify:track:{id}")).collect();
    let added = call(
        &app,
        "POST",
        &format!("/v1/playlists/{playlist}/items"),
        Some(&token),
        Some(json!(uris[..2])),
    )
    .await;
    assert_eq!(added.status(), 201);
    assert!(added.json::<Value>().await.unwrap()["snapshot_id"].is_string());
    let first = call(
        &app,
        "POST",
        &format!("/v1/playlists/{playlist}/items?position=0"),
        Some(&token),
        Some(json!([uris[2]])),
    )
    .await;
    assert_eq!(first.status(), 201);
    let items = get_json(&app, &format!("/v1/playlists/{playlist}/items"), &token).await;
    let order: Vec<&str> = items["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["item"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(order, [&ids[2], &ids[0], &ids[1]]);

    // Spotify's TypeScript SDK: bare id arrays to save and remove tracks.
    let contains = format!("/v1/me/tracks/contains?ids={}", ids.join(","));
    let saved = call(&app, "PUT", "/v1/me/tracks", Some(&token), Some(json!(ids))).await;
    assert_eq!(saved.status(), 200);
    assert_eq!(
        get_json(&app, &contains, &token).await,
        json!([true, true, true])
    );
    let removed = call(
        &app,
        "DELETE",
        "/v1/me/tracks",
        Some(&token),
        Some(json!([ids[0]])),
    )
    .await;
    assert_eq!(removed.status(), 200);
    assert_eq!(
        get_json(&app, &contains, &token).await,
        json!([false, true, true])
    );

    // Bad arrays are Spotify-shaped 400s, never 500s.
    for (method, path, body) in [
        ("PUT", "/v1/me/tracks".to_owned(), json!([1, 2])),
        ("PUT", "/v1/me/tracks".to_owned(), json!([])),
        ("PUT", "/v1/me/tracks".to_owned(), json!(["not-an-id"])),
        (
            "POST",
            format!("/v1/playlists/{playlist}/items"),
            json!([{"uri": "x"}]),
        ),
        (
            "POST",
            format!("/v1/playlists/{playlist}/items"),
            json!(["spotify:album:4aawyAB9vmqN3uQ7FjRGTy"]),
        ),
        ("POST", format!("/v1/playlists/{playlist}/items"), json!([])),
    ] {
        let res = call(&app, method, &path, Some(&token), Some(body.clone())).await;
        expect_error(res, 400).await;
    }
    let res = call(
        &app,
        "POST",
        &format!("/v1/playlists/{playlist}/items?position=-1"),
        Some(&token),
        Some(json!([uris[0]])),
    )
    .await;
    expect_error(res, 400).await;
}

#[tokio::test]
async fn recently_played_pages_the_history_by_time_cursors() {
    let app = spawn_app().await;
    let token = user_token(&app, ALL_SCOPES).await;
    let first = get_json(&app, "/v1/me/player/recently-played?limit=5", &token).await;
    let items = first["items"].as_array().unwrap();
    assert_eq!(items.len(), 5, "the seeded history: {first}");
    assert_eq!(first["limit"], 5);
    let times: Vec<String> = items
        .iter()
        .map(|i| i["played_at"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        times.windows(2).all(|w| w[0] > w[1]),
        "newest first: {times:?}"
    );
    assert!(items[0]["track"]["album"]["id"].is_string());
    assert_eq!(items[0]["context"]["type"], "album");
    let before = first["cursors"]["before"].as_str().unwrap();
    let next = first["next"].as_str().unwrap();
    assert!(next.starts_with(&app.url), "{next}");
    assert!(next.contains(&format!("before={before}")), "{next}");

    // Following `next` gives the five plays before, and so on to the end.
    let second = get_json(&app, &next[app.url.len()..], &token).await;
    let older = second["items"][0]["played_at"].as_str().unwrap();
    assert!(older < times[4].as_str());
    let all = get_json(&app, "/v1/me/player/recently-played?limit=50", &token).await;
    assert_eq!(all["items"].as_array().unwrap().len(), 20);
    assert!(all["next"].is_null());
    // `after` gives the plays after a time, newest first.
    let after = first["cursors"]["before"].as_str().unwrap();
    let newer = get_json(
        &app,
        &format!("/v1/me/player/recently-played?after={after}&limit=50"),
        &token,
    )
    .await;
    assert_eq!(newer["items"].as_array().unwrap().len(), 4);

    // What the player plays joins the history: a finished track at once,
    // without any further command.
    let devices = device_ids(&app, &token).await;
    let ids = some_track_ids(&app, &token, 2).await;
    let uris: Vec<String> = ids.iter().map(|id| format!("spotify:track:{id}")).collect();
    let play = call(
        &app,
        "PUT",
        &format!("/v1/me/player/play?device_id={}", devices[0]),
        Some(&token),
        Some(json!({"uris": uris})),
    )
    .await;
    assert_eq!(play.status(), 204);
    app.clock.advance(40);
    let next = call(&app, "POST", "/v1/me/player/next", Some(&token), None).await;
    assert_eq!(next.status(), 204, "skipped after 40 s: a play");
    app.clock.advance(600); // longer than any track, shorter than the token
    let latest = get_json(&app, "/v1/me/player/recently-played?limit=2", &token).await;
    let got: Vec<&str> = latest["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["track"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(got, [&ids[1], &ids[0]], "{latest}");
    assert!(latest["items"][0]["context"].is_null());

    // Errors.
    for q in [
        "limit=0",
        "limit=51",
        "after=x",
        "before=-1",
        "after=1&before=2",
    ] {
        let res = call(
            &app,
            "GET",
            &format!("/v1/me/player/recently-played?{q}"),
            Some(&token),
            None,
        )
        .await;
        expect_error(res, 400).await;
    }
    let narrow = user_token(&app, "user-read-private").await;
    let res = call(
        &app,
        "GET",
        "/v1/me/player/recently-played",
        Some(&narrow),
        None,
    )
    .await;
    expect_error(res, 403).await;
    let cc = client_token(&app).await;
    let res = call(
        &app,
        "GET",
        "/v1/me/player/recently-played",
        Some(&cc),
        None,
    )
    .await;
    expect_error(res, 401).await;
}

#[tokio::test]
async fn an_artists_albums_page_and_filter_by_group() {
    let app = spawn_app().await;
    let token = client_token(&app).await;
    let (album, artist) = some_album(&app, &token).await;
    let page = get_json(&app, &format!("/v1/artists/{artist}/albums"), &token).await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(page["total"], items.len());
    assert!(items.iter().any(|a| a["id"] == album.as_str()));
    for a in items {
        assert_eq!(a["artists"][0]["id"], artist.as_str());
        assert_eq!(a["album_group"], a["album_type"]);
    }
    let one = get_json(
        &app,
        &format!("/v1/artists/{artist}/albums?limit=1&offset=1"),
        &token,
    )
    .await;
    assert_eq!(one["items"][0]["id"], items[1]["id"]);
    let kind = items[0]["album_type"].as_str().unwrap();
    let filtered = get_json(
        &app,
        &format!("/v1/artists/{artist}/albums?include_groups={kind},appears_on"),
        &token,
    )
    .await;
    let filtered = filtered["items"].as_array().unwrap();
    assert!(!filtered.is_empty());
    assert!(filtered.iter().all(|a| a["album_group"] == kind));
    let none = get_json(
        &app,
        &format!("/v1/artists/{artist}/albums?include_groups=compilation"),
        &token,
    )
    .await;
    assert_eq!(none["total"], 0);

    for path in [
        format!("/v1/artists/{artist}/albums?include_groups=bootleg"),
        format!("/v1/artists/{artist}/albums?limit=51"),
        "/v1/artists/not-an-id/albums".to_owned(),
    ] {
        expect_error(call(&app, "GET", &path, Some(&token), None).await, 400).await;
    }
    let res = call(
        &app,
        "GET",
        "/v1/artists/0TnOYISbd1XYRBk9myaseg/albums",
        Some(&token),
        None,
    )
    .await;
    expect_error(res, 404).await;
}

#[tokio::test]
async fn withdrawn_calls_answer_403_in_development_mode_and_work_with_extended_quota() {
    let app = spawn_with_extended_client().await;
    let dev = client_token(&app).await;
    let ext = client_credentials(&app, EXTENDED, EXTENDED_SECRET).await;
    let ids = some_track_ids(&app, &dev, 2).await;
    let (_, artist) = some_album(&app, &dev).await;
    let withdrawn = [
        format!("/v1/tracks?ids={}", ids.join(",")),
        format!("/v1/tracks/?ids={}", ids.join(",")),
        format!("/v1/artists?ids={artist}"),
        format!("/v1/artists/{artist}/top-tracks?market=US"),
    ];
    for path in &withdrawn {
        let e = expect_error(call(&app, "GET", path, Some(&dev), None).await, 403).await;
        assert_eq!(e["message"], "Forbidden", "{path}");
    }
    // A user token of the development-mode client is refused alike.
    let user = user_token(&app, "user-read-private").await;
    expect_error(
        call(&app, "GET", &withdrawn[0], Some(&user), None).await,
        403,
    )
    .await;

    let tracks = get_json(&app, &withdrawn[0], &ext).await;
    let got: Vec<&str> = tracks["tracks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(got, [&ids[0], &ids[1]]);
    let unknown = get_json(
        &app,
        &format!("/v1/tracks?ids={},0TnOYISbd1XYRBk9myaseg", ids[0]),
        &ext,
    )
    .await;
    assert!(unknown["tracks"][1].is_null());
    let artists = get_json(&app, &withdrawn[2], &ext).await;
    assert_eq!(artists["artists"][0]["id"], artist.as_str());
    let top = get_json(&app, &withdrawn[3], &ext).await;
    let top = top["tracks"].as_array().unwrap();
    assert!(!top.is_empty() && top.len() <= 10);
    assert!(top.iter().all(|t| t["artists"][0]["id"] == artist.as_str()));
    let user = extended_user_token(&app, "user-read-private").await;
    assert_eq!(get_json(&app, &withdrawn[2], &user).await, artists);

    // Bad input still gets Spotify's 400 (or 404) once the call is allowed.
    let too_many = vec![ids[0].clone(); 51].join(",");
    for path in [
        "/v1/tracks".to_owned(),
        "/v1/tracks?ids=".to_owned(),
        "/v1/tracks?ids=nope".to_owned(),
        format!("/v1/tracks?ids={too_many}"),
        "/v1/artists?ids=a,b".to_owned(),
        "/v1/artists/nope/top-tracks".to_owned(),
    ] {
        expect_error(call(&app, "GET", &path, Some(&ext), None).await, 400).await;
    }
    let res = call(
        &app,
        "GET",
        "/v1/artists/0TnOYISbd1XYRBk9myaseg/top-tracks",
        Some(&ext),
        None,
    )
    .await;
    expect_error(res, 404).await;
}

#[tokio::test]
async fn the_cli_switches_a_client_to_extended_quota_and_back() {
    let app = spawn_app().await;
    let token = client_token(&app).await;
    let ids = some_track_ids(&app, &token, 1).await;
    let path = format!("/v1/tracks?ids={}", ids[0]);
    let status = async || {
        call(&app, "GET", &path, Some(&token), None)
            .await
            .status()
            .as_u16()
    };
    assert_eq!(status().await, 403);

    let (ok, out) = run_cli(&app.db, &["client", "quota", DEMO_CLIENT, "extended"], &[]);
    assert!(ok, "{out}");
    assert!(out.contains("extended quota"), "{out}");
    let (ok, out) = run_cli(&app.db, &["client", "list"], &[]);
    assert!(ok && out.contains("quota=extended"), "{out}");
    // Running servers see the change within a second.
    assert!(eventually(Duration::from_secs(5), async || status().await == 200).await);

    let (ok, out) = run_cli(
        &app.db,
        &["client", "quota", DEMO_CLIENT, "development"],
        &[],
    );
    assert!(ok, "{out}");
    assert!(eventually(Duration::from_secs(5), async || status().await == 403).await);
    let (ok, out) = run_cli(
        &app.db,
        &["client", "quota", "no-such-client", "extended"],
        &[],
    );
    assert!(!ok && out.contains("no client"), "{out}");
}

#[tokio::test]
async fn every_405_names_the_allowed_methods() {
    let app = spawn_app().await;
    let doc: Value = app.get("/openapi.json").await.json().await.unwrap();
    let methods = ["get", "post", "put", "delete", "patch"];
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        let allowed: Vec<String> = methods
            .iter()
            .filter(|m| item.get(**m).is_some())
            .map(|m| m.to_uppercase())
            .collect();
        let concrete = path
            .replace("{id}", "6rqhFgbbKwnb9MLmUQDhG6")
            .replace("{user_id}", "demo")
            .replace("{kind}", "tracks")
            .replace("{flow}", "x");
        let concrete = regex_free_params(&concrete);
        let res = app
            .http
            .request(reqwest::Method::PATCH, format!("{}{concrete}", app.url))
            .send()
            .await
            .unwrap();
        // Every /v1 and provider resource answers an unknown method 405.
        let strict = ["/v1/", "/api/", "/.well-known/"]
            .iter()
            .any(|p| path.starts_with(p));
        if res.status() != 405 {
            assert!(!strict, "PATCH {path}: {}", res.status());
            continue;
        }
        checked += 1;
        let allow = res
            .headers()
            .get("allow")
            .unwrap_or_else(|| panic!("PATCH {path}: 405 without Allow"))
            .to_str()
            .unwrap()
            .to_owned();
        let mut named: Vec<String> = allow.split(',').map(|m| m.trim().to_owned()).collect();
        named.sort();
        let mut want = allowed.clone();
        want.sort();
        assert_eq!(named, want, "PATCH {path}: Allow: {allow}");
        if path.starts_with("/v1") {
            expect_error(res, 405).await;
        }
    }
    assert!(checked >= 40, "only {checked} operations answered 405");
}

/// Any other `{param}` becomes a plain value.
fn regex_free_params(path: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for c in path.chars() {
        match c {
            '{' => {
                inside = true;
                out.push_str("x1");
            }
            '}' => inside = false,
            _ if !inside => out.push(c),
            _ => {}
        }
    }
    out
}

#[tokio::test]
async fn revocation_answers_an_empty_json_object() {
    let app = spawn_app().await;
    let (access, _) = app.demo_tokens("user-read-private").await;
    let res = app
        .http
        .post(format!("{}/api/revoke", app.url))
        .basic_auth(DEMO_CLIENT, Some(DEMO_SECRET))
        .form(&[("token", access.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    assert_eq!(res.json::<Value>().await.unwrap(), json!({}));
    expect_error(call(&app, "GET", "/v1/me", Some(&access), None).await, 401).await;
}

#[tokio::test]
async fn openapi_keeps_spotify_and_alexa_schemas_apart() {
    let app = spawn_app().await;
    let doc: Value = app.get("/openapi.json").await.json().await.unwrap();
    let schemas = &doc["components"]["schemas"];
    assert!(schemas["Device"]["properties"]["is_active"].is_object());
    assert!(schemas["Context"]["properties"]["uri"].is_object());
    assert!(schemas["AlexaDevice"]["properties"]["deviceId"].is_object());
    assert!(schemas["AlexaContext"]["properties"]["System"].is_object());
    // Bounds and patterns as the handlers enforce them.
    let params = &doc["paths"]["/v1/albums/{id}/tracks"]["get"]["parameters"];
    let find = |name: &str| {
        params
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{name}"))["schema"]
            .clone()
    };
    assert_eq!(find("id")["pattern"], "^[0-9A-Za-z]{22}$");
    assert_eq!(find("limit")["minimum"], 1);
    assert_eq!(find("limit")["maximum"], 50);
    let body = &doc["paths"]["/v1/me/playlists"]["post"]["requestBody"];
    assert_eq!(body["required"], true);
    let create = &schemas["CreatePlaylistBody"];
    assert_eq!(create["required"], json!(["name"]));
}
