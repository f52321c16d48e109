//! Simulated skills (issue 14): several skills, each its own console form,
//! endpoint, locale and link per user; from the config file, the JSON API
//! and the pages.

use crate::alexa_support::*;
use crate::helpers::*;
use serde_json::{json, Value};

async fn put_skill(app: &TestApp, key: &str, body: Value) -> (u16, Value) {
    let path = format!("/alexa/api/skills/{key}");
    api_send(app, reqwest::Method::PUT, &path, body).await
}

/// Enable `skill` for the user and link it as the demo user.
async fn link_skill(app: &TestApp, id: &str, skill: &str) -> String {
    let (status, e) = api_post(
        app,
        &format!("/alexa/api/users/{id}/enable?skill={skill}"),
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{e}");
    let back = app
        .browse_and_agree(e["authorize_url"].as_str().unwrap())
        .await;
    let (status, page) = follow_back(app, &back).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("successfully linked"), "{page}");
    e["flow_id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn each_skill_has_its_own_link_user_id_locale_and_application_id() {
    let app = spawn_app().await;
    let (status, skill) = put_skill(
        &app,
        "music-uk",
        json!({"name": "mock music UK", "locale": "en-GB", "pkce": true,
               "scopes": "user-read-private"}),
    )
    .await;
    assert_eq!(status, 201, "{skill}");
    assert_eq!(skill["linking"]["pkce"], true);
    assert!(
        skill.get("client_secret").is_none() && skill["linking"].get("client_secret").is_none()
    );
    let app_id = skill["skill_id"].as_str().unwrap().to_owned();
    assert!(app_id.starts_with("amzn1.ask.skill."), "{skill}");

    let id = new_user(&app).await;
    link(&app, &id).await;
    let uk_flow = link_skill(&app, &id, "music-uk").await;

    // The UK skill's linking sent PKCE and its own scopes.
    let log = flow_log(&app, &uk_flow).await.to_string();
    assert!(log.contains("code_challenge_method=S256"), "{log}");
    assert!(log.contains("scope=user-read-private"), "{log}");

    let default_view = user_status(&app, &id).await;
    let (_, uk_view) = api_get(&app, &format!("/alexa/api/users/{id}?skill=music-uk")).await;
    assert_eq!(default_view["skill"], "default");
    assert_eq!(uk_view["skill"], "music-uk");
    assert_eq!(uk_view["linked"], true);
    assert_eq!(uk_view["scopes"], "user-read-private");
    assert_ne!(uk_view["skill_user_id"], default_view["skill_user_id"]);
    assert_eq!(uk_view["link_flow_id"], uk_flow.as_str());

    // Talking to the UK skill: its locale, applicationId and userId.
    let (status, r) = api_post(
        &app,
        &format!("/alexa/api/users/{id}/talk?skill=music-uk"),
        json!({"launch": true}),
    )
    .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["request"]["request"]["locale"], "en-GB");
    assert_eq!(
        r["request"]["context"]["System"]["application"]["applicationId"],
        app_id.as_str()
    );
    assert_eq!(r["user_id"], uk_view["skill_user_id"]);
    assert_eq!(r["linked"], true, "{r}");

    // Disabling the UK skill leaves the default skill's link alone.
    let (status, _) = api_post(
        &app,
        &format!("/alexa/api/users/{id}/disable?skill=music-uk"),
        json!({}),
    )
    .await;
    assert_eq!(status, 200);
    let (_, uk_view) = api_get(&app, &format!("/alexa/api/users/{id}?skill=music-uk")).await;
    assert_eq!(uk_view["linked"], false);
    assert_eq!(user_status(&app, &id).await["linked"], true);
    let r = talk(&app, &id, json!({"launch": true})).await;
    assert_eq!(r["request"]["request"]["locale"], "en-US");
    assert_eq!(r["linked"], true);
}

