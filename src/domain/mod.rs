//! The core vocabulary, owned by no role. Validated newtypes, each built only
//! by a fallible `parse` at the edge, so handlers and the store never see an
//! unchecked string; and plain settings values (signing algorithm, scenario).

mod client_id;
mod redirect_uri;
mod scenario;
mod scope;
mod secret;
mod signing_alg;
mod username;

pub use client_id::ClientId;
pub use redirect_uri::RedirectUri;
pub use scenario::{ScenarioKind, ScenarioSpec};
pub use scope::{Scope, Scopes, SPOTIFY_SCOPES};
pub use secret::Secret;
pub use signing_alg::SigningAlg;
pub use username::Username;

/// Why a value was rejected; the message is safe to show to the caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);

impl ParseError {
    pub(crate) fn new(msg: impl Into<String>) -> Self {
        Self(msg.into())
    }
}
