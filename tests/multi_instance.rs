//! Several instances on one database, and concurrent requests racing for
//! single-use state. Under `.ci/run`'s PostgreSQL pass these run on
//! PostgreSQL; by default on one shared SQLite file.

use crate::helpers::*;
use std::sync::Arc;
use std::time::Duration;

/// Both instances must agree on the issuer to accept each other's tokens.
fn shared(s: &mut mocklink::config::Settings) {
    s.public_url = Some("http://mocklink.test".into());
}

async fn two_instances() -> (TestApp, TestApp) {
    let a = spawn_app_with(shared).await;
    let b = spawn_on(a.db.clone(), shared).await;
    (a, b)
}

#[tokio::test]
async fn a_code_issued_by_one_instance_is_redeemed_on_another() {
    let (a, b) = two_instances().await;
    let code = a.demo_code("user-read-private").await;
    let (status, json) = b.exchange_demo_code(&code).await;
    assert_eq!(status, 200, "{json}");
    assert_eq!(
        a.introspect(json["access_token"].as_str().unwrap()).await["active"],
        true
    );
}

#[tokio::test]
async fn a_refresh_token_rotated_on_one_instance_is_reuse_on_the_other() {
    let (a, b) = two_instances().await;
    let (_, r1) = a.demo_tokens("user-read-private").await;
    let (status, json) = b.refresh_demo(&r1).await;
    assert_eq!(status, 200);
    let r2 = json["refresh_token"].as_str().unwrap().to_owned();
    let (status, json) = a.refresh_demo(&r1).await;
    assert_eq!(
        (status, json["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (status, _) = b.refresh_demo(&r2).await;
    assert_eq!(status, 400, "reuse revoked the family everywhere");
}

#[tokio::test]
async fn a_login_session_made_on_one_instance_is_valid_on_the_other() {
    let (a, b) = two_instances().await;
    // Log in on A (the browser keeps the cookie; cookies ignore the port).
    let page = a
        .browser
        .get(a.demo_authorize_url("", &[]))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(a.submit_login(&page, "demo", "demo").await.status(), 303);
    // B knows the session: it asks for consent, not for a password.
    let res = a
        .browser
        .get(b.demo_authorize_url("user-read-email", &[]))
        .send()
        .await
        .unwrap();
    let body = res.text().await.unwrap();
    assert!(body.contains("action=\"/consent\""), "{body}");
}

#[tokio::test]
async fn key_rotation_on_one_instance_is_seen_by_all() {
    let (a, b) = two_instances().await;
    let (old_token, _) = a.demo_tokens("user-read-private").await;
    let key = mocklink::oauth::keys::generate(mocklink::domain::SigningAlg::Rs256, a.clock.now())
        .unwrap();
    a.state.store.add_signing_key(&key).await.unwrap();
    a.state.keys.reload(&a.state.store).await.unwrap();
    let (new_token, _) = a.demo_tokens("user-read-private").await;
    // B verifies the new key's token at once (unknown kid → reload)...
    assert_eq!(b.introspect(&new_token).await["active"], true);
    assert_eq!(
        b.introspect(&old_token).await["active"],
        true,
        "the old key still verifies"
    );
    // ...and signs with it and publishes both.
    let jwks: serde_json::Value = b.get("/.well-known/jwks.json").await.json().await.unwrap();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 2);
    assert_eq!(b.state.keys.active_kid(), key.kid);
}

#[tokio::test]
async fn concurrent_redemptions_of_one_code_give_exactly_one_token() {
    let (a, b) = two_instances().await;
    let code = a.demo_code("user-read-private").await;
    let apps = Arc::new((a, b));
    let mut tasks = Vec::new();
    for i in 0..12 {
        let apps = apps.clone();
        let code = code.clone();
        tasks.push(tokio::spawn(async move {
            let app = if i % 2 == 0 { &apps.0 } else { &apps.1 };
            app.exchange_demo_code(&code).await
        }));
    }
    let mut ok = 0;
    for t in tasks {
        let (status, json) = t.await.unwrap();
        match status {
            200 => ok += 1,
            400 => assert_eq!(json["error"], "invalid_grant"),
            other => panic!("unexpected {other}: {json}"),
        }
    }
    assert_eq!(ok, 1);
}

#[tokio::test]
async fn concurrent_uses_of_one_refresh_token_give_one_success_and_reuse_detection() {
    let (a, b) = two_instances().await;
    let (_, r1) = a.demo_tokens("user-read-private").await;
    let apps = Arc::new((a, b));
    let mut tasks = Vec::new();
    for i in 0..12 {
        let apps = apps.clone();
        let r1 = r1.clone();
        tasks.push(tokio::spawn(async move {
            let app = if i % 2 == 0 { &apps.0 } else { &apps.1 };
            app.refresh_demo(&r1).await
        }));
    }
    let mut winners = Vec::new();
    for t in tasks {
        let (status, json) = t.await.unwrap();
        match status {
            200 => winners.push(json["refresh_token"].as_str().unwrap().to_owned()),
            400 => assert_eq!(json["error"], "invalid_grant"),
            other => panic!("unexpected {other}: {json}"),
        }
    }
    assert_eq!(winners.len(), 1);
    // The losers were reuse: the family is revoked, the winner's token too.
    let (status, _) = apps.0.refresh_demo(&winners[0]).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn health_and_readiness() {
    let app = spawn_app().await;
    assert_eq!(app.get("/healthz").await.status(), 200);
    let res = app.get("/readyz").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), "ready");
    app.state.store.close().await;
    let res = app.get("/readyz").await;
    assert_eq!(res.status(), 503);
    assert!(
        eventually(Duration::from_secs(1), async || app
            .get("/healthz")
            .await
            .status()
            == 200)
        .await
    );
}

#[tokio::test]
async fn a_revocation_on_one_instance_is_seen_by_another_within_a_second() {
    let (a, b) = two_instances().await;
    let (access, refresh) = a.demo_tokens("user-read-private").await;
    assert_eq!(
        b.introspect(&access).await["active"],
        true,
        "B has now cached the token as live"
    );
    let res = a
        .http
        .post(format!("{}/api/revoke", a.url))
        .basic_auth(DEMO_CLIENT, Some(DEMO_SECRET))
        .form(&[("token", refresh.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        a.introspect(&access).await["active"],
        false,
        "at once on the instance that revoked"
    );
    let seen = eventually(Duration::from_millis(1500), async || {
        b.introspect(&access).await["active"] == false
    })
    .await;
    assert!(seen, "B saw the revocation within the cache lifetime");
}

#[tokio::test]
async fn expired_sessions_spent_codes_and_abandoned_grants_are_swept() {
    let app = spawn_app().await;
    let code = app.demo_code("user-read-private").await; // never redeemed
    let store = &app.state.store;
    let count = async |table: &str| -> i64 {
        sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(store.pool())
            .await
            .unwrap()
    };
    // The code lives on its pending grant's row (issue 16: one row per authorization).
    let codes = "grants WHERE code_hash IS NOT NULL";
    assert_eq!((count(codes).await, count("grants").await), (1, 1));
    assert!(count("sessions").await >= 1);
    assert_eq!(
        store.sweep(app.clock.now()).await.unwrap(),
        0,
        "nothing is old yet"
    );
    let later = app.clock.now() + 2 * 24 * 3600;
    assert!(
        store.sweep(later).await.unwrap() >= 2,
        "the session and the grant with its code"
    );
    assert_eq!(
        (
            count(codes).await,
            count("grants").await,
            count("sessions").await
        ),
        (0, 0, 0)
    );
    let (status, _) = app.exchange_demo_code(&code).await;
    assert_eq!(status, 400);
}

/// Client records and "no recent failures" are cached for under a second
/// (issue 8: no database round trips before the work of a token request), so
/// another instance's failures and client changes take effect within a second.
#[tokio::test]
async fn failures_and_client_changes_on_one_instance_reach_the_other_within_a_second() {
    let (a, b) = two_instances().await;
    let cc = "grant_type=client_credentials";
    assert_eq!(
        a.token_request(cc, Some((DEMO_CLIENT, DEMO_SECRET)))
            .await
            .status(),
        200,
        "a has now seen the client without failures"
    );
    for _ in 0..10 {
        let res = b.token_request(cc, Some((DEMO_CLIENT, "wrong"))).await;
        assert_eq!(res.status(), 401);
    }
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(
        a.token_request(cc, Some((DEMO_CLIENT, DEMO_SECRET)))
            .await
            .status(),
        429,
        "b's failures count on a within a second"
    );

    // A client changed through one instance's store: the other sees it within a second.
    let (c, d) = two_instances().await;
    assert_eq!(
        c.token_request(cc, Some((DEMO_CLIENT, DEMO_SECRET)))
            .await
            .status(),
        200
    );
    let mut client = d
        .state
        .store
        .client(&mocklink::domain::ClientId::parse(DEMO_CLIENT).unwrap())
        .await
        .unwrap()
        .unwrap();
    client.secret_hash = Some(mocklink::store::digest("rotated-secret"));
    d.state.store.upsert_client(&client, 0).await.unwrap();
    assert_eq!(
        d.token_request(cc, Some((DEMO_CLIENT, "rotated-secret")))
            .await
            .status(),
        200,
        "the instance that changed it sees the change at once"
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(
        c.token_request(cc, Some((DEMO_CLIENT, DEMO_SECRET)))
            .await
            .status(),
        401
    );
}

/// Many refresh-token chains rotating at once (each a write transaction):
/// on SQLite they queue in the store's write gate, none fails or sees
/// `database is locked`.
#[tokio::test]
async fn concurrent_rotations_of_many_chains_all_succeed() {
    let app = Arc::new(spawn_app().await);
    let mut chains = Vec::new();
    for _ in 0..16 {
        chains.push(app.demo_tokens("user-read-private").await.1);
    }
    for _ in 0..3 {
        let tasks: Vec<_> = chains
            .iter()
            .cloned()
            .map(|r| {
                let app = app.clone();
                tokio::spawn(async move { app.refresh_demo(&r).await })
            })
            .collect();
        chains.clear();
        for t in tasks {
            let (status, json) = t.await.unwrap();
            assert_eq!(status, 200, "{json}");
            chains.push(json["refresh_token"].as_str().unwrap().to_owned());
        }
    }
}
