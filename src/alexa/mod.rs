//! A simulator of the Alexa app and the Alexa service: simulated Alexa users
//! enable the skill (account linking against any OAuth provider), talk to any
//! skill endpoint, and every step of the linking is logged.
//!
//! Its pages and JSON API are control surfaces, under the toolbox rule of
//! `web::access` (`SimulatorUser`, `SimulatorCaller`); the account-linking
//! redirect `/api/skill/link/{vendor}` is not: the browser comes back there
//! from the provider, and it completes only a linking this simulator started
//! (its `state` must match one in progress).

pub mod callback;
pub mod deliver;
pub mod docs;
pub mod doctor;
pub mod json_api;
pub mod link;
pub mod oauth;
pub mod pages;
pub mod refresh;
mod routes;
pub mod rules;
pub mod skills;
pub mod skills_api;
pub mod talk;

pub use routes::configure;

use crate::clock::Clock;
use crate::config::Settings;
use crate::store::{AlexaUser, Store, StoreError};
use crate::web::access::{self, Denied};
use crate::web::csrf::{json_call, CallRejection};
use crate::wire::alexa::interaction_model::{InteractionModel, LanguageModel};
use crate::wire::alexa::Region;
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError};
use futures_util::future::LocalBoxFuture;
use std::sync::Arc;
use std::time::Duration;

/// What the simulator's handlers use.
#[derive(Clone)]
pub struct SimulatorState {
    pub settings: Arc<Settings>,
    pub store: Store,
    pub clock: Clock,
    pub runtime: SimulatorRuntime,
    /// The simulated skill in play (`skills::SimulatedSkill`): the default
    /// one unless a handler picked another with `with_skill`.
    pub skill: Arc<skills::SimulatedSkill>,
}

/// The simulator's own parts, built once at start.
#[derive(Clone)]
pub struct SimulatorRuntime {
    /// Server-to-server client: no redirects (as `oauth2` requires), and
    /// Alexa's 4.5-second patience at the token endpoint.
    pub http: reqwest::Client,
    pub refresh_lock: Arc<tokio::sync::Mutex<()>>,
    pub model: Arc<LanguageModel>,
    /// Intents with a dialog model (Alexa sets `dialogState` for them).
    pub dialog_intents: Arc<Vec<String>>,
    /// Signs the `apiAccessToken`s (made at start; nothing else knows it).
    pub api_token_key: Arc<std::sync::OnceLock<[u8; 32]>>,
    /// Signs skill requests like Alexa, when configured.
    pub signer: Option<Arc<RequestSigner>>,
}

/// Alexa's request signature, made with a test key: `Signature-256` is
/// base64 RSA-SHA256 over the exact body bytes.
pub struct RequestSigner {
    key: aws_lc_rs::signature::RsaKeyPair,
    pub cert_chain_url: String,
}

impl RequestSigner {
    pub fn load(key_file: &std::path::Path, cert_chain_url: String) -> Result<Self, String> {
        use rustls_pki_types::pem::PemObject;
        let der = rustls_pki_types::PrivatePkcs8KeyDer::from_pem_file(key_file)
            .map_err(|e| format!("alexa_signing_key_file {}: {e}", key_file.display()))?;
        let key =
            aws_lc_rs::signature::RsaKeyPair::from_pkcs8(der.secret_pkcs8_der()).map_err(|_| {
                format!(
                    "alexa_signing_key_file {}: not a PKCS#8 RSA private key",
                    key_file.display()
                )
            })?;
        Ok(Self {
            key,
            cert_chain_url,
        })
    }

    /// The `Signature-256` header value for `body`.
    pub fn sign(&self, body: &[u8]) -> Result<String, String> {
        use base64::Engine;
        let mut sig = vec![0u8; self.key.public_modulus_len()];
        self.key
            .sign(
                &aws_lc_rs::signature::RSA_PKCS1_SHA256,
                &aws_lc_rs::rand::SystemRandom::new(),
                body,
                &mut sig,
            )
            .map_err(|_| "signing the request failed".to_owned())?;
        Ok(base64::engine::general_purpose::STANDARD.encode(sig))
    }
}

impl SimulatorRuntime {
    /// The key of the `apiAccessToken`s, made on first use: the process's
    /// first random bytes are slow (aws-lc's jitter seeding), and start-up
    /// need not wait for them.
    pub fn api_token_key(&self) -> &[u8; 32] {
        self.api_token_key.get_or_init(|| {
            let mut key = [0u8; 32];
            aws_lc_rs::rand::fill(&mut key).expect("the OS random source is available");
            key
        })
    }

