//! The integration suite: one binary, one module per capability. Every test
//! starts the real app on a random port through `helpers::spawn_app`.

mod helpers;

mod provider_authorize;
mod provider_flow;
mod provider_token;

mod api_compat;
mod api_errors;
mod api_player;
mod api_scopes;
mod api_support;
