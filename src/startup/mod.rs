//! Builds the application from `Settings` and a bound `TcpListener`: connects
//! and migrates the database, seeds it, loads the signing keys, and wires the
//! roles' routes into one actix-web server.

mod explorer;
mod seed;
mod tls;

use seed::seed;
pub use seed::{client_from_seed, user_from_seed};

use crate::admin::AdminState;
use crate::alexa::{SimulatorRuntime, SimulatorState};
use crate::api::ApiState;
use crate::clock::Clock;
use crate::config::{Role, Settings};
use crate::domain::ParseError;
use crate::faults::Faults;
use crate::inspector::Inspector;
use crate::metrics::Metrics;
use crate::oauth::keys::{KeyError, KeyRing};
use crate::oauth::verified::VerifiedCache;
use crate::oauth::Tokens;
use crate::provider::session::CsrfKey;
use crate::provider::ProviderState;
use crate::proxy::ProxyState;
use crate::skill::SkillState;
use crate::store::{Store, StoreError};
use crate::web::access::Access;
use actix_web::dev::Server;
use actix_web::{middleware, web, App, HttpResponse, HttpServer};
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("signing keys: {0}")]
    Keys(#[from] KeyError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("seed data: {0}")]
    Seed(String),
    #[error("TLS: {0}")]
    Tls(String),
    /// Invalid settings of the skill or the Alexa simulator.
    #[error("skill or simulator settings: {0}")]
    Skill(String),
    #[error("proxy settings: {0}")]
    Proxy(String),
}

impl From<ParseError> for StartupError {
    fn from(e: ParseError) -> Self {
        Self::Seed(e.0)
    }
}

/// Everything built at start: the shared services, and each role's state
/// made of them. Only this module (and the binary's edge) sees all of it.
#[derive(Clone)]
pub struct Services {
    pub settings: Arc<Settings>,
    pub store: Store,
    pub clock: Clock,
    pub keys: KeyRing,
    /// Tokens whose signature was already checked (shared by provider and api).
    pub verified: VerifiedCache,
    pub tokens: Tokens,
    pub faults: Faults,
    pub metrics: Metrics,
    pub inspector: Inspector,
    /// Who may reach the toolbox and the simulator; which hosts are served.
    pub access: Access,
    pub provider: ProviderState,
    pub api: ApiState,
    pub skill: SkillState,
    pub simulator: SimulatorState,
    pub admin: AdminState,
    pub proxy: ProxyState,
}

/// How long a stop waits for the requests in flight, and then for the
/// inspector's queued records.
pub const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

pub struct Application {
    server: Server,
    addr: SocketAddr,
    state: Services,
}

