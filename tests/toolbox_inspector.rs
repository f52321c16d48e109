//! The flow inspector: every step of a linking story recorded, redacted,
//! grouped by grant, shown as a timeline, exported, cleared, admin-only.
//! Records are written in the background: tests poll with a deadline.

use crate::helpers::*;
use crate::toolbox_support::*;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// `GET /admin/api/inspector?{query}` until `done` says yes (or fails).
async fn inspected_until(app: &TestApp, query: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, body) = admin(app, "GET", &format!("/inspector?{query}"), None).await;
        assert_eq!(status, 200, "{body}");
        if done(&body) {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "the inspector did not show it in time: {body:#}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn groups(body: &Value) -> &Vec<Value> {
    body["groups"].as_array().expect("groups")
}

fn events(group: &Value) -> &Vec<Value> {
    group["events"].as_array().expect("events")
}

fn kinds(group: &Value) -> Vec<&str> {
    events(group)
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect()
}

/// The group of grant `gid`, if shown.
fn grant_group<'a>(body: &'a Value, gid: &str) -> Option<&'a Value> {
    groups(body).iter().find(|g| g["grant_id"] == gid)
}

/// The `gid` claim (grant id) of an access token.
fn grant_of(access_token: &str) -> String {
    let payload = access_token.split('.').nth(1).expect("a JWT");
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    claims["gid"].as_str().expect("a user token").to_owned()
}

