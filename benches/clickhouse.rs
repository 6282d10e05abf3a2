//! The two engines side by side, one run: the report table of `query.rs` on
//! the cached 10-million-event store (embedded engine), and the same visits
//! loaded into Debian's clickhouse-server 18.16 (started here on free ports,
//! in a temporary directory) answered by the ClickHouse engine.
//! Set `TOUCHPOINT_BENCH_EVENTS` for another size.

mod support;

#[path = "../tests/api/clickhouse_server.rs"]
#[allow(dead_code)]
mod clickhouse_server;

use std::{ops::ControlFlow, sync::Arc, time::Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use touchpoint::{
    domain::SiteId,
    stats,
    store::{
        Batch, SessionAppend,
        clickhouse::{ClickHouse, ClickHouseConfig},
        record::SessionRecord,
    },
};

/// Visits per insert while loading.
const LOAD_BATCH: usize = 50_000;

fn bench(c: &mut Criterion) {
    let events = support::bench_events();
    let (_dir, store) = support::cached_store(events);
    let server = clickhouse_server::ClickHouseServer::start().expect("clickhouse-server starts");
    let ch = Arc::new(
        ClickHouse::connect(ClickHouseConfig {
            url: server.url(),
            database: "bench".into(),
            user: "default".into(),
            password: String::new(),
            cluster: String::new(),
            timeout: std::time::Duration::from_secs(600),
            query_timeout: std::time::Duration::from_secs(600),
        })
        .expect("connect"),
    );
    // Load every visit of the store into ClickHouse through the engine's
    // own append (what the writer does), in large batches.
    let started = Instant::now();
    let view = store.read().unwrap();
    let mut batch = Batch::default();
    let mut loaded = 0usize;
    view.for_each_session(SiteId(1), 0, u64::MAX, |key, bytes| {
        let mut rec = SessionRecord::decode(bytes).expect("a stored visit");
        let events = std::mem::take(&mut rec.events);
        loaded += events.len();
        batch.sessions.push(SessionAppend {
            key,
            day: 0,
            header: Some(rec),
            events,
            engagements: Vec::new(),
        });
        if batch.sessions.len() >= LOAD_BATCH {
            ch.append(&batch).expect("insert");
            batch.sessions.clear();
        }
        ControlFlow::Continue(())
    })
    .unwrap();
    ch.append(&batch).expect("insert");
    drop(view);
    let bytes: String = server.sql(
        "SELECT sum(bytes_on_disk) FROM system.parts WHERE database = 'bench' AND active FORMAT TabSeparated",
    );
    eprintln!(
        "loaded {loaded} events into ClickHouse {} in {:.1} s; {} bytes on disk ({:.1} B/event)",
        ch.version().unwrap_or_default(),
        started.elapsed().as_secs_f64(),
        bytes.trim(),
        bytes.trim().parse::<f64>().unwrap_or(0.0) / loaded.max(1) as f64
    );
    let mut on_ch = store.clone();
    on_ch.use_clickhouse(ch);
    let mut g = c.benchmark_group(format!("engines_{events}"));
    g.sample_size(10);
    for (name, q) in support::query_table() {
        for (engine, s) in [("embedded", &store), ("clickhouse", &on_ch)] {
            g.bench_function(format!("{name}/{engine}"), |b| {
                b.iter(|| {
                    let view = s.read().unwrap();
                    let out = stats::run(&view, &q).unwrap();
                    assert!(!out.rows.is_empty());
                    out
                });
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
