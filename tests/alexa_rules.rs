//! Alexa's account-linking rules as the simulator applies them on every link
//! and refresh: findings in the flow's JSON and pages, strict mode failing
//! the link, the preflight of the user's regional redirect URL, and the paste
//! box completing a linking that went through Amazon's host.

use crate::alexa_support::*;
use crate::helpers::*;
use crate::toolbox_support::set_scenario;
use mocklink::config::ClientSeed;
use serde_json::{json, Value};

fn verdicts(findings: &[Value]) -> Vec<&str> {
    findings
        .iter()
        .map(|f| f["verdict"].as_str().unwrap())
        .collect()
}

/// The one finding of `rule` whose evidence mentions `about`.
fn finding<'a>(findings: &'a [Value], rule: &str, about: &str) -> &'a Value {
    findings
        .iter()
        .find(|f| f["rule"] == rule && f["evidence"].as_str().unwrap().contains(about))
        .unwrap_or_else(|| panic!("no {rule} finding about {about:?} in {findings:#?}"))
}

async fn new_user_in(app: &TestApp, region: &str) -> String {
    let (status, u) = api_post(app, "/alexa/api/users", json!({"region": region})).await;
    assert_eq!(status, 201, "{u}");
    u["id"].as_str().unwrap().to_owned()
}

/// Enable, log in, agree, come back: the page the browser lands on.
async fn link_landing(app: &TestApp, id: &str) -> (String, u16, String) {
    let (url, flow) = enable(app, id).await;
    let back = app.browse_and_agree(&url).await;
    let (status, page) = follow_back(app, &back).await;
    (flow, status, page)
}

#[tokio::test]
async fn an_http_token_uri_is_a_warning_here_and_fails_the_link_in_strict_mode() {
    let app = spawn_app().await;
    let id = new_user(&app).await;
    let flow = link(&app, &id).await;
    let log = flow_json(&app, &flow).await;
    let findings = log["findings"].as_array().unwrap();
    let https = finding(findings, "https", "Access Token URI");
    assert_eq!(https["verdict"], "warn", "{https}");
    assert!(https["evidence"]
        .as_str()
        .unwrap()
        .contains("Alexa would refuse it"));
    assert!(https["page_url"]
        .as_str()
        .unwrap()
        .starts_with("https://developer.amazon.com/"));
    assert_eq!(https["assumption"], false);
    assert!(!https["advice"].as_str().unwrap().is_empty());
    // The token answer of the demo client passes every rule.
    for rule in ["response_time", "json_body", "lifetime", "refresh_token"] {
        let f: Vec<_> = findings.iter().filter(|f| f["rule"] == rule).collect();
        assert_eq!(f.len(), 1, "{rule}: {findings:#?}");
        assert_eq!(f[0]["verdict"], "pass", "{rule}: {f:?}");
        assert_eq!(f[0]["step"], "token exchange");
    }
    assert_eq!(finding(findings, "state_echoed", "")["verdict"], "pass");
    // The flow page shows them, readable without JavaScript.
    let page = app
        .get(&format!("/alexa/flows/{flow}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("class=\"finding-warn\""), "{page}");
    assert!(page.contains("WARN") && page.contains("PASS"));
    let user_page = app
        .get(&format!("/alexa/users/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(user_page.contains("data-rule=\"https\""), "{user_page}");

    let strict = spawn_app_with(|s| s.simulator.strict = true).await;
    let id = new_user(&strict).await;
    let (status, e) = api_post(&strict, &format!("/alexa/api/users/{id}/enable"), json!({})).await;
    assert_eq!(status, 400, "{e}");
    assert_eq!(e["error"], "link_refused");
    let said = e["error_description"].as_str().unwrap();
    assert!(
        said.starts_with("We were unable to link mock music at this time")
            && said.contains("https"),
        "{said}"
    );
    let findings = e["findings"].as_array().unwrap();
    assert_eq!(
        finding(findings, "https", "Access Token URI")["verdict"],
        "fail"
    );
    let log = flow_json(&strict, e["flow_id"].as_str().unwrap()).await;
    assert_eq!(log["findings"].as_array().unwrap().len(), findings.len());
    assert!(user_status(&strict, &id).await["linked"] == json!(false));
}

