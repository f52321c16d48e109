//! Transport: optional HTTPS with rustls, and which client address rate
//! limits see behind a proxy (only trusted `X-Forwarded-For`).

use crate::helpers::*;

#[tokio::test]
async fn serves_https_with_the_configured_certificate() {
    let cert =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.signing_key.serialize_pem()).unwrap();
    let app = spawn_app_with(|s| {
        s.tls_cert = Some(cert_path.clone());
        s.tls_key = Some(key_path.clone());
    })
    .await;
    assert!(app.url.starts_with("https://"));
    // A client that trusts exactly this certificate, nothing looser.
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(cert.cert.pem().as_bytes()).unwrap())
        .build()
        .unwrap();
    let meta: serde_json::Value = client
        .get(format!(
            "{}/.well-known/oauth-authorization-server",
            app.url
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        meta["issuer"].as_str().unwrap().starts_with("https://"),
        "{meta}"
    );
    let res = client
        .get(
            app.demo_authorize_url("", &[])
                .replace("http://", "https://"),
        )
        .send()
        .await
        .unwrap();
    assert!(res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .contains("Secure"));
    // Plain HTTP on the TLS port is not served.
    let plain = reqwest::get(app.url.replace("https://", "http://") + "/healthz").await;
    assert!(plain.map(|r| !r.status().is_success()).unwrap_or(true));
}

/// `n` logins from `forwarded_for`, all wrong but the last; the last status.
async fn failed_logins_from(app: &TestApp, forwarded_for: &str, n: usize) -> u16 {
    logins_from(app, forwarded_for, n, true).await
}

async fn logins_from(app: &TestApp, forwarded_for: &str, n: usize, last_right: bool) -> u16 {
    let page = app.login_page().await;
    let csrf = form_value(&page, "csrf_token").unwrap();
    let mut last = 0;
    for i in 0..n {
        let password = if last_right && i + 1 == n {
            "demo"
        } else {
            "wrong"
        };
        let res = app
            .browser
            .post(format!("{}/login", app.url))
            .header("X-Forwarded-For", forwarded_for)
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("return_to", "/account/apps"),
                ("username", "demo"),
                ("password", password),
            ])
            .send()
            .await
            .unwrap();
        last = res.status().as_u16();
        if last == 303 {
            break;
        }
    }
    last
}

#[tokio::test]
async fn forwarded_addresses_count_only_when_trusted() {
    // Untrusted: a spoofed header does not give an attacker fresh addresses.
    let app = spawn_app().await;
    assert_eq!(failed_logins_from(&app, "1.1.1.1", 6).await, 429);
    assert_eq!(
        failed_logins_from(&app, "2.2.2.2", 1).await,
        429,
        "same peer, same limit"
    );

    // Trusted (behind the operator's proxy): each client address has its own.
    let app = spawn_app_with(|s| s.trust_forwarded_headers = true).await;
    assert_eq!(failed_logins_from(&app, "1.1.1.1", 6).await, 429);
    assert_eq!(failed_logins_from(&app, "2.2.2.2", 1).await, 303);
    // Only the entry the proxy appended counts: a client-chosen prefix does not
    // give a fresh address.
    assert_eq!(failed_logins_from(&app, "7.7.7.7, 3.3.3.3", 6).await, 429);
    assert_eq!(failed_logins_from(&app, "8.8.8.8, 3.3.3.3", 1).await, 429);
}

#[tokio::test]
async fn many_addresses_guessing_one_account_hit_the_account_wide_limit() {
    let app = spawn_app_with(|s| s.trust_forwarded_headers = true).await;
    for i in 0..5 {
        // Four failures from each of five addresses: under the per-address limit.
        assert_eq!(
            logins_from(&app, &format!("10.0.0.{i}"), 4, false).await,
            200
        );
    }
    assert_eq!(
        failed_logins_from(&app, "10.0.1.1", 1).await,
        429,
        "20 failures on the account"
    );
    // The lock ends with the window.
    app.clock.advance(15 * 60 + 1);
    assert_eq!(failed_logins_from(&app, "10.0.1.1", 1).await, 303);
}
