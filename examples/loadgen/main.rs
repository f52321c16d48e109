//! The load driver of `bench/run.sh` for what wrk cannot express: stateful
//! cases (a refresh-token chain per worker, the multi-step linking flow, codes
//! minted then redeemed once each), logins, seeding, and start-up timing.
//!
//! Every mode talks to one loopback base URL with keep-alive connections, runs
//! a fixed number of concurrent workers, stops at a time bound (and, where it
//! applies, a count bound), and prints one JSON line:
//! `{"requests":…,"errors":…,"seconds":…,"rps":…,"p50_ms":…,"p99_ms":…,"error_samples":[…]}`.
//!
//! ```text
//! cargo run --release --example loadgen -- <mode> --url http://127.0.0.1:PORT [--conns 64] [--seconds 10] [--rate R]
//! modes: refresh | code | flow | login | user-token | me | cc | mixed | story
//!        | startup --port P -- CMD…
//! ```
//!
//! Without `--rate` the load is closed: each worker sends its next request
//! as soon as the last is answered. With `--rate R` it is paced: the workers
//! together start R operations a second on a fixed schedule, and an
//! operation's latency counts from when it was due, so a server that falls
//! behind is charged for the wait (no coordinated omission).
//!
//! `mixed` runs `--conns` workers of each of three streams at once (linking
//! flows, `GET /v1/me`, client_credentials) and prints one report per
//! stream. `story` runs the seed's story per worker, again and again, through
//! the Alexa simulator's JSON API: a new Alexa user, enable, login, consent,
//! the simulator's code exchange (its redirect endpoint), a LaunchRequest to
//! the skill (which calls `/v1/me`) and the answer; it reports stories per
//! second and the latency of each step.

use hdrhistogram::Histogram;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wire::{Conn, Reply, Target};

mod wire;

const CLIENT: &str = "alexa-skill";
const SECRET: &str = "alexa-skill-secret";
const REDIRECT: &str = "https://pitangui.amazon.com/api/skill/link/M2AB3CD4EF5GHI";
const SCOPE: &str = "user-read-private user-read-email user-read-playback-state";

use wire::Res;

struct Opts {
    mode: String,
    url: String,
    conns: usize,
    seconds: f64,
    /// Operations a second for all workers together; 0: closed loop.
    rate: f64,
    max: u64,
    username: String,
    password: String,
    rest: Vec<String>,
    port: u16,
}

fn parse_args() -> Opts {
    let mut args = std::env::args().skip(1);
    let mut o = Opts {
        mode: args.next().unwrap_or_default(),
        url: "http://127.0.0.1:8080".into(),
        conns: 64,
        seconds: 10.0,
        rate: 0.0,
        max: 1_000_000,
        username: "demo".into(),
        password: "demo".into(),
        rest: Vec::new(),
        port: 0,
    };
    while let Some(a) = args.next() {
        let mut val = || args.next().expect("option needs a value");
        match a.as_str() {
            "--url" => o.url = val(),
            "--conns" => o.conns = val().parse().expect("--conns"),
            "--seconds" => o.seconds = val().parse().expect("--seconds"),
            "--rate" => o.rate = val().parse().expect("--rate"),
            "--max" => o.max = val().parse().expect("--max"),
            "--user" => o.username = val(),
            "--password" => o.password = val(),
            "--port" => o.port = val().parse().expect("--port"),
            "--" => {
                o.rest = args.collect();
                break;
            }
            other => panic!("unknown option {other}"),
        }
    }
    o.url = o.url.trim_end_matches('/').to_owned();
    o
}

/// What the workers of one measured phase share.
struct Stats {
    hist: Mutex<Histogram<u64>>,
    ok: AtomicU64,
    errors: AtomicU64,
    samples: Mutex<Vec<String>>,
}

