//! The day-segment format: a closed day's visits column by column (written
//! by the rollup job beside the day's rollups; `stats::segment` reads them
//! for reports, `store::segments` stores the columns in pieces). Owned here
//! because it is an on-disk format: anything in the store that must read a
//! closed day's visits can decode it.
//!
//! A segment holds every field of every visit: what the scan engine reads
//! (each visit field of [`VISIT_FIELDS`], bounce, duration, its events'
//! pages, names, flags, times, properties, revenue and engagement) and what
//! only the rows needed before (each visit's id and `utm_id`), so
//! [`whole_visits`] reads the day back exactly as its rows hold it.
//! Columns (see [`col`]):
//!
//! - integers and flags are bit-packed in blocks of 128, each at the fewest
//!   bits its largest value needs ([`packed`]; visit starts as differences
//!   from the previous); segments written before packed a column at whole
//!   bytes, which [`unpack`] still reads, and flags a byte a value (header
//!   version 3, see `FORMAT`);
//! - visit fields (interned ids, codes) are dictionary-coded: the day's
//!   distinct values once, then each row's index packed the same way, so a
//!   column with one value (an unused UTM tag) costs a few bytes.

mod fields;
mod load;
mod pack;
#[cfg(test)]
mod tests;
mod whole;

use std::collections::HashMap;

use rustc_hash::FxBuildHasher;

pub use fields::{VISIT_FIELDS, VisitField};
pub use load::{DaySegment, Need};
pub use pack::{packed, unpack};
pub use whole::{WholeVisit, for_each_whole_visit, whole_visits};

use super::{
    codec::{CodecError, Reader, Writer},
    record::{Engagement, Revenue, SessionRecord},
};
use crate::domain::Timezone;

/// Column codes, stable on disk.
pub mod col {
    /// Counts, the day's bounds and zone.
    pub const HEADER: u8 = 0;
    /// Visit start, ms after the previous visit's start (the first: after
    /// the day's start).
    pub const START: u8 = 1;
    /// Dense index of the visit's visitor within the day.
    pub const VISITOR: u8 = 2;
    /// Bit 0: bounced; bit 1: some event has properties, revenue or engagement.
    pub const FLAGS: u8 = 3;
    /// Visit duration, ms.
    pub const DURATION: u8 = 4;
    /// Events of the visit.
    pub const EVENTS: u8 = 5;
    /// Pageviews of the visit.
    pub const PAGEVIEWS: u8 = 6;
    /// Each event's page (interned id).
    pub const EV_PATH: u8 = 7;
    /// Each event's name (interned id, 0 for a pageview).
    pub const EV_NAME: u8 = 8;
    /// Each event's bit 0: pageview; bit 1: interactive.
    pub const EV_FLAGS: u8 = 9;
    /// Properties, revenue and engagement of the events that have any.
    pub const EV_EXTRAS: u8 = 10;
    /// The day's visitor ids (daily-salted hashes), 8 bytes each, in
    /// dense-index order: what attribution joins visits to leads by.
    pub const VISITOR_IDS: u8 = 11;
    /// Each event's time, ms after its visit's start.
    pub const EV_OFFSET: u8 = 12;
    /// Each visit's id (the second half of its row's key), as the
    /// zigzag-coded difference from the previous visit's, varints. Segments
    /// written before it have none (see [`super::whole_visits`]).
    pub const VISIT_ID: u8 = 13;
    /// Each visit's `utm_id`, dictionary-coded like the dimensions.
    pub const UTM_ID: u8 = 14;
    /// First code of the visit fields, in [`super::VISIT_FIELDS`] order.
    pub const DIMS: u8 = 16;
}

/// Format version, the header's first byte: 4 packs the flag columns like
/// the other integers. A segment of a version [`readable`] refuses is not
/// read (reports fall back to the day's rows).
pub(crate) const FORMAT: u8 = 4;

/// The version before: flag columns one byte a value.
pub(crate) const FORMAT_BYTE_FLAGS: u8 = 3;

/// Whether this build reads a segment of header version `format`.
#[must_use]
pub(crate) fn readable(format: u8) -> bool {
    format == FORMAT || format == FORMAT_BYTE_FLAGS
}

