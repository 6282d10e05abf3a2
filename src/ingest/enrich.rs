//! Turns a validated browser event into what is stored: everything derived from
//! the request here, in memory, and only derived values leave. The raw IP and
//! the full user agent are used for the geo lookup, the bot check and the
//! visitor hash, then dropped with the request.

use std::{net::IpAddr, sync::Arc};

use super::{
    acquisition::{self, Acquisition},
    payload::{RawEvent, parse_decimal_micros},
    useragent::{UaClassifier, UaInfo, UaVerdict},
    visitor::{SaltKeeper, VisitorHashes},
};
use crate::{
    domain::{
        SiteId, Timezone,
        text::{self, Field},
    },
    geo::{GeoInfo, GeoLookup},
    store::record::{Engagement, Revenue},
};

/// An event ready for the writer.
#[derive(Debug, Clone)]
pub struct Enriched {
    /// Site it belongs to.
    pub site: SiteId,
    /// The site's zone (for the visit's local day).
    pub timezone: Timezone,
    /// When it happened, unix ms: the server's receive time for the tracker;
    /// the event's own time for a [`Enriched::timed`] one.
    pub ts_ms: u64,
    /// The event carries its own time (a server-side source, an import): it
    /// may be older than the visitor's open visit, and then joins or starts a
    /// visit of its own time instead (see `session::Sessionizer::apply`).
    pub timed: bool,
    /// The source's id of the message (Segment's `messageId`): a message
    /// stored once is not stored again within a day.
    pub message_id: Option<crate::store::MessageId>,
    /// What sent it (`tracker`, `segment`): a purchase's conversion names it.
    pub source: &'static str,
    /// Visitor hashes under the current and previous salt, or a consenting
    /// visitor's stable id (then `previous` is `None`).
    pub visitor: VisitorHashes,
    /// For a consenting visitor: the cookieless hashes the same request would
    /// have had, so a visit begun before the accept joins their journey.
    pub cookieless: Option<VisitorHashes>,
    /// The lead (hex id) a consenting, identified visitor is, for crediting
    /// their purchases.
    pub lead: Option<String>,
    /// `None` for a pageview, else the custom event name.
    pub name: Option<String>,
    /// Host of the page.
    pub hostname: String,
    /// Path of the page.
    pub path: String,
    /// Custom properties.
    pub props: Vec<(String, String)>,
    /// Revenue, exact.
    pub revenue: Option<Revenue>,
    /// Whether the event ends a bounce.
    pub interactive: bool,
    /// Set for an engagement ping: it updates a pageview instead of being an event.
    pub engagement: Option<Engagement>,
    /// How the visit arrived (used when the event starts a visit).
    pub acquisition: Acquisition,
    /// Where the visitor is.
    pub geo: GeoInfo,
    /// Browser, OS and device class.
    pub ua: UaInfo,
}

impl Enriched {
    /// Roughly what the event holds in memory, bytes: its own size and its
    /// texts (for the writer queue's byte bound).
    #[must_use]
    pub fn approx_bytes(&self) -> usize {
        let opt = |s: &Option<String>| s.as_ref().map_or(0, String::len);
        let a = &self.acquisition;
        let u = &a.utm;
        std::mem::size_of::<Self>()
            + opt(&self.lead)
            + opt(&self.name)
            + self.hostname.len()
            + self.path.len()
            + self
                .props
                .iter()
                .map(|(k, v)| k.len() + v.len() + 48)
                .sum::<usize>()
            + [&a.referrer, &a.referrer_host, &a.source]
                .into_iter()
                .chain([
                    &u.source,
                    &u.medium,
                    &u.campaign,
                    &u.term,
                    &u.content,
                    &u.id,
                ])
                .chain([&self.geo.region, &self.geo.city, &self.geo.region_name])
                .map(opt)
                .sum::<usize>()
            + self.ua.browser.len()
            + self.ua.browser_version.len()
            + self.ua.os.len()
            + self.ua.os_version.len()
    }
}

/// Why a valid event is not recorded (sent back in `x-touchpoint-dropped`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// A crawler, headless browser or automation tool.
    Bot,
    /// No site is registered for the domain.
    UnknownSite,
    /// The page's hostname is not on the site's allowlist.
    Hostname,
}

impl DropReason {
    /// The header and metric label value.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bot => "bot",
            Self::UnknownSite => "unknown_site",
            Self::Hostname => "hostname",
        }
    }
}

