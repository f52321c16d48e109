//! A token request as it arrives: form body and Authorization header.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mocklink::provider::{client_auth, params::Params};

fuzz_target!(|data: &[u8]| {
    let (header, body) = data.split_at(data.len() / 3);
    if let Ok(params) = Params::parse(body) {
        let _ = params.get("grant_type");
        let _ = params.first_repeated();
        let mut headers = actix_web::http::header::HeaderMap::new();
        if let Ok(value) = actix_web::http::header::HeaderValue::from_bytes(header) {
            headers.insert(actix_web::http::header::AUTHORIZATION, value);
        }
        let _ = client_auth::presented(&headers, &params);
    }
    if let Ok(h) = std::str::from_utf8(header) {
        let _ = client_auth::decode_basic(h);
    }
});
