//! Which IP a request came from. Forwarding headers are believed only from
//! configured proxies, or any client could claim any address.
//!
//! A trusted proxy may say it does not know, or will not tell, who its client
//! is: `X-Forwarded-For: unknown`, or an RFC 7239 obfuscated identifier such
//! as `_hidden` or `_SEVKISEK`. Such a request's client is
//! [`ClientAddr::Unknown`] — never the proxy's own address, which would make
//! everyone behind it one visitor in the proxy's country, and never an entry
//! further left in the header, which the client itself may have written.
//!
//! An unknown client is still counted, but nothing links it to anyone: the
//! visitor hash is taken over a fresh random address
//! ([`ClientAddr::or_unlinkable`]), so each such request is its own visitor
//! and visit, and it has no location. Hashing the proxy's token with the user
//! agent instead was rejected: `unknown` (and most obfuscated tokens) is the
//! same for everyone, so all people with the same browser build would become
//! one visitor. The price of the choice is that an unknown client's pageviews
//! are not joined into one visit (each is a bounce, and its engagement pings
//! find no pageview to credit) — an overcount of visits for those requests
//! rather than an undercount of people.

use std::net::{IpAddr, Ipv6Addr};

use ipnet::IpNet;

/// Who sent a request, as far as can be known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAddr {
    /// The client's IP address.
    Known(IpAddr),
    /// A trusted proxy forwarded the request but named no address for its
    /// client (`unknown`, an obfuscated identifier, or garbage).
    Unknown,
}

impl ClientAddr {
    /// The IP, when known.
    #[must_use]
    pub fn ip(self) -> Option<IpAddr> {
        match self {
            Self::Known(ip) => Some(ip),
            Self::Unknown => None,
        }
    }

    /// The address to derive visitor data from: the known IP, or for an
    /// unknown client a fresh random address in `100::/64` (RFC 6666, the
    /// IPv6 discard-only prefix: never routed, so in no geolocation database).
    /// Its visitor hash then links to no other request, and it has no
    /// location. Like any IP here it is used in memory only, never stored.
    #[must_use]
    pub fn or_unlinkable(self) -> IpAddr {
        match self {
            Self::Known(ip) => ip,
            Self::Unknown => {
                let interface = u64::from_be_bytes(crate::privacy::random_bytes::<8>());
                let [a, b, c, d] = [48, 32, 16, 0].map(|s| ((interface >> s) & 0xffff) as u16);
                IpAddr::V6(Ipv6Addr::new(0x100, 0, 0, 0, a, b, c, d))
            }
        }
    }
}

/// One `X-Forwarded-For` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hop {
    Ip(IpAddr),
    /// Not an address: `unknown`, `_hidden`, garbage.
    Opaque,
}

/// The client's address: the socket peer, unless the peer is a trusted proxy,
/// in which case the right-most untrusted hop of `X-Forwarded-For` (or
/// `X-Real-IP`) — the left-most entries are whatever the client wrote. A hop
/// that is not an IP there makes the client [`ClientAddr::Unknown`]; when
/// every hop is a trusted address the left-most is the client; with neither
/// header the proxy itself is. IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`,
/// as a dual-stack listener sees IPv4 peers) count as the IPv4 address.
#[must_use]
pub fn client_ip(
    peer: IpAddr,
    forwarded_for: Option<&str>,
    real_ip: Option<&str>,
    trusted: &[IpNet],
) -> ClientAddr {
    let peer = peer.to_canonical();
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(&peer) {
        return ClientAddr::Known(peer);
    }
    let hops: Vec<Hop> = forwarded_for
        .into_iter()
        .flat_map(|h| h.split(','))
        .filter(|h| !h.trim().is_empty())
        .map(parse_hop)
        .collect();
    for hop in hops.iter().rev() {
        match hop {
            Hop::Ip(ip) if is_trusted(ip) => {}
            Hop::Ip(ip) => return ClientAddr::Known(*ip),
            Hop::Opaque => return ClientAddr::Unknown,
        }
    }
    if let Some(Hop::Ip(first)) = hops.first() {
        return ClientAddr::Known(*first);
    }
    match real_ip.filter(|r| !r.trim().is_empty()).map(parse_hop) {
        Some(Hop::Ip(ip)) => ClientAddr::Known(ip),
        Some(Hop::Opaque) => ClientAddr::Unknown,
        None => ClientAddr::Known(peer),
    }
}

