//! Stats API query latency on a self-seeded store of 10 million events
//! (one site, 30 days). Set `TOUCHPOINT_BENCH_EVENTS` for another size.
//! The store is built on first run (about a minute) and cached in target/bench-data.

mod support;

use criterion::{Criterion, criterion_group, criterion_main};
use std::ops::ControlFlow;

use touchpoint::{
    domain::{SiteId, calendar::local_day},
    ingest::visitor::DAY_MS,
    stats::{self},
    store::{
        Batch, ReadView, SessionAppend, VisitorUpgrade,
        columns::{WholeVisit, for_each_whole_visit, whole_visits},
        record::{EventRecord, SessionRecord},
    },
};

fn bench(c: &mut Criterion) {
    let events = support::bench_events();
    let (_dir, store) = support::cached_store(events);
    let cases = support::query_table();
    let mut g = c.benchmark_group(format!("stats_{events}"));
    g.sample_size(10);
    for (name, q) in cases {
        g.bench_function(name, |b| {
            b.iter(|| {
                let view = store.read().unwrap();
                let out = stats::run(&view, &q).unwrap();
                assert!(!out.rows.is_empty());
                out
            });
        });
    }
    // What an accept costs the writer in `cookieless-until-consent` mode: one
    // transaction that looks through the salt day's visits for the visitor's
    // cookieless ones (here none match, the scan is the cost) and marks the
    // day's rollup stale. The last day is never rolled up, so the cached store
    // is unchanged by it.
    let since_ms = support::START_MS + (support::DAYS - 1) * DAY_MS;
    let day = local_day(since_ms, Default::default());
    g.bench_function("consent_upgrade_commit_one_day", |b| {
        b.iter(|| {
            let (next_string_id, next_session_id) = store.writer_counters().unwrap();
            let batch = Batch {
                upgrades: vec![VisitorUpgrade {
                    site: SiteId(1),
                    from: vec![u64::MAX - 1],
                    to: u64::MAX - 2,
                    since_ms,
                    days: day..=day,
                }],
                next_session_id,
                next_string_id,
                ..Batch::default()
            };
            store.commit_batch(&batch).unwrap();
        });
    });
    closed_days(&store, &mut g);
    drop(store);
    cold_day_thaw(events, &mut g);
    g.finish();
}

/// What an event for a visit of a cold day costs the writer's commit: the
/// day's rows put back from its segment in the same transaction
/// (`store::cold`). Each sample first rolls the day up and freezes it
/// again (not timed), on a scratch copy of the store.
fn cold_day_thaw(
    events: u64,
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
) {
    let (_tmp, store) = support::scratch_copy(events);
    let first = local_day(support::START_MS, Default::default());
    let mut key = None;
    store
        .read()
        .unwrap()
        .for_each_session(SiteId(1), support::START_MS, u64::MAX, |k, _| {
            key = Some(k);
            ControlFlow::Break(touchpoint::store::StoreError::Stopped("first visit"))
        })
        .unwrap_err();
    let key = key.unwrap();
    let now = support::START_MS + (support::DAYS - 1) * DAY_MS + stats::rollup::ROLLUP_DELAY_MS;
    g.bench_function("cold_day_thaw_commit", |b| {
        b.iter_batched(
            || {
                stats::rollup::roll_up_all(&store, now).unwrap();
                let view = store.read().unwrap();
                assert!(
                    view.cold_days(SiteId(1), first, first)
                        .unwrap()
                        .contains(&first)
                );
                let (next_string_id, next_session_id) = store.writer_counters().unwrap();
                Batch {
                    sessions: vec![SessionAppend {
                        key,
                        day: first,
                        header: None,
                        events: vec![EventRecord {
                            offset_ms: 1,
                            pageview: true,
                            ..EventRecord::default()
                        }],
                        engagements: Vec::new(),
                    }],
                    next_session_id,
                    next_string_id,
                    ..Batch::default()
                }
            },
            |batch| store.commit_batch(&batch).unwrap(),
            criterion::BatchSize::PerIteration,
        );
    });
}

/// A completed day's rows, key and bytes.
fn day_rows(view: &ReadView, from_ms: u64) -> Vec<(u64, u64, Vec<u8>)> {
    let mut rows = Vec::new();
    view.for_each_session(SiteId(1), from_ms, from_ms + DAY_MS, |k, b| {
        rows.push((k.start_ms, k.id, b.to_vec()));
        ControlFlow::Continue(())
    })
    .unwrap();
    rows
}

/// A completed day's visits from its segment (`None`: it has no visit ids).
fn day_whole(view: &ReadView, day: u32) -> Option<Vec<WholeVisit>> {
    whole_visits(|c| view.segment_column(SiteId(1), day, c)).unwrap()
}

/// Reading a completed day's visits whole, from its rows (each decoded)
/// and from its segment: what a report, an export or an erasure would pay
/// per day with the day's rows kept or with its segment only. The setup
/// first checks every rolled-up day's segment gives back exactly its rows.
fn closed_days(
    store: &touchpoint::store::Store,
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
) {
    let view = store.read().unwrap();
    let tz = Default::default();
    let first = local_day(support::START_MS, tz);
    let mut checked = 0;
    for d in 0..support::DAYS - 1 {
        let from_ms = support::START_MS + d * DAY_MS;
        let day = first + u32::try_from(d).unwrap();
        if let Some(whole) = day_whole(&view, day) {
            let back: Vec<_> = whole
                .into_iter()
                .map(|v| (v.start_ms, v.id, v.record.encode()))
                .collect();
            assert_eq!(back, day_rows(&view, from_ms), "day {day}");
            checked += 1;
        }
    }
    eprintln!("closed days whose segment gives back their rows exactly: {checked}");
    // The last completed day keeps its rows; the first is cold (its visits
    // in its segment only, `store::cold`).
    let cold = view.cold_days(SiteId(1), first, first + 28).unwrap();
    eprintln!("cold days: {}", cold.len());
    assert!(cold.contains(&first) && !cold.contains(&(first + 28)));
    let read_day = |d: u64| {
        let mut rec = SessionRecord::default();
        let mut events = 0;
        let from_ms = support::START_MS + d * DAY_MS;
        view.for_each_session(SiteId(1), from_ms, from_ms + DAY_MS, |_, b| {
            rec.decode_into(b).unwrap();
            events += rec.events.len();
            ControlFlow::Continue(())
        })
        .unwrap();
        events
    };
    g.bench_function("closed_day_from_rows", |b| b.iter(|| read_day(28)));
    g.bench_function("closed_day_cold_as_rows", |b| b.iter(|| read_day(0)));
    // As readers of whole visits take them (`ReadView::for_each_visit`).
    let visits_of_day = |d: u64| {
        let mut events = 0;
        let from_ms = support::START_MS + d * DAY_MS;
        view.for_each_visit(SiteId(1), from_ms, from_ms + DAY_MS, |_, rec| {
            events += rec.events.len();
            ControlFlow::Continue(())
        })
        .unwrap();
        events
    };
    g.bench_function("closed_day_visits_from_rows", |b| {
        b.iter(|| visits_of_day(28))
    });
    g.bench_function("closed_day_visits_cold", |b| b.iter(|| visits_of_day(0)));
    g.bench_function("closed_day_from_segment", |b| {
        b.iter(|| {
            let mut events = 0;
            let whole = for_each_whole_visit(
                |c| view.segment_column(SiteId(1), first, c),
                |_, _, rec| {
                    events += rec.events.len();
                    ControlFlow::Continue(())
                },
            )
            .unwrap();
            assert!(whole);
            events
        });
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
