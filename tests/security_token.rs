//! ../shared/spec/security.md section C (items 15–25): `POST /api/token`,
//! black-box: client authentication, error codes, caching headers, codes,
//! PKCE and refresh tokens. Each test names its item.

use crate::helpers::*;
use crate::provider_flow::public_client;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;

fn err(json: &serde_json::Value) -> &str {
    json["error"].as_str().unwrap_or("<no error field>")
}

/// An app with a second confidential client, `other` / `other-secret`.
async fn app_with_other_client() -> TestApp {
    spawn_app_with(|s| {
        let mut c = public_client("other");
        c.secret = Some("other-secret".into());
        s.clients.push(c);
    })
    .await
}

const PKCE_REDIRECT: &str = "http%3A%2F%2F127.0.0.1%3A9%2Fcb";
/// RFC 7636 appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

#[tokio::test]
async fn item15_basic_and_body_secret_at_once_is_invalid_request() {
    let app = spawn_app().await;
    let body = format!("grant_type=client_credentials&client_secret={DEMO_SECRET}");
    let res = app
        .token_request(&body, Some((DEMO_CLIENT, DEMO_SECRET)))
        .await;
    assert_eq!(res.status(), 400);
    assert_eq!(err(&res.json().await.unwrap()), "invalid_request");
    // A body client_id equal to the Basic one is fine (Alexa sends it).
    let body = format!("grant_type=client_credentials&client_id={DEMO_CLIENT}");
    assert_eq!(
        app.token_request(&body, Some((DEMO_CLIENT, DEMO_SECRET)))
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn item15_a_body_client_id_different_from_the_basic_one_is_invalid_client() {
    let app = spawn_app().await;
    let res = app
        .token_request(
            "grant_type=client_credentials&client_id=someone-else",
            Some((DEMO_CLIENT, DEMO_SECRET)),
        )
        .await;
    assert_eq!(res.status(), 401);
    assert_eq!(err(&res.json().await.unwrap()), "invalid_client");
}

#[tokio::test]
async fn item15_basic_credentials_are_url_decoded() {
    let app = spawn_app_with(|s| {
        let mut c = public_client("odd.client~1");
        c.secret = Some("s:cret x/y%".into());
        s.clients.push(c);
    })
    .await;
    for (credentials, status) in [
        ("odd.client%7E1:s%3Acret+x%2Fy%25", 200),
        ("odd.client~1:s%3Acret%20x%2Fy%25", 200),
        ("odd.client~1:s%3Acret+x%2Fy", 401),
    ] {
        let res = app
            .http
            .post(format!("{}/api/token", app.url))
            .header(
                "Authorization",
                format!("Basic {}", STANDARD.encode(credentials)),
            )
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body("grant_type=client_credentials")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), status, "{credentials}");
    }
}

