//! Property tests: arbitrary query strings, form bodies, headers and cookies
//! at every provider endpoint. Whatever arrives, the answer is never a 5xx,
//! errors keep their documented shape, and a rejected request changes nothing
//! in the database. The seed is fixed so CI runs the same cases every time.

use crate::helpers::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

const CASES: u32 = 400;

fn runner() -> TestRunner {
    TestRunner::new_with_rng(
        Config {
            cases: CASES,
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    )
}

/// Names and values that make parsers work: real parameter names, encodings,
/// junk, very long and non-ASCII strings.
fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("client_id".to_owned()),
        Just("redirect_uri".to_owned()),
        Just("response_type".to_owned()),
        Just("grant_type".to_owned()),
        Just("code".to_owned()),
        Just("refresh_token".to_owned()),
        Just("client_secret".to_owned()),
        Just("code_verifier".to_owned()),
        Just("code_challenge".to_owned()),
        Just("code_challenge_method".to_owned()),
        Just("scope".to_owned()),
        Just("state".to_owned()),
        Just("token".to_owned()),
        Just("alexa-skill".to_owned()),
        Just("authorization_code".to_owned()),
        Just("client_credentials".to_owned()),
        Just(ALEXA_REDIRECT.to_owned()),
        Just("%ZZ%00%FF".to_owned()),
        Just("' OR '1'='1".to_owned()),
        "[a-z_]{0,12}",
        "\\PC{0,40}",
        ".{200,600}",
    ]
}

fn query() -> impl Strategy<Value = String> {
    proptest::collection::vec((token(), token()), 0..8).prop_map(|pairs| {
        pairs
            .iter()
            .map(|(k, v)| {
                let enc =
                    |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
                // Sometimes raw, sometimes encoded: both reach real servers.
                if k.len() % 2 == 0 {
                    format!("{}={}", enc(k), enc(v))
                } else {
                    format!("{k}={v}")
                }
            })
            .collect::<Vec<_>>()
            .join("&")
    })
}

fn header_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("Basic".to_owned()),
        Just("Basic !!!".to_owned()),
        Just("Basic YWxleGEtc2tpbGw6".to_owned()),
        Just("Bearer x.y.z".to_owned()),
        "[ -~]{0,100}",
    ]
}

/// Rows a rejected request must not add (rate-limit counters excepted: they
/// are how failures are remembered).
async fn fingerprint(app: &TestApp) -> Vec<i64> {
    let mut counts = Vec::new();
    for table in [
        "users",
        "clients",
        "grants",
        "auth_codes",
        "refresh_tokens",
        "revoked_tokens",
        "consents",
        "signing_keys",
    ] {
        let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(app.state.store.pool())
            .await
            .unwrap();
        counts.push(n);
    }
    counts
}

#[test]
fn no_input_makes_a_provider_endpoint_fail_or_change_state_when_rejected() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let app = rt.block_on(spawn_app());
    let before = rt.block_on(fingerprint(&app));
    let strategy = (
        prop_oneof![
            Just("GET /authorize"),
            Just("POST /api/token"),
            Just("POST /api/revoke"),
            Just("POST /api/introspect"),
            Just("POST /login"),
            Just("POST /consent"),
            Just("POST /account/apps/unlink"),
            Just("GET /account/apps")
        ],
        query(),
        header_value(),
        "[ -~]{0,60}",
        prop_oneof![
            Just("application/x-www-form-urlencoded"),
            Just("application/json"),
            Just("text/plain"),
            Just("")
        ],
    );
    runner()
        .run(&strategy, |(endpoint, q, auth, cookie, ctype)| {
            let (method, path) = endpoint.split_once(' ').unwrap();
            let res = rt.block_on(async {
                let url = format!("{}{path}", app.url);
                let req = if method == "GET" {
                    app.http.get(format!("{url}?{q}"))
                } else {
                    app.http
                        .post(url)
                        .header("Content-Type", ctype)
                        .body(q.clone())
                };
                let req = req
                    .header("Authorization", auth.as_str())
                    .header("Cookie", format!("mocklink_session={cookie}"));
                req.send().await.unwrap()
            });
            let status = res.status();
            prop_assert!(
                status.as_u16() < 500,
                "{endpoint} answered {status} to {q:?}"
            );
            let ctype_back = res
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default();
            let body = rt.block_on(res.text()).unwrap();
            if status.is_client_error() {
                if path.starts_with("/api/") {
                    let json: serde_json::Value = serde_json::from_str(&body).map_err(|e| {
                        TestCaseError::fail(format!("{endpoint}: not JSON ({e}): {body}"))
                    })?;
                    prop_assert!(
                        json["error"].is_string(),
                        "{endpoint}: no error code: {body}"
                    );
                } else {
                    prop_assert!(
                        ctype_back.starts_with("text/html"),
                        "{endpoint}: error page is HTML, got {ctype_back}"
                    );
                }
                let after = rt.block_on(fingerprint(&app));
                prop_assert_eq!(
                    &after,
                    &before,
                    "{} {} with {:?} changed the database",
                    method,
                    path,
                    q
                );
            }
            Ok(())
        })
        .unwrap();
}
