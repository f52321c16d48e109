//! HTTP Basic client authentication as RFC 6749 §2.3.1 defines it: the id and
//! secret are form-urlencoded before they are joined and base64-encoded.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

/// Decodes `Basic base64(urlencode(id):urlencode(secret))`.
pub fn decode_basic(header: &str) -> Option<(String, String)> {
    let (scheme, rest) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(rest.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let unescape = |s: &str| {
        form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
    };
    Some((unescape(id)?, unescape(secret)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_parts_are_url_decoded() {
        let h = format!("Basic {}", STANDARD.encode("my%20client:s%3Acret"));
        assert_eq!(
            decode_basic(&h),
            Some(("my client".into(), "s:cret".into()))
        );
        let h = format!(
            "basic {}",
            STANDARD.encode("alexa-skill:alexa-skill-secret")
        );
        assert_eq!(
            decode_basic(&h),
            Some(("alexa-skill".into(), "alexa-skill-secret".into()))
        );
        assert_eq!(decode_basic("Bearer abc"), None);
        assert_eq!(decode_basic("Basic !!!"), None);
        assert_eq!(
            decode_basic(&format!("Basic {}", STANDARD.encode("nocolon"))),
            None
        );
    }
}
