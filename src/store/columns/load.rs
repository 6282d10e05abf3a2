//! Reading a segment back: the columns a scan needs, decoded.

use super::{CodecError, Extra, Reader, VISIT_FIELDS, col, unpack};
use crate::store::record::{Engagement, Revenue};

pub(super) fn undictionary(b: &[u8], n: usize) -> Result<Vec<u32>, CodecError> {
    let mut r = Reader::new(b);
    let len = r.u64()?;
    let dict = (0..len).map(|_| r.u32()).collect::<Result<Vec<_>, _>>()?;
    let codes = unpack(r.rest(), n)?;
    if dict.is_empty() {
        return if n == 0 {
            Ok(Vec::new())
        } else {
            Err(CodecError("segment dictionary empty"))
        };
    }
    codes
        .into_iter()
        .map(|c| {
            dict.get(c as usize)
                .copied()
                .ok_or(CodecError("segment dictionary code"))
        })
        .collect()
}

/// Which optional columns a scan reads.
#[derive(Debug, Clone, Default)]
pub struct Need {
    /// Visit fields, by position in [`VISIT_FIELDS`].
    pub dims: [bool; VISIT_FIELDS.len()],
    /// Event pages, names and flags.
    pub events: bool,
    /// Event properties, revenue and engagement.
    pub extras: bool,
    /// The visitors' ids.
    pub visitor_ids: bool,
    /// The events' times.
    pub offsets: bool,
}

/// Most visits, events or visitors a segment may count (2^28): a day with
/// more is a corrupt header, refused before columns are sized by it.
const MAX_DAY_ITEMS: usize = 1 << 28;

/// A loaded segment: the columns a scan asked for, decoded.
#[derive(Debug, Default, PartialEq)]
pub struct DaySegment {
    /// Visits.
    pub visits: usize,
    /// Distinct visitors.
    pub visitors: usize,
    /// The day's bounds, unix ms.
    pub from_ms: u64,
    /// End of the day (exclusive).
    pub to_ms: u64,
    /// The zone the day is local to (IANA name).
    pub tz: String,
    pub(crate) start: Vec<u32>,
    pub(crate) visitor: Vec<u32>,
    /// Visitor ids by dense index (when asked for).
    visitor_ids: Vec<u64>,
    pub(crate) flags: Vec<u8>,
    pub(crate) duration: Vec<u32>,
    /// Index of each visit's first event, and the total at the end.
    pub(crate) ev_start: Vec<u32>,
    pub(crate) pageviews: Vec<u32>,
    pub(crate) dims: Vec<Option<Vec<u32>>>,
    pub(crate) ev_path: Vec<u32>,
    pub(crate) ev_name: Vec<u32>,
    pub(crate) ev_flags: Vec<u8>,
    ev_offset: Vec<u32>,
    /// (event index, extra), by index.
    pub(crate) extras: Vec<(u32, Extra)>,
}

