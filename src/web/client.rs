//! Who a request comes from.
//!
//! With `trust_forwarded_headers` the client is the last hop the operator's
//! proxy or tunnel wrote: the last `X-Forwarded-For` entry, or the `for=` of
//! the last `Forwarded` element (RFC 7239). Earlier entries are whatever the
//! client chose to send. A chain that cannot be read, or the two headers
//! naming different last hops, is refused (`forwarded_chain`, checked for
//! every request by `web::access::gate`), never taken as the proxy's own
//! loopback address.

use actix_web::HttpRequest;
use std::net::IpAddr;

/// What the forwarding headers say about the client, when trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forwarded {
    /// No forwarding header: the TCP peer is the client.
    Absent,
    /// The last hop's address; `None` for RFC 7239's `unknown` or an
    /// obfuscated identifier (`_hidden`): a hop, but no address.
    Hop(Option<IpAddr>),
}

/// Why a forwarding chain was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadChain {
    #[error("the {0} header cannot be read")]
    Unreadable(&'static str),
    #[error("Forwarded and X-Forwarded-For name different clients")]
    Conflicting,
}

/// The last hop of the forwarding headers (read whether trusted or not).
pub fn forwarded_chain(req: &HttpRequest) -> Result<Forwarded, BadChain> {
    let xff = last_entry(req, "x-forwarded-for", ',')
        .map(|last| match last {
            Some(v) => parse_node(&v).ok_or(BadChain::Unreadable("X-Forwarded-For")),
            None => Err(BadChain::Unreadable("X-Forwarded-For")),
        })
        .transpose()?;
    let fwd = match joined(req, "forwarded") {
        None => None,
        Some(text) => Some(last_forwarded_for(&text).ok_or(BadChain::Unreadable("Forwarded"))?),
    };
    match (xff, fwd) {
        (None, None) => Ok(Forwarded::Absent),
        (Some(a), None) | (None, Some(a)) => Ok(Forwarded::Hop(a)),
        (Some(a), Some(b)) if a == b => Ok(Forwarded::Hop(a)),
        _ => Err(BadChain::Conflicting),
    }
}

/// The address a request comes from: the TCP peer, or, when the operator
/// trusts their proxy, the last hop it wrote (see the module doc). A chain
/// that cannot be read never reaches a handler (the gate answers 400); here
/// it counts as an unknown address, never as the peer.
pub fn client_ip(req: &HttpRequest, trust_forwarded_headers: bool) -> Option<IpAddr> {
    if trust_forwarded_headers {
        match forwarded_chain(req) {
            Ok(Forwarded::Absent) => {}
            Ok(Forwarded::Hop(ip)) => return ip,
            Err(_) => return None,
        }
    }
    req.peer_addr().map(|a| a.ip())
}

/// Every line of a header joined with commas (`None` when absent).
fn joined(req: &HttpRequest, name: &str) -> Option<String> {
    let values: Vec<&[u8]> = req.headers().get_all(name).map(|v| v.as_bytes()).collect();
    if values.is_empty() {
        return None;
    }
    Some(
        values
            .iter()
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .collect::<Vec<_>>()
            .join(","),
    )
}

/// `Some(last non-empty entry)` when the header is present (`Some(None)` if
/// it has no entry at all).
fn last_entry(req: &HttpRequest, name: &str, sep: char) -> Option<Option<String>> {
    let text = joined(req, name)?;
    Some(
        text.split(sep)
            .map(str::trim)
            .rfind(|v| !v.is_empty())
            .map(str::to_owned),
    )
}

/// `1.2.3.4`, `1.2.3.4:5678`, `[::1]:5678`, `[::1]` or `::1` as an address.
fn parse_node(s: &str) -> Option<Option<IpAddr>> {
    let s = s.trim();
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(Some(ip));
    }
    if let Ok(a) = s.parse::<std::net::SocketAddr>() {
        return Some(Some(a.ip()));
    }
    if let Some(inner) = s.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        return inner
            .parse::<std::net::Ipv6Addr>()
            .ok()
            .map(|ip| Some(ip.into()));
    }
    None
}

