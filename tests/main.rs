//! The integration suite: one binary, one module per capability. Every test
//! starts the real app on a random port through `helpers::spawn_app`.

mod helpers;

mod cli;
mod compose;
mod durability;
mod multi_instance;
mod provider_authorize;
mod provider_flow;
mod provider_token;
mod security_properties;
mod security_provider;
mod security_transport;
