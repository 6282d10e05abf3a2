//! A segment read back as whole visits: everything its day's rows hold,
//! so a closed day can be read without them.

use std::ops::ControlFlow;

use super::{
    CodecError, DaySegment, EV_INTERACTIVE, Need, VISIT_FIELDS, col, load::undictionary, unzigzag,
};
use crate::store::{
    codec::Reader,
    record::{EventRecord, SessionRecord},
};

/// One visit of a segment: its row's key (start and id) and record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WholeVisit {
    /// Start, unix ms.
    pub start_ms: u64,
    /// The visit's id.
    pub id: u64,
    /// The visit as its row holds it.
    pub record: SessionRecord,
}

/// Every visit of a segment, in row-key order, exactly as the rows it was
/// built from hold them; `None` for a segment written before it held visit
/// ids ([`col::VISIT_ID`]; header version 3). Columns are fetched through
/// `get` as for [`DaySegment::load`]. [`for_each_whole_visit`] reads the
/// same without a record per visit.
///
/// # Errors
/// A missing or corrupt column, or what `get` fails with.
pub fn whole_visits<E: From<CodecError>>(
    get: impl FnMut(u8) -> Result<Option<Vec<u8>>, E>,
) -> Result<Option<Vec<WholeVisit>>, E> {
    let mut out = Vec::new();
    let whole = for_each_whole_visit(get, |start_ms, id, rec| {
        out.push(WholeVisit {
            start_ms,
            id,
            record: rec.clone(),
        });
        ControlFlow::Continue(())
    })?;
    Ok(whole.then_some(out))
}

/// Calls `f(start_ms, id, record)` with every visit of a segment, in
/// row-key order, exactly as its row holds it, reusing one record, until
/// `f` breaks; returns `false` (and calls nothing) for a segment written
/// before it held visit ids, as [`whole_visits`] returns `None`.
///
/// # Errors
/// A missing or corrupt column, or what `get` fails with.
pub fn for_each_whole_visit<E: From<CodecError>>(
    mut get: impl FnMut(u8) -> Result<Option<Vec<u8>>, E>,
    mut f: impl FnMut(u64, u64, &SessionRecord) -> ControlFlow<()>,
) -> Result<bool, E> {
    let Some(ids) = get(col::VISIT_ID)? else {
        // Segments of header version 3 may be from before visit ids; this
        // build always writes them with the later versions.
        let header = get(col::HEADER)?.ok_or(CodecError("segment column missing"))?;
        return match header.first() {
            Some(&super::FORMAT_BYTE_FLAGS) => Ok(false),
            _ => Err(CodecError("segment column missing").into()),
        };
    };
    let need = Need {
        dims: [true; VISIT_FIELDS.len()],
        events: true,
        extras: true,
        visitor_ids: true,
        offsets: true,
    };
    let seg = DaySegment::load(&mut get, &need)?;
    let utm_id = get(col::UTM_ID)?.ok_or(CodecError("segment column missing"))?;
    let utm_id = undictionary(&utm_id, seg.visits)?;
    let mut ids = Reader::new(&ids);
    let mut id = 0u64;
    let mut extras = seg.extras.iter().peekable();
    // Every field is set for each visit: the fields of `VISIT_FIELDS`, the
    // visitor, `utm_id` and the events.
    let mut rec = SessionRecord::default();
    for (i, &utm_id) in utm_id.iter().enumerate() {
        id = id.wrapping_add(unzigzag(ids.u64()?));
        rec.visitor = seg.visitor_id(i);
        for (s, field) in VISIT_FIELDS.iter().enumerate() {
            field.set(&mut rec, seg.dim(s, i))?;
        }
        rec.utm[5] = utm_id;
        rec.events.clear();
        for k in seg.events_of(i) {
            let (path, name, pageview) = seg.event(k);
            let mut e = EventRecord {
                offset_ms: seg.event_offset(k),
                name,
                path,
                pageview,
                interactive: seg.ev_flags[k] & EV_INTERACTIVE != 0,
                ..EventRecord::default()
            };
            if let Some((_, x)) = extras.next_if(|(at, _)| *at as usize == k) {
                e.props.clone_from(&x.props);
                e.revenue = x.revenue;
                e.engagement = x.engagement;
            }
            rec.events.push(e);
        }
        if f(seg.start_ms(i), id, &rec).is_break() {
            return Ok(true);
        }
    }
    if !ids.is_empty() || extras.next().is_some() {
        return Err(CodecError("segment column length").into());
    }
    Ok(true)
}
