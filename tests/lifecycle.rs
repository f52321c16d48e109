//! The binary's life as a process: what start-up says while it works, which
//! log filter it honours, and a SIGTERM under load (every request in flight
//! answered, the inspector's queue written, exit 0).

use crate::cli::serve_binary;
use crate::helpers::*;
use std::process::Child;
use std::time::{Duration, Instant};

/// The base URL from the banner's first line.
fn base_url(banner: &str) -> String {
    banner
        .lines()
        .find_map(|l| l.strip_prefix("mocklink is listening on "))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no listening line in:\n{banner}"))
        .to_owned()
}

fn stop(mut child: Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// The one line of `out` containing `what`.
fn line<'a>(out: &'a str, what: &str) -> &'a str {
    out.lines()
        .find(|l| l.contains(what))
        .unwrap_or_else(|| panic!("no line with '{what}' in:\n{out}"))
}

/// The number right after `label` in `line`.
fn number_after(line: &str, label: &str) -> usize {
    let rest = &line[line.find(label).expect("label") + label.len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("a number after {label}: {line}"))
}

fn migration_files() -> usize {
    std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "sql"))
        })
        .count()
}

#[tokio::test]
async fn start_up_prints_one_line_per_slow_step_with_its_duration() {
    let db = TestDb::create().await;
    let listen = [("MOCKLINK_LISTEN", "127.0.0.1:0")];
    let (child, fresh) = serve_binary(&db, &[], &listen);
    stop(child);
    let migrations = line(&fresh, "migrations applied: ");
    assert_eq!(
        number_after(migrations, "migrations applied: "),
        migration_files(),
        "{migrations}"
    );
    let key = line(&fresh, "signing key generated: RS256");
    let seeded = line(&fresh, "demo data seeded: ");
    assert!(seeded.contains("4 new user(s), 1 client(s)"), "{seeded}");
    for l in [migrations, key, seeded] {
        assert!(l.contains(" INFO ") && l.contains("ms="), "{l}");
    }
    // In order, and all before the banner.
    let at = |what: &str| fresh.find(what).unwrap();
    assert!(at("migrations applied") < at("signing key generated"));
    assert!(at("signing key generated") < at("demo data seeded"));
    assert!(at("demo data seeded") < at("mocklink is listening on"));

    // A second start: nothing pending, no key made, no user created.
    let (child, again) = serve_binary(&db, &[], &listen);
    stop(child);
    assert!(line(&again, "migrations applied: 0").contains("ms="));
    assert!(!again.contains("signing key generated"), "{again}");
    assert!(line(&again, "demo data seeded: 0 new user(s)").contains("ms="));
}

#[tokio::test]
async fn rust_log_is_the_filter_when_mocklink_log_is_unset() {
    let db = TestDb::create().await;
    let listen = ("MOCKLINK_LISTEN", "127.0.0.1:0");
    let (child, quiet) = serve_binary(&db, &[], &[listen, ("RUST_LOG", "warn")]);
    stop(child);
    assert!(quiet.contains("mocklink is listening on"), "{quiet}");
    assert!(!quiet.contains("migrations applied"), "{quiet}");
    // MOCKLINK_LOG wins over RUST_LOG.
    let (child, loud) = serve_binary(
        &db,
        &[],
        &[listen, ("RUST_LOG", "warn"), ("MOCKLINK_LOG", "info")],
    );
    stop(child);
    assert!(loud.contains("migrations applied: 0"), "{loud}");
}

/// Waits for the process to exit, for at most `limit`.
async fn exit_status(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("still running {limit:?} after SIGTERM");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Token requests, answered 1.5 s late by the config's scenario (one use each).
fn token_requests(
    http: &reqwest::Client,
    base: &str,
    n: usize,
) -> Vec<tokio::task::JoinHandle<Result<(u16, serde_json::Value), reqwest::Error>>> {
    (0..n)
        .map(|_| {
            let req = http
                .post(format!("{base}/api/token"))
                .basic_auth("alexa-skill", Some("alexa-skill-secret"))
                .form(&[("grant_type", "client_credentials")]);
            tokio::spawn(async move {
                let res = req.send().await?;
                Ok((res.status().as_u16(), res.json().await?))
            })
        })
        .collect()
}

#[tokio::test]
async fn sigterm_under_load_answers_every_request_writes_the_inspector_queue_and_exits_0() {
    // The first wave, answered at once, is a batch the inspector's writer
    // takes as load: it writes it and pauses for a second. The second wave
    // is answered 300 ms later, while the writer pauses, and is the last:
    // its records are still queued when the server has stopped.
    const FIRST: usize = 150;
    const SECOND: usize = 20;
    let db = TestDb::create().await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("mocklink.toml");
    std::fs::write(
        &config,
        format!(
            "[[scenarios]]\nkind = \"token_delay\"\ndelay_ms = 1500\ncount = {}\n",
            FIRST + SECOND
        ),
    )
    .unwrap();
    let (mut child, banner) = serve_binary(
        &db,
        &["--config", config.to_str().unwrap()],
        // No request lines: nobody reads the output after the banner.
        &[("MOCKLINK_LISTEN", "127.0.0.1:0"), ("MOCKLINK_LOG", "warn")],
    );
    let base = base_url(&banner);
    let http = reqwest::Client::new();
    let mut in_flight = token_requests(&http, &base, FIRST);
    tokio::time::sleep(Duration::from_millis(300)).await;
    in_flight.extend(token_requests(&http, &base, SECOND));
    // Each request takes one use of the scenario as it starts waiting: once
    // none is left, every request is in flight.
    let all_in = eventually(Duration::from_secs(20), async || {
        let list: serde_json::Value =
            match http.get(format!("{base}/admin/api/scenarios")).send().await {
                Ok(res) => res.json().await.unwrap_or_default(),
                Err(_) => return false,
            };
        list["scenarios"].as_array().is_some_and(Vec::is_empty)
    })
    .await;
    assert!(all_in, "the token requests reached the server");
    // SAFETY: kill(2) on the child we started; no memory is involved.
    let sent = unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    assert_eq!(sent, 0, "SIGTERM sent");

    for task in in_flight {
        let (status, body) = task.await.unwrap().expect("answered, not cut off");
        assert_eq!(status, 200, "{body}");
        assert!(body["access_token"].is_string(), "{body}");
    }
    let status = exit_status(&mut child, Duration::from_secs(20)).await;
    assert!(status.success(), "exit status {status:?}");

    // Every request is in the inspector: none of the queue was lost.
    let store = mocklink::store::Store::connect(&db.url).await.unwrap();
    let counts: Vec<(String, i64)> = store
        .inspector_clients()
        .await
        .unwrap()
        .into_iter()
        .map(|(client, n, _)| (client, n))
        .collect();
    assert_eq!(
        counts,
        [("alexa-skill".to_owned(), (FIRST + SECOND) as i64)]
    );
    store.close().await;
}
