//! Signing keys: generated on first start, persisted in the database, shared
//! by every instance, rotated with `mocklink keys rotate`.
//!
//! Signing is done here with a parsed `aws-lc-rs` key pair kept in memory:
//! jsonwebtoken's `encode` re-parses the DER key on every call, which costs
//! more than the signature itself. Verification goes through jsonwebtoken,
//! which pins the algorithm per key and validates the registered claims.

use crate::domain::SigningAlg;
use crate::store::{Store, StoreError, StoredKey};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair as _};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// The JWT algorithm of a signing algorithm.
fn jwt_alg(alg: SigningAlg) -> Algorithm {
    match alg {
        SigningAlg::Rs256 => Algorithm::RS256,
        SigningAlg::Es256 => Algorithm::ES256,
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("signing key {kid}: {msg}")]
    Invalid { kid: String, msg: String },
    #[error("key generation failed")]
    Generate,
    #[error("signing failed")]
    Sign,
}

enum Signer {
    Rsa(signature::RsaKeyPair),
    Ec(EcdsaKeyPair),
}

/// One usable key: its verifier, its JWK, and (if it is the active key) a signer.
struct LoadedKey {
    kid: String,
    alg: SigningAlg,
    decoding: DecodingKey,
    jwk: serde_json::Value,
    signer: Signer,
}

struct KeySet {
    active: Arc<LoadedKey>,
    /// Encoded JWT header of the active key, computed once.
    active_header: String,
    by_kid: HashMap<String, Arc<LoadedKey>>,
    jwks: serde_json::Value,
}

/// The in-memory view of the keys table. Cheap to clone.
#[derive(Clone)]
pub struct KeyRing {
    set: Arc<RwLock<Arc<KeySet>>>,
    rng: SystemRandom,
    /// When an unknown `kid` last triggered a reload: such reloads are
    /// limited to one a second, so forged kids cannot make every request
    /// re-read and re-parse the keys.
    last_lookup_reload: Arc<std::sync::Mutex<Option<std::time::Instant>>>,
}

impl KeyRing {
    /// Loads the keys, generating a first one with `alg` if there is none
    /// (and saying so, with how long it took, at info).
    pub async fn load_or_create(
        store: &Store,
        alg: SigningAlg,
        now: i64,
    ) -> Result<Self, KeyError> {
        if !store
            .signing_keys()
            .await?
            .iter()
            .any(|k| k.retired_at.is_none())
        {
            // A start-up step that takes time (an RSA key: up to a second).
            let started = std::time::Instant::now();
            let key = generate(alg, now)?;
            store.add_signing_key(&key).await?;
            tracing::info!(
                ms = (started.elapsed().as_secs_f64() * 1e4).round() / 10.0,
                kid = %key.kid,
                "signing key generated: {}",
                alg.as_str()
            );
        }
        let set = build_set(&store.signing_keys().await?)?;
        Ok(Self {
            set: Arc::new(RwLock::new(Arc::new(set))),
            rng: SystemRandom::new(),
            last_lookup_reload: Default::default(),
        })
    }

    /// Re-reads the keys table (to see rotations made by another instance).
    pub async fn reload(&self, store: &Store) -> Result<(), KeyError> {
        let set = build_set(&store.signing_keys().await?)?;
        *self.set.write().expect("key lock poisoned") = Arc::new(set);
        Ok(())
    }

    /// Reloads because a token named an unknown `kid` (perhaps a key another
    /// instance just created), at most once a second. False if throttled.
    pub async fn reload_for_unknown_kid(&self, store: &Store) -> Result<bool, KeyError> {
        {
            let mut last = self
                .last_lookup_reload
                .lock()
                .expect("reload lock poisoned");
            if last.is_some_and(|t| t.elapsed() < std::time::Duration::from_secs(1)) {
                return Ok(false);
            }
            *last = Some(std::time::Instant::now());
        }
        self.reload(store).await.map(|()| true)
    }

    fn current(&self) -> Arc<KeySet> {
        self.set.read().expect("key lock poisoned").clone()
    }

    /// Signs `claims` as a JWT (`typ: at+jwt`) with the active key.
    pub fn sign<C: Serialize>(&self, claims: &C) -> Result<String, KeyError> {
        let set = self.current();
        let payload = serde_json::to_vec(claims).map_err(|_| KeyError::Sign)?;
        let mut jwt = String::with_capacity(set.active_header.len() + payload.len() * 4 / 3 + 400);
        jwt.push_str(&set.active_header);
        jwt.push('.');
        URL_SAFE_NO_PAD.encode_string(&payload, &mut jwt);
        let sig = match &set.active.signer {
            Signer::Rsa(kp) => {
                let mut sig = vec![0u8; kp.public_modulus_len()];
                kp.sign(
                    &signature::RSA_PKCS1_SHA256,
                    &self.rng,
                    jwt.as_bytes(),
                    &mut sig,
                )
                .map_err(|_| KeyError::Sign)?;
                sig
            }
            Signer::Ec(kp) => kp
                .sign(&self.rng, jwt.as_bytes())
                .map_err(|_| KeyError::Sign)?
                .as_ref()
                .to_vec(),
        };
        jwt.push('.');
        URL_SAFE_NO_PAD.encode_string(&sig, &mut jwt);
        Ok(jwt)
    }

    /// The verifier for `kid`, pinned to that key's algorithm.
    pub fn decoding_key(&self, kid: &str) -> Option<(Algorithm, DecodingKey)> {
        self.current()
            .by_kid
            .get(kid)
            .map(|k| (jwt_alg(k.alg), k.decoding.clone()))
    }

