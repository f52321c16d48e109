//! The accounts service: what a skill developer pastes into the Alexa console.

pub mod account;
pub mod authorize;
pub mod client_auth;
pub mod discovery;
pub mod docs;
pub mod error;
pub mod introspection;
pub mod login;
pub mod params;
pub mod revocation;
pub mod session;
pub mod token;

use crate::clock::Clock;
use crate::config::Settings;
use crate::faults::Faults;
use crate::metrics::Metrics;
use crate::oauth::Tokens;
use crate::store::Store;
use actix_web::web;
use error::{OAuthError, PageError};
use std::sync::Arc;

/// What the provider's handlers use.
#[derive(Clone)]
pub struct ProviderState {
    pub settings: Arc<Settings>,
    pub store: Store,
    pub clock: Clock,
    /// Issues the access tokens (and verifies them at revocation and introspection).
    pub tokens: Tokens,
    /// Signs the anonymous CSRF cookie of the login form.
    pub csrf_key: session::CsrfKey,
    /// Scripted faults at the token endpoint, login and consent.
    pub faults: Faults,
    /// Token-endpoint outcomes for /metrics.
    pub metrics: Metrics,
}

impl ProviderState {
    /// The issuer: this server's public base URL.
    pub fn issuer(&self) -> String {
        self.settings.issuer()
    }
}

const STYLE_CSS: &str = include_str!("../../assets/style.css");

/// Registers the provider's routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    // Browser forms: small bodies, readable error pages.
    let form_config = web::FormConfig::default()
        .limit(params::MAX_FORM_BYTES)
        .error_handler(|err, _| match err {
            actix_web::error::UrlencodedError::Overflow { .. } => PageError::TooLarge.into(),
            other => PageError::BadRequest(format!("The form could not be read: {other}")).into(),
        });
    let method_not_allowed = || {
        web::route()
            .to(|| async { Err::<actix_web::HttpResponse, _>(OAuthError::MethodNotAllowed) })
    };
    cfg.app_data(form_config)
        .route("/", web::get().to(account::home))
        .route("/assets/style.css", web::get().to(style))
        .route("/authorize", web::get().to(authorize::authorize))
        .route("/login", web::post().to(login::login))
        .route("/consent", web::post().to(authorize::consent))
        .route("/account/apps", web::get().to(account::linked_apps))
        .route("/account/apps/unlink", web::post().to(account::unlink))
        .service(
            web::resource("/api/token")
                .route(web::post().to(token::token))
                .route(method_not_allowed()),
        )
        .service(
            web::resource("/api/revoke")
                .route(web::post().to(revocation::revoke))
                .route(method_not_allowed()),
        )
        .service(
            web::resource("/api/introspect")
                .route(web::post().to(introspection::introspect))
                .route(method_not_allowed()),
        )
        // Resources rather than `.route(path, …)`, whose method guard would
        // make other methods a 404: these answer 405 with `Allow: GET`.
        .service(
            web::resource("/.well-known/oauth-authorization-server")
                .route(web::get().to(discovery::metadata)),
        )
        .service(web::resource("/.well-known/jwks.json").route(web::get().to(discovery::jwks)));
}

async fn style() -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(STYLE_CSS)
}
