//! Stats API query latency on a self-seeded store of 10 million events
//! (one site, 30 days). Set `TOUCHPOINT_BENCH_EVENTS` for another size.
//! The store is built on first run (about a minute) and cached in target/bench-data.

mod support;

use criterion::{Criterion, criterion_group, criterion_main};
use touchpoint::{
    domain::{SiteId, calendar::local_day},
    ingest::visitor::DAY_MS,
    stats::{self},
    store::{Batch, VisitorUpgrade},
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
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
