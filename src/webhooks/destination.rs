//! Where webhooks may go. A destination must be `http(s)` and, unless
//! `[webhooks] allow_private_destinations` is set, resolve only to public
//! addresses: loopback, private (RFC 1918, fc00::/7), link-local (incl.
//! cloud metadata at 169.254.169.254), CGNAT, unspecified, multicast and
//! documentation ranges are refused. The check runs where the connection
//! is made (a resolver that drops such addresses), so a name that later
//! resolves elsewhere (DNS rebinding) can't slip through; redirects are
//! not followed.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ureq::unversioned::{
    resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver},
    transport::NextTimeout,
};

/// Why a destination is refused.
#[derive(Debug, thiserror::Error)]
pub enum DestinationError {
    /// Not an absolute http(s) URL with a host.
    #[error("{0:?} is not an http:// or https:// URL")]
    NotHttp(String),
    /// It names a non-public address.
    #[error(
        "{0} is a loopback, private or otherwise non-public address; set [webhooks] allow_private_destinations = true to allow it"
    )]
    Private(IpAddr),
}

/// Whether `ip` is a public unicast address.
#[must_use]
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => public_v4(v4),
            None => public_v6(v6),
        },
    }
}

fn public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0)
        || (a == 198 && (b == 18 || b == 19))
        || a >= 240)
}

fn public_v6(ip: Ipv6Addr) -> bool {
    let seg = ip.segments();
    let embedded = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    // Only global unicast (2000::/3) is public, and of it not the ranges
    // that carry an IPv4 address (judged by that address) or are reserved.
    if seg[0] & 0xe000 != 0x2000 {
        // ::a.b.c.d (IPv4-compatible, deprecated) is judged by its IPv4.
        return seg[..6] == [0; 6]
            && !ip.is_unspecified()
            && !ip.is_loopback()
            && public_v4(embedded(seg[6], seg[7]));
    }
    match seg[0] {
        // 6to4: the IPv4 is in the next two groups.
        0x2002 => public_v4(embedded(seg[1], seg[2])),
        // Documentation (2001:db8::/32), Teredo (2001::/32) and benchmarking.
        0x2001 => !matches!(seg[1], 0x0db8 | 0x0000 | 0x0002),
        _ => true,
    }
}
/// Checks a destination URL's form, and a literal address in it.
///
/// # Errors
/// [`DestinationError`].
pub fn check_url(url: &str, allow_private: bool) -> Result<url::Url, DestinationError> {
    let u = url::Url::parse(url.trim()).map_err(|_| DestinationError::NotHttp(url.into()))?;
    if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none_or(str::is_empty) {
        return Err(DestinationError::NotHttp(url.into()));
    }
    let literal = match u.host() {
        Some(url::Host::Ipv4(a)) => Some(IpAddr::V4(a)),
        Some(url::Host::Ipv6(a)) => Some(IpAddr::V6(a)),
        _ => None,
    };
    if let Some(ip) = literal
        && !allow_private
        && !is_public(ip)
    {
        return Err(DestinationError::Private(ip));
    }
    Ok(u)
}

/// The resolver webhooks connect through: it keeps only public addresses
/// (see the module doc), or every address with `allow_private`.
#[derive(Debug, Default)]
pub struct Guard {
    /// Keep non-public addresses too.
    pub allow_private: bool,
    inner: DefaultResolver,
}

impl Guard {
    /// A resolver keeping non-public addresses only with `allow_private`.
    #[must_use]
    pub fn new(allow_private: bool) -> Self {
        Self {
            allow_private,
            inner: DefaultResolver::default(),
        }
    }
}

impl Resolver for Guard {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let all = self.inner.resolve(uri, config, timeout)?;
        if self.allow_private {
            return Ok(all);
        }
        let mut out = self.empty();
        for a in all.iter().filter(|a| is_public(a.ip())) {
            out.push(*a);
        }
        match all.first() {
            Some(first) if out.is_empty() => Err(ureq::Error::Io(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                DestinationError::Private(first.ip()),
            ))),
            _ => Ok(out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_public_addresses_are_refused_unless_allowed() {
        for bad in [
            "http://127.0.0.1:9/x",
            "http://[::1]/",
            "http://10.1.2.3/",
            "http://192.168.0.10/",
            "http://169.254.169.254/latest/meta-data",
            "http://100.64.0.1/",
            "http://[fd00::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://0.0.0.0/",
            "http://[::127.0.0.1]/",
            "http://[2002:7f00:1::]/",
            "http://[2002:a00:1::]/",
            "http://[fec0::1]/",
            "http://[64:ff9b:1::a00:1]/",
            "http://[100::1]/",
            "http://[2001:db8::1]/",
        ] {
            assert!(
                matches!(check_url(bad, false), Err(DestinationError::Private(_))),
                "{bad}"
            );
            assert!(check_url(bad, true).is_ok(), "{bad}");
        }
        assert!(check_url("https://crm.example.com/hooks", false).is_ok());
        assert!(check_url("http://8.8.8.8/", false).is_ok());
        assert!(check_url("http://[2606:4700::1111]/", false).is_ok());
        assert!(check_url("http://[2002:808:808::]/", false).is_ok());
        for bad in ["ftp://example.com/", "example.com/x", "http://"] {
            assert!(
                matches!(check_url(bad, true), Err(DestinationError::NotHttp(_))),
                "{bad}"
            );
        }
    }
}
