//! The fast paths of issue 8 keep every rule of the slow ones: a token whose
//! signature was checked once is served from the verified-token cache, yet
//! still expires, still dies at once when revoked here (within a second when
//! revoked on another instance), and dies with its key; the cached user row
//! never outlives the user; and refresh rotation in one round trip keeps its
//! grace window and stays atomic when the caller goes away half-way.

use crate::api_support::*;
use crate::helpers::*;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use std::future::Future;
use std::task::Poll;
use std::time::Duration;

async fn me_status(app: &TestApp, token: &str) -> u16 {
    call(app, "GET", "/v1/me", Some(token), None)
        .await
        .status()
        .as_u16()
}

async fn revoke(app: &TestApp, token: &str) {
    let res = app
        .http
        .post(format!("{}/api/revoke", app.url))
        .basic_auth(DEMO_CLIENT, Some(DEMO_SECRET))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn a_token_is_verified_once_and_a_revocation_still_takes_effect_at_once() {
    let app = spawn_app().await;
    let (access, _) = app.demo_tokens("user-read-private").await;
    for _ in 0..3 {
        assert_eq!(me_status(&app, &access).await, 200);
    }
    assert_eq!(app.state.verified.len(), 1, "one token, verified once");

    // The same signature over other claims is another token: fully checked, refused.
    let parts: Vec<&str> = access.split('.').collect();
    let mut claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    claims["scope"] = "user-read-private user-read-email".into();
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        parts[2]
    );
    assert_eq!(me_status(&app, &forged).await, 401);
    assert_eq!(app.state.verified.len(), 1, "a refused token is not cached");

    // Revoking the (cached) access token: refused on the very next request.
    revoke(&app, &access).await;
    let res = call(&app, "GET", "/v1/me", Some(&access), None).await;
    assert_eq!(
        expect_error(res, 401).await["message"],
        "Invalid access token"
    );

    // Revoking a grant through its refresh token kills its cached access token at once.
    let (access, refresh) = app.demo_tokens("user-read-private").await;
    assert_eq!(me_status(&app, &access).await, 200);
    revoke(&app, &refresh).await;
    assert_eq!(me_status(&app, &access).await, 401);
    assert_eq!(app.introspect(&access).await["active"], false);
}

#[tokio::test]
async fn a_cached_token_still_expires() {
    let app = spawn_app().await;
    let (access, _) = app.demo_tokens("user-read-private").await;
    assert_eq!(me_status(&app, &access).await, 200);
    assert_eq!(app.state.verified.len(), 1);
    app.clock.advance(3600 + 60);
    let res = call(&app, "GET", "/v1/me", Some(&access), None).await;
    assert_eq!(
        expect_error(res, 401).await["message"],
        "The access token expired"
    );
    assert!(
        app.state.verified.is_empty(),
        "an expired token leaves the cache"
    );
}

#[tokio::test]
async fn a_cached_token_dies_with_its_pruned_key() {
    let app = spawn_app().await;
    let (access, _) = app.demo_tokens("user-read-private").await;
    assert_eq!(me_status(&app, &access).await, 200);
    let now = app.clock.now();
    let key = mocklink::oauth::keys::generate(mocklink::domain::SigningAlg::Rs256, now).unwrap();
    let store = &app.state.store;
    store.add_signing_key(&key).await.unwrap();
    app.state.keys.reload(store).await.unwrap();
    assert_eq!(
        me_status(&app, &access).await,
        200,
        "a retired key still verifies"
    );
    assert_eq!(store.prune_signing_keys(now + 1).await.unwrap(), 1);
    app.state.keys.reload(store).await.unwrap();
    assert_eq!(me_status(&app, &access).await, 401, "a pruned key does not");
}

#[tokio::test]
async fn a_deleted_user_is_refused_at_once_despite_the_cached_row() {
    let app = spawn_app().await;
    let (access, _) = app.demo_tokens("user-read-private").await;
    let me = get_json(&app, "/v1/me", &access).await;
    assert_eq!(me["display_name"], "Demo User");
    let demo = mocklink::domain::Username::parse("demo").unwrap();
    assert!(app.state.store.delete_user(&demo).await.unwrap());
    assert_eq!(me_status(&app, &access).await, 401);
}