/// Visit flag: bounced.
pub const F_BOUNCE: u8 = 1;
/// Visit flag: some event has properties, revenue or engagement.
pub const F_EXTRAS: u8 = 2;
/// Event flag: a pageview.
pub const EV_PAGEVIEW: u8 = 1;
/// Event flag: interactive.
pub const EV_INTERACTIVE: u8 = 2;

/// What an event has beyond its page and name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extra {
    /// (interned key, interned value).
    pub props: Vec<(u32, u32)>,
    /// Revenue, if any.
    pub revenue: Option<Revenue>,
    /// Engagement, if any.
    pub engagement: Option<Engagement>,
}

/// Collects one day's visits, in start order, into columns.
pub struct Builder {
    tz: String,
    from_ms: u64,
    to_ms: u64,
    dense: HashMap<u64, u32, FxBuildHasher>,
    ids: Vec<u64>,
    start: Vec<u32>,
    visitor: Vec<u32>,
    flags: Vec<u8>,
    duration: Vec<u32>,
    events: Vec<u32>,
    pageviews: Vec<u32>,
    dims: Vec<Vec<u32>>,
    ev_path: Vec<u32>,
    ev_name: Vec<u32>,
    ev_flags: Vec<u8>,
    ev_offset: Vec<u32>,
    extras: Writer,
    last_extra: u32,
    visit_ids: Writer,
    last_id: u64,
    utm_id: Vec<u32>,
}

impl Builder {
    /// A segment of the local day `[from_ms, to_ms)` in `tz`.
    #[must_use]
    pub fn new(tz: Timezone, from_ms: u64, to_ms: u64) -> Self {
        Self {
            tz: tz.tz().name().to_owned(),
            from_ms,
            to_ms,
            dense: HashMap::default(),
            ids: Vec::new(),
            start: Vec::new(),
            visitor: Vec::new(),
            flags: Vec::new(),
            duration: Vec::new(),
            events: Vec::new(),
            pageviews: Vec::new(),
            dims: vec![Vec::new(); VISIT_FIELDS.len()],
            ev_path: Vec::new(),
            ev_name: Vec::new(),
            ev_flags: Vec::new(),
            ev_offset: Vec::new(),
            extras: Writer::default(),
            last_extra: 0,
            visit_ids: Writer::default(),
            last_id: 0,
            utm_id: Vec::new(),
        }
    }

    /// Adds visit `id` that started at `start_ms` (inside the day), after
    /// every visit whose row key sorts before its own.
    pub fn push(&mut self, start_ms: u64, id: u64, rec: &SessionRecord) {
        self.visit_ids.u64(zigzag(id.wrapping_sub(self.last_id)));
        self.last_id = id;
        self.utm_id.push(rec.utm[5]);
        let next = u32::try_from(self.dense.len()).unwrap_or(u32::MAX);
        let ids = &mut self.ids;
        self.visitor
            .push(*self.dense.entry(rec.visitor).or_insert_with(|| {
                ids.push(rec.visitor);
                next
            }));
        self.start
            .push(u32::try_from(start_ms.saturating_sub(self.from_ms)).unwrap_or(u32::MAX));
        let mut flags = if rec.is_bounce() { F_BOUNCE } else { 0 };
        self.duration
            .push(u32::try_from(rec.duration_ms()).unwrap_or(u32::MAX));
        self.events
            .push(u32::try_from(rec.events.len()).unwrap_or(u32::MAX));
        self.pageviews
            .push(u32::try_from(rec.pageviews()).unwrap_or(u32::MAX));
        for (f, column) in VISIT_FIELDS.iter().zip(&mut self.dims) {
            column.push(f.raw(rec));
        }
        for e in &rec.events {
            let index = u32::try_from(self.ev_path.len()).unwrap_or(u32::MAX);
            self.ev_path.push(e.path);
            self.ev_name.push(e.name);
            self.ev_offset.push(e.offset_ms);
            self.ev_flags.push(
                if e.pageview { EV_PAGEVIEW } else { 0 }
                    | if e.interactive { EV_INTERACTIVE } else { 0 },
            );
            if e.props.is_empty() && e.revenue.is_none() && e.engagement.is_none() {
                continue;
            }
            flags |= F_EXTRAS;
            let w = &mut self.extras;
            w.u64(u64::from(index - self.last_extra));
            self.last_extra = index;
            w.u64(e.props.len() as u64);
            for &(k, v) in &e.props {
                w.u64(k.into());
                w.u64(v.into());
            }
            match e.revenue {
                Some(r) => {
                    w.u8(1);
                    w.bytes(&r.currency);
                    w.i64(r.amount_micros);
                }
                None => w.u8(0),
            }
            match e.engagement {
                Some(g) => {
                    w.u8(1);
                    w.u64(g.engaged_ms.into());
                    w.u8(g.scroll.map_or(0, |s| s.saturating_add(1)));
                }
                None => w.u8(0),
            }
        }
        self.flags.push(flags);
    }

