//! The OAuth client side of Alexa, with the `oauth2` crate: the configured
//! provider, a token response that tolerates `expires_in` as a string, and an
//! HTTP client that writes every token request and response to the flow log.

use crate::config::{AccessTokenScheme, Settings};
use crate::store::{FlowEntry, Store};
use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{
    AccessToken, AuthType, AuthUrl, Client, ClientId, ClientSecret, EndpointNotSet, EndpointSet,
    RedirectUrl, RefreshToken, Scope, StandardRevocableToken, TokenResponse, TokenUrl,
};
use serde::{Deserialize, Deserializer, Serialize};
use std::time::Duration;

/// RFC 6749 §5.1 as Alexa reads it: `expires_in` may be a number or a string
/// (LWA's own examples send `"3600"`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AlexaTokenResponse {
    access_token: AccessToken,
    #[serde(deserialize_with = "oauth2::helpers::deserialize_untagged_enum_case_insensitive")]
    token_type: BasicTokenType,
    #[serde(default, deserialize_with = "number_or_string")]
    expires_in: Option<u64>,
    #[serde(default)]
    refresh_token: Option<RefreshToken>,
    #[serde(rename = "scope", default)]
    #[serde(deserialize_with = "oauth2::helpers::deserialize_space_delimited_vec")]
    #[serde(serialize_with = "oauth2::helpers::serialize_space_delimited_vec")]
    scopes: Option<Vec<Scope>>,
}

fn number_or_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum NumOrStr {
        Num(u64),
        Str(String),
    }
    match Option::<NumOrStr>::deserialize(d)? {
        None => Ok(None),
        Some(NumOrStr::Num(n)) => Ok(Some(n)),
        Some(NumOrStr::Str(s)) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| serde::de::Error::custom("expires_in is not a number")),
    }
}

impl TokenResponse for AlexaTokenResponse {
    type TokenType = BasicTokenType;
    fn access_token(&self) -> &AccessToken {
        &self.access_token
    }
    fn token_type(&self) -> &BasicTokenType {
        &self.token_type
    }
    fn expires_in(&self) -> Option<Duration> {
        self.expires_in.map(Duration::from_secs)
    }
    fn refresh_token(&self) -> Option<&RefreshToken> {
        self.refresh_token.as_ref()
    }
    fn scopes(&self) -> Option<&Vec<Scope>> {
        self.scopes.as_ref()
    }
}

pub type AlexaClient = Client<
    BasicErrorResponse,
    AlexaTokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// The Account Linking form of the developer console for one skill: what
/// Alexa's client links with. The simulator's default skill reads it from
/// the `alexa_*` settings; the doctor takes it from its flags.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LinkingConfig {
    /// Your Web Authorization URI.
    pub authorization_url: String,
    /// Access Token URI.
    pub token_url: String,
    pub client_id: String,
    #[serde(skip_serializing, default)]
    pub client_secret: String,
    /// Your Authentication Scheme.
    #[schema(value_type = String, example = "HTTP_BASIC")]
    pub scheme: AccessTokenScheme,
    pub scopes: Vec<String>,
    /// Domain List: extra domains the login page loads content from.
    #[serde(default)]
    pub domains: Vec<String>,
    /// Default Access Token Expiration Time, used when an answer has no
    /// `expires_in`.
    pub default_expiration_seconds: i64,
    pub pkce: bool,
    /// The developer account's vendor id, the last part of Alexa's
    /// redirect URLs.
    pub vendor_id: String,
}

impl LinkingConfig {
    /// The simulator's default skill, from the `alexa_*` settings.
    pub fn from_settings(settings: &Settings) -> LinkingConfig {
        let sim = &settings.simulator;
        LinkingConfig {
            authorization_url: settings.alexa_authorization_url(),
            token_url: settings.alexa_token_url(),
            client_id: settings.alexa_client_id(),
            client_secret: settings.alexa_client_secret(),
            scheme: sim.access_token_scheme,
            scopes: sim.scopes.split_whitespace().map(str::to_owned).collect(),
            domains: Vec::new(),
            default_expiration_seconds: sim.default_token_expiration_seconds,
            pkce: sim.pkce,
            vendor_id: settings.alexa_vendor_id.clone(),
        }
    }

    /// Alexa's OAuth client for this form, sending `redirect_uri`.
    pub fn client(&self, redirect_uri: &str) -> Result<AlexaClient, String> {
        let auth = AuthUrl::new(self.authorization_url.clone())
            .map_err(|e| format!("authorization URL: {e}"))?;
        let token = TokenUrl::new(self.token_url.clone()).map_err(|e| format!("token URL: {e}"))?;
        let redirect =
            RedirectUrl::new(redirect_uri.to_owned()).map_err(|e| format!("redirect URL: {e}"))?;
        Ok(Client::new(ClientId::new(self.client_id.clone()))
            .set_client_secret(ClientSecret::new(self.client_secret.clone()))
            .set_auth_uri(auth)
            .set_token_uri(token)
            .set_redirect_uri(redirect)
            .set_auth_type(match self.scheme {
                AccessTokenScheme::HttpBasic => AuthType::BasicAuth,
                AccessTokenScheme::RequestBodyCredentials => AuthType::RequestBody,
            }))
    }
}

