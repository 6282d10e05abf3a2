//! Reading cold days: their visits merged with the rows in key order.

use std::ops::ControlFlow;

use super::{ColdTable, SegmentTable, VisitTable, each_visit, overlapping};
use crate::{
    domain::SiteId,
    store::{SessionKey, StoreError, codec::CodecError, record::SessionRecord},
};

/// A visit as it is stored: a row's bytes, or a cold day's visit as its
/// segment gives it (see `ReadView::for_each_visit_data`).
#[derive(Debug, Clone, Copy)]
pub enum Visit<'a> {
    /// An encoded visit row.
    Row(&'a [u8]),
    /// A visit decoded from a cold day's segment.
    Record(&'a SessionRecord),
}

/// Calls `f` with the rows of `site` keyed from `lo` (inclusive) to `hi`
/// (exclusive), each (start ms, id).
fn rows_between(
    sessions: &impl VisitTable,
    site: SiteId,
    lo: (u64, u64),
    hi: (u64, u64),
    f: &mut impl FnMut(SessionKey, Visit<'_>) -> ControlFlow<StoreError>,
) -> Result<(), StoreError> {
    if lo >= hi {
        return Ok(());
    }
    for row in sessions.range((site.0, lo.0, lo.1)..(site.0, hi.0, hi.1))? {
        let (k, v) = row?;
        let (_, start_ms, id) = k.value();
        if let ControlFlow::Break(e) = f(SessionKey { site, start_ms, id }, Visit::Row(v.value())) {
            return Err(e);
        }
    }
    Ok(())
}

/// The key just after `(start_ms, id)`.
fn after((start_ms, id): (u64, u64)) -> (u64, u64) {
    match id.checked_add(1) {
        Some(next) => (start_ms, next),
        None => (start_ms.saturating_add(1), 0),
    }
}

/// The tables [`merge`] reads: visit rows, cold marks, segments.
type VisitTables<'a, V, C, S> = (&'a V, &'a C, &'a S);

impl<'a> Visit<'a> {
    /// Calls `f` with the visit as row bytes (a cold day's visit encoded).
    pub fn with_bytes<R>(self, f: impl FnOnce(&[u8]) -> R) -> R {
        match self {
            Self::Row(bytes) => f(bytes),
            Self::Record(rec) => f(&rec.encode()),
        }
    }

    /// The visit decoded: a row into `rec`, a cold day's visit as it is.
    ///
    /// # Errors
    /// A corrupt row.
    pub fn decoded<'r>(self, rec: &'r mut SessionRecord) -> Result<&'r SessionRecord, CodecError>
    where
        'a: 'r,
    {
        match self {
            Self::Row(bytes) => {
                rec.decode_into(bytes)?;
                Ok(rec)
            }
            Self::Record(r) => Ok(r),
        }
    }
}

/// Calls `f` with every visit of `site` that started in `[from_ms, to_ms)`
/// as it is stored, rows and cold days' visits merged in key order, until
/// it breaks.
///
/// # Errors
/// Storage errors, a corrupt cold segment, or the error `f` breaks with.
pub(in crate::store) fn merge(
    (sessions, cold, segs): VisitTables<'_, impl VisitTable, impl ColdTable, impl SegmentTable>,
    site: SiteId,
    from_ms: u64,
    to_ms: u64,
    mut f: impl FnMut(SessionKey, Visit<'_>) -> ControlFlow<StoreError>,
) -> Result<(), StoreError> {
    let mut cursor = (from_ms, 0);
    for c in overlapping(cold, site, from_ms, to_ms)? {
        let (lo, hi) = (c.from_ms.max(from_ms), c.to_ms.min(to_ms));
        rows_between(sessions, site, cursor, (lo, 0), &mut f)?;
        // Rows inside a cold day: none while every write to one thaws it;
        // merged one by one if there ever are.
        let strays = sessions
            .range((site.0, lo, 0)..(site.0, hi, 0))?
            .next()
            .is_some();
        let mut at = (lo, 0);
        let mut stop = None;
        each_visit(segs, site, c.day, |start, id, rec| {
            if start < lo {
                return ControlFlow::Continue(());
            }
            if start >= hi {
                return ControlFlow::Break(());
            }
            if strays {
                if let Err(e) = rows_between(sessions, site, at, (start, id), &mut f) {
                    stop = Some(e);
                    return ControlFlow::Break(());
                }
                at = after((start, id));
            }
            let key = SessionKey {
                site,
                start_ms: start,
                id,
            };
            match f(key, Visit::Record(rec)) {
                ControlFlow::Continue(()) => ControlFlow::Continue(()),
                ControlFlow::Break(e) => {
                    stop = Some(e);
                    ControlFlow::Break(())
                }
            }
        })?;
        if let Some(e) = stop {
            return Err(e);
        }
        if strays {
            rows_between(sessions, site, at, (hi, 0), &mut f)?;
        }
        cursor = (hi, 0);
    }
    rows_between(sessions, site, cursor, (to_ms, 0), &mut f)
}

/// One visit of a cold day by key, as row bytes.
pub(in crate::store) fn visit_row(
    (cold, segs): (&impl ColdTable, &impl SegmentTable),
    key: SessionKey,
) -> Result<Option<Vec<u8>>, StoreError> {
    let mut out = None;
    for c in overlapping(cold, key.site, key.start_ms, key.start_ms.saturating_add(1))? {
        each_visit(segs, key.site, c.day, |start, id, rec| {
            if (start, id) < (key.start_ms, key.id) {
                return ControlFlow::Continue(());
            }
            if (start, id) == (key.start_ms, key.id) {
                out = Some(rec.encode());
            }
            ControlFlow::Break(())
        })?;
    }
    Ok(out)
}