impl DaySegment {
    /// Decodes the header and the columns `need` asks for, fetching each
    /// column's bytes through `get` (`None`: missing, a corrupt segment).
    ///
    /// # Errors
    /// A missing or corrupt column, or what `get` fails with.
    pub fn load<E: From<CodecError>>(
        mut get: impl FnMut(u8) -> Result<Option<Vec<u8>>, E>,
        need: &Need,
    ) -> Result<Self, E> {
        let mut col = |c: u8| -> Result<Vec<u8>, E> {
            get(c)?.ok_or_else(|| CodecError("segment column missing").into())
        };
        let header = col(col::HEADER)?;
        let mut r = Reader::new(&header);
        let format = r.u8()?;
        if !super::readable(format) {
            return Err(CodecError("segment format").into());
        }
        // Counts past what a day can hold are a corrupt header: refused
        // before anything is sized by them.
        let mut count = || -> Result<usize, CodecError> {
            usize::try_from(r.u64()?)
                .ok()
                .filter(|n| *n <= MAX_DAY_ITEMS)
                .ok_or(CodecError("segment size"))
        };
        let (visits, events, visitors) = (count()?, count()?, count()?);
        if visitors > visits {
            return Err(CodecError("segment size").into());
        }
        let (from_ms, to_ms) = (r.u64()?, r.u64()?);
        if to_ms < from_ms {
            return Err(CodecError("segment bounds").into());
        }
        let tz_len = usize::try_from(r.u64()?).map_err(|_| CodecError("segment size"))?;
        let tz = r.rest().get(..tz_len).ok_or(CodecError("segment zone"))?;
        let tz = String::from_utf8(tz.to_vec()).map_err(|_| CodecError("segment zone"))?;
        let counts = unpack(&col(col::EVENTS)?, visits)?;
        let mut ev_start = Vec::with_capacity(visits + 1);
        let mut at = 0u32;
        for n in counts {
            ev_start.push(at);
            at = at.checked_add(n).ok_or(CodecError("segment event count"))?;
        }
        ev_start.push(at);
        if at as usize != events {
            return Err(CodecError("segment event count").into());
        }
        let flags = flag_column(format, &col(col::FLAGS)?, visits)?;
        let mut dims = vec![None; VISIT_FIELDS.len()];
        for (i, wanted) in need.dims.iter().enumerate() {
            if *wanted {
                let c = col::DIMS + u8::try_from(i).unwrap_or(0);
                dims[i] = Some(undictionary(&col(c)?, visits)?);
            }
        }
        let (ev_path, ev_name, ev_flags) = if need.events {
            let f = flag_column(format, &col(col::EV_FLAGS)?, events)?;
            (
                undictionary(&col(col::EV_PATH)?, events)?,
                undictionary(&col(col::EV_NAME)?, events)?,
                f,
            )
        } else {
            Default::default()
        };
        Ok(Self {
            visits,
            visitors,
            from_ms,
            to_ms,
            tz,
            start: {
                let start = running_sum(unpack(&col(col::START)?, visits)?)?;
                // Every visit starts inside the day.
                if start
                    .last()
                    .is_some_and(|&s| u64::from(s) >= to_ms - from_ms)
                {
                    return Err(CodecError("segment start").into());
                }
                start
            },
            visitor: {
                let v = unpack(&col(col::VISITOR)?, visits)?;
                if v.iter().any(|&i| i as usize >= visitors) {
                    return Err(CodecError("segment visitor index").into());
                }
                v
            },
            visitor_ids: if need.visitor_ids {
                let b = col(col::VISITOR_IDS)?;
                if b.len() != visitors * 8 {
                    return Err(CodecError("segment column length").into());
                }
                b.chunks_exact(8)
                    .map(|c| u64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
                    .collect()
            } else {
                Vec::new()
            },
            flags,
            duration: unpack(&col(col::DURATION)?, visits)?,
            pageviews: unpack(&col(col::PAGEVIEWS)?, visits)?,
            ev_start,
            dims,
            ev_path,
            ev_name,
            ev_flags,
            ev_offset: if need.offsets {
                unpack(&col(col::EV_OFFSET)?, events)?
            } else {
                Vec::new()
            },
            extras: if need.extras {
                decode_extras(&col(col::EV_EXTRAS)?, events)?
            } else {
                Vec::new()
            },
        })
    }

    /// Start of visit `i`, unix ms.
    #[must_use]
    pub fn start_ms(&self, i: usize) -> u64 {
        self.from_ms + u64::from(self.start[i])
    }

    /// Visitor id (the row's daily-salted hash) of visit `i`; needs
    /// [`Need::visitor_ids`].
    #[must_use]
    pub fn visitor_id(&self, i: usize) -> u64 {
        self.visitor_ids[self.visitor[i] as usize]
    }

    /// Every visitor id of the day, by dense index; needs
    /// [`Need::visitor_ids`].
    #[must_use]
    pub fn visitor_ids(&self) -> &[u64] {
        &self.visitor_ids
    }

    /// Stored value of visit field `slot` (its position in
    /// [`VISIT_FIELDS`]) for visit `i`; needs that field in [`Need::dims`].
    #[must_use]
    pub fn dim(&self, slot: usize, i: usize) -> u32 {
        self.dims[slot]
            .as_ref()
            .expect("the dimension was asked for")[i]
    }

    /// The day-wide indices of visit `i`'s events (for the `event_*` readers).
    #[must_use]
    pub fn events_of(&self, i: usize) -> std::ops::Range<usize> {
        self.ev_start[i] as usize..self.ev_start[i + 1] as usize
    }

    /// Event `k`'s time, ms after its visit's start; needs [`Need::offsets`].
    #[must_use]
    pub fn event_offset(&self, k: usize) -> u32 {
        self.ev_offset[k]
    }

    /// Event `k`'s page and name (interned ids; the name 0 for a pageview)
    /// and whether it is a pageview; needs [`Need::events`].
    #[must_use]
    pub fn event(&self, k: usize) -> (u32, u32, bool) {
        (
            self.ev_path[k],
            self.ev_name[k],
            self.ev_flags[k] & super::EV_PAGEVIEW != 0,
        )
    }

    /// Event `k`'s properties (interned key, value); needs [`Need::extras`].
    #[must_use]
    pub fn event_props(&self, k: usize) -> &[(u32, u32)] {
        let Ok(at) = u32::try_from(k) else {
            return &[];
        };
        self.extras
            .binary_search_by_key(&at, |(i, _)| *i)
            .map_or(&[], |x| self.extras[x].1.props.as_slice())
    }

    /// Dense visitor index of visit `i` (below [`Self::visitors`]).
    #[must_use]
    pub fn visitor(&self, i: usize) -> u32 {
        self.visitor[i]
    }
}

/// A flags column of `n` values: one byte each in a segment of
/// [`super::FORMAT_BYTE_FLAGS`], packed since.
fn flag_column(format: u8, b: &[u8], n: usize) -> Result<Vec<u8>, CodecError> {
    if format == super::FORMAT_BYTE_FLAGS {
        return if b.len() == n {
            Ok(b.to_vec())
        } else {
            Err(CodecError("segment column length"))
        };
    }
    unpack(b, n)?
        .into_iter()
        .map(|f| u8::try_from(f).map_err(|_| CodecError("segment flags")))
        .collect()
}

fn decode_extras(b: &[u8], events: usize) -> Result<Vec<(u32, Extra)>, CodecError> {
    let mut r = Reader::new(b);
    let mut out = Vec::new();
    let mut index = 0u32;
    while !r.is_empty() {
        index = index
            .checked_add(r.u32()?)
            .filter(|i| (*i as usize) < events)
            .ok_or(CodecError("segment extra index"))?;
        let n = r.u64()?;
        let mut e = Extra::default();
        for _ in 0..n.min(1 << 16) {
            e.props.push((r.u32()?, r.u32()?));
        }
        if r.u8()? == 1 {
            let currency = r.array::<3>()?;
            e.revenue = Some(Revenue {
                currency,
                amount_micros: r.i64()?,
            });
        }
        if r.u8()? == 1 {
            let engaged_ms = r.u32()?;
            let scroll = r.u8()?;
            e.engagement = Some(Engagement {
                engaged_ms,
                scroll: scroll.checked_sub(1),
            });
        }
        out.push((index, e));
    }
    Ok(out)
}

/// Undoes the builder's differences: each value plus all before it.
fn running_sum(mut v: Vec<u32>) -> Result<Vec<u32>, CodecError> {
    let mut at = 0u32;
    for x in &mut v {
        at = at.checked_add(*x).ok_or(CodecError("segment start"))?;
        *x = at;
    }
    Ok(v)
}
