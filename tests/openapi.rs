//! `/openapi.json` describes every route the app registers.
//!
//! actix-web has no public list of registered routes, so the routes are read
//! from where they are registered: the `configure` functions of each role and
//! `startup::routes`, compiled into this test with `include_str!`. A new
//! `.route("…", web::get()…)`, `web::resource("…")`/`res("…")` with its
//! `.route(web::post()…)` lines, or a path under `web::scope("…")`, fails this
//! test until it is documented (or, for an HTML page, named in
//! `openapi::NOT_DOCUMENTED`, which the document's description lists).

use crate::helpers::*;
use mocklink::config::Role;
use std::collections::BTreeSet;

/// Each file that registers routes.
const SOURCES: &[(&str, &str)] = &[
    ("src/startup/mod.rs", include_str!("../src/startup/mod.rs")),
    (
        "src/provider/mod.rs",
        include_str!("../src/provider/mod.rs"),
    ),
    ("src/api/mod.rs", include_str!("../src/api/mod.rs")),
    ("src/admin/mod.rs", include_str!("../src/admin/mod.rs")),
    (
        "src/admin/pages/mod.rs",
        include_str!("../src/admin/pages/mod.rs"),
    ),
    ("src/skill/mod.rs", include_str!("../src/skill/mod.rs")),
    (
        "src/alexa/routes.rs",
        include_str!("../src/alexa/routes.rs"),
    ),
    ("src/proxy/mod.rs", include_str!("../src/proxy/mod.rs")),
];