/// The shared, read-mostly parts enrichment needs.
pub struct Enricher {
    /// Geolocation.
    pub geo: Arc<GeoLookup>,
    /// UA parser and bot list.
    pub ua: Arc<UaClassifier>,
    /// Visitor-hash salts.
    pub salts: Arc<SaltKeeper>,
}

impl Enricher {
    /// Classifies the agent before anything else, so bots cost no geo lookup.
    ///
    /// # Errors
    /// The reason the event is not recorded.
    pub fn check_agent(&self, user_agent: &str) -> Result<UaInfo, DropReason> {
        match self.ua.classify(user_agent) {
            UaVerdict::Human(info) => Ok(info),
            UaVerdict::Bot => Err(DropReason::Bot),
        }
    }

    /// Enriches one event for each of the `sites` it names. What doesn't depend
    /// on the site (acquisition, geo, device) is derived once; only the visitor
    /// hash is per site.
    #[must_use]
    pub fn enrich(
        &self,
        raw: &RawEvent,
        sites: &[(SiteId, Timezone)],
        client: (IpAddr, &str),
        ua: UaInfo,
        now_ms: u64,
    ) -> Vec<Enriched> {
        let (ip, user_agent) = client;
        let revenue = raw.revenue.as_ref().and_then(|(amount, cur)| {
            let c = cur.as_bytes();
            Some(Revenue {
                amount_micros: parse_decimal_micros(amount)?,
                currency: [c[0], c[1], c[2]],
            })
        });
        let Some((&(first_site, first_tz), rest)) = sites.split_first() else {
            return Vec::new();
        };
        let first = Enriched {
            site: first_site,
            timezone: first_tz,
            ts_ms: now_ms,
            timed: false,
            message_id: None,
            source: "tracker",
            visitor: self.salts.hashes(now_ms, first_site, ip, user_agent),
            cookieless: None,
            lead: None,
            // Every free text is normalised and redacted here, before it can
            // be stored or logged (see `domain::text`); acquisition does the
            // same for the referrer and the UTM values.
            name: (!raw.is_pageview()).then(|| text::normalise(Field::Name, &raw.name)),
            hostname: text::normalise(Field::Hostname, raw.url.host_str().unwrap_or_default()),
            path: raw.path(),
            props: props(&raw.props),
            revenue,
            interactive: raw.interactive,
            engagement: raw.engagement,
            acquisition: acquisition::classify(&raw.url, raw.referrer.as_deref()),
            geo: self.geo.lookup(ip),
            ua,
        };
        let mut out = Vec::with_capacity(sites.len());
        for &(site, timezone) in rest {
            out.push(Enriched {
                site,
                timezone,
                visitor: self.salts.hashes(now_ms, site, ip, user_agent),
                ..first.clone()
            });
        }
        out.insert(0, first);
        out
    }
}

/// Properties as stored: keys and values normalised and redacted; a property
/// left without key or value, or repeating a key, is dropped, and so is an
/// order id holding personal data (see [`text::order_id`]).
pub(crate) fn props(raw: &[(String, String)]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::with_capacity(raw.len());
    for (k, v) in raw {
        let (k, v) = (
            text::normalise(Field::PropKey, k),
            text::normalise(Field::PropValue, v),
        );
        let personal_order = k == super::session::ORDER_ID_PROP && text::order_id(&v).is_none();
        if !k.is_empty() && !v.is_empty() && !personal_order && !out.iter().any(|(o, _)| *o == k) {
            out.push((k, v));
        }
    }
    out
}

/// A tracker pageview by `visitor` at `ts_ms` on site 1 (UTC), for tests.
#[cfg(test)]
pub(crate) fn test_pageview(visitor: u64, ts_ms: u64, path: &str) -> Enriched {
    use crate::ingest::useragent::{Device, UaInfo};
    let url = url::Url::parse("https://example.com/").expect("a URL");
    Enriched {
        site: SiteId(1),
        timezone: Timezone::default(),
        ts_ms,
        timed: false,
        message_id: None,
        source: "tracker",
        visitor: VisitorHashes {
            current: visitor,
            previous: None,
        },
        cookieless: None,
        lead: None,
        name: None,
        hostname: "example.com".into(),
        path: path.to_owned(),
        props: Vec::new(),
        revenue: None,
        interactive: true,
        engagement: None,
        acquisition: super::acquisition::classify(&url, None),
        geo: GeoInfo::default(),
        ua: UaInfo {
            browser: "Chrome".into(),
            browser_version: "120".into(),
            os: "Mac".into(),
            os_version: "10.15".into(),
            device: Device::Desktop,
        },
    }
}