#[tokio::test]
async fn a_skill_that_allows_it_is_enabled_without_linking_and_linked_later() {
    let app = spawn_app().await;
    let (status, _) = put_skill(&app, "later", json!({"skip_on_enablement": true})).await;
    assert_eq!(status, 201);
    let id = new_user(&app).await;
    let (status, e) = api_post(
        &app,
        &format!("/alexa/api/users/{id}/enable?skill=later"),
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{e}");
    assert_eq!(e["linking_started"], false, "{e}");
    assert_eq!(e["skill"], "later");
    assert_eq!(
        e["skill_event"]["request_type"],
        "AlexaSkillEvent.SkillEnabled"
    );
    let (_, view) = api_get(&app, &format!("/alexa/api/users/{id}?skill=later")).await;
    assert_eq!(view["skill_enabled"], true);
    assert_eq!(view["linked"], false);
    // The skill, unlinked, asks for linking; "Link account" then links.
    let (_, r) = api_post(
        &app,
        &format!("/alexa/api/users/{id}/talk?skill=later"),
        json!({"launch": true}),
    )
    .await;
    assert_eq!(r["card"]["type"], "LinkAccount", "{r}");
    let (status, e) = api_post(
        &app,
        &format!("/alexa/api/users/{id}/enable?skill=later"),
        json!({"link": true}),
    )
    .await;
    assert_eq!(status, 200, "{e}");
    let back = app
        .browse_and_agree(e["authorize_url"].as_str().unwrap())
        .await;
    assert_eq!(follow_back(&app, &back).await.0, 200);
    let (_, view) = api_get(&app, &format!("/alexa/api/users/{id}?skill=later")).await;
    assert_eq!(view["linked"], true);
    // The default skill was never enabled.
    assert_eq!(user_status(&app, &id).await["skill_enabled"], false);
}

#[tokio::test]
async fn config_file_skills_are_listed_and_only_simulator_skills_change() {
    let app = spawn_app_with(|s| {
        s.simulator.skills.insert(
            "from-config".into(),
            mocklink::config::SkillSpec {
                name: Some("Configured".into()),
                region_endpoints: [("EU".to_owned(), "http://localhost:9/eu-skill".to_owned())]
                    .into(),
                ..Default::default()
            },
        );
    })
    .await;
    let (status, list) = api_get(&app, "/alexa/api/skills").await;
    assert_eq!(status, 200);
    let keys: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["default", "from-config"]);
    assert_eq!(list[1]["origin"], "config");
    assert_eq!(list[0]["origin"], "settings");

    // The settings' skills are not the API's to change.
    let (status, e) = put_skill(&app, "from-config", json!({})).await;
    assert_eq!(status, 400, "{e}");
    let (status, e) = put_skill(&app, "default", json!({})).await;
    assert_eq!(status, 400, "{e}");
    let res = app
        .http
        .delete(format!("{}/alexa/api/skills/default", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);

    // An EU user of the configured skill is sent to its EU endpoint.
    let (_, u) = api_post(&app, "/alexa/api/users", json!({"region": "EU"})).await;
    let id = u["id"].as_str().unwrap();
    let (status, r) = api_post(
        &app,
        &format!("/alexa/api/users/{id}/talk?skill=from-config"),
        json!({"launch": true}),
    )
    .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["skill_endpoint"], "http://localhost:9/eu-skill");
    assert!(r["error"].is_string(), "nothing listens there: {r}");
}

