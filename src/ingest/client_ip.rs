//! Which IP a request came from. Forwarding headers are believed only from
//! configured proxies, or any client could claim any address.

use std::net::IpAddr;

use ipnet::IpNet;

/// The client's IP: the socket peer, unless the peer is a trusted proxy, in
/// which case the right-most untrusted hop of `X-Forwarded-For` (or
/// `X-Real-IP`) — the left-most entries are whatever the client wrote.
#[must_use]
pub fn client_ip(
    peer: IpAddr,
    forwarded_for: Option<&str>,
    real_ip: Option<&str>,
    trusted: &[IpNet],
) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    if let Some(xff) = forwarded_for {
        let hops: Vec<IpAddr> = xff.split(',').filter_map(parse_hop).collect();
        if let Some(ip) = hops.iter().rev().find(|ip| !is_trusted(ip)) {
            return *ip;
        }
        if let Some(first) = hops.first() {
            return *first;
        }
    }
    real_ip.and_then(parse_hop).unwrap_or(peer)
}

/// Parses one hop, tolerating ports and brackets (`[::1]:443`, `1.2.3.4:80`).
fn parse_hop(s: &str) -> Option<IpAddr> {
    let s = s.trim();
    if let Ok(ip) = s.parse() {
        return Some(ip);
    }
    if let Some(rest) = s.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    s.rsplit_once(':').and_then(|(h, _)| h.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarding_headers_count_only_from_trusted_peers() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap(), "::1/128".parse().unwrap()];
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let cases = [
            (
                "untrusted peer ignores XFF",
                "203.0.113.9",
                Some("1.1.1.1"),
                None,
                "203.0.113.9",
            ),
            (
                "trusted peer uses XFF",
                "10.0.0.2",
                Some("198.51.100.7"),
                None,
                "198.51.100.7",
            ),
            (
                "spoofed left entries are skipped",
                "10.0.0.2",
                Some("6.6.6.6, 198.51.100.7, 10.0.0.5"),
                None,
                "198.51.100.7",
            ),
            (
                "X-Real-IP as fallback",
                "10.0.0.2",
                None,
                Some("198.51.100.8"),
                "198.51.100.8",
            ),
            (
                "ports and brackets",
                "::1",
                Some("[2001:db8::1]:443"),
                None,
                "2001:db8::1",
            ),
            (
                "ipv4 with port",
                "::1",
                Some("198.51.100.9:5000"),
                None,
                "198.51.100.9",
            ),
            (
                "garbage header keeps the peer",
                "10.0.0.2",
                Some("nonsense"),
                None,
                "10.0.0.2",
            ),
            (
                "all hops trusted gives the first",
                "10.0.0.2",
                Some("10.1.1.1, 10.2.2.2"),
                None,
                "10.1.1.1",
            ),
        ];
        for (why, peer, xff, real, want) in cases {
            assert_eq!(client_ip(ip(peer), xff, real, &trusted), ip(want), "{why}");
        }
    }
}