impl Stats {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            hist: Mutex::new(Histogram::new_with_bounds(1, 60_000_000, 3).expect("histogram")),
            ok: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            samples: Mutex::new(Vec::new()),
        })
    }

    fn record(&self, started: Instant, result: Res<()>) {
        let us = started.elapsed().as_micros().max(1) as u64;
        let _ = self.hist.lock().unwrap().record(us.min(60_000_000));
        match result {
            Ok(()) => {
                self.ok.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => {
                self.errors.fetch_add(1, Ordering::Relaxed);
                let mut s = self.samples.lock().unwrap();
                if s.len() < 5 && !s.contains(&e) {
                    s.push(e);
                }
            }
        }
    }

    fn report(&self, seconds: f64, extra: &[(&str, serde_json::Value)]) -> serde_json::Value {
        let h = self.hist.lock().unwrap();
        let ok = self.ok.load(Ordering::Relaxed);
        let errors = self.errors.load(Ordering::Relaxed);
        let mut v = serde_json::json!({
            "requests": ok + errors,
            "ok": ok,
            "errors": errors,
            "seconds": seconds,
            "rps": ok as f64 / seconds,
            "p50_ms": h.value_at_quantile(0.50) as f64 / 1000.0,
            "p90_ms": h.value_at_quantile(0.90) as f64 / 1000.0,
            "p99_ms": h.value_at_quantile(0.99) as f64 / 1000.0,
            "p999_ms": h.value_at_quantile(0.999) as f64 / 1000.0,
            "max_ms": h.max() as f64 / 1000.0,
            "error_samples": *self.samples.lock().unwrap(),
        });
        for (k, x) in extra {
            v[*k] = x.clone();
        }
        v
    }
}

fn http_client(conns: usize) -> reqwest::Client {
    // reqwest is built without a crypto provider of its own (no ring).
    mocklink::startup::install_crypto_provider();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(conns)
        .timeout(Duration::from_secs(10))
        .build()
        .expect("http client")
}

fn authorize_url(base: &str, state: u64) -> String {
    let q: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", CLIENT)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("state", &format!("s{state}"))
        .append_pair("scope", SCOPE)
        .finish();
    format!("{base}/authorize?{q}")
}

fn hidden(html: &str, name: &str) -> Res<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .ok_or_else(|| format!("no {name} in page"))?
        + marker.len();
    let end = html[start..].find('"').ok_or("unterminated value")?;
    Ok(html[start..start + end].to_owned())
}

/// The `name=value` of the cookie `name` the response sets (not a removal).
fn set_cookie(res: &reqwest::Response, name: &str) -> Option<String> {
    let prefix = format!("{name}=");
    res.headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&prefix) && !c.starts_with(&format!("{prefix};")))
        .map(|c| c.split(';').next().unwrap_or("").to_owned())
}

fn session_cookie(res: &reqwest::Response) -> Option<String> {
    set_cookie(res, "mocklink_session")
}

/// Logs in through the pages; returns the logged-in session cookie.
async fn login(http: &reqwest::Client, o: &Opts, n: u64) -> Res<String> {
    login_at(http, o, &authorize_url(&o.url, n)).await
}

/// Opens `authorize` (the login page) and posts the form; the session cookie.
async fn login_at(http: &reqwest::Client, o: &Opts, authorize: &str) -> Res<String> {
    let res = http
        .get(authorize)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if res.status().as_u16() != 200 {
        return Err(format!("login page answered {}", res.status()));
    }
    // The login form's CSRF token is bound to this signed cookie.
    let cookie = set_cookie(&res, "mocklink_csrf").ok_or("no CSRF cookie on the login page")?;
    let page = res.text().await.map_err(|e| e.to_string())?;
    let csrf = hidden(&page, "csrf_token")?;
    let return_to = format!(
        "/authorize?{}",
        authorize.split_once('?').ok_or("no query")?.1
    );
    let res = http
        .post(format!("{}/login", o.url))
        .header("Cookie", &cookie)
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("return_to", return_to.as_str()),
            ("username", o.username.as_str()),
            ("password", o.password.as_str()),
        ])
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if res.status().as_u16() != 303 {
        return Err(format!("login answered {}", res.status()));
    }
    session_cookie(&res).ok_or_else(|| "login set no session".into())
}

/// Logs in and grants consent once, so that later authorizations redirect at once.
async fn logged_in_with_consent(http: &reqwest::Client, o: &Opts) -> Res<String> {
    let cookie = login(http, o, 0).await?;
    let res = http
        .get(authorize_url(&o.url, 1))
        .header("Cookie", &cookie)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if res.status().as_u16() == 302 {
        return Ok(cookie); // consent already remembered
    }
    let page = res.text().await.map_err(|e| e.to_string())?;
    let csrf = hidden(&page, "csrf_token")?;
    let query = authorize_url("", 1).split_once('?').unwrap().1.to_owned();
    allow(http, o, &cookie, &csrf, &query).await?;
    Ok(cookie)
}

