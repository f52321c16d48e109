//! The server's notion of "now", in Unix seconds: real time plus two offsets.
//!
//! - the local offset, moved by `advance` (tests holding the `Clock`);
//! - the shared offset, the virtual clock of the admin API, stored in the
//!   database so every instance agrees: the admin call sets it here at once,
//!   and each instance polls the database every second (see
//!   `startup::spawn_clock_refresher`).
//!
//! Reading the clock stays two atomic loads; it never touches the database.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Clone, Default, Debug)]
pub struct Clock {
    offset: Arc<AtomicI64>,
    shared: Arc<AtomicI64>,
    /// Bumped by every local write of the shared offset, so a poll that read
    /// the database before that write cannot overwrite it with a stale value.
    generation: Arc<Mutex<u64>>,
}

impl Clock {
    pub fn now(&self) -> i64 {
        let real = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        real + self.offset()
    }

    /// `now` in milliseconds (the inspector's timeline needs finer steps).
    pub fn now_ms(&self) -> i64 {
        let real = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        real + self.offset() * 1000
    }

    /// Moves this clock (and every clone of it) `seconds` into the future.
    pub fn advance(&self, seconds: i64) {
        self.offset.fetch_add(seconds, Ordering::Relaxed);
    }

    /// The total offset from real time.
    pub fn offset(&self) -> i64 {
        self.offset.load(Ordering::Relaxed) + self.shared.load(Ordering::Relaxed)
    }

    /// The virtual clock's offset, as last read from (or written to) the database.
    pub fn shared_offset(&self) -> i64 {
        self.shared.load(Ordering::Relaxed)
    }

    /// Sets the virtual clock's offset (after writing it to the database).
    pub fn set_shared_offset(&self, seconds: i64) {
        let mut generation = self.generation.lock().expect("clock lock poisoned");
        *generation += 1;
        self.shared.store(seconds, Ordering::Relaxed);
    }

    /// The write generation, read before polling the database.
    pub fn generation(&self) -> u64 {
        *self.generation.lock().expect("clock lock poisoned")
    }

    /// Stores a polled offset unless a local write happened since `generation`.
    pub fn refresh_shared_offset(&self, generation: u64, seconds: i64) {
        let current = self.generation.lock().expect("clock lock poisoned");
        if *current == generation {
            self.shared.store(seconds, Ordering::Relaxed);
        }
    }
}
