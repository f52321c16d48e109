use super::ParseError;
use std::fmt;

/// A user name, which is also the user's Spotify-style id (`spotify:user:<id>`):
/// 1–64 characters of `[a-z0-9._-]`, starting with a letter or digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Username(String);

impl Username {
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let ok_len = (1..=64).contains(&s.len());
        let ok_chars = s
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
        let ok_start = s
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        if ok_len && ok_chars && ok_start {
            Ok(Self(s.to_owned()))
        } else {
            Err(ParseError::new(
                "user names are 1 to 64 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_uppercase_spaces_and_sql() {
        assert!(Username::parse("demo").is_ok());
        assert!(Username::parse("jm.wizzler_2").is_ok());
        assert!(Username::parse("Demo").is_err());
        assert!(Username::parse("admin'--").is_err());
        assert!(Username::parse("").is_err());
        assert!(Username::parse("-x").is_err());
    }
}
