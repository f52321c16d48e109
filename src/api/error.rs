//! The api's errors in Spotify's shape: `{"error":{"status":..,"message":..}}`,
//! plus `reason` for player commands, and RFC 6750 challenges on 401/403.

use crate::store::StoreError;
use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

pub const REALM: &str = "mocklink";

/// Spotify's player failure reasons that this mock produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlayerReason {
    PremiumRequired,
    NoActiveDevice,
    AlreadyPaused,
    NoNextTrack,
    NoPrevTrack,
    VolumeControlDisallow,
}

impl PlayerReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PremiumRequired => "PREMIUM_REQUIRED",
            Self::NoActiveDevice => "NO_ACTIVE_DEVICE",
            Self::AlreadyPaused => "ALREADY_PAUSED",
            Self::NoNextTrack => "NO_NEXT_TRACK",
            Self::NoPrevTrack => "NO_PREV_TRACK",
            Self::VolumeControlDisallow => "VOLUME_CONTROL_DISALLOW",
        }
    }
}

#[derive(Serialize)]
struct ErrorBody {
    error: ErrorObject,
}

/// Spotify's error object, fields in Spotify's order.
#[derive(Serialize)]
struct ErrorObject {
    status: u16,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'static str>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("No token provided")]
    NoToken,
    /// The Authorization header is not `Bearer <token>`.
    #[error("Only valid bearer authentication supported")]
    NotBearer,
    /// Header and query (or body) token at once (RFC 6750 §2).
    #[error("Only one authentication method may be used")]
    TwoMethods,
    #[error("Invalid access token")]
    InvalidToken,
    #[error("The access token expired")]
    ExpiredToken,
    /// A client-credentials token on an endpoint about "the current user".
    #[error("Valid user authentication required")]
    UserRequired,
    #[error("Insufficient client scope")]
    InsufficientScope(&'static str),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("Player command failed: {message}")]
    Player {
        status: StatusCode,
        reason: PlayerReason,
        message: &'static str,
    },
    #[error("Method not allowed")]
    MethodNotAllowed,
    #[error("Request body too large")]
    PayloadTooLarge,
    /// A player command lost the race against concurrent ones too often.
    #[error("Too many concurrent player commands; retry")]
    Busy,
    #[error("Service unavailable")]
    Unavailable(#[from] StoreError),
    /// A failure scripted by an admin scenario (`admin::scenarios`).
    #[error("{}", scripted_message(*status))]
    Scripted {
        status: StatusCode,
        retry_after: Option<i64>,
    },
}

/// Spotify's wording for the statuses scenarios usually script.
fn scripted_message(status: StatusCode) -> &'static str {
    match status.as_u16() {
        401 => "The access token expired",
        429 => "API rate limit exceeded",
        500 => "Server error.",
        502 => "Bad gateway.",
        503 => "Service unavailable",
        _ => status.canonical_reason().unwrap_or("Error"),
    }
}

impl ApiError {
    pub fn bad(msg: impl Into<String>) -> Self {
        Self::BadRequest(msg.into())
    }

    pub fn not_found() -> Self {
        Self::NotFound("Resource not found".into())
    }

    pub fn player(reason: PlayerReason) -> Self {
        let (status, message) = match reason {
            PlayerReason::PremiumRequired => (StatusCode::FORBIDDEN, "Premium required"),
            PlayerReason::NoActiveDevice => (StatusCode::NOT_FOUND, "No active device found"),
            PlayerReason::AlreadyPaused => (StatusCode::FORBIDDEN, "Restriction violated"),
            PlayerReason::NoNextTrack => (StatusCode::FORBIDDEN, "Restriction violated"),
            PlayerReason::NoPrevTrack => (StatusCode::FORBIDDEN, "Restriction violated"),
            PlayerReason::VolumeControlDisallow => {
                (StatusCode::FORBIDDEN, "Cannot control device volume")
            }
        };
        Self::Player {
            status,
            reason,
            message,
        }
    }

    fn challenge(&self) -> Option<String> {
        match self {
            Self::NoToken => Some(format!("Bearer realm=\"{REALM}\"")),
            Self::NotBearer | Self::TwoMethods => Some(format!(
                "Bearer realm=\"{REALM}\", error=\"invalid_request\""
            )),
            Self::Scripted { status, .. } if *status == StatusCode::UNAUTHORIZED => Some(format!(
                "Bearer realm=\"{REALM}\", error=\"invalid_token\", error_description=\"{self}\""
            )),
            Self::InvalidToken | Self::ExpiredToken | Self::UserRequired => Some(format!(
                "Bearer realm=\"{REALM}\", error=\"invalid_token\", error_description=\"{self}\""
            )),
            Self::InsufficientScope(scope) => Some(format!(
                "Bearer realm=\"{REALM}\", error=\"insufficient_scope\", scope=\"{scope}\""
            )),
            _ => None,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::NotBearer | Self::TwoMethods | Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::NoToken | Self::InvalidToken | Self::ExpiredToken | Self::UserRequired => {
                StatusCode::UNAUTHORIZED
            }
            Self::InsufficientScope(_) | Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Player { status, .. } => *status,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unavailable(_) | Self::Busy => StatusCode::SERVICE_UNAVAILABLE,
            Self::Scripted { status, .. } => *status,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if let Self::Unavailable(e) = self {
            tracing::error!(error = %e, "api request failed on the store");
        }
        let error = ErrorObject {
            status: status.as_u16(),
            message: self.to_string(),
            reason: match self {
                Self::Player { reason, .. } => Some(reason.as_str()),
                _ => None,
            },
        };
        let mut res = HttpResponse::build(status);
        if let Some(c) = self.challenge() {
            res.insert_header((header::WWW_AUTHENTICATE, c));
        }
        match self {
            Self::Scripted {
                retry_after: Some(s),
                ..
            } => {
                res.insert_header((header::RETRY_AFTER, s.to_string()));
            }
            Self::Scripted { .. } => {}
            _ if status == StatusCode::SERVICE_UNAVAILABLE => {
                res.insert_header((header::RETRY_AFTER, "1"));
            }
            _ => {}
        }
        res.insert_header((header::CACHE_CONTROL, "no-store"));
        res.json(ErrorBody { error })
    }
}
