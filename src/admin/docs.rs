//! Schemas of the toolbox's JSON answers, for the OpenAPI document.

/// The error answers every admin call shares (`{"error", "error_description"}`).
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // a description for the document, never built
pub enum AdminErrors {
    #[response(status = 400, description = "Bad input")]
    BadRequest(serde_json::Value),
    #[response(status = 401, description = "Admin password required")]
    Unauthorized(serde_json::Value),
    #[response(
        status = 403,
        description = "Not from loopback and no admin password set"
    )]
    Forbidden(serde_json::Value),
}
