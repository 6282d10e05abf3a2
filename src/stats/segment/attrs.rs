//! One dimension and the visitor of every visit in a range, for the reports
//! that join visits to leads (attribution, the revenue report, the leads
//! behind a report row): completed days come from their segments' three
//! columns, the rest from the visit rows.

use std::ops::ControlFlow;

use super::{
    Need,
    parts::{Part, for_each_part},
    slot,
};
use crate::{
    stats::{query::Dimension, values::visit_raw},
    store::{ReadView, Site, StoreError, Visit, record::SessionRecord},
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
    range: (u64, u64),
    dim: &Dimension,
    mut f: impl FnMut(u64, u64, u64),
) -> Result<(), StoreError> {
    let _gate = crate::stats::gate::enter(view);
    let slot = slot(dim);
    let mut need = Need {
        visitor_ids: true,
        ..Need::default()
    };
    if let Some(s) = slot {
        need.dims[s] = true;
    }
    for_each_part(
        view,
        (site.id, site.timezone),
        range,
        &need,
        |part| match (part, slot) {
            (Part::Segment(seg), Some(s)) => {
                for i in 0..seg.visits {
                    f(seg.start_ms(i), seg.visitor_id(i), u64::from(seg.dim(s, i)));
                }
                Ok(())
            }
            (Part::Segment(seg), None) => rows(view, site, (seg.from_ms, seg.to_ms), dim, &mut f),
            (Part::Rows(from, to), _) => rows(view, site, (from, to), dim, &mut f),
        },
    )
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
    view.for_each_visit_data(site.id, from_ms, to_ms, |key, data| {
        let bytes = match data {
            Visit::Row(bytes) => bytes,
            // A cold day's visit comes decoded (`store::cold`).
            Visit::Record(r) => {
                f(key.start_ms, r.visitor, visit_raw(dim, r));
                return ControlFlow::Continue(());
            }
        };
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
