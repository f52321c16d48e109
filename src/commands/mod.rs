//! What each CLI command does. This is the binary's edge: errors become
//! `anyhow` here and nowhere else.

mod accounts;
pub mod demo;
pub mod doctor;
pub mod doctor_skill;

use crate::cli::{Cli, Command, KeysCommand, ScenarioAdd, ScenarioCommand, ServeArgs};
use crate::clock::Clock;
use crate::config::Settings;
use crate::domain::ScenarioSpec;
use crate::oauth::keys;
use crate::startup::{self, Application};
use crate::store::{redact_url, Store};
use anyhow::{bail, Context};

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    startup::install_crypto_provider();
    let mut settings = Settings::load(cli.config.as_deref())?;
    if let Some(url) = cli.database_url {
        settings.database_url = url;
    }
    match cli.command.unwrap_or(Command::Serve(ServeArgs::default())) {
        Command::Serve(args) => serve(settings, args).await,
        Command::Migrate => {
            let store = Store::connect(&settings.database_url).await?;
            let applied = store.migrate().await?;
            println!(
                "migrations applied to {}: {applied}",
                redact_url(&settings.database_url)
            );
            store.close().await;
            Ok(())
        }
        Command::User(cmd) => accounts::user(settings, cmd).await,
        Command::Client(cmd) => accounts::client(settings, cmd).await,
        Command::Keys(cmd) => keys_cmd(settings, cmd).await,
        Command::Scenario(cmd) => scenario(settings, cmd).await,
        Command::Healthcheck { url } => {
            healthcheck(url.unwrap_or_else(|| format!("http://{}", settings.listen))).await
        }
        Command::Config => {
            println!("{}", serde_json::to_string_pretty(&settings.effective())?);
            Ok(())
        }
        Command::Doctor(args) => match args.target {
            Some(crate::cli::DoctorTarget::Skill(a)) => doctor_skill::run(settings, *a).await,
            None => doctor::run(args.provider).await,
        },
        // The demo ignores the loaded settings on purpose: it always runs on
        // a fresh server with the defaults, so its verdict means the same everywhere.
        Command::Demo => {
            if crate::commands::demo::run(&mut std::io::stdout()).await? {
                Ok(())
            } else {
                bail!("the demo story did not behave (see the failed steps above)")
            }
        }
    }
}

async fn open(settings: &Settings) -> anyhow::Result<Store> {
    let store = Store::connect(&settings.database_url).await?;
    store.migrate().await?;
    Ok(store)
}

async fn serve(mut settings: Settings, args: ServeArgs) -> anyhow::Result<()> {
    if let Some(listen) = args.listen {
        settings.listen = listen;
    }
    if args.public_url.is_some() {
        settings.public_url = args.public_url;
    }
    settings.log_json |= args.log_json;
    if args.tls_cert.is_some() {
        settings.tls_cert = args.tls_cert;
        settings.tls_key = args.tls_key;
    }
    if !args.roles.is_empty() {
        settings.roles = args.roles;
    }
    let settings = settings.validated()?;
    crate::telemetry::init(settings.log_json);
    let app = Application::build(settings).await?;
    let s = &app.state().settings;
    if !app.local_addr().ip().is_loopback() && s.uses_demo_secrets() {
        tracing::warn!(
            "listening on {} with the well-known demo password/client secret: anyone who can reach this \
             port can log in as '{}'. Set MOCKLINK_DEMO_PASSWORD and MOCKLINK_DEMO_CLIENT_SECRET, or \
             MOCKLINK_DEMO_SEED=false.",
            app.local_addr(),
            s.demo_username
        );
    }
    print_banner(app.state());
    let store = app.state().store.clone();
    let served = app.run_until_stopped().await;
    // The SQLite writer's thread commits what is queued before the pool
    // closes; bounded, so a stuck connection cannot hold the exit.
    if tokio::time::timeout(startup::SHUTDOWN_TIMEOUT, store.close())
        .await
        .is_err()
    {
        tracing::warn!("the database did not close within the shutdown timeout");
    }
    served.context("server failed")
}

fn print_banner(state: &crate::startup::Services) {
    let s = &state.settings;
    let base = s.public_url();
    println!(
        "mocklink is listening on {base}  (database: {})",
        redact_url(&s.database_url)
    );
    if s.demo_seed {
        println!();
        println!("Alexa developer console › Build › Account Linking:");
        println!("  Your Web Authorization URI   {base}/authorize");
        println!("  Access Token URI             {base}/api/token");
        println!("  Your Client ID               {}", s.demo_client_id);
        println!(
            "  Your Secret                  {}",
            shown_secret(&s.demo_client_secret)
        );
        println!(
            "  Your Authentication Scheme   HTTP Basic (Credentials in request body works too)"
        );
        println!(
            "  Scope                        {}",
            crate::config::DEMO_SCOPES.replace(' ', ", ")
        );
        println!(
            "  Alexa redirect URLs allowed  {}",
            s.alexa_redirect_uris()
                .join("\n                               ")
        );
        println!();
        println!(
            "Demo login: {} / {}",
            s.demo_username,
            if s.demo_password == crate::config::DEMO_PASSWORD {
                &s.demo_password
            } else {
                "(set in config)"
            }
        );
        println!(
            "Try the flow in a browser: {}",
            crate::provider::account::try_url(&state.settings)
        );
        println!("Alexa simulator (enable the skill, talk to it): {base}/alexa");
        println!("Skill endpoint: {base}{}", s.skill.path);
    }
    if s.serves(crate::config::Role::Provider) || s.serves(crate::config::Role::Alexa) {
        println!("{}", toolbox_line(state));
    }
    println!("Metadata: {base}/.well-known/oauth-authorization-server   JWKS: {base}/.well-known/jwks.json");
}

