//! The provider's errors, each mapped to its protocol's shape: RFC 6749 §5.2
//! JSON at the token, revocation and introspection endpoints; an HTML page or
//! an error redirect at /authorize; an HTML page for the account pages.

use crate::domain::RedirectUri;
use crate::store::StoreError;
use crate::web::pages::{error_page_with_hint, redirect};
use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};

/// Errors of the token, revocation and introspection endpoints.
#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    #[error("invalid_request: {0}")]
    InvalidRequest(String),
    /// Bad or missing client authentication; always 401 with a Basic challenge.
    #[error("invalid_client: {0}")]
    InvalidClient(String),
    #[error("invalid_grant: {0}")]
    InvalidGrant(String),
    #[error("unauthorized_client: {0}")]
    UnauthorizedClient(String),
    #[error("unsupported_grant_type: {0}")]
    UnsupportedGrantType(String),
    #[error("invalid_scope: {0}")]
    InvalidScope(String),
    #[error("unsupported_token_type: {0}")]
    UnsupportedTokenType(String),
    #[error("request body larger than {0} bytes")]
    PayloadTooLarge(usize),
    /// Too many failed client authentications; retry after this many seconds.
    #[error("too many failed client authentications; retry in {0} seconds")]
    TooManyAttempts(i64),
    #[error("method not allowed; use POST")]
    MethodNotAllowed,
    #[error("temporarily_unavailable: {0}")]
    Unavailable(#[from] StoreError),
    #[error("server_error: {0}")]
    Internal(String),
    /// A failure scripted by an admin scenario (`admin::scenarios`).
    #[error("{error}: {description}")]
    Scripted {
        status: u16,
        error: &'static str,
        description: String,
    },
}

impl OAuthError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidRequest(_) | Self::PayloadTooLarge(_) | Self::MethodNotAllowed => {
                "invalid_request"
            }
            Self::InvalidClient(_) | Self::TooManyAttempts(_) => "invalid_client",
            Self::InvalidGrant(_) => "invalid_grant",
            Self::UnauthorizedClient(_) => "unauthorized_client",
            Self::UnsupportedGrantType(_) => "unsupported_grant_type",
            Self::InvalidScope(_) => "invalid_scope",
            Self::UnsupportedTokenType(_) => "unsupported_token_type",
            Self::Unavailable(_) => "temporarily_unavailable",
            Self::Internal(_) => "server_error",
            Self::Scripted { error, .. } => error,
        }
    }

    fn description(&self) -> String {
        match self {
            Self::InvalidRequest(d)
            | Self::InvalidClient(d)
            | Self::InvalidGrant(d)
            | Self::UnauthorizedClient(d)
            | Self::UnsupportedGrantType(d)
            | Self::InvalidScope(d)
            | Self::UnsupportedTokenType(d)
            | Self::Scripted { description: d, .. } => d.clone(),
            Self::Unavailable(_) => "The database is unavailable; try again shortly".into(),
            // The detail goes to the log (see error_response), not to clients.
            Self::Internal(_) => "Internal server error".into(),
            other => other.to_string(),
        }
    }
}

impl ResponseError for OAuthError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::InvalidClient(_) => StatusCode::UNAUTHORIZED,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::TooManyAttempts(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Scripted { status, .. } => {
                StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            }
            _ => StatusCode::BAD_REQUEST,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Unavailable(e) => {
                tracing::error!(error = %e, "database error at an OAuth endpoint")
            }
            Self::Internal(e) => tracing::error!(error = %e, "internal error at an OAuth endpoint"),
            _ => {}
        }
        let mut res = HttpResponse::build(self.status_code());
        res.insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((header::PRAGMA, "no-cache"));
        match self {
            Self::InvalidClient(_) => {
                res.insert_header((header::WWW_AUTHENTICATE, "Basic realm=\"mocklink\""));
            }
            Self::MethodNotAllowed => {
                res.insert_header((header::ALLOW, "POST"));
            }
            Self::TooManyAttempts(wait) => {
                res.insert_header((header::RETRY_AFTER, wait.to_string()));
            }
            Self::Unavailable(_) => {
                res.insert_header((header::RETRY_AFTER, "1"));
            }
            Self::Scripted { status: 401, .. } => {
                res.insert_header((header::WWW_AUTHENTICATE, "Basic realm=\"mocklink\""));
            }
            Self::Scripted { status: 503, .. } => {
                res.insert_header((header::RETRY_AFTER, "1"));
            }
            _ => {}
        }
        res.json(serde_json::json!({
            "error": self.code(),
            "error_description": self.description(),
        }))
    }
}

/// For a link that names an unknown client or redirect URI, the fix is
/// almost always in the app's settings, not in the browser.
const SETTINGS_HINT: &str = "If you followed a link from an app, the app's account-linking \
     settings (client id, redirect URI) may not match what this server has registered.";

/// An error shown to a person in the browser as a readable page.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// Unknown client or unregistered redirect URI: never redirect (RFC 6749 §4.1.2.1).
    #[error("{0}")]
    InvalidClient(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("The form is larger than this server accepts.")]
    TooLarge,
    /// A form arrived without the CSRF token of its session.
    #[error("This form has expired or was not sent by this site. Go back, reload the page and try again.")]
    Csrf,
    #[error("The service is temporarily unavailable. Try again in a moment.")]
    Unavailable(#[from] StoreError),
    #[error("Something went wrong on our side.")]
    Internal(String),
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::InvalidClient(_) | Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Csrf => StatusCode::FORBIDDEN,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Unavailable(e) => tracing::error!(error = %e, "database error on a page"),
            Self::Internal(e) => tracing::error!(error = %e, "internal error on a page"),
            _ => {}
        }
        let title = match self {
            Self::InvalidClient(_) => "INVALID_CLIENT",
            Self::BadRequest(_) => "Bad request",
            Self::TooLarge => "Too large",
            Self::Csrf => "Form expired",
            Self::Unavailable(_) => "Temporarily unavailable",
            Self::Internal(_) => "Error",
        };
        error_page_with_hint(
            self.status_code(),
            title,
            &self.to_string(),
            matches!(self, Self::InvalidClient(_)).then_some(SETTINGS_HINT),
        )
    }
}

/// An error at /authorize once client and redirect URI are known good: it
/// travels back to the client in the redirect (RFC 6749 §4.1.2.1, RFC 9207).
#[derive(Debug)]
pub struct RedirectError {
    pub redirect_uri: RedirectUri,
    pub state: Option<String>,
    pub error: &'static str,
    pub description: String,
    pub issuer: String,
}

/// An /authorize failure: a page, or a redirect back to the client.
#[derive(Debug, thiserror::Error)]
pub enum AuthorizeError {
    #[error(transparent)]
    Page(#[from] PageError),
    #[error("{}: {}", .0.error, .0.description)]
    Redirect(Box<RedirectError>),
}

impl From<StoreError> for AuthorizeError {
    fn from(e: StoreError) -> Self {
        Self::Page(e.into())
    }
}

impl ResponseError for AuthorizeError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Page(p) => p.status_code(),
            Self::Redirect(_) => StatusCode::SEE_OTHER,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Page(p) => p.error_response(),
            Self::Redirect(r) => {
                let mut params = vec![
                    ("error", r.error),
                    ("error_description", r.description.as_str()),
                ];
                if let Some(state) = &r.state {
                    params.push(("state", state));
                }
                params.push(("iss", &r.issuer));
                redirect(StatusCode::SEE_OTHER, &r.redirect_uri.with_params(&params))
            }
        }
    }
}