impl Application {
    /// Binds `settings.listen` and builds the app.
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        let listener = TcpListener::bind(settings.listen).map_err(|source| StartupError::Bind {
            addr: settings.listen.to_string(),
            source,
        })?;
        Self::build_with(settings, listener, Clock::default()).await
    }

    /// Builds the app on an already bound listener (tests bind port 0) and a
    /// given clock.
    pub async fn build_with(
        mut settings: Settings,
        listener: TcpListener,
        clock: Clock,
    ) -> Result<Self, StartupError> {
        let addr = listener.local_addr().map_err(|source| StartupError::Bind {
            addr: settings.listen.to_string(),
            source,
        })?;
        settings.listen = addr;
        let state = prepare(settings, clock).await?;
        spawn_key_refresher(state.clone());
        spawn_clock_refresher(state.clone());
        state.inspector.spawn_writer(
            state.store.clone(),
            state.settings.toolbox.inspector_max_per_client,
        );
        let server = serve(state.clone(), listener)?;
        Ok(Self {
            server,
            addr,
            state,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn state(&self) -> &Services {
        &self.state
    }

    pub fn server_handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until stopped: SIGTERM (or a `ServerHandle::stop(true)`) stops
    /// accepting, lets the requests in flight finish (up to
    /// `SHUTDOWN_TIMEOUT`), then the inspector's queued records are written;
    /// SIGINT stops at once but still writes them.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let served = self.server.await;
        tracing::info!("server stopped; writing the inspector's queued records");
        self.state.inspector.close(SHUTDOWN_TIMEOUT).await;
        served
    }
}

/// Makes aws-lc-rs rustls' process-wide crypto provider: the only one
/// compiled in (ring is not), and the one reqwest's TLS takes, as it is built
/// without a provider of its own. Idempotent; `prepare` and the binary's
/// edge call it before any HTTP client is made.
pub fn install_crypto_provider() {
    // Err only when a provider is already installed, which is the aim.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}

/// aws-lc seeds its random generator from CPU jitter the first time random
/// bytes are asked for, which takes tens of milliseconds of CPU. Done on a
/// thread of its own at start, it overlaps the database work instead of
/// delaying the first signature (and, on an empty database, the first key).
fn warm_random_generator() {
    let warm = || {
        let _ = aws_lc_rs::rand::fill(&mut [0u8; 1]);
    };
    if std::thread::Builder::new()
        .name("rng-warm-up".into())
        .spawn(warm)
        .is_err()
    {
        tracing::debug!("no thread for the random generator's warm-up; it seeds on first use");
    }
}

/// Milliseconds since `started`, to one decimal, for the start-up lines.
fn ms_since(started: Instant) -> f64 {
    (started.elapsed().as_secs_f64() * 1e4).round() / 10.0
}

/// Connects, migrates, seeds and loads keys: everything but the listener.
/// Each step that takes time logs one line at info with its duration
/// (`ms`): the migrations, a new signing key, the seed data.
pub async fn prepare(settings: Settings, clock: Clock) -> Result<Services, StartupError> {
    install_crypto_provider();
    warm_random_generator();
    let started = Instant::now();
    let store = Store::connect(&settings.database_url).await?;
    let applied = store.migrate().await?;
    tracing::info!(ms = ms_since(started), "migrations applied: {applied}");
    // Logs "signing key generated" with its duration when there was none.
    let keys = KeyRing::load_or_create(&store, settings.signing_alg, clock.now()).await?;
    let csrf_key = CsrfKey::load_or_create(&store, clock.now()).await?;
    let metrics = Metrics::default();
    let inspector = Inspector::new(
        settings.toolbox.inspector,
        crate::inspector::QUEUE_CAPACITY,
        clock.clone(),
        metrics.clone(),
    );
    let skill = SkillState::new(&settings, clock.clone()).map_err(StartupError::Skill)?;
    let runtime = SimulatorRuntime::new(&settings).map_err(StartupError::Skill)?;
    let settings = Arc::new(settings);
    let tokens = Tokens::new(
        keys.clone(),
        store.clone(),
        clock.clone(),
        &settings.issuer(),
        &settings.audience,
    );
    let faults = Faults::new(store.clone(), clock.clone());
    let provider = ProviderState {
        settings: settings.clone(),
        store: store.clone(),
        clock: clock.clone(),
        tokens: tokens.clone(),
        csrf_key,
        faults: faults.clone(),
        metrics: metrics.clone(),
    };
    let api = ApiState {
        settings: settings.clone(),
        store: store.clone(),
        clock: clock.clone(),
        tokens: tokens.clone(),
        faults: faults.clone(),
    };
    let simulator = SimulatorState {
        settings: settings.clone(),
        store: store.clone(),
        clock: clock.clone(),
        runtime,
        skill: Arc::new(crate::alexa::skills::SimulatedSkill::default_skill(
            &settings,
        )),
    };
    let admin = AdminState {
        settings: settings.clone(),
        store: store.clone(),
        clock: clock.clone(),
        tokens: tokens.clone(),
        faults: faults.clone(),
        inspector: inspector.clone(),
    };
    let proxy = ProxyState::new(&settings, inspector.clone()).map_err(StartupError::Proxy)?;
    let access = Access::new(&settings, store.clone(), clock.clone());
    let state = Services {
        access,
        verified: tokens.verified.clone(),
        settings,
        store,
        clock,
        keys,
        tokens,
        faults,
        metrics,
        inspector,
        provider,
        api,
        skill,
        simulator,
        admin,
        proxy,
    };
    state.clock.refresh_offsets(
        state.clock.generation(),
        state.store.clock_offset().await?,
        state.store.client_clock_offsets().await?,
    );
    let started = Instant::now();
    let seeded = seed(&state).await?;
    state
        .faults
        .seed(&state.settings.toolbox.scenarios)
        .await
        .map_err(StartupError::Seed)?;
    tracing::info!(
        ms = ms_since(started),
        "{} seeded: {} new user(s), {} client(s)",
        if state.settings.demo_seed {
            "demo data"
        } else {
            "seed data"
        },
        seeded.new_users,
        seeded.clients,
    );
    Ok(state)
}

/// Background upkeep: key rotations made by another instance (or the CLI)
/// become visible within a few seconds (verification also reloads at once on
/// an unknown kid), and once a minute expired sessions, spent codes and
/// never-redeemed grants are swept away.
fn spawn_key_refresher(state: Services) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        tick.tick().await;
        for n in 1u64.. {
            tick.tick().await;
            if let Err(e) = state.keys.reload(&state.store).await {
                tracing::warn!(error = %e, "could not refresh signing keys");
            }
            if n % 12 == 0 {
                match state.store.sweep(state.clock.now()).await {
                    Ok(0) => {}
                    Ok(rows) => tracing::debug!(rows, "swept expired sessions, codes and grants"),
                    Err(e) => tracing::warn!(error = %e, "could not sweep expired rows"),
                }
            }
        }
    });
}