/// The `for=` of the last element of a `Forwarded` value (RFC 7239 §4):
/// `Some(Some(ip))`, `Some(None)` for `unknown` or an obfuscated node,
/// `None` when the element cannot be read or has no `for`.
fn last_forwarded_for(text: &str) -> Option<Option<IpAddr>> {
    let elements = split_outside_quotes(text, ',');
    let last = elements.iter().rev().find(|e| !e.trim().is_empty())?;
    let mut found = None;
    for pair in split_outside_quotes(last, ';') {
        let pair = pair.trim();
        if pair.is_empty() {
            continue;
        }
        let (name, value) = pair.split_once('=')?;
        let name = name.trim();
        if name.is_empty() || !name.bytes().all(is_tchar) {
            return None;
        }
        let value = value.trim();
        let value = match value.strip_prefix('"') {
            Some(rest) => rest
                .strip_suffix('"')?
                .replace("\\\"", "\"")
                .replace("\\\\", "\\"),
            None if !value.is_empty() && value.bytes().all(is_tchar) => value.to_owned(),
            None => return None,
        };
        if name.eq_ignore_ascii_case("for") {
            if found.is_some() {
                return None; // one `for` per element
            }
            found = Some(node(&value)?);
        }
    }
    found
}

/// A `node` of RFC 7239 §6: an address with an optional port, `unknown`, or
/// an obfuscated identifier (`_` and letters, digits, `.`, `_`, `-`).
fn node(value: &str) -> Option<Option<IpAddr>> {
    if value.eq_ignore_ascii_case("unknown") {
        return Some(None);
    }
    if let Some(rest) = value.strip_prefix('_') {
        let plain = |b: u8| b.is_ascii_alphanumeric() || b"._-".contains(&b);
        return rest.bytes().all(plain).then_some(None);
    }
    if value.contains(':') && !value.starts_with('[') {
        // An IPv6 address must be bracketed; an IPv4 one may carry a port.
        let (host, port) = value.rsplit_once(':')?;
        host.parse::<std::net::Ipv4Addr>().ok()?;
        port_ok(port)?;
        return Some(Some(host.parse::<IpAddr>().ok()?));
    }
    if let Some(rest) = value.strip_prefix('[') {
        let (inner, after) = rest.split_once(']')?;
        let ip: std::net::Ipv6Addr = inner.parse().ok()?;
        if let Some(port) = after.strip_prefix(':') {
            port_ok(port)?;
        } else if !after.is_empty() {
            return None;
        }
        return Some(Some(ip.into()));
    }
    value
        .parse::<std::net::Ipv4Addr>()
        .ok()
        .map(|ip| Some(ip.into()))
}

fn port_ok(port: &str) -> Option<()> {
    let plain = |b: u8| b.is_ascii_alphanumeric() || b"._-".contains(&b);
    (port.starts_with('_') && port.bytes().all(plain) || port.parse::<u16>().is_ok()).then_some(())
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Splits on `sep` where it is not inside a quoted string.
fn split_outside_quotes(text: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            c if c == sep && !quoted => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<Option<IpAddr>> {
        Some(Some(s.parse().unwrap()))
    }

    #[test]
    fn the_last_forwarded_element_names_the_client() {
        assert_eq!(
            last_forwarded_for("for=192.0.2.60;proto=http;by=203.0.113.43"),
            ip("192.0.2.60")
        );
        assert_eq!(
            last_forwarded_for("for=1.1.1.1, for=\"[2001:db8:cafe::17]:4711\""),
            ip("2001:db8:cafe::17")
        );
        assert_eq!(
            last_forwarded_for("For=\"198.51.100.7:80\""),
            ip("198.51.100.7")
        );
        assert_eq!(last_forwarded_for("for=1.1.1.1,for=unknown"), Some(None));
        assert_eq!(last_forwarded_for("for=_hidden"), Some(None));
    }

    #[test]
    fn an_unreadable_last_element_is_no_address() {
        for bad in [
            "for=1.1.1.1, garbage",
            "for=2001:db8::1",
            "for=\"[2001:db8::1\"",
            "proto=https",
            "for=1.1.1.1;for=2.2.2.2",
            "for=not-an-ip",
            "for=\"1.2.3.4",
            "",
        ] {
            assert_eq!(last_forwarded_for(bad), None, "{bad}");
        }
    }
}
