//! The command line. `mocklink` alone serves everything.

use crate::domain::SigningAlg;
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
    /// Scripted faults (scenarios): make the provider or the api fail the way
    /// real ones do, for one client (and user) or all
    #[command(subcommand, after_help = SCENARIO_EXAMPLES)]
    Scenario(ScenarioCommand),
    /// Exit 0 if a running instance is ready (for container health checks)
    Healthcheck {
        /// Base URL of the instance [default: http://<listen>]
        #[arg(long, value_name = "URL")]
        url: Option<String>,
    },
    /// Run the whole account-linking story headless against a fresh server
    /// (temporary SQLite database) and print each step; exit 0 only if all behaved
    Demo,
    /// Print the effective settings (defaults, then the file, then the
    /// environment) as JSON and exit; secrets are shown as a digest only
    Config,
    /// Why does Alexa say "We were unable to link … at this time"? Run
    /// Alexa's own account-linking client against a provider and explain
    /// every failure; exit 1 when a rule fails. Without flags it checks a
    /// local mocklink started in-process
    Doctor(DoctorArgs),
}

const DOCTOR_EXAMPLES: &str = "\
Examples:
  # mocklink's own provider, started in-process (demo client, login demo:demo)
  mocklink doctor
  # Your provider, exactly as typed into the console's Account Linking form
  mocklink doctor --authorization-url https://id.example.com/oauth/authorize \\
      --token-url https://id.example.com/oauth/token --client-id alexa \\
      --client-secret \"$SECRET\" --scheme http-basic --scope \"profile offline_access\" \\
      --vendor-id M2AB3CD4EF5GHI --region EU --login alice:password --html report.html
  # Without --login: open the printed URL, log in, paste the address you end on
  mocklink doctor --authorization-url … --token-url … --client-id … --vendor-id …";

/// `mocklink doctor`: the provider checks take their flags directly; the
/// skill-side checks are a subcommand next to them.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, after_help = DOCTOR_EXAMPLES)]
pub struct DoctorArgs {
    /// `doctor skill --endpoint URL`: the skill-side checks;
    /// `args_conflicts_with_subcommands` keeps the provider flags off it.
    #[command(subcommand)]
    pub target: Option<DoctorTarget>,
    #[command(flatten)]
    pub provider: DoctorProviderArgs,
}

/// The console's Account Linking form, and how to play the user.
#[derive(Debug, Args)]
pub struct DoctorProviderArgs {
    /// Your Web Authorization URI [default: a local mocklink started in-process]
    #[arg(long, value_name = "URL", requires = "token_url")]
    pub authorization_url: Option<String>,
    /// Access Token URI [default: a local mocklink started in-process]
    #[arg(long, value_name = "URL", requires = "authorization_url")]
    pub token_url: Option<String>,
    /// Your Client ID [default for the local mocklink: its demo client]
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,
    /// Your Secret [default for the local mocklink: the demo client's]
    #[arg(long, value_name = "SECRET", hide_env_values = true)]
    pub client_secret: Option<String>,
    /// Your Authentication Scheme: HTTP Basic, or credentials in the request body
    #[arg(long, value_enum, default_value_t = DoctorScheme::HttpBasic)]
    pub scheme: DoctorScheme,
    /// Scope, repeatable or space-separated; sent joined with spaces [default for the local mocklink: the simulator's scopes]
    #[arg(long = "scope", value_name = "SCOPE")]
    pub scopes: Vec<String>,
    /// Domain List entry, repeatable (domains the login page loads content from)
    #[arg(long = "domain", value_name = "DOMAIN")]
    pub domains: Vec<String>,
    /// Default Access Token Expiration Time: what Alexa assumes when an answer has no expires_in
    #[arg(long, value_name = "SECONDS")]
    pub default_expiration: Option<i64>,
    /// Send a PKCE S256 challenge and verifier, as the console's PKCE option does
    #[arg(long)]
    pub pkce: bool,
    /// The user's Alexa region: picks Alexa's redirect URL (pitangui.amazon.com, layla.amazon.com, alexa.amazon.co.jp)
    #[arg(long, value_parser = parse_region, default_value = "NA", value_name = "NA|EU|FE")]
    pub region: crate::wire::alexa::region::Region,
    /// The developer account's vendor id, the last part of Alexa's redirect URLs (console: Alexa Redirect URLs) [default for the local mocklink: its alexa_vendor_id]
    #[arg(long, value_name = "ID")]
    pub vendor_id: Option<String>,
    /// Send this redirect URI instead of Alexa's (one the provider allows, e.g. for a provider that cannot register Amazon's yet)
    #[arg(long, value_name = "URL")]
    pub redirect_uri: Option<String>,
    /// Log in by filling the provider's plain HTML login form, then its consent form [default for the local mocklink: demo:demo]; without it, open the printed URL yourself and paste the address you end on
    #[arg(long, value_name = "USER:PASSWORD", hide_env_values = true)]
    pub login: Option<String>,
    /// A protected URL to GET with "Authorization: Bearer <access token>" (expects 2xx)
    #[arg(long, value_name = "URL")]
    pub api_url: Option<String>,
    /// Print the report as JSON on stdout (the checklist goes to stderr)
    #[arg(long)]
    pub json: bool,
    /// Write a self-contained HTML report (steps, findings, every request and answer) to FILE
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Fail local http:// URIs too (they are warnings otherwise: they work here, Alexa would refuse them)
    #[arg(long)]
    pub strict: bool,
}

/// The console's two authentication schemes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum DoctorScheme {
    /// Client id and secret in an Authorization: Basic header
    #[default]
    HttpBasic,
    /// client_id and client_secret in the form body
    RequestBody,
}

