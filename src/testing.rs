//! An in-process mocklink for other crates' tests: add mocklink as a
//! dev-dependency, start a server on a random loopback port with a fresh
//! SQLite database, point the code under test at `url()`, and skip the
//! browser with `mint_token`.
//!
//! ```
//! # #[tokio::main] async fn main() {
//! use mocklink::testing::TestServer;
//!
//! let server = TestServer::start().await.expect("the server starts");
//! // A real access token for the seeded demo user, no browser needed.
//! let token = server
//!     .mint_token("demo", "user-read-private")
//!     .await
//!     .expect("a token");
//! let me: serde_json::Value = reqwest::Client::new()
//!     .get(format!("{}/v1/me", server.url()))
//!     .bearer_auth(&token)
//!     .send()
//!     .await
//!     .unwrap()
//!     .json()
//!     .await
//!     .unwrap();
//! assert_eq!(me["id"], "demo");
//! server.stop().await;
//! # }
//! ```
//!
//! The server runs on a runtime of its own thread, so it works under any
//! test runtime (current-thread included) and outlives blocking calls.

use crate::clock::Clock;
use crate::config::Settings;
use crate::startup::Services;
use crate::startup::{Application, StartupError};
use std::net::TcpListener;
use std::path::PathBuf;

/// A running server; stopped (and a database it created deleted) on `stop`
/// or drop.
pub struct TestServer {
    url: String,
    state: Services,
    handle: actix_web::dev::ServerHandle,
    /// The temporary folder of the database this server created, if any.
    dir: Option<PathBuf>,
}

impl TestServer {
    /// Starts with the default settings: demo user, personas and client.
    pub async fn start() -> Result<Self, StartupError> {
        Self::start_with(|_| {}).await
    }

    /// Starts after `customize` has adjusted the settings (listen address
    /// and database are chosen here unless `customize` sets a database).
    pub async fn start_with(customize: impl FnOnce(&mut Settings)) -> Result<Self, StartupError> {
        let dir = std::env::temp_dir().join(format!("mocklink-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).map_err(|source| StartupError::Bind {
            addr: dir.display().to_string(),
            source,
        })?;
        let mut settings = Settings {
            listen: "127.0.0.1:0".parse().expect("a valid address"),
            database_url: format!("sqlite:{}", dir.join("mocklink.db").display()),
            ..Settings::default()
        };
        customize(&mut settings);
        match Self::launch(settings, Clock::default()).await {
            Ok(mut server) => {
                server.dir = Some(dir);
                Ok(server)
            }
            Err(e) => {
                let _ = std::fs::remove_dir_all(&dir);
                Err(e)
            }
        }
    }

    /// Starts on exactly these settings (bind `127.0.0.1:0` for a random
    /// port; the database is the caller's to create and delete) and clock.
    pub async fn start_on(settings: Settings, clock: Clock) -> Result<Self, StartupError> {
        Self::launch(settings, clock).await
    }

    async fn launch(settings: Settings, clock: Clock) -> Result<Self, StartupError> {
        let scheme = if settings.tls_cert.is_some() {
            "https"
        } else {
            "http"
        };
        let listener = TcpListener::bind(settings.listen).map_err(|source| StartupError::Bind {
            addr: settings.listen.to_string(),
            source,
        })?;
        let (tx, rx) = tokio::sync::oneshot::channel();
        std::thread::spawn(move || {
            let rt = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = tx.send(Err(StartupError::Bind {
                        addr: "runtime".into(),
                        source: e,
                    }));
                    return;
                }
            };
            rt.block_on(async move {
                match Application::build_with(settings, listener, clock).await {
                    Ok(app) => {
                        let _ = tx.send(Ok((
                            app.local_addr(),
                            app.state().clone(),
                            app.server_handle(),
                        )));
                        let _ = app.run_until_stopped().await;
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e));
                    }
                }
            });
        });
        let (addr, state, handle) = rx
            .await
            .map_err(|_| StartupError::Seed("the server thread ended".into()))??;
        Ok(Self {
            url: format!("{scheme}://{addr}"),
            state,
            handle,
            dir: None,
        })
    }

    /// Base URL without a trailing slash: `/authorize`, `/api/token`, `/v1`,
    /// `/admin/api`, `/alexa` hang off it.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The app's services (store, clock, settings, keys…) for direct checks.
    pub fn state(&self) -> &Services {
        &self.state
    }

    /// Mints an access token for `user` with the demo client through the
    /// admin API (`POST /admin/api/tokens`).
    pub async fn mint_token(&self, user: &str, scope: &str) -> Result<String, String> {
        let client_id = self.state.settings.demo_client_id.clone();
        let mut req = reqwest::Client::new()
            .post(format!("{}/admin/api/tokens", self.url))
            .json(&serde_json::json!({"user": user, "client_id": client_id, "scope": scope}));
        if let Some(p) = &self.state.settings.toolbox.admin_password {
            req = req.bearer_auth(p.expose());
        }
        let res = req.send().await.map_err(|e| e.to_string())?;
        let status = res.status();
        let body: serde_json::Value = res.json().await.map_err(|e| e.to_string())?;
        match body["access_token"].as_str() {
            Some(t) if status.is_success() => Ok(t.to_owned()),
            _ => Err(format!("{status}: {body}")),
        }
    }

    /// Stops the server gracefully.
    pub async fn stop(&self) {
        self.handle.stop(true).await;
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
