//! Day segments in reports: a closed day's visits stored column by column
//! (the format is `store::columns`), written by the rollup job beside the
//! day's rollups, so a filtered report reads only the columns its filter and
//! groupings touch instead of decoding every visit row.
//!
//! A segment holds exactly what the scan engine reads of a visit (its
//! dimension values as [`visit_raw`](super::values::visit_raw) gives them,
//! bounce, duration, its events' pages, names, pageview flags, properties,
//! revenue and engagement), so scanning a segment and scanning the rows give
//! the same sums; the property test in `tests.rs` checks that on random data.
//!
//! A segment is valid exactly while its day is marked rolled up: every change
//! to the day's visits removes the mark, and the next rollup run rewrites
//! both.

mod attrs;
mod parts;
mod visit;

#[cfg(test)]
mod cold_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod whole_tests;

pub use attrs::for_each_visit;
pub use parts::{Part, for_each_part};
pub use visit::SegVisit;

use super::query::Dimension;
pub use crate::store::columns::{
    Builder, DaySegment, EV_PAGEVIEW, Extra, F_BOUNCE, F_EXTRAS, Need, VISIT_FIELDS, WholeVisit,
    col, packed, unpack, whole_visits,
};
use crate::{
    domain::SiteId,
    store::{ReadView, StoreError},
};

/// Visit-level dimensions a segment stores, in column order: the report
/// dimensions of [`VISIT_FIELDS`] (a test keeps the two lists in step).
pub const VISIT_DIMS: [Dimension; 20] = [
    Dimension::EntryPage,
    Dimension::ExitPage,
    Dimension::Source,
    Dimension::Referrer,
    Dimension::Channel,
    Dimension::Utm(0),
    Dimension::Utm(1),
    Dimension::Utm(2),
    Dimension::Utm(3),
    Dimension::Utm(4),
    Dimension::ClickId,
    Dimension::Device,
    Dimension::Browser,
    Dimension::BrowserVersion,
    Dimension::Os,
    Dimension::OsVersion,
    Dimension::Country,
    Dimension::Region,
    Dimension::City,
    Dimension::Hostname,
];

/// Position of a visit-level dimension in [`VISIT_DIMS`].
#[must_use]
pub fn slot(d: &Dimension) -> Option<usize> {
    VISIT_DIMS.iter().position(|v| v == d)
}

/// Adds to `need` what reading `d` takes.
pub fn add_need(need: &mut Need, d: &Dimension) {
    if let Some(s) = slot(d) {
        need.dims[s] = true;
    }
    if d.is_event_level() {
        need.events = true;
    }
    if matches!(d, Dimension::Prop(_) | Dimension::Currency) {
        need.extras = true;
    }
}

/// The columns `need` asks for of a day's segment; `None` if the day has
/// none, or one of another format (reports then read the rows).
///
/// # Errors
/// Storage errors, or a missing or corrupt column.
pub fn read(
    view: &ReadView,
    site: SiteId,
    day: u32,
    need: &Need,
) -> Result<Option<DaySegment>, StoreError> {
    let header = match view.segment_column(site, day, col::HEADER)? {
        Some(h)
            if h.first()
                .is_some_and(|f| crate::store::columns::readable(*f)) =>
        {
            h
        }
        _ => return Ok(None),
    };
    let mut header = Some(header);
    DaySegment::load(
        // The header was just read: hand it over instead of reading it again.
        |c| match header.take_if(|_| c == col::HEADER) {
            Some(h) => Ok(Some(h)),
            None => view.segment_column(site, day, c),
        },
        need,
    )
    .map(Some)
}