/// The virtual clock set through the admin API, the admin pages or the CLI
/// (by any instance), global and per client, is read back every second, so
/// all instances agree on "now".
fn spawn_clock_refresher(state: Services) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.tick().await;
        loop {
            tick.tick().await;
            let generation = state.clock.generation();
            let polled = async {
                Ok::<_, StoreError>((
                    state.store.clock_offset().await?,
                    state.store.client_clock_offsets().await?,
                ))
            };
            match polled.await {
                Ok((shared, clients)) => state.clock.refresh_offsets(generation, shared, clients),
                Err(e) => tracing::warn!(error = %e, "could not read the virtual clock"),
            }
        }
    });
}

fn serve(state: Services, listener: TcpListener) -> Result<Server, StartupError> {
    let tls = match (&state.settings.tls_cert, &state.settings.tls_key) {
        (Some(cert), Some(key)) => Some(tls::tls_config(cert, key)?),
        _ => None,
    };
    // One `Data` per role state and per middleware dependency, made once, so
    // every worker shares them; each handler extracts only its role's.
    let data = RoleData {
        provider: web::Data::new(state.provider.clone()),
        api: web::Data::new(state.api.clone()),
        skill: web::Data::new(state.skill.clone()),
        simulator: web::Data::new(state.simulator.clone()),
        admin: web::Data::new(state.admin.clone()),
        proxy: web::Data::new(state.proxy.clone()),
        store: web::Data::new(state.store.clone()),
        metrics: web::Data::new(state.metrics.clone()),
        inspector: web::Data::new(state.inspector.clone()),
        access: web::Data::new(state.access.clone()),
    };
    let settings = state.settings.clone();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.metrics.clone())
            .app_data(data.inspector.clone())
            .app_data(data.access.clone())
            .wrap(middleware::from_fn(crate::inspector::capture))
            .wrap(middleware::from_fn(crate::web::access::gate))
            .wrap(crate::web::security_headers())
            .wrap(middleware::from_fn(crate::telemetry::log_request))
            .configure(|cfg| routes(cfg, &settings, &data))
            .default_service(web::to(not_found))
    })
    // Slow or stuck clients cannot hold a worker: bounded header and body time.
    .client_request_timeout(Duration::from_secs(10))
    .client_disconnect_timeout(Duration::from_secs(2))
    .keep_alive(Duration::from_secs(30))
    .shutdown_timeout(SHUTDOWN_TIMEOUT.as_secs());
    let server = match tls {
        Some(config) => server.listen_rustls_0_23(listener, config),
        None => server.listen(listener),
    }
    .map_err(|source| StartupError::Bind {
        addr: "listener".into(),
        source,
    })?
    .run();
    Ok(server)
}

/// The shared handles the routes are mounted with.
#[derive(Clone)]
struct RoleData {
    provider: web::Data<ProviderState>,
    api: web::Data<ApiState>,
    skill: web::Data<SkillState>,
    simulator: web::Data<SimulatorState>,
    admin: web::Data<AdminState>,
    proxy: web::Data<ProxyState>,
    store: web::Data<Store>,
    metrics: web::Data<Metrics>,
    inspector: web::Data<Inspector>,
    access: web::Data<Access>,
}

/// Every role's routes, each with its own state, mounted only where this
/// instance serves the role.
fn routes(cfg: &mut web::ServiceConfig, settings: &Settings, data: &RoleData) {
    cfg.app_data(data.store.clone())
        .route("/healthz", web::get().to(crate::ops::healthz))
        .route("/readyz", web::get().to(crate::ops::readyz))
        .route("/openapi.json", web::get().to(crate::openapi::openapi_json))
        .route("/docs", web::get().to(explorer::page))
        .route("/docs/explorer.js", web::get().to(explorer::start_script))
        .route(
            "/docs/swagger-ui-bundle.js",
            web::get().to(explorer::bundle),
        )
        .route("/docs/swagger-ui.css", web::get().to(explorer::style))
        .route("/metrics", web::get().to(crate::metrics::metrics));
    if settings.serves(Role::Provider) {
        cfg.app_data(data.provider.clone())
            .app_data(data.admin.clone());
        crate::provider::configure(cfg);
        crate::admin::configure(cfg);
    }
    if settings.serves(Role::Api) {
        cfg.app_data(data.api.clone());
        crate::api::configure(cfg);
    }
    if settings.serves(Role::Skill) {
        cfg.app_data(data.skill.clone());
        crate::skill::configure(cfg);
    }
    if settings.serves(Role::Alexa) {
        cfg.app_data(data.simulator.clone());
        crate::alexa::configure(cfg);
    }
    if settings.serves(Role::Proxy) {
        cfg.app_data(data.proxy.clone());
        crate::proxy::configure(cfg);
    }
}

async fn not_found() -> HttpResponse {
    HttpResponse::NotFound()
        .json(serde_json::json!({"error": {"status": 404, "message": "Not found."}}))
}
