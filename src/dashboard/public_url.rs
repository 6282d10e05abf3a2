//! This server's address as people reach it: for links handed to someone
//! else (an invitation, the tracking snippet), for the session cookie's
//! `Secure` flag, for the CSRF check's expected `Origin` and as the passkeys'
//! relying party. Links and passkeys use `server.public_url` when
//! configured, else the request's own scheme and `Host`. Behind a reverse proxy the browser's address is in
//! `X-Forwarded-Proto` / `X-Forwarded-Host`; like `X-Forwarded-For` (see
//! `ingest::client_ip`) they are believed only from `server.trusted_proxies`,
//! or any client could make the server hand out links to a host of its
//! choosing, pass the CSRF check with a forged origin, or have cookies marked
//! `Secure` on plain HTTP. The RFC 7239 `Forwarded` header is not read.

use actix_web::{HttpRequest, http::header};

use crate::config::ServerSettings;

/// The scheme and `host[:port]` the browser used for a request, as far as
/// the socket and trusted proxies tell; `server.public_url` plays no part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestOrigin {
    /// `http` or `https`.
    pub scheme: String,
    /// `host[:port]`, checked by [`is_host`].
    pub host: String,
}

impl RequestOrigin {
    /// Reads `req`, believing forwarding headers only from a trusted proxy.
    #[must_use]
    pub fn of(req: &HttpRequest, server: &ServerSettings) -> Self {
        let from_proxy = req.peer_addr().is_some_and(|peer| {
            let ip = peer.ip().to_canonical();
            server.trusted_proxies.iter().any(|n| n.contains(&ip))
        });
        let forwarded = |name: &str| {
            from_proxy
                .then(|| req.headers().get(name)?.to_str().ok())
                .flatten()
                // Several proxies may have added theirs: the nearest is last.
                .and_then(|v| v.rsplit(',').next())
                .map(str::trim)
                .filter(|v| !v.is_empty())
        };
        let scheme = match forwarded("x-forwarded-proto").map(str::to_ascii_lowercase) {
            Some(p) if p == "https" || p == "http" => p,
            _ if req.app_config().secure() => "https".to_owned(),
            _ => "http".to_owned(),
        };
        let host = forwarded("x-forwarded-host")
            .filter(|h| is_host(h))
            .or_else(|| {
                req.headers()
                    .get(header::HOST)
                    .and_then(|h| h.to_str().ok())
                    .filter(|h| is_host(h))
            })
            .unwrap_or_else(|| req.app_config().host())
            .to_owned();
        Self { scheme, host }
    }

    /// Whether the browser is on HTTPS (cookies are then marked `Secure`).
    #[must_use]
    pub fn is_https(&self) -> bool {
        self.scheme == "https"
    }
}

/// Whether the browser reached this server over HTTPS, by the socket or a
/// trusted proxy's `X-Forwarded-Proto`: whether cookies get `Secure`.
#[must_use]
pub fn is_https(req: &HttpRequest, server: &ServerSettings) -> bool {
    RequestOrigin::of(req, server).is_https()
}

/// The hosts an `Origin` header may name on a form post: the request's own
/// (see [`RequestOrigin`]) and `server.public_url`'s, when configured.
#[must_use]
pub fn expected_hosts(req: &HttpRequest, server: &ServerSettings) -> Vec<String> {
    let mut hosts = vec![RequestOrigin::of(req, server).host];
    if let Some(host) = server
        .public_origin()
        .and_then(|o| o.split("://").nth(1))
        .filter(|h| !hosts.iter().any(|k| k == h))
    {
        hosts.push(host.to_owned());
    }
    hosts
}

/// The origin links should start with, without a trailing slash
/// (`https://analytics.example.com`, `http://127.0.0.1:8080`).
#[must_use]
pub fn public_origin(req: &HttpRequest, server: &ServerSettings) -> String {
    if let Some(configured) = server.public_origin() {
        return configured.to_owned();
    }
    let RequestOrigin { scheme, host } = RequestOrigin::of(req, server);
    format!("{scheme}://{host}")
}

