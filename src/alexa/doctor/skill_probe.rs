//! The doctor's side of the wire: request envelopes built like the
//! simulator's (`wire::alexa::envelope`, the ids and timestamps of
//! `deliver`), signed with the simulator's test key or deliberately not, and
//! each exchange recorded for the report.

use crate::alexa::deliver::{iso_timestamp, new_account_id, new_request_id};
use crate::alexa::RequestSigner;
use crate::linkcheck::{Exchange, Lane};
use crate::wire::alexa::envelope::*;
use crate::wire::alexa::region::Region;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How a request is signed.
pub enum Signing {
    /// With the test key and its chain URL (unsigned when no key is set).
    Valid,
    /// No `SignatureCertChainUrl`, no `Signature-256`.
    Unsigned,
    /// A correct signature, announced with this chain URL.
    CertUrl(String),
    /// The signature of this other body.
    OtherBody(Vec<u8>),
}

/// What came back.
pub struct Answer {
    pub exchange: Exchange,
    pub status: Option<u16>,
    pub body: Vec<u8>,
    pub elapsed: Duration,
    /// No answer within the deadline.
    pub timed_out: bool,
    /// Why no answer came.
    pub error: Option<String>,
}

/// Sends requests to one skill endpoint.
pub struct Probe {
    http: reqwest::Client,
    pub endpoint: String,
    pub signer: Option<Arc<RequestSigner>>,
    pub deadline: Duration,
    user_id: String,
    device_id: String,
    api_token_key: [u8; 32],
}

/// A deliberately useless token; only its shape is plausible.
pub const GARBAGE_TOKEN: &str = "mocklink-doctor.not-a-token.0000000000";

impl Probe {
    pub fn new(
        endpoint: &str,
        signer: Option<Arc<RequestSigner>>,
        deadline: Duration,
    ) -> Result<Probe, String> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(deadline)
            .build()
            .map_err(|e| e.to_string())?;
        let mut api_token_key = [0u8; 32];
        aws_lc_rs::rand::fill(&mut api_token_key)
            .map_err(|_| "the OS random source is unavailable".to_owned())?;
        let device = new_account_id().replace("amzn1.ask.account.", "amzn1.ask.device.");
        Ok(Probe {
            http,
            endpoint: endpoint.to_owned(),
            signer,
            deadline,
            user_id: new_account_id(),
            device_id: device,
            api_token_key,
        })
    }

    /// Alexa's own token for its service APIs, shaped like Amazon's (a JWT)
    /// but signed with a key of this run: never the account-linking token.
    fn api_access_token(&self, skill_id: &str, now: i64) -> String {
        let claims = serde_json::json!({
            "aud": Region::Na.api_endpoint(), "iss": "AlexaSkillKit", "sub": skill_id,
            "exp": now + 3600, "iat": now, "nbf": now,
            "privateClaims": {"deviceId": self.device_id, "userId": self.user_id},
        });
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(&self.api_token_key),
        )
        .unwrap_or_default()
    }

    /// An in-session envelope from an Echo, as the simulator sends it.
    pub fn envelope(
        &self,
        request: Request,
        skill_id: &str,
        token: Option<&str>,
        now: i64,
    ) -> RequestEnvelope {
        let application = Application {
            application_id: skill_id.to_owned(),
        };
        let user = User {
            user_id: self.user_id.clone(),
            access_token: token.map(str::to_owned),
            permissions: None,
        };
        let new = !matches!(
            request,
            Request::Known(KnownRequest::SessionEndedRequest(_))
        );
        RequestEnvelope {
            version: "1.0".into(),
            session: Some(Session {
                new,
                session_id: format!("amzn1.echo-api.session.{}", uuid::Uuid::new_v4()),
                application: application.clone(),
                attributes: Some(Default::default()),
                user: user.clone(),
            }),
            context: Context {
                system: SystemState {
                    application,
                    user,
                    device: Some(Device {
                        device_id: self.device_id.clone(),
                        supported_interfaces: serde_json::json!({"AudioPlayer": {}}),
                    }),
                    person: None,
                    unit: None,
                    api_endpoint: Region::Na.api_endpoint().to_owned(),
                    api_access_token: Some(self.api_access_token(skill_id, now)),
                },
                other: Default::default(),
            },
            request,
        }
    }

    /// Sends `envelope` signed as `signing` says.
    pub async fn send(&self, envelope: &RequestEnvelope, signing: Signing) -> Answer {
        let body = serde_json::to_vec(envelope).expect("envelopes serialise");
        let mut headers: Vec<(String, String)> = vec![(
            "Content-Type".into(),
            "application/json; charset=utf-8".into(),
        )];
        let sign = |signed: &[u8], url: &str| -> Result<Vec<(String, String)>, String> {
            match &self.signer {
                Some(s) => Ok(vec![
                    ("SignatureCertChainUrl".into(), url.to_owned()),
                    ("Signature-256".into(), s.sign(signed)?),
                ]),
                None => Ok(vec![]),
            }
        };
        let default_url = self
            .signer
            .as_ref()
            .map(|s| s.cert_chain_url.clone())
            .unwrap_or_default();
        let signed = match &signing {
            Signing::Valid => sign(&body, &default_url),
            Signing::Unsigned => Ok(vec![]),
            Signing::CertUrl(url) => sign(&body, url).map(|h| with_url(h, url)),
            Signing::OtherBody(other) => sign(other, &default_url).map(|h| {
                if h.is_empty() {
                    // Without a key, a signature that cannot match.
                    vec![
                        ("SignatureCertChainUrl".into(), REAL_CERT_URL.into()),
                        ("Signature-256".into(), "bm90IGEgc2lnbmF0dXJl".into()),
                    ]
                } else {
                    h
                }
            }),
        };
        let exchange_of = |headers: &[(String, String)]| Exchange {
            from: Some(Lane::Alexa),
            to: Some(Lane::Skill),
            method: "POST".into(),
            url: self.endpoint.clone(),
            request_headers: headers.to_vec(),
            request_body: serde_json::to_string_pretty(&crate::alexa::deliver::redacted(envelope))
                .unwrap_or_default(),
            ..Exchange::default()
        };
        match signed {
            Ok(h) => headers.extend(h),
            Err(e) => {
                let mut exchange = exchange_of(&headers);
                exchange.error = Some(e.clone());
                return Answer {
                    exchange,
                    status: None,
                    body: Vec::new(),
                    elapsed: Duration::ZERO,
                    timed_out: false,
                    error: Some(e),
                };
            }
        }
        let mut post = self.http.post(&self.endpoint);
        for (k, v) in &headers {
            post = post.header(k, v);
        }
        let started = Instant::now();
        let mut exchange = exchange_of(&headers);
        let outcome = match post.body(body).send().await {
            Ok(res) => {
                let status = res.status().as_u16();
                let response_headers: Vec<(String, String)> = res
                    .headers()
                    .iter()
                    .filter(|(k, _)| *k == "content-type")
                    .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_owned()))
                    .collect();
                exchange.response_headers = response_headers;
                match res.bytes().await {
                    Ok(b) => Ok((status, b.to_vec())),
                    Err(e) => Err((Some(status), e)),
                }
            }
            Err(e) => Err((None, e)),
        };
        let elapsed = started.elapsed();
        exchange.elapsed_ms = elapsed.as_millis() as u64;
        match outcome {
            Ok((status, body)) => {
                exchange.status = Some(status);
                exchange.response_body = shown(&body);
                Answer {
                    exchange,
                    status: Some(status),
                    body,
                    elapsed,
                    timed_out: false,
                    error: None,
                }
            }
            Err((status, e)) => {
                let timed_out = e.is_timeout();
                let why = if timed_out {
                    format!("no answer within {} ms", self.deadline.as_millis())
                } else {
                    error_chain(e)
                };
                exchange.status = status;
                exchange.error = Some(why.clone());
                Answer {
                    exchange,
                    status,
                    body: Vec::new(),
                    elapsed,
                    timed_out,
                    error: Some(why),
                }
            }
        }
    }
}