/// The simulated skill's client, as in the console.
pub fn client(settings: &Settings) -> Result<AlexaClient, String> {
    LinkingConfig::from_settings(settings).client(&settings.alexa_redirect_url())
}

/// The first four characters of a secret, which is all a log may show.
pub fn hint(secret: &str) -> String {
    let prefix: String = secret.chars().take(4).collect();
    format!("{prefix}…")
}

const SECRET_FIELDS: &[&str] = &[
    "code",
    "state",
    "client_secret",
    "refresh_token",
    "access_token",
    "id_token",
    "code_verifier",
];

/// A query string or form body with secret values cut to a hint; other
/// pairs are kept exactly as sent.
pub fn redact_form(form: &str) -> String {
    form.split('&')
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let key = percent_encoding::percent_decode_str(k).decode_utf8_lossy();
            if SECRET_FIELDS.contains(&key.as_ref()) {
                let value = form_urlencoded::parse(format!("v={v}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default();
                format!("{k}={}", hint(&value))
            } else {
                pair.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// A URL with secret query parameters cut to a hint.
pub fn redact_url(url: &str) -> String {
    match url.split_once('?') {
        Some((base, q)) => format!("{base}?{}", redact_form(q)),
        None => url.to_owned(),
    }
}

/// A JSON (or other) response body with secret values cut to a hint.
pub fn redact_json(body: &[u8]) -> String {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(serde_json::Value::Object(mut map)) => {
            for k in SECRET_FIELDS {
                if let Some(serde_json::Value::String(v)) = map.get(*k) {
                    let h = hint(v);
                    map.insert((*k).to_owned(), serde_json::Value::String(h));
                }
            }
            serde_json::Value::Object(map).to_string()
        }
        // Not JSON (an HTML login page, say): shown truncated, as Alexa would fail on it.
        _ => String::from_utf8_lossy(&body[..body.len().min(512)]).into_owned(),
    }
}

fn redact_headers(headers: &oauth2::http::HeaderMap) -> serde_json::Value {
    let mut out = serde_json::Map::new();
    for (name, value) in headers {
        let v = value.to_str().unwrap_or("<binary>");
        let shown = if name == oauth2::http::header::AUTHORIZATION {
            match v.split_once(' ') {
                Some((scheme, cred)) => format!("{scheme} {}", hint(cred)),
                None => hint(v),
            }
        } else {
            v.to_owned()
        };
        out.insert(name.as_str().to_owned(), shown.into());
    }
    serde_json::Value::Object(out)
}

/// Where a logged exchange goes.
pub struct FlowCtx<'a> {
    pub store: &'a Store,
    pub flow_id: &'a str,
    pub user_id: &'a str,
    pub now: i64,
}

impl FlowCtx<'_> {
    pub async fn note(&self, step: &str, body: impl Into<String>) {
        self.append(FlowEntry {
            step: step.into(),
            direction: "note".into(),
            method: None,
            url: None,
            status: None,
            headers: serde_json::json!({}),
            body: body.into(),
            ..self.blank()
        })
        .await
    }

    pub async fn request(
        &self,
        step: &str,
        method: &str,
        url: &str,
        headers: serde_json::Value,
        body: String,
    ) {
        self.append(FlowEntry {
            step: step.into(),
            direction: "request".into(),
            method: Some(method.into()),
            url: Some(redact_url(url)),
            status: None,
            headers,
            body,
            ..self.blank()
        })
        .await
    }

    pub async fn response(
        &self,
        step: &str,
        status: Option<i64>,
        headers: serde_json::Value,
        body: String,
    ) {
        self.append(FlowEntry {
            step: step.into(),
            direction: "response".into(),
            method: None,
            url: None,
            status,
            headers,
            body,
            ..self.blank()
        })
        .await
    }

    fn blank(&self) -> FlowEntry {
        FlowEntry {
            flow_id: self.flow_id.into(),
            user_id: self.user_id.into(),
            seq: 0,
            at: self.now,
            step: String::new(),
            direction: String::new(),
            method: None,
            url: None,
            status: None,
            headers: serde_json::json!({}),
            body: String::new(),
        }
    }

    async fn append(&self, e: FlowEntry) {
        // The log is a diagnostic; failing to write it must not fail the link.
        if let Err(err) = self.store.append_flow(&e).await {
            tracing::warn!(error = %err, "could not write the flow log");
        }
    }

    /// Sends one token-endpoint request through `http`, logging both sides.
    pub async fn send(
        &self,
        http: &reqwest::Client,
        step: &str,
        req: oauth2::HttpRequest,
    ) -> Result<oauth2::HttpResponse, oauth2::HttpClientError<reqwest::Error>> {
        self.request(
            step,
            req.method().as_str(),
            &req.uri().to_string(),
            redact_headers(req.headers()),
            redact_form(&String::from_utf8_lossy(req.body())),
        )
        .await;
        let res = oauth2::AsyncHttpClient::call(http, req).await;
        match &res {
            Ok(r) => {
                self.response(
                    step,
                    Some(r.status().as_u16() as i64),
                    redact_headers(r.headers()),
                    redact_json(r.body()),
                )
                .await
            }
            Err(e) => {
                let detail = match e {
                    oauth2::HttpClientError::Reqwest(re) => re.to_string(),
                    other => other.to_string(),
                };
                self.note(step, format!("no response: {detail}")).await
            }
        }
        res
    }
}

/// A token request's answer as Alexa's client saw it, measured around the
/// request: what `linkcheck::check_token_answer` judges.
#[derive(Debug, Clone, Default)]
pub struct Measured {
    pub status: Option<u16>,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
    pub elapsed: Duration,
    /// Why no answer came.
    pub failure: Option<String>,
}

impl Measured {
    pub fn answer(
        &self,
        grant: crate::linkcheck::Grant,
        default_expiration: Option<u64>,
    ) -> crate::linkcheck::TokenAnswer<'_> {
        crate::linkcheck::TokenAnswer {
            grant,
            status: self.status,
            content_type: self.content_type.as_deref(),
            body: &self.body,
            elapsed: self.elapsed,
            failure: self.failure.as_deref(),
            default_expiration,
        }
    }
}