/// Posts "allow" on the consent page's form; the 303 it answers.
async fn allow(
    http: &reqwest::Client,
    o: &Opts,
    cookie: &str,
    csrf: &str,
    request: &str,
) -> Res<reqwest::Response> {
    let res = http
        .post(format!("{}/consent", o.url))
        .header("Cookie", cookie)
        .form(&[
            ("csrf_token", csrf),
            ("authorization_request", request),
            ("decision", "allow"),
        ])
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if res.status().as_u16() != 303 {
        return Err(format!("consent answered {}", res.status()));
    }
    Ok(res)
}

/// `GET /authorize` with a session whose consent is remembered: the code.
async fn authorize_code(http: &reqwest::Client, o: &Opts, cookie: &str, n: u64) -> Res<String> {
    let res = http
        .get(authorize_url(&o.url, n))
        .header("Cookie", cookie)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if res.status().as_u16() != 302 {
        return Err(format!("authorize answered {}", res.status()));
    }
    let loc = res
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|l| l.to_str().ok())
        .ok_or("no Location")?;
    let url = url::Url::parse(loc).map_err(|e| e.to_string())?;
    url.query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .ok_or_else(|| format!("no code in redirect: {}", url.query().unwrap_or("")))
}

/// The token endpoint through reqwest, for the set-up steps.
async fn token(http: &reqwest::Client, o: &Opts, form: &[(&str, &str)]) -> Res<serde_json::Value> {
    let res = http
        .post(format!("{}/api/token", o.url))
        .basic_auth(CLIENT, Some(SECRET))
        .form(form)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = res.status();
    let body = res.text().await.map_err(|e| e.to_string())?;
    if !status.is_success() {
        return Err(format!("token {status}: {}", wire::start_of(&body)));
    }
    serde_json::from_str(&body).map_err(|e| e.to_string())
}

async fn redeem(http: &reqwest::Client, o: &Opts, code: &str) -> Res<serde_json::Value> {
    token(
        http,
        o,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
        ],
    )
    .await
}

fn field(v: &serde_json::Value, name: &str) -> Res<String> {
    v[name]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("no {name} in token response"))
}

/// Runs `conns` workers until the deadline or `max` iterations in total. Each
/// worker owns one lean connection, lent to every call of `work` in turn.
/// Paced (`rate` > 0), worker `w`'s `k`-th operation is due at
/// `(k · conns + w) / rate` seconds after the start.
async fn run_workers<F, Fut>(o: &Opts, stats: Arc<Stats>, work: F) -> f64
where
    F: Fn(usize, u64, Conn) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = (Conn, Res<()>)> + Send,
{
    let work = Arc::new(work);
    let deadline = Instant::now() + Duration::from_secs_f64(o.seconds);
    let counter = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let period = (o.rate > 0.0).then(|| Duration::from_secs_f64(o.conns as f64 / o.rate));
    let mut handles = Vec::new();
    for w in 0..o.conns {
        let (work, stats, counter, max) = (work.clone(), stats.clone(), counter.clone(), o.max);
        let first = started + period.map_or(Duration::ZERO, |p| p * w as u32 / o.conns as u32);
        handles.push(tokio::spawn(async move {
            let mut conn = Conn::default();
            let mut due = first;
            while Instant::now() < deadline {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                if n >= max {
                    break;
                }
                let t = match period {
                    None => Instant::now(),
                    Some(period) => {
                        let t = paced_start(due).await;
                        due += period;
                        t
                    }
                };
                let (back, r) = work(w, n, conn).await;
                conn = back;
                stats.record(t, r);
            }
        }));
    }
    for h in handles {
        let _ = h.await;
    }
    started.elapsed().as_secs_f64()
}

/// Waits for an operation due at `due`; when its latency starts. Late (the
/// last operation took longer than the period): when it was due, so the wait
/// counts. Early: when the timer woke us, so its own lateness does not.
async fn paced_start(due: Instant) -> Instant {
    if Instant::now() >= due {
        return due;
    }
    tokio::time::sleep_until(due.into()).await;
    Instant::now()
}

/// What the measured loops share: the lean client's target and a session
/// whose consent is remembered (`Cookie:` header line).
struct Lean {
    target: Target,
    cookie: String,
    redirect: String,
}

impl Lean {
    async fn new(o: &Opts) -> Res<Arc<Self>> {
        let cookie = logged_in_with_consent(&http_client(2), o).await?;
        Ok(Arc::new(Self {
            target: Target::new(&o.url, CLIENT, SECRET)?,
            cookie: format!("Cookie: {cookie}\r\n"),
            redirect: wire::encode(REDIRECT),
        }))
    }

