//! Personas: seeded test users the login page offers by name.

use crate::api_support::{call, expect_error};
use crate::helpers::*;
use crate::toolbox_support::*;
use mocklink::config::UserSeed;
use serde_json::{json, Value};

async fn token_for(app: &TestApp, user: &str) -> String {
    let (status, t) = admin(
        app,
        "POST",
        "/tokens",
        Some(json!({"user": user, "client_id": DEMO_CLIENT,
            "scope": "user-read-private user-read-email user-modify-playback-state playlist-read-private user-library-read"})),
    )
    .await;
    assert_eq!(status, 200, "{t}");
    t["access_token"].as_str().unwrap().to_owned()
}

async fn login_page(app: &TestApp) -> String {
    app.get(&app.demo_authorize_url("user-read-private", &[])[app.url.len()..])
        .await
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_login_page_offers_each_persona_by_name_with_a_one_click_login() {
    let app = spawn_app().await;
    let page = login_page(&app).await;
    for label in [
        "Premium listener (US)",
        "Free account (Germany)",
        "Premium, empty library (Japan)",
        "Locked account (UK)",
    ] {
        assert!(
            page.contains(&format!("Log in as {label}")),
            "{label} missing: {page}"
        );
    }
    // The "free" persona's form: post it as the browser would.
    let start = page
        .find("value=\"free\"")
        .expect("the free persona's form");
    let form = &page[page[..start].rfind("<form").unwrap()..];
    let res = app
        .post_form(
            "/login",
            &[
                ("csrf_token", &form_value(form, "csrf_token").unwrap()),
                ("return_to", &form_value(form, "return_to").unwrap()),
                ("username", &form_value(form, "username").unwrap()),
                ("password", &form_value(form, "password").unwrap()),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let consent = app.get(&location(&res)).await.text().await.unwrap();
    assert!(consent.contains("Frieda Free"), "{consent}");
}

#[tokio::test]
async fn personas_differ_in_product_country_and_library() {
    let app = spawn_app().await;
    let free = token_for(&app, "free").await;
    let me: Value = call(&app, "GET", "/v1/me", Some(&free), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (me["product"].clone(), me["country"].clone()),
        (json!("free"), json!("DE"))
    );
    let err = expect_error(
        call(
            &app,
            "PUT",
            "/v1/me/player/play",
            Some(&free),
            Some(json!({})),
        )
        .await,
        403,
    )
    .await;
    assert_eq!(err["reason"], "PREMIUM_REQUIRED");

    let empty = token_for(&app, "empty").await;
    let me: Value = call(&app, "GET", "/v1/me", Some(&empty), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (me["product"].clone(), me["country"].clone()),
        (json!("premium"), json!("JP"))
    );
    for path in ["/v1/me/playlists", "/v1/me/tracks"] {
        let page: Value = call(&app, "GET", path, Some(&empty), None)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(page["total"], 0, "{path}: {page}");
    }
    let demo = token_for(&app, "demo").await;
    let page: Value = call(&app, "GET", "/v1/me/playlists", Some(&demo), None)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        page["total"].as_i64().unwrap() > 0,
        "the demo user has playlists"
    );
}

#[tokio::test]
async fn a_locked_account_is_told_so_at_login() {
    let app = spawn_app().await;
    let page = login_page(&app).await;
    let res = app.submit_login(&page, "locked", "locked").await;
    assert_eq!(res.status(), 403);
    let text = res.text().await.unwrap();
    assert!(text.contains("This account is locked."), "{text}");
    // A wrong password still says only that.
    let res = app.submit_login(&page, "locked", "wrong").await;
    let text = res.text().await.unwrap();
    assert!(
        text.contains("Incorrect user name or password.") && !text.contains("locked."),
        "{text}"
    );
}

#[tokio::test]
async fn personas_can_be_declared_in_the_config_file() {
    let app = spawn_app_with(|s| {
        s.demo_personas = false;
        s.users.push(UserSeed {
            persona: Some("Brazilian free listener".into()),
            locked: false,
            empty_library: true,
            ..UserSeed::new("bruna", "bruna-pass", "BR", "free")
        });
    })
    .await;
    let page = login_page(&app).await;
    assert!(page.contains("Log in as Brazilian free listener"), "{page}");
    assert!(
        !page.contains("Locked account"),
        "demo personas switched off"
    );
    let token = token_for(&app, "bruna").await;
    let me: Value = call(&app, "GET", "/v1/me", Some(&token), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["country"], "BR");
    let tracks: Value = call(&app, "GET", "/v1/me/tracks", Some(&token), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(tracks["total"], 0);
}
