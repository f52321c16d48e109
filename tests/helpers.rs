#![allow(dead_code)] // helpers are shared; not every test uses all of them
//! One way to start the real app for a test: `spawn_app()` binds port 0,
//! builds the app on a fresh database (a temporary SQLite file, or a fresh
//! PostgreSQL database when MOCKLINK_TEST_DATABASE_URL is set), and gives a
//! base URL, an HTTP client that does not follow redirects, and the clock.

use mocklink::clock::Clock;
use mocklink::config::Settings;
use mocklink::startup::Services;
use mocklink::testing::TestServer;
use oauth2::basic::BasicClient;
use oauth2::{AuthUrl, ClientId, ClientSecret, EndpointNotSet, EndpointSet, RedirectUrl, TokenUrl};
use std::collections::BTreeMap;
use std::sync::Once;
use std::time::Duration;

pub const DEMO_CLIENT: &str = "alexa-skill";
pub const DEMO_SECRET: &str = "alexa-skill-secret";
pub const DEMO_VENDOR: &str = "M2AB3CD4EF5GHI";
pub const ALEXA_REDIRECT: &str = "https://pitangui.amazon.com/api/skill/link/M2AB3CD4EF5GHI";

pub type OAuthClient =
    BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

pub struct TestApp {
    /// Base URL, no trailing slash.
    pub url: String,
    /// Browser-like client: keeps cookies, never follows redirects.
    pub browser: reqwest::Client,
    /// Server-to-server client, no cookies, no redirects (as oauth2 requires).
    pub http: reqwest::Client,
    pub state: Services,
    pub clock: Clock,
    pub db: std::sync::Arc<TestDb>,
    server: TestServer,
}

static LOGS: Once = Once::new();

/// A fresh app with the default settings (demo user and client seeded).
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// A fresh app whose settings `customize` may change first.
pub async fn spawn_app_with(customize: impl FnOnce(&mut Settings)) -> TestApp {
    let db = std::sync::Arc::new(TestDb::create().await);
    spawn_on(db, customize).await
}

