use super::*;

fn captured(inspector: &Inspector) -> Captured {
    Captured {
        seq: inspector.next_seq(),
        at_ms: 0,
        kind: Kind::Token,
        method: "POST".into(),
        path: "/api/token".into(),
        query: String::new(),
        headers: vec![],
        status: 200,
        latency_us: 1,
        response_headers: vec![],
        body: None,
        page_error: None,
        note: Note::default(),
        forwarded: None,
    }
}

#[test]
fn a_full_queue_drops_instead_of_waiting() {
    let inspector = Inspector::new(true, 2, Clock::default(), Metrics::default());
    assert!(inspector.push(captured(&inspector)));
    assert!(inspector.has_room());
    assert!(inspector.push(captured(&inspector)));
    assert!(!inspector.has_room());
    assert!(!inspector.push(captured(&inspector)), "dropped, not queued");
    let off = Inspector::new(false, 2, Clock::default(), Metrics::default());
    assert!(!off.is_enabled() && !off.has_room());
    assert!(!off.push(captured(&off)));
}

async fn fresh_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("inspector.db").display());
    let store = Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    (dir, store)
}

/// Records the writer has written, over all clients.
async fn written(store: &Store) -> i64 {
    let clients = store.inspector_clients().await.unwrap();
    clients.iter().map(|(_, n, _)| n).sum()
}

#[tokio::test]
async fn close_writes_what_is_queued_without_waiting_for_the_writers_pause() {
    let (_dir, store) = fresh_store().await;
    let inspector = Inspector::new(true, 1024, Clock::default(), Metrics::default());
    let written = async || written(&store).await;
    // One batch of load: the writer writes it, then pauses for `PACE`.
    for _ in 0..100 {
        assert!(inspector.push(captured(&inspector)));
    }
    inspector.spawn_writer(store.clone(), 1000);
    while written().await < 100 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    // Queued during the pause, then the app stops.
    for _ in 0..10 {
        assert!(inspector.push(captured(&inspector)));
    }
    let started = std::time::Instant::now();
    assert!(inspector.close(std::time::Duration::from_secs(5)).await);
    assert!(started.elapsed() < std::time::Duration::from_millis(900));
    assert_eq!(written().await, 110);
    assert!(!inspector.push(captured(&inspector)), "closed: no more");
}

#[tokio::test]
async fn batches_that_add_up_to_load_within_one_pace_pause_the_writer_too() {
    let (_dir, store) = fresh_store().await;
    let inspector = Inspector::new(true, 1024, Clock::default(), Metrics::default());
    let written = async || written(&store).await;
    inspector.spawn_writer(store.clone(), 1000);
    // Two batches, each under the size that meant load on its own.
    for expected in [40, 80] {
        for _ in 0..40 {
            assert!(inspector.push(captured(&inspector)));
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while written().await < expected {
            assert!(std::time::Instant::now() < deadline, "batch not written");
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }
    // 80 records within one PACE: the writer waits out the rest of it.
    for _ in 0..10 {
        assert!(inspector.push(captured(&inspector)));
    }
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(written().await, 80, "paused: the third batch waits");
    assert!(inspector.close(std::time::Duration::from_secs(5)).await);
    assert_eq!(written().await, 90);
}

#[tokio::test]
async fn when_the_queue_fills_during_a_pause_only_a_sample_is_written() {
    let (_dir, store) = fresh_store().await;
    let metrics = Metrics::default();
    let inspector = Inspector::new(true, 256, Clock::default(), metrics.clone());
    let written = async || written(&store).await;
    // Load: one batch over `LARGE_BATCH` is written whole, then the
    // writer pauses for the rest of its `PACE`.
    for _ in 0..100 {
        assert!(inspector.push(captured(&inspector)));
    }
    inspector.spawn_writer(store.clone(), 1000);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while written().await < 100 {
        assert!(
            std::time::Instant::now() < deadline,
            "first batch not written"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    // During the pause the queue fills and turns records away: of what
    // it holds only the newest `LARGE_BATCH` are kept.
    let queued: Vec<i64> = (0..300)
        .filter_map(|_| {
            let c = captured(&inspector);
            let seq = c.seq;
            inspector.push(c).then_some(seq)
        })
        .collect();
    assert_eq!(queued.len(), 256, "the queue's capacity");
    let sample = 100 + writer::LARGE_BATCH as i64;
    while written().await < sample {
        assert!(std::time::Instant::now() < deadline, "sample not written");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let newest = store
        .inspector_records(
            crate::store::InspectorFilter {
                client_id: Some(""),
                grant_id: None,
            },
            writer::LARGE_BATCH as i64,
        )
        .await
        .unwrap();
    let mut kept: Vec<i64> = newest.iter().map(|r| r.seq).collect();
    kept.reverse();
    assert_eq!(kept, queued[256 - writer::LARGE_BATCH..]);
    let cut = 256 - writer::LARGE_BATCH;
    assert!(metrics
        .render()
        .contains(&format!("mocklink_inspector_dropped_total {cut}")));
    assert!(inspector.close(std::time::Duration::from_secs(5)).await);
    assert_eq!(written().await, sample);
}

#[test]
fn sequence_numbers_strictly_increase() {
    let inspector = Inspector::new(true, 1, Clock::default(), Metrics::default());
    let seqs: Vec<i64> = (0..1000).map(|_| inspector.next_seq()).collect();
    assert!(seqs.windows(2).all(|w| w[1] > w[0]));
}

#[test]
fn kinds_of_paths() {
    use actix_web::http::Method;
    assert_eq!(Kind::of(&Method::GET, "/authorize"), Some(Kind::Authorize));
    assert_eq!(Kind::of(&Method::POST, "/login"), Some(Kind::Login));
    assert_eq!(Kind::of(&Method::GET, "/login"), None);
    assert_eq!(Kind::of(&Method::GET, "/api/token"), Some(Kind::Token));
    assert_eq!(Kind::of(&Method::GET, "/v1/me"), Some(Kind::Api));
    assert_eq!(Kind::of(&Method::GET, "/v1x"), None);
    assert_eq!(Kind::of(&Method::GET, "/admin/api/inspector"), None);
}

#[test]
fn notes_hide_form_values() {
    let n = Note {
        form: vec![("password".into(), "hunter2".into())],
        ..Note::default()
    };
    let shown = format!("{n:?}");
    assert!(shown.contains("password") && !shown.contains("hunter2"));
}

#[test]
fn flow_ids_have_one_shape() {
    assert!(valid_flow_id(&new_flow_id()));
    assert!(!valid_flow_id("x"));
    assert!(!valid_flow_id(&"A".repeat(32)));
}
