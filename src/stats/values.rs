//! Dimension values: the compact number a dimension has on a visit or event
//! (an interned id, an enum code, a time bucket), and its text for output and
//! for filters. Text lookups are cached per query.

use std::{cell::RefCell, collections::HashMap};

use chrono::{DateTime, Datelike, LocalResult, NaiveDate, Offset, TimeZone, Timelike};

use super::query::Dimension;
use crate::{
    domain::{
        Timezone,
        calendar::{date_of_day, day_number, local_datetime, local_day},
        channel::{Channel, ClickKind},
        device::Device,
    },
    store::{
        ReadView, StoreError,
        record::{EventRecord, SessionRecord},
    },
};

/// Text shown for a visit with no source, as Plausible shows it.
pub const DIRECT: &str = "Direct / None";

/// Raw value of a visit-level dimension.
#[must_use]
pub fn visit_raw(dim: &Dimension, s: &SessionRecord) -> u64 {
    u64::from(match dim {
        Dimension::EntryPage => s.entry_path(),
        Dimension::ExitPage => s.exit_path(),
        Dimension::Source => s.source,
        Dimension::Referrer => s.referrer,
        Dimension::Channel => u32::from(s.channel),
        Dimension::Utm(i) => s.utm[usize::from(*i)],
        Dimension::ClickId => u32::from(s.click),
        Dimension::Device => u32::from(s.device),
        Dimension::Browser => s.browser,
        Dimension::BrowserVersion => s.browser_version,
        Dimension::Os => s.os,
        Dimension::OsVersion => s.os_version,
        Dimension::Country => u32::from(u16::from_be_bytes(s.country)),
        Dimension::Region => s.region,
        Dimension::City => s.city,
        Dimension::Hostname => s.hostname,
        _ => 0,
    })
}

/// Raw value of an event-level dimension; `prop_key` is the interned key of a
/// `Prop` dimension (0 if the key was never seen).
#[must_use]
pub fn event_raw(dim: &Dimension, e: &EventRecord, s: &SessionRecord, prop_key: u32) -> u64 {
    u64::from(match dim {
        Dimension::Page => e.path,
        Dimension::Name => e.name,
        Dimension::Hostname => s.hostname,
        Dimension::Prop(_) => e
            .props
            .iter()
            .find(|(k, _)| *k == prop_key && prop_key != 0)
            .map_or(0, |(_, v)| *v),
        Dimension::Currency => e.revenue.map_or(0, |r| {
            u32::from_be_bytes([0, r.currency[0], r.currency[1], r.currency[2]])
        }),
        other => return visit_raw(other, s),
    })
}

/// Set on the value of an hour bucket that is its local hour's second
/// occurrence (the repeated hour when clocks go back). Bit 31, so values still
/// fit the rollups' `u32`; plain values reach it only after the year 245,000.
pub const FOLD: u64 = 1 << 31;

const HOUR_MS: u64 = 3_600_000;

/// Time bucket of an instant in `tz`: its local day number, hour bucket (see
/// [`hour_bucket`]), Monday of the week, or month (`y*12+m0`).
#[must_use]
pub fn time_bucket(dim: &Dimension, ms: u64, tz: Timezone) -> u64 {
    match dim {
        Dimension::Hour => hour_bucket(ms, tz).value,
        _ => date_bucket(dim, local_datetime(ms, tz).date_naive()),
    }
}

/// Day, week or month bucket of a local date.
fn date_bucket(dim: &Dimension, date: NaiveDate) -> u64 {
    let day = u64::from(day_number(date));
    match dim {
        Dimension::Week => day.saturating_sub(u64::from(date.weekday().num_days_from_monday())),
        Dimension::Month => u64::try_from(date.year()).unwrap_or(0) * 12 + u64::from(date.month0()),
        _ => day,
    }
}

/// One hour bucket: its value and the instants `[start_ms, end_ms)` it spans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HourBucket {
    /// `local day × 24 + local hour`, plus [`FOLD`] for a repeated hour.
    pub value: u64,
    /// First instant (unix ms).
    pub start_ms: u64,
    /// First instant after it.
    pub end_ms: u64,
}

