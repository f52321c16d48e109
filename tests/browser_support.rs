//! Real-browser tests: Debian's Chromium driven through ChromeDriver (W3C
//! WebDriver) with fantoccini.
//!
//! Each test gets its own chromedriver (on a port it picks itself) and its
//! own browser profile. Without chromedriver on the machine the browser tests
//! say so and pass, so README's `cargo test` works on a fresh machine;
//! `.ci/run` installs Chromium and sets `MOCKLINK_REQUIRE_BROWSER=1`, which
//! turns a missing browser into a failure.
//!
//! Screenshots go to `target/screenshots/`; with `MOCKLINK_UPDATE_SCREENSHOTS=1`
//! they also replace the ones in `docs/screenshots/` used by the README (not on
//! every run: the pages show random values, so every run would change them).

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::elements::Element;
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use futures_util::FutureExt;
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Two browsers at a time: each Chromium wants most of a core while it starts.
static BROWSERS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// Where chromedriver is, or why the browser tests cannot run.
fn chromedriver() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("MOCKLINK_CHROMEDRIVER") {
        return Some(path.into());
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("chromedriver"))
            .find(|p| p.is_file())
    })
}

/// A chromedriver process, killed when dropped (also when a test panics).
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start(path: &Path) -> Driver {
        let mut child = Command::new(path)
            .arg("--port=0")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", path.display()));
        let stdout = child.stdout.take().expect("piped stdout");
        // It prints "ChromeDriver was started successfully on port 36943."
        let mut lines = BufReader::new(stdout).lines();
        let port = loop {
            let line = lines
                .next()
                .expect("chromedriver exited before saying its port")
                .expect("chromedriver output");
            if let Some(rest) = line.split("on port ").nth(1) {
                if line.contains("successfully") {
                    break rest.trim_end_matches('.').trim().parse().expect("a port");
                }
            }
        };
        // Keep draining its output so it never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Driver { child, port }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A headless Chromium session.
pub struct Browser {
    pub client: Client,
    /// Whether pages may run JavaScript (the no-JS run proves every action
    /// is a plain form).
    pub javascript: bool,
    _driver: Driver,
}

/// Runs `test` in a fresh headless Chromium, closing the browser whatever
/// happens. Without chromedriver: skipped with a message, unless
/// `MOCKLINK_REQUIRE_BROWSER` is set.
pub async fn with_browser(javascript: bool, test: impl AsyncFnOnce(&Browser)) {
    let Some(path) = chromedriver() else {
        if std::env::var_os("MOCKLINK_REQUIRE_BROWSER").is_some() {
            panic!("MOCKLINK_REQUIRE_BROWSER is set but chromedriver is not installed");
        }
        eprintln!(
            "browser test skipped: chromedriver is not installed \
             (apt-get install chromium chromium-driver; .ci/run does it)"
        );
        return;
    };
    let _permit = BROWSERS.acquire().await.expect("semaphore open");
    let driver = Driver::start(&path);
    let client = connect(driver.port, javascript).await;
    let browser = Browser {
        client,
        javascript,
        _driver: driver,
    };
    let outcome = std::panic::AssertUnwindSafe(test(&browser))
        .catch_unwind()
        .await;
    let _ = browser.client.clone().close().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

async fn connect(port: u16, javascript: bool) -> Client {
    let mut options = json!({
        "args": [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-background-networking", "--disable-dev-shm-usage",
            "--window-size=900,1000", "--lang=en-US",
        ],
    });
    if let Some(binary) = std::env::var_os("MOCKLINK_CHROMIUM")
        .map(PathBuf::from)
        .or_else(|| Some(PathBuf::from("/usr/bin/chromium")).filter(|p| p.is_file()))
    {
        options["binary"] = json!(binary);
    }
    if !javascript {
        options["prefs"] = json!({ "profile.managed_default_content_settings.javascript": 2 });
    }
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), json!("chrome"));
    caps.insert("goog:chromeOptions".into(), options);
    ClientBuilder::new(HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("a WebDriver session with Chromium")
}

impl Browser {
    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("navigation");
    }

    pub async fn url(&self) -> url::Url {
        self.client.current_url().await.expect("current URL")
    }

    /// The first element matching `css`, waiting up to 10 s for it to appear.
    pub async fn find(&self, css: &str) -> Element {
        let found = self
            .client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await;
        match found {
            Ok(element) => element,
            Err(e) => {
                let page = match self.client.find(Locator::Css("body")).await {
                    Ok(body) => body.text().await.unwrap_or_default(),
                    Err(_) => String::new(),
                };
                panic!(
                    "no element {css:?} on {} ({e}); the page says:\n{page}",
                    self.url_string().await
                )
            }
        }
    }

    /// Clicks the button `css` of a form and waits until the browser has
    /// left the page (the old page's root element goes stale), so the next
    /// look is at the answer, never at the page the form was on.
    pub async fn submit(&self, css: &str) {
        let old_page = self.find("html").await;
        self.find(css).await.click().await.expect("click");
        self.wait_until_left(old_page).await;
    }

    /// Presses keys that submit a form (e.g. Enter) and waits for the answer.
    pub async fn submit_with_keys(&self, keys: &[KeyPress<'_>]) {
        let old_page = self.find("html").await;
        self.keys(keys).await;
        self.wait_until_left(old_page).await;
    }

    async fn wait_until_left(&self, old_page: Element) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while old_page.tag_name().await.is_ok() {
            assert!(Instant::now() < deadline, "the form did not navigate");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub async fn find_all(&self, css: &str) -> Vec<Element> {
        self.client
            .find_all(Locator::Css(css))
            .await
            .expect("find_all")
    }

    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.expect("element text")
    }

    async fn url_string(&self) -> String {
        self.client
            .current_url()
            .await
            .map(|u| u.to_string())
            .unwrap_or_default()
    }

    pub async fn title(&self) -> String {
        self.client.title().await.expect("title")
    }

    /// Waits until the page's URL satisfies `check` (a form post navigates
    /// asynchronously from WebDriver's point of view only for redirects to
    /// unreachable hosts, but polling costs nothing when it is already there).
    pub async fn wait_for_url(&self, check: impl Fn(&url::Url) -> bool) -> url::Url {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let url = self.url().await;
            if check(&url) {
                return url;
            }
            assert!(Instant::now() < deadline, "still on {url}");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Presses keys as a keyboard would, into whatever has the focus.
    pub async fn keys(&self, keys: &[KeyPress<'_>]) {
        let mut actions = KeyActions::new("keyboard".into());
        for key in keys {
            let chars: Vec<char> = match key {
                KeyPress::Text(text) => text.chars().collect(),
                KeyPress::Key(key) => vec![char::from(*key)],
            };
            for c in chars {
                actions = actions
                    .then(KeyAction::Down { value: c })
                    .then(KeyAction::Up { value: c });
            }
        }
        self.client
            .perform_actions(actions)
            .await
            .expect("key actions");
    }

    /// The focused element's id, name or text (JavaScript sessions only).
    pub async fn focused(&self) -> String {
        let v = self
            .client
            .execute(
                "const e = document.activeElement; if (!e) return ''; \
                 return e.id || (e.tagName === 'BUTTON' ? e.textContent.trim() : e.getAttribute('name')) || '';",
                vec![],
            )
            .await
            .expect("script");
        v.as_str().unwrap_or_default().to_owned()
    }

    /// Waits until the element named `expected` (as [`Self::focused`] names
    /// it) has the focus: Chromium applies `autofocus` while it renders,
    /// which can come after the load that ends `goto`.
    pub async fn wait_for_focus(&self, expected: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let focused = self.focused().await;
            if focused == expected {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the focus stayed on {focused:?}, not {expected:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Saves a screenshot of the page as `name`.png (see the module docs).
    pub async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("screenshot");
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let dir = root.join("target/screenshots");
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        std::fs::write(dir.join(format!("{name}.png")), &png).expect("write screenshot");
        if std::env::var_os("MOCKLINK_UPDATE_SCREENSHOTS").is_some() {
            let docs = root.join("docs/screenshots");
            std::fs::create_dir_all(&docs).expect("docs/screenshots");
            std::fs::write(docs.join(format!("{name}.png")), &png).expect("write screenshot");
        }
    }

    /// Accessibility basics of the current page (see `A11Y_AUDIT`): labels,
    /// names, one h1, language, no positive tabindex, and WCAG AA text
    /// contrast. Panics with every problem found.
    pub async fn assert_accessible(&self, page: &str) {
        assert!(self.javascript, "the audit runs a script");
        let problems = self
            .client
            .execute(A11Y_AUDIT, vec![])
            .await
            .expect("audit script");
        let problems: Vec<String> = serde_json::from_value(problems).expect("a list");
        assert!(problems.is_empty(), "{page}: {problems:#?}");
    }

    /// Puts the keyboard focus back at the top of the page.
    pub async fn focus_top(&self) {
        self.client
            .execute(FOCUS_SETUP, vec![])
            .await
            .expect("focus setup script");
    }

    /// Tabs through the page from the top and checks the focus visits every
    /// focusable element once, in document order, each with a visible focus
    /// indicator.
    pub async fn assert_focus_order(&self, page: &str) {
        let count = self
            .client
            .execute(FOCUS_SETUP, vec![])
            .await
            .expect("focus setup script")
            .as_u64()
            .expect("a count");
        let mut visited = Vec::new();
        for _ in 0..count {
            self.keys(&[KeyPress::Key(Key::Tab)]).await;
            let v: Value = self
                .client
                .execute(FOCUS_PROBE, vec![])
                .await
                .expect("focus probe");
            visited.push(v);
        }
        let order: Vec<i64> = visited
            .iter()
            .map(|v| v["index"].as_i64().unwrap_or(-1))
            .collect();
        let expected: Vec<i64> = (0..count as i64).collect();
        assert_eq!(order, expected, "{page}: focus order {visited:#?}");
        for v in &visited {
            assert_eq!(
                v["outlined"],
                json!(true),
                "{page}: no visible focus indicator on {v}"
            );
        }
    }
}

pub enum KeyPress<'a> {
    Text(&'a str),
    Key(Key),
}

/// Numbers the focusable elements in document order, moves the focus to the
/// top of the page and returns how many there are.
const FOCUS_SETUP: &str = r#"
const sel = 'a[href], button:not([disabled]), input:not([type=hidden]):not([disabled]), select:not([disabled]), textarea:not([disabled]), summary, [tabindex]';
const visible = e => { const r = e.getBoundingClientRect(); const s = getComputedStyle(e); return r.width > 0 && r.height > 0 && s.visibility !== 'hidden'; };
const all = [...document.querySelectorAll(sel)].filter(e => visible(e) && e.tabIndex >= 0);
all.forEach((e, i) => e.dataset.focusIndex = i);
// Tab starts after the focused element, or after a blurred one: start from
// an unfocusable-by-Tab marker at the very top instead.
let top = document.getElementById('focus-start');
if (!top) { top = document.createElement('span'); top.id = 'focus-start'; top.tabIndex = -1; document.body.prepend(top); }
top.focus();
return all.length;
"#;

/// Which numbered element has the focus, and whether it shows it (an outline
/// or a box shadow that the unfocused element does not have).
const FOCUS_PROBE: &str = r#"
const e = document.activeElement;
if (!e || e.dataset.focusIndex === undefined) return { index: -1, tag: e ? e.tagName : null };
const s = getComputedStyle(e);
const outlined = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none';
return { index: Number(e.dataset.focusIndex), tag: e.tagName, name: e.id || e.name || e.textContent.trim().slice(0, 40), outlined };
"#;

/// Returns a list of accessibility problems of the current page.
const A11Y_AUDIT: &str = r#"
const problems = [];
const visible = e => { const r = e.getBoundingClientRect(); const s = getComputedStyle(e); return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none'; };
if (!document.documentElement.lang) problems.push('<html> has no lang');
if (!document.title.trim()) problems.push('empty <title>');
const h1 = document.querySelectorAll('h1').length;
if (h1 !== 1) problems.push(`${h1} <h1> elements`);
for (const e of document.querySelectorAll('input, select, textarea')) {
  if (e.type === 'hidden' || !visible(e)) continue;
  const labelled = [...(e.labels || [])].some(l => l.textContent.trim()) || e.getAttribute('aria-label') || e.getAttribute('aria-labelledby');
  if (!labelled) problems.push(`unlabelled ${e.tagName.toLowerCase()} name=${e.name} id=${e.id}`);
}
for (const e of document.querySelectorAll('button, a[href], summary')) {
  if (visible(e) && !(e.textContent.trim() || e.getAttribute('aria-label'))) problems.push(`${e.tagName.toLowerCase()} without a name`);
}
for (const e of document.querySelectorAll('[tabindex]')) if (e.tabIndex > 0) problems.push('positive tabindex');
for (const e of document.querySelectorAll('img')) if (!e.hasAttribute('alt')) problems.push('<img> without alt');
const parse = c => {
  const m = c.match(/^rgba?\(([^)]*)\)$/);
  if (!m) return null;
  const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
  return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
};
const over = (top, base) => ({ r: top.r * top.a + base.r * (1 - top.a), g: top.g * top.a + base.g * (1 - top.a), b: top.b * top.a + base.b * (1 - top.a), a: 1 });
const background = e => {
  const layers = [];
  for (let n = e; n; n = n.parentElement) {
    const c = parse(getComputedStyle(n).backgroundColor);
    if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; }
  }
  return layers.reverse().reduce((base, c) => over(c, base), { r: 255, g: 255, b: 255, a: 1 });
};
const lum = c => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }; return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
for (const e of document.querySelectorAll('body *')) {
  const own = [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
  if (!own || !visible(e)) continue;
  const s = getComputedStyle(e);
  const bg = background(e);
  const fg = parse(s.color);
  if (!fg) { problems.push(`unparsed color ${s.color}`); continue; }
  const text = over(fg, bg);
  const [hi, lo] = [lum(text), lum(bg)].sort((a, b) => b - a);
  const ratio = (hi + 0.05) / (lo + 0.05);
  const size = parseFloat(s.fontSize), bold = Number(s.fontWeight) >= 700;
  const needed = size >= 24 || (size >= 18.66 && bold) ? 3 : 4.5;
  if (ratio < needed) problems.push(`contrast ${ratio.toFixed(2)} < ${needed} for "${e.textContent.trim().slice(0, 40)}"`);
}
return problems;
"#;
