//! Schemas of the simulator's JSON, for the OpenAPI document.

use serde::Serialize;
use utoipa::ToSchema;

/// The simulator's error body.
#[derive(Serialize, ToSchema)]
pub struct AlexaErrorBody {
    /// `not_found`, `bad_request`, `csrf`, `state_mismatch`, `provider_error`,
    /// `token_exchange_failed`, `misconfigured`, `unavailable`.
    pub error: String,
    pub error_description: String,
}

/// `POST /alexa/api/users/{id}/disable`.
#[derive(Serialize, ToSchema)]
pub struct Unlinked {
    pub unlinked: bool,
}
