//! The segment format round-trips whole visits, reads what earlier builds
//! wrote, and refuses corrupt bytes with an error, never a panic.

use super::{
    Builder, DaySegment, FORMAT_BYTE_FLAGS, Need, VISIT_FIELDS, WholeVisit, col, packed, unpack,
    whole_visits,
};
use crate::{
    domain::{Timezone, calendar::days_to_ms},
    store::{
        StoreError,
        codec::{Reader, Writer},
        record::{Engagement, EventRecord, Revenue, SessionRecord},
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
        assert_eq!(
            whole_visits(getter(&cols)).unwrap(),
            Some(visits),
            "round {round}"
        );
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
    let old: Vec<(u8, Vec<u8>)> = cols
        .iter()
        .map(|(c, v)| {
            let v = match *c {
                col::HEADER => {
                    let mut h = v.clone();
                    h[0] = FORMAT_BYTE_FLAGS;
                    h
                }
                col::FLAGS => byte_flags(v, 500),
                col::EV_FLAGS => byte_flags(v, events),
                _ => v.clone(),
            };
            (*c, v)
        })
        .collect();
    assert_ne!(old, cols);
    let new = whole_visits(getter(&cols)).unwrap().unwrap();
    assert_eq!(new.len(), 500);
    assert_eq!(whole_visits(getter(&old)).unwrap().unwrap(), new);
    // A version this build doesn't know is an error.
    let mut unknown = cols.clone();
    unknown[0].1[0] = 5;
    assert!(whole_visits(getter(&unknown)).is_err());
}

/// A visitor index past the day's visitors is an error, not a panic.
#[test]
fn a_visitor_index_past_the_visitors_is_an_error() {
    let mut rng = Rng(5);
    let (mut cols, _) = random_day(&mut rng, 50);
    let at = cols.iter().position(|(c, _)| *c == col::VISITOR).unwrap();
    // 50 random visitors: indices 0..50, so 50 is the first past them.
    cols[at].1 = packed(&[50; 50]);
    assert!(whole_visits(getter(&cols)).is_err());
}

/// A segment of this build without any of its columns, visit ids
/// included, is an error (only a segment of the first format has none:
/// see `segments_of_the_first_format_load_the_same`).
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
    for (code, _) in &cols {
        assert!(whole_visits(without(*code)).is_err(), "{code}");
    }
}

/// Bytes a segment of the first format would hold: integers at whole
/// bytes, flags a byte a value, no visit ids or `utm_id` (what builds of
/// schema 4 and earlier wrote), made from a segment of this build.
fn as_first_format(cols: &[(u8, Vec<u8>)], visits: usize, events: usize) -> Vec<(u8, Vec<u8>)> {
    fn whole_bytes(values: &[u32]) -> Vec<u8> {
        let max = values.iter().copied().max().unwrap_or(0);
        let width = (32 - max.leading_zeros()).div_ceil(8) as usize;
        let mut out = vec![u8::try_from(width).unwrap()];
        for v in values {
            out.extend_from_slice(&v.to_le_bytes()[..width]);
        }
        out
    }
    let dictionary = |b: &[u8], n: usize| {
        let mut r = Reader::new(b);
        let len = r.u64().unwrap();
        let mut w = Writer::default();
        w.u64(len);
        for _ in 0..len {
            w.u64(r.u64().unwrap());
        }
        w.bytes(&whole_bytes(&unpack(r.rest(), n).unwrap()));
        w.finish()
    };
    cols.iter()
        .filter(|(c, _)| ![col::VISIT_ID, col::UTM_ID].contains(c))
        .map(|(c, v)| {
            let v = match *c {
                col::HEADER => {
                    let mut h = v.clone();
                    h[0] = FORMAT_BYTE_FLAGS;
                    h
                }
                col::START | col::VISITOR | col::DURATION | col::EVENTS | col::PAGEVIEWS => {
                    whole_bytes(&unpack(v, visits).unwrap())
                }
                col::EV_OFFSET => whole_bytes(&unpack(v, events).unwrap()),
                col::EV_PATH | col::EV_NAME => dictionary(v, events),
                col::FLAGS => byte_flags(v, visits),
                col::EV_FLAGS => byte_flags(v, events),
                c if c >= col::DIMS => dictionary(v, visits),
                _ => v.clone(),
            };
            (*c, v)
        })
        .collect()
}

