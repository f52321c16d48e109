//! The API explorer at `/docs` over HTTP: its page, its own CSP, its files
//! from inside the binary (gzipped or not), and the links to it. The
//! browser test (`browser::browser_api_explorer_renders_the_openapi_document`)
//! shows it renders.

use crate::helpers::*;
use mocklink::config::Role;

#[tokio::test]
async fn the_explorer_page_loads_only_its_own_files_under_its_own_csp() {
    let app = spawn_app().await;
    let res = app.get("/docs").await;
    assert_eq!(res.status(), 200);
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    for directive in [
        "default-src 'none'",
        "script-src 'self';",
        "style-src 'self';",
        "connect-src 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(directive), "{directive} in {csp}");
    }
    assert!(!csp.contains("unsafe"), "{csp}");
    let html = res.text().await.unwrap();
    let page = scraper::Html::parse_document(&html);
    let sel = |css| scraper::Selector::parse(css).unwrap();
    assert!(
        page.select(&sel("script:not([src])")).next().is_none(),
        "no inline script"
    );
    let mut files: Vec<String> = page
        .select(&sel("script[src], link[rel=stylesheet]"))
        .map(|e| {
            let v = e.value();
            v.attr("src").or(v.attr("href")).unwrap().to_owned()
        })
        .collect();
    files.sort();
    assert_eq!(files.len(), 3, "{files:?}");
    for file in &files {
        assert!(file.starts_with("docs/"), "relative, same origin: {file}");
        let res = app.get(&format!("/{file}")).await;
        assert_eq!(res.status(), 200, "{file}");
        assert!(res.headers().get("content-encoding").is_none());
        assert!(!res.bytes().await.unwrap().is_empty(), "{file}");
    }
}

#[tokio::test]
async fn the_vendored_files_go_gzipped_to_clients_that_take_gzip() {
    let app = spawn_app().await;
    for (path, kind) in [
        ("/docs/swagger-ui-bundle.js", "text/javascript"),
        ("/docs/swagger-ui.css", "text/css"),
    ] {
        let gz = app
            .http
            .get(format!("{}{path}", app.url))
            .header("accept-encoding", "gzip, deflate, br")
            .send()
            .await
            .unwrap();
        assert_eq!(gz.headers()["content-encoding"], "gzip", "{path}");
        assert_eq!(gz.headers()["vary"], "Accept-Encoding", "{path}");
        assert!(gz.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with(kind));
        let gz = gz.bytes().await.unwrap();
        assert_eq!(&gz[..2], [0x1f, 0x8b], "{path} is gzip");
        let plain = app.get(path).await.bytes().await.unwrap();
        assert!(
            plain.len() > 3 * gz.len(),
            "{path}: inflated for the others"
        );
    }
}

#[tokio::test]
async fn every_instance_serves_the_explorer_and_the_pages_link_to_it() {
    let api_only = spawn_app_with(|s| s.roles = vec![Role::Api]).await;
    assert_eq!(api_only.get("/docs").await.status(), 200);
    assert_eq!(api_only.get("/openapi.json").await.status(), 200);

    let app = spawn_app().await;
    for page in ["/", "/admin"] {
        let html = app.get(page).await.text().await.unwrap();
        assert!(html.contains("href=\"/docs\""), "{page} links to /docs");
    }
}
