#![allow(dead_code)]
//! Driving the admin pages like a browser without JavaScript: parse the page,
//! fill in a form as rendered, post it with the browser's cookies.

use crate::helpers::*;
use scraper::{ElementRef, Html, Selector};

pub fn sel(css: &str) -> Selector {
    Selector::parse(css).unwrap_or_else(|e| panic!("selector {css}: {e:?}"))
}

/// GETs an admin page with the browser; (status, parsed page).
pub async fn admin_page(app: &TestApp, path: &str) -> (u16, Html) {
    let res = app.get(path).await;
    let status = res.status().as_u16();
    (status, Html::parse_document(&res.text().await.unwrap()))
}

/// The one element matching `css`; panics if there is none or several.
pub fn one<'a>(page: &'a Html, css: &str) -> ElementRef<'a> {
    let selector = sel(css);
    let mut found = page.select(&selector);
    let first = found
        .next()
        .unwrap_or_else(|| panic!("no element {css} in {}", page.html()));
    assert!(found.next().is_none(), "more than one {css}");
    first
}

pub fn text(e: ElementRef<'_>) -> String {
    e.text()
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn attr(e: ElementRef<'_>, name: &str) -> String {
    e.value().attr(name).unwrap_or_default().to_owned()
}

/// What a browser sends for `form`: named inputs (checkboxes only when
/// checked), each select's selected option (or its first); `set` overrides.
pub fn form_fields(form: ElementRef<'_>, set: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = Vec::new();
    for input in form.select(&sel("input[name]")) {
        let kind = attr(input, "type");
        if kind == "checkbox" && input.value().attr("checked").is_none() {
            continue;
        }
        fields.push((attr(input, "name"), attr(input, "value")));
    }
    for select in form.select(&sel("select[name]")) {
        let options: Vec<_> = select.select(&sel("option")).collect();
        let chosen = options
            .iter()
            .find(|o| o.value().attr("selected").is_some())
            .or(options.first())
            .map(|o| attr(*o, "value"))
            .unwrap_or_default();
        fields.push((attr(select, "name"), chosen));
    }
    for (k, v) in set {
        fields.retain(|(name, _)| name != k);
        fields.push(((*k).to_owned(), (*v).to_owned()));
    }
    fields
}

/// Opens `page_path`, fills in the form matching `form_css` and submits it
/// with the browser (its cookies included).
pub async fn submit(
    app: &TestApp,
    page_path: &str,
    form_css: &str,
    set: &[(&str, &str)],
) -> reqwest::Response {
    let (status, page) = admin_page(app, page_path).await;
    assert_eq!(status, 200, "{}", page.html());
    let form = one(&page, form_css);
    assert_eq!(attr(form, "method"), "post");
    let action = attr(form, "action");
    let fields = form_fields(form, set);
    app.browser
        .post(format!("{}{}", app.url, action))
        .form(&fields)
        .send()
        .await
        .unwrap()
}

/// Submits and expects the 303 back to a page; returns the Location.
pub async fn click(app: &TestApp, page_path: &str, form_css: &str, set: &[(&str, &str)]) -> String {
    let res = submit(app, page_path, form_css, set).await;
    let status = res.status().as_u16();
    let location = res
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned());
    assert_eq!(status, 303, "{}", res.text().await.unwrap());
    location.unwrap()
}

pub const ADMIN_PAGES: &[&str] = &[
    "/admin",
    "/admin/users",
    "/admin/clients",
    "/admin/grants",
    "/admin/scenarios",
    "/admin/keys",
    "/admin/clock",
];
