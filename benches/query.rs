//! Stats API query latency on a self-seeded store of 10 million events
//! (one site, 30 days). Set `TOUCHPOINT_BENCH_EVENTS` for another size.
//! The store is built on first run (about a minute) and cached in target/bench-data.

mod support;

use criterion::{Criterion, criterion_group, criterion_main};
use support::query;
use touchpoint::stats::{
    self,
    query::{Dimension, Filter, Op, Query},
};

fn bench(c: &mut Criterion) {
    let events = support::bench_events();
    let (_dir, store) = support::cached_store(events);
    let us = Filter::Leaf {
        op: Op::Is,
        dim: Dimension::Country,
        values: vec!["US".into()],
        case_sensitive: true,
    };
    let cases: Vec<(&str, Query)> = vec![
        ("aggregate_30d", query(vec![], None)),
        ("timeseries_30d_by_day", query(vec![Dimension::Day], None)),
        ("breakdown_pages_30d", query(vec![Dimension::Page], None)),
        (
            "breakdown_sources_30d",
            query(vec![Dimension::Source], None),
        ),
        (
            "breakdown_pages_30d_filtered_country",
            query(vec![Dimension::Page], Some(us.clone())),
        ),
        (
            "breakdown_sources_30d_filtered_page",
            query(
                vec![Dimension::Source],
                Some(Filter::Leaf {
                    op: Op::Is,
                    dim: Dimension::Page,
                    values: vec!["/docs/page-3".into()],
                    case_sensitive: true,
                }),
            ),
        ),
        ("aggregate_30d_filtered_country", query(vec![], Some(us))),
    ];
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
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
