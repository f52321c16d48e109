//! The demo's browser: a cookie jar over a client that follows nothing.

use super::DemoError;
use std::collections::BTreeMap;

/// A browser: follows nothing by itself, keeps cookies by name.
pub(super) struct Browser {
    pub(super) http: reqwest::Client,
    pub(super) jar: BTreeMap<String, String>,
}

impl Browser {
    fn remember(&mut self, res: &reqwest::Response) {
        for v in res.headers().get_all(reqwest::header::SET_COOKIE) {
            if let Some((name, rest)) = v.to_str().unwrap_or("").split_once('=') {
                let value = rest.split(';').next().unwrap_or("");
                if value.is_empty() {
                    self.jar.remove(name);
                } else {
                    self.jar.insert(name.to_owned(), value.to_owned());
                }
            }
        }
    }

    fn cookie(&self) -> String {
        self.jar
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub(super) async fn get(
        &mut self,
        url: &str,
    ) -> Result<(u16, Option<String>, String), DemoError> {
        let res = self
            .http
            .get(url)
            .header(reqwest::header::COOKIE, self.cookie())
            .send()
            .await?;
        self.finish(res).await
    }

    pub(super) async fn post(
        &mut self,
        url: &str,
        form: &[(&str, &str)],
    ) -> Result<(u16, Option<String>, String), DemoError> {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let res = self
            .http
            .post(url)
            .header(reqwest::header::COOKIE, self.cookie())
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(body)
            .send()
            .await?;
        self.finish(res).await
    }

    async fn finish(
        &mut self,
        res: reqwest::Response,
    ) -> Result<(u16, Option<String>, String), DemoError> {
        self.remember(&res);
        let status = res.status().as_u16();
        let location = res
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Ok((status, location, res.text().await?))
    }
}

/// The value of a form field in a page we rendered ourselves (askama's
/// escaping undone; `&amp;` last so nothing is decoded twice). The tests'
/// browser uses it too.
pub fn form_value(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(
        html[start..end]
            .replace("&#x2b;", "+")
            .replace("&#43;", "+")
            .replace("&quot;", "\"")
            .replace("&#34;", "\"")
            .replace("&#x27;", "'")
            .replace("&#39;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&#38;", "&")
            .replace("&amp;", "&"),
    )
}
