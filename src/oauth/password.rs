//! Argon2id password hashing with OWASP's minimum parameters (m=19456 KiB,
//! t=2, p=1: the `argon2` crate's defaults). Both operations are slow on
//! purpose, so callers run them on the blocking pool, never on the executor,
//! and at most `cores - 1` at a time (at least one): a burst of logins then
//! queues for argon2 instead of taking every core from the requests the
//! executor serves (issue 8: `/v1/me` p99 while logins are hammered).

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use std::sync::OnceLock;
use tokio::sync::Semaphore;

/// Permits for concurrent argon2 computations: one core is always left free.
fn argon2_permits() -> &'static Semaphore {
    static PERMITS: OnceLock<Semaphore> = OnceLock::new();
    PERMITS.get_or_init(|| {
        return_large_blocks_to_the_os();
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Semaphore::new(cores.saturating_sub(1).max(1))
    })
}

/// glibc raises its mmap threshold to the size of the largest block freed,
/// so after the first hash every argon2 block (19 MiB) came from a per-thread
/// arena and stayed there: RSS grew by ~19 MiB per thread that ever hashed
/// (230 MB after a login burst, issue 8). A fixed threshold keeps such blocks
/// mmapped, so each is returned to the OS when its hash is done.
fn return_large_blocks_to_the_os() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator tuning; any value is valid.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 * 1024);
    }
}

pub fn hash(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with default parameters cannot fail on a generated salt")
        .to_string()
}

/// Checks `password` against `phc`. When the user is unknown, pass `None`: a
/// dummy hash is verified instead so both cases take the same time.
pub fn verify(phc: Option<&str>, password: &str) -> bool {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash("mocklink-timing-equaliser"));
    let known = phc.is_some();
    let parsed = match PasswordHash::new(phc.unwrap_or(dummy)) {
        Ok(p) => p,
        Err(_) => return false,
    };
    Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
        && known
}

/// Runs `verify` on the blocking pool.
pub async fn verify_off_thread(phc: Option<String>, password: String) -> bool {
    let _permit = argon2_permits().acquire().await.expect("never closed");
    tokio::task::spawn_blocking(move || verify(phc.as_deref(), &password))
        .await
        .unwrap_or(false)
}

/// Runs `hash` on the blocking pool.
pub async fn hash_off_thread(password: String) -> String {
    let _permit = argon2_permits().acquire().await.expect("never closed");
    match tokio::task::spawn_blocking(move || hash(&password)).await {
        Ok(h) => h,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uses_argon2id_with_owasp_parameters() {
        let h = hash("demo");
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify(Some(&h), "demo"));
        assert!(!verify(Some(&h), "Demo"));
        assert!(!verify(None, "demo"));
    }

    #[test]
    fn argon2_leaves_a_core_to_the_executor() {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let permits = argon2_permits().available_permits();
        assert!(permits >= 1);
        assert!(
            permits < cores || cores == 1,
            "{permits} permits on {cores} cores"
        );
    }
}