#[tokio::test]
async fn a_short_lived_access_token_fails_the_lifetime_rule() {
    let app = spawn_app().await;
    set_scenario(
        &app,
        json!({"kind": "token_lifetime", "seconds": 120, "count": 1}),
    )
    .await;
    let id = new_user(&app).await;
    let flow = link(&app, &id).await;
    let lifetime = findings_of(&app, &flow, "lifetime").await;
    assert_eq!(verdicts(&lifetime), ["fail"], "{lifetime:?}");
    assert!(lifetime[0]["evidence"].as_str().unwrap().contains("120 s"));
}

#[tokio::test]
async fn a_token_endpoint_slower_than_four_and_a_half_seconds_fails_the_link() {
    let app = spawn_app().await;
    set_scenario(
        &app,
        json!({"kind": "token_delay", "delay_ms": 5000, "grant_type": "authorization_code", "count": 1}),
    )
    .await;
    let id = new_user(&app).await;
    let (flow, status, page) = link_landing(&app, &id).await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("We were unable to link mock music at this time"));
    assert!(page.contains("timed out after 4.5 s"), "{page}");
    assert!(!page.contains("could not be reached"), "{page}");
    let slow = findings_of(&app, &flow, "response_time").await;
    assert_eq!(verdicts(&slow), ["fail"]);
    assert!(
        slow[0]["evidence"]
            .as_str()
            .unwrap()
            .contains("timed out after 4.5 s"),
        "{slow:?}"
    );
    assert_eq!(user_status(&app, &id).await["linked"], json!(false));
}

#[tokio::test]
async fn a_missing_refresh_token_and_a_string_expires_in_are_named() {
    let app = spawn_app().await;
    set_scenario(&app, json!({"kind": "omit_refresh_token", "count": 1})).await;
    let id = new_user(&app).await;
    let flow = link(&app, &id).await;
    let refresh = findings_of(&app, &flow, "refresh_token").await;
    assert_eq!(verdicts(&refresh), ["fail"], "{refresh:?}");
    assert!(refresh[0]["evidence"]
        .as_str()
        .unwrap()
        .contains("no refresh_token"));

    set_scenario(&app, json!({"kind": "expires_in_string", "count": 1})).await;
    let id = new_user(&app).await;
    let flow = link(&app, &id).await;
    let expires = findings_of(&app, &flow, "expires_in").await;
    assert_eq!(verdicts(&expires), ["fail"], "{expires:?}");
    assert!(expires[0]["evidence"]
        .as_str()
        .unwrap()
        .contains("\"3600\""));
    assert_eq!(expires[0]["assumption"], true, "Amazon is silent on it");
    // Alexa is assumed to read the string: the link works.
    assert_eq!(user_status(&app, &id).await["linked"], json!(true));
}

