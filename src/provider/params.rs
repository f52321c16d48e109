//! Form and query parameters the way OAuth wants them: repeated names are an
//! error (RFC 6749 §3.1), empty values count as absent, unknown names are
//! ignored, and the body is size-capped before it is parsed.

use actix_web::http::header;
use actix_web::{web, HttpRequest};
use futures_util::StreamExt;
use std::collections::HashMap;

/// Largest form body any endpoint reads.
pub const MAX_FORM_BYTES: usize = 64 * 1024;

#[derive(Debug, Default, Clone)]
pub struct Params {
    values: HashMap<String, String>,
    repeated: Vec<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ParamsError {
    #[error("request body larger than {MAX_FORM_BYTES} bytes")]
    TooLarge,
    #[error("{0}")]
    Malformed(String),
}

impl Params {
    pub fn parse(input: &[u8]) -> Result<Self, ParamsError> {
        if std::str::from_utf8(input).is_err() {
            return Err(ParamsError::Malformed(
                "parameters are not valid UTF-8".into(),
            ));
        }
        let mut p = Params::default();
        for (k, v) in form_urlencoded::parse(input) {
            // No stored value holds one, and PostgreSQL refuses text with one
            // (the statement fails: a 503 instead of an answer about the value).
            if k.contains('\0') || v.contains('\0') {
                return Err(ParamsError::Malformed(format!(
                    "parameter '{}' contains a NUL character",
                    k.replace('\0', "\\0")
                )));
            }
            if v.is_empty() {
                continue;
            }
            if p.values.insert(k.to_string(), v.into_owned()).is_some()
                && !p.repeated.contains(&k.to_string())
            {
                p.repeated.push(k.into_owned());
            }
        }
        Ok(p)
    }

    /// The value of `name`, or `None` if absent or empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    pub fn is_repeated(&self, name: &str) -> bool {
        self.repeated.iter().any(|r| r == name)
    }

    /// Every name and value (the last value of a repeated name), for the
    /// flow inspector, which redacts them.
    pub fn pairs(&self) -> Vec<(String, String)> {
        self.values
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// The first parameter that appears more than once, if any.
    pub fn first_repeated(&self) -> Option<&str> {
        self.repeated.first().map(String::as_str)
    }
}

/// Reads an `application/x-www-form-urlencoded` body of at most
/// `MAX_FORM_BYTES`. `Ok(None)` means the content type is something else.
pub async fn read_form(
    req: &HttpRequest,
    mut payload: web::Payload,
) -> Result<Option<Params>, ParamsError> {
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| {
            m.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_FORM_BYTES) {
        return Err(ParamsError::TooLarge);
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| ParamsError::Malformed(format!("could not read the body: {e}")))?;
        if body.len() + chunk.len() > MAX_FORM_BYTES {
            return Err(ParamsError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    if !is_form {
        return Ok(None);
    }
    Params::parse(&body).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_is_absent_and_repeats_are_noticed() {
        let p = Params::parse(b"a=1&b=&c=x&c=y&d=a%2Bb+c").unwrap();
        assert_eq!(p.get("a"), Some("1"));
        assert_eq!(p.get("b"), None);
        assert!(p.is_repeated("c"));
        assert_eq!(p.first_repeated(), Some("c"));
        assert_eq!(p.get("d"), Some("a+b c"));
    }

    #[test]
    fn a_nul_character_is_malformed() {
        assert_eq!(
            Params::parse(b"a=1&redirect_uri=https%3A%2F%2Fx%00y").unwrap_err(),
            ParamsError::Malformed("parameter 'redirect_uri' contains a NUL character".into())
        );
        assert!(Params::parse(b"a%00b=1").is_err());
    }

    #[test]
    fn invalid_utf8_is_malformed() {
        assert!(Params::parse(&[0x61, 0x3d, 0xff]).is_err());
    }
}
