//! The writer's behaviour on a real SQLite file, through `Store`.

use crate::domain::{ClientId, RedirectUri, Scopes, Username};
use crate::store::{Client, NewCode, NewUser, PendingCode, RefreshPolicy, Store};

/// The writer's connection does not checkpoint on commit, so the pool
/// does: the pages the writes put in the WAL reach the database file.
#[tokio::test]
async fn the_wal_is_checkpointed_while_the_writer_writes() {
    let (dir, store, alice, client, scopes) = store_with_a_user_and_client().await;
    let file = dir.path().join("writer.db");
    let size = || std::fs::metadata(&file).unwrap().len();
    let before = size();
    let hashes: Vec<String> = (0..4000)
        .map(|i| format!("code-{i:04}-{}", "x".repeat(40)))
        .collect();
    let ids: Vec<String> = (0..4000).map(|i| format!("grant-{i:04}")).collect();
    for round in hashes.chunks(200).zip(ids.chunks(200)) {
        let codes: Vec<NewCode> = round
            .0
            .iter()
            .zip(round.1)
            .map(|(hash, id)| new_code(hash, id, &alice, &client, &scopes))
            .collect();
        for r in futures_util::future::join_all(codes.iter().map(|c| store.insert_code(c, 0))).await
        {
            r.unwrap();
        }
    }
    // 4,000 rows of ~300 bytes: more than a MB once copied in.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while size() < before + (1 << 20) {
        assert!(
            std::time::Instant::now() < deadline,
            "no checkpoint: the database file stayed at {} bytes",
            size()
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    store.close().await;
}

/// Under writes that never pause, the pool's checkpoints never catch up on
/// their own and SQLite never starts the WAL over: without `Checkpoints`'
/// repeated passes 24,000 writes on random keys left one WAL of ~68,000
/// frames (285,000 for 96,000 writes). With them the WAL starts over (its
/// header's checkpoint counter rises) and its file stays within a few times
/// `WAL_FRAMES_HIGH` (here ~23,000 frames; 4 restarts).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wal_starts_over_under_sustained_writes() {
    use std::io::Read;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use std::sync::Arc;
    const WRITES: usize = 24_000;
    const WRITERS: usize = 16;
    const FRAME: u64 = 24 + 4096;
    let (dir, store, alice, client, scopes) = store_with_a_user_and_client().await;
    let wal = dir.path().join("writer.db-wal");
    let largest = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let watch = tokio::spawn({
        let (wal, largest, done) = (wal.clone(), largest.clone(), done.clone());
        async move {
            while !done.load(Ordering::Acquire) {
                let size = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
                largest.fetch_max(size, Ordering::AcqRel);
                tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            }
        }
    });
    let writers = (0..WRITERS).map(|_| {
        let (store, alice, client, scopes) = (&store, &alice, &client, &scopes);
        async move {
            for _ in 0..WRITES / WRITERS {
                let hash = uuid::Uuid::new_v4().to_string();
                let id = uuid::Uuid::new_v4().to_string();
                let code = new_code(&hash, &id, alice, client, scopes);
                store.insert_code(&code, 0).await.unwrap();
            }
        }
    });
    futures_util::future::join_all(writers).await;
    done.store(true, Ordering::Release);
    watch.await.unwrap();
    // The WAL header's checkpoint sequence number: how often it started over.
    let mut header = [0u8; 32];
    std::fs::File::open(&wal)
        .and_then(|mut f| f.read_exact(&mut header))
        .unwrap();
    let restarts = u32::from_be_bytes(header[12..16].try_into().unwrap());
    let frames = largest.load(Ordering::Acquire) / FRAME;
    assert!(
        restarts >= 1,
        "the WAL never started over ({frames} frames)"
    );
    let bound = 6 * super::checkpoints::WAL_FRAMES_HIGH as u64;
    assert!(
        frames <= bound,
        "the WAL grew to {frames} frames (bound {bound})"
    );
    store.close().await;
}

/// A code for `user` at `client`, good for 600 s.
fn new_code<'a>(
    code_hash: &'a str,
    grant_id: &'a str,
    user: &'a Username,
    client: &'a Client,
    scopes: &'a Scopes,
) -> NewCode<'a> {
    NewCode {
        user_id: user,
        code: PendingCode {
            code_hash,
            grant_id,
            client_id: &client.id,
            scopes,
            redirect_uri: "https://example.com/cb",
            code_challenge: None,
            expires_at: 600,
            grant_expires_at: 86400,
        },
    }
}

async fn store_with_a_user_and_client() -> (tempfile::TempDir, Store, Username, Client, Scopes) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("writer.db").display());
    let store = Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let alice = Username::parse("alice").unwrap();
    let scopes = Scopes::parse("user-read-private").unwrap();
    store
        .insert_user(
            &NewUser {
                id: alice.clone(),
                password_hash: "x".into(),
                display_name: "Alice".into(),
                email: "alice@example.com".into(),
                country: "US".into(),
                product: "premium".into(),
                persona: None,
                locked_at: None,
            },
            0,
        )
        .await
        .unwrap();
    let client = Client {
        id: ClientId::parse("app").unwrap(),
        name: "App".into(),
        secret_hash: None,
        redirect_uris: vec![RedirectUri::parse("https://example.com/cb").unwrap()],
        scopes: scopes.clone(),
        refresh_policy: RefreshPolicy::Rotate,
        refresh_grace_seconds: 0,
        access_token_ttl: 3600,
        refresh_token_ttl: 86400,
        extended_quota: false,
    };
    store.insert_client(&client, 0).await.unwrap();
    (dir, store, alice, client, scopes)
}

/// A group in which two writes fail (a user that does not exist, a grant
/// id already taken) commits all the others, and only those two fail.
#[tokio::test]
async fn a_write_that_fails_in_a_group_fails_only_itself() {
    let (_dir, store, alice, client, scopes) = store_with_a_user_and_client().await;
    let ghost = Username::parse("ghost").unwrap();
    let grant_ids: Vec<String> = (0..32)
        .map(|i| {
            if i == 20 {
                "g3".into()
            } else {
                format!("g{i}")
            }
        })
        .collect();
    let hashes: Vec<String> = (0..32).map(|i| format!("c{i}")).collect();
    let codes: Vec<NewCode> = (0..32)
        .map(|i| {
            let user = if i == 7 { &ghost } else { &alice };
            new_code(&hashes[i], &grant_ids[i], user, &client, &scopes)
        })
        .collect();
    // Queued together: the writer takes them as one group (or a few).
    let inserts = codes.iter().map(|c| store.insert_code(c, 0));
    let results = futures_util::future::join_all(inserts).await;
    let failed: Vec<usize> = (0..32).filter(|&i| results[i].is_err()).collect();
    assert_eq!(failed, [7, 20]);
    for (i, hash) in hashes.iter().enumerate() {
        let stored = store.code(hash).await.unwrap();
        assert_eq!(stored.is_some(), !failed.contains(&i), "code {i}");
    }
    store.close().await;
}
