//! A real Spotify client (rspotify 0.16), changed only in its base URLs, logs
//! in through our pages and uses the api. Every answer must deserialize into
//! rspotify's own models, so shapes are checked field by field by the client.

use crate::api_support::*;
use crate::helpers::*;
use mocklink::config::ClientSeed;
use mocklink::store::RefreshPolicy;
use rspotify::model::{
    AlbumId, AlbumType, ArtistId, PlayContextId, PlayableId, PlayableItem, PlaylistId, RepeatState,
    SearchResult, SearchType, SubscriptionLevel, TimeLimits, TrackId, UserId,
};
use rspotify::prelude::{BaseClient as _, Id as _, OAuthClient as _};
use rspotify::{
    scopes, AuthCodeSpotify, ClientCredsSpotify, ClientError, Config, Credentials, OAuth,
};

const CLIENT: &str = "rspotify-compat";
const SECRET: &str = "rspotify-compat-secret";
const REDIRECT: &str = "http://127.0.0.1:8888/callback";
/// A second app, in Spotify's extended quota mode.
const EXTENDED: &str = "rspotify-extended";
const EXTENDED_SECRET: &str = "rspotify-extended-secret";

async fn spawn() -> TestApp {
    spawn_app_with(|s| {
        s.clients.push(ClientSeed {
            id: EXTENDED.into(),
            name: Some("rspotify, extended quota".into()),
            secret: Some(EXTENDED_SECRET.into()),
            redirect_uris: vec![REDIRECT.into()],
            scopes: None,
            refresh_policy: RefreshPolicy::Reuse,
            refresh_grace_seconds: 0,
            access_token_ttl_seconds: 3600,
            refresh_token_ttl_seconds: 180 * 24 * 3600,
            extended_quota: true,
        });
        s.clients.push(ClientSeed {
            id: CLIENT.into(),
            name: Some("rspotify compatibility suite".into()),
            secret: Some(SECRET.into()),
            redirect_uris: vec![REDIRECT.into()],
            scopes: None,
            refresh_policy: RefreshPolicy::Reuse,
            refresh_grace_seconds: 0,
            access_token_ttl_seconds: 3600,
            refresh_token_ttl_seconds: 180 * 24 * 3600,
            extended_quota: false,
        })
    })
    .await
}

fn config(app: &TestApp) -> Config {
    Config {
        api_base_url: format!("{}/v1/", app.url),
        auth_base_url: format!("{}/", app.url),
        ..Default::default()
    }
}

/// rspotify's own authorization-code flow, with us playing the browser.
async fn logged_in(app: &TestApp) -> AuthCodeSpotify {
    let oauth = OAuth {
        redirect_uri: REDIRECT.into(),
        scopes: scopes!(ALL_SCOPES),
        ..Default::default()
    };
    let spotify =
        AuthCodeSpotify::with_config(Credentials::new(CLIENT, SECRET), oauth, config(app));
    let url = spotify.get_authorize_url(false).unwrap();
    let back = app.browse_and_agree(&url).await;
    assert!(back.as_str().starts_with(REDIRECT), "redirected to {back}");
    let code = spotify
        .parse_response_code(back.as_str())
        .expect("a code, with rspotify's state echoed");
    spotify.request_token(&code).await.expect("token");
    spotify
}

fn track_of(item: Option<PlayableItem>) -> rspotify::model::FullTrack {
    match item {
        Some(PlayableItem::Track(t)) => t,
        other => panic!("expected a track, got {other:?}"),
    }
}

#[tokio::test]
#[allow(deprecated)] // email/country/product are "deprecated" in rspotify 0.16, still sent
async fn rspotify_reads_the_profile() {
    let app = spawn().await;
    let spotify = logged_in(&app).await;
    let me = spotify.me().await.expect("me");
    assert_eq!(me.id.id(), "demo");
    assert_eq!(me.display_name.as_deref(), Some("Demo User"));
    assert_eq!(me.email.as_deref(), Some("demo@example.com"));
    assert_eq!(me.product, Some(SubscriptionLevel::Premium));
    assert!(me.country.is_some());
    assert_eq!(me.href, format!("{}/v1/users/demo", app.url));
}