/// Both instances must agree on the issuer to accept each other's tokens.
fn shared(s: &mut mocklink::config::Settings) {
    s.public_url = Some("http://mocklink.test".into());
}

#[tokio::test]
async fn revocations_and_deletions_on_one_instance_reach_another_instances_api_within_a_second() {
    let a = spawn_app_with(shared).await;
    let b = spawn_on(a.db.clone(), shared).await;
    let (access, refresh) = a.demo_tokens("user-read-private").await;
    assert_eq!(
        me_status(&b, &access).await,
        200,
        "B has cached it as valid"
    );
    revoke(&a, &refresh).await;
    assert_eq!(me_status(&a, &access).await, 401, "at once where revoked");
    let seen = eventually(Duration::from_millis(1500), async || {
        me_status(&b, &access).await == 401
    })
    .await;
    assert!(seen, "B refused the revoked token within a second");

    let (access, _) = a.demo_tokens("user-read-private").await;
    assert_eq!(
        me_status(&b, &access).await,
        200,
        "B has cached the token and the user"
    );
    let demo = mocklink::domain::Username::parse("demo").unwrap();
    assert!(a.state.store.delete_user(&demo).await.unwrap());
    let seen = eventually(Duration::from_millis(1500), async || {
        me_status(&b, &access).await == 401
    })
    .await;
    assert!(seen, "B refused the deleted user's token within a second");
}

const GRACE_CLIENT: &str = "graceful";
const GRACE_SECRET: &str = "graceful-secret";

async fn refresh_as(app: &TestApp, refresh: &str) -> (u16, serde_json::Value) {
    let res = app
        .token_request(
            &format!("grant_type=refresh_token&refresh_token={refresh}"),
            Some((GRACE_CLIENT, GRACE_SECRET)),
        )
        .await;
    (res.status().as_u16(), res.json().await.unwrap())
}

