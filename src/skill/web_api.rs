//! The skill's client for the Spotify-like Web API: every call carries the
//! account-linking token as `Authorization: Bearer`, and every failure is
//! classified so the skill can say something specific.

use serde::Deserialize;
use std::time::Duration;

/// Why an api call failed.
#[derive(Debug, thiserror::Error)]
pub enum WebApiError {
    /// 401: the token is expired or revoked; the user must relink.
    #[error("the api rejected the token (401)")]
    Unauthorized,
    #[error("the api refused the request (403 {reason})")]
    Forbidden { reason: String },
    #[error("not found (404 {reason})")]
    NotFound { reason: String },
    #[error("the api is rate limiting (429)")]
    RateLimited,
    #[error("the api could not be reached: {0}")]
    Unreachable(String),
    #[error("the api failed with status {0}")]
    Status(u16),
    #[error("the api answered something unexpected: {0}")]
    BadResponse(String),
}

/// Spotify's error object: `{"error":{"status":…,"message":…,"reason"?:…}}`.
#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorObject,
}

#[derive(Deserialize)]
struct ErrorObject {
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    reason: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Me {
    pub id: String,
    #[serde(default)]
    pub display_name: Option<String>,
}

impl Me {
    /// What to call the user: the display name, else the user id.
    pub fn name(&self) -> &str {
        self.display_name
            .as_deref()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or(&self.id)
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Artist {
    pub name: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Track {
    pub name: String,
    #[serde(default)]
    pub uri: Option<String>,
    #[serde(default)]
    pub artists: Vec<Artist>,
}

impl Track {
    pub fn describe(&self) -> String {
        let artists: Vec<&str> = self.artists.iter().map(|a| a.name.as_str()).collect();
        if artists.is_empty() {
            self.name.clone()
        } else {
            format!("{} by {}", self.name, artists.join(" and "))
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct CurrentlyPlaying {
    #[serde(default)]
    pub is_playing: bool,
    #[serde(default)]
    pub item: Option<Track>,
}

#[derive(Deserialize)]
struct SearchResult {
    tracks: Page,
}

#[derive(Deserialize)]
struct Page {
    items: Vec<Track>,
}

#[derive(Clone)]
pub struct WebApiClient {
    http: reqwest::Client,
    base: String,
}

impl WebApiClient {
    pub fn new(base: String) -> Self {
        // Alexa waits about 8 s for the skill; leave room to answer.
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(4))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a TLS backend is compiled in");
        Self { http, base }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// One call; `Ok(None)` for a 2xx without content (204, or an empty 200).
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        query: &[(&str, &str)],
        body: Option<serde_json::Value>,
    ) -> Result<Option<Vec<u8>>, WebApiError> {
        let mut req = self
            .http
            .request(method, format!("{}{}", self.base, path))
            .bearer_auth(token)
            .query(query);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req
            .send()
            .await
            .map_err(|e| WebApiError::Unreachable(e.without_url().to_string()))?;
        let status = res.status().as_u16();
        let bytes = res
            .bytes()
            .await
            .map_err(|e| WebApiError::Unreachable(e.without_url().to_string()))?;
        let reason = || {
            serde_json::from_slice::<ErrorBody>(&bytes)
                .ok()
                .and_then(|b| b.error.reason.or(b.error.message))
                .unwrap_or_default()
        };
        match status {
            200..=299 if bytes.is_empty() => Ok(None),
            200..=299 => Ok(Some(bytes.to_vec())),
            401 => Err(WebApiError::Unauthorized),
            403 => Err(WebApiError::Forbidden { reason: reason() }),
            404 => Err(WebApiError::NotFound { reason: reason() }),
            429 => Err(WebApiError::RateLimited),
            s => Err(WebApiError::Status(s)),
        }
    }

    fn parse<T: for<'de> Deserialize<'de>>(body: Option<Vec<u8>>) -> Result<T, WebApiError> {
        let body = body.ok_or_else(|| WebApiError::BadResponse("an empty body".into()))?;
        serde_json::from_slice(&body).map_err(|e| WebApiError::BadResponse(e.to_string()))
    }

    /// `GET /me`
    pub async fn me(&self, token: &str) -> Result<Me, WebApiError> {
        Self::parse(
            self.send(reqwest::Method::GET, "/me", token, &[], None)
                .await?,
        )
    }

    /// `GET /me/player/currently-playing`; `None` on 204 (nothing playing).
    pub async fn currently_playing(
        &self,
        token: &str,
    ) -> Result<Option<CurrentlyPlaying>, WebApiError> {
        match self
            .send(
                reqwest::Method::GET,
                "/me/player/currently-playing",
                token,
                &[],
                None,
            )
            .await?
        {
            None => Ok(None),
            body => Self::parse(body).map(Some),
        }
    }

    /// `GET /search?type=track&q=…&limit=1`: the best match, if any.
    pub async fn search_track(&self, token: &str, q: &str) -> Result<Option<Track>, WebApiError> {
        let body = self
            .send(
                reqwest::Method::GET,
                "/search",
                token,
                &[("type", "track"), ("q", q), ("limit", "1")],
                None,
            )
            .await?;
        let result: SearchResult = Self::parse(body)?;
        Ok(result.tracks.items.into_iter().next())
    }

    /// `PUT /me/player/play`, with a track uri or resuming.
    ///
    /// An Echo is itself a Spotify Connect device, so "play" on Alexa plays
    /// there even when no device is active: with 404 NO_ACTIVE_DEVICE, this
    /// picks the user's first speaker (else first device) and plays on it.
    pub async fn play(&self, token: &str, uri: Option<&str>) -> Result<(), WebApiError> {
        let body = uri.map(|u| serde_json::json!({ "uris": [u] }));
        let first = self
            .send(
                reqwest::Method::PUT,
                "/me/player/play",
                token,
                &[],
                body.clone(),
            )
            .await;
        match first {
            Err(WebApiError::NotFound { reason }) if reason == "NO_ACTIVE_DEVICE" => {
                let Some(device) = self.speaker(token).await? else {
                    return Err(WebApiError::NotFound { reason });
                };
                self.send(
                    reqwest::Method::PUT,
                    "/me/player/play",
                    token,
                    &[("device_id", device.as_str())],
                    body,
                )
                .await
                .map(drop)
            }
            other => other.map(drop),
        }
    }

    /// `GET /me/player/devices`: the id of the first speaker, else the first device.
    async fn speaker(&self, token: &str) -> Result<Option<String>, WebApiError> {
        #[derive(Deserialize)]
        struct Devices {
            devices: Vec<DeviceInfo>,
        }
        #[derive(Deserialize)]
        struct DeviceInfo {
            id: Option<String>,
            #[serde(rename = "type")]
            kind: String,
        }
        let body = self
            .send(reqwest::Method::GET, "/me/player/devices", token, &[], None)
            .await?
            .unwrap_or_default();
        let list: Devices =
            serde_json::from_slice(&body).map_err(|e| WebApiError::BadResponse(e.to_string()))?;
        let pick = list
            .devices
            .iter()
            .find(|d| d.kind == "Speaker" && d.id.is_some())
            .or_else(|| list.devices.iter().find(|d| d.id.is_some()));
        Ok(pick.and_then(|d| d.id.clone()))
    }

    /// `PUT /me/player/pause`
    pub async fn pause(&self, token: &str) -> Result<(), WebApiError> {
        self.send(reqwest::Method::PUT, "/me/player/pause", token, &[], None)
            .await
            .map(drop)
    }

    /// `POST /me/player/next`
    pub async fn next(&self, token: &str) -> Result<(), WebApiError> {
        self.send(reqwest::Method::POST, "/me/player/next", token, &[], None)
            .await
            .map(drop)
    }

    /// `POST /me/player/previous`
    pub async fn previous(&self, token: &str) -> Result<(), WebApiError> {
        self.send(
            reqwest::Method::POST,
            "/me/player/previous",
            token,
            &[],
            None,
        )
        .await
        .map(drop)
    }

    /// `PUT /me/player/volume?volume_percent=N`
    pub async fn volume(&self, token: &str, percent: u8) -> Result<(), WebApiError> {
        let p = percent.to_string();
        self.send(
            reqwest::Method::PUT,
            "/me/player/volume",
            token,
            &[("volume_percent", &p)],
            None,
        )
        .await
        .map(drop)
    }
}
