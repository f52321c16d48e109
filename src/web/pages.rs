//! Answers every HTML surface shares: a rendered page with the no-store
//! policy, a redirect, and the one readable error page.

use actix_web::http::{header, StatusCode};
use actix_web::HttpResponse;
use askama::Template;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
    /// What to check next, when there is something useful to say.
    hint: Option<&'a str>,
}

/// The readable error page every HTML surface shows.
pub fn error_page(status: StatusCode, title: &str, message: &str) -> HttpResponse {
    error_page_with_hint(status, title, message, None)
}

/// Renders a page with the no-store policy every page gets.
pub fn html(status: StatusCode, page: &impl Template) -> HttpResponse {
    match page.render() {
        Ok(body) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(body),
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            HttpResponse::InternalServerError()
                .content_type("text/plain; charset=utf-8")
                .body("internal error: a page could not be rendered")
        }
    }
}

/// The error page with a hint: what to check next.
pub fn error_page_with_hint(
    status: StatusCode,
    title: &str,
    message: &str,
    hint: Option<&str>,
) -> HttpResponse {
    html(
        status,
        &ErrorPage {
            title,
            message,
            hint,
        },
    )
}

/// A redirect; 303 after a form POST so the browser never re-posts the password.
pub fn redirect(status: StatusCode, location: &str) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}
