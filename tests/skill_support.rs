#![allow(dead_code)]
//! Shared pieces of the skill tests: request envelopes, a scripted stand-in
//! for the Web API (to reach the skill's failure branches), and a test CA
//! that signs requests the way Amazon does.

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use serde_json::{json, Value};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

pub const SKILL_ID: &str = "amzn1.ask.skill.11111111-2222-3333-4444-555555555555";

/// An ISO 8601 timestamp `offset` seconds from the app clock's now.
pub fn timestamp(now: i64, offset: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(now + offset)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

/// A request envelope like Alexa's, with `request` as given.
pub fn envelope(request: Value, token: Option<&str>) -> Value {
    let mut user = json!({"userId": "amzn1.ask.account.AEXAMPLE"});
    if let Some(t) = token {
        user["accessToken"] = json!(t);
    }
    json!({
        "version": "1.0",
        "session": {
            "new": true,
            "sessionId": "amzn1.echo-api.session.0000-1111",
            "application": {"applicationId": SKILL_ID},
            "attributes": {},
            "user": user.clone()
        },
        "context": {
            "System": {
                "application": {"applicationId": SKILL_ID},
                "user": user,
                "device": {"deviceId": "amzn1.ask.device.AEXAMPLE", "supportedInterfaces": {}},
                "apiEndpoint": "https://api.amazonalexa.com",
                "apiAccessToken": "eyJ0eXAiOiJKV1Qi"
            }
        },
        "request": request
    })
}

pub fn launch(now: i64) -> Value {
    json!({
        "type": "LaunchRequest",
        "requestId": "amzn1.echo-api.request.0000-2222",
        "timestamp": timestamp(now, 0),
        "locale": "en-US"
    })
}

pub fn intent(now: i64, name: &str, slots: Value) -> Value {
    json!({
        "type": "IntentRequest",
        "requestId": "amzn1.echo-api.request.0000-3333",
        "timestamp": timestamp(now, 0),
        "locale": "en-US",
        "dialogState": "COMPLETED",
        "intent": {"name": name, "confirmationStatus": "NONE", "slots": slots}
    })
}

/// One request the fake api received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub query: String,
    pub authorization: Option<String>,
    pub body: String,
    /// Alexa's signature headers, if sent.
    pub signature: Option<String>,
    pub cert_chain_url: Option<String>,
}

/// A scripted Web API: answers every request with `status` and `body`.
pub struct FakeApi {
    pub url: String,
    pub seen: Arc<Mutex<Vec<Seen>>>,
    handle: actix_web::dev::ServerHandle,
}

impl FakeApi {
    pub async fn start(status: u16, body: Value) -> Self {
        Self::start_seq(vec![(status, body)]).await
    }

