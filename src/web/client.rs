//! The address a request comes from, for what is counted per client (sign-in
//! throttling): the TCP peer, or, when the peer is one of the configured
//! `server.trusted_proxies`, the address the proxies recorded in
//! `X-Forwarded-For`, read from the right and skipping the trusted hops. A
//! client that is not a trusted proxy cannot choose its address by sending
//! the header.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

use crate::state::AppState;

/// The most `X-Forwarded-For` entries read: a proxy chain is a few hops.
const MAX_HOPS: usize = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

/// The client of a request from `peer` carrying `forwarded_for`.
pub fn client_of(peer: IpAddr, forwarded_for: Option<&str>, trusted: &[ipnet::IpNet]) -> IpAddr {
    let peer = peer.to_canonical();
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let Some(header) = forwarded_for else { return peer };
    let mut client = peer;
    for hop in header.rsplit(',').take(MAX_HOPS) {
        match hop_address(hop.trim()) {
            Some(ip) => {
                client = ip;
                if !is_trusted(&ip) {
                    break;
                }
            }
            // Garbage where an address should be: stop at the last good hop.
            None => break,
        }
    }
    client
}

/// The address a client is counted by: IPv4 (also written IPv4-mapped), or
/// an IPv6 /64.
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        v4 => v4,
    }
}

/// One `X-Forwarded-For` entry: an address, with or without a port
/// (`1.2.3.4:5678`, `[2001:db8::1]:443`), IPv4-mapped ones as IPv4.
fn hop_address(hop: &str) -> Option<IpAddr> {
    let ip = hop
        .parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| hop.strip_prefix('[').and_then(|h| h.split_once(']')).and_then(|(ip, _)| ip.parse().ok()))?;
    Some(ip.to_canonical())
}

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        // Served without connection info (never in `run_until_stopped`): one shared, unknown client.
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
        // Several X-Forwarded-For lines count as one list, in order.
        let joined = parts.headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect::<Vec<_>>().join(",");
        let forwarded = (!joined.is_empty()).then_some(joined.as_str());
        Ok(ClientAddr(client_of(peer, forwarded, &state.settings.server.trusted_proxies)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn only_a_trusted_proxy_speaks_for_the_client() {
        let trusted: Vec<ipnet::IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        // An untrusted peer's header is its own claim: ignored.
        assert_eq!(client_of(ip("203.0.113.9"), Some("198.51.100.1"), &trusted), ip("203.0.113.9"));
        // Through the proxy: the last address before the trusted hops.
        assert_eq!(client_of(ip("10.0.0.2"), Some("198.51.100.1"), &trusted), ip("198.51.100.1"));
        assert_eq!(client_of(ip("10.0.0.2"), Some("1.2.3.4, 198.51.100.1, 10.0.0.7"), &trusted), ip("198.51.100.1"), "a spoofed first entry is not read");
        // Nothing forwarded, or garbage: the proxy itself (or the last good hop).
        assert_eq!(client_of(ip("10.0.0.2"), None, &trusted), ip("10.0.0.2"));
        assert_eq!(client_of(ip("10.0.0.2"), Some("not-an-ip"), &trusted), ip("10.0.0.2"));
        // An IPv4 proxy seen on a dual-stack listener, and entries with ports.
        assert_eq!(client_of(ip("::ffff:10.0.0.2"), Some("198.51.100.1:5678"), &trusted), ip("198.51.100.1"));
        assert_eq!(client_of(ip("10.0.0.2"), Some("[2001:db8::1]:443"), &trusted), ip("2001:db8::1"));
        // No proxies configured: the header never counts.
        assert_eq!(client_of(ip("10.0.0.2"), Some("198.51.100.1"), &[]), ip("10.0.0.2"));
    }
}
