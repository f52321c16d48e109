//! The user's part of the flow, automated: open the authorization URL, fill
//! a plain HTML login form (hidden fields such as CSRF tokens kept, cookies
//! kept per host), press the consent form's "allow" button, and stop at the
//! redirect to Alexa's redirect URI without following it (Amazon's host
//! cannot be reached from here, and the code must not be spent).

use super::record::{self, Raw};
use crate::alexa::oauth::redact_form;
use crate::linkcheck::{Exchange, Lane};
use scraper::{ElementRef, Html, Selector};
use std::collections::BTreeMap;
use std::time::Duration;

const PAGE_DEADLINE: Duration = Duration::from_secs(15);
const MAX_HOPS: usize = 12;

/// How the browser's walk ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Redirected to the redirect URI: the whole address.
    Landed(String),
    /// The authorization URI itself refused the request.
    Refused { status: u16, body: String },
    /// Something else stopped the walk.
    Stuck(String),
}

/// One request the browser will send.
struct Next {
    method: &'static str,
    url: url::Url,
    form: Option<Vec<(String, String)>>,
    /// The password field's name, never shown in the report.
    secret_field: Option<String>,
}

/// Cookies by host, then name.
#[derive(Default)]
struct Jar(BTreeMap<String, BTreeMap<String, String>>);

impl Jar {
    fn remember(&mut self, url: &url::Url, set_cookies: &[String]) {
        let host = url.host_str().unwrap_or_default().to_owned();
        let jar = self.0.entry(host).or_default();
        for v in set_cookies {
            if let Some((name, rest)) = v.split_once('=') {
                let value = rest.split(';').next().unwrap_or("");
                let expired = v.to_ascii_lowercase().contains("max-age=0");
                if value.is_empty() || expired {
                    jar.remove(name.trim());
                } else {
                    jar.insert(name.trim().to_owned(), value.to_owned());
                }
            }
        }
    }

    fn header(&self, url: &url::Url) -> Option<String> {
        let jar = self.0.get(url.host_str().unwrap_or_default())?;
        (!jar.is_empty()).then(|| {
            jar.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ")
        })
    }
}

/// Whether `target` is the redirect URI (any query).
fn is_redirect_uri(target: &url::Url, redirect_uri: &str) -> bool {
    let mut bare = target.clone();
    bare.set_query(None);
    bare.set_fragment(None);
    let want = redirect_uri.split('?').next().unwrap_or(redirect_uri);
    bare.as_str().trim_end_matches('/') == want.trim_end_matches('/')
}

/// Walks from `start` to the redirect URI as `username`.
pub async fn walk(
    http: &reqwest::Client,
    start: &str,
    redirect_uri: &str,
    username: &str,
    password: &str,
    exchanges: &mut Vec<Exchange>,
) -> Outcome {
    let Ok(start) = url::Url::parse(start) else {
        return Outcome::Stuck(format!("{start} is not a URL"));
    };
    let mut jar = Jar::default();
    let mut next = Next {
        method: "GET",
        url: start,
        form: None,
        secret_field: None,
    };
    let mut logins = 0;
    for hop in 0..MAX_HOPS {
        let (raw, page_url) = match fetch(http, &mut jar, &next, exchanges).await {
            Ok(r) => r,
            Err(e) => return Outcome::Stuck(e),
        };
        let Some(status) = raw.status else {
            return Outcome::Stuck(format!(
                "{} did not answer: {}",
                page_url,
                raw.failure.unwrap_or_default()
            ));
        };
        let body = String::from_utf8_lossy(&raw.body).into_owned();
        if (300..400).contains(&status) {
            let Some(target) = raw.location.as_deref().and_then(|l| page_url.join(l).ok()) else {
                return Outcome::Stuck(format!("HTTP {status} from {page_url} without a Location"));
            };
            if is_redirect_uri(&target, redirect_uri) {
                return Outcome::Landed(target.to_string());
            }
            next = Next {
                method: "GET",
                url: target,
                form: None,
                secret_field: None,
            };
            continue;
        }
        if status >= 400 {
            let snippet: String = text_of(&body).chars().take(300).collect();
            if hop == 0 {
                return Outcome::Refused {
                    status,
                    body: snippet,
                };
            }
            return Outcome::Stuck(format!("HTTP {status} from {page_url}: {snippet}"));
        }
        let forms = forms_of(&body, &page_url);
        if let Some(login) = forms.iter().find(|f| f.password.is_some()) {
            logins += 1;
            if logins > 1 {
                return Outcome::Stuck(format!(
                    "the login form came back after logging in as {username:?}: wrong user name or password? ({})",
                    text_of(&body).chars().take(200).collect::<String>()
                ));
            }
            next = login.fill(username, password);
        } else if let Some(consent) = forms.iter().find(|f| !f.buttons.is_empty()) {
            next = consent.allow();
        } else {
            return Outcome::Stuck(format!(
                "{page_url} shows no login or consent form the doctor can fill (a page that needs JavaScript?): {}",
                text_of(&body).chars().take(200).collect::<String>()
            ));
        }
    }
    Outcome::Stuck(format!(
        "no redirect to {redirect_uri} after {MAX_HOPS} pages"
    ))
}