/// The client secret as the banner shows it: the built-in public demo
/// secret in full, any other only as a hint that it is set.
pub fn shown_secret(secret: &str) -> String {
    if secret == crate::config::DEMO_CLIENT_SECRET {
        return secret.to_owned();
    }
    let prefix: String = secret.chars().take(6).collect();
    if secret.chars().count() >= 20 {
        format!("{prefix}…(set)")
    } else {
        "(set in config)".to_owned()
    }
}

/// Who may open the toolbox (`/admin`) and the simulator (`/alexa`).
fn toolbox_line(state: &crate::startup::Services) -> String {
    let base = state.settings.public_url();
    if state.access.is_off() {
        format!(
            "Toolbox and simulator OFF: the public URL {base} is not on loopback and no admin password \
             is set, so /admin and /alexa answer 404. Set MOCKLINK_ADMIN_PASSWORD (admin_password) to \
             turn them on; browsers then ask for user admin and that password."
        )
    } else if state.access.has_password() {
        format!("Toolbox: {base}/admin  (admin password required: user admin)")
    } else {
        format!(
            "Toolbox: {base}/admin  (no admin password: only a browser or script on this machine, \
             no proxy or tunnel in between)"
        )
    }
}

async fn healthcheck(base: String) -> anyhow::Result<()> {
    // A wildcard listen address is not something to connect to.
    let base = base
        .replace("://0.0.0.0:", "://127.0.0.1:")
        .replace("://[::]:", "://[::1]:");
    let res = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(3))
        .build()?
        .get(format!("{}/readyz", base.trim_end_matches('/')))
        .send()
        .await
        .with_context(|| format!("{base} does not answer"))?;
    if !res.status().is_success() {
        bail!(
            "{base} is not ready: {} {}",
            res.status(),
            res.text().await.unwrap_or_default()
        );
    }
    println!("ready");
    Ok(())
}

async fn keys_cmd(settings: Settings, cmd: KeysCommand) -> anyhow::Result<()> {
    let store = open(&settings).await?;
    match cmd {
        KeysCommand::List => {
            for k in store.signing_keys().await? {
                let status = if k.retired_at.is_some() {
                    "retired (verifies only)"
                } else {
                    "active (signs)"
                };
                println!("{}  {}  {}", k.kid, k.alg, status);
            }
        }
        KeysCommand::Rotate { alg } => {
            let key = keys::rotate(
                &store,
                alg.unwrap_or(settings.signing_alg),
                Clock::default().now(),
            )
            .await?;
            println!(
                "new signing key {} ({}); older keys keep verifying until their tokens expire",
                key.kid, key.alg
            );
        }
    }
    store.close().await;
    Ok(())
}

async fn scenario(settings: Settings, cmd: ScenarioCommand) -> anyhow::Result<()> {
    let store = open(&settings).await?;
    // Scenario expiries are judged in the servers' virtual time.
    let now = Clock::default().now() + store.clock_offset().await?;
    match cmd {
        ScenarioCommand::Add(a) => {
            let ScenarioAdd {
                kind,
                client_id,
                user,
                error,
                status,
                delay_ms,
                seconds,
                path,
                grant_type,
                count,
                expires_in,
                id,
            } = a;
            let spec = ScenarioSpec {
                id,
                kind,
                client_id,
                user,
                error,
                status,
                delay_ms,
                seconds,
                path,
                grant_type,
                count,
                expires_in,
            };
            // The same validation as the admin API and the config file.
            let record = crate::faults::validate(
                spec,
                &store,
                uuid::Uuid::new_v4().simple().to_string(),
                now,
            )
            .await?;
            if !store.insert_scenario(&record).await? {
                bail!("a scenario with id '{}' exists; clear it first", record.id);
            }
            println!("set scenario {} ({})", record.id, record.kind);
        }
        ScenarioCommand::List => {
            let list = store.active_scenarios(now).await?;
            if list.is_empty() {
                println!("no scenario in force");
            }
            for s in list {
                let mut line = format!(
                    "{}  {}  client={}  user={}",
                    s.id,
                    s.kind,
                    s.client_id.as_deref().unwrap_or("any"),
                    s.user_id.as_deref().unwrap_or("any")
                );
                for (name, value) in [
                    ("error", s.error.clone()),
                    ("status", s.status.map(|v| v.to_string())),
                    ("delay_ms", s.delay_ms.map(|v| v.to_string())),
                    ("seconds", s.seconds.map(|v| v.to_string())),
                    ("path", s.path.clone()),
                    ("grant_type", s.grant_type.clone()),
                    ("remaining", s.remaining.map(|v| v.to_string())),
                    ("expires_in", s.expires_at.map(|e| (e - now).to_string())),
                ] {
                    if let Some(v) = value {
                        line.push_str(&format!("  {name}={v}"));
                    }
                }
                println!("{line}");
            }
        }
        ScenarioCommand::Clear { ids, all } => {
            if all {
                let n = store.delete_all_scenarios().await?;
                println!("cleared {n} scenario(s)");
            }
            for id in ids {
                if !store.delete_scenario(&id).await? {
                    bail!("no scenario '{id}'");
                }
                println!("cleared scenario {id}");
            }
        }
    }
    store.close().await;
    Ok(())
}
