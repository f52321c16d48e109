//! Schemas of the provider's JSON, for the OpenAPI document.

use serde::Serialize;
use utoipa::ToSchema;

/// RFC 6749 §5.2 error body (the provider's token, revocation and introspection endpoints).
#[derive(Serialize, ToSchema)]
pub struct OAuthErrorBody {
    /// `invalid_request`, `invalid_client`, `invalid_grant`, `unauthorized_client`,
    /// `unsupported_grant_type`, `invalid_scope`, `temporarily_unavailable`, ...
    pub error: String,
    pub error_description: Option<String>,
}

/// `POST /api/token` form parameters (RFC 6749 §4.1.3, §4.4.2, §6).
#[derive(Serialize, ToSchema)]
pub struct TokenForm {
    /// `authorization_code`, `refresh_token` or `client_credentials`.
    pub grant_type: String,
    pub code: Option<String>,
    pub redirect_uri: Option<String>,
    /// PKCE verifier, `[A-Za-z0-9._~-]{43,128}`.
    pub code_verifier: Option<String>,
    pub refresh_token: Option<String>,
    pub scope: Option<String>,
    /// With `client_secret_post` (never together with Basic credentials).
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
}

/// `POST /api/revoke` and `/api/introspect` form parameters (RFC 7009, RFC 7662).
#[derive(Serialize, ToSchema)]
pub struct TokenRefForm {
    pub token: String,
    /// `access_token` or `refresh_token`; a hint only.
    pub token_type_hint: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
}

/// RFC 7662 introspection response; inactive tokens are `{"active": false}` only.
#[derive(Serialize, ToSchema)]
pub struct Introspection {
    pub active: bool,
    pub scope: Option<String>,
    pub client_id: Option<String>,
    pub username: Option<String>,
    /// `Bearer` or `refresh_token`.
    pub token_type: Option<String>,
    pub exp: Option<i64>,
    pub iat: Option<i64>,
    pub sub: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub aud: Option<serde_json::Value>,
    pub iss: Option<String>,
    pub jti: Option<String>,
}

/// RFC 8414 authorization server metadata.
#[derive(Serialize, ToSchema)]
pub struct ServerMetadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    pub revocation_endpoint: String,
    pub introspection_endpoint: String,
    pub response_types_supported: Vec<String>,
    pub response_modes_supported: Vec<String>,
    pub grant_types_supported: Vec<String>,
    pub token_endpoint_auth_methods_supported: Vec<String>,
    pub revocation_endpoint_auth_methods_supported: Vec<String>,
    pub introspection_endpoint_auth_methods_supported: Vec<String>,
    pub code_challenge_methods_supported: Vec<String>,
    pub scopes_supported: Vec<String>,
    pub authorization_response_iss_parameter_supported: bool,
    pub access_token_signing_alg_values_supported: Vec<String>,
}

/// RFC 7517 JSON Web Key Set.
#[derive(Serialize, ToSchema)]
pub struct Jwks {
    /// Public keys (`kty`, `kid`, `use`, `alg`, and `n`/`e` or `crv`/`x`/`y`).
    #[schema(value_type = Vec<Object>)]
    pub keys: Vec<serde_json::Value>,
}
