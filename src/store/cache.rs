//! Short-lived answers to the two reads every client-authenticated request
//! makes (the client record, and "has this key any recent failures?"), so the
//! token and introspection endpoints do not pay three database round trips
//! before doing any work; and to the user row the api reads on every
//! `/v1/me` (`Store::cached_user`).
//!
//! Like the revocation cache, an answer is reused for at most `TTL`: a change
//! made through this `Store` is seen at once (it invalidates the entry), one
//! made by another instance or the CLI within a second. Only "no failures" is
//! cached; once a key has failures every check reads the database, so rate
//! limits count exactly.

use super::{Client, User};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a cached answer may be reused.
pub const TTL: Duration = Duration::from_millis(900);
/// Entries kept before a map starts over (bounds memory).
const MAX_ENTRIES: usize = 10_000;

/// A client (or its absence) and when it was read.
type ClientEntry = (Instant, Option<Client>);
/// A user (or its absence) and when it was read.
type UserEntry = (Instant, Option<User>);

#[derive(Clone, Default)]
pub struct ReadCache {
    clients: Arc<Mutex<HashMap<String, ClientEntry>>>,
    clean: Arc<Mutex<HashMap<String, Instant>>>,
    users: Arc<Mutex<HashMap<String, UserEntry>>>,
}

fn bounded<V>(map: &mut HashMap<String, V>) {
    if map.len() >= MAX_ENTRIES {
        map.clear();
    }
}

impl ReadCache {
    pub fn client(&self, id: &str) -> Option<Option<Client>> {
        let map = self.clients.lock().expect("client cache poisoned");
        match map.get(id) {
            Some((at, c)) if at.elapsed() < TTL => Some(c.clone()),
            _ => None,
        }
    }

    pub fn remember_client(&self, id: &str, client: Option<Client>) {
        let mut map = self.clients.lock().expect("client cache poisoned");
        bounded(&mut map);
        map.insert(id.to_owned(), (Instant::now(), client));
    }

    pub fn forget_client(&self, id: &str) {
        self.clients
            .lock()
            .expect("client cache poisoned")
            .remove(id);
    }

    pub fn user(&self, id: &str) -> Option<Option<User>> {
        let map = self.users.lock().expect("user cache poisoned");
        match map.get(id) {
            Some((at, u)) if at.elapsed() < TTL => Some(u.clone()),
            _ => None,
        }
    }

    pub fn remember_user(&self, id: &str, user: Option<User>) {
        let mut map = self.users.lock().expect("user cache poisoned");
        bounded(&mut map);
        map.insert(id.to_owned(), (Instant::now(), user));
    }

    pub fn forget_user(&self, id: &str) {
        self.users.lock().expect("user cache poisoned").remove(id);
    }

    /// True if `key` was seen without failures less than `TTL` ago.
    pub fn is_clean(&self, key: &str) -> bool {
        self.clean
            .lock()
            .expect("failure cache poisoned")
            .get(key)
            .is_some_and(|at| at.elapsed() < TTL)
    }

    pub fn remember_clean(&self, key: &str) {
        let mut map = self.clean.lock().expect("failure cache poisoned");
        bounded(&mut map);
        map.insert(key.to_owned(), Instant::now());
    }

    pub fn forget_clean(&self, key: &str) {
        self.clean
            .lock()
            .expect("failure cache poisoned")
            .remove(key);
    }
}
