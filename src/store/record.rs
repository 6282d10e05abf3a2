//! The stored shape of a visit: a session row holds the visit's acquisition and
//! device attributes once, and its events inline. One row per visit keeps an
//! event at a handful of bytes and lets a filtered report read a visit and its
//! events in one sequential pass, with no join.
//!
//! Strings (paths, hosts, names) are interned ids; 0 always means "none".

use super::codec::{CodecError, Reader, Writer};

/// Format version written as the first byte of every session value.
const FORMAT_V1: u8 = 1;

/// Revenue attached to an event, in millionths of the currency unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Revenue {
    /// Amount × 1,000,000 (exact for up to six decimals).
    pub amount_micros: i64,
    /// ISO 4217 code, upper case ASCII.
    pub currency: [u8; 3],
}

/// One event inside a visit.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EventRecord {
    /// Milliseconds since the visit started.
    pub offset_ms: u32,
    /// Interned event name; 0 for a pageview.
    pub name: u32,
    /// Interned path of the page the event happened on.
    pub path: u32,
    /// True for a pageview.
    pub pageview: bool,
    /// False for events sent with `interactive: false` (they don't end a bounce).
    pub interactive: bool,
    /// Custom properties as (interned key, interned value).
    pub props: Vec<(u32, u32)>,
    /// Revenue, for purchase-like events.
    pub revenue: Option<Revenue>,
    /// For a pageview: how long it was on screen and how far it was read,
    /// summed and maxed over the engagement pings it received.
    pub engagement: Option<Engagement>,
}

/// What the tracker's engagement pings said about one pageview.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Engagement {
    /// Milliseconds the page was visible, summed over pings.
    pub engaged_ms: u32,
    /// Deepest point reached, percent of the page (0–100); `None` when no
    /// ping reported it.
    pub scroll: Option<u8>,
}

impl Engagement {
    /// Adds a ping: time sums, scroll depth keeps its maximum.
    pub fn add(&mut self, o: Self) {
        self.engaged_ms = self.engaged_ms.saturating_add(o.engaged_ms);
        self.scroll = self.scroll.max(o.scroll);
    }
}

/// One visit with its events.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SessionRecord {
    /// Daily-salted visitor hash (see `ingest::visitor`).
    pub visitor: u64,
    /// Interned hostname of the first event.
    pub hostname: u32,
    /// Interned referrer (host + path).
    pub referrer: u32,
    /// Interned source name.
    pub source: u32,
    /// `Channel::code()`.
    pub channel: u8,
    /// Interned utm_source, utm_medium, utm_campaign, utm_term, utm_content, utm_id.
    pub utm: [u32; 6],
    /// `ClickKind::code()`, 0 for none.
    pub click: u8,
    /// ISO 3166-1 alpha-2, `[0, 0]` when unknown.
    pub country: [u8; 2],
    /// Interned ISO 3166-2 subdivision code (e.g. `GB-ENG`).
    pub region: u32,
    /// Interned city name.
    pub city: u32,
    /// `Device::code()`.
    pub device: u8,
    /// Interned browser name.
    pub browser: u32,
    /// Interned browser major version.
    pub browser_version: u32,
    /// Interned OS name.
    pub os: u32,
    /// Interned OS version.
    pub os_version: u32,
    /// Events in time order.
    pub events: Vec<EventRecord>,
}

const F_PAGEVIEW: u8 = 1;
const F_NONINTERACTIVE: u8 = 2;
const F_PROPS: u8 = 4;
const F_REVENUE: u8 = 8;
const F_ENGAGEMENT: u8 = 16;

impl SessionRecord {
    /// Path of the first pageview (0 when the visit has none).
    #[must_use]
    pub fn entry_path(&self) -> u32 {
        self.events
            .iter()
            .find(|e| e.pageview)
            .map_or(0, |e| e.path)
    }

    /// Path of the last pageview.
    #[must_use]
    pub fn exit_path(&self) -> u32 {
        self.events
            .iter()
            .rev()
            .find(|e| e.pageview)
            .map_or(0, |e| e.path)
    }

    /// Number of pageviews.
    #[must_use]
    pub fn pageviews(&self) -> u64 {
        self.events.iter().filter(|e| e.pageview).count() as u64
    }

    /// Plausible's rule: a visit bounces unless it has more than one interactive event.
    #[must_use]
    pub fn is_bounce(&self) -> bool {
        self.events.iter().filter(|e| e.interactive).count() <= 1
    }

    /// Time between the first and last event.
    #[must_use]
    pub fn duration_ms(&self) -> u64 {
        let first = self.events.first().map_or(0, |e| e.offset_ms);
        let last = self.events.last().map_or(0, |e| e.offset_ms);
        u64::from(last.saturating_sub(first))
    }

    /// Milliseconds from the visit's start to its last event.
    #[must_use]
    pub fn last_offset_ms(&self) -> u32 {
        self.events.last().map_or(0, |e| e.offset_ms)
    }

