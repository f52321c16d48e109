//! The token endpoint's grants and every error it must answer with
//! (RFC 6749 §5.2), plus revocation, introspection and restarts.

use crate::helpers::*;

fn err(json: &serde_json::Value) -> &str {
    json["error"].as_str().unwrap_or("<no error field>")
}

#[tokio::test]
async fn refresh_rotates_and_reuse_of_a_retired_token_revokes_the_grant() {
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
}

#[tokio::test]
async fn a_reuse_policy_client_keeps_its_refresh_token() {
    let app = spawn_app_with(|s| {
        let mut c = crate::provider_flow::public_client("rspotify-like");
        c.secret = Some("s3cret-s3cret".into());
        c.refresh_policy = mocklink::store::RefreshPolicy::Reuse;
        s.clients.push(c);
    })
    .await;
    let url = format!(
        "{}/authorize?response_type=code&client_id=rspotify-like&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcb&state=s",
        app.url
    );
    let code = query_param(&app.browse_and_agree(&url).await, "code").unwrap();
    let body = format!(
        "grant_type=authorization_code&code={code}&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcb"
    );
    let json: serde_json::Value = app
        .token_request(&body, Some(("rspotify-like", "s3cret-s3cret")))
        .await
        .json()
        .await
        .unwrap();
    let r1 = json["refresh_token"].as_str().unwrap().to_owned();
    for _ in 0..3 {
        let res = app
            .token_request(
                &format!("grant_type=refresh_token&refresh_token={r1}"),
                Some(("rspotify-like", "s3cret-s3cret")),
            )
            .await;
        assert_eq!(res.status(), 200);
        let json: serde_json::Value = res.json().await.unwrap();
        assert_eq!(json["refresh_token"], r1.as_str());
    }
}

