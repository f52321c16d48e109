//! Alexa's regions (alexa.md §1, §9): each has its own `apiEndpoint` and its
//! own account-linking redirect URL, which a provider must have registered
//! for the skill's client or that region's users cannot link.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum Region {
    /// North America (`pitangui.amazon.com`).
    Na,
    /// Europe and India (`layla.amazon.com`).
    Eu,
    /// Far East: Japan, Australia, New Zealand (`alexa.amazon.co.jp`).
    Fe,
}

impl Region {
    pub const ALL: [Region; 3] = [Region::Na, Region::Eu, Region::Fe];

    /// `NA`, `EU` or `FE`, case-insensitive.
    pub fn parse(text: &str) -> Option<Region> {
        let t = text.trim();
        Self::ALL
            .into_iter()
            .find(|r| r.code().eq_ignore_ascii_case(t))
    }

    pub fn code(self) -> &'static str {
        match self {
            Region::Na => "NA",
            Region::Eu => "EU",
            Region::Fe => "FE",
        }
    }

    /// The host Alexa's redirect URL uses in this region.
    pub fn link_host(self) -> &'static str {
        match self {
            Region::Na => "pitangui.amazon.com",
            Region::Eu => "layla.amazon.com",
            Region::Fe => "alexa.amazon.co.jp",
        }
    }

    /// The `redirect_uri` Alexa sends to the authorization and token URIs
    /// for a user of this region: `https://{host}/api/skill/link/{vendorId}`.
    pub fn redirect_uri(self, vendor_id: &str) -> String {
        format!("https://{}/api/skill/link/{vendor_id}", self.link_host())
    }

    /// `context.System.apiEndpoint` for this region.
    pub fn api_endpoint(self) -> &'static str {
        match self {
            Region::Na => "https://api.amazonalexa.com",
            Region::Eu => "https://api.eu.amazonalexa.com",
            Region::Fe => "https://api.fe.amazonalexa.com",
        }
    }
}

impl std::fmt::Display for Region {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_region_has_amazons_redirect_url_and_api_endpoint() {
        assert_eq!(
            Region::Na.redirect_uri("M2AB3CD4EF5GHI"),
            "https://pitangui.amazon.com/api/skill/link/M2AB3CD4EF5GHI"
        );
        assert_eq!(
            Region::Eu.redirect_uri("X"),
            "https://layla.amazon.com/api/skill/link/X"
        );
        assert_eq!(
            Region::Fe.redirect_uri("X"),
            "https://alexa.amazon.co.jp/api/skill/link/X"
        );
        assert_eq!(Region::parse(" eu "), Some(Region::Eu));
        assert_eq!(Region::parse("US"), None);
        assert_eq!(Region::Fe.api_endpoint(), "https://api.fe.amazonalexa.com");
    }
}
