//! Request verification as a certified web-service skill does it (alexa.md §5):
//! the SignatureCertChainUrl rules, the downloaded chain (valid now, SAN
//! `echo-api.amazon.com`, chained to a trusted root), `Signature-256` over the
//! raw body, the 150-second timestamp window and the application id.

use crate::clock::Clock;
use crate::config::Settings;
use crate::wire::alexa::envelope::RequestEnvelope;
use base64::Engine;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, DnsName, ServerName, TrustAnchor, UnixTime};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The name Amazon's signing certificate must carry.
pub const SIGNING_CERT_NAME: &str = "echo-api.amazon.com";
/// How far a request's timestamp may be from now.
pub const MAX_SKEW_SECONDS: i64 = 150;
/// Signing chains are a few KB; refuse anything much larger.
const MAX_CHAIN_BYTES: usize = 64 * 1024;

/// Why a request was rejected; always answered with HTTP 400.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RequestRejected {
    #[error("missing header {0}")]
    MissingHeader(&'static str),
    #[error("invalid SignatureCertChainUrl: {0}")]
    CertUrl(String),
    #[error("could not download the signing certificate chain: {0}")]
    CertFetch(String),
    #[error("untrusted signing certificate: {0}")]
    Certificate(String),
    #[error("the Signature-256 does not match the request body")]
    Signature,
    #[error("request timestamp rejected: {0}")]
    Timestamp(String),
    #[error("the request is for another skill (applicationId mismatch)")]
    ApplicationId,
}

/// Scheme, host, port and path prefix a SignatureCertChainUrl must have.
#[derive(Debug, Clone)]
pub struct CertUrlRule {
    scheme: String,
    host: String,
    port: u16,
    path_prefix: String,
}

impl CertUrlRule {
    /// From a prefix URL such as `https://s3.amazonaws.com/echo.api/`.
    pub fn parse(prefix: &str) -> Result<Self, String> {
        let u = url::Url::parse(prefix).map_err(|e| format!("'{prefix}': {e}"))?;
        Ok(Self {
            scheme: u.scheme().to_owned(),
            host: u
                .host_str()
                .ok_or_else(|| format!("'{prefix}' has no host"))?
                .to_owned(),
            port: u
                .port_or_known_default()
                .ok_or_else(|| format!("'{prefix}' has no port"))?,
            path_prefix: u.path().to_owned(),
        })
    }

    /// Checks a SignatureCertChainUrl; returns it normalised (`..` resolved).
    pub fn check(&self, raw: &str) -> Result<url::Url, RequestRejected> {
        let bad = |why: &str| RequestRejected::CertUrl(why.to_owned());
        // The url crate lower-cases scheme and host and resolves dot segments,
        // which is exactly the normalisation Amazon asks for.
        let u = url::Url::parse(raw.trim()).map_err(|_| bad("not a URL"))?;
        if !u.scheme().eq_ignore_ascii_case(&self.scheme) {
            return Err(bad(&format!("scheme must be {}", self.scheme)));
        }
        if !u
            .host_str()
            .is_some_and(|h| h.eq_ignore_ascii_case(&self.host))
        {
            return Err(bad(&format!("host must be {}", self.host)));
        }
        if u.port_or_known_default() != Some(self.port) {
            return Err(bad(&format!("port must be {}", self.port)));
        }
        if !u.username().is_empty() || u.password().is_some() {
            return Err(bad("credentials are not allowed"));
        }
        if !u.path().starts_with(&self.path_prefix) {
            return Err(bad(&format!("path must start with {}", self.path_prefix)));
        }
        // Each distinct URL is a fetch and a cache entry: no query or fragment
        // may make endless variants of one certificate location.
        if u.query().is_some() || u.fragment().is_some() {
            return Err(bad("a query or fragment is not allowed"));
        }
        Ok(u)
    }
}

/// Skill events (enable, disable, account linked, …) may arrive up to an hour late.
/// Certificate chains kept in memory at most.
const MAX_CACHED_CHAINS: usize = 16;

pub const MAX_SKILL_EVENT_AGE_SECONDS: i64 = 3600;

/// Checks `request.timestamp` against now (both directions, as Amazon's docs say).
pub fn check_timestamp(timestamp: &str, now: i64) -> Result<(), RequestRejected> {
    check_timestamp_within(timestamp, now, MAX_SKEW_SECONDS)
}

/// The window for a request of this type.
pub fn max_age_for(request_type: &str) -> i64 {
    if request_type.starts_with("AlexaSkillEvent.") {
        MAX_SKILL_EVENT_AGE_SECONDS
    } else {
        MAX_SKEW_SECONDS
    }
}