/// Whether `s` is a plausible `host[:port]` (names, IPv4, bracketed IPv6):
/// nothing that would change the meaning of the URL around it.
fn is_host(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 255
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':' | '[' | ']'))
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    fn server(public_url: &str, trusted: &[&str]) -> ServerSettings {
        ServerSettings {
            listen: "127.0.0.1:0".parse().unwrap(),
            trusted_proxies: trusted.iter().map(|t| t.parse().unwrap()).collect(),
            public_url: public_url.to_owned(),
            metrics_token: String::new(),
            body_timeout_seconds: 10,
            max_connections: 10_000,
        }
    }

    fn request(peer: &str, headers: &[(&str, &str)]) -> HttpRequest {
        let mut r = TestRequest::default()
            .peer_addr(peer.parse().unwrap())
            .insert_header(("host", "10.0.0.5:8080"));
        for h in headers {
            r = r.insert_header(*h);
        }
        r.to_http_request()
    }

    const PROXIED: &[(&str, &str)] = &[
        ("x-forwarded-proto", "https"),
        ("x-forwarded-host", "analytics.example.com"),
    ];

    #[test]
    fn a_configured_public_url_wins() {
        let s = server("https://stats.example.org/", &["127.0.0.1/32"]);
        let r = request("127.0.0.1:5000", PROXIED);
        assert_eq!(public_origin(&r, &s), "https://stats.example.org");
    }

    #[test]
    fn forwarded_scheme_and_host_count_only_from_a_trusted_proxy() {
        let s = server("", &["127.0.0.1/32"]);
        assert_eq!(
            public_origin(&request("127.0.0.1:5000", PROXIED), &s),
            "https://analytics.example.com"
        );
        assert_eq!(
            public_origin(&request("203.0.113.9:5000", PROXIED), &s),
            "http://10.0.0.5:8080",
            "a client's own forwarding headers are ignored"
        );
        assert_eq!(
            public_origin(&request("127.0.0.1:5000", &[]), &s),
            "http://10.0.0.5:8080"
        );
    }

    #[test]
    fn a_host_that_would_change_the_url_is_not_used() {
        let s = server("", &["127.0.0.1/32"]);
        let r = request(
            "127.0.0.1:5000",
            &[("x-forwarded-host", "evil.example/path?x")],
        );
        assert_eq!(public_origin(&r, &s), "http://10.0.0.5:8080");
        let r = request(
            "127.0.0.1:5000",
            &[("x-forwarded-host", "a.example, proxy.internal:81")],
        );
        assert_eq!(public_origin(&r, &s), "http://proxy.internal:81");
    }

    #[test]
    fn cookies_are_secure_only_on_https_as_the_socket_or_a_trusted_proxy_says() {
        let s = server("https://stats.example.org", &["127.0.0.1/32"]);
        assert!(is_https(&request("127.0.0.1:5000", PROXIED), &s));
        assert!(!is_https(&request("203.0.113.9:5000", PROXIED), &s));
        assert!(
            !is_https(&request("127.0.0.1:5000", &[]), &s),
            "a public_url says nothing about this connection"
        );
    }

    #[test]
    fn a_form_origin_may_name_the_request_host_or_the_public_url_host() {
        let s = server("", &["127.0.0.1/32"]);
        assert_eq!(
            expected_hosts(&request("203.0.113.9:5000", PROXIED), &s),
            ["10.0.0.5:8080"]
        );
        assert_eq!(
            expected_hosts(&request("127.0.0.1:5000", PROXIED), &s),
            ["analytics.example.com"]
        );
        let s = server("https://stats.example.org/", &[]);
        assert_eq!(
            expected_hosts(&request("203.0.113.9:5000", PROXIED), &s),
            ["10.0.0.5:8080", "stats.example.org"]
        );
    }
}