#[tokio::test]
async fn refresh_may_narrow_scopes_but_not_widen_them() {
    let app = spawn_app().await;
    let (_, r1) = app.demo_tokens("user-read-private user-read-email").await;
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

#[tokio::test]
async fn code_replay_fails_and_revokes_the_tokens_from_the_first_exchange() {
    let app = spawn_app().await;
    let code = app.demo_code("user-read-private").await;
    let (status, first) = app.exchange_demo_code(&code).await;
    assert_eq!(status, 200);
    let access = first["access_token"].as_str().unwrap();
    assert_eq!(app.introspect(access).await["active"], true);

    let (status, json) = app.exchange_demo_code(&code).await;
    assert_eq!((status, err(&json)), (400, "invalid_grant"));
    assert_eq!(app.introspect(access).await["active"], false);
    let (status, json) = app
        .refresh_demo(first["refresh_token"].as_str().unwrap())
        .await;
    assert_eq!((status, err(&json)), (400, "invalid_grant"));
}

#[tokio::test]
async fn an_expired_code_is_invalid_grant() {
    let app = spawn_app().await;
    let code = app.demo_code("").await;
    app.clock.advance(601);
    let (status, json) = app.exchange_demo_code(&code).await;
    assert_eq!((status, err(&json)), (400, "invalid_grant"));
    assert_eq!(json["error_description"], "Authorization code expired");
}

#[tokio::test]
async fn the_code_is_bound_to_its_redirect_uri_and_client() {
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
async fn a_bad_client_secret_is_401_invalid_client_with_a_basic_challenge() {
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
async fn basic_and_body_secret_at_once_is_invalid_request() {
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
async fn unsupported_grant_types_are_refused() {
    let app = spawn_app().await;
    for gt in [
        "password",
        "implicit",
        "urn:ietf:params:oauth:grant-type:device_code",
    ] {
        let res = app
            .token_request(
                &format!("grant_type={gt}&username=demo&password=demo"),
                Some((DEMO_CLIENT, DEMO_SECRET)),
            )
            .await;
        assert_eq!(res.status(), 400);
        assert_eq!(err(&res.json().await.unwrap()), "unsupported_grant_type");
    }
}

#[tokio::test]
async fn client_credentials_gives_an_access_token_without_refresh_token() {
    let app = spawn_app().await;
    let res = app
        .token_request(
            "grant_type=client_credentials",
            Some((DEMO_CLIENT, DEMO_SECRET)),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    assert_eq!(res.headers()["pragma"], "no-cache");
    let json: serde_json::Value = res.json().await.unwrap();
    assert_eq!(json["token_type"], "Bearer");
    assert!(json.get("refresh_token").is_none());
    let res = app
        .token_request(
            "grant_type=client_credentials&scope=no-such-scope",
            Some((DEMO_CLIENT, DEMO_SECRET)),
        )
        .await;
    assert_eq!(err(&res.json().await.unwrap()), "invalid_scope");
}

#[tokio::test]
async fn malformed_oversized_and_missing_parameters_are_400_json_never_500() {
    let app = spawn_app().await;
    let basic = Some((DEMO_CLIENT, DEMO_SECRET));
    let cases: Vec<(String, &str, u16, &str)> = vec![
        (
            "".into(),
            "application/x-www-form-urlencoded",
            400,
            "invalid_request",
        ),
        (
            "grant_type=authorization_code".into(),
            "application/x-www-form-urlencoded",
            400,
            "invalid_request",
        ),
        (
            "grant_type=refresh_token".into(),
            "application/x-www-form-urlencoded",
            400,
            "invalid_request",
        ),
        (
            "grant_type=client_credentials&grant_type=client_credentials".into(),
            "application/x-www-form-urlencoded",
            400,
            "invalid_request",
        ),
        (
            "{\"grant_type\":\"client_credentials\"}".into(),
            "application/json",
            400,
            "invalid_request",
        ),
        (
            "grant_type=authorization_code&code=%ZZ%00".into(),
            "application/x-www-form-urlencoded",
            400,
            "invalid_grant",
        ),
        (
            format!("grant_type=client_credentials&pad={}", "x".repeat(70_000)),
            "application/x-www-form-urlencoded",
            413,
            "invalid_request",
        ),
    ];
    for (body, ctype, status, code) in cases {
        let mut req = app
            .http
            .post(format!("{}/api/token", app.url))
            .header("Content-Type", ctype)
            .body(body.clone());
        if let Some((id, s)) = basic {
            req = req.basic_auth(id, Some(s));
        }
        let res = req.send().await.unwrap();
        assert_eq!(
            res.status().as_u16(),
            status,
            "body {}",
            &body[..body.len().min(60)]
        );
        assert_eq!(res.headers()["cache-control"], "no-store");
        let json: serde_json::Value = res.json().await.expect("JSON error body");
        assert_eq!(err(&json), code, "body {}", &body[..body.len().min(60)]);
    }
    let raw = app
        .http
        .post(format!("{}/api/token", app.url))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(vec![b'a', b'=', 0xff, 0xfe])
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 400);
    let get = app
        .http
        .get(format!("{}/api/token", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), 405);
}

#[tokio::test]
async fn revocation_of_a_refresh_token_kills_its_access_tokens_at_once() {
    let app = spawn_app().await;
    let (access, refresh) = app.demo_tokens("user-read-private").await;
    let revoke = |token: String, who: (&'static str, &'static str)| {
        let app = &app;
        async move {
            app.http
                .post(format!("{}/api/revoke", app.url))
                .basic_auth(who.0, Some(who.1))
                .form(&[("token", token)])
                .send()
                .await
                .unwrap()
        }
    };
    let res = revoke(refresh.clone(), (DEMO_CLIENT, DEMO_SECRET)).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        app.introspect(&access).await,
        serde_json::json!({"active": false})
    );
    let (status, _) = app.refresh_demo(&refresh).await;
    assert_eq!(status, 400);
    // Unknown and already revoked tokens: 200 as well.
    assert_eq!(
        revoke("garbage".into(), (DEMO_CLIENT, DEMO_SECRET))
            .await
            .status(),
        200
    );
    assert_eq!(
        revoke(refresh, (DEMO_CLIENT, DEMO_SECRET)).await.status(),
        200
    );
    // Without client authentication: 401.
    let res = app
        .http
        .post(format!("{}/api/revoke", app.url))
        .form(&[("token", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn revoking_an_access_token_deactivates_only_it() {
    let app = spawn_app().await;
    let (access, refresh) = app.demo_tokens("user-read-private").await;
    let res = app
        .http
        .post(format!("{}/api/revoke", app.url))
        .form(&[
            ("token", access.as_str()),
            ("client_id", DEMO_CLIENT),
            ("client_secret", DEMO_SECRET),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(app.introspect(&access).await["active"], false);
    assert_eq!(app.introspect(&refresh).await["active"], true);
}

#[tokio::test]
async fn introspection_requires_client_authentication_and_describes_live_tokens() {
    let app = spawn_app().await;
    let (access, _) = app.demo_tokens("user-read-private").await;
    let json = app.introspect(&access).await;
    assert_eq!(json["active"], true);
    assert_eq!(json["sub"], "demo");
    assert_eq!(json["client_id"], DEMO_CLIENT);
    assert_eq!(json["scope"], "user-read-private");
    assert_eq!(
        app.introspect("not-a-token").await,
        serde_json::json!({"active": false})
    );
    let res = app
        .http
        .post(format!("{}/api/introspect", app.url))
        .form(&[("token", access.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    app.clock.advance(3600 + 60);
    assert_eq!(
        app.introspect(&access).await,
        serde_json::json!({"active": false})
    );
}

#[tokio::test]
async fn a_restart_on_the_same_database_keeps_users_clients_keys_and_tokens() {
    let fixed =
        |s: &mut mocklink::config::Settings| s.public_url = Some("http://mocklink.test".into());
    let first = spawn_app_with(fixed).await;
    let (access, refresh) = first.demo_tokens("user-read-private").await;
    let kid = first.state.keys.active_kid();
    first.stop().await;
    let db = first.db.clone();
    drop(first);

    let second = spawn_on(db, fixed).await;
    assert_eq!(
        second.state.keys.active_kid(),
        kid,
        "the signing key persisted"
    );
    assert_eq!(second.introspect(&access).await["active"], true);
    let (status, json) = second.refresh_demo(&refresh).await;
    assert_eq!(status, 200, "{json}");
}

#[tokio::test]
async fn metadata_names_the_issuer_endpoints_and_auth_methods() {
    let app = spawn_app().await;
    let m: serde_json::Value = app
        .get("/.well-known/oauth-authorization-server")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(m["issuer"], app.url.as_str());
    assert_eq!(m["token_endpoint"], format!("{}/api/token", app.url));
    assert_eq!(m["authorization_response_iss_parameter_supported"], true);
    assert_eq!(
        m["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    let methods = m["token_endpoint_auth_methods_supported"]
        .as_array()
        .unwrap();
    assert!(
        methods.contains(&"client_secret_basic".into())
            && methods.contains(&"client_secret_post".into())
    );
}