    /// Answers the n-th request with the n-th response; the last one repeats.
    pub async fn start_seq(responses: Vec<(u16, Value)>) -> Self {
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let log = seen.clone();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/v1", listener.local_addr().unwrap());
        let responses = Arc::new(responses);
        let server = HttpServer::new(move || {
            let log = log.clone();
            let responses = responses.clone();
            App::new().default_service(web::to(move |req: HttpRequest, bytes: web::Bytes| {
                let log = log.clone();
                let responses = responses.clone();
                async move {
                    let n = log.lock().unwrap().len();
                    let (status, body) = responses[n.min(responses.len() - 1)].clone();
                    log.lock().unwrap().push(Seen {
                        method: req.method().to_string(),
                        path: req.path().to_owned(),
                        query: req.query_string().to_owned(),
                        authorization: req
                            .headers()
                            .get("authorization")
                            .map(|v| v.to_str().unwrap().to_owned()),
                        body: String::from_utf8_lossy(&bytes).into_owned(),
                        signature: req
                            .headers()
                            .get("signature-256")
                            .map(|v| v.to_str().unwrap().to_owned()),
                        cert_chain_url: req
                            .headers()
                            .get("signaturecertchainurl")
                            .map(|v| v.to_str().unwrap().to_owned()),
                    });
                    let mut res =
                        HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap());
                    if status == 204 {
                        res.finish()
                    } else {
                        res.json(body)
                    }
                }
            }))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Self { url, seen, handle }
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    pub async fn stop(&self) {
        self.handle.stop(true).await;
    }
}

/// Serves fixed bytes at every path (the signing chain "on S3").
pub struct StaticServer {
    pub base: String,
    pub hits: Arc<Mutex<u32>>,
    handle: actix_web::dev::ServerHandle,
}

impl StaticServer {
    pub async fn start(body: String) -> Self {
        let hits: Arc<Mutex<u32>> = Arc::default();
        let counter = hits.clone();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let server = HttpServer::new(move || {
            let body = body.clone();
            let counter = counter.clone();
            App::new().default_service(web::to(move || {
                let body = body.clone();
                let counter = counter.clone();
                async move {
                    *counter.lock().unwrap() += 1;
                    HttpResponse::Ok()
                        .content_type("application/x-pem-file")
                        .body(body)
                }
            }))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Self { base, hits, handle }
    }
}

/// A test CA and an RSA signing certificate for `echo-api.amazon.com` (or
/// another name), as Amazon's chain would be.
pub struct TestSigner {
    pub root_pem: String,
    pub chain_pem: String,
    leaf_pkcs8: Vec<u8>,
}

impl TestSigner {
    pub fn new(san: &str) -> Self {
        Self::with_ca_key(san, rcgen::KeyPair::generate().unwrap())
    }

    /// An all-RSA chain, as Amazon's is (node-forge, which the Node SDK
    /// verifies chains with, reads RSA keys only).
    pub fn rsa(san: &str) -> Self {
        let rsa =
            aws_lc_rs::signature::RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
        let pkcs8 = aws_lc_rs::encoding::AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&rsa)
            .unwrap()
            .as_ref()
            .to_vec();
        let key = rcgen::KeyPair::from_pkcs8_der_and_sign_algo(
            &rustls_pki_types::PrivatePkcs8KeyDer::from(pkcs8),
            &rcgen::PKCS_RSA_SHA256,
        )
        .unwrap();
        Self::with_ca_key(san, key)
    }

    fn with_ca_key(san: &str, ca_key: rcgen::KeyPair) -> Self {
        use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "mocklink test root");
        let ca_cert = ca_params.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca_params, ca_key);

        let rsa =
            aws_lc_rs::signature::RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
        let pkcs8 = aws_lc_rs::encoding::AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&rsa)
            .unwrap()
            .as_ref()
            .to_vec();
        let leaf_key = KeyPair::from_pkcs8_der_and_sign_algo(
            &rustls_pki_types::PrivatePkcs8KeyDer::from(pkcs8.clone()),
            &rcgen::PKCS_RSA_SHA256,
        )
        .unwrap();
        let mut leaf_params = CertificateParams::new(vec![san.to_owned()]).unwrap();
        leaf_params.distinguished_name.push(DnType::CommonName, san);
        let leaf = leaf_params.signed_by(&leaf_key, &issuer).unwrap();
        Self {
            root_pem: ca_cert.pem(),
            chain_pem: format!("{}{}", leaf.pem(), ca_cert.pem()),
            leaf_pkcs8: pkcs8,
        }
    }

    /// The signing key as a PEM PKCS#8 file body.
    pub fn key_pem(&self) -> String {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD.encode(&self.leaf_pkcs8);
        let lines: Vec<&str> = b64
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
            lines.join("\n")
        )
    }

    /// Base64 RSA-SHA256 signature of `body`, as in `Signature-256`.
    pub fn sign(&self, body: &[u8]) -> String {
        use base64::Engine;
        let kp = aws_lc_rs::signature::RsaKeyPair::from_pkcs8(&self.leaf_pkcs8).unwrap();
        let mut sig = vec![0u8; kp.public_modulus_len()];
        kp.sign(
            &aws_lc_rs::signature::RSA_PKCS1_SHA256,
            &aws_lc_rs::rand::SystemRandom::new(),
            body,
            &mut sig,
        )
        .unwrap();
        base64::engine::general_purpose::STANDARD.encode(sig)
    }
}
