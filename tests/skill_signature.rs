//! Alexa's request signatures, checked over HTTP with a test CA standing in
//! for Amazon's: the chain is served by a local server under `/echo.api/`.

use crate::helpers::*;
use crate::skill_support::*;
use serde_json::json;

struct Signed {
    app: TestApp,
    signer: TestSigner,
    chain: StaticServer,
    _roots: tempfile::NamedTempFile,
}

async fn signed_app(san: &str) -> Signed {
    let signer = TestSigner::new(san);
    let root = signer.root_pem.clone();
    signed_app_trusting(signer, &root).await
}

/// Serves `signer`'s chain under the allowed prefix; trusts only `root_pem`.
async fn signed_app_trusting(signer: TestSigner, root_pem: &str) -> Signed {
    let chain = StaticServer::start(signer.chain_pem.clone()).await;
    let roots = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(roots.path(), root_pem).unwrap();
    let prefix = format!("{}/echo.api/", chain.base);
    let roots_path = roots.path().to_owned();
    let app = spawn_app_with(|s| {
        s.skill.verify_signatures = true;
        s.skill.cert_url_prefix = prefix;
        s.skill.trusted_roots_file = Some(roots_path);
    })
    .await;
    Signed {
        app,
        signer,
        chain,
        _roots: roots,
    }
}

async fn send(
    t: &Signed,
    body: &[u8],
    cert_url: Option<&str>,
    signature: Option<&str>,
) -> (u16, serde_json::Value) {
    let mut req = t
        .app
        .http
        .post(format!("{}/alexa/skill", t.app.url))
        .header("Content-Type", "application/json")
        .body(body.to_vec());
    if let Some(u) = cert_url {
        req = req.header("SignatureCertChainUrl", u);
    }
    if let Some(s) = signature {
        req = req.header("Signature-256", s);
    }
    let res = req.send().await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap_or_default())
}

fn cert_url(t: &Signed) -> String {
    format!("{}/echo.api/echo-api-cert.pem", t.chain.base)
}

