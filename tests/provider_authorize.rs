//! The linked-apps page. (What `/authorize`, login and consent must refuse
//! is pinned down item by item in `security_authorize.rs` and
//! `security_login.rs`.)

use crate::helpers::*;

#[tokio::test]
async fn linked_apps_lists_the_grant_and_unlinking_revokes_its_tokens() {
    let app = spawn_app().await;
    let (access, _) = app.demo_tokens("user-read-private").await;
    let page = app.get("/account/apps").await.text().await.unwrap();
    assert!(page.contains("Mock Music (Alexa skill)"), "{page}");
    let csrf = form_value(&page, "csrf_token").unwrap();
    let grant = form_value(&page, "grant_id").unwrap();
    let res = app
        .post_form(
            "/account/apps/unlink",
            &[("csrf_token", &csrf), ("grant_id", &grant)],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(app.introspect(&access).await["active"], false);
    let page = app.get("/account/apps").await.text().await.unwrap();
    assert!(page.contains("No apps are linked"));
    // Consent was forgotten too: the next authorization asks again.
    let res = app
        .browser
        .get(app.demo_authorize_url("user-read-private", &[]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}