/// Amazon's real chain URL, the one a verifying skill expects.
pub const REAL_CERT_URL: &str = "https://s3.amazonaws.com/echo.api/echo-api-cert.pem";

fn with_url(mut h: Vec<(String, String)>, url: &str) -> Vec<(String, String)> {
    if h.is_empty() {
        // Without a key the URL is still what is tested: send it with a
        // signature that cannot match.
        h = vec![
            ("SignatureCertChainUrl".into(), url.to_owned()),
            ("Signature-256".into(), "bm90IGEgc2lnbmF0dXJl".into()),
        ];
    }
    h
}

/// The error and its causes (a TLS name mismatch hides two levels down).
fn error_chain(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// At most 4 KB of an answer for the report.
fn shown(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(4096)]).into_owned();
    if body.len() > 4096 {
        format!("{text}… ({} bytes in all)", body.len())
    } else {
        text
    }
}

pub fn launch(now: i64) -> Request {
    Request::Known(KnownRequest::LaunchRequest(LaunchRequest {
        request_id: new_request_id(),
        timestamp: iso_timestamp(now),
        locale: Some("en-US".into()),
    }))
}

pub fn intent(name: &str, now: i64) -> Request {
    Request::Known(KnownRequest::IntentRequest(IntentRequest {
        request_id: new_request_id(),
        timestamp: iso_timestamp(now),
        locale: Some("en-US".into()),
        dialog_state: None,
        intent: Intent {
            name: name.to_owned(),
            confirmation_status: Some("NONE".into()),
            slots: Some(Default::default()),
        },
    }))
}

pub fn session_ended(now: i64) -> Request {
    Request::Known(KnownRequest::SessionEndedRequest(SessionEndedRequest {
        request_id: new_request_id(),
        timestamp: iso_timestamp(now),
        locale: Some("en-US".into()),
        reason: Some("USER_INITIATED".into()),
        error: None,
    }))
}
