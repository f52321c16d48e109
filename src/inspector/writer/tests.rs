use super::*;

fn record(seq: i64) -> InspectorRecord {
    InspectorRecord {
        id: format!("r{seq}"),
        client_id: String::new(),
        seq,
        at_ms: seq,
        user_id: None,
        grant_id: None,
        flow_id: None,
        kind: "api".into(),
        method: "GET".into(),
        path: "/v1/me".into(),
        status: 200,
        latency_us: 1,
        outcome: None,
        error: None,
        request: "{}".into(),
        response: "{}".into(),
    }
}

async fn writer(max_per_client: i64) -> (tempfile::TempDir, Writer) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("inspector.db").display());
    let store = Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let metrics = Metrics::default();
    (
        dir,
        Writer {
            store,
            metrics,
            max_per_client,
        },
    )
}

async fn kept(w: &Writer) -> Vec<i64> {
    let filter = crate::store::InspectorFilter {
        client_id: Some(""),
        grant_id: None,
    };
    let rows = w.store.inspector_records(filter, 10_000).await.unwrap();
    rows.iter().map(|r| r.seq).collect()
}

/// A batch as `prepare` leaves it: newest first.
fn batch(n: i64) -> Vec<InspectorRecord> {
    (1..=n).rev().map(record).collect()
}

#[tokio::test]
async fn a_batch_of_many_chunks_keeps_the_newest_of_each_ring() {
    let (_dir, w) = writer(40).await;
    let records = batch(100);
    assert!(records.len() > 3 * WRITE_CHUNK);
    assert_eq!(write(&w, &records, 40).await, 100);
    assert_eq!(kept(&w).await, (61..=100).rev().collect::<Vec<_>>());
}

#[tokio::test]
async fn a_chunk_that_cannot_be_written_loses_only_itself() {
    let (_dir, w) = writer(1000).await;
    // A record already stored under the id of one in the second chunk:
    // that chunk's INSERT fails on the primary key, every time.
    let records = batch(100);
    let clash = records[WRITE_CHUNK + 1].clone();
    w.store
        .insert_inspector_records(&[InspectorRecord { seq: 0, ..clash }], 1000)
        .await
        .unwrap();
    assert_eq!(write(&w, &records, 1000).await, 100 - WRITE_CHUNK);
    let lost: Vec<i64> = records[WRITE_CHUNK..2 * WRITE_CHUNK]
        .iter()
        .map(|r| r.seq)
        .collect();
    let stored = kept(&w).await;
    assert_eq!(stored.len(), 100 - WRITE_CHUNK + 1);
    assert!(stored.iter().all(|s| !lost.contains(s)), "{stored:?}");
    let metrics = w.metrics.render();
    assert!(metrics.contains(&format!("mocklink_inspector_dropped_total {WRITE_CHUNK}")));
    assert!(metrics.contains(&format!(
        "mocklink_inspector_recorded_total {}",
        100 - WRITE_CHUNK
    )));
}
