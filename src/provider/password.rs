//! Argon2id password hashing with OWASP's minimum parameters (m=19456 KiB,
//! t=2, p=1: the `argon2` crate's defaults). Both operations are slow on
//! purpose, so callers run them on the blocking pool, never on the executor.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use std::sync::OnceLock;

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
    tokio::task::spawn_blocking(move || verify(phc.as_deref(), &password))
        .await
        .unwrap_or(false)
}

/// Runs `hash` on the blocking pool.
pub async fn hash_off_thread(password: String) -> String {
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
}
