//! Issue 16: the linking path's writes arriving together are committed in
//! groups on both backends (SQLite: one transaction on the writer's thread;
//! PostgreSQL: one statement per kind of write). A group's outcome is that
//! of running its writes one by one: each presented token has exactly one
//! winner among its rivals, an unknown one finds nothing, and one bad write
//! fails only itself.

use crate::helpers::*;
use mocklink::domain::{ClientId, Scopes, Username};
use mocklink::store::{digest, NewCode, PendingCode, Session};

/// Refresh tokens presented together, five rivals each, interleaved with an
/// unknown token: each is retired by exactly one rival, whose successor is
/// its grant's only new token; the rivals read it without rotating it.
#[tokio::test]
async fn refreshes_arriving_together_give_each_token_exactly_one_successor() {
    let app = spawn_app().await;
    let store = &app.state.store;
    let mut olds = Vec::new();
    for _ in 0..3 {
        let (_, refresh) = app.demo_tokens("user-read-private").await;
        olds.push(digest(&refresh));
    }
    let unknown = digest("never-issued");
    let client = ClientId::parse(DEMO_CLIENT).unwrap();
    let now = app.clock.now_for(DEMO_CLIENT);
    let successors: Vec<String> = (0..16).map(|i| digest(&format!("next-{i}"))).collect();
    let presented = |i: usize| if i == 15 { &unknown } else { &olds[i % 3] };
    let results = futures_util::future::join_all(
        (0..16).map(|i| store.refresh_and_rotate(presented(i), &successors[i], &client, now)),
    )
    .await;
    let results: Vec<_> = results.into_iter().map(Result::unwrap).collect();
    assert!(results[15].is_none(), "an unknown token finds nothing");
    for (chain, old) in olds.iter().enumerate() {
        let rivals: Vec<usize> = (0..15).filter(|i| i % 3 == chain).collect();
        let winners: Vec<usize> = rivals
            .iter()
            .copied()
            .filter(|&i| results[i].as_ref().unwrap().1)
            .collect();
        assert_eq!(winners.len(), 1, "token {chain}: {winners:?}");
        let stored: Vec<String> = sqlx::query_scalar(
            "SELECT r.token_hash FROM refresh_tokens r JOIN refresh_tokens o \
             ON o.grant_id = r.grant_id WHERE o.token_hash = $1 AND r.token_hash <> $1",
        )
        .bind(old)
        .fetch_all(store.pool())
        .await
        .unwrap();
        assert_eq!(
            stored,
            vec![successors[winners[0]].clone()],
            "token {chain}"
        );
        let rotated_at: Option<i64> =
            sqlx::query_scalar("SELECT rotated_at FROM refresh_tokens WHERE token_hash = $1")
                .bind(old)
                .fetch_one(store.pool())
                .await
                .unwrap();
        assert_eq!(rotated_at, Some(now), "token {chain} retired");
    }
}

/// A group of 32 new codes in which two writes fail (a user that does not
/// exist, a grant id already taken): the other 30 are stored, and only
/// those two fail.
#[tokio::test]
async fn a_write_that_fails_in_a_group_fails_only_itself() {
    let app = spawn_app().await;
    let store = &app.state.store;
    let (demo, ghost) = (
        Username::parse("demo").unwrap(),
        Username::parse("ghost").unwrap(),
    );
    let client = ClientId::parse(DEMO_CLIENT).unwrap();
    let scopes = Scopes::parse("user-read-private").unwrap();
    let grant_ids: Vec<String> = (0..32)
        .map(|i| format!("group-grant-{}", if i == 20 { 3 } else { i }))
        .collect();
    let hashes: Vec<String> = (0..32)
        .map(|i| digest(&format!("group-code-{i}")))
        .collect();
    let now = app.clock.now();
    let codes: Vec<NewCode> = (0..32)
        .map(|i| NewCode {
            user_id: if i == 7 { &ghost } else { &demo },
            code: PendingCode {
                code_hash: &hashes[i],
                grant_id: &grant_ids[i],
                client_id: &client,
                scopes: &scopes,
                redirect_uri: ALEXA_REDIRECT,
                code_challenge: None,
                expires_at: now + 600,
                grant_expires_at: now + 86400,
            },
        })
        .collect();
    let results =
        futures_util::future::join_all(codes.iter().map(|c| store.insert_code(c, now))).await;
    let failed: Vec<usize> = (0..32).filter(|&i| results[i].is_err()).collect();
    assert_eq!(failed, [7, 20]);
    for (i, hash) in hashes.iter().enumerate() {
        let stored = store.code(hash).await.unwrap();
        assert_eq!(stored.is_some(), !failed.contains(&i), "code {i}");
    }
}

