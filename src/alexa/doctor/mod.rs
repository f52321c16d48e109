//! The account-linking doctor: Alexa's exact client run against any
//! provider (`provider`) or skill, explaining every failure as findings of
//! `linkcheck`. This file only declares the parts and the helpers they share.

mod authorization;
pub mod html;
mod login;
pub(crate) mod page;
pub mod provider;
mod record;
pub(crate) mod skill_page;
mod tls;

pub mod skill;
pub mod skill_answers;
pub mod skill_api;
pub mod skill_probe;
pub mod skill_schema;

pub use provider::{Authorize, ProviderInput};

/// Now, as a report's `started_at`.
pub fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
