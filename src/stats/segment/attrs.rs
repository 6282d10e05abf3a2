//! One dimension and the visitor of every visit in a range, for the reports
//! that join visits to leads (attribution, the revenue report, the leads
//! behind a report row): completed days come from their segments' three
//! columns, the rest from the visit rows.

use std::ops::ControlFlow;

use super::{Need, read, slot};
use crate::{
    domain::calendar::{days_to_ms, local_day},
    stats::{
        engine::{SEGMENT_DAYS_READ, segments_enabled},
        query::Dimension,
        values::visit_raw,
    },
    store::{ReadView, Site, StoreError, record::SessionRecord},
};

/// Calls `f(start_ms, visitor id, raw value of dim)` for every visit of
/// `site` that started in `[from_ms, to_ms)`, in start order. `dim` is a
/// visit-level dimension (one [`slot`] names); for any other every visit
/// reads 0. Segments are those of the site's zone, as the rollup job wrote them.
///
/// # Errors
/// Storage errors, or a corrupt row or segment.
pub fn for_each_visit(
    view: &ReadView,
    site: &Site,
    (from_ms, to_ms): (u64, u64),
    dim: &Dimension,
    mut f: impl FnMut(u64, u64, u64),
) -> Result<(), StoreError> {
    let mut cursor = from_ms;
    let tz = site.timezone;
    if let Some(s) = slot(dim).filter(|_| segments_enabled() && from_ms < to_ms) {
        let mut need = Need {
            visitor_ids: true,
            ..Need::default()
        };
        need.dims[s] = true;
        let (first, last) = (local_day(from_ms, tz), local_day(to_ms - 1, tz));
        for day in view.rolled_days(site.id, first, last)? {
            let (dfrom, dto) = days_to_ms(day, day, tz);
            if dfrom < from_ms || dto > to_ms {
                continue;
            }
            let Some(seg) = read(view, site.id, day, &need)? else {
                continue;
            };
            if seg.from_ms != dfrom || seg.to_ms != dto || seg.tz != tz.tz().name() {
                continue;
            }
            rows(view, site, (cursor, dfrom), dim, &mut f)?;
            for i in 0..seg.visits {
                f(seg.start_ms(i), seg.visitor_id(i), u64::from(seg.dim(s, i)));
            }
            SEGMENT_DAYS_READ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            cursor = dto;
        }
    }
    rows(view, site, (cursor, to_ms), dim, &mut f)
}

fn rows(
    view: &ReadView,
    site: &Site,
    (from_ms, to_ms): (u64, u64),
    dim: &Dimension,
    f: &mut impl FnMut(u64, u64, u64),
) -> Result<(), StoreError> {
    let mut rec = SessionRecord::default();
    // Entry and exit pages come from the events.
    let events = matches!(dim, Dimension::EntryPage | Dimension::ExitPage);
    view.for_each_session(site.id, from_ms, to_ms, |key, bytes| {
        let decoded = if events {
            rec.decode_into(bytes)
        } else {
            rec.decode_header(bytes).map(|_| ())
        };
        if let Err(e) = decoded {
            return ControlFlow::Break(e.into());
        }
        f(key.start_ms, rec.visitor, visit_raw(dim, &rec));
        ControlFlow::Continue(())
    })
}