/// `{id}`, `{user_id}`, `{tail:.*}` all become `{}`.
fn normalise(path: &str) -> String {
    let mut out = String::new();
    let mut depth = 0;
    for c in path.chars() {
        match c {
            '{' => {
                if depth == 0 {
                    out.push_str("{}");
                }
                depth += 1;
            }
            '}' => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// The string literal starting at `s` (just after the opening quote).
fn literal(s: &str) -> &str {
    &s[..s.find('"').expect("closing quote")]
}

const METHODS: &[&str] = &["get", "post", "put", "delete", "patch", "head"];

/// `web::get()` (after optional whitespace) → `GET`.
fn method_at(s: &str) -> Option<String> {
    let s = s.trim_start().strip_prefix("web::")?;
    METHODS
        .iter()
        .find(|m| s.starts_with(&format!("{m}()")))
        .map(|m| m.to_uppercase())
}

/// (METHOD, path) pairs registered in one source file. A scope prefixes the
/// paths after it; `.route(web::m())` belongs to the last resource.
fn registered_in(source: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut prefix = String::new();
    let mut resource: Option<String> = None;
    let mut i = 0;
    while i < source.len() {
        let rest = &source[i..];
        if let Some(r) = rest.strip_prefix("web::scope(\"") {
            prefix = literal(r).to_owned();
        } else if let Some(r) = rest
            .strip_prefix("web::resource(\"")
            .or_else(|| rest.strip_prefix("res(\""))
        {
            resource = Some(format!("{prefix}{}", literal(r)));
        } else if let Some(r) = rest.strip_prefix(".route(") {
            let r = r.trim_start();
            if let Some(p) = r.strip_prefix('"') {
                let path = literal(p);
                let after = &p[path.len() + 1..];
                let after = after
                    .trim_start()
                    .strip_prefix(',')
                    .expect("route(path, method)");
                let m = method_at(after).unwrap_or_else(|| panic!("method of route {path}"));
                out.push((m, format!("{prefix}{path}")));
            } else if let Some(m) = method_at(r) {
                let path = resource
                    .clone()
                    .expect(".route(web::m()) outside a resource");
                out.push((m, path));
            }
        }
        i += rest.chars().next().map_or(1, char::len_utf8);
    }
    out
}

/// Every registered (METHOD, path). The skill's resource is `/{tail:.*}`
/// guarded by the `skill_path` setting, so it stands for that path.
fn registered(skill_path: &str) -> BTreeSet<(String, String)> {
    let mut all = BTreeSet::new();
    for (file, source) in SOURCES {
        let found = registered_in(source);
        assert!(!found.is_empty(), "no routes found in {file}");
        for (m, p) in found {
            let p = if p == "/{tail:.*}" {
                skill_path.to_owned()
            } else {
                p
            };
            all.insert((m, normalise(&p)));
        }
    }
    all
}

fn documented(doc: &serde_json::Value) -> BTreeSet<(String, String)> {
    let mut all = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for m in METHODS {
            if item.get(*m).is_some() {
                all.insert((m.to_uppercase(), normalise(path)));
            }
        }
    }
    all
}

#[test]
fn the_route_scanner_reads_every_registration_form() {
    let src = r#"
        cfg.route("/a", web::get().to(a))
           .route(
               "/b/{id}",
               web::post().to(b),
           )
           .service(web::resource("/c").route(web::put().to(c)).route(method_not_allowed()));
        cfg.service(web::scope("/v9").service(res("/d/{x:.*}").route(web::delete().to(d))));
    "#;
    let found: BTreeSet<_> = registered_in(src)
        .into_iter()
        .map(|(m, p)| (m, normalise(&p)))
        .collect();
    let want: BTreeSet<_> = [
        ("GET", "/a"),
        ("POST", "/b/{}"),
        ("PUT", "/c"),
        ("DELETE", "/v9/d/{}"),
    ]
    .into_iter()
    .map(|(m, p)| (m.to_owned(), p.to_owned()))
    .collect();
    assert_eq!(found, want);
}

#[tokio::test]
async fn every_registered_route_is_in_openapi_json() {
    let app = spawn_app().await;
    let res = app.get("/openapi.json").await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let doc: serde_json::Value = res.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let description = doc["info"]["description"].as_str().unwrap();
    let documented = documented(&doc);
    let routes = registered(&app.state.settings.skill.path);
    // The scanner must see the whole app, not a fraction of it.
    assert!(routes.len() >= 60, "only {} routes found", routes.len());

    let mut missing = Vec::new();
    for (m, p) in &routes {
        if documented.contains(&(m.clone(), p.clone())) {
            continue;
        }
        let left_out = mocklink::openapi::NOT_DOCUMENTED
            .iter()
            .any(|(lm, lp)| lm == m && normalise(lp) == *p);
        let said = mocklink::openapi::NOT_DOCUMENTED
            .iter()
            .any(|(lm, lp)| lm == m && description.contains(&format!("`{lm} {lp}`")));
        if !(left_out && said) {
            missing.push(format!("{m} {p}"));
        }
    }
    assert!(
        missing.is_empty(),
        "routes missing from /openapi.json: {missing:#?}"
    );

    // And the document describes nothing that is not served.
    let stale: Vec<_> = documented.difference(&routes).collect();
    assert!(
        stale.is_empty(),
        "documented but not registered: {stale:#?}"
    );
    for (m, p) in mocklink::openapi::NOT_DOCUMENTED {
        assert!(
            routes.contains(&(m.to_string(), normalise(p))),
            "NOT_DOCUMENTED names {m} {p}, which is not registered"
        );
    }
}

#[tokio::test]
async fn openapi_json_describes_the_whole_surface_on_a_single_role_instance() {
    let app = spawn_app_with(|s| s.roles = vec![Role::Alexa]).await;
    let doc: serde_json::Value = app.get("/openapi.json").await.json().await.unwrap();
    for path in ["/api/token", "/v1/me", "/alexa/skill", "/alexa/api/users"] {
        assert!(doc["paths"].get(path).is_some(), "{path} missing");
    }
}

#[tokio::test]
async fn openapi_json_documents_the_error_shapes_and_the_bearer_scopes() {
    let app = spawn_app().await;
    let doc: serde_json::Value = app.get("/openapi.json").await.json().await.unwrap();
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        schemas["SpotifyErrorBody"]["properties"]["error"]["$ref"],
        "#/components/schemas/SpotifyError"
    );
    assert!(schemas["OAuthErrorBody"]["properties"]["error_description"].is_object());
    let bearer = &doc["components"]["securitySchemes"]["bearer"];
    assert_eq!(bearer["type"], "oauth2");
    assert!(bearer["flows"]["authorizationCode"]["scopes"]["user-read-playback-state"].is_string());
    let me = &doc["paths"]["/v1/me/player/play"]["put"];
    assert_eq!(me["security"][0]["bearer"][0], "user-modify-playback-state");
    assert_eq!(
        me["responses"]["401"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/SpotifyErrorBody"
    );
    let token = &doc["paths"]["/api/token"]["post"]["requestBody"]["content"];
    assert!(token["application/x-www-form-urlencoded"].is_object());
}

/// The property names of `schema` in the document.
fn properties(doc: &serde_json::Value, schema: &str) -> BTreeSet<String> {
    doc["components"]["schemas"][schema]["properties"]
        .as_object()
        .unwrap_or_else(|| panic!("schema {schema}"))
        .keys()
        .cloned()
        .collect()
}

fn keys(v: &serde_json::Value) -> BTreeSet<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

/// The schemas written for bodies built with `json!` (metadata, introspection)
/// name exactly the fields the handlers send.
#[tokio::test]
async fn documented_schemas_match_what_the_handlers_send() {
    let app = spawn_app().await;
    let doc: serde_json::Value = app.get("/openapi.json").await.json().await.unwrap();
    let metadata: serde_json::Value = app
        .get("/.well-known/oauth-authorization-server")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(keys(&metadata), properties(&doc, "ServerMetadata"));
    let (access, refresh) = app.demo_tokens("user-read-private").await;
    let documented = properties(&doc, "Introspection");
    for token in [&access, &refresh] {
        let sent = keys(&app.introspect(token).await);
        assert!(sent.is_subset(&documented), "{sent:?} vs {documented:?}");
    }
    assert_eq!(keys(&app.introspect(&access).await).len(), documented.len());
    let jwks: serde_json::Value = app
        .get("/.well-known/jwks.json")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(keys(&jwks), properties(&doc, "Jwks"));
    let res = app
        .http
        .post(format!("{}/alexa/api/users/nobody/disable", app.url))
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    let error: serde_json::Value = res.json().await.unwrap();
    assert_eq!(keys(&error), properties(&doc, "AlexaErrorBody"));
}

#[tokio::test]
async fn player_commands_document_their_error_answers() {
    let app = spawn_app().await;
    let doc: serde_json::Value = app.get("/openapi.json").await.json().await.unwrap();
    for (path, method) in [
        ("/v1/me/player/pause", "put"),
        ("/v1/me/player/next", "post"),
        ("/v1/me/player/volume", "put"),
    ] {
        let responses = doc["paths"][path][method]["responses"]
            .as_object()
            .unwrap_or_else(|| panic!("{path}"));
        let codes: Vec<&str> = responses.keys().map(String::as_str).collect();
        assert_eq!(codes, ["204", "400", "401", "403", "404", "405"], "{path}");
        let schema = &responses["403"]["content"]["application/json"]["schema"]["$ref"];
        assert!(
            schema
                .as_str()
                .unwrap_or_default()
                .ends_with("SpotifyErrorBody"),
            "{path}: {schema}"
        );
    }
    let admin = doc["paths"]["/admin/api/clock"]["get"]["responses"]
        .as_object()
        .unwrap();
    let codes: Vec<&str> = admin.keys().map(String::as_str).collect();
    // 429: too many wrong admin passwords (issue 17).
    assert_eq!(codes, ["200", "400", "401", "403", "429"]);
}