fn check_timestamp_within(timestamp: &str, now: i64, max_age: i64) -> Result<(), RequestRejected> {
    let t = time::OffsetDateTime::parse(timestamp, &time::format_description::well_known::Rfc3339)
        .map_err(|_| RequestRejected::Timestamp("not an ISO 8601 timestamp".into()))?
        .unix_timestamp();
    let skew = now - t;
    if skew > max_age {
        Err(RequestRejected::Timestamp(format!(
            "{skew} s old; at most {max_age} s allowed"
        )))
    } else if -skew > MAX_SKEW_SECONDS {
        Err(RequestRejected::Timestamp(format!(
            "{} s in the future",
            -skew
        )))
    } else {
        Ok(())
    }
}

/// The verifier, with its cache of downloaded chains (by normalised URL).
pub struct Verifier {
    signatures: bool,
    application_id: Option<String>,
    rule: CertUrlRule,
    roots: Vec<TrustAnchor<'static>>,
    http: reqwest::Client,
    cache: Mutex<HashMap<String, Arc<Vec<CertificateDer<'static>>>>>,
}

impl Verifier {
    pub fn new(settings: &Settings) -> Result<Self, String> {
        let rule = CertUrlRule::parse(&settings.skill.cert_url_prefix)
            .map_err(|e| format!("skill_cert_url_prefix {e}"))?;
        let roots = match &settings.skill.trusted_roots_file {
            None => webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            Some(path) => load_roots(path)?,
        };
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(3))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            signatures: settings.skill.verify_signatures,
            application_id: settings.skill.application_id.clone(),
            rule,
            roots,
            http,
            cache: Mutex::default(),
        })
    }

    pub fn checks_signatures(&self) -> bool {
        self.signatures
    }

    /// Signature checks on the raw body; a no-op when verification is off.
    pub async fn check_signature(
        &self,
        cert_url: Option<&str>,
        signature: Option<&str>,
        body: &[u8],
        clock: &Clock,
    ) -> Result<(), RequestRejected> {
        if !self.signatures {
            return Ok(());
        }
        let cert_url = cert_url.ok_or(RequestRejected::MissingHeader("SignatureCertChainUrl"))?;
        let signature = signature.ok_or(RequestRejected::MissingHeader("Signature-256"))?;
        let url = self.rule.check(cert_url)?;
        let signature = base64::engine::general_purpose::STANDARD
            .decode(signature.trim())
            .map_err(|_| RequestRejected::Signature)?;
        let chain = self.chain(&url).await?;
        let now = UnixTime::since_unix_epoch(Duration::from_secs(clock.now().max(0) as u64));
        verify_chain_and_signature(&chain, &self.roots, now, body, &signature)
    }

    /// The checks made on every request, signed or not.
    pub fn check_envelope(
        &self,
        env: &RequestEnvelope,
        clock: &Clock,
    ) -> Result<(), RequestRejected> {
        check_timestamp_within(
            env.request.timestamp(),
            clock.now(),
            max_age_for(env.request.type_name()),
        )?;
        match &self.application_id {
            Some(expected) if env.application_id() != expected => {
                Err(RequestRejected::ApplicationId)
            }
            _ => Ok(()),
        }
    }

    async fn chain(
        &self,
        url: &url::Url,
    ) -> Result<Arc<Vec<CertificateDer<'static>>>, RequestRejected> {
        let key = url.as_str().to_owned();
        if let Some(hit) = self.cache.lock().expect("cache lock").get(&key) {
            return Ok(hit.clone());
        }
        let fetch = |e: String| RequestRejected::CertFetch(e);
        let res = self
            .http
            .get(url.clone())
            .send()
            .await
            .map_err(|e| fetch(e.without_url().to_string()))?;
        if !res.status().is_success() {
            return Err(fetch(format!("status {}", res.status().as_u16())));
        }
        // Stop reading at the cap instead of buffering whatever is sent.
        let mut res = res;
        let mut bytes = Vec::new();
        while let Some(chunk) = res
            .chunk()
            .await
            .map_err(|e| fetch(e.without_url().to_string()))?
        {
            if bytes.len() + chunk.len() > MAX_CHAIN_BYTES {
                return Err(fetch("the chain is too large".into()));
            }
            bytes.extend_from_slice(&chunk);
        }
        let chain = CertificateDer::pem_slice_iter(&bytes)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| fetch(format!("not a PEM chain: {e}")))?;
        if chain.is_empty() {
            return Err(fetch("no certificate in the PEM".into()));
        }
        let chain = Arc::new(chain);
        let mut cache = self.cache.lock().expect("cache lock");
        // Amazon uses one or two chain URLs; a handful bounds memory.
        if cache.len() >= MAX_CACHED_CHAINS {
            cache.clear();
        }
        cache.insert(key, chain.clone());
        Ok(chain)
    }
}

