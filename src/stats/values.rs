//! Dimension values: the compact number a dimension has on a visit or event
//! (an interned id, an enum code, a time bucket), and its text for output and
//! for filters. Text lookups are cached per query.

use std::{cell::RefCell, collections::HashMap};

use chrono::{Datelike, NaiveDate, Timelike};

use super::query::Dimension;
use crate::{
    domain::{
        Timezone,
        calendar::{date_of_day, day_number, local_datetime},
    },
    ingest::{
        acquisition::{Channel, ClickKind},
        useragent::Device,
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
        other => return visit_raw(other, s),
    })
}

/// Time bucket of an instant: local day, hour (day*24+h), Monday of the week, or month (y*12+m0).
#[must_use]
pub fn time_bucket(dim: &Dimension, ms: u64, tz: Timezone) -> u64 {
    let dt = local_datetime(ms, tz);
    let day = u64::from(day_number(dt.date_naive()));
    match dim {
        Dimension::Hour => day * 24 + u64::from(dt.hour()),
        Dimension::Week => day - u64::from(dt.weekday().num_days_from_monday()),
        Dimension::Month => u64::try_from(dt.year()).unwrap_or(0) * 12 + u64::from(dt.month0()),
        _ => day,
    }
}

/// Resolves raw values to text, caching interned strings for one query.
pub struct Texts<'a> {
    view: &'a ReadView,
    cache: RefCell<HashMap<u32, String>>,
}

impl<'a> Texts<'a> {
    /// Resolves through `view`.
    #[must_use]
    pub fn new(view: &'a ReadView) -> Self {
        Self {
            view,
            cache: RefCell::new(HashMap::new()),
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
        let s = self.view.string(id)?;
        self.cache.borrow_mut().insert(id, s.clone());
        Ok(s)
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
            Dimension::Country => {
                let b = u16::try_from(raw).unwrap_or(0).to_be_bytes();
                if b == [0, 0] {
                    String::new()
                } else {
                    String::from_utf8_lossy(&b).into_owned()
                }
            }
            Dimension::Day | Dimension::Week => day_date(raw).to_string(),
            Dimension::Hour => format!("{} {:02}:00:00", day_date(raw / 24), raw % 24),
            Dimension::Month => format!("{:04}-{:02}-01", raw / 12, raw % 12 + 1),
            _ => self.string(id)?,
        })
    }
}

/// The date of a day-number bucket.
fn day_date(bucket: u64) -> NaiveDate {
    date_of_day(u32::try_from(bucket).unwrap_or(u32::MAX))
}
