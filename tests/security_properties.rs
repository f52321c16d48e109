//! Property tests: arbitrary query strings, form bodies, headers and cookies
//! at every provider endpoint. Whatever arrives, the answer is never a 5xx,
//! errors keep their documented shape, and a rejected request changes nothing
//! in the database (its content, not just its row counts). The seed is fixed
//! so CI runs the same cases every time.

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
    proptest::collection::vec((token(), token()), 0..8).prop_map(|pairs| join_query(&pairs))
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

#[test]
fn no_input_makes_a_provider_endpoint_fail_or_change_state_when_rejected() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let app = rt.block_on(spawn_app());
    // The digest before the current case. An accepted request may write (a
    // login page starts a session), so after one it is taken afresh; after a
    // rejected one it is the digest that was just checked.
    let last = std::cell::RefCell::new(None);
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
            let before = last
                .take()
                .unwrap_or_else(|| rt.block_on(table_digests(&app, WRITTEN_BY_REJECTIONS)));
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
                let after = rt.block_on(table_digests(&app, WRITTEN_BY_REJECTIONS));
                prop_assert!(
                    after == before,
                    "{} {} with {:?} changed {:?}",
                    method,
                    path,
                    q,
                    changed_tables(&before, &after)
                );
                *last.borrow_mut() = Some(after);
            }
            Ok(())
        })
        .unwrap();
}

/// The check above compares content: an UPDATE that keeps every row count
/// is seen, and the order rows come back in does not matter.
#[tokio::test]
async fn the_database_digest_sees_an_update_and_ignores_row_order() {
    let app = spawn_app().await;
    let pool = app.state.store.pool();
    let before = table_digests(&app, &[]).await;
    sqlx::query("UPDATE users SET display_name = 'Someone Else' WHERE id = 'demo'")
        .execute(pool)
        .await
        .unwrap();
    let after = table_digests(&app, &[]).await;
    assert_eq!(changed_tables(&before, &after), ["users"]);
    // An excluded table is left out entirely.
    assert!(!table_digests(&app, &["users"]).await.contains_key("users"));
    // Same rows, inserted in the other order: the same digest.
    let insert = "INSERT INTO auth_failures (key, failed_at) VALUES ($1, $2)";
    for (k, t) in [("a", 1_i64), ("b", 2)] {
        sqlx::query(insert)
            .bind(k)
            .bind(t)
            .execute(pool)
            .await
            .unwrap();
    }
    let first = table_digests(&app, &[]).await;
    sqlx::query("DELETE FROM auth_failures")
        .execute(pool)
        .await
        .unwrap();
    for (k, t) in [("b", 2_i64), ("a", 1)] {
        sqlx::query(insert)
            .bind(k)
            .bind(t)
            .execute(pool)
            .await
            .unwrap();
    }
    assert!(table_digests(&app, &[]).await == first);
}