/// An app on an existing test database (a restart, or a second instance).
pub async fn spawn_on(
    db: std::sync::Arc<TestDb>,
    customize: impl FnOnce(&mut Settings),
) -> TestApp {
    LOGS.call_once(|| {
        if std::env::var_os("MOCKLINK_TEST_LOG").is_some() {
            mocklink::telemetry::init(false);
        }
    });
    let mut settings = Settings {
        database_url: db.url.clone(),
        listen: "127.0.0.1:0".parse().unwrap(),
        ..Settings::default()
    };
    customize(&mut settings);
    let clock = Clock::default();
    // `TestServer` gives the app a runtime of its own on its own thread, as
    // in production: its database connections then never depend on the
    // test's runtime, so a test may block its thread freely.
    let server = TestServer::start_on(settings, clock.clone())
        .await
        .expect("app builds");
    // Requests go to the bound address, whatever public URL the test configured.
    let url = server.url().to_owned();
    let state = server.state().clone();
    // Test certificates are self-signed; the TLS test checks the chain itself.
    let probe = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap();
    let up = eventually(Duration::from_secs(10), async || {
        probe
            .get(format!("{url}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
    })
    .await;
    assert!(up, "the test server did not come up");
    TestApp {
        url,
        browser: reqwest::Client::builder()
            .cookie_store(true)
            .danger_accept_invalid_certs(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        http: reqwest::Client::builder()
            .danger_accept_invalid_certs(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        state,
        clock,
        db,
        server,
    }
}

impl TestApp {
    pub async fn stop(&self) {
        self.server.stop().await;
    }

    /// An `oauth2` client for the demo Alexa client, redirecting to Alexa's
    /// North-America URL, with the given authentication scheme.
    pub fn oauth_client(&self, auth: oauth2::AuthType) -> OAuthClient {
        self.oauth_client_for(DEMO_CLIENT, Some(DEMO_SECRET), ALEXA_REDIRECT, auth)
    }

    pub fn oauth_client_for(
        &self,
        id: &str,
        secret: Option<&str>,
        redirect: &str,
        auth: oauth2::AuthType,
    ) -> OAuthClient {
        let mut c = BasicClient::new(ClientId::new(id.into()))
            .set_auth_uri(AuthUrl::new(format!("{}/authorize", self.url)).unwrap())
            .set_token_uri(TokenUrl::new(format!("{}/api/token", self.url)).unwrap())
            .set_redirect_uri(RedirectUrl::new(redirect.into()).unwrap())
            .set_auth_type(auth);
        if let Some(s) = secret {
            c = c.set_client_secret(ClientSecret::new(s.into()));
        }
        c
    }

    pub async fn get(&self, path_and_query: &str) -> reqwest::Response {
        self.browser
            .get(format!("{}{}", self.url, path_and_query))
            .send()
            .await
            .expect("request")
    }

    /// POSTs a form to `path` from the browser (cookies included).
    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.browser
            .post(format!("{}{}", self.url, path))
            .form(form)
            .send()
            .await
            .expect("request")
    }

    /// POSTs a raw form body to the token endpoint, optionally with Basic auth.
    pub async fn token_request(
        &self,
        body: &str,
        basic: Option<(&str, &str)>,
    ) -> reqwest::Response {
        let mut req = self
            .http
            .post(format!("{}/api/token", self.url))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body.to_owned());
        if let Some((id, secret)) = basic {
            req = req.basic_auth(id, Some(secret));
        }
        req.send().await.expect("request")
    }

    /// Logs the browser in from the login page `page` (HTML) as `user`.
    pub async fn submit_login(&self, page: &str, user: &str, password: &str) -> reqwest::Response {
        let csrf = form_value(page, "csrf_token").expect("login page has a CSRF token");
        let return_to = form_value(page, "return_to").unwrap_or_default();
        self.post_form(
            "/login",
            &[
                ("csrf_token", &csrf),
                ("return_to", &return_to),
                ("username", user),
                ("password", password),
            ],
        )
        .await
    }

    /// Answers the consent page `page` with `decision` ("allow" or "deny").
    pub async fn submit_consent(&self, page: &str, decision: &str) -> reqwest::Response {
        let csrf = form_value(page, "csrf_token").expect("consent page has a CSRF token");
        let request =
            form_value(page, "authorization_request").expect("consent page carries the request");
        self.post_form(
            "/consent",
            &[
                ("csrf_token", &csrf),
                ("authorization_request", &request),
                ("decision", decision),
            ],
        )
        .await
    }

    /// Plays the person in the browser: opens `authorize_url`, logs in as the
    /// demo user if asked, agrees if asked, and returns the final redirect.
    pub async fn browse_and_agree(&self, authorize_url: &str) -> url::Url {
        self.browse(authorize_url, "demo", "demo", "allow").await
    }

    pub async fn browse(
        &self,
        authorize_url: &str,
        user: &str,
        password: &str,
        decision: &str,
    ) -> url::Url {
        let mut res = self.browser.get(authorize_url).send().await.unwrap();
        for _ in 0..4 {
            if res.status().is_redirection() {
                let location = location(&res);
                if location.starts_with('/') {
                    res = self.get(&location).await;
                    continue;
                }
                return url::Url::parse(&location).unwrap();
            }
            assert_eq!(res.status(), 200, "unexpected page");
            let page = res.text().await.unwrap();
            res = if page.contains("action=\"/login\"") {
                self.submit_login(&page, user, password).await
            } else if page.contains("action=\"/consent\"") {
                self.submit_consent(&page, decision).await
            } else {
                panic!("unexpected page: {page}");
            };
        }
        panic!("the flow did not end in a redirect to the client");
    }
}

/// The `Location` header of a redirect.
pub fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get("location")
        .expect("a Location header")
        .to_str()
        .unwrap()
        .to_owned()
}

/// A query parameter of a URL.
pub fn query_param(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The value of the form field `name` in an HTML page.
pub use mocklink::commands::demo::form_value;

/// Polls `check` until it returns true or `deadline` passes.
pub async fn eventually(deadline: Duration, mut check: impl AsyncFnMut() -> bool) -> bool {
    let end = std::time::Instant::now() + deadline;
    loop {
        if check().await {
            return true;
        }
        if std::time::Instant::now() > end {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A database that exists for one test: a temporary SQLite file, or a fresh
/// PostgreSQL database created next to MOCKLINK_TEST_DATABASE_URL and dropped
/// when the test ends.
pub struct TestDb {
    pub url: String,
    pub backend: &'static str,
    admin_url: Option<String>,
    name: String,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    pub async fn create() -> Self {
        // Every test starts here: its HTTP clients (reqwest without a crypto
        // provider of its own, as in the binary) then find aws-lc-rs.
        mocklink::startup::install_crypto_provider();
        match std::env::var("MOCKLINK_TEST_DATABASE_URL") {
            Ok(admin_url) if !admin_url.is_empty() => {
                use sqlx::Connection;
                let name = format!("mocklink_test_{}", uuid::Uuid::new_v4().simple());
                let mut conn = sqlx::PgConnection::connect(&admin_url)
                    .await
                    .expect("MOCKLINK_TEST_DATABASE_URL is reachable");
                sqlx::Executor::execute(&mut conn, format!("CREATE DATABASE {name}").as_str())
                    .await
                    .expect("create test database");
                let mut url = url::Url::parse(&admin_url).unwrap();
                url.set_path(&name);
                Self {
                    url: url.to_string(),
                    backend: "postgres",
                    admin_url: Some(admin_url),
                    name,
                    _dir: None,
                }
            }
            _ => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite:{}", dir.path().join("mocklink.db").display());
                Self {
                    url,
                    backend: "sqlite",
                    admin_url: None,
                    name: String::new(),
                    _dir: Some(dir),
                }
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(admin) = self.admin_url.clone() else {
            return;
        };
        let name = self.name.clone();
        // Drop runs outside async; use a short-lived runtime on its own thread.
        let _ = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(async {
                    use sqlx::Connection;
                    if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                        let _ = sqlx::Executor::execute(
                            &mut conn,
                            format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str(),
                        )
                        .await;
                    }
                })
        })
        .join();
    }
}

impl TestApp {
    /// The demo client's authorize URL for `scope`, with `extra` parameters.
    pub fn demo_authorize_url(&self, scope: &str, extra: &[(&str, &str)]) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        q.append_pair("response_type", "code")
            .append_pair("client_id", DEMO_CLIENT)
            .append_pair("redirect_uri", ALEXA_REDIRECT)
            .append_pair("scope", scope)
            .append_pair("state", "st");
        for (k, v) in extra {
            q.append_pair(k, v);
        }
        format!("{}/authorize?{}", self.url, q.finish())
    }

    /// Opens the demo client's authorization page in the browser: the login
    /// page (HTML) for a browser that is not logged in.
    pub async fn login_page(&self) -> String {
        let res = self
            .browser
            .get(self.demo_authorize_url("", &[]))
            .send()
            .await
            .unwrap();
        res.text().await.unwrap()
    }

    /// Runs the browser part for the demo client and returns the code.
    pub async fn demo_code(&self, scope: &str) -> String {
        let back = self
            .browse_and_agree(&self.demo_authorize_url(scope, &[]))
            .await;
        query_param(&back, "code").expect("a code in the redirect")
    }

    /// Exchanges a demo-client code with Basic auth; returns status and JSON.
    pub async fn exchange_demo_code(&self, code: &str) -> (u16, serde_json::Value) {
        let body = form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "authorization_code")
            .append_pair("code", code)
            .append_pair("redirect_uri", ALEXA_REDIRECT)
            .finish();
        let res = self
            .token_request(&body, Some((DEMO_CLIENT, DEMO_SECRET)))
            .await;
        (res.status().as_u16(), res.json().await.expect("JSON body"))
    }

    /// A fresh demo-user token pair: (access_token, refresh_token).
    pub async fn demo_tokens(&self, scope: &str) -> (String, String) {
        let code = self.demo_code(scope).await;
        let (status, json) = self.exchange_demo_code(&code).await;
        assert_eq!(status, 200, "{json}");
        (
            json["access_token"].as_str().unwrap().to_owned(),
            json["refresh_token"].as_str().unwrap().to_owned(),
        )
    }

    /// How many grants are stored (pending, active or revoked).
    pub async fn grant_count(&self) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM grants")
            .fetch_one(self.state.store.pool())
            .await
            .unwrap()
    }

    /// Refreshes with the demo client; returns status and JSON.
    pub async fn refresh_demo(&self, refresh_token: &str) -> (u16, serde_json::Value) {
        let body = form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "refresh_token")
            .append_pair("refresh_token", refresh_token)
            .finish();
        let res = self
            .token_request(&body, Some((DEMO_CLIENT, DEMO_SECRET)))
            .await;
        (res.status().as_u16(), res.json().await.expect("JSON body"))
    }

    /// Introspects `token` as the demo client.
    pub async fn introspect(&self, token: &str) -> serde_json::Value {
        let res = self
            .http
            .post(format!("{}/api/introspect", self.url))
            .basic_auth(DEMO_CLIENT, Some(DEMO_SECRET))
            .form(&[("token", token)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        res.json().await.unwrap()
    }
}

/// Runs the `mocklink` binary on `db` with `args` and extra environment;
/// returns whether it succeeded and its combined output.
pub fn run_cli(db: &TestDb, args: &[&str], envs: &[(&str, &str)]) -> (bool, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mocklink"))
        .args(args)
        .env("DATABASE_URL", &db.url)
        .env_remove("MOCKLINK_CONFIG")
        .envs(envs.iter().copied())
        .output()
        .expect("run mocklink");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// Tables a rejected request may write: `auth_failures` records failed logins
/// and client authentications, which is how the rate limits (item 12)
/// remember them; `inspector_events` is the flow inspector recording the
/// rejected request, which is its job (its own tests check what it records).
/// Every other table must be left exactly as it was, content included.
pub const WRITTEN_BY_REJECTIONS: &[&str] = &["auth_failures", "inspector_events"];

/// A query string from generated pairs, sometimes percent-encoded and
/// sometimes raw: real servers receive both.
pub fn join_query(pairs: &[(String, String)]) -> String {
    let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    pairs
        .iter()
        .map(|(k, v)| {
            if k.len() % 2 == 0 {
                format!("{}={}", enc(k), enc(v))
            } else {
                format!("{k}={v}")
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// An order-independent digest of the content of every table but `except`,
/// by table: each row becomes one line of its columns as text, and the
/// sorted lines are hashed, so an UPDATE shows as well as an INSERT or a
/// DELETE (row counts alone miss an UPDATE).
pub async fn table_digests(app: &TestApp, except: &[&str]) -> BTreeMap<String, u64> {
    let sql = digest_query(app, except).await;
    let rows: Vec<(String, Option<String>)> = sqlx::query_as(&sql)
        .fetch_all(app.state.store.pool())
        .await
        .expect("table digest query");
    rows.into_iter()
        .map(|(table, text)| {
            let text = text.unwrap_or_default();
            let mut lines: Vec<&str> = text.split('\n').collect();
            lines.sort_unstable();
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            std::hash::Hash::hash(&lines, &mut hasher);
            (table, std::hash::Hasher::finish(&hasher))
        })
        .collect()
}

/// The tables whose digests differ between two snapshots.
pub fn changed_tables(
    before: &BTreeMap<String, u64>,
    after: &BTreeMap<String, u64>,
) -> Vec<String> {
    before
        .keys()
        .chain(after.keys())
        .filter(|t| before.get(*t) != after.get(*t))
        .cloned()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// One statement that returns (table, all its rows as lines of text) for
/// every table; built once per backend and exclusion list (the schema is the
/// same for every test database).
async fn digest_query(app: &TestApp, except: &[&str]) -> String {
    use std::sync::{LazyLock, Mutex};
    static QUERIES: LazyLock<Mutex<std::collections::HashMap<String, String>>> =
        LazyLock::new(Default::default);
    let key = format!("{}:{}", app.db.backend, except.join(","));
    if let Some(sql) = QUERIES.lock().unwrap().get(&key) {
        return sql.clone();
    }
    let postgres = app.db.backend == "postgres";
    let columns: Vec<(String, String)> = sqlx::query_as(if postgres {
        "SELECT CAST(table_name AS TEXT), CAST(column_name AS TEXT) \
         FROM information_schema.columns WHERE table_schema = current_schema() \
         ORDER BY table_name, ordinal_position"
    } else {
        "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p \
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, p.cid"
    })
    .fetch_all(app.state.store.pool())
    .await
    .expect("list the columns");
    let mut tables: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (table, column) in columns {
        // The migrator's bookkeeping (with binary checksums) is not app data.
        if !except.contains(&table.as_str()) && !table.starts_with("_sqlx") {
            tables.entry(table).or_default().push(column);
        }
    }
    assert!(tables.len() > 10, "tables not found: {tables:?}");
    let (aggregate, newline) = if postgres {
        ("string_agg", "chr(10)")
    } else {
        ("group_concat", "char(10)")
    };
    let sql = tables
        .iter()
        .map(|(table, columns)| {
            let row = columns
                .iter()
                .map(|c| format!("COALESCE(CAST(\"{c}\" AS TEXT), '~null~')"))
                .collect::<Vec<_>>()
                .join(" || '|' || ");
            format!(
                "SELECT '{table}', {aggregate}(r, {newline}) FROM (SELECT {row} AS r FROM \"{table}\") s"
            )
        })
        .collect::<Vec<_>>()
        .join(" UNION ALL ");
    QUERIES.lock().unwrap().insert(key, sql.clone());
    sql
}