    /// True if `kid` is still one of our keys (retired ones included).
    pub fn knows(&self, kid: &str) -> bool {
        self.set
            .read()
            .expect("key lock poisoned")
            .by_kid
            .contains_key(kid)
    }

    pub fn active_kid(&self) -> String {
        self.current().active.kid.clone()
    }

    /// The JSON Web Key Set of every key that may still verify a live token.
    pub fn jwks(&self) -> serde_json::Value {
        self.current().jwks.clone()
    }
}

/// Rotates the signing keys: a new key with `alg` signs from now on, older
/// ones keep verifying (what `mocklink keys rotate` and the admin page's
/// Rotate button do). Instances see it at their next reload.
pub async fn rotate(store: &Store, alg: SigningAlg, now: i64) -> Result<StoredKey, KeyError> {
    // RSA key generation takes a while: off the async workers.
    let key = tokio::task::spawn_blocking(move || generate(alg, now))
        .await
        .map_err(|_| KeyError::Generate)??;
    store.add_signing_key(&key).await?;
    tracing::info!(kid = %key.kid, alg = %key.alg, "signing key rotated");
    Ok(key)
}

/// Generates a key with `alg` (for first start and `keys rotate`).
pub fn generate(alg: SigningAlg, now: i64) -> Result<StoredKey, KeyError> {
    let der = match alg {
        SigningAlg::Rs256 => signature::RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
            .and_then(|kp| kp.as_der())
            .map(|d| d.as_ref().to_vec()),
        SigningAlg::Es256 => EcdsaKeyPair::generate(&signature::ECDSA_P256_SHA256_FIXED_SIGNING)
            .and_then(|kp| kp.to_pkcs8v1())
            .map(|d| d.as_ref().to_vec()),
    }
    .map_err(|_| KeyError::Generate)?;
    Ok(StoredKey {
        kid: uuid::Uuid::new_v4().simple().to_string()[..16].to_owned(),
        alg: alg.as_str().to_owned(),
        private_der_b64: STANDARD.encode(der),
        created_at: now,
        retired_at: None,
    })
}

fn build_set(keys: &[StoredKey]) -> Result<KeySet, KeyError> {
    let loaded: Vec<Arc<LoadedKey>> = keys
        .iter()
        .map(|k| load(k).map(Arc::new))
        .collect::<Result<_, _>>()?;
    // The newest unretired key signs; keys are ordered oldest first.
    let active_idx = keys
        .iter()
        .rposition(|k| k.retired_at.is_none())
        .ok_or_else(|| KeyError::Invalid {
            kid: "-".into(),
            msg: "no active signing key".into(),
        })?;
    let active = loaded[active_idx].clone();
    let header =
        serde_json::json!({"alg": active.alg.as_str(), "typ": "at+jwt", "kid": active.kid});
    Ok(KeySet {
        active_header: URL_SAFE_NO_PAD.encode(header.to_string()),
        jwks: serde_json::json!({ "keys": loaded.iter().map(|k| k.jwk.clone()).collect::<Vec<_>>() }),
        by_kid: loaded.iter().map(|k| (k.kid.clone(), k.clone())).collect(),
        active,
    })
}

fn load(k: &StoredKey) -> Result<LoadedKey, KeyError> {
    let invalid = |msg: &str| KeyError::Invalid {
        kid: k.kid.clone(),
        msg: msg.to_owned(),
    };
    let alg = SigningAlg::parse(&k.alg).ok_or_else(|| invalid("unknown algorithm"))?;
    let der = STANDARD
        .decode(&k.private_der_b64)
        .map_err(|_| invalid("not base64"))?;
    let (signer, decoding, params) = match alg {
        SigningAlg::Rs256 => {
            let kp = signature::RsaKeyPair::from_pkcs8(&der).map_err(|_| invalid("bad RSA key"))?;
            let public = kp.public_key();
            let n = public.modulus().big_endian_without_leading_zero().to_vec();
            let e = public.exponent().big_endian_without_leading_zero().to_vec();
            let decoding = DecodingKey::from_rsa_raw_components(&n, &e);
            let params = serde_json::json!({"kty": "RSA", "n": URL_SAFE_NO_PAD.encode(&n), "e": URL_SAFE_NO_PAD.encode(&e)});
            (Signer::Rsa(kp), decoding, params)
        }
        SigningAlg::Es256 => {
            let kp = EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &der)
                .map_err(|_| invalid("bad EC key"))?;
            // Uncompressed point: 0x04 || x || y.
            let point = kp.public_key().as_ref();
            if point.len() != 65 {
                return Err(invalid("unexpected EC public key length"));
            }
            let (x, y) = (
                URL_SAFE_NO_PAD.encode(&point[1..33]),
                URL_SAFE_NO_PAD.encode(&point[33..]),
            );
            let decoding =
                DecodingKey::from_ec_components(&x, &y).map_err(|_| invalid("bad EC point"))?;
            let params = serde_json::json!({"kty": "EC", "crv": "P-256", "x": x, "y": y});
            (Signer::Ec(kp), decoding, params)
        }
    };
    let mut jwk = params;
    jwk["kid"] = k.kid.clone().into();
    jwk["alg"] = alg.as_str().into();
    jwk["use"] = "sig".into();
    Ok(LoadedKey {
        kid: k.kid.clone(),
        alg,
        decoding,
        jwk,
        signer,
    })
}