#[tokio::test]
async fn rspotify_plays_pauses_skips_and_sets_volume() {
    let app = spawn().await;
    let spotify = logged_in(&app).await;

    let devices = spotify.device().await.expect("devices");
    assert_eq!(devices.len(), 3);
    assert!(devices.iter().all(|d| !d.is_active));
    assert!(
        spotify
            .current_playback(None, None::<&[_]>)
            .await
            .expect("state")
            .is_none(),
        "nothing is active yet: 204"
    );
    let speaker = devices[0].id.clone().unwrap();

    // Play an album on the speaker.
    let found = spotify
        .search("the", SearchType::Album, None, None, Some(1), Some(0))
        .await
        .unwrap();
    let SearchResult::Albums(albums) = found else {
        panic!("albums expected")
    };
    let album_id = albums.items[0].id.clone().unwrap();
    let album = spotify.album(album_id.clone(), None).await.expect("album");
    let first = album.tracks.items[0].id.clone().unwrap();
    let second = album.tracks.items[1].id.clone().unwrap();
    spotify
        .start_context_playback(
            PlayContextId::Album(album_id.clone()),
            Some(&speaker),
            None,
            None,
        )
        .await
        .expect("play");
    let state = spotify
        .current_playback(None, None::<&[_]>)
        .await
        .unwrap()
        .expect("a playback state");
    assert!(state.is_playing);
    assert_eq!(state.device.id.as_deref(), Some(speaker.as_str()));
    assert_eq!(state.context.unwrap().uri, album_id.uri());
    assert_eq!(track_of(state.item).id.unwrap(), first);

    // Progress follows the clock.
    app.clock.advance(7);
    let state = spotify
        .current_playback(None, None::<&[_]>)
        .await
        .unwrap()
        .unwrap();
    assert!(state.progress.unwrap().num_milliseconds() >= 7000);

    // Pause freezes it.
    spotify.pause_playback(None).await.expect("pause");
    let paused = spotify
        .current_playing(None, None::<&[_]>)
        .await
        .unwrap()
        .expect("still loaded");
    assert!(!paused.is_playing);
    app.clock.advance(30);
    let later = spotify
        .current_playing(None, None::<&[_]>)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(later.progress, paused.progress);

    // Next and previous.
    spotify.next_track(None).await.expect("next");
    let state = spotify
        .current_playback(None, None::<&[_]>)
        .await
        .unwrap()
        .unwrap();
    assert!(state.is_playing);
    assert_eq!(track_of(state.item).id.unwrap(), second);
    spotify.previous_track(None).await.expect("previous");
    let state = spotify
        .current_playing(None, None::<&[_]>)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(track_of(state.item).id.unwrap(), first);

    // Volume, shuffle, repeat.
    spotify.volume(23, None).await.expect("volume");
    spotify.shuffle(true, None).await.expect("shuffle");
    spotify
        .repeat(RepeatState::Context, None)
        .await
        .expect("repeat");
    let state = spotify
        .current_playback(None, None::<&[_]>)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(state.device.volume_percent, Some(23));
    assert!(state.shuffle_state);
    assert_eq!(state.repeat_state, RepeatState::Context);

    // Play exact tracks, then queue one after the current track.
    spotify
        .start_uris_playback([PlayableId::Track(second.clone())], None, None, None)
        .await
        .expect("play uris");
    spotify
        .add_item_to_queue(PlayableId::Track(first.clone()), None)
        .await
        .expect("queue");
    let state = spotify
        .current_playback(None, None::<&[_]>)
        .await
        .unwrap()
        .unwrap();
    assert!(state.context.is_none());
    assert_eq!(track_of(state.item).id.unwrap(), second);
    let queue = spotify.current_user_queue().await.expect("queue");
    assert_eq!(track_of(queue.currently_playing).id.unwrap(), second);
    assert_eq!(queue.queue.len(), 1);
    assert_eq!(track_of(queue.queue.into_iter().next()).id.unwrap(), first);
    spotify.next_track(None).await.expect("next into the queue");
    let state = spotify
        .current_playing(None, None::<&[_]>)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(track_of(state.item).id.unwrap(), first);
}