#[tokio::test]
async fn a_client_without_the_eu_redirect_url_fails_the_eu_users_preflight() {
    let app = spawn_app_with(|s| {
        s.clients.push(ClientSeed {
            id: "na-only".into(),
            name: None,
            secret: Some("na-only-secret".into()),
            redirect_uris: vec![ALEXA_REDIRECT.into()],
            scopes: None,
            refresh_policy: Default::default(),
            refresh_grace_seconds: 0,
            access_token_ttl_seconds: 3600,
            refresh_token_ttl_seconds: 86400,
            extended_quota: false,
        });
        s.simulator.client_id = Some("na-only".into());
        s.simulator.client_secret = Some("na-only-secret".into());
    })
    .await;
    let eu = new_user_in(&app, "EU").await;
    let (status, e) = api_post(&app, &format!("/alexa/api/users/{eu}/enable"), json!({})).await;
    assert_eq!(status, 200, "{e}");
    let eu_url = format!("https://layla.amazon.com/api/skill/link/{DEMO_VENDOR}");
    assert_eq!(e["regional_redirect_uri"], eu_url.as_str());
    let preflight = finding(e["findings"].as_array().unwrap(), "redirect_uri", &eu_url);
    assert_eq!(preflight["verdict"], "fail", "{preflight}");
    assert!(preflight["evidence"]
        .as_str()
        .unwrap()
        .contains("EU (Europe and India) users cannot link"));
    assert_eq!(preflight["step"], "preflight");
    // Nor does it accept the simulator's own callback: Alexa's URL is used.
    assert_eq!(e["redirect_uri"], eu_url.as_str());
    let flow = e["flow_id"].as_str().unwrap();
    assert_eq!(findings_of(&app, flow, "redirect_uri").await.len(), 1);

    let na = new_user_in(&app, "NA").await;
    let (status, e) = api_post(&app, &format!("/alexa/api/users/{na}/enable"), json!({})).await;
    assert_eq!(status, 200, "{e}");
    let preflight = finding(
        e["findings"].as_array().unwrap(),
        "redirect_uri",
        ALEXA_REDIRECT,
    );
    assert_eq!(preflight["verdict"], "pass", "{preflight}");
    assert_eq!(e["redirect_uri"], ALEXA_REDIRECT);
}

#[tokio::test]
async fn the_pasted_address_completes_a_link_with_the_regional_redirect_url() {
    let app = spawn_app().await;
    let id = new_user_in(&app, "EU").await;
    let (status, e) = api_post(
        &app,
        &format!("/alexa/api/users/{id}/enable"),
        json!({"redirect": "regional"}),
    )
    .await;
    assert_eq!(status, 200, "{e}");
    let eu_url = format!("https://layla.amazon.com/api/skill/link/{DEMO_VENDOR}");
    assert_eq!(e["redirect_uri"], eu_url.as_str());
    let authorize = url::Url::parse(e["authorize_url"].as_str().unwrap()).unwrap();
    assert_eq!(
        query_param(&authorize, "redirect_uri").as_deref(),
        Some(eu_url.as_str())
    );
    // The demo client accepts all three regional URLs.
    let pre = finding(e["findings"].as_array().unwrap(), "redirect_uri", &eu_url);
    assert_eq!(pre["verdict"], "pass", "{pre}");

    // The provider sends the browser to Amazon's host; it is not followed.
    let back = app.browse_and_agree(authorize.as_str()).await;
    assert!(back.as_str().starts_with(&eu_url), "{back}");
    let user_page = app
        .get(&format!("/alexa/users/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(user_page.contains("action=\"/alexa/users/"), "{user_page}");
    assert!(user_page.contains("/paste\""), "the paste box is offered");

    // A wrong paste is a clear error, and spends nothing.
    let (status, err) = api_post(
        &app,
        &format!("/alexa/api/users/{id}/paste"),
        json!({"address": "not a url"}),
    )
    .await;
    assert_eq!((status, err["error"].as_str()), (400, Some("bad_request")));

    let (status, linked) = api_post(
        &app,
        &format!("/alexa/api/users/{id}/paste"),
        json!({"address": back.as_str()}),
    )
    .await;
    assert_eq!(status, 200, "{linked}");
    assert_eq!(linked["redirect_uri"], eu_url.as_str());
    let flow = linked["flow_id"].as_str().unwrap();
    assert_eq!(
        finding(linked["findings"].as_array().unwrap(), "state_echoed", "")["verdict"],
        "pass"
    );
    assert_eq!(user_status(&app, &id).await["linked"], json!(true));
    // The token request carried the same regional redirect URL.
    let log = flow_log(&app, flow).await;
    let exchange = log
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["step"] == "token exchange" && e["direction"] == "request")
        .unwrap();
    assert!(
        exchange["body"]
            .as_str()
            .unwrap()
            .contains("redirect_uri=https%3A%2F%2Flayla.amazon.com%2Fapi%2Fskill%2Flink%2F"),
        "{exchange}"
    );
    // Used once: the same address again is refused.
    let (status, again) = api_post(
        &app,
        &format!("/alexa/api/users/{id}/paste"),
        json!({"address": back.as_str()}),
    )
    .await;
    assert_eq!(
        (status, again["error"].as_str()),
        (400, Some("state_mismatch"))
    );
}