async fn fetch(
    http: &reqwest::Client,
    jar: &mut Jar,
    next: &Next,
    exchanges: &mut Vec<Exchange>,
) -> Result<(Raw, url::Url), String> {
    let mut builder = http.request(
        next.method.parse().unwrap_or(reqwest::Method::GET),
        next.url.clone(),
    );
    let mut shown_body = String::new();
    if let Some(cookie) = jar.header(&next.url) {
        builder = builder.header(reqwest::header::COOKIE, cookie);
    }
    if let Some(form) = &next.form {
        let encode = |hide: bool| {
            form_urlencoded::Serializer::new(String::new())
                .extend_pairs(form.iter().map(|(k, v)| {
                    let hidden = hide && next.secret_field.as_deref() == Some(k.as_str());
                    (k.as_str(), if hidden { "(password)" } else { v.as_str() })
                }))
                .finish()
        };
        shown_body = redact_form(&encode(true));
        builder = builder
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(encode(false));
    }
    let req = builder.build().map_err(|e| e.to_string())?;
    let mut exchange = record::request_exchange(
        Lane::Browser,
        Lane::Provider,
        next.method,
        next.url.as_str(),
        record::headers(req.headers()),
        "",
    );
    exchange.request_body = shown_body;
    let raw = record::send(http, req, PAGE_DEADLINE, &mut exchange).await;
    jar.remember(&next.url, &raw.set_cookies);
    exchanges.push(exchange);
    Ok((raw, next.url.clone()))
}