#[tokio::test]
async fn rspotify_creates_a_playlist_adds_tracks_and_reads_it() {
    let app = spawn().await;
    let spotify = logged_in(&app).await;
    let before = spotify
        .current_user_playlists_manual(Some(50), Some(0))
        .await
        .expect("my playlists");
    assert_eq!(before.total, 3, "seeded playlists");

    let created = spotify
        .user_playlist_create(
            UserId::from_id("demo").unwrap(),
            "Road trip",
            Some(false),
            None,
            Some("for the car"),
        )
        .await
        .expect("create");
    assert_eq!(created.name, "Road trip");
    assert_eq!(created.public, Some(false));
    assert_eq!(created.items.total, 0);

    let tracks: Vec<TrackId> = some_track_ids(&app, &user_token(&app, "").await, 3)
        .await
        .iter()
        .map(|id| TrackId::from_id(id.clone()).unwrap())
        .collect();
    let first = spotify
        .playlist_add_items(
            created.id.clone(),
            tracks[..2].iter().cloned().map(PlayableId::Track),
            None,
        )
        .await
        .expect("add");
    let second = spotify
        .playlist_add_items(
            created.id.clone(),
            [PlayableId::Track(tracks[2].clone())],
            Some(0),
        )
        .await
        .expect("insert at the top");
    assert_ne!(first.snapshot_id, second.snapshot_id);

    let read = spotify
        .playlist(created.id.clone(), None, None)
        .await
        .expect("read");
    assert_eq!(read.items.total, 3);
    let order: Vec<_> = read
        .items
        .items
        .into_iter()
        .map(|i| track_of(i.item).id.unwrap())
        .collect();
    assert_eq!(
        order,
        [tracks[2].clone(), tracks[0].clone(), tracks[1].clone()]
    );
    assert_eq!(read.snapshot_id, second.snapshot_id);

    let after = spotify
        .current_user_playlists_manual(Some(1), Some(0))
        .await
        .unwrap();
    assert_eq!(after.total, 4);
    assert_eq!(after.items[0].id, created.id, "newest first");
    assert!(after.next.is_some());
}

#[tokio::test]
async fn rspotify_search_pages_follow_limit_and_offset_exactly() {
    let app = spawn().await;
    let spotify = logged_in(&app).await;
    let page = |offset| {
        let spotify = &spotify;
        async move {
            match spotify
                .search("the", SearchType::Track, None, None, Some(7), Some(offset))
                .await
                .expect("search")
            {
                SearchResult::Tracks(p) => p,
                _ => panic!("tracks expected"),
            }
        }
    };
    let first = page(0).await;
    assert_eq!((first.limit, first.offset), (7, 0));
    assert!(first.previous.is_none());
    let total = first.total;
    assert!(total > 20, "a common word matches many tracks: {total}");
    let mut seen = Vec::new();
    let mut offset = 0;
    loop {
        let p = page(offset).await;
        assert_eq!(p.total, total);
        assert_eq!(p.offset, offset);
        let expected = (total - offset).min(7) as usize;
        assert_eq!(p.items.len(), expected, "page at {offset}");
        seen.extend(p.items.into_iter().map(|t| t.id.unwrap()));
        match p.next {
            Some(next) => {
                assert!(next.starts_with(&app.url), "absolute next link: {next}");
                offset += 7;
            }
            None => break,
        }
    }
    assert_eq!(seen.len() as u32, total);
    let mut unique = seen.clone();
    unique.sort_by(|a, b| a.id().cmp(b.id()));
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "no track on two pages");
}

