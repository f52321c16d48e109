//! ../shared/spec/security.md section D (items 26–30): the JWT access tokens
//! and how `/v1` checks them, black-box over HTTP.

use crate::api_support::*;
use crate::helpers::*;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

fn challenge(res: &reqwest::Response) -> String {
    res.headers()
        .get("www-authenticate")
        .expect("a WWW-Authenticate challenge")
        .to_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn item26_the_access_token_is_an_rfc9068_jwt_signed_by_a_key_in_the_jwks() {
    let app = spawn_app().await;
    let (access, _) = app.demo_tokens("user-read-private user-read-email").await;
    let jwt = access.as_str();
    let header = jsonwebtoken::decode_header(jwt).unwrap();
    assert_eq!(header.typ.as_deref(), Some("at+jwt"));
    assert_eq!(header.alg, jsonwebtoken::Algorithm::RS256);
    let jwks: serde_json::Value = app
        .get("/.well-known/jwks.json")
        .await
        .json()
        .await
        .unwrap();
    let key = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == header.kid.clone().unwrap().as_str())
        .expect("the kid is published");
    let decoding = jsonwebtoken::DecodingKey::from_rsa_components(
        key["n"].as_str().unwrap(),
        key["e"].as_str().unwrap(),
    )
    .unwrap();
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    v.set_audience(&["mocklink-api"]);
    v.set_issuer(&[&app.url]);
    let claims = jsonwebtoken::decode::<serde_json::Value>(jwt, &decoding, &v)
        .unwrap()
        .claims;
    assert_eq!(claims["sub"], "demo");
    assert_eq!(claims["client_id"], DEMO_CLIENT);
    assert_eq!(claims["scope"], "user-read-email user-read-private");
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        3600
    );
    assert!(claims["jti"].as_str().is_some_and(|j| !j.is_empty()));
    for claim in [
        "iss",
        "sub",
        "aud",
        "exp",
        "iat",
        "jti",
        "client_id",
        "scope",
    ] {
        assert!(!claims[claim].is_null(), "{claim} is present");
    }
}

fn forge(header: serde_json::Value, claims: &serde_json::Value, signature: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        URL_SAFE_NO_PAD.encode(signature)
    )
}

#[tokio::test]
async fn item27_forged_tokens_are_refused_alg_none_hs256_unknown_kid_wrong_typ_edited_payload() {
    let app = spawn_app().await;
    let (access, _) = app.demo_tokens("user-read-private").await;
    assert_eq!(app.introspect(&access).await["active"], true);
    let parts: Vec<&str> = access.split('.').collect();
    let header: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    let claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    let kid = header["kid"].as_str().unwrap();
    let jwks: serde_json::Value = app
        .get("/.well-known/jwks.json")
        .await
        .json()
        .await
        .unwrap();

    let none = forge(
        serde_json::json!({"alg": "none", "typ": "at+jwt", "kid": kid}),
        &claims,
        b"",
    );
    // HS256 keyed with the public key's bytes (the classic confusion attack).
    let public_key = jwks["keys"][0]["n"].as_str().unwrap().as_bytes().to_vec();
    let hs_header = serde_json::json!({"alg": "HS256", "typ": "at+jwt", "kid": kid});
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(hs_header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let hs = {
        use aws_lc_rs::hmac;
        let key = hmac::Key::new(hmac::HMAC_SHA256, &public_key);
        format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(hmac::sign(&key, signing_input.as_bytes()).as_ref())
        )
    };
    let unknown_kid = format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(
            serde_json::json!({"alg": "RS256", "typ": "at+jwt", "kid": "nope"}).to_string()
        ),
        parts[1],
        parts[2]
    );
    let wrong_typ = format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD
            .encode(serde_json::json!({"alg": "RS256", "typ": "JWT", "kid": kid}).to_string()),
        parts[1],
        parts[2]
    );
    let mut edited_claims = claims.clone();
    edited_claims["sub"] = "someone-else".into();
    let edited = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(edited_claims.to_string()),
        parts[2]
    );
    // alg none with the signature simply dropped, as attackers send it.
    let none_unsigned = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD
            .encode(serde_json::json!({"alg": "none", "typ": "at+jwt", "kid": kid}).to_string()),
        parts[1]
    );
    for (name, token) in [
        ("garbage", "not-a-jwt".to_owned()),
        ("three junk parts", "a.b.c".to_owned()),
        ("alg none", none),
        ("alg none, unsigned", none_unsigned),
        ("HS256", hs),
        ("unknown kid", unknown_kid),
        ("wrong typ", wrong_typ),
        ("edited payload", edited),
    ] {
        let res = call(&app, "GET", "/v1/me", Some(&token), None).await;
        assert!(
            challenge(&res).contains("error=\"invalid_token\""),
            "{name}"
        );
        let err = expect_error(res, 401).await;
        assert_eq!(err["message"], "Invalid access token", "{name}");
        assert_eq!(
            app.introspect(&token).await,
            serde_json::json!({"active": false}),
            "{name}"
        );
    }
    // The real one still works.
    let res = call(&app, "GET", "/v1/me", Some(&access), None).await;
    assert_eq!(res.status(), 200);
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