/// Parses one hop, tolerating ports, brackets and quotes (`[::1]:443`,
/// `1.2.3.4:80`, `"[2001:db8::1]"`).
fn parse_hop(s: &str) -> Hop {
    let s = s.trim().trim_matches('"');
    let ip = s.parse::<IpAddr>().ok().or_else(|| {
        if let Some(rest) = s.strip_prefix('[') {
            let (ip, port) = rest.split_once(']')?;
            (port.is_empty() || is_port(port.strip_prefix(':')?))
                .then(|| ip.parse().ok())
                .flatten()
        } else {
            let (ip, port) = s.rsplit_once(':')?;
            is_port(port)
                .then(|| ip.parse::<std::net::Ipv4Addr>().ok())?
                .map(IpAddr::V4)
        }
    });
    ip.map_or(Hop::Opaque, |ip| Hop::Ip(ip.to_canonical()))
}

fn is_port(s: &str) -> bool {
    !s.is_empty() && s.len() <= 5 && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarding_headers_count_only_from_trusted_peers() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap(), "::1/128".parse().unwrap()];
        let ip = |s: &str| ClientAddr::Known(s.parse::<IpAddr>().unwrap());
        let unknown = || ClientAddr::Unknown;
        let cases = [
            (
                "untrusted peer ignores XFF",
                "203.0.113.9",
                Some("1.1.1.1"),
                None,
                ip("203.0.113.9"),
            ),
            (
                "untrusted peer ignores an unknown XFF",
                "203.0.113.9",
                Some("unknown"),
                None,
                ip("203.0.113.9"),
            ),
            (
                "trusted peer uses XFF",
                "10.0.0.2",
                Some("198.51.100.7"),
                None,
                ip("198.51.100.7"),
            ),
            (
                "spoofed left entries are skipped",
                "10.0.0.2",
                Some("6.6.6.6, 198.51.100.7, 10.0.0.5"),
                None,
                ip("198.51.100.7"),
            ),
            (
                "X-Real-IP as fallback",
                "10.0.0.2",
                None,
                Some("198.51.100.8"),
                ip("198.51.100.8"),
            ),
            (
                "ports and brackets",
                "::1",
                Some("[2001:db8::1]:443"),
                None,
                ip("2001:db8::1"),
            ),
            (
                "brackets without a port",
                "::1",
                Some("[2001:db8::1]"),
                None,
                ip("2001:db8::1"),
            ),
            (
                "quoted, as in RFC 7239",
                "::1",
                Some("\"[2001:db8::1]:443\""),
                None,
                ip("2001:db8::1"),
            ),
            (
                "ipv4 with port",
                "::1",
                Some("198.51.100.9:5000"),
                None,
                ip("198.51.100.9"),
            ),
            (
                "all hops trusted gives the first",
                "10.0.0.2",
                Some("10.1.1.1, 10.2.2.2"),
                None,
                ip("10.1.1.1"),
            ),
            (
                "no forwarding header: the proxy itself",
                "10.0.0.2",
                None,
                None,
                ip("10.0.0.2"),
            ),
            (
                "empty forwarding headers: the proxy itself",
                "10.0.0.2",
                Some(" , "),
                Some(""),
                ip("10.0.0.2"),
            ),
            (
                "an IPv4-mapped peer is its IPv4 address",
                "::ffff:10.0.0.2",
                Some("198.51.100.7"),
                None,
                ip("198.51.100.7"),
            ),
            (
                "an IPv4-mapped hop is its IPv4 address",
                "10.0.0.2",
                Some("::ffff:198.51.100.7"),
                None,
                ip("198.51.100.7"),
            ),
            (
                "a mapped trusted hop is skipped",
                "10.0.0.2",
                Some("198.51.100.7, ::ffff:10.0.0.9"),
                None,
                ip("198.51.100.7"),
            ),
            // The proxy names no address: unknown, not the proxy.
            ("unknown", "10.0.0.2", Some("unknown"), None, unknown()),
            ("UNKNOWN", "10.0.0.2", Some("UNKNOWN"), None, unknown()),
            (
                "RFC 7239 obfuscated identifier",
                "10.0.0.2",
                Some("_hidden"),
                None,
                unknown(),
            ),
            (
                "RFC 7239 obfuscated identifier with port",
                "10.0.0.2",
                Some("_SEVKISEK:_4711"),
                None,
                unknown(),
            ),
            (
                "garbage header",
                "10.0.0.2",
                Some("nonsense"),
                None,
                unknown(),
            ),
            (
                "a host name",
                "10.0.0.2",
                Some("example.com"),
                None,
                unknown(),
            ),
            (
                "an address with a bad port",
                "10.0.0.2",
                Some("198.51.100.7:http"),
                None,
                unknown(),
            ),
            (
                "unknown right of a client-written address",
                "10.0.0.2",
                Some("6.6.6.6, unknown"),
                None,
                unknown(),
            ),
            (
                "unknown right of a trusted hop",
                "10.0.0.2",
                Some("6.6.6.6, unknown, 10.0.0.5"),
                None,
                unknown(),
            ),
            (
                "unknown left of the real client is the client's own",
                "10.0.0.2",
                Some("unknown, 198.51.100.7"),
                None,
                ip("198.51.100.7"),
            ),
            (
                "an unknown XFF is not rescued by X-Real-IP",
                "10.0.0.2",
                Some("unknown"),
                Some("198.51.100.8"),
                unknown(),
            ),
            (
                "X-Real-IP unknown",
                "10.0.0.2",
                None,
                Some("unknown"),
                unknown(),
            ),
        ];
        for (why, peer, xff, real, want) in cases {
            let got = client_ip(peer.parse().unwrap(), xff, real, &trusted);
            assert_eq!(got, want, "{why}");
        }
    }

    #[test]
    fn an_unknown_client_gets_a_fresh_unroutable_address_each_time() {
        let known: IpAddr = "198.51.100.7".parse().unwrap();
        assert_eq!(ClientAddr::Known(known).or_unlinkable(), known);
        assert_eq!(ClientAddr::Known(known).ip(), Some(known));
        assert_eq!(ClientAddr::Unknown.ip(), None);
        let discard: IpNet = "100::/64".parse().unwrap();
        let addrs: std::collections::HashSet<IpAddr> = (0..100)
            .map(|_| ClientAddr::Unknown.or_unlinkable())
            .collect();
        assert_eq!(addrs.len(), 100, "never the same address twice");
        assert!(addrs.iter().all(|a| discard.contains(a)));
        // No location in the embedded database nor in MaxMind's test databases.
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/geo");
        let dbs = [
            crate::geo::GeoLookup::embedded(),
            crate::geo::GeoLookup::from_config(
                root.join("GeoIP2-City-Test.mmdb").to_str().unwrap(),
            )
            .unwrap(),
            crate::geo::GeoLookup::from_config(
                root.join("GeoLite2-Country-Test.mmdb").to_str().unwrap(),
            )
            .unwrap(),
        ];
        for db in &dbs {
            for a in &addrs {
                assert_eq!(db.lookup(*a), crate::geo::GeoInfo::default(), "{a}");
            }
        }
    }
}