    /// `GET /authorize` with the session: the code out of the 302's Location.
    async fn code(&self, conn: &mut Conn, n: u64) -> Res<String> {
        let request = self.target.get(&authorize_url("", n), &self.cookie);
        let reply = conn
            .send(&self.target, &request)
            .await?
            .expect(302, "authorize")?;
        let location = reply.location.as_deref().ok_or("no Location")?;
        wire::query_value(location, "code")
            .map(str::to_owned)
            .ok_or_else(|| format!("no code in redirect: {location}"))
    }

    async fn token(&self, conn: &mut Conn, form: &str) -> Res<Reply> {
        let request = self.target.token_request(form);
        conn.send(&self.target, &request)
            .await?
            .expect(200, "token")
    }

    async fn redeem(&self, conn: &mut Conn, code: &str) -> Res<Reply> {
        let form = format!(
            "grant_type=authorization_code&code={code}&redirect_uri={}",
            self.redirect
        );
        self.token(conn, &form).await
    }

    /// One linking flow: authorize → 302 → token; the access token is checked.
    /// With `steps`, each request's latency is recorded there too.
    async fn flow(&self, conn: &mut Conn, n: u64, steps: Option<&FlowSteps>) -> Res<()> {
        let t = Instant::now();
        let code = self.code(conn, n).await;
        if let Some(s) = steps {
            s.authorize
                .record(t, code.as_ref().map(|_| ()).map_err(Clone::clone));
        }
        let t = Instant::now();
        let token = self.redeem(conn, &code?).await;
        if let Some(s) = steps {
            s.token
                .record(t, token.as_ref().map(|_| ()).map_err(Clone::clone));
        }
        token?.json_str("access_token")?;
        Ok(())
    }

    async fn cc(&self, conn: &mut Conn) -> Res<()> {
        self.token(conn, "grant_type=client_credentials")
            .await?
            .json_str("access_token")?;
        Ok(())
    }

    async fn me(&self, conn: &mut Conn, bearer: &str) -> Res<()> {
        let request = self.target.get("/v1/me", bearer);
        conn.send(&self.target, &request)
            .await?
            .expect(200, "/v1/me")?;
        Ok(())
    }
}

/// Case 2: each worker owns a refresh-token chain and rotates it.
async fn refresh(o: Arc<Opts>) -> Res<serde_json::Value> {
    let lean = Lean::new(&o).await?;
    let mut conn = Conn::default();
    let mut chains = Vec::new();
    for w in 0..o.conns {
        let code = lean.code(&mut conn, w as u64).await?;
        let reply = lean.redeem(&mut conn, &code).await?;
        chains.push(Mutex::new(reply.json_str("refresh_token")?.to_owned()));
    }
    let chains = Arc::new(chains);
    let stats = Stats::new();
    let secs = run_workers(&o, stats.clone(), move |w, _, mut conn| {
        let (lean, chains) = (lean.clone(), chains.clone());
        async move {
            let current = chains[w].lock().unwrap().clone();
            let form = format!("grant_type=refresh_token&refresh_token={current}");
            let r = match lean.token(&mut conn, &form).await {
                Ok(reply) => reply.json_str("refresh_token").map(|next| {
                    *chains[w].lock().unwrap() = next.to_owned();
                }),
                Err(e) => Err(e),
            };
            (conn, r)
        }
    })
    .await;
    Ok(stats.report(secs, &[]))
}

/// Case 3: codes minted first (for at most the same time), then each redeemed once.
async fn code(o: Arc<Opts>) -> Res<serde_json::Value> {
    let lean = Lean::new(&o).await?;
    let codes = Arc::new(Mutex::new(Vec::new()));
    let mint = Stats::new();
    let (l, c2) = (lean.clone(), codes.clone());
    let mint_secs = run_workers(&o, mint.clone(), move |_, n, mut conn| {
        let (lean, codes) = (l.clone(), c2.clone());
        async move {
            let r = lean.code(&mut conn, n).await.map(|code| {
                codes.lock().unwrap().push(code);
            });
            (conn, r)
        }
    })
    .await;
    let codes = Arc::new(std::mem::take(&mut *codes.lock().unwrap()));
    let redeem_opts = Opts {
        max: codes.len() as u64,
        mode: o.mode.clone(),
        url: o.url.clone(),
        rest: Vec::new(),
        username: o.username.clone(),
        password: o.password.clone(),
        ..*o
    };
    let stats = Stats::new();
    let cs = codes.clone();
    let secs = run_workers(&redeem_opts, stats.clone(), move |_, n, mut conn| {
        let (lean, codes) = (lean.clone(), cs.clone());
        async move {
            let r = lean.redeem(&mut conn, &codes[n as usize]).await;
            (conn, r.map(|_| ()))
        }
    })
    .await;
    Ok(stats.report(
        secs,
        &[
            ("codes_minted", codes.len().into()),
            ("mint", mint.report(mint_secs, &[])),
        ],
    ))
}

