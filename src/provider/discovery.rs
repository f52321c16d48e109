//! Discovery: authorization-server metadata (RFC 8414) and the JWKS.

use crate::domain::SPOTIFY_SCOPES;
use crate::provider::ProviderState;
use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde_json::json;

/// `GET /.well-known/oauth-authorization-server`
#[utoipa::path(
    get,
    path = "/.well-known/oauth-authorization-server",
    tag = "provider",
    responses((status = 200, description = "RFC 8414 metadata", body = crate::provider::docs::ServerMetadata))
)]
pub async fn metadata(state: web::Data<ProviderState>) -> HttpResponse {
    let base = state.settings.public_url();
    HttpResponse::Ok().json(json!({
        "issuer": state.issuer(),
        "authorization_endpoint": format!("{base}/authorize"),
        "token_endpoint": format!("{base}/api/token"),
        "jwks_uri": format!("{base}/.well-known/jwks.json"),
        "revocation_endpoint": format!("{base}/api/revoke"),
        "introspection_endpoint": format!("{base}/api/introspect"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": SPOTIFY_SCOPES.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
        "authorization_response_iss_parameter_supported": true,
        "access_token_signing_alg_values_supported": [state.settings.signing_alg.as_str()],
    }))
}

/// `GET /.well-known/jwks.json`
#[utoipa::path(
    get,
    path = "/.well-known/jwks.json",
    tag = "provider",
    responses((status = 200, description = "Public signing keys", body = crate::provider::docs::Jwks))
)]
pub async fn jwks(state: web::Data<ProviderState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
        .json(state.tokens.keys.jwks())
}
