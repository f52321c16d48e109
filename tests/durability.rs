//! Faults: kill -9 under load, the database missing at start or lost while
//! serving, and a wrong DATABASE_URL.

use crate::helpers::*;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

const ISSUER: &str = "http://mocklink.test";

/// Starts the real binary on `db` at a free port with a fixed issuer; waits
/// until it answers.
async fn start_binary(db: &TestDb) -> (Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(env!("CARGO_BIN_EXE_mocklink"))
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--public-url",
            ISSUER,
        ])
        .env("DATABASE_URL", &db.url)
        .env_remove("MOCKLINK_CONFIG")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let up = eventually(Duration::from_secs(20), async || {
        reqwest::get(format!("{url}/healthz"))
            .await
            .is_ok_and(|r| r.status() == 200)
    })
    .await;
    assert!(up, "the binary did not start");
    (child, url)
}

async fn refresh_at(url: &str, refresh: &str) -> (u16, serde_json::Value) {
    let res = reqwest::Client::new()
        .post(format!("{url}/api/token"))
        .basic_auth(DEMO_CLIENT, Some(DEMO_SECRET))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", refresh)])
        .send()
        .await;
    match res {
        Ok(r) => (r.status().as_u16(), r.json().await.unwrap_or_default()),
        Err(_) => (0, serde_json::Value::Null),
    }
}

#[tokio::test]
async fn after_kill_9_under_load_every_issued_token_is_valid_or_cleanly_rejected() {
    let app = spawn_app_with(|s| s.public_url = Some(ISSUER.into())).await;
    let mut chains = Vec::new();
    for _ in 0..4 {
        chains.push(app.demo_tokens("user-read-private").await.1);
    }
    let (mut child, url) = start_binary(&app.db).await;

    // Each worker rotates its own refresh-token chain as fast as it can and
    // records every pair it was answered with.
    let stop = Arc::new(AtomicBool::new(false));
    let mut workers = Vec::new();
    for start in chains {
        let (stop, url) = (stop.clone(), url.clone());
        workers.push(tokio::spawn(async move {
            let (mut refresh, mut accesses) = (start, Vec::new());
            while !stop.load(Ordering::Relaxed) {
                let (status, json) = refresh_at(&url, &refresh).await;
                match status {
                    200 => {
                        accesses.push(json["access_token"].as_str().unwrap().to_owned());
                        refresh = json["refresh_token"].as_str().unwrap().to_owned();
                    }
                    0 => break, // the server died under us
                    other => panic!("unexpected {other} under load: {json}"),
                }
            }
            (refresh, accesses)
        }));
    }
    // Let the load build up, then kill -9 in the middle of it.
    let issued_some = eventually(Duration::from_secs(10), async || {
        app.state.store.pool().size() > 0 && {
            let n: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM refresh_tokens WHERE rotated_at IS NOT NULL",
            )
            .fetch_one(app.state.store.pool())
            .await
            .unwrap();
            n >= 40
        }
    })
    .await;
    assert!(issued_some, "load did not start");
    child.kill().unwrap(); // SIGKILL
    let _ = child.wait();
    stop.store(true, Ordering::Relaxed);
    let mut results = Vec::new();
    for w in workers {
        results.push(w.await.unwrap());
    }

    let (mut restarted, url) = start_binary(&app.db).await;
    let mut checked = 0;
    for (last_refresh, accesses) in results {
        let (status, json) = refresh_at(&url, &last_refresh).await;
        assert!(
            status == 200 || (status == 400 && json["error"] == "invalid_grant"),
            "{status} {json}"
        );
        let family_alive = status == 200;
        for access in accesses {
            let res = reqwest::Client::new()
                .post(format!("{url}/api/introspect"))
                .basic_auth(DEMO_CLIENT, Some(DEMO_SECRET))
                .form(&[("token", access.as_str())])
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200);
            let active = res.json::<serde_json::Value>().await.unwrap()["active"] == true;
            assert!(
                active || !family_alive,
                "a token answered before the kill was lost"
            );
            checked += 1;
        }
    }
    assert!(checked > 0);
    restarted.kill().unwrap();
    let _ = restarted.wait();
}

#[test]
fn a_database_that_is_down_at_start_is_a_clear_error_with_the_password_redacted() {
    let out = Command::new(env!("CARGO_BIN_EXE_mocklink"))
        .arg("migrate")
        .env(
            "DATABASE_URL",
            "postgres://mock:hunter2@127.0.0.1:1/mocklink",
        )
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot reach the database at postgres://mock:***@127.0.0.1:1/mocklink"),
        "{err}"
    );
    assert!(!err.contains("hunter2"));
}

#[test]
fn a_wrong_database_url_scheme_is_a_clear_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_mocklink"))
        .arg("migrate")
        .env("DATABASE_URL", "mysql://root@127.0.0.1/db")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unsupported DATABASE_URL"));
}

/// A TCP proxy in front of PostgreSQL that the test can cut and restore.
struct Proxy {
    addr: std::net::SocketAddr,
    cut: Arc<AtomicBool>,
    conns: Arc<std::sync::Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl Proxy {
    async fn start(upstream: String) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let cut = Arc::new(AtomicBool::new(false));
        let conns: Arc<std::sync::Mutex<Vec<tokio::task::AbortHandle>>> = Default::default();
        let (c, cs) = (cut.clone(), conns.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if c.load(Ordering::SeqCst) {
                    continue; // dropped: connection refused, in effect
                }
                let upstream = upstream.clone();
                let task = tokio::spawn(async move {
                    if let Ok(mut out) = tokio::net::TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut out).await;
                    }
                });
                cs.lock().unwrap().push(task.abort_handle());
            }
        });
        Self { addr, cut, conns }
    }

    fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        for c in self.conns.lock().unwrap().drain(..) {
            c.abort();
        }
    }

    fn restore(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }
}

#[tokio::test]
async fn a_database_lost_while_serving_gives_503_and_recovers_without_restart() {
    let mut db = TestDb::create().await;
    if db.backend != "postgres" {
        // A file database cannot be unplugged; the PostgreSQL pass runs this.
        eprintln!("needs MOCKLINK_TEST_DATABASE_URL (PostgreSQL): nothing to unplug on SQLite");
        return;
    }
    let mut url = url::Url::parse(&db.url).unwrap();
    let upstream = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap_or(5432));
    let proxy = Proxy::start(upstream).await;
    url.set_port(Some(proxy.addr.port())).unwrap();
    db.url = url.to_string();
    let app = spawn_on(Arc::new(db), |_| {}).await;
    let (_, refresh) = app.demo_tokens("user-read-private").await;

    proxy.cut();
    let (status, json) = app.refresh_demo(&refresh).await;
    assert_eq!(status, 503, "{json}");
    assert_eq!(json["error"], "temporarily_unavailable");
    let res = app.get("/readyz").await;
    assert_eq!(res.status(), 503);

    proxy.restore();
    let recovered = eventually(Duration::from_secs(15), async || {
        app.get("/readyz").await.status() == 200
    })
    .await;
    assert!(recovered, "the app reconnects by itself");
    let (status, json) = app.refresh_demo(&refresh).await;
    assert_eq!(status, 200, "{json}");
}