/// The latency of each request of a linking flow (where a flow's tail sits).
struct FlowSteps {
    authorize: Arc<Stats>,
    token: Arc<Stats>,
}

/// Case 7: authorize (session, consent remembered) → 302 with code → token, per flow.
async fn flow(o: Arc<Opts>) -> Res<serde_json::Value> {
    let lean = Lean::new(&o).await?;
    let stats = Stats::new();
    let steps = Arc::new(FlowSteps {
        authorize: Stats::new(),
        token: Stats::new(),
    });
    let s = steps.clone();
    let secs = run_workers(&o, stats.clone(), move |_, n, mut conn| {
        let (lean, steps) = (lean.clone(), s.clone());
        async move {
            let r = lean.flow(&mut conn, n, Some(&steps)).await;
            (conn, r)
        }
    })
    .await;
    Ok(stats.report(
        secs,
        &[
            ("authorize", steps.authorize.report(secs, &[])),
            ("token", steps.token.report(secs, &[])),
        ],
    ))
}

/// A user's access token as the `Authorization:` header line of `/v1/me`.
async fn bearer(o: &Arc<Opts>) -> Res<Arc<String>> {
    let v = user_token(o.clone()).await?;
    Ok(Arc::new(format!(
        "Authorization: Bearer {}\r\n",
        field(&v, "access_token")?
    )))
}

/// Case `me` or `cc` alone (for the mixed case's "alone" figures).
async fn single(o: Arc<Opts>, which: &'static str) -> Res<serde_json::Value> {
    let lean = Lean::new(&o).await?;
    let bearer = bearer(&o).await?;
    let stats = Stats::new();
    let secs = run_workers(&o, stats.clone(), move |_, _, mut conn| {
        let (lean, bearer) = (lean.clone(), bearer.clone());
        async move {
            let r = if which == "me" {
                lean.me(&mut conn, &bearer).await
            } else {
                lean.cc(&mut conn).await
            };
            (conn, r)
        }
    })
    .await;
    Ok(stats.report(secs, &[]))
}

/// Linking flows, `/v1/me` and client_credentials at once, `--conns` each.
async fn mixed(o: Arc<Opts>) -> Res<serde_json::Value> {
    let lean = Lean::new(&o).await?;
    let bearer = bearer(&o).await?;
    let (flows, me, cc) = (Stats::new(), Stats::new(), Stats::new());
    let l = lean.clone();
    let flow_run = run_workers(&o, flows.clone(), move |_, n, mut conn| {
        let lean = l.clone();
        async move {
            let r = lean.flow(&mut conn, n, None).await;
            (conn, r)
        }
    });
    let l = lean.clone();
    let me_run = run_workers(&o, me.clone(), move |_, _, mut conn| {
        let (lean, bearer) = (l.clone(), bearer.clone());
        async move {
            let r = lean.me(&mut conn, &bearer).await;
            (conn, r)
        }
    });
    let cc_run = run_workers(&o, cc.clone(), move |_, _, mut conn| {
        let lean = lean.clone();
        async move {
            let r = lean.cc(&mut conn).await;
            (conn, r)
        }
    });
    let (fs, ms, cs) = tokio::join!(flow_run, me_run, cc_run);
    Ok(serde_json::json!({
        "flow": flows.report(fs, &[]),
        "me": me.report(ms, &[]),
        "cc": cc.report(cs, &[]),
    }))
}

