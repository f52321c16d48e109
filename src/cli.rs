//! The command line. `mocklink` alone serves everything.

use crate::provider::keys::SigningAlg;
use crate::store::RefreshPolicy;
use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "mocklink",
    version,
    about = "A mock Spotify-like OAuth provider, Web API, Alexa skill and Alexa simulator for testing account linking",
    long_about = "A mock Spotify-like OAuth provider, Web API, Alexa skill and Alexa simulator for testing \
                  Alexa account linking end to end.\n\n\
                  Settings come from built-in defaults, then a TOML file (--config, or ./mocklink.toml if it \
                  exists), then environment variables (MOCKLINK_<SETTING>, e.g. MOCKLINK_LISTEN, and \
                  DATABASE_URL), then these flags. Run without a command to serve everything."
)]
pub struct Cli {
    /// TOML configuration file [default: ./mocklink.toml if present]
    #[arg(
        short,
        long,
        global = true,
        env = "MOCKLINK_CONFIG",
        value_name = "FILE"
    )]
    pub config: Option<PathBuf>,

    /// Database: sqlite:<file> or postgres://user@host/db [default: sqlite:mocklink.db]
    #[arg(
        long,
        global = true,
        env = "DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the HTTP roles (the default command)
    Serve(ServeArgs),
    /// Apply database migrations and exit
    Migrate,
    /// Manage users (the accounts people log in with)
    #[command(subcommand)]
    User(UserCommand),
    /// Manage OAuth clients (e.g. your Alexa skill)
    #[command(subcommand)]
    Client(ClientCommand),
    /// Manage token signing keys
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Exit 0 if a running instance is ready (for container health checks)
    Healthcheck {
        /// Base URL of the instance [default: http://<listen>]
        #[arg(long, value_name = "URL")]
        url: Option<String>,
    },
    /// Run the whole account-linking story headless against a fresh server
    /// (temporary SQLite database) and print each step; exit 0 only if all behaved
    Demo,
}

#[derive(Debug, Args, Default)]
pub struct ServeArgs {
    /// Address to listen on [env: MOCKLINK_LISTEN] [default: 127.0.0.1:8080]
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// Public base URL, also the token issuer [env: MOCKLINK_PUBLIC_URL] [default: http://<listen>]
    #[arg(long, value_name = "URL")]
    pub public_url: Option<String>,
    /// Log JSON lines instead of text [env: MOCKLINK_LOG_JSON]
    #[arg(long)]
    pub log_json: bool,
    /// Serve HTTPS with this PEM certificate chain [env: MOCKLINK_TLS_CERT]
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// Private key (PEM) for --tls-cert [env: MOCKLINK_TLS_KEY]
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Roles to serve, repeatable or comma-separated [env: MOCKLINK_ROLES] [default: all]
    #[arg(long = "role", value_enum, value_delimiter = ',', value_name = "ROLE")]
    pub roles: Vec<crate::config::Role>,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user
    Add(UserAdd),
    /// List users
    List,
    /// Delete a user and everything linked to them
    Remove {
        /// User name
        username: String,
    },
}

#[derive(Debug, Args)]
pub struct UserAdd {
    /// User name (also the Spotify-style user id): a-z, 0-9, '.', '_', '-'
    pub username: String,
    /// Password; a random one is generated and printed if omitted
    #[arg(long, env = "MOCKLINK_NEW_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
    /// Name shown by the API and the skill [default: the user name]
    #[arg(long)]
    pub display_name: Option<String>,
    /// Email address [default: <username>@example.com]
    #[arg(long)]
    pub email: Option<String>,
    /// ISO 3166-1 alpha-2 country code
    #[arg(long, default_value = "US")]
    pub country: String,
    /// Subscription level
    #[arg(long, default_value = "premium", value_parser = ["premium", "free"])]
    pub product: String,
}

#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Register a client
    Add(ClientAdd),
    /// List clients
    List,
    /// Delete a client and every grant made to it
    Remove {
        /// Client id
        id: String,
    },
}

#[derive(Debug, Args)]
pub struct ClientAdd {
    /// Client id
    pub id: String,
    /// Display name shown on the consent page [default: the id]
    #[arg(long)]
    pub name: Option<String>,
    /// Client secret; a random one is generated and printed if omitted
    #[arg(
        long,
        env = "MOCKLINK_NEW_CLIENT_SECRET",
        hide_env_values = true,
        conflicts_with = "public"
    )]
    pub secret: Option<String>,
    /// A public client (no secret; must use PKCE)
    #[arg(long)]
    pub public: bool,
    /// A redirect URI (repeatable); https, or http on 127.0.0.1/[::1]
    #[arg(long = "redirect-uri", value_name = "URI")]
    pub redirect_uris: Vec<String>,
    /// Add Alexa's three redirect URLs for this vendor id
    #[arg(long, value_name = "VENDOR_ID")]
    pub alexa_vendor_id: Option<String>,
    /// Space-separated scopes the client may request [default: all]
    #[arg(long)]
    pub scopes: Option<String>,
    /// What a refresh does to the refresh token
    #[arg(long, value_enum, default_value_t = RefreshPolicy::Rotate)]
    pub refresh_policy: RefreshPolicy,
    /// Seconds a rotated refresh token is still accepted (lost responses)
    #[arg(long, default_value_t = 0)]
    pub refresh_grace_seconds: i64,
    /// Access token lifetime in seconds (Alexa requires at least 360)
    #[arg(long, default_value_t = 3600)]
    pub access_token_ttl: i64,
    /// Refresh token lifetime in seconds from the original authorization
    #[arg(long, default_value_t = 180 * 24 * 3600)]
    pub refresh_token_ttl: i64,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// List signing keys
    List,
    /// Generate a new signing key; the old one keeps verifying its tokens
    Rotate {
        /// Algorithm of the new key
        #[arg(long, value_enum)]
        alg: Option<SigningAlg>,
    },
}
