//! WAL checkpoints off the writer's thread.

use sqlx::AnyPool;
use std::sync::Arc;

/// Writes committed between two checkpoints (a few pages each).
const CHECKPOINT_EVERY: usize = 128;

/// WAL frames (pages) past which the writer checkpoints itself.
const WAL_FRAMES_HIGH: i64 = 8192;

/// The writer's connection does not checkpoint the WAL on commit: SQLite's
/// automatic checkpoint ran in the commit that crossed 1,000 pages, copying
/// them into the database and syncing both files while every queued write
/// waited: commits of 9.5–10 ms, about one group in thirty at 16 connections
/// of redemptions, the p99 (issue 16). A pool connection checkpoints instead
/// (PASSIVE: it never blocks the writer), after every `CHECKPOINT_EVERY`
/// writes, one checkpoint at a time.
///
/// Under sustained writes such a checkpoint never catches up with the
/// writer, and SQLite restarts the WAL from its beginning only after one
/// that did: the file grew by ~0.3 MB/s at 5,000 rotations/s. So when the
/// pool's last checkpoint found more than `WAL_FRAMES_HIGH` frames, the
/// writer copies the few written since, between two groups, and the next
/// group starts the WAL over.
#[derive(Default)]
pub(super) struct Checkpoints {
    since_last: usize,
    running: Arc<std::sync::atomic::AtomicBool>,
    /// Frames in the WAL at the pool's last checkpoint.
    wal_frames: Arc<std::sync::atomic::AtomicI64>,
}

impl Checkpoints {
    pub(super) fn committed(&mut self, db: &rusqlite::Connection, writes: usize, pool: &AnyPool) {
        use std::sync::atomic::Ordering;
        self.since_last += writes;
        if self.since_last < CHECKPOINT_EVERY || self.running.swap(true, Ordering::AcqRel) {
            return;
        }
        self.since_last = 0;
        if self.wal_frames.swap(0, Ordering::AcqRel) > WAL_FRAMES_HIGH {
            if let Err(e) = db.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                tracing::debug!(error = %e, "WAL checkpoint failed; the next one retries");
            }
            self.running.store(false, Ordering::Release);
            return;
        }
        let (pool, running, frames) = (pool.clone(), self.running.clone(), self.wal_frames.clone());
        tokio::spawn(async move {
            // busy, frames in the WAL, frames checkpointed
            match sqlx::query_as::<_, (i64, i64, i64)>("PRAGMA wal_checkpoint(PASSIVE)")
                .fetch_one(&pool)
                .await
            {
                Ok((_, log, _)) => frames.store(log, Ordering::Release),
                Err(e) => {
                    tracing::debug!(error = %e, "WAL checkpoint failed; the next one retries")
                }
            }
            running.store(false, Ordering::Release);
        });
    }
}
