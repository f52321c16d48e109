//! The simulator in a browser, without JavaScript: forms with a CSRF token.

use crate::alexa_support::*;
use crate::helpers::*;

#[tokio::test]
async fn the_whole_linking_story_works_with_plain_forms() {
    let app = spawn_app().await;
    let home = app.get("/alexa").await;
    assert_eq!(home.status(), 200);
    let home = home.text().await.unwrap();
    let start = home.find("href=\"/alexa/users/").expect("a user is listed") + "href=\"".len();
    let user_path = home[start..start + home[start..].find('"').unwrap()].to_owned();
    let id = user_path.trim_start_matches("/alexa/users/").to_owned();

    let page = app.get(&user_path).await.text().await.unwrap();
    assert!(page.contains("Not linked."));
    let csrf = form_value(&page, "csrf_token").unwrap();

    // Talking first: told to link, with a Link Account button.
    let res = app
        .post_form(
            &format!("{user_path}/talk"),
            &[("csrf_token", &csrf), ("launch", "1")],
        )
        .await;
    assert_eq!(res.status(), 200);
    let page = res.text().await.unwrap();
    assert!(page.contains("You need to link your account"), "{page}");
    assert!(page.contains(">Link Account</button>"));

    // Enable → the provider's login → consent → back to the simulator.
    let res = app
        .post_form(&format!("{user_path}/enable"), &[("csrf_token", &csrf)])
        .await;
    assert_eq!(res.status(), 303);
    let authorize = location(&res);
    assert!(authorize.starts_with(&format!("{}/authorize?", app.url)));
    let back = app.browse_and_agree(&authorize).await;
    let (status, page) = follow_back(&app, &back).await;
    assert_eq!(status, 200);
    assert!(page.contains("mock music has been successfully linked."));

    let page = app.get(&user_path).await.text().await.unwrap();
    assert!(page.contains("Linked. Scopes:"), "{page}");
    let res = app
        .post_form(
            &format!("{user_path}/talk"),
            &[("csrf_token", &csrf), ("utterance", "what's playing")],
        )
        .await;
    let page = res.text().await.unwrap();
    assert!(
        page.contains("WhatsPlayingIntent, with access token"),
        "{page}"
    );

    let res = app
        .post_form(&format!("{user_path}/disable"), &[("csrf_token", &csrf)])
        .await;
    assert!(res.text().await.unwrap().contains("Skill disabled"));
    assert_eq!(
        user_status(&app, &id).await["linked"],
        serde_json::json!(false)
    );
}

#[tokio::test]
async fn forms_without_the_csrf_token_are_refused() {
    let app = spawn_app().await;
    let id = new_user(&app).await;
    app.get("/alexa").await; // sets the CSRF cookie
    for action in ["enable", "disable", "talk"] {
        let res = app
            .post_form(
                &format!("/alexa/users/{id}/{action}"),
                &[("csrf_token", "forged"), ("launch", "1")],
            )
            .await;
        assert_eq!(res.status(), 403, "{action}");
        assert!(res.text().await.unwrap().contains("Form expired"));
    }
    let res = app.post_form("/alexa/users", &[("name", "x")]).await;
    assert_eq!(res.status(), 403);
    assert_eq!(
        app.get("/alexa/users/amzn1.ask.account.NOPE")
            .await
            .status(),
        404
    );
}
