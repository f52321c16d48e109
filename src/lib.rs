//! mocklink: a mock Spotify-like account-linking OAuth provider, its Web API,
//! a bundled Alexa skill and a simulator of Alexa's side, in one crate.

pub mod admin;
pub mod alexa;
pub mod api;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod config;
pub mod domain;
pub mod inspector;
pub mod metrics;
pub mod openapi;
pub mod provider;
pub mod skill;
pub mod startup;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod testing;