    pub fn new(settings: &Settings) -> Result<Self, String> {
        // Fail at start, not at the first "Enable skill", on a bad provider URL.
        oauth::client(settings)?;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_millis(4500))
            .build()
            .map_err(|e| e.to_string())?;
        let model = match &settings.simulator.interaction_model_file {
            None => InteractionModel::bundled(),
            Some(path) => std::fs::read_to_string(path)
                .map_err(|e| e.to_string())
                .and_then(|text| {
                    serde_json::from_str::<
                        crate::wire::alexa::interaction_model::InteractionModelFile,
                    >(&text)
                    .map_err(|e| e.to_string())
                })
                .map(|f| f.interaction_model)
                .map_err(|e| format!("alexa_interaction_model_file {}: {e}", path.display()))?,
        };
        let signer = match (
            &settings.simulator.signing_key_file,
            &settings.simulator.signature_cert_chain_url,
        ) {
            (Some(key), Some(url)) => Some(Arc::new(RequestSigner::load(key, url.clone())?)),
            _ => None,
        };
        let dialog_intents = model
            .dialog
            .iter()
            .flat_map(|d| d.intents.iter().map(|i| i.name.clone()))
            .collect();
        Ok(Self {
            http,
            refresh_lock: Arc::default(),
            model: Arc::new(model.language_model),
            dialog_intents: Arc::new(dialog_intents),
            api_token_key: Arc::default(),
            signer,
        })
    }
}

/// Why a link failed, with every finding of its flow.
#[derive(Debug)]
pub struct LinkFailure {
    /// `token_exchange_failed` or `link_refused` (strict mode).
    pub code: &'static str,
    /// The simulated skill's name, as Alexa's message says it.
    pub skill_name: String,
    pub reason: String,
    pub flow_id: String,
    pub findings: Vec<crate::store::FlowFinding>,
}

/// The simulator's errors, as JSON for the API and as a page for the browser.
#[derive(Debug, thiserror::Error)]
pub enum AlexaError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("This form has expired or was not sent by this page. Go back, reload and try again.")]
    Csrf,
    /// The toolbox rule (`web::access`): no or a wrong admin password.
    #[error("{0}")]
    Unauthorized(String),
    /// The toolbox rule: not from this machine, or a cross-site call.
    #[error("{0}")]
    Forbidden(String),
    /// Too many wrong admin passwords from this address; seconds to wait.
    #[error("Too many wrong admin passwords; try again in {0} s.")]
    TooManyAttempts(i64),
    #[error("The state in the redirect does not match any account linking in progress (it was altered, already used, or expired). Start again with \"Enable skill\".")]
    StateMismatch,
    #[error("The authorization server returned with an error parameter: {error}{}", if description.is_empty() { String::new() } else { format!(" ({description})") })]
    Provider { error: String, description: String },
    /// The link failed as Alexa would fail it: the code exchange, or (in
    /// strict mode) one of Alexa's rules.
    #[error("We were unable to link {} at this time. {}", .0.skill_name, .0.reason)]
    Unlinked(Box<LinkFailure>),
    #[error("The simulator is misconfigured: {0}")]
    Config(String),
    #[error("The service is temporarily unavailable. Try again in a moment.")]
    Store(#[from] StoreError),
}

impl AlexaError {
    fn code(&self) -> &'static str {
        match self {
            Self::NotFound(_) => "not_found",
            Self::BadRequest(_) => "bad_request",
            Self::Csrf => "csrf",
            Self::Unauthorized(_) => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::TooManyAttempts(_) => "too_many_requests",
            Self::StateMismatch => "state_mismatch",
            Self::Provider { .. } => "provider_error",
            Self::Unlinked(f) => f.code,
            Self::Config(_) => "misconfigured",
            Self::Store(_) => "unavailable",
        }
    }
}

impl ResponseError for AlexaError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Csrf | Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::TooManyAttempts(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Config(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::Store(e) = self {
            tracing::error!(error = %e, "database error in the Alexa simulator");
        }
        let mut res = HttpResponse::build(self.status_code());
        self.add_headers(&mut res);
        let mut body = serde_json::json!({
            "error": self.code(),
            "error_description": self.to_string(),
        });
        if let Self::Unlinked(f) = self {
            body["flow_id"] = f.flow_id.clone().into();
            body["findings"] = serde_json::to_value(&f.findings).unwrap_or_default();
        }
        res.json(body)
    }
}

impl AlexaError {
    /// The password challenge (the browser prompts on it) and `Retry-After`.
    pub(crate) fn add_headers(&self, res: &mut actix_web::HttpResponseBuilder) {
        match self {
            Self::Unauthorized(_) => {
                res.insert_header((
                    actix_web::http::header::WWW_AUTHENTICATE,
                    "Basic realm=\"mocklink admin\"",
                ));
            }
            Self::TooManyAttempts(wait) => {
                res.insert_header((actix_web::http::header::RETRY_AFTER, wait.to_string()));
            }
            _ => {}
        }
    }
}