async fn me(app: &TestApp, access_token: &str) -> u16 {
    app.http
        .get(format!("{}/v1/me", app.url))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn page(app: &TestApp, query: &str) -> (u16, String) {
    let res = app
        .http
        .get(format!("{}/admin/inspector?{query}", app.url))
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

async fn client_credentials(app: &TestApp, id: &str, secret: &str, marker: &str) {
    let res = app
        .http
        .post(format!("{}/api/token", app.url))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials"), ("n", marker)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

fn other_client() -> mocklink::config::ClientSeed {
    mocklink::config::ClientSeed {
        id: "other-app".into(),
        name: Some("Another app".into()),
        secret: Some("other-app-secret".into()),
        redirect_uris: vec![ALEXA_REDIRECT.into()],
        scopes: None,
        refresh_policy: mocklink::store::RefreshPolicy::Rotate,
        refresh_grace_seconds: 0,
        access_token_ttl_seconds: 3600,
        refresh_token_ttl_seconds: 86400,
        extended_quota: false,
    }
}

#[tokio::test]
async fn a_linking_flow_reads_as_one_story_in_order() {
    let app = spawn_app().await;
    let (access, refresh) = app.demo_tokens("user-read-private").await;
    assert_eq!(me(&app, &access).await, 200);
    let (status, body) = app.refresh_demo(&refresh).await;
    assert_eq!(status, 200, "{body}");
    let gid = grant_of(&access);

    let body = inspected_until(&app, "client_id=alexa-skill", |b| {
        grant_group(b, &gid).is_some_and(|g| events(g).len() >= 7)
    })
    .await;
    let story = grant_group(&body, &gid).unwrap();
    // The steps before the code (flow id only) joined the grant's story.
    assert_eq!(
        kinds(story),
        [
            "authorize",
            "login",
            "authorize",
            "consent",
            "token",
            "api",
            "token"
        ],
        "{story:#}"
    );
    assert_eq!(groups(&body).len(), 1, "one story: {body:#}");
    assert_eq!(story["user"], "demo");
    assert_eq!(story["failed"], false);
    let summaries: Vec<&str> = events(story)
        .iter()
        .map(|e| e["summary"].as_str().unwrap())
        .collect();
    assert_eq!(
        summaries[..2],
        [
            "Alexa opened /authorize → the login page was shown",
            "user logged in as demo"
        ]
    );
    assert!(summaries[2].contains("consent page was shown to demo"));
    assert!(summaries[3].starts_with("consent granted by demo → redirected back with a code"));
    assert_eq!(summaries[4], "Alexa exchanged the code → 200");
    assert_eq!(summaries[5], "GET /v1/me → 200");
    assert_eq!(summaries[6], "Alexa refreshed the token → 200");

    // The exact request Alexa sent and the exact answer, redacted.
    let exchange = &events(story)[4];
    assert_eq!(exchange["method"], "POST");
    assert_eq!(exchange["path"], "/api/token");
    let request = &exchange["request"];
    assert_eq!(request["form"]["grant_type"], "authorization_code");
    assert_eq!(request["form"]["redirect_uri"], ALEXA_REDIRECT);
    assert_eq!(request["basic_auth_client_id"], DEMO_CLIENT);
    assert!(request["headers"]["authorization"]
        .as_str()
        .unwrap()
        .starts_with("Basic "));
    let answer = &exchange["response"];
    assert_eq!(answer["status"], 200);
    assert_eq!(answer["headers"]["cache-control"], "no-store");
    assert_eq!(answer["body"]["token_type"], "Bearer");
    assert_eq!(answer["body"]["expires_in"], 3600);
    assert_eq!(answer["body"]["access_token"], format!("{}…", &access[..4]));
    // The redirect back to Alexa: state and iss in full, the code cut short.
    let consent = &events(story)[3];
    let location = consent["response"]["headers"]["location"].as_str().unwrap();
    assert!(location.starts_with(ALEXA_REDIRECT), "{location}");
    assert!(location.contains("state=st"), "{location}");
    assert!(consent["grant_id"] == gid.as_str());
    // Times are the server clock's, in order; every step has a latency.
    let times: Vec<i64> = events(story)
        .iter()
        .map(|e| e["at_ms"].as_i64().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    assert!(events(story).iter().all(|e| e["latency_ms"].is_number()));
}

#[tokio::test]
async fn secrets_never_reach_the_records_the_export_or_the_page() {
    const PASSWORD: &str = "Canary-Password-7d1f2a9b";
    const WRONG: &str = "Canary-Wrong-3c9e8f01";
    const SECRET: &str = "Canary-Secret-5e8c3b1a";
    let app = spawn_app_with(|s| {
        s.demo_password = PASSWORD.into();
        s.demo_client_secret = SECRET.into();
    })
    .await;
    // A failed login first, then the real one.
    let login = app.login_page().await;
    let csrf = form_value(&login, "csrf_token").unwrap();
    let res = app.submit_login(&login, "demo", WRONG).await;
    assert_eq!(res.status(), 200);
    let url = app.demo_authorize_url("user-read-private", &[]);
    let back = app.browse(&url, "demo", PASSWORD, "allow").await;
    let code = query_param(&back, "code").unwrap();
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "authorization_code")
        .append_pair("code", &code)
        .append_pair("redirect_uri", ALEXA_REDIRECT)
        .finish();
    let res = app.token_request(&body, Some((DEMO_CLIENT, SECRET))).await;
    assert_eq!(res.status(), 200);
    let tokens: Value = res.json().await.unwrap();
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(me(&app, &access).await, 200);
    // A refresh with the secret in the body (Alexa's other scheme).
    let res = app
        .http
        .post(format!("{}/api/token", app.url))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh),
            ("client_id", DEMO_CLIENT),
            ("client_secret", SECRET),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let rotated: Value = res.json().await.unwrap();
    let new_access = rotated["access_token"].as_str().unwrap().to_owned();
    let new_refresh = rotated["refresh_token"].as_str().unwrap().to_owned();
    let res = app
        .http
        .post(format!("{}/api/introspect", app.url))
        .basic_auth(DEMO_CLIENT, Some(SECRET))
        .form(&[("token", &new_access)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = app
        .http
        .post(format!("{}/api/revoke", app.url))
        .basic_auth(DEMO_CLIENT, Some(SECRET))
        .form(&[("token", &new_refresh)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    let body = inspected_until(&app, "client_id=alexa-skill", |b| {
        groups(b)
            .iter()
            .any(|g| kinds(g).contains(&"revoke") && kinds(g).contains(&"introspect"))
    })
    .await;
    let (status, export) = {
        let res = app
            .http
            .get(format!(
                "{}/admin/api/inspector/export?client_id=alexa-skill",
                app.url
            ))
            .send()
            .await
            .unwrap();
        (res.status(), res.text().await.unwrap())
    };
    assert_eq!(status, 200);
    let (status, html) = page(&app, "client_id=alexa-skill").await;
    assert_eq!(status, 200);

    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{DEMO_CLIENT}:{SECRET}"));
    let json_text = body.to_string();
    for (name, canary) in [
        ("password", PASSWORD),
        ("wrong password", WRONG),
        ("client secret", SECRET),
        ("Basic credentials", basic.as_str()),
        ("code", code.as_str()),
        ("access token", access.as_str()),
        ("refresh token", refresh.as_str()),
        ("rotated access token", new_access.as_str()),
        ("rotated refresh token", new_refresh.as_str()),
        ("CSRF token", csrf.as_str()),
    ] {
        for (place, text) in [("JSON", &json_text), ("export", &export), ("page", &html)] {
            assert!(!text.contains(canary), "the {name} appears in the {place}");
        }
    }
    // What is kept instead: four characters and an ellipsis, or nothing.
    for text in [&json_text, &export, &html] {
        assert!(text.contains(&format!("{}…", &code[..4])));
        assert!(text.contains(&format!("{}…", &refresh[..4])));
        assert!(text.contains("(removed)"));
    }
    // The failed login is in the story, with the reason in full.
    assert!(
        json_text.contains("login failed for “demo”: Incorrect user name or password."),
        "{body:#}"
    );
}

#[tokio::test]
async fn each_client_keeps_only_its_newest_records() {
    let app = spawn_app_with(|s| {
        s.toolbox.inspector_max_per_client = 5;
        s.clients.push(other_client());
    })
    .await;
    for n in 1..=8 {
        client_credentials(&app, DEMO_CLIENT, DEMO_SECRET, &n.to_string()).await;
    }
    for n in 1..=2 {
        client_credentials(&app, "other-app", "other-app-secret", &n.to_string()).await;
    }
    let markers = |b: &Value| -> Vec<String> {
        groups(b)
            .iter()
            .flat_map(|g| events(g).iter())
            .map(|e| e["request"]["form"]["n"].as_str().unwrap().to_owned())
            .collect()
    };
    let other = inspected_until(&app, "client_id=other-app", |b| markers(b).len() == 2).await;
    assert_eq!(markers(&other), ["1", "2"]);
    let demo = inspected_until(&app, "client_id=alexa-skill", |b| {
        markers(b).contains(&"8".to_owned())
    })
    .await;
    // Trimming happens in the batch's transaction: never more than the bound.
    assert_eq!(markers(&demo), ["4", "5", "6", "7", "8"], "{demo:#}");
    assert_eq!(
        groups(&demo)[0]["title"],
        "Client-credentials tokens (no user)"
    );
    let clients = &demo["clients"];
    assert_eq!(
        clients,
        &json!([{"client_id": "alexa-skill", "records": 5}, {"client_id": "other-app", "records": 2}])
    );
}

#[tokio::test]
async fn records_are_cleared_per_client_or_all() {
    let app = spawn_app_with(|s| s.clients.push(other_client())).await;
    client_credentials(&app, DEMO_CLIENT, DEMO_SECRET, "1").await;
    client_credentials(&app, "other-app", "other-app-secret", "1").await;
    // A request of no registered client is kept apart.
    let res = app
        .http
        .get(format!("{}/v1/me", app.url))
        .bearer_auth("not-a-token")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    inspected_until(&app, "", |b| b["clients"].as_array().unwrap().len() == 3).await;
    let unknown = inspected_until(&app, "client_id=:unknown", |_| true).await;
    assert_eq!(
        groups(&unknown)[0]["events"][0]["summary"],
        "GET /v1/me → 401 Invalid access token"
    );

    let (status, body) = admin(&app, "DELETE", "/inspector?client_id=other-app", None).await;
    assert_eq!((status, body), (200, json!({"deleted": 1})));
    let (_, left) = admin(&app, "GET", "/inspector", None).await;
    assert_eq!(
        left["clients"],
        json!([{"client_id": ":unknown", "records": 1}, {"client_id": "alexa-skill", "records": 1}])
    );
    let (status, body) = admin(&app, "DELETE", "/inspector", None).await;
    assert_eq!((status, body), (200, json!({"deleted": 2})));
    let (_, left) = admin(&app, "GET", "/inspector", None).await;
    assert_eq!(left["clients"], json!([]));
    assert_eq!(left["groups"], json!([]));

    let (status, body) = admin(&app, "DELETE", "/inspector?client_id=a%20b", None).await;
    admin_error(status, &body, 400, "invalid_request");
    let (status, body) = admin(&app, "GET", "/inspector?limit=0", None).await;
    admin_error(status, &body, 400, "invalid_request");
    let (status, body) = admin(&app, "GET", "/inspector?bogus=1", None).await;
    admin_error(status, &body, 400, "invalid_request");
}

#[tokio::test]
async fn the_export_is_a_json_download() {
    let app = spawn_app().await;
    client_credentials(&app, DEMO_CLIENT, DEMO_SECRET, "1").await;
    inspected_until(&app, "client_id=alexa-skill", |b| !groups(b).is_empty()).await;
    let res = app
        .http
        .get(format!(
            "{}/admin/api/inspector/export?client_id=alexa-skill",
            app.url
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let header = |name: &str| res.headers()[name].to_str().unwrap().to_owned();
    assert_eq!(
        header("content-disposition"),
        "attachment; filename=\"mocklink-inspector-alexa-skill.json\""
    );
    assert!(header("content-type").starts_with("application/json"));
    assert_eq!(header("cache-control"), "no-store");
    let body: Value = res.json().await.unwrap();
    assert!(body["exported_at_ms"].is_i64());
    assert_eq!(body["client_id"], DEMO_CLIENT);
    assert_eq!(groups(&body)[0]["events"][0]["kind"], "token");

    let res = app
        .http
        .get(format!("{}/admin/api/inspector/export", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()["content-disposition"],
        "attachment; filename=\"mocklink-inspector-all.json\""
    );
}

#[tokio::test]
async fn the_inspector_is_for_admins_only() {
    let app = spawn_app_with(|s| {
        s.toolbox.admin_password = Some(mocklink::domain::Secret::new("s3cret-admin"))
    })
    .await;
    for path in [
        "/admin/api/inspector",
        "/admin/api/inspector/export",
        "/admin/inspector",
    ] {
        let url = format!("{}{path}", app.url);
        let res = app.http.get(&url).send().await.unwrap();
        assert_eq!(res.status(), 401, "{path}");
        assert!(res.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic"));
        let res = app
            .http
            .get(&url)
            .bearer_auth("wrong")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401, "{path}");
        let res = app
            .http
            .get(&url)
            .basic_auth("admin", Some("s3cret-admin"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{path}");
    }
    // The page refuses as a page, not as JSON.
    let res = app
        .http
        .get(format!("{}/admin/inspector", app.url))
        .send()
        .await
        .unwrap();
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Admin password required"));
    let res = app
        .http
        .delete(format!("{}/admin/api/inspector", app.url))
        .bearer_auth("wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);

    // Without a password: loopback only (a proxy's forwarded address counts when trusted).
    let app = spawn_app_with(|s| s.trust_forwarded_headers = true).await;
    for (method, path) in [
        ("GET", "/admin/api/inspector"),
        ("GET", "/admin/api/inspector/export"),
        ("DELETE", "/admin/api/inspector"),
        ("GET", "/admin/inspector"),
        ("POST", "/admin/inspector/clear"),
    ] {
        let res = app
            .http
            .request(method.parse().unwrap(), format!("{}{path}", app.url))
            .header("X-Forwarded-For", "203.0.113.9")
            .header("Origin", &app.url)
            .form(&[("what", "all")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "{method} {path}");
    }
}

#[tokio::test]
async fn a_failing_exchange_shows_its_answer_on_the_page() {
    // "Alexa says unable to link": the code exchange fails.
    let app = spawn_app().await;
    set_scenario(
        &app,
        json!({"kind": "token_error", "client_id": DEMO_CLIENT, "error": "invalid_grant", "status": 400, "count": 1}),
    )
    .await;
    let code = app.demo_code("user-read-private").await;
    let (status, body) = app.exchange_demo_code(&code).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_grant");

    let body = inspected_until(&app, "client_id=alexa-skill", |b| {
        groups(b).iter().any(|g| kinds(g).contains(&"token"))
    })
    .await;
    let story = &groups(&body)[0];
    assert_eq!(
        kinds(story),
        ["authorize", "login", "authorize", "consent", "token"],
        "the failed exchange joins the story of its code: {body:#}"
    );
    assert_eq!(story["failed"], true);
    let why = story["first_failure"].as_str().unwrap();
    assert!(
        why.starts_with("Alexa exchanged the code → 400 invalid_grant: scripted failure"),
        "{why}"
    );
    let exchange = &events(story)[4];
    assert_eq!(exchange["response"]["body"]["error"], "invalid_grant");
    assert_eq!(exchange["failed"], true);

    let (status, html) = page(&app, "client_id=alexa-skill").await;
    assert_eq!(status, 200);
    assert!(html.contains("<h1>Flow inspector</h1>"));
    assert!(html.contains("<label for=\"client_id\">Client</label>"));
    assert!(html.contains("<select id=\"client_id\" name=\"client_id\">"));
    assert!(
        html.contains("<details>"),
        "steps expand without JavaScript"
    );
    // No script but the admin layout's optional copy-button one.
    assert_eq!(
        html.matches("<script").count(),
        html.matches("<script src=\"/admin/assets/admin.js\" defer>")
            .count()
    );
    assert!(
        html.contains("<span class=\"label-failed\">FAILED</span> Alexa exchanged the code → 400 invalid_grant: scripted failure"),
        "failures carry a text label: {html}"
    );
    assert!(html.contains("First failure: Alexa exchanged the code → 400 invalid_grant"));
    assert!(html.contains("Alexa opened /authorize → the login page was shown"));
    assert!(html.contains("user logged in as demo"));
    assert!(html.contains("/admin/api/inspector/export?client_id=alexa-skill"));
    // The answer as sent, inside the step's details.
    assert!(
        html.contains("&#34;error&#34;: &#34;invalid_grant&#34;")
            || html.contains("&quot;error&quot;: &quot;invalid_grant&quot;"),
        "{html}"
    );
}

#[tokio::test]
async fn a_refresh_after_revocation_shows_why_the_user_must_relink() {
    // "Token refresh failed, user must relink": the grant was revoked.
    let app = spawn_app().await;
    let (access, refresh) = app.demo_tokens("user-read-private").await;
    let gid = grant_of(&access);
    let (status, body) = admin(&app, "POST", "/users/demo/revoke", None).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = app.refresh_demo(&refresh).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(me(&app, &access).await, 401);

    let body = inspected_until(&app, "client_id=alexa-skill", |b| {
        grant_group(b, &gid)
            .is_some_and(|g| kinds(g).ends_with(&["token", "api"]) && kinds(g).len() == 7)
    })
    .await;
    let story = grant_group(&body, &gid).unwrap();
    let summaries: Vec<&str> = events(story)
        .iter()
        .map(|e| e["summary"].as_str().unwrap())
        .collect();
    assert_eq!(
        summaries[5],
        "Alexa refreshed the token → 400 invalid_grant: Refresh token revoked"
    );
    assert_eq!(summaries[6], "GET /v1/me → 401 Invalid access token");
    assert_eq!(
        story["first_failure"],
        "Alexa refreshed the token → 400 invalid_grant: Refresh token revoked"
    );
    // Only this grant, with the steps before its code.
    let only = inspected_until(&app, &format!("grant={gid}"), |_| true).await;
    assert_eq!(kinds(&groups(&only)[0]).len(), 7);
}

#[tokio::test]
async fn a_cross_site_clear_is_refused() {
    let app = spawn_app().await;
    client_credentials(&app, DEMO_CLIENT, DEMO_SECRET, "1").await;
    inspected_until(&app, "client_id=alexa-skill", |b| !groups(b).is_empty()).await;
    // The page's own form carries the token of the browser's CSRF cookie:
    // the one rule of every admin form (`web::csrf`).
    let page_html = app
        .get("/admin/inspector?client_id=alexa-skill")
        .await
        .text()
        .await
        .unwrap();
    let token = form_value(&page_html, "csrf_token").expect("the clear form has a token");
    let clear = |headers: Vec<(&'static str, String)>, token: Option<&str>| {
        let mut fields = vec![("client_id", DEMO_CLIENT), ("what", "client")];
        if let Some(t) = token {
            fields.push(("csrf_token", t));
        }
        let mut req = app
            .browser
            .post(format!("{}/admin/inspector/clear", app.url))
            .form(&fields);
        for (k, v) in headers {
            req = req.header(k, v);
        }
        req.send()
    };
    for (headers, token) in [
        (
            vec![("Origin", "http://evil.example".to_owned())],
            Some(&*token),
        ),
        (
            vec![
                ("Sec-Fetch-Site", "cross-site".to_owned()),
                ("Origin", app.url.clone()),
            ],
            Some(&*token),
        ),
        (
            vec![("Sec-Fetch-Site", "same-site".to_owned())],
            Some(&*token),
        ),
        (vec![("Origin", "null".to_owned())], None),
        (vec![], None),
        (
            vec![("Sec-Fetch-Site", "same-origin".to_owned())],
            Some("forged-token-forged-token-forged-token"),
        ),
    ] {
        let res = clear(headers.clone(), token).await.unwrap();
        assert_eq!(res.status(), 403, "{headers:?}");
        assert!(res.text().await.unwrap().contains("not cleared"));
    }
    let (_, body) = admin(&app, "GET", "/inspector?client_id=alexa-skill", None).await;
    assert_eq!(groups(&body).len(), 1, "nothing was cleared");

    // The page's own button: same origin, with the page's token.
    let res = clear(
        vec![
            ("Sec-Fetch-Site", "same-origin".to_owned()),
            ("Origin", app.url.clone()),
        ],
        Some(&token),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        location(&res),
        "/admin/inspector?client_id=alexa-skill&cleared=1"
    );
    let (_, body) = admin(&app, "GET", "/inspector?client_id=alexa-skill", None).await;
    assert!(groups(&body).is_empty());
    let (status, html) = page(&app, "client_id=alexa-skill&cleared=1").await;
    assert_eq!(status, 200);
    assert!(html.contains("Cleared 1 records."));
    // Browsers without Sec-Fetch-Site: Origin and the token decide.
    let res = clear(vec![("Origin", app.url.clone())], Some(&token))
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
}

#[tokio::test]
async fn with_the_switch_off_nothing_is_recorded() {
    let app = spawn_app_with(|s| s.toolbox.inspector = false).await;
    let login = app.login_page().await;
    let return_to = form_value(&login, "return_to").unwrap();
    assert!(!return_to.contains("mocklink_flow"), "{return_to}");
    client_credentials(&app, DEMO_CLIENT, DEMO_SECRET, "1").await;
    let (status, body) = admin(&app, "GET", "/inspector", None).await;
    assert_eq!(status, 200);
    assert_eq!(body["recording"], false);
    assert_eq!(body["groups"], json!([]));
    let (_, html) = page(&app, "").await;
    assert!(html.contains("Recording is off"));
}

#[tokio::test]
async fn metrics_count_recorded_and_dropped_records() {
    let app = spawn_app().await;
    client_credentials(&app, DEMO_CLIENT, DEMO_SECRET, "1").await;
    let metrics = async || {
        app.http
            .get(format!("{}/metrics", app.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    let recorded = eventually(Duration::from_secs(10), async || {
        metrics()
            .await
            .contains("mocklink_inspector_recorded_total 1")
    })
    .await;
    assert!(recorded);
    assert!(metrics()
        .await
        .contains("mocklink_inspector_dropped_total 0"));
}

#[tokio::test]
async fn a_large_batch_is_written_in_one_go_and_trimmed_to_the_bound() {
    // The store's part of a batch (the inspector's writer hands it 32
    // records at a time; other callers may pass more): several statements
    // (8 rows each on PostgreSQL), one transaction, then the ring cut to
    // its newest records.
    let app = spawn_app().await;
    let store = &app.state.store;
    let record = |seq: i64, client: &str| mocklink::store::InspectorRecord {
        id: format!("{client}-{seq}"),
        client_id: client.into(),
        seq,
        at_ms: seq,
        user_id: None,
        grant_id: None,
        flow_id: None,
        kind: "api".into(),
        method: "GET".into(),
        path: "/v1/me".into(),
        status: 200,
        latency_us: 1,
        outcome: None,
        error: None,
        request: "{}".into(),
        response: "{}".into(),
    };
    let batch: Vec<_> = (1..=40)
        .map(|n| record(n, "alexa-skill"))
        .chain((1..=3).map(|n| record(n, "")))
        .collect();
    store.insert_inspector_records(&batch, 25).await.unwrap();
    let kept = store
        .inspector_records(
            mocklink::store::InspectorFilter {
                client_id: Some("alexa-skill"),
                grant_id: None,
            },
            1000,
        )
        .await
        .unwrap();
    let seqs: Vec<i64> = kept.iter().map(|r| r.seq).collect();
    assert_eq!(seqs, (16..=40).rev().collect::<Vec<_>>());
    assert_eq!(
        store.inspector_clients().await.unwrap(),
        [("".to_owned(), 3, 3), ("alexa-skill".to_owned(), 25, 40)]
    );
}
