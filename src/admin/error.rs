//! The admin API's errors: `{"error": "...", "error_description": "..."}`.

use crate::store::StoreError;
use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// No or wrong admin password.
    #[error("{0}")]
    Unauthorized(String),
    /// No password is configured and the caller is not on loopback.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    BadRequest(String),
    /// Too many wrong admin passwords from this address; seconds to wait.
    #[error("too many wrong admin passwords; try again in {0} s")]
    TooManyAttempts(i64),
    #[error("{0}")]
    NotFound(String),
    #[error("the database is unavailable; try again shortly")]
    Unavailable(#[from] StoreError),
    #[error("{0}")]
    Internal(String),
}

impl AdminError {
    pub fn bad(msg: impl Into<String>) -> Self {
        Self::BadRequest(msg.into())
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthorized(_) => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::BadRequest(_) => "invalid_request",
            Self::TooManyAttempts(_) => "too_many_requests",
            Self::NotFound(_) => "not_found",
            Self::Unavailable(_) => "temporarily_unavailable",
            Self::Internal(_) => "server_error",
        }
    }
}

impl ResponseError for AdminError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::TooManyAttempts(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Unavailable(e) => tracing::error!(error = %e, "admin API: database error"),
            Self::Internal(e) => tracing::error!(error = %e, "admin API: internal error"),
            _ => {}
        }
        let mut res = HttpResponse::build(self.status_code());
        res.insert_header((header::CACHE_CONTROL, "no-store"));
        if let Self::Unauthorized(_) = self {
            res.insert_header((header::WWW_AUTHENTICATE, "Basic realm=\"mocklink admin\""));
        }
        match self {
            Self::Unavailable(_) => {
                res.insert_header((header::RETRY_AFTER, "1"));
            }
            Self::TooManyAttempts(wait) => {
                res.insert_header((header::RETRY_AFTER, wait.to_string()));
            }
            _ => {}
        }
        res.json(serde_json::json!({
            "error": self.code(),
            "error_description": self.to_string(),
        }))
    }
}