#[tokio::test]
async fn bad_skill_forms_and_unknown_skills_get_clear_errors() {
    let app = spawn_app().await;
    for (key, body, needle) in [
        ("uk", json!({"locale": "english"}), "locale"),
        ("uk", json!({"token_url": "ftp://x"}), "token_url"),
        (
            "uk",
            json!({"region_endpoints": {"XX": "https://a.example"}}),
            "region",
        ),
        ("uk", json!({"colour": "blue"}), "colour"),
        (
            "uk",
            json!({"default_token_expiration_seconds": 0}),
            "expiration",
        ),
        ("a%20b", json!({}), "key"),
    ] {
        let (status, e) = put_skill(&app, key, body.clone()).await;
        assert_eq!(status, 400, "{body}: {e}");
        assert!(
            e["error_description"].as_str().unwrap().contains(needle),
            "{body}: {e}"
        );
    }
    // POST creates with the key in the body, once.
    let (status, s) = api_post(
        &app,
        "/alexa/api/skills",
        json!({"key": "posted", "locale": "fr-FR"}),
    )
    .await;
    assert_eq!((status, s["locale"].as_str()), (201, Some("fr-FR")), "{s}");
    let (status, e) = api_post(&app, "/alexa/api/skills", json!({"key": "posted"})).await;
    assert_eq!(status, 400, "{e}");
    assert!(
        e["error_description"].as_str().unwrap().contains("PUT"),
        "{e}"
    );
    let (status, e) = api_post(&app, "/alexa/api/skills", json!({"locale": "fr-FR"})).await;
    assert_eq!(status, 400, "{e}");
    let id = new_user(&app).await;
    let (status, e) = api_get(&app, &format!("/alexa/api/users/{id}?skill=nope")).await;
    assert_eq!(status, 404, "{e}");
    assert!(e["error_description"].as_str().unwrap().contains("nope"));
    let (status, _) = api_get(&app, "/alexa/api/skills/nope").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn deleting_a_skill_drops_every_link_to_it_and_nothing_else() {
    let app = spawn_app().await;
    assert_eq!(put_skill(&app, "gone", json!({})).await.0, 201);
    // Replacing keeps it (200), with the new form.
    let (status, s) = put_skill(&app, "gone", json!({"name": "Gone soon"})).await;
    assert_eq!((status, s["name"].as_str()), (200, Some("Gone soon")));
    let id = new_user(&app).await;
    link(&app, &id).await;
    link_skill(&app, &id, "gone").await;
    let res = app
        .http
        .delete(format!("{}/alexa/api/skills/gone", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(api_get(&app, "/alexa/api/skills/gone").await.0, 404);
    assert_eq!(user_status(&app, &id).await["linked"], true);
    // Made again, it starts unlinked.
    assert_eq!(put_skill(&app, "gone", json!({})).await.0, 201);
    let (_, view) = api_get(&app, &format!("/alexa/api/users/{id}?skill=gone")).await;
    assert_eq!(view["linked"], false);
}

#[tokio::test]
async fn the_pages_add_a_skill_switch_to_it_and_link_it() {
    let app = spawn_app().await;
    let home = app.get("/alexa").await.text().await.unwrap();
    assert!(home.contains("Simulated skills") && home.contains("mock music"));
    let csrf = form_value(&home, "csrf_token").unwrap();
    let res = app
        .post_form(
            "/alexa/skills",
            &[
                ("csrf_token", &csrf),
                ("key", "radio"),
                ("name", "mock radio"),
                ("locale", "de-DE"),
                ("scheme", "REQUEST_BODY_CREDENTIALS"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let home = app.get("/alexa").await.text().await.unwrap();
    assert!(
        home.contains("mock radio") && home.contains("de-DE"),
        "{home}"
    );
    // A bad form is shown again with the reason.
    let res = app
        .post_form(
            "/alexa/skills",
            &[("csrf_token", &csrf), ("key", "bad"), ("locale", "german")],
        )
        .await;
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("locale"));

    let id = new_user(&app).await;
    let page = app
        .get(&format!("/alexa/users/{id}?skill=radio"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("mock radio skill"), "{page}");
    assert!(page.contains(&format!("/alexa/users/{id}/enable?skill=radio")));
    let res = app
        .post_form(
            &format!("/alexa/users/{id}/enable?skill=radio"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(res.status(), 303);
    let back = app.browse_and_agree(&location(&res)).await;
    let (status, page) = follow_back(&app, &back).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("mock radio has been successfully linked."),
        "{page}"
    );
    assert!(
        page.contains(&format!("/alexa/users/{id}?skill=radio")),
        "{page}"
    );
    let (_, view) = api_get(&app, &format!("/alexa/api/users/{id}?skill=radio")).await;
    assert_eq!(view["linked"], true);
    // The token request used the radio skill's scheme.
    let flow = view["link_flow_id"].as_str().unwrap();
    let log = flow_log(&app, flow).await.to_string();
    assert!(
        log.contains("client_secret="),
        "credentials in the body: {log}"
    );
    let home = app.get("/alexa").await.text().await.unwrap();
    assert!(home.contains("linked: mock radio"), "{home}");
}

#[tokio::test]
async fn the_doctor_starts_from_a_simulated_skills_form() {
    let app = spawn_app().await;
    let (status, _) = put_skill(
        &app,
        "body-creds",
        json!({"client_id": "other-client", "access_token_scheme": "REQUEST_BODY_CREDENTIALS",
               "scopes": "user-read-private"}),
    )
    .await;
    assert_eq!(status, 201);
    let page = app
        .get("/alexa/doctor?skill=body-creds")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("value=\"other-client\""), "{page}");
    assert!(page.contains("action=\"/alexa/doctor?skill=body-creds\""));
    let home = app.get("/alexa").await.text().await.unwrap();
    assert!(home.contains("href=\"/alexa/doctor?skill=body-creds\""));
    // The JSON doctor with the skill's form: its client is not registered
    // at this provider, which the report says.
    let (status, report) = api_post(
        &app,
        "/alexa/api/doctor?skill=body-creds",
        json!({"login": "demo:demo"}),
    )
    .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["verdict"], "fail", "{report}");
    assert!(report.to_string().contains("other-client"), "{report}");
    assert_eq!(api_get(&app, "/alexa/doctor?skill=nope").await.0, 404);
}