fn load_roots(path: &std::path::Path) -> Result<Vec<TrustAnchor<'static>>, String> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("skill_trusted_roots_file {}: {e}", path.display()))?;
    let roots = certs
        .iter()
        .map(|c| {
            webpki::anchor_from_trusted_cert(c)
                .map(|a| a.to_owned())
                .map_err(|e| format!("skill_trusted_roots_file {}: {e}", path.display()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if roots.is_empty() {
        return Err(format!(
            "skill_trusted_roots_file {} has no certificate",
            path.display()
        ));
    }
    Ok(roots)
}

/// The signing certificate (first in the chain) must be valid at `now`, name
/// `echo-api.amazon.com`, chain to a root, and have signed `body`.
pub fn verify_chain_and_signature(
    chain: &[CertificateDer<'static>],
    roots: &[TrustAnchor<'static>],
    now: UnixTime,
    body: &[u8],
    signature: &[u8],
) -> Result<(), RequestRejected> {
    let cert_err = |e: webpki::Error| RequestRejected::Certificate(format!("{e:?}"));
    let (leaf, intermediates) = chain
        .split_first()
        .ok_or_else(|| RequestRejected::Certificate("empty chain".into()))?;
    let ee = webpki::EndEntityCert::try_from(leaf).map_err(cert_err)?;
    ee.verify_for_usage(
        webpki::ALL_VERIFICATION_ALGS,
        roots,
        intermediates,
        now,
        webpki::KeyUsage::server_auth(),
        None,
        None,
    )
    .map_err(cert_err)?;
    let name = DnsName::try_from(SIGNING_CERT_NAME).expect("a valid DNS name");
    ee.verify_is_valid_for_subject_name(&ServerName::DnsName(name))
        .map_err(cert_err)?;
    ee.verify_signature(
        webpki::aws_lc_rs::RSA_PKCS1_2048_8192_SHA256,
        body,
        signature,
    )
    .map_err(|_| RequestRejected::Signature)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amazon() -> CertUrlRule {
        CertUrlRule::parse("https://s3.amazonaws.com/echo.api/").unwrap()
    }

    #[test]
    fn amazon_documented_valid_cert_urls_pass() {
        for ok in [
            "https://s3.amazonaws.com/echo.api/echo-api-cert.pem",
            "https://s3.amazonaws.com:443/echo.api/echo-api-cert.pem",
            "https://s3.amazonaws.com/echo.api/../echo.api/echo-api-cert.pem",
            "HTTPS://s3.amazonaws.com/echo.api/echo-api-cert.pem",
            "https://S3.AMAZONAWS.COM/echo.api/echo-api-cert.pem",
        ] {
            assert!(amazon().check(ok).is_ok(), "{ok} should pass");
        }
        assert_eq!(
            amazon()
                .check("https://s3.amazonaws.com:443/echo.api/../echo.api/echo-api-cert.pem")
                .unwrap()
                .as_str(),
            "https://s3.amazonaws.com/echo.api/echo-api-cert.pem"
        );
    }

    #[test]
    fn amazon_documented_invalid_cert_urls_fail() {
        for bad in [
            "http://s3.amazonaws.com/echo.api/echo-api-cert.pem",
            "https://notamazon.com/echo.api/echo-api-cert.pem",
            "https://s3.amazonaws.com/EcHo.aPi/echo-api-cert.pem",
            "https://s3.amazonaws.com/invalid.path/echo-api-cert.pem",
            "https://s3.amazonaws.com:563/echo.api/echo-api-cert.pem",
            "https://s3.amazonaws.com/echo.api/../invalid.path/echo-api-cert.pem",
            "https://user@s3.amazonaws.com/echo.api/echo-api-cert.pem",
            "https://s3.amazonaws.com/echo.api/echo-api-cert.pem?n=1",
            "https://s3.amazonaws.com/echo.api/echo-api-cert.pem#x",
            "not a url",
        ] {
            assert!(
                matches!(amazon().check(bad), Err(RequestRejected::CertUrl(_))),
                "{bad} should fail"
            );
        }
    }

    #[test]
    fn timestamps_must_be_within_150_seconds_either_way() {
        let t = time::OffsetDateTime::parse(
            "2026-11-24T21:00:00Z",
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap()
        .unix_timestamp();
        assert!(check_timestamp("2026-11-24T21:00:00Z", t).is_ok());
        assert!(check_timestamp("2026-11-24T21:00:00Z", t + 150).is_ok());
        assert!(check_timestamp("2026-11-24T21:00:00Z", t + 151).is_err());
        assert!(check_timestamp("2026-11-24T21:00:00Z", t - 151).is_err());
        assert!(check_timestamp("yesterday", t).is_err());
        // Skill events get an hour.
        assert_eq!(max_age_for("AlexaSkillEvent.SkillDisabled"), 3600);
        assert!(check_timestamp_within("2026-11-24T21:00:00Z", t + 3000, 3600).is_ok());
        assert!(check_timestamp_within("2026-11-24T21:00:00Z", t + 3601, 3600).is_err());
    }
}