    /// Encodes for storage.
    #[must_use]
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::with_capacity(48 + self.events.len() * 6);
        w.u8(FORMAT_V1);
        w.u64(self.visitor);
        for v in [self.hostname, self.referrer, self.source] {
            w.u64(v.into());
        }
        w.u8(self.channel);
        for v in self.utm {
            w.u64(v.into());
        }
        w.u8(self.click);
        w.bytes(&self.country);
        for v in [self.region, self.city] {
            w.u64(v.into());
        }
        w.u8(self.device);
        for v in [self.browser, self.browser_version, self.os, self.os_version] {
            w.u64(v.into());
        }
        w.u64(self.events.len() as u64);
        let mut prev = 0u32;
        for e in &self.events {
            // Offsets are stored as deltas; events arrive in order, and a clock
            // step backwards is clamped to 0 rather than stored negative.
            w.u64(e.offset_ms.saturating_sub(prev).into());
            prev = prev.max(e.offset_ms);
            let mut flags = 0;
            if e.pageview {
                flags |= F_PAGEVIEW;
            }
            if !e.interactive {
                flags |= F_NONINTERACTIVE;
            }
            if !e.props.is_empty() {
                flags |= F_PROPS;
            }
            if e.revenue.is_some() {
                flags |= F_REVENUE;
            }
            if e.engagement.is_some() {
                flags |= F_ENGAGEMENT;
            }
            w.u8(flags);
            if !e.pageview {
                w.u64(e.name.into());
            }
            w.u64(e.path.into());
            if !e.props.is_empty() {
                w.u64(e.props.len() as u64);
                for (k, v) in &e.props {
                    w.u64((*k).into());
                    w.u64((*v).into());
                }
            }
            if let Some(r) = e.revenue {
                w.i64(r.amount_micros);
                w.bytes(&r.currency);
            }
            if let Some(g) = e.engagement {
                w.u64(g.engaged_ms.into());
                // 0 = not reported, else depth + 1.
                w.u8(g.scroll.map_or(0, |s| s.min(100) + 1));
            }
        }
        w.finish()
    }

    /// Decodes a stored value.
    ///
    /// # Errors
    /// Unknown format version, truncation or trailing bytes.
    pub fn decode(bytes: &[u8]) -> Result<Self, CodecError> {
        let mut s = Self::default();
        s.decode_into(bytes)?;
        Ok(s)
    }

    /// Decodes into `self`, reusing its event buffer: a scan over millions of
    /// visits then allocates only for events that carry properties.
    ///
    /// # Errors
    /// As [`SessionRecord::decode`]; `self` is then unspecified.
    pub fn decode_into(&mut self, bytes: &[u8]) -> Result<(), CodecError> {
        let rest = self.decode_header(bytes)?;
        self.decode_events(rest, bytes.len())
    }

    /// The visitor id of an encoded visit, without decoding the rest.
    ///
    /// # Errors
    /// Unknown format version or truncation.
    pub fn peek_visitor(bytes: &[u8]) -> Result<u64, CodecError> {
        let mut r = Reader::new(bytes);
        if r.u8()? != FORMAT_V1 {
            return Err(CodecError("unknown session format version"));
        }
        r.u64()
    }

    /// Decodes the visit's attributes only and clears its events; returns the
    /// undecoded rest for [`SessionRecord::decode_events`]. Scans use it to
    /// reject visits by a visit-level filter without decoding their events.
    ///
    /// # Errors
    /// As [`SessionRecord::decode`].
    pub fn decode_header<'b>(&mut self, bytes: &'b [u8]) -> Result<&'b [u8], CodecError> {
        let mut r = Reader::new(bytes);
        if r.u8()? != FORMAT_V1 {
            return Err(CodecError("unknown session format version"));
        }
        self.visitor = r.u64()?;
        self.hostname = r.u32()?;
        self.referrer = r.u32()?;
        self.source = r.u32()?;
        self.channel = r.u8()?;
        for u in &mut self.utm {
            *u = r.u32()?;
        }
        self.click = r.u8()?;
        self.country = r.array()?;
        self.region = r.u32()?;
        self.city = r.u32()?;
        self.device = r.u8()?;
        self.browser = r.u32()?;
        self.browser_version = r.u32()?;
        self.os = r.u32()?;
        self.os_version = r.u32()?;
        self.events.clear();
        Ok(r.rest())
    }

    /// Decodes the events that follow the header (`total_len` is the whole
    /// value's length, a bound for counts).
    ///
    /// # Errors
    /// As [`SessionRecord::decode`].
    pub fn decode_events(&mut self, rest: &[u8], total_len: usize) -> Result<(), CodecError> {
        let bytes_len = total_len as u64;
        let mut r = Reader::new(rest);
        let n = r.u64()?;
        if n > bytes_len {
            return Err(CodecError("event count exceeds record size"));
        }
        let n = usize::try_from(n).unwrap_or(0);
        self.events.truncate(n);
        self.events.resize_with(n, EventRecord::default);
        let mut offset = 0u32;
        for e in &mut self.events {
            offset = offset
                .checked_add(r.u32()?)
                .ok_or(CodecError("event offset overflow"))?;
            let flags = r.u8()?;
            e.offset_ms = offset;
            e.pageview = flags & F_PAGEVIEW != 0;
            e.interactive = flags & F_NONINTERACTIVE == 0;
            e.name = if e.pageview { 0 } else { r.u32()? };
            e.path = r.u32()?;
            e.props.clear();
            if flags & F_PROPS != 0 {
                let k = r.u64()?;
                if k > bytes_len {
                    return Err(CodecError("prop count exceeds record size"));
                }
                for _ in 0..k {
                    e.props.push((r.u32()?, r.u32()?));
                }
            }
            e.revenue = if flags & F_REVENUE == 0 {
                None
            } else {
                Some(Revenue {
                    amount_micros: r.i64()?,
                    currency: r.array()?,
                })
            };
            e.engagement = if flags & F_ENGAGEMENT == 0 {
                None
            } else {
                let engaged_ms = r.u32()?;
                let scroll = match r.u8()? {
                    0 => None,
                    s @ 1..=101 => Some(s - 1),
                    _ => return Err(CodecError("scroll depth out of range")),
                };
                Some(Engagement { engaged_ms, scroll })
            };
        }
        if !r.is_empty() {
            return Err(CodecError("trailing bytes"));
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "record_tests.rs"]
mod tests;