/// The hour bucket holding an instant. Hour buckets follow the site's zone
/// through every transition: a bucket is the part of one local clock hour
/// (`HH:00` to `HH:59` of one local date) spent at one UTC offset. So
///
/// - a day has as many buckets as it has hours, rounded up: 23 on a
///   spring-forward day, 25 on a fall-back day, 24 on the days of Lord Howe's
///   half-hour shifts (23.5 and 24.5 hours);
/// - a skipped hour has no bucket (Stockholm's 2020-03-29 has no 02:00), and an
///   hour only partly skipped is a shorter bucket starting where the clock
///   resumes (Lord Howe's `02:30`);
/// - a repeated hour is two buckets, the second marked with [`FOLD`]; both
///   are labelled with their UTC offset (see [`time_label`]).
///
/// Plausible instead lists 24 naive hours for every day (a non-existent hour
/// shows 0, the repeated hour's two halves share one label); this keeps every
/// instant in exactly one bucket and every label a real local time.
#[must_use]
pub fn hour_bucket(ms: u64, tz: Timezone) -> HourBucket {
    let dt = local_datetime(ms, tz);
    let offset = dt.offset().fix().local_minus_utc();
    let same_offset = |t: u64| local_datetime(t, tz).offset().fix().local_minus_utc() == offset;
    let into_hour = u64::from(dt.minute()) * 60_000
        + u64::from(dt.second()) * 1000
        + u64::from(dt.nanosecond() / 1_000_000);
    // Where the clock read HH:00 and will read HH+1:00 at this offset, unless
    // the offset changes in between: then the bucket ends at the change.
    let hour_start = ms.saturating_sub(into_hour);
    let hour_end = hour_start + HOUR_MS;
    let start = if same_offset(hour_start) {
        hour_start
    } else {
        first_where(hour_start, ms, same_offset)
    };
    let end = if same_offset(hour_end - 1) {
        hour_end
    } else {
        first_where(ms, hour_end - 1, |t| !same_offset(t))
    };
    let hour_of = |d: &DateTime<chrono_tz::Tz>| (d.date_naive(), d.hour());
    let fold = start > 0 && hour_of(&local_datetime(start - 1, tz)) == hour_of(&dt);
    HourBucket {
        value: u64::from(day_number(dt.date_naive())) * 24
            + u64::from(dt.hour())
            + if fold { FOLD } else { 0 },
        start_ms: start,
        end_ms: end,
    }
}

/// The first instant in `(lo, hi]` where `holds`, which is false at `lo`,
/// true at `hi` and changes once in between.
fn first_where(mut lo: u64, mut hi: u64, holds: impl Fn(u64) -> bool) -> u64 {
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if holds(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    hi
}

/// Where the hour bucket `raw` starts: the first minute of its local hour
/// that exists (for a [`FOLD`] bucket, the first that is repeated, at the
/// later offset). `None` for an hour the zone skips.
#[must_use]
pub fn hour_start(raw: u64, tz: Timezone) -> Option<u64> {
    let fold = raw & FOLD != 0;
    let base = raw & !FOLD;
    let hour = u32::try_from(base % 24).ok()?;
    let naive = day_date(base / 24).and_hms_opt(hour, 0, 0)?;
    let t = (0..60).find_map(|m| {
        let at = naive.checked_add_signed(chrono::Duration::minutes(m))?;
        match (tz.tz().from_local_datetime(&at), fold) {
            (LocalResult::Single(t) | LocalResult::Ambiguous(t, _), false)
            | (LocalResult::Ambiguous(_, t), true) => Some(t),
            _ => None,
        }
    })?;
    u64::try_from(t.timestamp_millis()).ok()
}

/// Label of an instant as an hour bucket's start: `2024-03-15 10:00:00`, with
/// its UTC offset appended when that local time occurs twice
/// (`2020-10-25 02:00:00+02:00` and `2020-10-25 02:00:00+01:00`).
fn label_at(ms: u64, tz: Timezone) -> String {
    let dt = local_datetime(ms, tz);
    let local = dt.naive_local();
    let text = local.format("%Y-%m-%d %H:%M:%S");
    if matches!(
        tz.tz().from_local_datetime(&local),
        LocalResult::Ambiguous(..)
    ) {
        format!("{text}{}", dt.format("%:z"))
    } else {
        text.to_string()
    }
}

/// Text of a time bucket in `tz`: `2024-03-15` for a day or a week (its
/// Monday), `2024-03-01` for a month, and for an hour the local time it starts
/// at, `2024-03-15 10:00:00` (see [`hour_bucket`] and `label_at` for the hours
/// around a transition).
#[must_use]
pub fn time_label(dim: &Dimension, raw: u64, tz: Timezone) -> String {
    match dim {
        Dimension::Hour => hour_start(raw, tz).map_or_else(
            || {
                let base = raw & !FOLD;
                format!("{} {:02}:00:00", day_date(base / 24), base % 24)
            },
            |ms| label_at(ms, tz),
        ),
        Dimension::Month => format!("{:04}-{:02}-01", raw / 12, raw % 12 + 1),
        _ => day_date(raw).to_string(),
    }
}

/// Sort key of a time bucket: chronological, a [`FOLD`] hour right after its
/// first occurrence.
#[must_use]
pub fn bucket_order(raw: u64) -> u64 {
    ((raw & !FOLD) << 1) | u64::from(raw & FOLD != 0)
}

/// Every bucket of `dim` overlapping `[from_ms, to_ms)` in `tz`, in order:
/// the rows of a timeseries, empty ones included.
#[must_use]
pub fn time_buckets(dim: &Dimension, from_ms: u64, to_ms: u64, tz: Timezone) -> Vec<u64> {
    let mut out = Vec::new();
    if to_ms <= from_ms {
        return out;
    }
    if *dim == Dimension::Hour {
        let mut t = from_ms;
        while t < to_ms {
            let b = hour_bucket(t, tz);
            out.push(b.value);
            t = b.end_ms;
        }
        return out;
    }
    for day in local_day(from_ms, tz)..=local_day(to_ms - 1, tz) {
        let v = date_bucket(dim, day_date(u64::from(day)));
        if out.last() != Some(&v) {
            out.push(v);
        }
    }
    out
}

/// Most interned texts a [`Texts`] keeps; past it the cache starts over, so
/// resolving the groups of a breakdown with a value per event (a property
/// holding an order id) doesn't hold them all.
const TEXT_CACHE_MAX: usize = 16_384;

/// Resolves raw values to text, caching interned strings for one query.
pub struct Texts<'a> {
    view: &'a ReadView,
    cache: RefCell<HashMap<u32, String>>,
    /// Texts no visit has (imported ones), under ids counted down from
    /// `u32::MAX`, far from the interned ids counted up from 1.
    extra: RefCell<HashMap<String, u32>>,
    /// The same, by id.
    extra_ids: RefCell<HashMap<u32, String>>,
}

