//! A segment read back as whole visits: everything its day's rows hold,
//! so a closed day can be read without them.

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
/// ids ([`col::VISIT_ID`]). Columns are fetched through `get` as for
/// [`DaySegment::load`].
///
/// # Errors
/// A missing or corrupt column, or what `get` fails with.
pub fn whole_visits<E: From<CodecError>>(
    mut get: impl FnMut(u8) -> Result<Option<Vec<u8>>, E>,
) -> Result<Option<Vec<WholeVisit>>, E> {
    let Some(ids) = get(col::VISIT_ID)? else {
        return Ok(None);
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
    let mut out = Vec::with_capacity(seg.visits);
    for (i, &utm_id) in utm_id.iter().enumerate() {
        id = id.wrapping_add(unzigzag(ids.u64()?));
        let mut rec = SessionRecord {
            visitor: seg.visitor_id(i),
            ..SessionRecord::default()
        };
        for (s, f) in VISIT_FIELDS.iter().enumerate() {
            f.set(&mut rec, seg.dim(s, i))?;
        }
        rec.utm[5] = utm_id;
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
        out.push(WholeVisit {
            start_ms: seg.start_ms(i),
            id,
            record: rec,
        });
    }
    if !ids.is_empty() || extras.next().is_some() {
        return Err(CodecError("segment column length").into());
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        domain::{Timezone, calendar::days_to_ms},
        store::{
            StoreError,
            columns::Builder,
            record::{Engagement, Revenue},
        },
        test_rng::Rng,
    };

    /// Anything a row can hold: ids from small to the largest.
    fn any(rng: &mut Rng) -> u32 {
        match rng.below(4) {
            0 => 0,
            1 => u32::try_from(rng.below(10)).unwrap(),
            2 => u32::try_from(rng.below(100_000)).unwrap(),
            _ => u32::try_from(rng.below(u64::from(u32::MAX) + 1)).unwrap(),
        }
    }

    fn small(rng: &mut Rng) -> u8 {
        u8::try_from(rng.below(256)).unwrap()
    }

    fn visit(rng: &mut Rng) -> SessionRecord {
        let mut rec = SessionRecord {
            visitor: rng.below(u64::MAX),
            hostname: any(rng),
            referrer: any(rng),
            source: any(rng),
            channel: small(rng),
            click: small(rng),
            country: [small(rng), small(rng)],
            region: any(rng),
            city: any(rng),
            device: small(rng),
            browser: any(rng),
            browser_version: any(rng),
            os: any(rng),
            os_version: any(rng),
            ..SessionRecord::default()
        };
        rec.utm = std::array::from_fn(|_| any(rng));
        let mut offset = 0u32;
        for _ in 0..rng.below(7) {
            offset = offset.saturating_add(any(rng) / 4);
            let mut e = EventRecord {
                offset_ms: offset,
                name: any(rng),
                path: any(rng),
                pageview: rng.below(2) == 0,
                interactive: rng.below(2) == 0,
                ..EventRecord::default()
            };
            for _ in 0..rng.below(4) {
                e.props.push((any(rng), any(rng)));
            }
            if rng.below(3) == 0 {
                e.revenue = Some(Revenue {
                    amount_micros: i64::try_from(rng.below(u64::MAX / 2)).unwrap() - i64::MAX / 4,
                    currency: [small(rng), small(rng), small(rng)],
                });
            }
            if rng.below(3) == 0 {
                e.engagement = Some(Engagement {
                    engaged_ms: any(rng),
                    scroll: [None, Some(0), Some(small(rng) % 101)][rng.below(3) as usize],
                });
            }
            rec.events.push(e);
        }
        rec
    }

    /// Random days of random visits come back from their segment exactly
    /// as they went in: every field of every visit and event, each visit's
    /// start and id.
    #[test]
    fn a_segment_gives_back_every_visit_its_rows_held() {
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        let tz = Timezone::parse("Europe/Berlin").unwrap();
        let (from, to) = days_to_ms(20_000, 20_000, tz);
        for round in 0..40 {
            let mut visits: Vec<WholeVisit> = (0..rng.below(300))
                .map(|_| WholeVisit {
                    start_ms: from + rng.below(to - from),
                    id: match round % 3 {
                        0 => rng.below(1_000),
                        1 => rng.below(u64::MAX),
                        _ => u64::MAX - rng.below(3),
                    },
                    record: visit(&mut rng),
                })
                .collect();
            visits.sort_by_key(|v| (v.start_ms, v.id));
            let mut b = Builder::new(tz, from, to);
            for v in &visits {
                b.push(v.start_ms, v.id, &v.record);
            }
            let cols = b.finish();
            let get = |c: u8| -> Result<Option<Vec<u8>>, StoreError> {
                Ok(cols.iter().find(|(k, _)| *k == c).map(|(_, v)| v.clone()))
            };
            assert_eq!(whole_visits(get).unwrap(), Some(visits), "round {round}");
        }
    }

    /// Columns of a random day, as (code, bytes), and its events.
    fn random_day(rng: &mut Rng, visits: u64) -> (Vec<(u8, Vec<u8>)>, usize) {
        let mut b = Builder::new(Timezone::default(), 0, 86_400_000);
        let mut events = 0;
        for i in 0..visits {
            let v = visit(rng);
            events += v.events.len();
            b.push(i * 1000, i, &v);
        }
        (b.finish(), events)
    }

    /// A segment whose flag columns are a byte a value (header version 3,
    /// written before they were packed) reads as the same visits.
    #[test]
    fn segments_with_byte_flags_still_read() {
        let mut rng = Rng(99);
        let (cols, events) = random_day(&mut rng, 500);
        let bytes = |v: &[u8], n: usize| -> Vec<u8> {
            super::super::unpack(v, n)
                .unwrap()
                .into_iter()
                .map(|f| u8::try_from(f).unwrap())
                .collect()
        };
        let old: Vec<(u8, Vec<u8>)> = cols
            .iter()
            .map(|(c, v)| {
                let v = match *c {
                    col::HEADER => {
                        let mut h = v.clone();
                        h[0] = super::super::FORMAT_BYTE_FLAGS;
                        h
                    }
                    col::FLAGS => bytes(v, 500),
                    col::EV_FLAGS => bytes(v, events),
                    _ => v.clone(),
                };
                (*c, v)
            })
            .collect();
        let get = |cols: &[(u8, Vec<u8>)]| {
            let cols = cols.to_vec();
            move |c: u8| -> Result<Option<Vec<u8>>, StoreError> {
                Ok(cols.iter().find(|(k, _)| *k == c).map(|(_, v)| v.clone()))
            }
        };
        assert_ne!(old, cols);
        let new = whole_visits(get(&cols)).unwrap().unwrap();
        assert_eq!(new.len(), 500);
        assert_eq!(whole_visits(get(&old)).unwrap().unwrap(), new);
        // A version this build doesn't know is an error.
        let mut unknown = cols.clone();
        unknown[0].1[0] = 5;
        assert!(whole_visits(get(&unknown)).is_err());
    }

    /// A visitor index past the day's visitors is an error, not a panic.
    #[test]
    fn a_visitor_index_past_the_visitors_is_an_error() {
        let mut rng = Rng(5);
        let (mut cols, _) = random_day(&mut rng, 50);
        let at = cols.iter().position(|(c, _)| *c == col::VISITOR).unwrap();
        cols[at].1 = super::super::packed(&[u32::MAX; 50]);
        let get = |c: u8| -> Result<Option<Vec<u8>>, StoreError> {
            Ok(cols.iter().find(|(k, _)| *k == c).map(|(_, v)| v.clone()))
        };
        assert!(whole_visits(get).is_err());
    }

    /// A segment without visit ids (written before them) is `None`; without
    /// any other column it is an error.
    #[test]
    fn missing_columns() {
        let mut b = Builder::new(Timezone::default(), 0, 86_400_000);
        let mut rng = Rng(3);
        b.push(5, 9, &visit(&mut rng));
        let cols = b.finish();
        let without = |skip: u8| {
            let cols = &cols;
            move |c: u8| -> Result<Option<Vec<u8>>, StoreError> {
                Ok(cols
                    .iter()
                    .find(|(k, _)| *k == c && *k != skip)
                    .map(|(_, v)| v.clone()))
            }
        };
        assert_eq!(whole_visits(without(u8::MAX)).unwrap().unwrap()[0].id, 9);
        assert_eq!(whole_visits(without(col::VISIT_ID)).unwrap(), None);
        for (code, _) in &cols {
            if *code != col::VISIT_ID {
                assert!(whole_visits(without(*code)).is_err(), "{code}");
            }
        }
    }
}