#[tokio::test]
async fn a_correctly_signed_request_is_accepted_and_the_chain_is_cached() {
    let t = signed_app("echo-api.amazon.com").await;
    for _ in 0..2 {
        let body = serde_json::to_vec(&envelope(launch(t.app.clock.now()), None)).unwrap();
        let sig = t.signer.sign(&body);
        let (code, res) = send(&t, &body, Some(&cert_url(&t)), Some(&sig)).await;
        assert_eq!(code, 200, "{res}");
        assert_eq!(res["response"]["card"], json!({"type": "LinkAccount"}));
    }
    assert_eq!(
        *t.chain.hits.lock().unwrap(),
        1,
        "the chain is fetched once"
    );
    // Dot segments are resolved before the prefix check.
    let body = serde_json::to_vec(&envelope(launch(t.app.clock.now()), None)).unwrap();
    let dotted = format!("{}/echo.api/../echo.api/echo-api-cert.pem", t.chain.base);
    assert_eq!(
        send(&t, &body, Some(&dotted), Some(&t.signer.sign(&body)))
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn a_tampered_body_is_rejected() {
    let t = signed_app("echo-api.amazon.com").await;
    let body = serde_json::to_vec(&envelope(launch(t.app.clock.now()), None)).unwrap();
    let sig = t.signer.sign(&body);
    let tampered =
        serde_json::to_vec(&envelope(launch(t.app.clock.now()), Some("stolen"))).unwrap();
    let (code, res) = send(&t, &tampered, Some(&cert_url(&t)), Some(&sig)).await;
    assert_eq!(code, 400);
    assert!(
        res["error_description"]
            .as_str()
            .unwrap()
            .contains("Signature-256"),
        "{res}"
    );
    // Re-serialising is tampering too: one extra space breaks the signature.
    let mut spaced = body.clone();
    spaced.push(b' ');
    assert_eq!(
        send(&t, &spaced, Some(&cert_url(&t)), Some(&sig)).await.0,
        400
    );
    assert_eq!(
        send(&t, &body, Some(&cert_url(&t)), Some("bm90IGEgc2lnbmF0dXJl"))
            .await
            .0,
        400
    );
}

#[tokio::test]
async fn a_stale_signed_request_is_rejected() {
    let t = signed_app("echo-api.amazon.com").await;
    let mut req = launch(t.app.clock.now());
    req["timestamp"] = json!(timestamp(t.app.clock.now(), -151));
    let body = serde_json::to_vec(&envelope(req, None)).unwrap();
    let (code, res) = send(&t, &body, Some(&cert_url(&t)), Some(&t.signer.sign(&body))).await;
    assert_eq!(code, 400);
    assert!(
        res["error_description"]
            .as_str()
            .unwrap()
            .contains("timestamp"),
        "{res}"
    );
}

#[tokio::test]
async fn bad_cert_urls_and_missing_headers_are_rejected() {
    let t = signed_app("echo-api.amazon.com").await;
    let body = serde_json::to_vec(&envelope(launch(t.app.clock.now()), None)).unwrap();
    let sig = t.signer.sign(&body);
    let host = t.chain.base.trim_start_matches("http://");
    for bad in [
        format!("https://{host}/echo.api/echo-api-cert.pem"),
        format!("http://{host}/EcHo.aPi/echo-api-cert.pem"),
        format!("http://{host}/invalid.path/echo-api-cert.pem"),
        format!("http://{host}/echo.api/../invalid.path/echo-api-cert.pem"),
        "http://notamazon.com/echo.api/echo-api-cert.pem".to_owned(),
        "https://s3.amazonaws.com/echo.api/echo-api-cert.pem".to_owned(),
    ] {
        let (code, res) = send(&t, &body, Some(&bad), Some(&sig)).await;
        assert_eq!(code, 400, "{bad}");
        assert!(
            res["error_description"]
                .as_str()
                .unwrap()
                .contains("SignatureCertChainUrl"),
            "{bad}: {res}"
        );
    }
    assert_eq!(send(&t, &body, None, Some(&sig)).await.0, 400);
    assert_eq!(send(&t, &body, Some(&cert_url(&t)), None).await.0, 400);
    assert_eq!(
        *t.chain.hits.lock().unwrap(),
        0,
        "nothing fetched from a bad URL"
    );
}

#[tokio::test]
async fn a_certificate_for_another_name_or_from_another_ca_is_rejected() {
    let t = signed_app("not-echo.example.com").await;
    let body = serde_json::to_vec(&envelope(launch(t.app.clock.now()), None)).unwrap();
    let (code, res) = send(&t, &body, Some(&cert_url(&t)), Some(&t.signer.sign(&body))).await;
    assert_eq!(code, 400);
    assert!(
        res["error_description"]
            .as_str()
            .unwrap()
            .contains("certificate"),
        "{res}"
    );

    // A well-formed chain for the right name, but from a CA the server does not trust.
    let trusted = TestSigner::new("echo-api.amazon.com");
    let t = signed_app_trusting(TestSigner::new("echo-api.amazon.com"), &trusted.root_pem).await;
    let body = serde_json::to_vec(&envelope(launch(t.app.clock.now()), None)).unwrap();
    let (code, res) = send(&t, &body, Some(&cert_url(&t)), Some(&t.signer.sign(&body))).await;
    assert_eq!(code, 400);
    assert!(
        res["error_description"]
            .as_str()
            .unwrap()
            .contains("certificate"),
        "{res}"
    );
}

#[tokio::test]
async fn the_signing_certificate_must_be_valid_now() {
    let t = signed_app("echo-api.amazon.com").await;
    // rcgen certificates end in 4096; move the server's clock past that.
    t.app.clock.advance(2200 * 365 * 24 * 3600);
    let mut req = launch(t.app.clock.now());
    req["timestamp"] = json!(timestamp(t.app.clock.now(), 0));
    let body = serde_json::to_vec(&envelope(req, None)).unwrap();
    let (code, res) = send(&t, &body, Some(&cert_url(&t)), Some(&t.signer.sign(&body))).await;
    assert_eq!(code, 400);
    assert!(
        res["error_description"]
            .as_str()
            .unwrap()
            .contains("certificate"),
        "{res}"
    );
}