fn parse_region(text: &str) -> Result<crate::wire::alexa::region::Region, String> {
    crate::wire::alexa::region::Region::parse(text)
        .ok_or_else(|| "the region is NA, EU or FE".into())
}

#[derive(Debug, Subcommand)]
pub enum DoctorTarget {
    /// Check a skill endpoint the way Amazon's certification does
    #[command(after_help = crate::alexa::doctor::skill::CLI_NOTE)]
    Skill(Box<DoctorSkillArgs>),
}

#[derive(Debug, Args)]
pub struct DoctorSkillArgs {
    /// The skill endpoint (https://…/alexa/skill, or a local http:// URL)
    #[arg(long, value_name = "URL")]
    pub endpoint: String,
    /// The skill id requests carry; when given, a request for another skill
    /// must be refused too [default: alexa_skill_id]
    #[arg(long, value_name = "ID")]
    pub skill_id: Option<String>,
    /// A token the provider has revoked: the skill must ask to relink [default:
    /// against a local mocklink's own skill, one minted and revoked there]
    #[arg(long, value_name = "TOKEN")]
    pub revoked_token: Option<String>,
    /// Interaction model (for Fallback and NavigateHome, and a custom intent)
    /// [default: the bundled skill-package/interactionModels/custom/en-US.json]
    #[arg(long, value_name = "FILE")]
    pub model: Option<PathBuf>,
    /// How long to wait for each answer; Alexa waits about 8000 ms (shorter
    /// values are for tests)
    #[arg(long, value_name = "MS", default_value_t = 8000, value_parser = clap::value_parser!(u64).range(100..=8000))]
    pub deadline_ms: u64,
    /// Print only the report as JSON on stdout
    #[arg(long)]
    pub json: bool,
    /// Also write the report as one self-contained HTML page (with its
    /// sequence diagram)
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
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
    /// Switch a client between Spotify's development mode (the default: the
    /// Web API calls withdrawn in February 2026 answer 403) and extended quota
    Quota {
        /// Client id
        id: String,
        /// The mode
        #[arg(value_enum)]
        mode: QuotaMode,
    },
}

/// Spotify's app quota modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum QuotaMode {
    /// Several tracks or artists by ids and artist top tracks answer 403
    Development,
    /// Every Web API call is served
    Extended,
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
    /// Spotify's extended quota mode (else development mode: several tracks
    /// or artists by ids and artist top tracks answer 403)
    #[arg(long)]
    pub extended_quota: bool,
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

const SCENARIO_EXAMPLES: &str = "\
Examples:
  # \"Alexa says unable to link\": the next code exchange fails
  mocklink scenario add token_error --client-id alexa-skill --error invalid_grant \\
      --grant-type authorization_code --count 1
  # \"Token refresh failed, user must relink\": the next refresh fails
  mocklink scenario add token_error --client-id alexa-skill --error invalid_grant \\
      --grant-type refresh_token --count 1
  # The token endpoint answers after 5 s (Alexa gives up at 4.5 s), for 10 minutes
  mocklink scenario add token_delay --client-id alexa-skill --delay-ms 5000 --expires-in 600
  # The player api answers 503 three times
  mocklink scenario add api_error --status 503 --path /v1/me/player --count 3
  mocklink scenario list
  mocklink scenario clear <ID>      # or: mocklink scenario clear --all

Running servers on the same database apply a change within a second.";

#[derive(Debug, Subcommand)]
pub enum ScenarioCommand {
    /// Set a scenario (the same fields as the admin API's POST /admin/api/scenarios)
    #[command(after_help = SCENARIO_EXAMPLES)]
    Add(ScenarioAdd),
    /// List the scenarios in force, with their remaining uses and expiry
    List,
    /// Clear scenarios by id, or all of them
    Clear {
        /// Ids of the scenarios to clear
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        ids: Vec<String>,
        /// Clear every scenario
        #[arg(long)]
        all: bool,
    },
}

#[derive(Debug, Args)]
pub struct ScenarioAdd {
    /// What fails
    #[arg(value_enum)]
    pub kind: crate::domain::ScenarioKind,
    /// Only this client [default: any client]
    #[arg(long, value_name = "CLIENT_ID")]
    pub client_id: Option<String>,
    /// Only this user (not for token_error or token_delay) [default: any user]
    #[arg(long)]
    pub user: Option<String>,
    /// token_error: invalid_grant, invalid_client, server_error or temporarily_unavailable
    #[arg(long)]
    pub error: Option<String>,
    /// token_error, api_error: the HTTP status (400-599)
    #[arg(long)]
    pub status: Option<u16>,
    /// token_delay, api_delay: milliseconds before the answer (Alexa gives up
    /// on a token request after 4500; the bundled skill has about 6000 for all its api calls)
    #[arg(long, value_name = "MS")]
    pub delay_ms: Option<i64>,
    /// token_lifetime: access-token lifetime; api_error: Retry-After
    #[arg(long)]
    pub seconds: Option<i64>,
    /// api_error, api_delay: a path prefix under /v1 (e.g. /v1/me/player)
    #[arg(long)]
    pub path: Option<String>,
    /// token_error, token_delay: only requests of this grant type
    /// (authorization_code, refresh_token, client_credentials)
    #[arg(long)]
    pub grant_type: Option<String>,
    /// Uses before the scenario ends
    #[arg(long)]
    pub count: Option<i64>,
    /// Seconds (virtual clock) before the scenario ends
    #[arg(long, value_name = "SECONDS")]
    pub expires_in: Option<i64>,
    /// Id of the scenario [default: generated]
    #[arg(long)]
    pub id: Option<String>,
}
