//! Today's unfiltered reports while the writer keeps writing, on a scratch
//! copy of the 10-million-event bench store (its last day, ~333 k events,
//! is the open day): the first report of the day, which reads the day whole
//! into memory, and reports after a batch changed 100 or 1,000 of today's
//! visits, which re-read only those (see `stats::live`).

mod support;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use touchpoint::{
    domain::{SiteId, calendar::days_to_ms, calendar::local_day},
    ingest::visitor::DAY_MS,
    stats,
    store::{Batch, SessionAppend, SessionKey, Store, record::EventRecord},
};

fn bench(c: &mut Criterion) {
    let (copy, store) = support::scratch_copy(support::bench_events());
    let aggregate = support::query(vec![], None);
    let pages = support::query(vec![touchpoint::stats::query::Dimension::Page], None);
    let tz = aggregate.timezone;
    let today = local_day(support::START_MS + (support::DAYS - 1) * DAY_MS, tz);
    let (from, to) = days_to_ms(today, today, tz);
    let (mut visits, mut bytes) = (Vec::new(), 0);
    let view = store.read().unwrap();
    view.for_each_session(SiteId(1), from, to, |k, row| {
        visits.push(k);
        bytes += row.len();
        std::ops::ControlFlow::Continue(())
    })
    .unwrap();
    drop(view);
    // What a live day holds per visit besides the sums.
    eprintln!("today: {} visits, {bytes} bytes of rows", visits.len());
    let mut g = c.benchmark_group("live_today");
    g.sample_size(10);
    // Each iteration opens the store afresh, so its report reads today whole.
    drop(store);
    g.bench_function("first_report_of_the_day", |b| {
        b.iter_batched(
            || Store::open(copy.path()).unwrap(),
            |store| {
                let out = stats::run(&store.read().unwrap(), &aggregate).unwrap();
                assert!(!out.rows.is_empty());
                store
            },
            BatchSize::PerIteration,
        );
    });
    let store = Store::open(copy.path()).unwrap();
    let mut rng = support::Rng::new(7);
    for changed in [100, 1_000] {
        for (name, q) in [("aggregate", &aggregate), ("pages", &pages)] {
            g.bench_function(format!("{name}_after_{changed}_visits_changed"), |b| {
                b.iter_batched(
                    || grow(&store, &visits, changed, &mut rng),
                    |()| stats::run(&store.read().unwrap(), q).unwrap(),
                    BatchSize::PerIteration,
                );
            });
        }
    }
    g.finish();
}

/// Commits one batch adding a pageview to `n` random visits of today.
fn grow(store: &Store, visits: &[SessionKey], n: usize, rng: &mut support::Rng) {
    let (next_string_id, next_session_id) = store.writer_counters().unwrap();
    let tz = touchpoint::domain::Timezone::default();
    let mut sessions: Vec<SessionAppend> = Vec::new();
    for _ in 0..n {
        let key = visits[rng.below(visits.len() as u64) as usize];
        if sessions.iter().any(|s| s.key == key) {
            continue;
        }
        sessions.push(SessionAppend {
            key,
            day: local_day(key.start_ms, tz),
            header: None,
            events: vec![EventRecord {
                offset_ms: 600_000,
                path: 1,
                pageview: true,
                interactive: true,
                ..EventRecord::default()
            }],
            engagements: Vec::new(),
        });
    }
    store
        .commit_batch(&Batch {
            sessions,
            next_string_id,
            next_session_id,
            ..Batch::default()
        })
        .unwrap();
}

criterion_group!(benches, bench);
criterion_main!(benches);
