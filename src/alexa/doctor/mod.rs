//! The account-linking doctor: Amazon's checks run against a provider or a
//! skill, as a report of steps and findings (`linkcheck`).

pub mod skill;
pub mod skill_answers;
pub mod skill_api;
pub mod skill_probe;
pub mod skill_schema;
