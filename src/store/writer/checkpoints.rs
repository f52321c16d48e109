//! WAL checkpoints off the writer's thread.

use sqlx::AnyPool;
use std::sync::Arc;

/// Writes committed between two checkpoints (a few pages each).
const CHECKPOINT_EVERY: usize = 128;

/// WAL frames (pages) past which the pool repeats its checkpoint until the
/// writer can copy the rest and the WAL start over.
pub(super) const WAL_FRAMES_HIGH: i64 = 8192;

/// Frames few enough for the writer to copy between two groups.
const FEW_FRAMES: i64 = 64;

/// Most passes of the pool's checkpoint before the writer copies the rest.
const MAX_PASSES: u32 = 8;

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
/// that did: the file grew by ~0.3 MB/s at 5,000 rotations/s. So past
/// `WAL_FRAMES_HIGH` frames the pool checkpoints again, each pass copying
/// what the writer added during the one before, until a pass finds only a
/// few new frames; the writer copies those between two groups, and the next
/// group starts the WAL over. (The writer copying all it added since one
/// pass took 15–16 ms, ~450 frames, while every write waited: the linking
/// flow's p99 at 16 connections, issue 16.)
#[derive(Default)]
pub(super) struct Checkpoints {
    since_last: usize,
    running: Arc<std::sync::atomic::AtomicBool>,
    /// The pool's passes left few frames uncopied: the writer copies them.
    catch_up: Arc<std::sync::atomic::AtomicBool>,
}

impl Checkpoints {
    pub(super) fn committed(&mut self, db: &rusqlite::Connection, writes: usize, pool: &AnyPool) {
        use std::sync::atomic::Ordering;
        self.since_last += writes;
        if self.catch_up.swap(false, Ordering::AcqRel) {
            if let Err(e) = db.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                tracing::debug!(error = %e, "WAL checkpoint failed; the next one retries");
            }
            return;
        }
        if self.since_last < CHECKPOINT_EVERY || self.running.swap(true, Ordering::AcqRel) {
            return;
        }
        self.since_last = 0;
        let (pool, running, catch_up) = (pool.clone(), self.running.clone(), self.catch_up.clone());
        tokio::spawn(async move {
            let mut before: Option<i64> = None;
            for pass in 1.. {
                // busy, frames in the WAL, frames checkpointed
                let log = match sqlx::query_as::<_, (i64, i64, i64)>(
                    "PRAGMA wal_checkpoint(PASSIVE)",
                )
                .fetch_one(&pool)
                .await
                {
                    Ok((_, log, _)) => log,
                    Err(e) => {
                        tracing::debug!(error = %e, "WAL checkpoint failed; the next one retries");
                        break;
                    }
                };
                if log <= WAL_FRAMES_HIGH {
                    break;
                }
                // Each pass copies what the writer added during the one before.
                let added = before.map(|b| log - b);
                if added.is_some_and(|added| added <= FEW_FRAMES) || pass == MAX_PASSES {
                    catch_up.store(true, Ordering::Release);
                    break;
                }
                before = Some(log);
            }
            running.store(false, Ordering::Release);
        });
    }
}