#[tokio::test]
async fn a_refresh_is_judged_too() {
    let app = spawn_app().await;
    let id = new_user(&app).await;
    let flow = link(&app, &id).await;
    set_scenario(
        &app,
        json!({"kind": "token_lifetime", "seconds": 100, "count": 1}),
    )
    .await;
    app.clock.advance(3590);
    let r = talk(&app, &id, json!({"intent": "AMAZON.HelpIntent"})).await;
    assert_eq!(r["linked"], json!(true), "{r}");
    let lifetime = findings_of(&app, &flow, "lifetime").await;
    let steps: Vec<_> = lifetime
        .iter()
        .map(|f| (f["step"].as_str().unwrap(), f["verdict"].as_str().unwrap()))
        .collect();
    assert_eq!(steps, [("token exchange", "pass"), ("refresh", "fail")]);

    // On request, at once: the answer carries this refresh's findings only.
    let (status, r) = api_post(&app, &format!("/alexa/api/users/{id}/refresh"), json!({})).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["refreshed"], json!(true), "{r}");
    assert_eq!(r["linked"], json!(true));
    assert_eq!(r["flow_id"], flow.as_str());
    let findings = r["findings"].as_array().unwrap();
    assert!(findings.iter().all(|f| f["step"] == "refresh"), "{r}");
    assert_eq!(finding(findings, "lifetime", "3600 s")["verdict"], "pass");

    let unlinked = new_user(&app).await;
    let (status, r) = api_post(
        &app,
        &format!("/alexa/api/users/{unlinked}/refresh"),
        json!({}),
    )
    .await;
    assert_eq!((status, r["error"].as_str()), (400, Some("bad_request")));
}

#[tokio::test]
async fn the_paste_box_works_with_plain_forms() {
    let app = spawn_app().await;
    let id = new_user_in(&app, "FE").await;
    let user_path = format!("/alexa/users/{id}");
    let page = app.get(&user_path).await.text().await.unwrap();
    let csrf = form_value(&page, "csrf_token").unwrap();
    let fe_url = format!("https://alexa.amazon.co.jp/api/skill/link/{DEMO_VENDOR}");
    assert!(page.contains(&fe_url), "the user page names Alexa's FE URL");

    // "Enable with Alexa's FE redirect URL".
    let res = app
        .post_form(
            &format!("{user_path}/enable"),
            &[("csrf_token", &csrf), ("redirect", "regional")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let authorize = url::Url::parse(&location(&res)).unwrap();
    assert_eq!(
        query_param(&authorize, "redirect_uri").as_deref(),
        Some(fe_url.as_str())
    );
    let back = app.browse_and_agree(authorize.as_str()).await;
    assert!(back.as_str().starts_with(&fe_url), "{back}");

    let page = app.get(&user_path).await.text().await.unwrap();
    assert!(page.contains("name=\"address\""), "the paste box: {page}");
    assert!(page.contains("data-rule=\"redirect_uri\" data-verdict=\"pass\""));
    let res = app
        .post_form(
            &format!("{user_path}/paste"),
            &[("csrf_token", &csrf), ("address", "https://example.com/")],
        )
        .await;
    assert_eq!(res.status(), 400);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("not an Alexa account-linking redirect URL"));
    let res = app
        .post_form(
            &format!("{user_path}/paste"),
            &[("csrf_token", &csrf), ("address", back.as_str())],
        )
        .await;
    assert_eq!(res.status(), 200);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("mock music has been successfully linked."),
        "{page}"
    );
    assert!(page.contains("data-rule=\"state_echoed\" data-verdict=\"pass\""));
    assert!(page.contains("class=\"finding-warn\""), "the http URIs");
    assert_eq!(user_status(&app, &id).await["linked"], json!(true));
}
