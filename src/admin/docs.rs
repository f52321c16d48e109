//! Schemas of the toolbox's JSON answers, for the OpenAPI document.

/// The error answers every admin call shares (`{"error", "error_description"}`).
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // a description for the document, never built
pub enum AdminErrors {
    #[response(
        status = 400,
        description = "Bad input, or a POST without `Content-Type: application/json`"
    )]
    BadRequest(serde_json::Value),
    #[response(status = 401, description = "Admin password required")]
    Unauthorized(serde_json::Value),
    #[response(
        status = 403,
        description = "Not from this machine while no admin password is set, or a cross-site `Origin`/`Sec-Fetch-Site`"
    )]
    Forbidden(serde_json::Value),
    #[response(
        status = 429,
        description = "Too many wrong admin passwords from this address (`Retry-After`)"
    )]
    TooManyRequests(serde_json::Value),
}