/// `&amp;` and friends back to text, for values read out of our pages.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(end) = rest.find(';') else { break };
        let entity = &rest[1..end];
        let ch = match entity {
            "amp" => Some('&'),
            "quot" => Some('"'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "apos" => Some('\''),
            e if e.starts_with("#x") || e.starts_with("#X") => u32::from_str_radix(&e[2..], 16)
                .ok()
                .and_then(char::from_u32),
            e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match ch {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

const STORY_STEPS: [&str; 6] = [
    "new_user", "enable", "login", "consent", "exchange", "launch",
];

/// One story: the Alexa simulator's user links through the provider's pages
/// and opens the skill, which greets them by the name `/v1/me` gives.
async fn story_once(http: &reqwest::Client, o: &Opts, steps: &[Arc<Stats>]) -> Res<()> {
    async fn json_post(
        http: &reqwest::Client,
        url: String,
        body: serde_json::Value,
    ) -> Res<serde_json::Value> {
        let res = http
            .post(&url)
            .json(&body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = res.status();
        let text = res.text().await.map_err(|e| e.to_string())?;
        if !status.is_success() {
            return Err(format!(
                "{url} answered {status}: {}",
                wire::start_of(&text)
            ));
        }
        serde_json::from_str(&text).map_err(|e| e.to_string())
    }
    let timed = |i: usize, t: Instant, r: &Res<()>| {
        steps[i].record(t, r.clone());
    };
    // 1. A new simulated Alexa user.
    let t = Instant::now();
    let user = json_post(
        http,
        format!("{}/alexa/api/users", o.url),
        serde_json::json!({}),
    )
    .await;
    let id = user.and_then(|u| field(&u, "id"));
    timed(0, t, &id.as_ref().map(|_| ()).map_err(Clone::clone));
    let id = id?;
    // 2. "Enable skill": the authorize URL. show_dialog makes the provider ask
    // for consent even though the demo user agreed in an earlier story, as it
    // would for a user linking for the first time.
    let t = Instant::now();
    let enabled = json_post(
        http,
        format!("{}/alexa/api/users/{id}/enable", o.url),
        serde_json::json!({}),
    )
    .await;
    let authorize = enabled
        .and_then(|e| field(&e, "authorize_url"))
        .map(|u| format!("{u}&show_dialog=true"));
    timed(1, t, &authorize.as_ref().map(|_| ()).map_err(Clone::clone));
    let authorize = authorize?;
    // 3. Login: the page, then the form (argon2).
    let t = Instant::now();
    let cookie = login_at(http, o, &authorize).await;
    timed(2, t, &cookie.as_ref().map(|_| ()).map_err(Clone::clone));
    let cookie = cookie?;
    // 4. Consent: the page, then "allow"; the redirect back to Alexa.
    let t = Instant::now();
    let back: Res<String> = async {
        let res = http
            .get(&authorize)
            .header("Cookie", &cookie)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if res.status().as_u16() != 200 {
            return Err(format!("consent page answered {}", res.status()));
        }
        let page = res.text().await.map_err(|e| e.to_string())?;
        let csrf = unescape(&hidden(&page, "csrf_token")?);
        let request = unescape(&hidden(&page, "authorization_request")?);
        let res = allow(http, o, &cookie, &csrf, &request).await?;
        res.headers()
            .get(reqwest::header::LOCATION)
            .and_then(|l| l.to_str().ok())
            .map(str::to_owned)
            .ok_or_else(|| "no Location after consent".into())
    }
    .await;
    timed(3, t, &back.as_ref().map(|_| ()).map_err(Clone::clone));
    let back = back?;
    // 5. The browser lands on Alexa's redirect URL: the simulator checks the
    // state and exchanges the code at the token endpoint.
    let t = Instant::now();
    let linked: Res<()> = async {
        let res = http.get(&back).send().await.map_err(|e| e.to_string())?;
        let status = res.status();
        let page = res.text().await.map_err(|e| e.to_string())?;
        if status.as_u16() != 200 || !page.contains("successfully linked") {
            return Err(format!("link callback answered {status}"));
        }
        Ok(())
    }
    .await;
    timed(4, t, &linked);
    linked?;
    // 6. "Alexa, open mock music": the skill reads /v1/me and greets by name.
    let t = Instant::now();
    let said = json_post(
        http,
        format!("{}/alexa/api/users/{id}/talk", o.url),
        serde_json::json!({"launch": true}),
    )
    .await
    .and_then(|r| {
        let speech = r["speech"].as_str().unwrap_or("");
        if r["linked"] == serde_json::json!(true) && speech.starts_with("Welcome to mock music,") {
            Ok(())
        } else {
            Err(format!(
                "the skill said {:?}",
                &speech[..speech.len().min(80)]
            ))
        }
    });
    timed(5, t, &said);
    said
}

/// The seed's story per second, `--conns` simulated users at a time.
async fn story(o: Arc<Opts>) -> Res<serde_json::Value> {
    let http = http_client(o.conns);
    let steps: Arc<Vec<Arc<Stats>>> = Arc::new(STORY_STEPS.iter().map(|_| Stats::new()).collect());
    let stats = Stats::new();
    let (h, oo, st) = (http.clone(), o.clone(), steps.clone());
    let secs = run_workers(&o, stats.clone(), move |_, _, conn| {
        let (http, o, steps) = (h.clone(), oo.clone(), st.clone());
        async move { (conn, story_once(&http, &o, &steps).await) }
    })
    .await;
    let per_step: serde_json::Map<String, serde_json::Value> = STORY_STEPS
        .iter()
        .zip(steps.iter())
        .map(|(name, s)| ((*name).to_owned(), s.report(secs, &[])))
        .collect();
    Ok(stats.report(secs, &[("steps", per_step.into())]))
}

/// Login pressure: each iteration opens the login page and posts the form (argon2).
async fn logins(o: Arc<Opts>) -> Res<serde_json::Value> {
    let http = http_client(o.conns);
    let stats = Stats::new();
    let (h, oo) = (http.clone(), o.clone());
    let secs = run_workers(&o, stats.clone(), move |_, n, conn| {
        let (http, o) = (h.clone(), oo.clone());
        async move { (conn, login(&http, &o, n).await.map(|_| ())) }
    })
    .await;
    Ok(stats.report(secs, &[]))
}

/// Prints a user's access token (for /v1/me, introspection, the skill).
async fn user_token(o: Arc<Opts>) -> Res<serde_json::Value> {
    let http = http_client(2);
    let cookie = logged_in_with_consent(&http, &o).await?;
    let code = authorize_code(&http, &o, &cookie, 7).await?;
    let v = redeem(&http, &o, &code).await?;
    Ok(
        serde_json::json!({ "access_token": field(&v, "access_token")?,
                           "refresh_token": field(&v, "refresh_token")? }),
    )
}

/// Time from exec to the first 200 from `/healthz`, polled every 0.5 ms.
fn startup(o: &Opts) -> Res<serde_json::Value> {
    let (cmd, args) = o.rest.split_first().ok_or("startup needs -- CMD")?;
    let started = Instant::now();
    let mut child = std::process::Command::new(cmd)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    let deadline = started + Duration::from_secs(20);
    let mut result = Err("no answer within 20 s".to_owned());
    while Instant::now() < deadline {
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", o.port)) {
            let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
            let _ = s.write_all(
                b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
            );
            let mut buf = [0u8; 12];
            if s.read_exact(&mut buf).is_ok() && buf.starts_with(b"HTTP/1.1 200") {
                result = Ok(started.elapsed());
                break;
            }
        }
        if let Ok(Some(status)) = child.try_wait() {
            result = Err(format!("server exited: {status}"));
            break;
        }
        std::thread::sleep(Duration::from_micros(500));
    }
    let rss_kb = std::fs::read_to_string(format!("/proc/{}/status", child.id()))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        });
    let _ = child.kill();
    let _ = child.wait();
    let d = result?;
    Ok(
        serde_json::json!({ "startup_ms": d.as_secs_f64() * 1000.0, "rss_kb_at_first_answer": rss_kb }),
    )
}

fn main() {
    let o = Arc::new(parse_args());
    let out = if o.mode == "startup" {
        startup(&o)
    } else {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            match o.mode.as_str() {
                "refresh" => refresh(o.clone()).await,
                "code" => code(o.clone()).await,
                "flow" => flow(o.clone()).await,
                "login" => logins(o.clone()).await,
                "user-token" => user_token(o.clone()).await,
                "me" => single(o.clone(), "me").await,
                "cc" => single(o.clone(), "cc").await,
                "mixed" => mixed(o.clone()).await,
                "story" => story(o.clone()).await,
                m => Err(format!(
                    "unknown mode '{m}' (refresh | code | flow | login | user-token | me | cc | mixed | story | startup)"
                )),
            }
        })
    };
    match out {
        Ok(v) => println!("{v}"),
        Err(e) => {
            eprintln!("loadgen {}: {e}", o.mode);
            std::process::exit(1);
        }
    }
}
