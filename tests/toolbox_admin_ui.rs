//! The admin pages: every page for an admin and none for anyone else, the
//! buttons doing what they say through the real forms, CSRF refusals, the
//! clock banner, and the one-click presets reproducing what Alexa users see.

use crate::admin_ui_support::*;
use crate::alexa_support::*;
use crate::api_support::call;
use crate::helpers::*;
use crate::toolbox_support::*;
use serde_json::{json, Value};

#[tokio::test]
async fn every_admin_page_renders_for_an_admin_with_its_nav_and_labelled_inputs() {
    let app = spawn_app().await;
    for path in ADMIN_PAGES {
        let res = app.get(path).await;
        assert_eq!(res.status(), 200, "{path}");
        let csp = res.headers()["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("script-src 'self'"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        let page = scraper::Html::parse_document(&res.text().await.unwrap());
        assert_eq!(page.select(&sel("h1")).count(), 1, "one h1 on {path}");
        let links: Vec<String> = page
            .select(&sel("nav.admin-nav a"))
            .map(|a| attr(a, "href"))
            .collect();
        assert_eq!(
            links,
            [
                "/admin",
                "/admin/users",
                "/admin/clients",
                "/admin/grants",
                "/admin/scenarios",
                "/admin/inspector",
                "/admin/keys",
                "/admin/clock",
                "/docs"
            ],
            "{path}"
        );
        assert_eq!(attr(one(&page, "nav a[aria-current=page]"), "href"), *path);
        // Every visible field has its label, every action is a button.
        for field in page.select(&sel("input:not([type=hidden]), select")) {
            let id = attr(field, "id");
            assert!(!id.is_empty(), "a field without id on {path}");
            assert_eq!(
                page.select(&sel(&format!("label[for=\"{id}\"]"))).count(),
                1,
                "label for #{id} on {path}"
            );
        }
        for form in page.select(&sel("form")) {
            assert_eq!(form.select(&sel("button")).count(), 1, "{path}");
            if attr(form, "method") == "post" {
                assert_eq!(
                    form.select(&sel("input[name=csrf_token]")).count(),
                    1,
                    "every POST form carries the CSRF token on {path}"
                );
            }
        }
        assert!(page.select(&sel("#clock-banner")).next().is_none());
    }
    // The stable ids the browser tests rely on.
    let (_, scenarios) = admin_page(&app, "/admin/scenarios").await;
    one(&scenarios, "form#preset-unable-to-link");
    one(&scenarios, "form#preset-refresh-fails");
    let (_, keys) = admin_page(&app, "/admin/keys").await;
    one(&keys, "form#rotate-key");
    let (_, clock) = admin_page(&app, "/admin/clock").await;
    one(&clock, "form#clock-advance");
}

#[tokio::test]
async fn with_a_password_the_pages_ask_for_it_and_refuse_everyone_else() {
    let app = spawn_app_with(|s| {
        s.toolbox.admin_password = Some(mocklink::domain::Secret::new("s3cret-admin"))
    })
    .await;
    for path in ADMIN_PAGES {
        let res = app.get(path).await;
        assert_eq!(res.status(), 401, "{path}");
        assert_eq!(
            res.headers()["www-authenticate"],
            "Basic realm=\"mocklink admin\"",
            "the browser prompts"
        );
        assert!(res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
        let page = scraper::Html::parse_document(&res.text().await.unwrap());
        assert_eq!(text(one(&page, "h1")), "Admin password required");
        let res = app
            .browser
            .get(format!("{}{path}", app.url))
            .basic_auth("admin", Some("wrong"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401, "{path}");
        let res = app
            .browser
            .get(format!("{}{path}", app.url))
            .basic_auth("admin", Some("s3cret-admin"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{path}");
    }
    // An action without the password changes nothing.
    let res = app
        .browser
        .post(format!("{}/admin/clock/advance", app.url))
        .form(&[("seconds", "3600")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(app.state.clock.shared_offset(), 0);
}

#[tokio::test]
async fn without_a_password_only_loopback_callers_see_the_pages() {
    let app = spawn_app_with(|s| s.trust_forwarded_headers = true).await;
    let res = app
        .browser
        .get(format!("{}/admin/grants", app.url))
        .header("X-Forwarded-For", "203.0.113.9")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let page = scraper::Html::parse_document(&res.text().await.unwrap());
    assert!(text(one(&page, "p.error")).contains("loopback"));
}

#[tokio::test]
async fn the_overview_shows_the_values_to_paste_into_the_alexa_console() {
    let app = spawn_app().await;
    let (_, page) = admin_page(&app, "/admin").await;
    let value = |id: &str| {
        let input = one(&page, &format!("input#{id}"));
        assert!(
            input.value().attr("readonly").is_some(),
            "{id} is read-only"
        );
        // A copy button for it (shown by the script).
        one(&page, &format!("button[data-copy={id}]"));
        attr(input, "value")
    };
    let base = app.state.settings.public_url();
    assert_eq!(
        value("console-authorization-uri"),
        format!("{base}/authorize")
    );
    assert_eq!(value("console-token-uri"), format!("{base}/api/token"));
    assert_eq!(value("console-client-id"), DEMO_CLIENT);
    assert!(value("console-auth-scheme").starts_with("HTTP Basic"));
    assert_eq!(value("console-scopes"), app.state.settings.simulator.scopes);
    let redirects: Vec<String> = page
        .select(&sel("input[id^=console-redirect-]"))
        .map(|i| attr(i, "value"))
        .collect();
    assert!(
        redirects.contains(&ALEXA_REDIRECT.to_owned()),
        "{redirects:?}"
    );
    assert!(text(one(&page, "#console-values")).contains(DEMO_SECRET));

    // The copy script is ours, allowed by the page's CSP.
    let res = app.get("/admin/assets/admin.js").await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/javascript"));
    assert!(res.text().await.unwrap().contains("data-copy"));

    // Users and clients pages list what the database holds.
    let (_, users) = admin_page(&app, "/admin/users").await;
    assert_eq!(
        text(one(&users, "tr[data-user=locked] td:nth-child(6)")),
        "locked"
    );
    assert_eq!(
        text(one(&users, "tr[data-user=demo] td:nth-child(6)")),
        "no"
    );
    let (_, clients) = admin_page(&app, "/admin/clients").await;
    let section = one(&clients, &format!("section#client-{DEMO_CLIENT}"));
    assert!(text(section).contains("rotate"));
    assert!(section
        .select(&sel("input[readonly]"))
        .any(|i| attr(i, "value") == ALEXA_REDIRECT));
}

#[tokio::test]
async fn the_revoke_buttons_revoke_one_grant_or_all_of_a_user() {
    let app = spawn_app().await;
    let (access, _) = app.demo_tokens("user-read-private").await;
    assert_eq!(
        call(&app, "GET", "/v1/me", Some(&access), None)
            .await
            .status(),
        200
    );
    let gid = claims(&access)["gid"].as_str().unwrap().to_owned();
    let location = click(
        &app,
        "/admin/grants",
        &format!("tr[data-grant=\"{gid}\"] form"),
        &[],
    )
    .await;
    assert_eq!(location, "/admin/grants?done=revoked");
    let res = call(&app, "GET", "/v1/me", Some(&access), None).await;
    assert_eq!(res.status(), 401);
    let (_, page) = admin_page(&app, &location).await;
    assert!(page
        .select(&sel(&format!("tr[data-grant=\"{gid}\"]")))
        .next()
        .is_none());
    assert!(text(one(&page, "p.notice")).contains("revoked"));

    // Two more grants of demo; one click revokes both.
    let (a, _) = app.demo_tokens("user-read-private").await;
    let (_, minted) = admin(
        &app,
        "POST",
        "/tokens",
        Some(json!({"user": "demo", "client_id": DEMO_CLIENT})),
    )
    .await;
    let b = minted["access_token"].as_str().unwrap().to_owned();
    click(
        &app,
        "/admin/grants",
        "form[action=\"/admin/grants/revoke-user\"]",
        &[],
    )
    .await;
    for token in [a, b] {
        assert_eq!(
            call(&app, "GET", "/v1/me", Some(&token), None)
                .await
                .status(),
            401
        );
    }
    let (_, page) = admin_page(&app, "/admin/grants").await;
    assert!(page.select(&sel("table#grants")).next().is_none());
}

#[tokio::test]
async fn the_unable_to_link_preset_makes_the_next_linking_fail_as_alexa_reports_it() {
    let app = spawn_app().await;
    let location = click(&app, "/admin/scenarios", "form#preset-unable-to-link", &[]).await;
    assert_eq!(location, "/admin/scenarios?done=preset-unable-to-link");
    let (_, page) = admin_page(&app, &location).await;
    let row = one(&page, "table#scenarios tbody tr");
    let row_text = text(row);
    assert!(
        row_text.contains("token_error")
            && row_text.contains(DEMO_CLIENT)
            && row_text.contains("error=invalid_grant")
            && row_text.contains("grant_type=authorization_code"),
        "{row_text}"
    );

    // Alexa: enable, log in, agree, come back: the code exchange fails.
    let id = new_user(&app).await;
    let (url, flow) = enable(&app, &id).await;
    let back = app.browse_and_agree(&url).await;
    let (status, body) = follow_back(&app, &back).await;
    assert_eq!(status, 400, "{body}");
    let result = scraper::Html::parse_document(&body);
    assert_eq!(text(one(&result, "h1")), "Unable to link your account");
    let message = text(one(&result, "p.error"));
    assert!(
        message.starts_with("We were unable to link mock music at this time")
            && message.contains("invalid_grant"),
        "{message}"
    );
    assert!(stored_link(&app, &id).await.is_none());
    let log = flow_log(&app, &flow).await.to_string();
    assert!(
        log.contains("token exchange failed: invalid_grant"),
        "{log}"
    );

    // One use: the next attempt links.
    link(&app, &id).await;
    assert!(stored_link(&app, &id).await.is_some());
}

#[tokio::test]
async fn the_refresh_fails_preset_unlinks_at_the_next_refresh_as_alexa_does() {
    let app = spawn_app().await;
    let id = new_user(&app).await;
    let flow = link(&app, &id).await;
    let before = stored_link(&app, &id).await.unwrap();

    // The box "move this client's clock" is ticked by default.
    let location = click(&app, "/admin/scenarios", "form#preset-refresh-fails", &[]).await;
    assert_eq!(location, "/admin/scenarios?done=preset-refresh-fails");
    let (_, page) = admin_page(&app, &location).await;
    assert!(text(one(&page, "table#scenarios tbody tr")).contains("grant_type=refresh_token"));
    assert!(text(one(&page, "#clock-banner")).contains(DEMO_CLIENT));

    // The next request makes the simulator refresh; the refresh fails and
    // the request reaches the skill without a token.
    let r = talk(&app, &id, json!({"intent": "AMAZON.HelpIntent"})).await;
    assert_eq!(r["linked"], json!(false), "{r}");
    assert!(
        stored_link(&app, &id).await.is_none(),
        "Alexa dropped the tokens"
    );
    let log = flow_log(&app, &flow).await.to_string();
    assert!(log.contains("refresh failed: invalid_grant"), "{log}");
    assert!(log.contains("unlinked"), "{log}");
    // The provider says why: the old access token expired in the client's time.
    assert_eq!(
        call(&app, "GET", "/v1/me", Some(&before.access_token), None)
            .await
            .status(),
        401
    );
    // Relinking works again (the scenario had one use).
    link(&app, &id).await;
}

#[tokio::test]
async fn the_rotate_button_publishes_a_new_kid_in_the_jwks() {
    let app = spawn_app().await;
    let old_kid = app.state.keys.active_kid();
    let location = click(&app, "/admin/keys", "form#rotate-key", &[("alg", "ES256")]).await;
    assert_eq!(location, "/admin/keys?done=key-rotated");
    let (_, page) = admin_page(&app, "/admin/keys").await;
    let rows: Vec<_> = page.select(&sel("table#keys tbody tr")).collect();
    assert_eq!(rows.len(), 2);
    let active: Vec<String> = rows
        .iter()
        .filter(|r| text(**r).contains("active"))
        .map(|r| attr(*r, "data-kid"))
        .collect();
    assert_eq!(active.len(), 1);
    let new_kid = active[0].clone();
    assert_ne!(new_kid, old_kid);
    let jwks: Value = app
        .get("/.well-known/jwks.json")
        .await
        .json()
        .await
        .unwrap();
    let key = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == new_kid.as_str())
        .expect("the new kid is published");
    assert_eq!(key["alg"], "ES256");
    let (access, _) = app.demo_tokens("user-read-private").await;
    assert_eq!(
        jsonwebtoken::decode_header(&access).unwrap().kid.unwrap(),
        new_kid
    );
}

#[tokio::test]
async fn a_cross_site_post_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let (_, page) = admin_page(&app, "/admin/scenarios").await;
    let fields = form_fields(one(&page, "form#preset-unable-to-link"), &[]);
    let post = |fields: Vec<(String, String)>, headers: Vec<(&'static str, &'static str)>| {
        let mut req = app
            .browser
            .post(format!("{}/admin/scenarios/preset", app.url))
            .form(&fields);
        for (k, v) in headers {
            req = req.header(k, v);
        }
        req.send()
    };
    let without_token: Vec<_> = fields
        .iter()
        .filter(|(k, _)| k != "csrf_token")
        .cloned()
        .collect();
    let wrong_token = form_fields(
        one(&page, "form#preset-unable-to-link"),
        &[("csrf_token", "forged-forged-forged-forged-forged")],
    );
    let cases = [
        (without_token, vec![]),
        (wrong_token, vec![]),
        // The right token (say it leaked) from another site's page.
        (fields.clone(), vec![("Origin", "https://evil.example")]),
        (fields.clone(), vec![("Sec-Fetch-Site", "cross-site")]),
        // `Origin: null` is what a same-origin post sends under our
        // no-referrer policy too, so it is judged by the other signals.
        (
            fields.clone(),
            vec![("Origin", "null"), ("Sec-Fetch-Site", "cross-site")],
        ),
    ];
    for (n, (form, headers)) in cases.into_iter().enumerate() {
        let res = post(form, headers).await.unwrap();
        assert_eq!(res.status(), 403, "case {n}");
        let page = scraper::Html::parse_document(&res.text().await.unwrap());
        assert_eq!(page.select(&sel("h1")).count(), 1, "a readable page");
    }
    let (_, list) = admin(&app, "GET", "/scenarios", None).await;
    assert_eq!(list["scenarios"], json!([]), "nothing was set");
    // A request without a cookie at all (another browser) is refused too.
    let res = app
        .http
        .post(format!("{}/admin/clock/advance", app.url))
        .form(&[("csrf_token", "x".repeat(32).as_str()), ("seconds", "60")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert!(!app.state.clock.is_shifted());

    // The same form from the page itself, as Chromium sends it under
    // `Referrer-Policy: no-referrer` (seen in tests/browser.rs), works.
    let res = app
        .browser
        .post(format!("{}/admin/scenarios/preset", app.url))
        .header("Origin", "null")
        .header("Sec-Fetch-Site", "same-origin")
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let (_, list) = admin(&app, "GET", "/scenarios", None).await;
    assert_eq!(list["scenarios"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn the_clock_banner_shows_on_every_page_while_shifted_and_resets() {
    let app = spawn_app().await;
    let location = click(
        &app,
        "/admin/clock",
        "form#clock-advance",
        &[("seconds", "7200"), ("client_id", DEMO_CLIENT)],
    )
    .await;
    assert_eq!(location, "/admin/clock?done=clock-advanced");
    for path in ADMIN_PAGES {
        let (_, page) = admin_page(&app, path).await;
        let banner = text(one(&page, "#clock-banner"));
        assert!(
            banner.contains(&format!("{DEMO_CLIENT} +7200 s")),
            "{path}: {banner}"
        );
        one(&page, "#clock-banner form button");
    }
    let (_, page) = admin_page(&app, "/admin/clock").await;
    let row = one(
        &page,
        &format!("table#client-clocks tr[data-client={DEMO_CLIENT}]"),
    );
    assert!(text(row).contains("7200"));

    // And globally: the banner names both.
    click(
        &app,
        "/admin/clock",
        "form#clock-advance",
        &[("seconds", "60")],
    )
    .await;
    let (_, page) = admin_page(&app, "/admin/users").await;
    let banner = text(one(&page, "#clock-banner"));
    assert!(
        banner.contains("global +60 s") && banner.contains(DEMO_CLIENT),
        "{banner}"
    );

    // The banner's reset button resets every clock and comes back.
    let location = click(&app, "/admin/users", "#clock-banner form", &[]).await;
    assert_eq!(location, "/admin/users?done=clock-reset");
    let (_, page) = admin_page(&app, &location).await;
    assert!(page.select(&sel("#clock-banner")).next().is_none());
    let (_, c) = admin(&app, "GET", "/clock", None).await;
    assert_eq!(
        (c["shifted"].clone(), c["clients"].clone()),
        (json!(false), json!([]))
    );
}

#[tokio::test]
async fn scenarios_are_added_and_cleared_from_the_page_and_bad_input_gets_a_readable_page() {
    let app = spawn_app().await;
    click(
        &app,
        "/admin/scenarios",
        "form#scenario-add",
        &[
            ("kind", "api_error"),
            ("status", "503"),
            ("path", "/v1/me"),
            ("count", "2"),
            ("id", "page-made"),
        ],
    )
    .await;
    let (_, list) = admin(&app, "GET", "/scenarios", None).await;
    assert_eq!(list["scenarios"][0]["id"], "page-made");
    assert_eq!(list["scenarios"][0]["remaining"], 2);

    // Refused input: the same messages as the JSON API, as a page, never a 500.
    let cases: &[FormCase] = &[
        (
            &[("kind", "token_error")],
            400,
            "token_error needs an error, a status, or both",
        ),
        (
            &[
                ("kind", "token_error"),
                ("error", "invalid_grant"),
                ("user", "demo"),
            ],
            400,
            "applies per client",
        ),
        (
            &[("kind", "api_error"), ("status", "abc")],
            400,
            "status must be a whole number",
        ),
        (
            &[("kind", "api_error"), ("status", "99999")],
            400,
            "status must be between",
        ),
        (
            &[("kind", "login_fail"), ("grant_type", "refresh_token")],
            400,
            "grant_type does not apply",
        ),
        (&[("kind", "nope")], 400, "unknown kind"),
        (
            &[("kind", "login_fail"), ("client_id", "no-such-client")],
            404,
            "no client 'no-such-client'",
        ),
    ];
    for (set, status, message) in cases {
        let res = submit(&app, "/admin/scenarios", "form#scenario-add", set).await;
        assert_eq!(res.status().as_u16(), *status, "{set:?}");
        let page = scraper::Html::parse_document(&res.text().await.unwrap());
        let why = text(one(&page, "p.error"));
        assert!(why.contains(message), "{set:?}: {why}");
    }
    for (set, status) in [
        (vec![("seconds", "0")], 400),
        (vec![("seconds", "soon")], 400),
        (vec![("seconds", "60"), ("client_id", "ghost")], 404),
    ] {
        let res = submit(&app, "/admin/clock", "form#clock-advance", &set).await;
        assert_eq!(res.status().as_u16(), status, "{set:?}");
    }
    assert!(!app.state.clock.is_shifted());

    click(
        &app,
        "/admin/scenarios",
        "tr[data-scenario=page-made] form",
        &[],
    )
    .await;
    let (_, list) = admin(&app, "GET", "/scenarios", None).await;
    assert_eq!(list["scenarios"], json!([]));
    // Clearing it again: a readable 404.
    let (_, page) = admin_page(&app, "/admin/scenarios").await;
    let token = attr(
        one(&page, "form#scenario-add input[name=csrf_token]"),
        "value",
    );
    let res = app
        .browser
        .post(format!("{}/admin/scenarios/clear", app.url))
        .form(&[("csrf_token", token.as_str()), ("id", "page-made")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    // And "clear all" clears everything.
    click(&app, "/admin/scenarios", "form#preset-unable-to-link", &[]).await;
    click(&app, "/admin/scenarios", "form#scenarios-clear-all", &[]).await;
    let (_, list) = admin(&app, "GET", "/scenarios", None).await;
    assert_eq!(list["scenarios"], json!([]));
}

/// Fields to set, the status expected, and a part of the message expected.
type FormCase = (&'static [(&'static str, &'static str)], u16, &'static str);

/// The claims of a JWT, unverified (the test only reads its grant id).
fn claims(jwt: &str) -> Value {
    use base64::Engine;
    let payload = jwt.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}