/// `GET /authorize`'s session reads that also store a code, arriving
/// together (issue 16): a code is stored, for the session's user, exactly
/// where that user's consent covers its scopes (the empty scope included);
/// an unknown or expired session and scopes beyond the consent store
/// nothing; a grant id already taken fails only its own read.
#[tokio::test]
async fn session_reads_arriving_together_store_codes_only_where_consent_covers_them() {
    let app = spawn_app().await;
    let store = &app.state.store;
    let demo = Username::parse("demo").unwrap();
    let client = ClientId::parse(DEMO_CLIENT).unwrap();
    let now = app.clock.now();
    let consent = Scopes::parse("user-read-private user-read-email").unwrap();
    store
        .save_consent(&demo, &client, &consent, now)
        .await
        .unwrap();
    for (id, expires_at) in [("live", now + 3600), ("expired", now - 1)] {
        let session = Session {
            id_hash: digest(id),
            user_id: Some(demo.clone()),
            csrf_token: "csrf".into(),
            expires_at,
        };
        store.insert_session(&session, now).await.unwrap();
    }
    // (session, scopes, grant id, stored?)
    let cases = [
        ("live", "user-read-private", "g0", true),
        ("live", "user-read-email user-read-private", "g1", true),
        (
            "live",
            "user-read-private user-modify-playback-state",
            "g2",
            false,
        ),
        ("live", "", "g3", true),
        ("unknown", "user-read-private", "g4", false),
        ("expired", "user-read-private", "g5", false),
        ("live", "user-read-private", "g0", false), // g0 is taken: fails alone
        ("live", "user-read-email", "g7", true),
    ];
    let scopes: Vec<Scopes> = cases.iter().map(|c| Scopes::parse(c.1).unwrap()).collect();
    let hashes: Vec<String> = (0..cases.len())
        .map(|i| digest(&format!("read-code-{i}")))
        .collect();
    let reads = cases.iter().enumerate().map(|(i, (session, _, grant, _))| {
        let code = PendingCode {
            code_hash: &hashes[i],
            grant_id: grant,
            client_id: &client,
            scopes: &scopes[i],
            redirect_uri: ALEXA_REDIRECT,
            code_challenge: None,
            expires_at: now + 600,
            grant_expires_at: now + 86400,
        };
        let id_hash = digest(session);
        async move { store.signed_in_issuing(&id_hash, now, &code, now).await }
    });
    let results = futures_util::future::join_all(reads).await;
    for (i, (session, _, _, stored)) in cases.iter().enumerate() {
        let stored_code = store.code(&hashes[i]).await.unwrap();
        assert_eq!(stored_code.is_some(), *stored, "case {i}");
        if i == 6 {
            assert!(results[i].is_err(), "case 6: the taken grant id fails");
            continue;
        }
        let (signed_in, issued) = results[i].as_ref().unwrap();
        assert_eq!(*issued, *stored, "case {i}");
        assert_eq!(signed_in.is_some(), *session == "live", "case {i}");
        if let Some(code) = stored_code {
            assert_eq!(code.grant.user_id, demo, "case {i}: the session's user");
            assert_eq!(code.grant.scopes, scopes[i], "case {i}");
            assert!(code.grant.activated_at.is_none(), "case {i}: pending");
        }
    }
}
