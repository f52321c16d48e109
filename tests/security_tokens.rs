//! security.md items at the token endpoint and in token verification that
//! no other test pins down black-box; each test names its item.

use crate::helpers::*;

fn err(json: &serde_json::Value) -> &str {
    json["error"].as_str().unwrap_or("<none>")
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
async fn item28_a_token_for_another_issuer_or_audience_is_rejected_even_with_our_key() {
    let issuer =
        |s: &mut mocklink::config::Settings| s.public_url = Some("http://mocklink.test".into());
    let app = spawn_app_with(issuer).await;
    let (access, _) = app.demo_tokens("user-read-private").await;
    assert_eq!(app.introspect(&access).await["active"], true);
    // Same database, so the same signing keys; only iss / aud differ.
    let other_issuer = spawn_on(app.db.clone(), |s| {
        s.public_url = Some("http://elsewhere.test".into())
    })
    .await;
    assert_eq!(
        other_issuer.introspect(&access).await["active"],
        false,
        "wrong iss"
    );
    let res = other_issuer
        .http
        .get(format!("{}/v1/me", other_issuer.url))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let other_audience = spawn_on(app.db.clone(), |s| {
        issuer(s);
        s.audience = "another-api".into();
    })
    .await;
    assert_eq!(
        other_audience.introspect(&access).await["active"],
        false,
        "wrong aud"
    );
    let res = other_audience
        .http
        .get(format!("{}/v1/me", other_audience.url))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}