    /// The columns to store, as (code, bytes).
    #[must_use]
    pub fn finish(self) -> Vec<(u8, Vec<u8>)> {
        let mut h = Writer::default();
        h.u8(FORMAT);
        h.u64(self.start.len() as u64);
        h.u64(self.ev_path.len() as u64);
        h.u64(self.dense.len() as u64);
        h.u64(self.from_ms);
        h.u64(self.to_ms);
        h.u64(self.tz.len() as u64);
        h.bytes(self.tz.as_bytes());
        let mut out = vec![
            (col::HEADER, h.finish()),
            (col::START, packed(&deltas(&self.start))),
            (col::VISITOR, packed(&self.visitor)),
            (col::FLAGS, packed_flags(&self.flags)),
            (col::DURATION, packed(&self.duration)),
            (col::EVENTS, packed(&self.events)),
            (col::PAGEVIEWS, packed(&self.pageviews)),
            (col::EV_PATH, dictionary(&self.ev_path)),
            (col::EV_NAME, dictionary(&self.ev_name)),
            (col::EV_FLAGS, packed_flags(&self.ev_flags)),
            (col::EV_OFFSET, packed(&self.ev_offset)),
            (col::EV_EXTRAS, self.extras.finish()),
            (col::VISIT_ID, self.visit_ids.finish()),
            (col::UTM_ID, dictionary(&self.utm_id)),
            (
                col::VISITOR_IDS,
                self.ids.iter().flat_map(|v| v.to_le_bytes()).collect(),
            ),
        ];
        for (i, column) in self.dims.iter().enumerate() {
            out.push((col::DIMS + u8::try_from(i).unwrap_or(0), dictionary(column)));
        }
        out
    }
}

/// A flags column, packed like the integers (2 bits a value).
fn packed_flags(flags: &[u8]) -> Vec<u8> {
    packed(&flags.iter().map(|&f| u32::from(f)).collect::<Vec<_>>())
}

/// A difference of two ids as a small unsigned number: 0, −1, 1, −2, …
/// become 0, 1, 2, 3, … (wrapping, so every `u64` difference round-trips).
fn zigzag(d: u64) -> u64 {
    (d << 1) ^ (d >> 63).wrapping_neg()
}

/// Undoes [`zigzag`].
fn unzigzag(z: u64) -> u64 {
    (z >> 1) ^ (z & 1).wrapping_neg()
}

/// Differences from the previous value (the first from 0) of a sorted column.
fn deltas(sorted: &[u32]) -> Vec<u32> {
    let mut prev = 0;
    sorted
        .iter()
        .map(|&v| {
            let d = v.saturating_sub(prev);
            prev = v;
            d
        })
        .collect()
}

/// The distinct values (varints, in first-seen order), then each row's index.
fn dictionary(values: &[u32]) -> Vec<u8> {
    let mut index: HashMap<u32, u32, FxBuildHasher> = HashMap::default();
    let mut dict = Writer::default();
    let codes: Vec<u32> = values
        .iter()
        .map(|&v| {
            let next = u32::try_from(index.len()).unwrap_or(u32::MAX);
            *index.entry(v).or_insert_with(|| {
                dict.u64(v.into());
                next
            })
        })
        .collect();
    let mut w = Writer::default();
    w.u64(index.len() as u64);
    w.bytes(&dict.finish());
    w.bytes(&packed(&codes));
    w.finish()
}
