//! The token endpoint's grants as features (reuse policy, client
//! credentials), revoking one access token, and restarts. The errors it
//! must answer with are in `security_token.rs` and `security_endpoints.rs`.

use crate::helpers::*;

fn err(json: &serde_json::Value) -> &str {
    json["error"].as_str().unwrap_or("<no error field>")
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