impl<'a> Texts<'a> {
    /// Resolves through `view`.
    #[must_use]
    pub fn new(view: &'a ReadView) -> Self {
        Self {
            view,
            cache: RefCell::new(HashMap::new()),
            extra: RefCell::new(HashMap::new()),
            extra_ids: RefCell::new(HashMap::new()),
        }
    }

    /// Text of an interned id.
    ///
    /// # Errors
    /// Storage errors.
    pub fn string(&self, id: u32) -> Result<String, StoreError> {
        if let Some(s) = self.cache.borrow().get(&id) {
            return Ok(s.clone());
        }
        if let Some(s) = self.extra_ids.borrow().get(&id) {
            return Ok(s.clone());
        }
        let s = self.view.string(id)?;
        let mut cache = self.cache.borrow_mut();
        if cache.len() >= TEXT_CACHE_MAX {
            cache.clear();
        }
        cache.insert(id, s.clone());
        Ok(s)
    }

    /// The raw value of a text of a string dimension: its interned id, or
    /// (for a text no visit has, e.g. an imported one) an id valid for this
    /// `Texts` only; 0 for the empty text.
    ///
    /// # Errors
    /// Storage errors.
    pub fn raw_of(&self, text: &str) -> Result<u64, StoreError> {
        if text.is_empty() {
            return Ok(0);
        }
        if let Some(id) = self.extra.borrow().get(text) {
            return Ok(u64::from(*id));
        }
        if let Some(id) = self.view.string_id(text)? {
            return Ok(u64::from(id));
        }
        let mut extra = self.extra.borrow_mut();
        let id = u32::MAX - u32::try_from(extra.len()).unwrap_or(u32::MAX - 1);
        extra.insert(text.to_owned(), id);
        self.extra_ids.borrow_mut().insert(id, text.to_owned());
        Ok(u64::from(id))
    }

    /// Interned id of a text, if any visit ever had it.
    ///
    /// # Errors
    /// Storage errors.
    pub fn id_of(&self, text: &str) -> Result<Option<u32>, StoreError> {
        self.view.string_id(text)
    }

    /// Text of a dimension value; empty when the value is unset.
    ///
    /// # Errors
    /// Storage errors.
    pub fn text(&self, dim: &Dimension, raw: u64) -> Result<String, StoreError> {
        let id = u32::try_from(raw).unwrap_or(0);
        Ok(match dim {
            Dimension::Source if raw == 0 => DIRECT.to_owned(),
            Dimension::Name if raw == 0 => "pageview".to_owned(),
            Dimension::Channel => Channel::from_code(u8::try_from(raw).unwrap_or(0))
                .map_or(String::new(), |c| c.as_str().to_owned()),
            Dimension::ClickId => ClickKind::from_code(u8::try_from(raw).unwrap_or(0))
                .map_or(String::new(), |c| c.as_str().to_owned()),
            Dimension::Device => Device::from_code(u8::try_from(raw).unwrap_or(0))
                .map_or(String::new(), |d| d.as_str().to_owned()),
            Dimension::Currency if raw == 0 => String::new(),
            Dimension::Currency => {
                let b = u32::try_from(raw).unwrap_or(0).to_be_bytes();
                String::from_utf8_lossy(&b[1..]).into_owned()
            }
            Dimension::Country => {
                let b = u16::try_from(raw).unwrap_or(0).to_be_bytes();
                if b == [0, 0] {
                    String::new()
                } else {
                    String::from_utf8_lossy(&b).into_owned()
                }
            }
            // Without a zone: UTC. Reports label time buckets with
            // `time_label` in the query's zone.
            d if d.is_time() => time_label(d, raw, Timezone::default()),
            _ => self.string(id)?,
        })
    }
}

/// The date of a day-number bucket.
fn day_date(bucket: u64) -> NaiveDate {
    date_of_day(u32::try_from(bucket).unwrap_or(u32::MAX))
}

#[cfg(test)]
#[path = "values_tests.rs"]
mod tests;
