//! Who a request comes from.

use actix_web::HttpRequest;
use std::net::IpAddr;

/// The address a request comes from: the TCP peer, or, when the operator
/// trusts their proxy, the LAST `X-Forwarded-For` entry — the one that proxy
/// appended. Earlier entries are whatever the client chose to send.
pub fn client_ip(req: &HttpRequest, trust_forwarded_headers: bool) -> Option<IpAddr> {
    if trust_forwarded_headers {
        let last = req
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .last();
        if let Some(ip) = last.and_then(parse_host) {
            return Some(ip);
        }
    }
    req.peer_addr().map(|a| a.ip())
}

/// `1.2.3.4`, `1.2.3.4:5678`, `[::1]:5678` or `::1` as an address.
fn parse_host(s: &str) -> Option<IpAddr> {
    s.parse::<IpAddr>()
        .ok()
        .or_else(|| s.parse::<std::net::SocketAddr>().ok().map(|a| a.ip()))
}