/// A packed flag column of `n` values as the first format held it: a byte
/// a value.
fn byte_flags(b: &[u8], n: usize) -> Vec<u8> {
    unpack(b, n)
        .unwrap()
        .into_iter()
        .map(|f| u8::try_from(f).unwrap())
        .collect()
}

/// Reads columns from `cols`, as the store's `segment_column` would.
fn getter(cols: &[(u8, Vec<u8>)]) -> impl FnMut(u8) -> Result<Option<Vec<u8>>, StoreError> {
    let cols = cols.to_vec();
    move |c| Ok(cols.iter().find(|(k, _)| *k == c).map(|(_, v)| v.clone()))
}

const ALL: Need = Need {
    dims: [true; VISIT_FIELDS.len()],
    events: true,
    extras: true,
    visitor_ids: true,
    offsets: true,
};

/// A segment as builds of schema 4 wrote it loads to the same columns as
/// this build's, and has no whole visits (`None`, not an error).
#[test]
fn segments_of_the_first_format_load_the_same() {
    let mut rng = Rng(1234);
    let (cols, events) = random_day(&mut rng, 700);
    let old = as_first_format(&cols, 700, events);
    for (c, v) in &old {
        let new = &cols.iter().find(|(k, _)| k == c).unwrap().1;
        if *c != col::EV_EXTRAS && *c != col::VISITOR_IDS {
            assert_ne!(v, new, "column {c} is in the old encoding");
        }
    }
    let a = DaySegment::load(getter(&cols), &ALL).unwrap();
    let b = DaySegment::load(getter(&old), &ALL).unwrap();
    assert_eq!(a.visits, 700);
    assert_eq!(a, b);
    assert_eq!(whole_visits(getter(&old)).unwrap(), None);
    // This build's format without its visit ids is corrupt, not old.
    let no_ids: Vec<_> = cols
        .iter()
        .filter(|(c, _)| *c != col::VISIT_ID)
        .cloned()
        .collect();
    assert!(whole_visits(getter(&no_ids)).is_err());
}

/// Headers counting more than a day can hold, bounds the wrong way round,
/// and visits starting past the day's end are errors, never a panic or an
/// allocation sized by the corrupt count.
#[test]
fn corrupt_headers_are_errors() {
    let mut rng = Rng(77);
    let (cols, _) = random_day(&mut rng, 60);
    let header = |visits: u64, events: u64, visitors: u64, from: u64, to: u64| {
        let mut w = Writer::default();
        w.u8(super::FORMAT);
        for v in [visits, events, visitors, from, to, 0] {
            w.u64(v);
        }
        let mut c = cols.clone();
        c[0] = (col::HEADER, w.finish());
        c
    };
    let whole = DaySegment::load(getter(&cols), &ALL).unwrap();
    let (visits, events, visitors) = (60, whole.ev_start[60].into(), whole.visitors as u64);
    assert!(
        DaySegment::load(
            getter(&header(visits, events, visitors, 0, 86_400_000)),
            &ALL
        )
        .is_ok()
    );
    for (what, bad) in [
        ("visits", header(u64::MAX, events, visitors, 0, 86_400_000)),
        ("visits", header(1 << 40, events, visitors, 0, 86_400_000)),
        (
            "events",
            header(visits, u64::MAX - 3, visitors, 0, 86_400_000),
        ),
        (
            "visitors",
            header(visits, events, visits + 1, 0, 86_400_000),
        ),
        ("bounds", header(visits, events, visitors, 86_400_000, 0)),
        ("starts", header(visits, events, visitors, 0, 1_000)),
        (
            "starts",
            header(visits, events, visitors, u64::MAX - 10, u64::MAX),
        ),
    ] {
        assert!(DaySegment::load(getter(&bad), &ALL).is_err(), "{what}");
    }
    // A column of blocks too short for the count in the header.
    let at = cols.iter().position(|(k, _)| *k == col::EVENTS).unwrap();
    let mut c = cols.clone();
    c[at].1 = vec![0x80];
    assert!(DaySegment::load(getter(&c), &ALL).is_err());
    // A column of zeros (one byte for any count) under a count of 2^40: the
    // count is refused before anything is sized by it.
    let mut c = header(1 << 40, 0, 1, 0, 86_400_000);
    c[at].1 = vec![0];
    assert!(DaySegment::load(getter(&c), &ALL).is_err());
}