#[tokio::test]
async fn a_retired_refresh_token_within_the_grace_window_gets_new_tokens_and_after_it_revokes() {
    let app = spawn_app_with(|s| {
        let mut c = crate::provider_flow::public_client(GRACE_CLIENT);
        c.secret = Some(GRACE_SECRET.into());
        c.refresh_grace_seconds = 30;
        s.clients.push(c);
    })
    .await;
    let url = format!(
        "{}/authorize?response_type=code&client_id={GRACE_CLIENT}&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcb&state=s",
        app.url
    );
    let code = query_param(&app.browse_and_agree(&url).await, "code").unwrap();
    let res = app
        .token_request(
            &format!("grant_type=authorization_code&code={code}&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcb"),
            Some((GRACE_CLIENT, GRACE_SECRET)),
        )
        .await;
    assert_eq!(res.status(), 200);
    let r1 = res.json::<serde_json::Value>().await.unwrap()["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let token = |json: &serde_json::Value| json["refresh_token"].as_str().unwrap().to_owned();

    let (status, json) = refresh_as(&app, &r1).await;
    assert_eq!(status, 200, "{json}");
    let r2 = token(&json);
    // The client lost that answer and retries with R1 within the window.
    let (status, json) = refresh_as(&app, &r1).await;
    assert_eq!(status, 200, "within the grace window: {json}");
    let r3 = token(&json);
    assert!(r3 != r1 && r3 != r2);
    let (status, json) = refresh_as(&app, &r2).await;
    assert_eq!(status, 200, "the family lives on: {json}");
    let r4 = token(&json);

    app.clock.advance(31);
    let (status, json) = refresh_as(&app, &r1).await;
    assert_eq!(
        (status, json["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    for r in [r3, r4] {
        let (status, _) = refresh_as(&app, &r).await;
        assert_eq!(status, 400, "reuse after the window revoked the family");
    }
}

/// A rotation whose caller stops waiting half-way (a client that hung up)
/// either happens completely or not at all, and leaves no transaction open
/// behind it: the next rotation goes through at once.
#[tokio::test]
async fn a_rotation_abandoned_half_way_is_all_or_nothing_and_blocks_nothing() {
    let app = spawn_app().await;
    let store = &app.state.store;
    let (_, r1) = app.demo_tokens("user-read-private").await;
    let old = mocklink::store::digest(&r1);
    let new = mocklink::store::digest("the-abandoned-successor");
    let grant: String =
        sqlx::query_scalar("SELECT grant_id FROM refresh_tokens WHERE token_hash = $1")
            .bind(&old)
            .fetch_one(store.pool())
            .await
            .unwrap();
    // Another writer holds the token's row, so the rotation must wait...
    let mut blocker = store.pool().begin().await.unwrap();
    sqlx::query("UPDATE refresh_tokens SET created_at = created_at WHERE token_hash = $1")
        .bind(&old)
        .execute(&mut *blocker)
        .await
        .unwrap();
    // ...and its caller gives up while it waits: polled once, then dropped.
    let mut rotation = Box::pin(store.rotate_refresh_token(&old, &new, &grant, app.clock.now()));
    let first = std::future::poll_fn(|cx| Poll::Ready(rotation.as_mut().poll(cx))).await;
    assert!(first.is_pending(), "the rotation was waiting for the lock");
    drop(rotation);
    blocker.rollback().await.unwrap();

    let (_, other) = app.demo_tokens("user-read-private").await;
    let started = std::time::Instant::now();
    let (status, json) = app.refresh_demo(&other).await;
    assert_eq!(status, 200, "{json}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "no write lock was left behind"
    );
    let rotated: Option<i64> =
        sqlx::query_scalar("SELECT rotated_at FROM refresh_tokens WHERE token_hash = $1")
            .bind(&old)
            .fetch_one(store.pool())
            .await
            .unwrap();
    let successors: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM refresh_tokens WHERE token_hash = $1")
            .bind(&new)
            .fetch_one(store.pool())
            .await
            .unwrap();
    assert_eq!(
        i64::from(rotated.is_some()),
        successors,
        "retired with a successor, or untouched"
    );
}

/// Rotations arriving together are committed together on SQLite; each
/// refresh token is still retired once, by exactly one of its rivals.
#[tokio::test]
async fn rotations_committed_together_give_each_token_exactly_one_successor() {
    let app = spawn_app().await;
    let store = &app.state.store;
    let olds = refresh_tokens_with_grants(&app, 3).await;
    let now = app.clock.now();
    // Five rivals per token, interleaved, all queued before any is answered.
    let attempts: Vec<(usize, String)> = (0..15)
        .map(|i| (i % 3, mocklink::store::digest(&format!("successor-{i}"))))
        .collect();
    let results = futures_util::future::join_all(attempts.iter().map(|(chain, new)| {
        let (old, grant) = &olds[*chain];
        store.rotate_refresh_token(old, new, grant, now)
    }))
    .await;
    for (chain, (old, _)) in olds.iter().enumerate() {
        let winners: Vec<&String> = attempts
            .iter()
            .zip(&results)
            .filter(|((c, _), r)| *c == chain && *r.as_ref().unwrap())
            .map(|((_, new), _)| new)
            .collect();
        assert_eq!(winners.len(), 1, "chain {chain}");
        let successors: Vec<String> = sqlx::query_scalar(
            "SELECT r.token_hash FROM refresh_tokens r JOIN refresh_tokens o ON o.grant_id = r.grant_id \
             WHERE o.token_hash = $1 AND r.token_hash <> $1",
        )
        .bind(old)
        .fetch_all(store.pool())
        .await
        .unwrap();
        assert_eq!(successors, vec![winners[0].clone()], "chain {chain}");
    }
}

/// Issue 16: `GET /authorize` for a logged-in user whose consent is
/// remembered writes one row, the pending grant that carries its code.
#[tokio::test]
async fn authorize_with_a_session_and_remembered_consent_writes_one_row() {
    let app = spawn_app().await;
    app.demo_code("user-read-private").await; // logs in and consents
    let store = &app.state.store;
    let grants = async || -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM grants")
            .fetch_one(store.pool())
            .await
            .unwrap()
    };
    let before = table_digests(&app, &["inspector_events"]).await;
    let grants_before = grants().await;
    let res = app
        .browser
        .get(app.demo_authorize_url("user-read-private", &[]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302, "consent is remembered");
    let after = table_digests(&app, &["inspector_events"]).await;
    let changed: Vec<&String> = after
        .iter()
        .filter(|(t, d)| before.get(*t) != Some(*d))
        .map(|(t, _)| t)
        .collect();
    assert_eq!(changed, vec!["grants"], "only the grants table changed");
    assert_eq!(grants().await, grants_before + 1, "by one row");
}

/// Issue 16: presentations of codes arriving together (committed together
/// on SQLite, one statement each on PostgreSQL) give each code exactly one
/// winner, whose grant alone is active with exactly one refresh token; the
/// rivals claim nothing.
#[tokio::test]
async fn redemptions_arriving_together_give_each_code_exactly_one_winner() {
    use mocklink::store::{digest, CodeRedemption, Redeemed};
    let app = spawn_app().await;
    let store = &app.state.store;
    let mut codes = Vec::new();
    for _ in 0..3 {
        codes.push(digest(&app.demo_code("user-read-private").await));
    }
    let client = mocklink::domain::ClientId::parse(DEMO_CLIENT).unwrap();
    let now = app.clock.now_for(DEMO_CLIENT);
    let refresh: Vec<String> = (0..15).map(|i| digest(&format!("first-{i}"))).collect();
    // Five rivals per code, interleaved, all queued before any is answered.
    let presented: Vec<CodeRedemption> = (0..15)
        .map(|i| CodeRedemption {
            code_hash: &codes[i % 3],
            client_id: &client,
            redirect_uri: Some(ALEXA_REDIRECT),
            verifier_challenge: None,
            refresh_hash: &refresh[i],
            now,
        })
        .collect();
    let results =
        futures_util::future::join_all(presented.iter().map(|r| store.redeem_presented_code(r)))
            .await;
    for (c, code) in codes.iter().enumerate() {
        let outcomes: Vec<&Redeemed> = results
            .iter()
            .enumerate()
            .filter(|(i, _)| i % 3 == c)
            .map(|(_, r)| r.as_ref().unwrap())
            .collect();
        let winners: Vec<usize> = (0..15)
            .filter(|i| i % 3 == c && matches!(results[*i].as_ref().unwrap(), Redeemed::Issued(_)))
            .collect();
        assert_eq!(winners.len(), 1, "code {c}: {outcomes:?}");
        assert_eq!(
            outcomes
                .iter()
                .filter(|o| matches!(o, Redeemed::NotClaimed))
                .count(),
            4,
            "code {c}: the rivals claimed nothing"
        );
        let tokens: Vec<String> = sqlx::query_scalar(
            "SELECT r.token_hash FROM refresh_tokens r JOIN grants g ON g.id = r.grant_id \
             WHERE g.code_hash = $1",
        )
        .bind(code)
        .fetch_all(store.pool())
        .await
        .unwrap();
        assert_eq!(tokens, vec![refresh[winners[0]].clone()], "code {c}");
        let record = store.code(code).await.unwrap().unwrap();
        assert_eq!(record.used_at, Some(now));
        assert_eq!(record.grant.activated_at, Some(now));
    }
}

/// Issue 16: a code presented with a wrong redirect URI is spent without
/// activating its grant, so presenting it again, correctly, is a replay.
#[tokio::test]
async fn a_refused_code_is_spent_and_its_grant_never_becomes_active() {
    let app = spawn_app().await;
    let code = app.demo_code("user-read-private").await;
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "authorization_code")
        .append_pair("code", &code)
        .append_pair("redirect_uri", "https://pitangui.amazon.com/elsewhere")
        .finish();
    let res = app
        .token_request(&body, Some((DEMO_CLIENT, DEMO_SECRET)))
        .await;
    assert_eq!(res.status(), 400);
    let json: serde_json::Value = res.json().await.unwrap();
    assert_eq!(json["error_description"], "Invalid redirect URI", "{json}");
    let record = app
        .state
        .store
        .code(&mocklink::store::digest(&code))
        .await
        .unwrap()
        .unwrap();
    assert!(record.used_at.is_some(), "spent");
    assert_eq!(record.grant.activated_at, None, "never active");
    let (status, json) = app.exchange_demo_code(&code).await;
    assert_eq!(status, 400);
    assert_eq!(json["error"], "invalid_grant");
}

/// Issue 16: a spent code is forgotten a day after it expired; its active
/// grant stays, with its refresh token.
#[tokio::test]
async fn a_spent_code_is_forgotten_after_a_day_and_its_grant_stays() {
    let app = spawn_app().await;
    let code = app.demo_code("user-read-private").await;
    let (status, json) = app.exchange_demo_code(&code).await;
    assert_eq!(status, 200, "{json}");
    let refresh = json["refresh_token"].as_str().unwrap().to_owned();
    let store = &app.state.store;
    let hash = mocklink::store::digest(&code);
    assert!(store.code(&hash).await.unwrap().is_some());
    store.sweep(app.clock.now() + 2 * 24 * 3600).await.unwrap();
    assert!(store.code(&hash).await.unwrap().is_none(), "forgotten");
    let (status, json) = app.refresh_demo(&refresh).await;
    assert_eq!(status, 200, "the grant lives on: {json}");
}

/// Issue 16: the SQLite writer runs on its own thread; closing the store
/// lets it commit and answer what was queued, and refuses what comes after.
/// Every rotation it acknowledged is in the database, seen from a new
/// connection after the close.
#[tokio::test]
async fn closing_the_store_commits_every_acknowledged_write_and_refuses_later_ones() {
    let app = spawn_app().await;
    let store = app.state.store.clone();
    if store.kind() != mocklink::store::DatabaseKind::Sqlite {
        return; // the grouped writer is SQLite's
    }
    let olds = refresh_tokens_with_grants(&app, 3).await;
    let now = app.clock.now();
    let tasks: Vec<_> = (0..30)
        .map(|i| {
            let (store, (old, grant)) = (store.clone(), olds[i % 3].clone());
            let new = mocklink::store::digest(&format!("closing-{i}"));
            tokio::spawn(async move {
                let r = store.rotate_refresh_token(&old, &new, &grant, now).await;
                (new, r)
            })
        })
        .collect();
    tokio::task::yield_now().await;
    store.close().await;
    let results: Vec<_> = futures_util::future::join_all(tasks)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    // All 30 were queued before the close (the spawned tasks ran at the
    // yield): each chain has its one winner, none failed.
    let won = results
        .iter()
        .filter(|(_, r)| matches!(r, Ok(true)))
        .count();
    assert_eq!(
        won,
        3,
        "{:?}",
        results
            .iter()
            .map(|(_, r)| r.as_ref().ok())
            .collect::<Vec<_>>()
    );
    assert!(store
        .rotate_refresh_token(&olds[0].0, "after-close", &olds[0].1, now)
        .await
        .is_err());
    let reopened = mocklink::store::Store::connect(&app.state.settings.database_url)
        .await
        .unwrap();
    for (new, r) in &results {
        if let Ok(true) = r {
            let found: Option<String> =
                sqlx::query_scalar("SELECT token_hash FROM refresh_tokens WHERE token_hash = $1")
                    .bind(new)
                    .fetch_optional(reopened.pool())
                    .await
                    .unwrap();
            assert_eq!(
                found.as_ref(),
                Some(new),
                "an acknowledged rotation was lost"
            );
        }
    }
    reopened.close().await;
}

/// `n` fresh refresh tokens of the demo user: each token's digest and grant.
async fn refresh_tokens_with_grants(app: &TestApp, n: usize) -> Vec<(String, String)> {
    let mut olds = Vec::new();
    for _ in 0..n {
        let (_, refresh) = app.demo_tokens("user-read-private").await;
        let old = mocklink::store::digest(&refresh);
        let grant: String =
            sqlx::query_scalar("SELECT grant_id FROM refresh_tokens WHERE token_hash = $1")
                .bind(&old)
                .fetch_one(app.state.store.pool())
                .await
                .unwrap();
        olds.push((old, grant));
    }
    olds
}
