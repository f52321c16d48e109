use super::ParseError;
use std::fmt;
use std::net::IpAddr;

/// A redirect URI as registered for a client. Absolute, no fragment, and
/// `https` unless the host is a loopback IP literal (RFC 9700 §2.6; Spotify's
/// rule too). Matching against a request is exact string comparison, so the
/// original text is kept untouched.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RedirectUri(String);

impl RedirectUri {
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        if s.len() > 2048 {
            return Err(ParseError::new(
                "redirect_uri is longer than 2048 characters",
            ));
        }
        let url = url::Url::parse(s)
            .map_err(|e| ParseError::new(format!("redirect_uri is not an absolute URL: {e}")))?;
        if url.fragment().is_some() {
            return Err(ParseError::new("redirect_uri must not contain a fragment"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(ParseError::new(
                "redirect_uri must not contain user information",
            ));
        }
        match url.scheme() {
            "https" => {}
            "http" => {
                let loopback = match url.host() {
                    Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
                    Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
                    _ => false,
                };
                if !loopback {
                    return Err(ParseError::new(
                        "http redirect URIs are only allowed for loopback IP literals (127.0.0.1, [::1]); use https",
                    ));
                }
            }
            other => {
                return Err(ParseError::new(format!(
                    "redirect_uri scheme '{other}' is not allowed; use https"
                )))
            }
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// This URI with query parameters appended, keeping any it already has.
    pub fn with_params(&self, params: &[(&str, &str)]) -> String {
        let mut url = url::Url::parse(&self.0).expect("validated at parse");
        {
            let mut q = url.query_pairs_mut();
            for (k, v) in params {
                q.append_pair(k, v);
            }
        }
        url.to_string()
    }
}

impl fmt::Display for RedirectUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_and_loopback_http_only() {
        assert!(RedirectUri::parse("https://pitangui.amazon.com/api/skill/link/M2AB").is_ok());
        assert!(RedirectUri::parse("http://127.0.0.1:8080/cb").is_ok());
        assert!(RedirectUri::parse("http://[::1]:8080/cb").is_ok());
        assert!(RedirectUri::parse("http://localhost:8080/cb").is_err());
        assert!(RedirectUri::parse("http://example.com/cb").is_err());
        assert!(RedirectUri::parse("https://good@evil.example/cb").is_err());
        assert!(RedirectUri::parse("https://x.example/cb#frag").is_err());
        assert!(RedirectUri::parse("javascript:alert(1)").is_err());
        assert!(RedirectUri::parse("/relative").is_err());
    }

    #[test]
    fn appends_params_and_keeps_existing_query() {
        let r = RedirectUri::parse("https://x.example/cb?a=1").unwrap();
        assert_eq!(
            r.with_params(&[("code", "c"), ("state", "a+b c&d")]),
            "https://x.example/cb?a=1&code=c&state=a%2Bb+c%26d"
        );
    }
}
