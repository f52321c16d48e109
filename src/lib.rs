//! mocklink: a mock Spotify-like account-linking OAuth provider, its Web API,
//! a bundled Alexa skill and a simulator of Alexa's side, in one crate.
//!
//! The layers, lowest first (`docs/architecture.md` has the picture; the test
//! `tests/architecture.rs` enforces it):
//! - core, knowing no role: `domain`, `clock`, `config`, `store`;
//! - shared pieces, owned by no role: `wire` (Alexa's JSON), `web` (pages,
//!   CSRF, client address), `oauth` (keys, tokens, passwords, throttling),
//!   `faults` (scripted failures), `inspector` (flow recording), `metrics`,
//!   `telemetry`, `ops` (health endpoints);
//! - the roles, which never import each other: `provider`, `api`, `skill`,
//!   `alexa` (the simulator), `admin` (the toolbox);
//! - composition: `startup` (builds each role's state and mounts it),
//!   `openapi` (collects the roles' documents), `cli`, `commands`, `testing`.

// core
pub mod clock;
pub mod config;
pub mod domain;
pub mod store;

// shared, one layer down
pub mod faults;
pub mod inspector;
pub mod linkcheck;
pub mod metrics;
pub mod oauth;
pub mod ops;
pub mod telemetry;
pub mod web;
pub mod wire;

// roles
pub mod admin;
pub mod alexa;
pub mod api;
pub mod provider;
pub mod proxy;
pub mod skill;

// composition
pub mod cli;
pub mod commands;
pub mod openapi;
pub mod startup;
pub mod testing;
