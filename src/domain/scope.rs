use super::ParseError;
use std::collections::BTreeSet;
use std::fmt;

/// Spotify's current scope names, with the plain-words description the consent
/// page shows for each.
pub const SPOTIFY_SCOPES: &[(&str, &str)] = &[
    ("ugc-image-upload", "Upload images to your account"),
    (
        "user-read-playback-state",
        "See what you are playing and on which device",
    ),
    (
        "user-modify-playback-state",
        "Control playback: play, pause, skip, volume",
    ),
    (
        "user-read-currently-playing",
        "See the track you are listening to",
    ),
    (
        "app-remote-control",
        "Control the app on your other devices",
    ),
    ("streaming", "Play music in this app"),
    ("playlist-read-private", "See your private playlists"),
    (
        "playlist-read-collaborative",
        "See your collaborative playlists",
    ),
    (
        "playlist-modify-private",
        "Create and change your private playlists",
    ),
    (
        "playlist-modify-public",
        "Create and change your public playlists",
    ),
    (
        "user-follow-modify",
        "Follow and unfollow artists and users",
    ),
    ("user-follow-read", "See who you follow"),
    (
        "user-read-playback-position",
        "See your position in episodes",
    ),
    ("user-top-read", "See your top artists and tracks"),
    ("user-read-recently-played", "See what you played recently"),
    (
        "user-library-modify",
        "Save and remove tracks in your library",
    ),
    ("user-library-read", "See your saved tracks and albums"),
    ("user-read-email", "See your email address"),
    ("user-read-private", "See your country and subscription"),
    (
        "user-personalized",
        "Use your taste profile to personalise results",
    ),
];

/// One scope name known to the provider.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Scope(&'static str);

impl Scope {
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        SPOTIFY_SCOPES
            .iter()
            .find(|(name, _)| *name == s)
            .map(|(name, _)| Scope(name))
            .ok_or_else(|| ParseError::new(format!("unknown scope '{}'", truncate(s, 64))))
    }

    pub fn as_str(&self) -> &'static str {
        self.0
    }

    pub fn description(&self) -> &'static str {
        SPOTIFY_SCOPES
            .iter()
            .find(|(name, _)| *name == self.0)
            .map(|(_, d)| *d)
            .unwrap_or("")
    }
}

/// A set of scopes, serialised space-separated in sorted order.
#[derive(Debug, Clone, PartialEq, Eq, Default, Hash)]
pub struct Scopes(BTreeSet<Scope>);

impl Scopes {
    /// Parses a space-separated list (RFC 6749 §3.3). Empty means no scopes.
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        s.split([' ', '\t'])
            .filter(|p| !p.is_empty())
            .map(Scope::parse)
            .collect::<Result<BTreeSet<_>, _>>()
            .map(Scopes)
    }

    pub fn is_subset(&self, other: &Scopes) -> bool {
        self.0.is_subset(&other.0)
    }

    pub fn contains(&self, scope: &str) -> bool {
        self.0.iter().any(|s| s.0 == scope)
    }

    pub fn union(&self, other: &Scopes) -> Scopes {
        Scopes(self.0.union(&other.0).cloned().collect())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Scope> {
        self.0.iter()
    }

    pub fn all() -> Scopes {
        Scopes(SPOTIFY_SCOPES.iter().map(|(n, _)| Scope(n)).collect())
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for s in &self.0 {
            if !first {
                f.write_str(" ")?;
            }
            f.write_str(s.0)?;
            first = false;
        }
        Ok(())
    }
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_space_separated_and_normalises_order() {
        let s = Scopes::parse("user-read-private  user-read-email").unwrap();
        assert_eq!(s.to_string(), "user-read-email user-read-private");
        assert!(Scopes::parse("").unwrap().is_empty());
        assert!(Scopes::parse("user-read-private bogus").is_err());
    }

    #[test]
    fn subset_and_union() {
        let a = Scopes::parse("user-read-email").unwrap();
        let b = Scopes::parse("user-read-email user-read-private").unwrap();
        assert!(a.is_subset(&b));
        assert!(!b.is_subset(&a));
        assert_eq!(a.union(&b), b);
    }
}
