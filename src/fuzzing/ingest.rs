//! The ingest edge: the tracker's event body and request headers, and
//! Segment's Tracking API messages.

use std::{
    net::{IpAddr, Ipv4Addr},
    sync::LazyLock,
};

use ipnet::IpNet;

use super::{NOW_MS, assert_stored, first_line, stored};
use crate::{
    domain::text::Field,
    geo::GeoLookup,
    ingest::{
        acquisition::{self, Acquisition},
        client_ip::client_ip,
        enrich,
        payload::{self, MAX_DOMAINS, MAX_NAME_CHARS, MAX_PROPS},
        timed::check_time,
        useragent::UaClassifier,
    },
    segment::{
        apply::{revenue, traits},
        message::{self, Kind},
        page::{page_url, props},
    },
};

/// Built once per process: compiling the UA rules takes a while.
static UA: LazyLock<UaClassifier> = LazyLock::new(UaClassifier::new);
static GEO: LazyLock<GeoLookup> = LazyLock::new(GeoLookup::embedded);

/// Checks what acquisition derived: every text it keeps is as stored.
fn check_acquisition(a: &Acquisition) {
    let u = &a.utm;
    for (what, s) in [
        ("referrer", &a.referrer),
        ("source", &a.source),
        ("utm_source", &u.source),
        ("utm_medium", &u.medium),
        ("utm_campaign", &u.campaign),
        ("utm_term", &u.term),
        ("utm_content", &u.content),
        ("utm_id", &u.id),
    ] {
        if let Some(s) = s {
            assert_stored(what, s);
        }
    }
}

/// Properties as enrichment stores them: unique, non-empty keys and values.
fn check_props(raw: &[(String, String)]) {
    let kept = enrich::props(raw);
    for (i, (k, v)) in kept.iter().enumerate() {
        assert!(!k.is_empty() && !v.is_empty(), "empty property kept");
        assert!(
            kept[..i].iter().all(|(o, _)| o != k),
            "key {k:?} kept twice"
        );
        // Stored as normalised: normalising again changes nothing.
        assert_eq!(&stored(Field::PropKey, k), k);
        assert_eq!(&stored(Field::PropValue, v), v);
    }
}

/// `POST /api/event`: the body as the tracker (or anyone) sends it, then
/// what enrichment derives from the event alone.
pub fn tracker_event(body: &[u8]) {
    let Ok(raw) = payload::parse(body) else {
        return;
    };
    assert!(matches!(raw.url.scheme(), "http" | "https"));
    assert!((1..=MAX_DOMAINS).contains(&raw.domains.len()));
    assert!(raw.props.len() <= MAX_PROPS);
    assert!(!raw.name.is_empty() && raw.name.chars().count() <= MAX_NAME_CHARS);
    if let Some((amount, currency)) = &raw.revenue {
        // Enrichment parses the amount again and takes three currency bytes.
        assert!(payload::parse_decimal_micros(amount).is_some());
        assert_eq!(currency.len(), 3);
    }
    assert_stored("path", &raw.path());
    stored(Field::Name, &raw.name);
    stored(Field::Hostname, raw.url.host_str().unwrap_or_default());
    check_props(&raw.props);
    check_acquisition(&acquisition::classify(&raw.url, raw.referrer.as_deref()));
}

/// The tracker request's headers: the user agent (bot check and device),
/// then the client's address from `X-Forwarded-For` and `X-Real-IP` behind
/// a trusted proxy, and its location.
pub fn tracker_request(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut lines = text.splitn(3, '\n');
    let agent = lines.next().unwrap_or_default();
    let (forwarded, real_ip) = (lines.next(), lines.next());
    let verdict = UA.classify_uncached(agent);
    assert_eq!(
        UA.classify(agent),
        verdict,
        "the cache answers as the parser"
    );
    let trusted: [IpNet; 2] = [
        "10.0.0.0/8".parse().expect("a network"),
        "fd00::/8".parse().expect("a network"),
    ];
    let proxy = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
    if let Some(ip) = client_ip(proxy, forwarded, real_ip, &trusted).ip() {
        assert_eq!(ip, ip.to_canonical(), "IPv4-mapped addresses count as IPv4");
        let country = GEO.lookup(ip).country;
        assert!(country.is_none_or(|c| c.iter().all(u8::is_ascii_uppercase)));
    }
}

/// Segment's Tracking API: a first line naming the call as the path does
/// (`batch`, or `track`, `t`, `page`...), then the body; then what becomes
/// of each message before the store is involved.
pub fn segment_batch(data: &[u8]) {
    let (path, body) = first_line(data);
    let kind = match path {
        b"batch" => None,
        p => match std::str::from_utf8(p).ok().and_then(Kind::parse) {
            Some(k) => Some(k),
            None => return,
        },
    };
    let Ok(parsed) = message::parse(body, kind, NOW_MS) else {
        return;
    };
    assert!(parsed.messages.len() <= message::MAX_BATCH_MESSAGES);
    for m in &parsed.messages {
        assert!(m.user_id.is_some() || m.anonymous_id.is_some());
        let _ = check_time(m.ts_ms, NOW_MS, 0);
        match m.kind {
            Kind::Identify => drop(traits(m)),
            Kind::Track => drop(revenue(m)),
            _ => {}
        }
        let url = page_url(m, "example.com");
        assert!(matches!(url.scheme(), "http" | "https"));
        let props = props(m);
        assert!(props.len() <= MAX_PROPS);
        check_props(&props);
        assert_stored("path", &crate::domain::text::path(url.path(), None));
        if let Some(name) = &m.name {
            stored(Field::Name, name);
        }
        check_acquisition(&acquisition::classify(&url, m.page.referrer.as_deref()));
    }
}