#[tokio::test]
async fn item16_a_bad_client_secret_is_401_invalid_client_with_a_basic_challenge() {
    let app = spawn_app().await;
    let code = app.demo_code("").await;
    let body = format!("grant_type=authorization_code&code={code}&redirect_uri=x");
    let res = app.token_request(&body, Some((DEMO_CLIENT, "wrong"))).await;
    assert_eq!(res.status(), 401);
    assert!(res.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Basic realm="));
    assert_eq!(res.headers()["cache-control"], "no-store");
    assert_eq!(err(&res.json().await.unwrap()), "invalid_client");
    let body = format!("{body}&client_id={DEMO_CLIENT}&client_secret=wrong");
    let res = app.token_request(&body, None).await;
    assert_eq!(res.status(), 401);
    // SQL in the client id is just an unknown client.
    let res = app
        .token_request("grant_type=client_credentials", Some(("' OR '1'='1", "x")))
        .await;
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn item16_each_failure_has_its_rfc6749_error_code() {
    let app = spawn_app_with(|s| s.clients.push(public_client("pkce-app"))).await;
    let basic = Some((DEMO_CLIENT, DEMO_SECRET));
    let cases = [
        (
            "grant_type=authorization_code&redirect_uri=x",
            basic,
            400,
            "invalid_request",
        ),
        ("grant_type=refresh_token", basic, 400, "invalid_request"),
        ("scope=user-read-private", basic, 400, "invalid_request"),
        (
            "grant_type=client_credentials&scope=a&scope=b",
            basic,
            400,
            "invalid_request",
        ),
        ("grant_type=client_credentials", None, 401, "invalid_client"),
        (
            "grant_type=client_credentials",
            Some((DEMO_CLIENT, "wrong")),
            401,
            "invalid_client",
        ),
        (
            "grant_type=client_credentials&client_id=nope&client_secret=x",
            None,
            401,
            "invalid_client",
        ),
        (
            "grant_type=authorization_code&code=no-such-code&redirect_uri=x",
            basic,
            400,
            "invalid_grant",
        ),
        (
            "grant_type=refresh_token&refresh_token=no-such-token",
            basic,
            400,
            "invalid_grant",
        ),
        (
            "grant_type=client_credentials&client_id=pkce-app",
            None,
            400,
            "unauthorized_client",
        ),
        (
            "grant_type=password&username=demo&password=demo",
            basic,
            400,
            "unsupported_grant_type",
        ),
        ("grant_type=implicit", basic, 400, "unsupported_grant_type"),
        (
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code",
            basic,
            400,
            "unsupported_grant_type",
        ),
        (
            "grant_type=client_credentials&scope=no-such-scope",
            basic,
            400,
            "invalid_scope",
        ),
    ];
    for (body, auth, status, code) in cases {
        let res = app.token_request(body, auth).await;
        assert_eq!(res.status(), status, "{body}");
        if status == 401 && auth.is_some() {
            assert!(
                res.headers()["www-authenticate"]
                    .to_str()
                    .unwrap()
                    .starts_with("Basic realm="),
                "{body}"
            );
        }
        let json: serde_json::Value = res.json().await.unwrap();
        assert_eq!(err(&json), code, "{body}");
        assert!(json["error_description"].is_string(), "{body}");
    }
}

#[tokio::test]
async fn item17_every_token_response_is_no_store_errors_included() {
    let app = spawn_app().await;
    let basic = Some((DEMO_CLIENT, DEMO_SECRET));
    let code = app.demo_code("").await;
    let exchange = format!(
        "grant_type=authorization_code&code={code}&redirect_uri={}",
        form_urlencoded::byte_serialize(ALEXA_REDIRECT.as_bytes()).collect::<String>()
    );
    let mut responses = vec![
        ("code exchange", app.token_request(&exchange, basic).await),
        ("code replay", app.token_request(&exchange, basic).await),
        (
            "client_credentials",
            app.token_request("grant_type=client_credentials", basic)
                .await,
        ),
        (
            "unsupported grant",
            app.token_request("grant_type=password", basic).await,
        ),
        (
            "GET",
            app.http
                .get(format!("{}/api/token", app.url))
                .send()
                .await
                .unwrap(),
        ),
        (
            "too large",
            app.token_request(
                &format!("grant_type=client_credentials&pad={}", "x".repeat(70_000)),
                basic,
            )
            .await,
        ),
    ];
    for _ in 0..10 {
        let res = app
            .token_request(
                "grant_type=client_credentials",
                Some((DEMO_CLIENT, "wrong")),
            )
            .await;
        assert_eq!(res.status(), 401);
        responses.push(("bad secret", res));
    }
    responses.push((
        "throttled",
        app.token_request("grant_type=client_credentials", basic)
            .await,
    ));
    let statuses: Vec<u16> = responses.iter().map(|(_, r)| r.status().as_u16()).collect();
    for expected in [200, 400, 401, 405, 413, 429] {
        assert!(statuses.contains(&expected), "{statuses:?}");
    }
    for (what, res) in responses {
        assert_eq!(res.headers()["cache-control"], "no-store", "{what}");
        assert_eq!(res.headers()["pragma"], "no-cache", "{what}");
    }
}

#[tokio::test]
async fn item18_an_empty_parameter_counts_as_absent() {
    let app = spawn_app().await;
    // An empty scope is no scope: accepted.
    let res = app
        .token_request(
            "grant_type=client_credentials&scope=",
            Some((DEMO_CLIENT, DEMO_SECRET)),
        )
        .await;
    assert_eq!(res.status(), 200);
    // An empty code is a missing code.
    let res = app
        .token_request(
            "grant_type=authorization_code&code=&redirect_uri=x",
            Some((DEMO_CLIENT, DEMO_SECRET)),
        )
        .await;
    assert_eq!(res.status(), 400);
    let json = res.json().await.unwrap();
    assert_eq!(err(&json), "invalid_request");
    assert_eq!(json["error_description"], "code is required");
}

#[tokio::test]
async fn item18_post_only_and_unknown_parameters_are_ignored() {
    let app = spawn_app().await;
    for method in ["GET", "PUT", "DELETE"] {
        let res = app
            .http
            .request(
                reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
                format!("{}/api/token?grant_type=client_credentials", app.url),
            )
            .basic_auth(DEMO_CLIENT, Some(DEMO_SECRET))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 405, "{method}");
        assert_eq!(res.headers()["allow"], "POST", "{method}");
        assert_eq!(err(&res.json().await.unwrap()), "invalid_request");
    }
    let res = app
        .token_request(
            "grant_type=client_credentials&unknown=1&prompt=x&nonce=y",
            Some((DEMO_CLIENT, DEMO_SECRET)),
        )
        .await;
    assert_eq!(res.status(), 200);
    let code = app.demo_code("").await;
    let body = format!(
        "grant_type=authorization_code&code={code}&redirect_uri={}&whatever=1",
        form_urlencoded::byte_serialize(ALEXA_REDIRECT.as_bytes()).collect::<String>()
    );
    let res = app
        .token_request(&body, Some((DEMO_CLIENT, DEMO_SECRET)))
        .await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn item19_code_replay_fails_and_revokes_the_tokens_from_the_first_exchange() {
    let app = spawn_app().await;
    let code = app.demo_code("user-read-private").await;
    let (status, first) = app.exchange_demo_code(&code).await;
    assert_eq!(status, 200);
    let access = first["access_token"].as_str().unwrap();
    assert_eq!(app.introspect(access).await["active"], true);

    let (status, json) = app.exchange_demo_code(&code).await;
    assert_eq!((status, err(&json)), (400, "invalid_grant"));
    assert_eq!(app.introspect(access).await["active"], false);
    let res = app
        .http
        .get(format!("{}/v1/me", app.url))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        401,
        "the first access token is dead at the api"
    );
    let (status, json) = app
        .refresh_demo(first["refresh_token"].as_str().unwrap())
        .await;
    assert_eq!((status, err(&json)), (400, "invalid_grant"));
}

#[tokio::test]
async fn item20_an_expired_code_is_invalid_grant() {
    let app = spawn_app().await;
    let code = app.demo_code("").await;
    app.clock.advance(601);
    let (status, json) = app.exchange_demo_code(&code).await;
    assert_eq!((status, err(&json)), (400, "invalid_grant"));
    assert_eq!(json["error_description"], "Authorization code expired");
}

#[tokio::test]
async fn item20_the_code_lifetime_is_configurable_and_codes_carry_at_least_128_random_bits() {
    let app = spawn_app_with(|s| s.code_ttl_seconds = 60).await;
    let code = app.demo_code("").await;
    let raw = URL_SAFE_NO_PAD.decode(&code).expect("base64url");
    assert!(raw.len() * 8 >= 128, "{} bits", raw.len() * 8);
    // Well inside the 60 s, with slack for the real time a loaded machine
    // takes between issue and redemption.
    app.clock.advance(50);
    let (status, json) = app.exchange_demo_code(&code).await;
    assert_eq!(status, 200, "{json}");
    let second = app.demo_code("").await;
    assert_ne!(second, code);
    app.clock.advance(61);
    let (status, json) = app.exchange_demo_code(&second).await;
    assert_eq!((status, err(&json)), (400, "invalid_grant"));
    assert_eq!(json["error_description"], "Authorization code expired");
    // Outside 60 s – 10 min the setting is refused.
    for ttl in ["59", "601"] {
        let (ok, out) = run_cli(
            &app.db,
            &["user", "list"],
            &[("MOCKLINK_CODE_TTL_SECONDS", ttl)],
        );
        assert!(!ok && out.contains("code_ttl_seconds"), "{ttl}: {out}");
    }
}

#[tokio::test]
async fn item21_the_code_is_bound_to_its_redirect_uri_and_client() {
    let app = spawn_app_with(|s| {
        let mut c = crate::provider_flow::public_client("other");
        c.secret = Some("other-secret".into());
        s.clients.push(c);
    })
    .await;
    let other_region = "https%3A%2F%2Flayla.amazon.com%2Fapi%2Fskill%2Flink%2FM2AB3CD4EF5GHI";
    // A fresh code each time, so each body fails on its redirect_uri and not
    // because an earlier attempt burnt the code.
    for redirect in [format!("&redirect_uri={other_region}"), String::new()] {
        let code = app.demo_code("").await;
        let body = format!("grant_type=authorization_code&code={code}{redirect}");
        let res = app
            .token_request(&body, Some((DEMO_CLIENT, DEMO_SECRET)))
            .await;
        assert_eq!(res.status(), 400);
        let json = res.json().await.unwrap();
        assert_eq!(err(&json), "invalid_grant");
        assert_eq!(json["error_description"], "Invalid redirect URI", "{body}");
    }
    let code = app.demo_code("").await;
    let body = format!("grant_type=authorization_code&code={code}&redirect_uri=https%3A%2F%2Fpitangui.amazon.com%2Fapi%2Fskill%2Flink%2FM2AB3CD4EF5GHI");
    let res = app
        .token_request(&body, Some(("other", "other-secret")))
        .await;
    assert_eq!(err(&res.json().await.unwrap()), "invalid_grant");
    // Another client's attempt did not burn the code for its owner.
    let (status, _) = app.exchange_demo_code(&code).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn item22_authorize_takes_only_s256_challenges_and_public_clients_must_send_one() {
    let app = spawn_app_with(|s| s.clients.push(public_client("pkce-app"))).await;
    for pkce in [
        vec![
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "plain"),
        ],
        vec![("code_challenge", CHALLENGE)],
        vec![("code_challenge_method", "S256")],
        vec![
            ("code_challenge", &CHALLENGE[..42]),
            ("code_challenge_method", "S256"),
        ],
        vec![
            ("code_challenge", "a".repeat(129).as_str()),
            ("code_challenge_method", "S256"),
        ],
        vec![
            ("code_challenge", format!("{}+", &CHALLENGE[..42]).as_str()),
            ("code_challenge_method", "S256"),
        ],
    ] {
        let res = app
            .get(&app.demo_authorize_url("", &pkce)[app.url.len()..])
            .await;
        assert!(res.status().is_redirection(), "{pkce:?}");
        let back = url::Url::parse(&location(&res)).unwrap();
        assert!(back.as_str().starts_with(ALEXA_REDIRECT));
        assert_eq!(
            query_param(&back, "error").as_deref(),
            Some("invalid_request"),
            "{pkce:?}"
        );
    }
    let res = app
        .get(&format!(
            "/authorize?response_type=code&client_id=pkce-app&redirect_uri={PKCE_REDIRECT}"
        ))
        .await;
    let back = url::Url::parse(&location(&res)).unwrap();
    assert!(back.as_str().starts_with("http://127.0.0.1:9/cb"), "{back}");
    assert_eq!(
        query_param(&back, "error").as_deref(),
        Some("invalid_request"),
        "a public client without PKCE"
    );
    let meta: serde_json::Value = app
        .get("/.well-known/oauth-authorization-server")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        meta["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
}

/// A code for the public client `pkce-app`, bound to the RFC 7636 challenge.
async fn pkce_code(app: &TestApp) -> String {
    let url = format!(
        "{}/authorize?response_type=code&client_id=pkce-app&redirect_uri={PKCE_REDIRECT}&code_challenge={CHALLENGE}&code_challenge_method=S256",
        app.url
    );
    query_param(&app.browse_and_agree(&url).await, "code").unwrap()
}

async fn pkce_exchange(
    app: &TestApp,
    code: &str,
    verifier: Option<&str>,
) -> (u16, serde_json::Value) {
    let mut body = format!(
        "grant_type=authorization_code&client_id=pkce-app&redirect_uri={PKCE_REDIRECT}&code={code}"
    );
    if let Some(v) = verifier {
        body.push_str(&format!("&code_verifier={v}"));
    }
    let res = app.token_request(&body, None).await;
    (res.status().as_u16(), res.json().await.unwrap())
}

#[tokio::test]
async fn item22_a_wrong_or_missing_verifier_is_invalid_grant_and_burns_the_code() {
    let app = spawn_app_with(|s| s.clients.push(public_client("pkce-app"))).await;
    let wrong = "x".repeat(43);
    for bad in [Some(wrong.as_str()), None] {
        let code = pkce_code(&app).await;
        let (status, json) = pkce_exchange(&app, &code, bad).await;
        assert_eq!((status, err(&json)), (400, "invalid_grant"), "{bad:?}");
        // The right verifier no longer helps: the code is burnt.
        let (status, json) = pkce_exchange(&app, &code, Some(VERIFIER)).await;
        assert_eq!((status, err(&json)), (400, "invalid_grant"), "{bad:?}");
    }
    // The RFC 7636 vector: this verifier answers this challenge.
    let code = pkce_code(&app).await;
    let (status, json) = pkce_exchange(&app, &code, Some(VERIFIER)).await;
    assert_eq!(status, 200, "{json}");
}

#[tokio::test]
async fn item22_a_verifier_for_a_code_without_challenge_is_a_downgrade_and_bad_verifiers_are_invalid_request(
) {
    let app = spawn_app().await;
    let redirect = "https%3A%2F%2Fpitangui.amazon.com%2Fapi%2Fskill%2Flink%2FM2AB3CD4EF5GHI";
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    // The demo client is confidential and may skip PKCE; this code has no challenge.
    let code = app.demo_code("").await;
    let body = format!("grant_type=authorization_code&code={code}&redirect_uri={redirect}&code_verifier={verifier}");
    let res = app
        .token_request(&body, Some((DEMO_CLIENT, DEMO_SECRET)))
        .await;
    assert_eq!(res.status(), 400);
    assert_eq!(err(&res.json().await.unwrap()), "invalid_grant");
    // A verifier outside [A-Za-z0-9._~-]{43,128}: invalid_request, before any lookup.
    for bad in ["short", &format!("{}%2B", "a".repeat(43)), &"a".repeat(129)] {
        let body = format!(
            "grant_type=authorization_code&code=x&redirect_uri={redirect}&code_verifier={bad}"
        );
        let res = app
            .token_request(&body, Some((DEMO_CLIENT, DEMO_SECRET)))
            .await;
        assert_eq!(res.status(), 400, "{bad}");
        assert_eq!(err(&res.json().await.unwrap()), "invalid_request", "{bad}");
    }
}

#[tokio::test]
async fn item23_refresh_rotates_and_reuse_of_a_retired_token_revokes_the_grant() {
    let app = spawn_app().await;
    let (access1, r1) = app.demo_tokens("user-read-private").await;
    let (status, json) = app.refresh_demo(&r1).await;
    assert_eq!(status, 200, "{json}");
    let r2 = json["refresh_token"].as_str().unwrap().to_owned();
    let access2 = json["access_token"].as_str().unwrap().to_owned();
    assert_ne!(r1, r2, "the demo client rotates");
    assert_eq!(json["scope"], "user-read-private");
    assert_eq!(json["expires_in"], 3600);

    // R1 again: reuse detected, whole family revoked.
    let (status, json) = app.refresh_demo(&r1).await;
    assert_eq!((status, err(&json)), (400, "invalid_grant"));
    let (status, json) = app.refresh_demo(&r2).await;
    assert_eq!(
        (status, err(&json)),
        (400, "invalid_grant"),
        "R2 died with its family"
    );
    assert_eq!(
        app.introspect(&access2).await,
        serde_json::json!({"active": false})
    );
    assert_eq!(
        app.introspect(&access1).await,
        serde_json::json!({"active": false})
    );
    let res = app
        .http
        .get(format!("{}/v1/me", app.url))
        .bearer_auth(&access2)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401, "R2's access token is dead at the api");
}

#[tokio::test]
async fn item23_a_refresh_token_is_bound_to_its_client_and_ends_at_its_absolute_lifetime() {
    let app = app_with_other_client().await;
    let (_, r1) = app.demo_tokens("user-read-private").await;
    let res = app
        .token_request(
            &format!("grant_type=refresh_token&refresh_token={r1}"),
            Some(("other", "other-secret")),
        )
        .await;
    assert_eq!(res.status(), 400);
    assert_eq!(err(&res.json().await.unwrap()), "invalid_grant");
    // Another client's attempt neither used nor burnt it.
    let (status, json) = app.refresh_demo(&r1).await;
    assert_eq!(status, 200, "{json}");
    let r2 = json["refresh_token"].as_str().unwrap().to_owned();
    // Spotify's six months, counted from the authorization, not the last refresh.
    app.clock.advance(180 * 24 * 3600 + 1);
    let (status, json) = app.refresh_demo(&r2).await;
    assert_eq!((status, err(&json)), (400, "invalid_grant"));
}

#[tokio::test]
async fn item24_refresh_may_narrow_scopes_but_not_widen_them() {
    let app = spawn_app().await;
    let (_, r0) = app.demo_tokens("user-read-private user-read-email").await;
    // Omitted: the same scopes as the grant.
    let (status, json) = app.refresh_demo(&r0).await;
    assert_eq!(status, 200, "{json}");
    assert_eq!(json["scope"], "user-read-email user-read-private");
    let r1 = json["refresh_token"].as_str().unwrap().to_owned();
    let body =
        format!("grant_type=refresh_token&refresh_token={r1}&scope=user-read-playback-state");
    let res = app
        .token_request(&body, Some((DEMO_CLIENT, DEMO_SECRET)))
        .await;
    assert_eq!(res.status(), 400);
    assert_eq!(err(&res.json().await.unwrap()), "invalid_scope");
    let body = format!("grant_type=refresh_token&refresh_token={r1}&scope=user-read-email");
    let json: serde_json::Value = app
        .token_request(&body, Some((DEMO_CLIENT, DEMO_SECRET)))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(json["scope"], "user-read-email");
}

fn lifetime(jwt: &str) -> i64 {
    let claims: serde_json::Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(jwt.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap()
}

#[tokio::test]
async fn item25_expires_in_defaults_to_3600_and_equals_the_jwts_exp_minus_iat() {
    let app = spawn_app_with(|s| {
        let mut c = public_client("short-lived");
        c.secret = Some("short-secret".into());
        c.access_token_ttl_seconds = 360;
        s.clients.push(c);
    })
    .await;
    let code = app.demo_code("").await;
    let (_, exchanged) = app.exchange_demo_code(&code).await;
    let (_, refreshed) = app
        .refresh_demo(exchanged["refresh_token"].as_str().unwrap())
        .await;
    let credentials: serde_json::Value = app
        .token_request(
            "grant_type=client_credentials",
            Some((DEMO_CLIENT, DEMO_SECRET)),
        )
        .await
        .json()
        .await
        .unwrap();
    let short: serde_json::Value = app
        .token_request(
            "grant_type=client_credentials",
            Some(("short-lived", "short-secret")),
        )
        .await
        .json()
        .await
        .unwrap();
    for (what, json, expected) in [
        ("code", exchanged, 3600),
        ("refresh", refreshed, 3600),
        ("client_credentials", credentials, 3600),
        ("Alexa's minimum", short, 360),
    ] {
        assert_eq!(json["expires_in"], expected, "{what}: {json}");
        assert_eq!(
            lifetime(json["access_token"].as_str().unwrap()),
            expected,
            "{what}"
        );
    }
    // Below Alexa's 360 s a client cannot be declared at all.
    let mut c = public_client("too-short");
    c.access_token_ttl_seconds = 359;
    assert!(mocklink::startup::client_from_seed(&c).is_err());
}
