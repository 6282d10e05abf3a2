//! Events that carry their own time: sent by a server-side source (Segment's
//! Tracking API) or replayed from an export, rather than seen live by the
//! tracker. They go through the same enrichment rules and the same writer as
//! the tracker's events, with three differences:
//!
//! - **Time.** The event's own time, accepted from `oldest_ms` (the start of
//!   the first day the site's retention keeps) to now plus
//!   [`MAX_FUTURE_SKEW_MS`]; anything else is refused, never clamped. The
//!   writer sessionizes them in time order: a request's events are sorted
//!   first, and an event older than its visitor's open visit joins (or
//!   starts) a visit of its own time (see `session::Sessionizer::apply`).
//! - **Visitor.** No daily salt exists for past days, and a server-side
//!   source knows its visitors anyway: the visitor is a keyed hash of the
//!   source's own id for them ([`crate::privacy::ids::source_subject`], then
//!   the same stable visitor hash as a consenting tracker visitor). The
//!   source's id itself is never stored.
//! - **Consent.** The site's owner is the controller of what its servers
//!   send; Touchpoint keeps a source's ids only as keyed indexes, and emails
//!   or phones only sealed and blind-indexed, as for the tracker. The site's
//!   consent mode governs the tracker, not these sources.

use std::net::IpAddr;

use url::Url;

use super::{
    acquisition,
    enrich::{Enriched, Enricher},
    useragent::UaInfo,
    visitor::VisitorHashes,
};
use crate::{
    domain::{
        SiteId, Timezone,
        device::Device,
        text::{self, Field},
    },
    geo::GeoInfo,
    store::{MessageId, record::Revenue},
};

/// How far ahead of the server's clock an event's time may be (clock skew of
/// the sending machine), ms.
pub const MAX_FUTURE_SKEW_MS: u64 = 5 * 60_000;

/// An event with its own time, as a source describes it.
#[derive(Debug, Clone)]
pub struct TimedEvent {
    /// The site.
    pub site: SiteId,
    /// Its zone.
    pub timezone: Timezone,
    /// When it happened, unix ms.
    pub ts_ms: u64,
    /// The stable visitor hash of the source's id for the visitor.
    pub visitor: u64,
    /// The lead (hex id) the visitor is, for crediting a purchase.
    pub lead: Option<String>,
    /// `None` for a pageview, else the custom event's name (raw).
    pub name: Option<String>,
    /// The page (its host, path and query: `utm_*` and click ids count).
    pub url: Url,
    /// The page's referrer, as sent.
    pub referrer: Option<String>,
    /// Custom properties (raw; normalised and redacted here).
    pub props: Vec<(String, String)>,
    /// Revenue.
    pub revenue: Option<Revenue>,
    /// The visitor's address, when the source knows it (for location only).
    pub ip: Option<IpAddr>,
    /// Browser, OS and device, when the source sent a user agent.
    pub ua: Option<UaInfo>,
    /// The source's message id (de-duplicated for a day).
    pub message_id: Option<MessageId>,
    /// What sent it (`segment`): a purchase's conversion names it.
    pub source: &'static str,
}

/// Why an event's time is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    /// Later than now plus [`MAX_FUTURE_SKEW_MS`].
    #[error("is more than 5 minutes in the future")]
    Future,
    /// Before the first day the site's retention keeps.
    #[error("is older than the site's retention period")]
    BeforeRetention,
}

/// Checks an event's time against the accepted window.
///
/// # Errors
/// The bound it is outside of.
pub fn check_time(ts_ms: u64, now_ms: u64, oldest_ms: u64) -> Result<(), TimeError> {
    if ts_ms > now_ms + MAX_FUTURE_SKEW_MS {
        Err(TimeError::Future)
    } else if ts_ms < oldest_ms {
        Err(TimeError::BeforeRetention)
    } else {
        Ok(())
    }
}

/// What a source that sends no user agent is counted as.
fn unknown_agent() -> UaInfo {
    UaInfo {
        browser: String::new(),
        browser_version: String::new(),
        os: String::new(),
        os_version: String::new(),
        device: Device::Desktop,
    }
}

impl Enricher {
    /// Enriches an event with its own time by the tracker's rules: texts
    /// normalised and redacted, acquisition from the page's query and
    /// referrer, location from the address when given (then dropped).
    #[must_use]
    pub fn enrich_timed(&self, e: TimedEvent) -> Enriched {
        Enriched {
            site: e.site,
            timezone: e.timezone,
            ts_ms: e.ts_ms,
            timed: true,
            message_id: e.message_id,
            source: e.source,
            visitor: VisitorHashes {
                current: e.visitor,
                previous: None,
            },
            cookieless: None,
            lead: e.lead,
            name: e.name.map(|n| text::normalise(Field::Name, &n)),
            hostname: text::normalise(Field::Hostname, e.url.host_str().unwrap_or_default()),
            path: text::path(e.url.path(), None),
            props: super::enrich::props(&e.props),
            revenue: e.revenue,
            interactive: true,
            engagement: None,
            acquisition: acquisition::classify(&e.url, e.referrer.as_deref()),
            geo: e.ip.map_or_else(GeoInfo::default, |ip| self.geo.lookup(ip)),
            ua: e.ua.unwrap_or_else(unknown_agent),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_bounded_by_the_skew_ahead_and_retention_behind() {
        let now = 1_000_000_000;
        assert_eq!(check_time(now, now, 0), Ok(()));
        assert_eq!(check_time(now + MAX_FUTURE_SKEW_MS, now, 0), Ok(()));
        assert_eq!(
            check_time(now + MAX_FUTURE_SKEW_MS + 1, now, 0),
            Err(TimeError::Future)
        );
        assert_eq!(check_time(500, now, 500), Ok(()));
        assert_eq!(check_time(499, now, 500), Err(TimeError::BeforeRetention));
    }
}