impl From<Denied> for AlexaError {
    fn from(d: Denied) -> Self {
        match d {
            Denied::Off => AlexaError::NotFound(d.to_string()),
            Denied::LoopbackOnly => AlexaError::Forbidden(d.to_string()),
            Denied::PasswordRequired | Denied::WrongPassword => {
                AlexaError::Unauthorized(d.to_string())
            }
            Denied::Throttled(wait) => AlexaError::TooManyAttempts(wait),
            Denied::Unavailable(e) => AlexaError::Store(e),
        }
    }
}

impl From<CallRejection> for AlexaError {
    fn from(r: CallRejection) -> Self {
        match r {
            CallRejection::CrossSite(_) => AlexaError::Forbidden(r.to_string()),
            CallRejection::NotJson => AlexaError::BadRequest(
                "Send Content-Type: application/json (a body of {} is fine).".into(),
            ),
        }
    }
}

/// Proof that the request may use the simulator's JSON API: the toolbox
/// rule of `web::access` and, for actions, the JSON-call rule of `web::csrf`.
pub struct SimulatorCaller;

impl FromRequest for SimulatorCaller {
    type Error = AlexaError;
    type Future = LocalBoxFuture<'static, Result<Self, AlexaError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let access =
                access::of(&req).ok_or_else(|| AlexaError::Config("access rule missing".into()))?;
            let with_password = access.admit(&req).await?;
            json_call(&req, access, with_password)?;
            Ok(SimulatorCaller)
        })
    }
}

/// Proof that the request may see the simulator's pages and send their
/// forms (which have the form rule of `web::csrf` on top).
pub struct SimulatorUser;

impl FromRequest for SimulatorUser {
    type Error = pages::SimulatorPageError;
    type Future = LocalBoxFuture<'static, Result<Self, pages::SimulatorPageError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let access =
                access::of(&req).ok_or_else(|| AlexaError::Config("access rule missing".into()))?;
            access.admit(&req).await.map_err(AlexaError::from)?;
            Ok(SimulatorUser)
        })
    }
}

/// The simulated user, or 404.
pub async fn user(state: &SimulatorState, id: &str) -> Result<AlexaUser, AlexaError> {
    let not_found = || AlexaError::NotFound(format!("There is no simulated Alexa user {id}."));
    if !id.starts_with("amzn1.ask.account.") || id.len() > 200 || !is_plain_id(id) {
        return Err(not_found());
    }
    state
        .store
        .alexa_user(id, &state.skill.key)
        .await?
        .ok_or_else(not_found)
}

/// Ids this simulator hands out are ASCII letters, digits, `.`, `-` and `_`;
/// anything else (a NUL above all, which PostgreSQL refuses in text) cannot
/// name a user or a flow and never reaches the database.
pub(crate) fn is_plain_id(id: &str) -> bool {
    id.bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

/// Creates a simulated Alexa user with a fresh `amzn1.ask.account.…` id.
pub async fn create_user(
    state: &SimulatorState,
    name: Option<&str>,
    region: Option<&str>,
) -> Result<AlexaUser, AlexaError> {
    let region = parse_region(region.unwrap_or("NA"))?;
    let name = name.map(str::trim).filter(|n| !n.is_empty());
    if name.is_some_and(|n| n.chars().count() > 60) {
        return Err(AlexaError::BadRequest(
            "A name is at most 60 characters.".into(),
        ));
    }
    if name.is_some_and(|n| n.chars().any(char::is_control)) {
        return Err(AlexaError::BadRequest(
            "A name cannot contain control characters.".into(),
        ));
    }
    let count = state.store.alexa_users(&state.skill.key).await?.len();
    let name = name
        .map(str::to_owned)
        .unwrap_or_else(|| format!("Alexa user {}", count + 1));
    let id = deliver::new_account_id();
    let now = state.clock.now();
    state
        .store
        .insert_alexa_user(&id, &name, region, now)
        .await?;
    user(state, &id).await
}

/// One of Alexa's regions, NA, EU or FE (case-insensitive).
pub fn parse_region(region: &str) -> Result<&'static str, AlexaError> {
    let r = region.trim();
    Region::parse(r)
        .map(Region::code)
        .ok_or_else(|| AlexaError::BadRequest("The region is NA, EU or FE.".into()))
}

/// Sets the user's Alexa region (which `apiEndpoint` requests carry).
pub async fn set_region(
    state: &SimulatorState,
    id: &str,
    region: &str,
) -> Result<AlexaUser, AlexaError> {
    let region = parse_region(region)?;
    user(state, id).await?;
    state.store.set_alexa_region(id, region).await?;
    user(state, id).await
}
