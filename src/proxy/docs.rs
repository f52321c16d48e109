//! Schemas of the proxy's own JSON, for the OpenAPI document.

use serde::Serialize;
use utoipa::ToSchema;

/// The proxy's own error: `not_found` (no such upstream), `bad_gateway`
/// (the upstream could not be reached, timed out, failed TLS or answered
/// too much), `method_not_allowed`.
#[derive(Serialize, ToSchema)]
pub struct ProxyErrorBody {
    pub error: String,
    pub error_description: String,
}
