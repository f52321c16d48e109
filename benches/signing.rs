//! One core's signing and verification rate for access tokens: the ceiling of
//! the token endpoint (`bench/run.sh` multiplies it by the number of cores).
//!
//! Signs through our `KeyRing` (a cached aws-lc-rs key pair) and verifies
//! through jsonwebtoken's aws-lc-rs backend, as the server does, with the
//! same claims the token endpoint mints.
//!
//! `cargo bench --bench signing` (criterion; results in target/criterion/).

use criterion::{criterion_group, criterion_main, Criterion};
use jsonwebtoken::Validation;
use mocklink::domain::SigningAlg;
use mocklink::oauth::access_token::AccessClaims;
use mocklink::oauth::keys::KeyRing;
use mocklink::store::Store;
use std::hint::black_box;

const ISSUER: &str = "http://127.0.0.1:8080";
const AUDIENCE: &str = "mocklink-api";

fn claims() -> AccessClaims {
    AccessClaims {
        iss: ISSUER.into(),
        sub: "alexa-skill".into(),
        aud: AUDIENCE.into(),
        exp: 4_000_000_000,
        iat: 1_764_000_000,
        jti: "0123456789abcdef0123456789abcdef".into(),
        client_id: "alexa-skill".into(),
        scope: "user-read-private user-read-email".into(),
        gid: Some("6f1c9a1e-0000-4000-8000-000000000000".into()),
    }
}

/// A key ring with one fresh key of `alg`, on a throwaway SQLite database.
fn key_ring(rt: &tokio::runtime::Runtime, dir: &tempfile::TempDir, alg: SigningAlg) -> KeyRing {
    let url = format!(
        "sqlite:{}",
        dir.path().join(format!("{}.db", alg.as_str())).display()
    );
    rt.block_on(async {
        let store = Store::connect(&url).await.expect("store");
        store.migrate().await.expect("migrate");
        let ring = KeyRing::load_or_create(&store, alg, 1_764_000_000)
            .await
            .expect("keys");
        store.close().await;
        ring
    })
}

fn signing(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let claims = claims();
    for alg in [SigningAlg::Rs256, SigningAlg::Es256] {
        let ring = key_ring(&rt, &dir, alg);
        let token = ring.sign(&claims).expect("sign");
        let kid = jsonwebtoken::decode_header(&token)
            .expect("header")
            .kid
            .expect("kid");
        let (jwt_alg, decoding) = ring.decoding_key(&kid).expect("decoding key");
        let mut validation = Validation::new(jwt_alg);
        validation.validate_exp = false;
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);

        let mut group = c.benchmark_group(alg.as_str());
        group.bench_function("sign_keyring", |b| {
            b.iter(|| ring.sign(black_box(&claims)).expect("sign"))
        });
        group.bench_function("verify_jsonwebtoken", |b| {
            b.iter(|| {
                jsonwebtoken::decode::<AccessClaims>(black_box(&token), &decoding, &validation)
                    .expect("verify")
            })
        });
        group.finish();
    }
}

criterion_group!(benches, signing);
criterion_main!(benches);
