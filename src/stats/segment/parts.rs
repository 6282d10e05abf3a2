//! A range of visits as its parts: completed days with a segment, and the
//! stretches between them read from rows. Every reader of segments (the
//! scan engine, attribution's visit attributes, lead scoring) walks a
//! range this way.

use super::{DaySegment, Need, read};
use crate::{
    domain::{
        SiteId, Timezone,
        calendar::{days_to_ms, local_day},
    },
    stats::engine::{SEGMENT_DAYS_READ, segments_enabled},
    store::{ReadView, StoreError},
};

/// 9999-12-31T23:59:59.999Z, unix ms.
const LAST_MS: u64 = 253_402_300_799_999;

/// One part of a range, in time order.
pub enum Part<'s> {
    /// Visits starting in `[from_ms, to_ms)`: read them from rows.
    Rows(u64, u64),
    /// A whole local day, from its segment.
    Segment(&'s DaySegment),
}

/// Calls `f` with the parts of `[from_ms, to_ms)` for `site`: each whole
/// local day of `tz` that is rolled up and has a segment of `tz` as a
/// [`Part::Segment`] (loaded with `need`), the rest as [`Part::Rows`]
/// (possibly empty). With segments turned off (tests), all rows.
///
/// # Errors
/// Storage errors, a corrupt segment, or what `f` fails with.
pub fn for_each_part(
    view: &ReadView,
    (site, tz): (SiteId, Timezone),
    (from_ms, to_ms): (u64, u64),
    need: &Need,
    mut f: impl FnMut(Part<'_>) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let mut cursor = from_ms;
    if segments_enabled() && from_ms < to_ms {
        // An open end (`u64::MAX`) is beyond any date: stop at 9999-12-31.
        let last_ms = (to_ms - 1).min(LAST_MS);
        let (first, last) = (local_day(from_ms.min(last_ms), tz), local_day(last_ms, tz));
        for day in view.rolled_days(site, first, last)? {
            let (dfrom, dto) = days_to_ms(day, day, tz);
            if dfrom < from_ms || dto > to_ms {
                continue;
            }
            let Some(seg) = read(view, site, day, need)? else {
                continue;
            };
            if seg.from_ms != dfrom || seg.to_ms != dto || seg.tz != tz.tz().name() {
                continue;
            }
            f(Part::Rows(cursor, dfrom))?;
            f(Part::Segment(&seg))?;
            SEGMENT_DAYS_READ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            cursor = dto;
        }
    }
    f(Part::Rows(cursor, to_ms))
}