/// The visible text of a page, squeezed, for evidence.
fn text_of(html: &str) -> String {
    let doc = Html::parse_document(html);
    let title = Selector::parse("title").ok();
    let body = Selector::parse("body").ok();
    let pick = |s: &Option<Selector>| {
        s.as_ref()
            .and_then(|s| doc.select(s).next())
            .map(|e| e.text().collect::<Vec<_>>().join(" "))
    };
    let text = pick(&body)
        .or_else(|| pick(&title))
        .unwrap_or_else(|| html.to_owned());
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

struct Button {
    name: Option<String>,
    value: String,
    label: String,
}

struct Form {
    method: &'static str,
    action: url::Url,
    fields: Vec<(String, String)>,
    user: Option<String>,
    password: Option<String>,
    buttons: Vec<Button>,
}

const ALLOW_WORDS: &[&str] = &[
    "allow",
    "agree",
    "accept",
    "authorize",
    "authorise",
    "approve",
    "consent",
    "grant",
    "continue",
    "yes",
    "log in",
    "login",
    "sign in",
];
const DENY_WORDS: &[&str] = &["deny", "cancel", "decline", "reject", "no thanks"];

impl Button {
    fn says(&self, words: &[&str]) -> bool {
        let text = format!("{} {}", self.value, self.label).to_lowercase();
        words.iter().any(|w| text.contains(w))
    }
}

impl Form {
    fn submit(&self, mut fields: Vec<(String, String)>, secret: Option<String>) -> Next {
        // The positive button, or the first that is not a refusal.
        let button = self
            .buttons
            .iter()
            .find(|b| b.says(ALLOW_WORDS) && !b.says(DENY_WORDS))
            .or_else(|| self.buttons.iter().find(|b| !b.says(DENY_WORDS)));
        if let Some(Button {
            name: Some(name),
            value,
            ..
        }) = button
        {
            fields.push((name.clone(), value.clone()));
        }
        let mut url = self.action.clone();
        let form = if self.method == "GET" {
            url.query_pairs_mut().extend_pairs(fields.iter());
            None
        } else {
            Some(fields)
        };
        Next {
            method: self.method,
            url,
            form,
            secret_field: secret,
        }
    }

    fn fill(&self, username: &str, password: &str) -> Next {
        let mut fields = self.fields.clone();
        if let Some(u) = &self.user {
            fields.retain(|(k, _)| k != u);
            fields.push((u.clone(), username.to_owned()));
        }
        if let Some(p) = &self.password {
            fields.push((p.clone(), password.to_owned()));
        }
        self.submit(fields, self.password.clone())
    }

    fn allow(&self) -> Next {
        self.submit(self.fields.clone(), None)
    }
}

fn forms_of(html: &str, page: &url::Url) -> Vec<Form> {
    let doc = Html::parse_document(html);
    let (Ok(form_sel), Ok(field_sel)) = (
        Selector::parse("form"),
        Selector::parse("input, button, select, textarea"),
    ) else {
        return Vec::new();
    };
    doc.select(&form_sel)
        .filter_map(|f| {
            let action = match f.value().attr("action").map(str::trim) {
                Some(a) if !a.is_empty() => page.join(a).ok()?,
                _ => page.clone(),
            };
            let method = match f.value().attr("method") {
                Some(m) if m.eq_ignore_ascii_case("get") => "GET",
                _ => "POST",
            };
            let mut form = Form {
                method,
                action,
                fields: Vec::new(),
                user: None,
                password: None,
                buttons: Vec::new(),
            };
            for el in f.select(&field_sel) {
                read_field(&mut form, el);
            }
            Some(form)
        })
        .collect()
}

fn read_field(form: &mut Form, el: ElementRef<'_>) {
    let attr = |n| el.value().attr(n);
    let name = attr("name").map(str::to_owned);
    let value = attr("value").unwrap_or_default().to_owned();
    let label = el.text().collect::<String>().trim().to_owned();
    match el.value().name() {
        "button" if attr("type").is_none_or(|t| t.eq_ignore_ascii_case("submit")) => {
            form.buttons.push(Button { name, value, label });
        }
        "input" => {
            let kind = attr("type").unwrap_or("text").to_ascii_lowercase();
            match (kind.as_str(), name) {
                ("submit", name) => form.buttons.push(Button {
                    name,
                    label: value.clone(),
                    value,
                }),
                ("password", Some(n)) if form.password.is_none() => form.password = Some(n),
                ("text" | "email" | "tel", Some(n)) => {
                    if form.user.is_none() {
                        form.user = Some(n.clone());
                    }
                    form.fields.push((n, value));
                }
                ("checkbox" | "radio", Some(n)) if attr("checked").is_some() => {
                    form.fields
                        .push((n, if value.is_empty() { "on".into() } else { value }));
                }
                ("hidden", Some(n)) => form.fields.push((n, value)),
                _ => {}
            }
        }
        "textarea" | "select" => {
            if let Some(n) = name {
                form.fields.push((n, value));
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_login_form_is_found_among_others_and_filled_with_hidden_fields() {
        let page = url::Url::parse("https://id.example/login?x=1").unwrap();
        let html = r#"<html><body>
            <form method="post" action="/quick"><input type="hidden" name="username" value="free"><button>Log in as free</button></form>
            <form method="post" action="/session">
              <input type="hidden" name="csrf" value="tok&amp;1">
              <input name="email" type="email"><input name="pw" type="password">
              <button type="submit" name="op" value="login">Sign in</button>
            </form></body></html>"#;
        let forms = forms_of(html, &page);
        let login = forms.iter().find(|f| f.password.is_some()).unwrap();
        let next = login.fill("demo", "secret");
        assert_eq!(next.url.as_str(), "https://id.example/session");
        let form = next.form.unwrap();
        assert!(form.contains(&("csrf".into(), "tok&1".into())));
        assert!(form.contains(&("email".into(), "demo".into())));
        assert!(form.contains(&("pw".into(), "secret".into())));
        assert!(form.contains(&("op".into(), "login".into())));
    }

    #[test]
    fn the_consent_form_is_answered_with_its_allow_button() {
        let page = url::Url::parse("https://id.example/consent").unwrap();
        let html = r#"<form method="post"><input type="hidden" name="req" value="r">
            <button name="decision" value="deny">Cancel</button>
            <button name="decision" value="allow">Agree</button></form>"#;
        let next = forms_of(html, &page)[0].allow();
        assert_eq!(
            next.form.unwrap(),
            vec![
                ("req".into(), "r".into()),
                ("decision".into(), "allow".into())
            ]
        );
        let target = url::Url::parse("https://layla.amazon.com/api/skill/link/V?code=c").unwrap();
        assert!(is_redirect_uri(
            &target,
            "https://layla.amazon.com/api/skill/link/V"
        ));
        assert!(!is_redirect_uri(
            &target,
            "https://pitangui.amazon.com/api/skill/link/V"
        ));
    }
}
