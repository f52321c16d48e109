//! Redirect URIs, scopes and client ids from the query string.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mocklink::domain::{ClientId, RedirectUri, Scopes};

fuzz_target!(|data: &str| {
    if let Ok(uri) = RedirectUri::parse(data) {
        // A URI we accept must round-trip and take parameters without panicking.
        assert_eq!(uri.as_str(), data);
        let _ = uri.with_params(&[("code", data), ("state", data)]);
    }
    let _ = Scopes::parse(data);
    let _ = ClientId::parse(data);
});
