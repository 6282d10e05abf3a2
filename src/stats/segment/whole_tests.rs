//! A segment holds whole visits: each rolled-up day reads back as its rows,
//! and the store's visit fields are the reports' visit dimensions.

use std::ops::ControlFlow;

use super::tests::seeded;
use crate::{
    domain::{Timezone, calendar::days_to_ms},
    store::record::{EventRecord, SessionRecord},
    test_rng::Rng,
};

/// On a real store, each rolled-up day's segment gives back the day's
/// rows, key and bytes.
#[test]
fn rolled_up_days_give_back_their_rows() {
    let tz = Timezone::parse("America/New_York").unwrap();
    let (_dir, store, site, first, _) = seeded(tz);
    let view = store.read().unwrap();
    for day in first..first + 3 {
        let (from, to) = days_to_ms(day, day, tz);
        let mut rows = Vec::new();
        view.for_each_session(site, from, to, |k, b| {
            rows.push((k.start_ms, k.id, b.to_vec()));
            ControlFlow::Continue(())
        })
        .unwrap();
        let whole = super::whole_visits(|c| view.segment_column(site, day, c))
            .unwrap()
            .expect("written with visit ids");
        let back: Vec<_> = whole
            .iter()
            .map(|v| (v.start_ms, v.id, v.record.encode()))
            .collect();
        assert!(rows.len() > 100);
        assert_eq!(back, rows, "day {day}");
    }
}

/// The store's visit fields and the report dimensions are the same columns
/// in the same order, and read the same value from a visit.
#[test]
fn visit_fields_are_the_visit_dimensions() {
    let mut rng = Rng(11);
    for _ in 0..200 {
        let mut rec = SessionRecord {
            source: u32::try_from(rng.below(1 << 32)).unwrap(),
            referrer: u32::try_from(rng.below(1 << 32)).unwrap(),
            channel: u8::try_from(rng.below(256)).unwrap(),
            click: u8::try_from(rng.below(256)).unwrap(),
            device: u8::try_from(rng.below(256)).unwrap(),
            country: [
                u8::try_from(rng.below(256)).unwrap(),
                u8::try_from(rng.below(256)).unwrap(),
            ],
            region: u32::try_from(rng.below(1 << 32)).unwrap(),
            city: u32::try_from(rng.below(1 << 32)).unwrap(),
            browser: u32::try_from(rng.below(1 << 32)).unwrap(),
            browser_version: u32::try_from(rng.below(1 << 32)).unwrap(),
            os: u32::try_from(rng.below(1 << 32)).unwrap(),
            os_version: u32::try_from(rng.below(1 << 32)).unwrap(),
            hostname: u32::try_from(rng.below(1 << 32)).unwrap(),
            ..SessionRecord::default()
        };
        rec.utm = std::array::from_fn(|_| u32::try_from(rng.below(1 << 32)).unwrap());
        for p in 0..rng.below(4) {
            rec.events.push(EventRecord {
                path: u32::try_from(rng.below(1 << 32)).unwrap(),
                pageview: p != 1,
                ..EventRecord::default()
            });
        }
        for (f, d) in super::VISIT_FIELDS.iter().zip(&super::VISIT_DIMS) {
            assert_eq!(
                u64::from(f.raw(&rec)),
                crate::stats::values::visit_raw(d, &rec),
                "{d}"
            );
            let mut back = SessionRecord {
                events: rec.events.clone(),
                ..SessionRecord::default()
            };
            f.set(&mut back, f.raw(&rec)).unwrap();
            assert_eq!(f.raw(&back), f.raw(&rec), "{d}");
        }
    }
}
