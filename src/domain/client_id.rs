use super::ParseError;
use std::fmt;

/// A client identifier: 1–128 visible ASCII characters, no spaces or colons
/// (a colon would make HTTP Basic credentials ambiguous).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientId(String);

impl ClientId {
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        if s.is_empty() || s.len() > 128 {
            return Err(ParseError::new("client_id must be 1 to 128 characters"));
        }
        if !s.bytes().all(|b| b.is_ascii_graphic() && b != b':') {
            return Err(ParseError::new(
                "client_id may only contain visible ASCII characters other than ':'",
            ));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_typical_ids_and_rejects_ambiguous_ones() {
        assert!(ClientId::parse("alexa-skill").is_ok());
        assert!(ClientId::parse("0123456789abcdef0123456789abcdef").is_ok());
        assert!(ClientId::parse("").is_err());
        assert!(ClientId::parse("a b").is_err());
        assert!(ClientId::parse("a:b").is_err());
        assert!(ClientId::parse(&"x".repeat(129)).is_err());
    }
}
