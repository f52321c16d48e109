use std::fmt;

/// A secret value (password, client secret, code, token). `Debug` and `Display`
/// redact it so it cannot reach a log line by accident; `expose` is explicit.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The first four characters, which is all the inspector and logs may show.
    pub fn hint(&self) -> String {
        let prefix: String = self.0.chars().take(4).collect();
        format!("{prefix}…")
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Secret)
    }
}

impl serde::Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl Secret {
    /// A fresh random secret of `bytes` bytes from the OS CSPRNG, base64url
    /// without padding (32 bytes → 43 characters, 256 bits).
    pub fn generate(bytes: usize) -> Self {
        use base64::Engine;
        let mut buf = vec![0u8; bytes];
        aws_lc_rs::rand::fill(&mut buf).expect("the OS random source is available");
        Self(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_value() {
        let s = Secret::new("Canary-9f3e");
        assert!(!format!("{s:?}{s}").contains("Canary"));
        assert_eq!(s.hint(), "Cana…");
    }
}
