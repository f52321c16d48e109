//! The integration suite: one binary, one module per capability. Every test
//! starts the real app on a random port through `helpers::spawn_app`.

mod helpers;

mod admin_ui_support;

mod alexa_demo;
mod alexa_exact;
mod alexa_link;
mod alexa_node_sdk;
mod alexa_refresh;
mod alexa_support;
mod alexa_talk;
mod alexa_web;
mod api_clients;
mod api_compat;
mod api_errors;
mod api_player;
mod api_scopes;
mod api_support;
mod architecture;
mod browser;
mod browser_support;
mod cli;
mod compose;
mod config_keys;
mod doctor_provider;
mod durability;
mod multi_instance;
mod openapi;
mod perf_paths;
mod provider_authorize;
mod provider_flow;
mod provider_token;
mod security_authorize;
mod security_endpoints;
mod security_input;
mod security_jwt_api;
mod security_login;
mod security_properties;
mod security_properties_api;
mod security_token;
mod security_transport;
mod security_tunnel;
mod skill_endpoint;
mod skill_envelope;
mod skill_signature;
mod skill_support;
mod story_end_to_end;
mod toolbox_admin;
mod toolbox_admin_ui;
mod toolbox_clock;
mod toolbox_inspector;
mod toolbox_metrics;
mod toolbox_personas;
mod toolbox_scenarios;
mod toolbox_support;