#[tokio::test]
#[allow(deprecated)]
async fn rspotify_reads_catalog_library_and_top_items() {
    let app = spawn().await;
    let spotify = logged_in(&app).await;
    let saved = spotify
        .current_user_saved_tracks_manual(None, Some(5), Some(0))
        .await
        .expect("saved tracks");
    assert_eq!(saved.items.len(), 5);
    let track = saved.items[0].track.clone();
    let by_id = spotify
        .track(track.id.clone().unwrap(), None)
        .await
        .expect("track");
    assert_eq!(by_id.name, track.name);
    let artist_id: ArtistId = by_id.artists[0].id.clone().unwrap();
    let artist = spotify.artist(artist_id.clone()).await.expect("artist");
    assert_eq!(artist.name, by_id.artists[0].name);
    let album_id: AlbumId = by_id.album.id.clone().unwrap();
    let album = spotify.album(album_id.clone(), None).await.expect("album");
    assert!(album.tracks.items.iter().any(|t| t.id == by_id.id));
    let tail = spotify
        .album_track_manual(album_id, None, Some(2), Some(1))
        .await
        .expect("album tracks");
    assert_eq!(tail.total as usize, album.tracks.items.len());
    assert_eq!(tail.items[0].id, album.tracks.items[1].id);
    assert_eq!(tail.offset, 1);

    // Another user's lists: only the public ones.
    let theirs = spotify
        .user_playlists_manual(UserId::from_id("demo").unwrap(), Some(50), Some(0))
        .await
        .expect("a user's playlists");
    assert_eq!(theirs.total, 3, "one's own, with playlist-read-private");

    let top = spotify
        .current_user_top_tracks_manual(None, Some(10), Some(0))
        .await
        .expect("top tracks");
    assert_eq!(top.items.len(), 10);
    let top_artists = spotify
        .current_user_top_artists_manual(None, Some(3), Some(0))
        .await
        .expect("top artists");
    assert_eq!(top_artists.items.len(), 3);

    // rspotify 0.16 saves through the 2026 library API (/v1/me/library).
    let unsaved = spotify
        .search("the", SearchType::Track, None, None, Some(50), Some(0))
        .await
        .unwrap();
    let SearchResult::Tracks(page) = unsaved else {
        panic!("tracks expected")
    };
    let saved_ids: Vec<_> = spotify
        .current_user_saved_tracks_manual(None, Some(50), Some(0))
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|s| s.track.id.unwrap())
        .collect();
    let new = page
        .items
        .into_iter()
        .map(|t| t.id.unwrap())
        .find(|id| !saved_ids.contains(id))
        .expect("some track is not saved yet");
    let contains = || spotify.current_user_saved_tracks_contains([new.clone()]);
    assert_eq!(contains().await.unwrap(), [false]);
    spotify
        .current_user_saved_tracks_add([new.clone()])
        .await
        .expect("save");
    assert_eq!(contains().await.unwrap(), [true]);
    let newest = spotify
        .current_user_saved_tracks_manual(None, Some(1), Some(0))
        .await
        .unwrap();
    assert_eq!(newest.items[0].track.id.as_ref(), Some(&new));
    spotify
        .current_user_saved_tracks_delete([new.clone()])
        .await
        .expect("remove");
    assert_eq!(contains().await.unwrap(), [false]);
}

#[tokio::test]
async fn rspotify_client_credentials_read_the_catalog() {
    let app = spawn().await;
    let spotify = ClientCredsSpotify::with_config(Credentials::new(CLIENT, SECRET), config(&app));
    spotify.request_token().await.expect("client token");
    let SearchResult::Artists(artists) = spotify
        .search("the", SearchType::Artist, None, None, Some(2), Some(1))
        .await
        .expect("search")
    else {
        panic!("artists expected")
    };
    assert_eq!(artists.items.len(), 2);
    assert_eq!(artists.offset, 1);
    let id = artists.items[0].id.clone();
    assert_eq!(
        spotify.artist(id).await.unwrap().name,
        artists.items[0].name
    );
    // A public seeded playlist is readable without a user.
    let user = user_token(&app, "playlist-read-private").await;
    let mine = get_json(&app, "/v1/me/playlists", &user).await;
    let public = mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["public"] == true)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let list = spotify
        .playlist(PlaylistId::from_id(public).unwrap(), None, None)
        .await
        .expect("public playlist");
    assert!(list.items.total > 0);
}

