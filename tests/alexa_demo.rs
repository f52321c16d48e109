//! `mocklink demo`: the linking part of the story behaves today; the steps
//! that need the api (`GET /v1/me`) are asserted in `pending_api.rs.txt`.

#[tokio::test]
async fn the_demo_links_the_account_headless() {
    let mut out = Vec::new();
    mocklink::commands::demo::run(&mut out)
        .await
        .expect("the demo runs");
    let out = String::from_utf8(out).unwrap();
    for step in [
        "ok   request without token → LinkAccount card",
        "ok   login page shown",
        "ok   consent → redirect to /api/skill/link/{vendorId} with code and state",
        "ok   token exchange at the Access Token URI → linked",
        "ok   request with token",
        "ok   revoke the access token (POST /api/revoke)",
    ] {
        assert!(out.contains(step), "missing '{step}' in:\n{out}");
    }
    // Secrets are never printed whole.
    assert!(!out.contains(mocklink::config::DEMO_CLIENT_SECRET));
    assert!(out.contains("code=") && out.contains('…'));
}
