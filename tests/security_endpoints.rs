//! ../shared/spec/security.md section E (items 31–33): revocation,
//! introspection and the authorization-server metadata, black-box.

use crate::helpers::*;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

#[tokio::test]
async fn item31_revocation_of_a_refresh_token_kills_its_access_tokens_at_once() {
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
    // `{}`, not an empty body: simple-oauth2 parses the answer as JSON.
    assert_eq!(
        &res.bytes().await.unwrap()[..],
        b"{}",
        "an empty JSON object"
    );
    assert_eq!(
        app.introspect(&access).await,
        serde_json::json!({"active": false})
    );
    let (status, _) = app.refresh_demo(&refresh).await;
    assert_eq!(status, 400);
    // Unknown and already revoked tokens: the same 200 `{}`.
    for token in ["garbage".to_owned(), refresh, access] {
        let res = revoke(token, (DEMO_CLIENT, DEMO_SECRET)).await;
        assert_eq!(res.status(), 200);
        assert_eq!(&res.bytes().await.unwrap()[..], b"{}");
    }
    // A wrong secret: 401 invalid_client.
    let res = revoke("x".into(), (DEMO_CLIENT, "wrong")).await;
    assert_eq!(res.status(), 401);
    assert_eq!(
        res.json::<serde_json::Value>().await.unwrap()["error"],
        "invalid_client"
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
    assert_eq!(
        res.json::<serde_json::Value>().await.unwrap()["error"],
        "invalid_client"
    );
}

#[tokio::test]
async fn item31_a_client_cannot_revoke_another_clients_token_and_it_stays_valid() {
    let app = spawn_app_with(|s| {
        let mut c = crate::provider_flow::public_client("other");
        c.secret = Some("other-secret".into());
        s.clients.push(c);
    })
    .await;
    let (access, refresh) = app.demo_tokens("user-read-private").await;
    for token in [&access, &refresh] {
        let res = app
            .http
            .post(format!("{}/api/revoke", app.url))
            .basic_auth("other", Some("other-secret"))
            .form(&[("token", token.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400);
        assert_eq!(
            res.json::<serde_json::Value>().await.unwrap()["error"],
            "unauthorized_client"
        );
    }
    assert_eq!(app.introspect(&access).await["active"], true);
    assert_eq!(app.introspect(&refresh).await["active"], true);
}

#[tokio::test]
async fn item32_introspection_requires_client_authentication_and_describes_live_tokens() {
    let app = spawn_app_with(|s| {
        s.clients
            .push(crate::provider_flow::public_client("pkce-app"))
    })
    .await;
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
    // Unauthenticated, wrongly authenticated, or a public client: 401.
    let res = app
        .http
        .post(format!("{}/api/introspect", app.url))
        .form(&[("token", access.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    for (id, secret) in [(DEMO_CLIENT, Some("wrong")), ("pkce-app", None)] {
        let res = app
            .http
            .post(format!("{}/api/introspect", app.url))
            .basic_auth(id, secret)
            .form(&[("token", access.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401, "{id}");
        assert_eq!(
            res.json::<serde_json::Value>().await.unwrap()["error"],
            "invalid_client"
        );
    }
    // Revoked: inactive, and nothing else said about it.
    let (revoked_access, revoked_refresh) = app.demo_tokens("user-read-private").await;
    let res = app
        .http
        .post(format!("{}/api/revoke", app.url))
        .basic_auth(DEMO_CLIENT, Some(DEMO_SECRET))
        .form(&[("token", revoked_refresh.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    for token in [&revoked_access, &revoked_refresh] {
        assert_eq!(
            app.introspect(token).await,
            serde_json::json!({"active": false})
        );
    }
    app.clock.advance(3600 + 60);
    assert_eq!(
        app.introspect(&access).await,
        serde_json::json!({"active": false})
    );
}

#[tokio::test]
async fn item33_metadata_names_the_issuer_endpoints_and_auth_methods() {
    let app = spawn_app_with(|s| s.public_url = Some("http://mocklink.test".into())).await;
    let m: serde_json::Value = app
        .get("/.well-known/oauth-authorization-server")
        .await
        .json()
        .await
        .unwrap();
    let issuer = "http://mocklink.test";
    assert_eq!(m["issuer"], issuer);
    assert_eq!(m["token_endpoint"], format!("{issuer}/api/token"));
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
    // The same issuer in the redirect (RFC 9207) and in the token (RFC 9068).
    let back = app.browse_and_agree(&app.demo_authorize_url("", &[])).await;
    assert_eq!(query_param(&back, "iss").as_deref(), Some(issuer));
    let (status, json) = app
        .exchange_demo_code(&query_param(&back, "code").unwrap())
        .await;
    assert_eq!(status, 200, "{json}");
    let jwt = json["access_token"].as_str().unwrap();
    let claims: serde_json::Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(jwt.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["iss"], issuer);
}