#[tokio::test]
#[allow(deprecated)] // album_group: rspotify 0.16 marks it removed; the mock still sends it
async fn rspotify_reads_recently_played_and_an_artists_albums() {
    let app = spawn().await;
    let spotify = logged_in(&app).await;
    let page = spotify
        .current_user_recently_played(Some(5), None)
        .await
        .expect("recently played");
    assert_eq!(page.items.len(), 5);
    assert_eq!(page.limit, 5);
    assert!(page
        .cursors
        .as_ref()
        .and_then(|c| c.after.as_ref())
        .is_some());
    assert!(page
        .items
        .windows(2)
        .all(|w| w[0].played_at > w[1].played_at));
    let oldest = page.items[4].played_at;
    let older = spotify
        .current_user_recently_played(Some(50), Some(TimeLimits::Before(oldest)))
        .await
        .expect("older plays");
    assert_eq!(older.items.len(), 15);
    assert!(older.items.iter().all(|p| p.played_at < oldest));
    let newer = spotify
        .current_user_recently_played(Some(50), Some(TimeLimits::After(oldest)))
        .await
        .expect("newer plays");
    assert_eq!(newer.items.len(), 4);

    let artist = page.items[0].track.artists[0].id.clone().unwrap();
    use futures_util::TryStreamExt as _;
    let albums: Vec<_> = spotify
        .artist_albums(artist.clone(), None, None)
        .try_collect()
        .await
        .expect("the artist's albums, every page");
    assert!(!albums.is_empty());
    assert!(albums
        .iter()
        .all(|a| a.artists[0].id.as_ref() == Some(&artist)));
    let singles = spotify
        .artist_albums_manual(artist, [AlbumType::Single], None, Some(50), Some(0))
        .await
        .expect("singles");
    assert!(singles
        .items
        .iter()
        .all(|a| a.album_group.as_deref() == Some("single")));
}

#[tokio::test]
#[allow(deprecated)] // rspotify marks the calls Spotify withdrew
async fn rspotify_meets_development_mode_and_extended_quota() {
    let app = spawn().await;
    let dev = ClientCredsSpotify::with_config(Credentials::new(CLIENT, SECRET), config(&app));
    dev.request_token().await.expect("client token");
    let SearchResult::Tracks(found) = dev
        .search("the", SearchType::Track, None, None, Some(3), Some(0))
        .await
        .expect("search")
    else {
        panic!("tracks expected")
    };
    let ids: Vec<TrackId> = found.items.iter().map(|t| t.id.clone().unwrap()).collect();
    let artist = found.items[0].artists[0].id.clone().unwrap();
    let status = |e: ClientError| match e {
        ClientError::Http(h) => match *h {
            rspotify::http::HttpError::StatusCode(r) => r.status().as_u16(),
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    };
    assert_eq!(
        status(dev.tracks(ids.clone(), None).await.unwrap_err()),
        403
    );
    assert_eq!(
        status(dev.artists([artist.clone()]).await.unwrap_err()),
        403
    );
    assert_eq!(
        status(
            dev.artist_top_tracks(artist.clone(), None)
                .await
                .unwrap_err()
        ),
        403
    );

    let ext =
        ClientCredsSpotify::with_config(Credentials::new(EXTENDED, EXTENDED_SECRET), config(&app));
    ext.request_token().await.expect("client token");
    let tracks = ext.tracks(ids.clone(), None).await.expect("several tracks");
    let got: Vec<TrackId> = tracks.into_iter().map(|t| t.id.unwrap()).collect();
    assert_eq!(got, ids);
    let artists = ext
        .artists([artist.clone()])
        .await
        .expect("several artists");
    assert_eq!(artists[0].id, artist);
    let top = ext
        .artist_top_tracks(artist.clone(), None)
        .await
        .expect("top tracks");
    assert!(!top.is_empty() && top.len() <= 10);
}