#[tokio::test]
async fn item28_an_expired_token_is_refused_after_at_most_a_minute_of_leeway() {
    let app = spawn_app().await;
    let token = user_token(&app, "").await;
    // Within a few seconds of expiry a token still works (clock skew)...
    app.clock.advance(3600 + 5);
    let res = call(&app, "GET", "/v1/me", Some(&token), None).await;
    assert_eq!(res.status(), 200);
    // ...but never more than a minute past it.
    app.clock.advance(56);
    let res = call(&app, "GET", "/v1/me/", Some(&token), None).await;
    assert!(challenge(&res).contains("error=\"invalid_token\""));
    let err = expect_error(res, 401).await;
    assert_eq!(err["message"], "The access token expired");
}

#[tokio::test]
async fn item29_no_token_is_401_with_a_bare_bearer_challenge() {
    let app = spawn_app().await;
    let res = call(&app, "GET", "/v1/me", None, None).await;
    let c = challenge(&res);
    assert_eq!(c, "Bearer realm=\"mocklink\"");
    let err = expect_error(res, 401).await;
    assert_eq!(err["message"], "No token provided");
}

#[tokio::test]
async fn item29_a_revoked_token_is_401_invalid_token() {
    let app = spawn_app().await;
    let token = user_token(&app, "").await;
    assert_eq!(
        call(&app, "GET", "/v1/me", Some(&token), None)
            .await
            .status(),
        200
    );
    let res = app
        .http
        .post(format!("{}/api/revoke", app.url))
        .basic_auth(DEMO_CLIENT, Some(DEMO_SECRET))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let revoked_soon = eventually(std::time::Duration::from_secs(3), async || {
        call(&app, "GET", "/v1/me", Some(&token), None)
            .await
            .status()
            == 401
    })
    .await;
    assert!(revoked_soon, "revocation takes effect");
    let res = call(&app, "GET", "/v1/me", Some(&token), None).await;
    assert!(challenge(&res).contains("error=\"invalid_token\""));
    let err = expect_error(res, 401).await;
    assert_eq!(err["message"], "Invalid access token");
}

#[tokio::test]
async fn item29_a_missing_scope_is_403_insufficient_scope() {
    let app = spawn_app().await;
    let token = user_token(&app, "user-read-email").await;
    let res = call(&app, "GET", "/v1/me/player", Some(&token), None).await;
    let c = challenge(&res);
    assert!(c.contains("error=\"insufficient_scope\""), "{c}");
    assert!(c.contains("scope=\"user-read-playback-state\""), "{c}");
    let err = expect_error(res, 403).await;
    assert_eq!(err["message"], "Insufficient client scope");
}

#[tokio::test]
async fn item30_a_token_in_the_query_string_is_no_token_and_two_methods_are_400() {
    let app = spawn_app().await;
    let token = user_token(&app, "").await;
    let res = app
        .http
        .get(format!("{}/v1/me?access_token={token}", app.url))
        .send()
        .await
        .unwrap();
    let err = expect_error(res, 401).await;
    assert_eq!(err["message"], "No token provided");

    // Header and query at once is a malformed request.
    let res = app
        .http
        .get(format!("{}/v1/me?access_token={token}", app.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert!(challenge(&res).contains("error=\"invalid_request\""));
    expect_error(res, 400).await;
}
