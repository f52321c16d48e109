//! The certificate rule as Alexa's server-to-server call applies it: a
//! handshake with the public root store and no AIA fetching, so a chain the
//! server sends incomplete fails here as it fails at Amazon, even though
//! browsers (which fetch missing intermediates) open the page fine.

use crate::linkcheck::{Finding, Rule};
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The certificate finding for `uri` (`label` names the console field).
pub async fn check(label: &str, uri: &str) -> Finding {
    let Ok(url) = url::Url::parse(uri) else {
        return Finding::fail(
            Rule::Certificate,
            format!("the {label} is not a URL"),
            "enter the full https:// address",
        );
    };
    if url.scheme() != "https" {
        return Finding::warn(
            Rule::Certificate,
            format!("the {label} uses {}: no certificate to check", url.scheme()),
            "serve it over HTTPS with a certificate from a CA Amazon accepts",
        );
    }
    let host = url.host_str().unwrap_or_default().to_owned();
    let port = url.port_or_known_default().unwrap_or(443);
    let label = label.to_owned();
    tokio::task::spawn_blocking(move || handshake(&label, &host, port))
        .await
        .unwrap_or_else(|e| {
            Finding::fail(
                Rule::Certificate,
                format!("the check stopped: {e}"),
                "try again",
            )
        })
}

fn handshake(label: &str, host: &str, port: u16) -> Finding {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let fail = |evidence: String, advice: &str| Finding::fail(Rule::Certificate, evidence, advice);
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let config = match rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    {
        Ok(b) => b.with_root_certificates(roots).with_no_client_auth(),
        Err(e) => return fail(format!("TLS setup failed: {e}"), "report this"),
    };
    let Ok(name) = rustls_pki_types::ServerName::try_from(host.to_owned()) else {
        return fail(
            format!("{host:?} is not a valid server name"),
            "use a DNS name",
        );
    };
    let addr = match (host, port).to_socket_addrs().map(|mut a| a.next()) {
        Ok(Some(a)) => a,
        _ => {
            return fail(
                format!("{host} does not resolve"),
                "publish a DNS record for the host",
            )
        }
    };
    let mut sock = match TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT) {
        Ok(s) => s,
        Err(e) => {
            return fail(
                format!("cannot connect to {host}:{port}: {e}"),
                "make the host reachable from the internet on port 443",
            )
        }
    };
    let _ = sock.set_read_timeout(Some(CONNECT_TIMEOUT));
    let _ = sock.set_write_timeout(Some(CONNECT_TIMEOUT));
    let mut conn = match rustls::ClientConnection::new(Arc::new(config), name) {
        Ok(c) => c,
        Err(e) => return fail(format!("TLS setup failed: {e}"), "report this"),
    };
    while conn.is_handshaking() {
        if let Err(e) = conn.complete_io(&mut sock) {
            let text = e.to_string();
            let advice = if text.contains("UnknownIssuer") || text.contains("unknown issuer") {
                "send the full chain (leaf and every intermediate) from a CA in the public root store; Alexa does not fetch missing intermediates and does not trust self-signed certificates"
            } else if text.contains("NotValidForName") || text.contains("not valid for name") {
                "use a certificate whose names include this host"
            } else if text.contains("Expired") || text.contains("expired") {
                "renew the certificate"
            } else {
                "serve a valid certificate chain from a CA Amazon accepts"
            };
            return fail(
                format!("the {label}'s TLS handshake with {host} failed: {text}"),
                advice,
            );
        }
    }
    // A tiny request so the session is really up; the answer is not needed.
    let _ = conn.writer().write_all(b"");
    let _ = conn.reader().read(&mut [0u8; 0]);
    let Some(leaf) = conn.peer_certificates().and_then(|c| c.first()) else {
        return fail("no certificate was sent".into(), "serve a certificate");
    };
    let der = leaf.as_ref();
    // The issuer's organisation is a literal string in the DER.
    if der.windows(13).any(|w| w == b"Let's Encrypt") {
        return fail(
            format!("the {label}'s certificate for {host} is issued by Let's Encrypt"),
            "Amazon names Let's Encrypt as not accepted for account linking: use a certificate from another public CA",
        );
    }
    Finding::pass(
        Rule::Certificate,
        format!("the {label}'s certificate for {host} is valid, with a complete chain from a public root"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linkcheck::Verdict;

    #[tokio::test]
    async fn http_is_skipped_with_a_warning_and_garbage_fails() {
        let f = check("Access Token URI", "http://127.0.0.1:1/token").await;
        assert_eq!(f.verdict, Verdict::Warn);
        let f = check("Access Token URI", "not a url").await;
        assert_eq!(f.verdict, Verdict::Fail);
    }

    #[tokio::test]
    async fn a_self_signed_server_fails_the_certificate_rule() {
        // A TLS server with a self-signed certificate, as Alexa would meet it.
        let key = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
        let cert = key.cert.der().clone();
        let pkey = rustls_pki_types::PrivateKeyDer::Pkcs8(
            rustls_pki_types::PrivatePkcs8KeyDer::from(key.signing_key.serialize_der()),
        );
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert], pkey)
        .unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            if let Ok((mut sock, _)) = listener.accept() {
                let mut conn = rustls::ServerConnection::new(Arc::new(config)).unwrap();
                let _ = conn.complete_io(&mut sock);
            }
        });
        let f = check("Access Token URI", &format!("https://localhost:{port}/t")).await;
        assert_eq!(f.verdict, Verdict::Fail, "{f:?}");
        assert!(f.evidence.contains("handshake"), "{f:?}");
    }
}
