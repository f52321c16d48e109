//! The server's notion of "now", in Unix seconds: real time plus offsets.
//!
//! - the local offset, moved by `advance` (tests holding the `Clock`);
//! - the shared offset, the virtual clock of the admin API, stored in the
//!   database so every instance agrees: the admin call sets it here at once,
//!   and each instance polls the database every second (see
//!   `startup::spawn_clock_refresher`);
//! - per-client offsets, added on top for everything judged on behalf of one
//!   client (`now_for`), stored and polled the same way.
//!
//! Reading the clock never touches the database: `now` is two atomic loads,
//! `now_for` adds one more and, only while some client is shifted, a map
//! lookup under a read lock.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Clone, Default, Debug)]
pub struct Clock {
    offset: Arc<AtomicI64>,
    shared: Arc<AtomicI64>,
    /// Per-client offsets (only non-zero ones are kept).
    clients: Arc<RwLock<HashMap<String, i64>>>,
    /// False while `clients` is empty: the common case skips the lock.
    any_client: Arc<AtomicBool>,
    /// Bumped by every local write of a stored offset, so a poll that read
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

    /// "Now" as judged on behalf of `client_id`: the global time plus that
    /// client's own offset.
    pub fn now_for(&self, client_id: &str) -> i64 {
        self.now() + self.client_offset(client_id)
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

    /// One client's own offset (0 if it has none).
    pub fn client_offset(&self, client_id: &str) -> i64 {
        if !self.any_client.load(Ordering::Relaxed) {
            return 0;
        }
        self.clients
            .read()
            .expect("clock lock poisoned")
            .get(client_id)
            .copied()
            .unwrap_or(0)
    }

    /// Every shifted client with its offset, sorted by client id.
    pub fn client_offsets(&self) -> Vec<(String, i64)> {
        let mut all: Vec<_> = self
            .clients
            .read()
            .expect("clock lock poisoned")
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect();
        all.sort();
        all
    }

    /// True if the global clock or any client's is shifted.
    pub fn is_shifted(&self) -> bool {
        self.shared_offset() != 0 || self.any_client.load(Ordering::Relaxed)
    }

    /// Sets the virtual clock's offset (after writing it to the database).
    pub fn set_shared_offset(&self, seconds: i64) {
        let mut generation = self.generation.lock().expect("clock lock poisoned");
        *generation += 1;
        self.shared.store(seconds, Ordering::Relaxed);
    }

    /// Sets one client's offset (after writing it to the database); 0 removes it.
    pub fn set_client_offset(&self, client_id: &str, seconds: i64) {
        let mut generation = self.generation.lock().expect("clock lock poisoned");
        *generation += 1;
        let mut clients = self.clients.write().expect("clock lock poisoned");
        if seconds == 0 {
            clients.remove(client_id);
        } else {
            clients.insert(client_id.to_owned(), seconds);
        }
        self.any_client
            .store(!clients.is_empty(), Ordering::Relaxed);
    }

    /// Forgets every client's offset (after deleting them from the database).
    pub fn clear_client_offsets(&self) {
        let mut generation = self.generation.lock().expect("clock lock poisoned");
        *generation += 1;
        self.clients.write().expect("clock lock poisoned").clear();
        self.any_client.store(false, Ordering::Relaxed);
    }

    /// The write generation, read before polling the database.
    pub fn generation(&self) -> u64 {
        *self.generation.lock().expect("clock lock poisoned")
    }

    /// Stores polled offsets (global and per client) unless a local write
    /// happened since `generation`.
    pub fn refresh_offsets(&self, generation: u64, shared: i64, clients: Vec<(String, i64)>) {
        let current = self.generation.lock().expect("clock lock poisoned");
        if *current != generation {
            return;
        }
        self.shared.store(shared, Ordering::Relaxed);
        let map: HashMap<String, i64> = clients.into_iter().filter(|(_, s)| *s != 0).collect();
        let mut held = self.clients.write().expect("clock lock poisoned");
        if *held != map {
            *held = map;
        }
        self.any_client.store(!held.is_empty(), Ordering::Relaxed);
    }
}

/// Unix seconds as an RFC 3339 UTC time, for pages.
pub fn rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| unix.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_offset_adds_to_the_global_time_of_that_client_only() {
        let clock = Clock::default();
        clock.set_shared_offset(100);
        clock.set_client_offset("a", 1000);
        let now = clock.now();
        assert!(clock.now_for("a") >= now + 1000 && clock.now_for("a") <= now + 1001);
        assert!(clock.now_for("b") <= now + 1);
        assert!(clock.is_shifted());
        clock.set_client_offset("a", 0);
        assert_eq!(clock.client_offset("a"), 0);
        clock.set_shared_offset(0);
        assert!(!clock.is_shifted());
    }

    #[test]
    fn a_stale_poll_does_not_undo_a_local_write() {
        let clock = Clock::default();
        let generation = clock.generation();
        clock.set_client_offset("a", 50);
        clock.refresh_offsets(generation, 0, vec![]);
        assert_eq!(clock.client_offset("a"), 50);
        clock.refresh_offsets(clock.generation(), 7, vec![("b".into(), 9)]);
        assert_eq!(
            (
                clock.shared_offset(),
                clock.client_offset("a"),
                clock.client_offset("b")
            ),
            (7, 0, 9)
        );
    }
}