impl FlowCtx<'_> {
    /// `send`, also keeping in `sink` what came back and how long it took.
    /// A request cut by the 4.5 s deadline counts as taking the whole 4.5 s,
    /// so the finding says "timed out after 4.5 s", not "unreachable".
    pub async fn send_measured(
        &self,
        http: &reqwest::Client,
        step: &str,
        req: oauth2::HttpRequest,
        sink: &std::sync::Mutex<Option<Measured>>,
    ) -> Result<oauth2::HttpResponse, oauth2::HttpClientError<reqwest::Error>> {
        let started = std::time::Instant::now();
        let res = self.send(http, step, req).await;
        let mut elapsed = started.elapsed();
        let measured = match &res {
            Ok(r) => Measured {
                status: Some(r.status().as_u16()),
                content_type: r
                    .headers()
                    .get(oauth2::http::header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned),
                body: r.body().clone(),
                elapsed,
                failure: None,
            },
            Err(e) => {
                let timed_out =
                    matches!(e, oauth2::HttpClientError::Reqwest(re) if re.is_timeout());
                if timed_out {
                    elapsed = elapsed.max(crate::linkcheck::TOKEN_DEADLINE);
                }
                Measured {
                    elapsed,
                    failure: Some(match e {
                        oauth2::HttpClientError::Reqwest(re) => re.to_string(),
                        other => other.to_string(),
                    }),
                    ..Measured::default()
                }
            }
        };
        if let Ok(mut slot) = sink.lock() {
            *slot = Some(measured);
        }
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_cut_to_four_characters_and_the_rest_kept() {
        assert_eq!(
            redact_form("grant_type=authorization_code&code=SplxlOBeZQQYbYS6WxSbIA&redirect_uri=https%3A%2F%2Fx&client_secret=s3cr3t%2Bx"),
            "grant_type=authorization_code&code=Splx…&redirect_uri=https%3A%2F%2Fx&client_secret=s3cr…"
        );
        assert_eq!(
            redact_url("https://a/b?state=abcdefgh&x=1"),
            "https://a/b?state=abcd…&x=1"
        );
        assert_eq!(redact_url("https://a/b"), "https://a/b");
        let body = redact_json(
            br#"{"access_token":"Atza|abcdef","token_type":"Bearer","refresh_token":"Atzr|xyz"}"#,
        );
        assert!(
            body.contains("\"Atza…\"") && body.contains("\"Atzr…\"") && body.contains("Bearer")
        );
    }

    #[test]
    fn expires_in_may_be_a_number_or_a_string() {
        for body in [
            r#"{"access_token":"a","token_type":"bearer","expires_in":3600}"#,
            r#"{"access_token":"a","token_type":"Bearer","expires_in":"3600"}"#,
        ] {
            let t: AlexaTokenResponse = serde_json::from_str(body).unwrap();
            assert_eq!(t.expires_in(), Some(Duration::from_secs(3600)));
        }
        let t: AlexaTokenResponse =
            serde_json::from_str(r#"{"access_token":"a","token_type":"Bearer"}"#).unwrap();
        assert_eq!(t.expires_in(), None);
        assert!(serde_json::from_str::<AlexaTokenResponse>(
            r#"{"access_token":"a","token_type":"Bearer","expires_in":"soon"}"#
        )
        .is_err());
    }
}
