//! The recording proxy, as Alexa would use it: the Access Token URI is
//! `/proxy/{name}/token`, the answer is exactly the upstream's, both sides
//! are recorded (redacted) with Alexa's rules' findings, and nothing but
//! the configured upstream is ever reached.

use crate::alexa_support::*;
use crate::helpers::*;
use crate::proxy_support::*;
use crate::toolbox_support::*;
use mocklink::config::ProxyUpstream;
use oauth2::{AuthorizationCode, TokenResponse};
use serde_json::{json, Value};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

fn upstream(token_url: String) -> ProxyUpstream {
    ProxyUpstream {
        token_url,
        authorization_url: None,
    }
}

/// A mocklink serving the proxy with these upstreams.
async fn proxy_app(upstreams: Vec<(&str, ProxyUpstream)>) -> TestApp {
    spawn_app_with(|s| {
        s.proxy_upstreams = upstreams
            .into_iter()
            .map(|(n, u)| (n.to_owned(), u))
            .collect()
    })
    .await
}

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

fn proxy_events(body: &Value) -> Vec<Value> {
    body["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["events"].as_array().unwrap().clone())
        .filter(|e| e["kind"] == "proxy")
        .collect()
}

#[tokio::test]
async fn alexa_links_through_the_proxy_and_both_sides_are_recorded_with_findings() {
    let provider = spawn_app().await;
    // The provider issues a two-minute token: Alexa would refuse it.
    set_scenario(
        &provider,
        json!({"kind": "token_lifetime", "seconds": 120, "count": 1}),
    )
    .await;
    let app = proxy_app(vec![(
        "myskill",
        upstream(format!("{}/api/token", provider.url)),
    )])
    .await;
    let code = provider.demo_code("user-read-private").await;
    let client = provider
        .oauth_client(oauth2::AuthType::BasicAuth)
        .set_token_uri(oauth2::TokenUrl::new(format!("{}/proxy/myskill/token", app.url)).unwrap());
    let token = client
        .exchange_code(AuthorizationCode::new(code.clone()))
        .request_async(&app.http)
        .await
        .expect("the upstream's tokens, through the proxy");
    assert_eq!(token.expires_in(), Some(Duration::from_secs(120)));
    let access = token.access_token().secret().clone();
    let refresh = token.refresh_token().unwrap().secret().clone();
    // The provider's own token: it works at the provider's api.
    let me = provider
        .http
        .get(format!("{}/v1/me", provider.url))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);

    let body = inspected_until(&app, "client_id=proxy:myskill", |b| {
        !proxy_events(b).is_empty()
    })
    .await;
    let text = body.to_string();
    for secret in [&code, &access, &refresh, &DEMO_SECRET.to_owned()] {
        assert!(!text.contains(secret.as_str()), "a secret was recorded");
    }
    let event = &proxy_events(&body)[0];
    assert_eq!(event["path"], "/proxy/myskill/token");
    assert_eq!(event["status"], 200);
    assert!(event["latency_ms"].as_f64().unwrap() > 0.0);
    let request = &event["request"];
    assert_eq!(
        request["forwarded_to"],
        format!("{}/api/token", provider.url)
    );
    assert_eq!(request["form"]["grant_type"], "authorization_code");
    assert_eq!(request["form"]["code"], format!("{}…", &code[..4]));
    assert_eq!(request["basic_auth_client_id"], DEMO_CLIENT);
    assert!(request["headers"]["authorization"]
        .as_str()
        .unwrap()
        .starts_with("Basic "));
    let response = &event["response"];
    assert_eq!(response["upstream_status"], 200);
    assert_eq!(response["body"]["expires_in"], 120);
    assert_eq!(response["body"]["token_type"], "Bearer");
    assert_eq!(
        response["body"]["access_token"],
        format!("{}…", &access[..4])
    );
    let lifetime = event["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "lifetime")
        .expect("the lifetime rule judged the answer");
    assert_eq!(lifetime["verdict"], "fail", "{lifetime}");
    assert_eq!(event["failed"], true);
    assert!(event["error"].as_str().unwrap().contains("lifetime"));

    // The page: the diagram, one arrow for the one exchange, in red.
    let page = app
        .http
        .get(format!(
            "{}/admin/inspector?client_id=proxy:myskill",
            app.url
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("<svg"), "{page}");
    assert_eq!(page.matches("<a href=\"#exchange-").count(), 1, "{page}");
    assert!(page.contains("id=\"exchange-1\""));
    assert!(page.contains("#c62828"), "the failing exchange is red");
    assert!(page.contains("FAIL lifetime"));
    assert!(!page.contains(&access) && !page.contains(&code));
}

#[tokio::test]
async fn headers_and_body_pass_untouched_but_hop_by_hop_headers() {
    let up = echo().await;
    let app = proxy_app(vec![(
        "echo",
        upstream(format!("http://{}/oauth/token", up.addr)),
    )])
    .await;
    let body = "grant_type=refresh_token&refresh_token=Atzr%7Cabc&client_id=alexa-skill";
    let request = format!(
        "POST /proxy/echo/token?tenant=a HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Authorization: Basic YWxleGEtc2tpbGw6c2VjcmV0\r\nAccept: application/json\r\nUser-Agent: Apache-HttpClient/UNAVAILABLE\r\n\
         X-Custom: Kept As Is\r\nX-Forwarded-Host: evil.example\r\nX-Forwarded-Proto: http\r\n\
         Connection: close, X-Hop\r\nX-Hop: dropped\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\n\
         Proxy-Connection: keep-alive\r\nContent-Length: {}\r\n\r\n{body}",
        host_of(&app),
        body.len()
    );
    let (status, head, answer) = raw(&app, request.as_bytes()).await;
    assert_eq!(status, 201, "{head}");
    let head_lower = head.to_ascii_lowercase();
    assert!(head_lower.contains("x-upstream: echo"), "{head}");
    assert!(head_lower.contains("content-type: application/json; charset=utf-8"));
    assert!(head_lower.contains("set-cookie: up=1; path=/"));
    assert!(!head_lower.contains("x-upstream-hop"), "{head}");
    // The body is the upstream's, byte for byte.
    let seen: Value = serde_json::from_slice(&answer).expect("the upstream's JSON");
    assert_eq!(
        seen["request_line"], "POST /oauth/token?tenant=a HTTP/1.1",
        "the configured path, the query carried, nothing appended"
    );
    assert_eq!(seen["body"], body);
    let headers: Vec<(String, String)> = serde_json::from_value(seen["headers"].clone()).unwrap();
    let get = |n: &str| {
        headers
            .iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(get("host"), Some(up.addr.to_string().as_str()));
    assert_eq!(get("authorization"), Some("Basic YWxleGEtc2tpbGw6c2VjcmV0"));
    assert_eq!(
        get("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(get("accept"), Some("application/json"));
    assert_eq!(get("user-agent"), Some("Apache-HttpClient/UNAVAILABLE"));
    assert_eq!(get("x-custom"), Some("Kept As Is"));
    assert_eq!(get("x-forwarded-host"), Some("evil.example"));
    assert_eq!(get("content-length"), Some(body.len().to_string().as_str()));
    for hop in ["x-hop", "keep-alive", "te", "proxy-connection"] {
        assert_eq!(get(hop), None, "{hop} was forwarded");
    }
    assert_ne!(get("connection"), Some("close, X-Hop"));
    // Recorded, the refresh token cut to a hint.
    let body = inspected_until(&app, "client_id=proxy:echo", |b| {
        !proxy_events(b).is_empty()
    })
    .await;
    let event = &proxy_events(&body)[0];
    assert_eq!(event["request"]["form"]["refresh_token"], "Atzr…");
    assert_eq!(event["response"]["headers"]["set-cookie"], "(removed)");
    assert!(!body.to_string().contains("Atzr|abc"));
}

#[tokio::test]
async fn nothing_but_the_configured_upstream_is_ever_reached() {
    let up = echo().await;
    let evil = echo().await;
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let app = proxy_app(vec![
        ("echo", upstream(format!("http://{}/token", up.addr))),
        ("down", upstream(format!("http://127.0.0.1:{closed}/token"))),
    ])
    .await;
    let post = |target: &str, host: &str| {
        format!(
            "POST {target} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
             X-Forwarded-Host: {evil}\r\nForwarded: host={evil}\r\nConnection: close\r\nContent-Length: 3\r\n\r\na=b",
            evil = evil.addr
        )
    };
    let host = host_of(&app).to_owned();
    // Paths that try to leave the configured target: never forwarded.
    for target in [
        "/proxy/echo/token/../../evil".to_owned(),
        "/proxy/echo/token/extra".to_owned(),
        "/proxy/echo%2F..%2Fevil/token".to_owned(),
        "/proxy/echo%2Ftoken".to_owned(),
        format!("/proxy/http:%2F%2F{}/token", evil.addr),
        "/proxy/nope/token".to_owned(),
    ] {
        let (status, head, body) = raw(&app, post(&target, &host).as_bytes()).await;
        assert_eq!(status, 404, "{target}: {head}");
        assert!(
            head.to_ascii_lowercase().contains("application/json"),
            "{target}: {head}"
        );
        let _: Value = serde_json::from_slice(&body).expect("a JSON error");
    }
    let (status, _, body) = raw(&app, post("/proxy/nope/token", &host).as_bytes()).await;
    assert_eq!(status, 404);
    let error: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(error["error"], "not_found");
    // An absolute-form target and forwarding headers naming another host:
    // the configured upstream still gets it.
    let absolute = format!("http://{}/proxy/echo/token", evil.addr);
    let (status, head, body) = raw(&app, post(&absolute, &host).as_bytes()).await;
    assert_eq!(status, 201, "{head}");
    let seen: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(seen["request_line"], "POST /token HTTP/1.1");
    assert_eq!(up.hits.load(Ordering::SeqCst), 1);
    assert_eq!(
        evil.hits.load(Ordering::SeqCst),
        0,
        "the other host was reached"
    );

    // The upstream is down: 502 with a JSON error, recorded.
    let (status, _, body) = raw(&app, post("/proxy/down/token", &host).as_bytes()).await;
    assert_eq!(status, 502);
    let error: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(error["error"], "bad_gateway");
    assert!(error["error_description"]
        .as_str()
        .unwrap()
        .contains("down"));
    let recorded = inspected_until(&app, "client_id=proxy:down", |b| {
        !proxy_events(b).is_empty()
    })
    .await;
    let event = &proxy_events(&recorded)[0];
    assert_eq!(event["status"], 502);
    assert!(event["error"].as_str().unwrap().starts_with("bad_gateway"));
    assert!(event["response"]["failure"].is_string());

    // Only POST at the token URL; no authorize URL configured: 404.
    let res = app.get("/proxy/echo/token").await;
    assert_eq!(res.status(), 405);
    assert_eq!(res.headers()["allow"], "POST");
    let res = app.get("/proxy/echo/authorize?state=x").await;
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn authorize_redirects_to_the_upstream_with_the_query_and_is_recorded() {
    let app = proxy_app(vec![(
        "myskill",
        ProxyUpstream {
            token_url: "https://id.example/oauth/token".into(),
            authorization_url: Some("https://id.example/oauth/authorize?prompt=login".into()),
        },
    )])
    .await;
    let res = app
        .get("/proxy/myskill/authorize?client_id=alexa-skill&state=st%2Bx&response_type=code")
        .await;
    assert_eq!(res.status(), 302);
    assert_eq!(
        location(&res),
        "https://id.example/oauth/authorize?prompt=login&client_id=alexa-skill&state=st%2Bx&response_type=code"
    );
    let body = inspected_until(&app, "client_id=proxy:myskill", |b| {
        !proxy_events(b).is_empty()
    })
    .await;
    let event = &proxy_events(&body)[0];
    assert_eq!(event["status"], 302);
    assert_eq!(event["request"]["query"]["state"], "st+x");
    assert_eq!(event["failed"], false);
}

#[tokio::test]
async fn the_simulators_flow_page_draws_each_exchange_a_failed_one_red() {
    let app = spawn_app().await;
    set_scenario(
        &app,
        json!({"kind": "token_error", "client_id": DEMO_CLIENT, "error": "invalid_grant", "count": 1}),
    )
    .await;
    let id = new_user(&app).await;
    let (url, flow) = enable(&app, &id).await;
    let back = app.browse_and_agree(&url).await;
    let (status, _) = follow_back(&app, &back).await;
    assert_eq!(status, 400);
    let page = app
        .get(&format!("/alexa/flows/{flow}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("<svg"), "{page}");
    // authorize (browser), redirect back, token exchange.
    assert_eq!(page.matches("<a href=\"#exchange-").count(), 3, "{page}");
    for n in 1..=3 {
        assert!(page.contains(&format!("id=\"exchange-{n}\"")), "{page}");
    }
    let token_arrow = page
        .split("<a href=\"#exchange-3\"")
        .nth(1)
        .unwrap()
        .split("</a>")
        .next()
        .unwrap();
    assert!(token_arrow.contains("#c62828"), "{token_arrow}");
    assert!(token_arrow.contains("FAILED 400"), "{token_arrow}");
    let authorize_arrow = page
        .split("<a href=\"#exchange-1\"")
        .nth(1)
        .unwrap()
        .split("</a>")
        .next()
        .unwrap();
    assert!(!authorize_arrow.contains("#c62828"), "{authorize_arrow}");
}

#[tokio::test]
async fn a_proxy_only_instance_serves_the_proxy_and_nothing_of_the_provider() {
    let up = echo().await;
    let app = spawn_app_with(|s| {
        s.roles = vec![mocklink::config::Role::Proxy];
        s.proxy_upstreams = [(
            "echo".to_owned(),
            upstream(format!("http://{}/token", up.addr)),
        )]
        .into();
    })
    .await;
    let res = app
        .http
        .post(format!("{}/proxy/echo/token", app.url))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let res = app.post_form("/api/token", &[("grant_type", "x")]).await;
    assert_eq!(res.status(), 404);
}
