//! Touchpoint's embedded engine beside ClickHouse as a Plausible-style
//! deployment uses it, one run, same machine: the cached 10-million-event
//! store of `query.rs` is exported into two plain ClickHouse tables shaped
//! like Plausible's `events_v2` and `sessions_v2` (one row per event with its
//! visit's attributes; one row per visit with its entry page, pageviews,
//! bounce and duration), and the report table is answered by hand-written
//! SQL there (approximate `uniq` for visitors, as Plausible does) and by
//! `stats::run` here, alternating. `scripts/compare.sh` runs this with the
//! ingest comparison. Set `TOUCHPOINT_BENCH_EVENTS` for another size.

mod support;

#[path = "../tests/api/clickhouse_server.rs"]
#[allow(dead_code)]
mod clickhouse_server;

use std::{collections::HashMap, fmt::Write, ops::ControlFlow, time::Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use touchpoint::{
    domain::SiteId,
    stats::{self, engine::use_segments},
    store::{ReadView, record::SessionRecord},
};

/// Rows per insert while loading.
const LOAD_ROWS: usize = 200_000;

const SCHEMA: [&str; 3] = [
    "CREATE DATABASE plain",
    "CREATE TABLE plain.events (site_id UInt64, timestamp DateTime, name String, \
     pathname String, user_id UInt64, session_id UInt64, country_code FixedString(2), \
     source String, browser String) ENGINE = MergeTree() PARTITION BY toYYYYMM(timestamp) \
     ORDER BY (site_id, toDate(timestamp), name, user_id, timestamp)",
    "CREATE TABLE plain.sessions (site_id UInt64, start DateTime, user_id UInt64, \
     session_id UInt64, country_code FixedString(2), source String, browser String, \
     entry_page String, exit_page String, pageviews UInt32, events UInt32, \
     is_bounce UInt8, duration UInt32) ENGINE = MergeTree() PARTITION BY toYYYYMM(start) \
     ORDER BY (site_id, toDate(start), user_id, session_id)",
];

/// Interned texts, cached.
struct Names<'v> {
    view: &'v ReadView,
    cache: HashMap<u32, String>,
}

impl Names<'_> {
    fn get(&mut self, id: u32) -> String {
        let view = self.view;
        self.cache
            .entry(id)
            .or_insert_with(|| view.string(id).unwrap().replace(['\t', '\n', '\\'], " "))
            .clone()
    }
}

/// Loads every visit into the plain tables; returns (events, seconds).
fn load(server: &clickhouse_server::ClickHouseServer, view: &ReadView) -> (usize, f64) {
    for s in SCHEMA {
        server.sql(s);
    }
    let started = Instant::now();
    let mut names = Names {
        view,
        cache: HashMap::new(),
    };
    let (mut ev, mut vs) = (String::new(), String::new());
    let (mut n_ev, mut n_vs, mut total) = (0, 0, 0);
    let flush = |table: &str, rows: &mut String, n: &mut usize| {
        if *n > 0 {
            server.sql(&format!(
                "INSERT INTO plain.{table} FORMAT TabSeparated\n{rows}"
            ));
        }
        rows.clear();
        *n = 0;
    };
    view.for_each_session(SiteId(1), 0, u64::MAX, |key, bytes| {
        let rec = SessionRecord::decode(bytes).expect("a stored visit");
        let country = String::from_utf8_lossy(&rec.country).replace('\0', " ");
        let (source, browser) = (names.get(rec.source), names.get(rec.browser));
        let secs = key.start_ms / 1000;
        for e in &rec.events {
            let name = if e.pageview {
                "pageview".to_owned()
            } else {
                names.get(e.name)
            };
            let _ = writeln!(
                ev,
                "1\t{}\t{name}\t{}\t{}\t{}\t{country}\t{source}\t{browser}",
                secs + u64::from(e.offset_ms) / 1000,
                names.get(e.path),
                rec.visitor,
                key.id
            );
            n_ev += 1;
        }
        total += rec.events.len();
        let _ = writeln!(
            vs,
            "1\t{secs}\t{}\t{}\t{country}\t{source}\t{browser}\t{}\t{}\t{}\t{}\t{}\t{}",
            rec.visitor,
            key.id,
            names.get(rec.entry_path()),
            names.get(rec.exit_path()),
            rec.pageviews(),
            rec.events.len(),
            u8::from(rec.is_bounce()),
            rec.duration_ms() / 1000
        );
        n_vs += 1;
        if n_ev >= LOAD_ROWS {
            flush("events", &mut ev, &mut n_ev);
        }
        if n_vs >= LOAD_ROWS {
            flush("sessions", &mut vs, &mut n_vs);
        }
        ControlFlow::Continue(())
    })
    .unwrap();
    flush("events", &mut ev, &mut n_ev);
    flush("sessions", &mut vs, &mut n_vs);
    server.sql("OPTIMIZE TABLE plain.events FINAL");
    server.sql("OPTIMIZE TABLE plain.sessions FINAL");
    (total, started.elapsed().as_secs_f64())
}

/// The report table as Plausible-style SQL: the statements each report runs.
fn sql_table() -> Vec<(&'static str, Vec<String>)> {
    let range = format!(
        "site_id = 1 AND {{t}} >= toDateTime({}) AND {{t}} < toDateTime({})",
        support::START_MS / 1000,
        (support::START_MS + support::DAYS * 86_400_000) / 1000
    );
    let s = range.replace("{t}", "start");
    let e = range.replace("{t}", "timestamp");
    let metrics =
        "uniq(user_id), count(), sum(pageviews), round(avg(is_bounce) * 100), round(avg(duration))";
    let pages = |cond: &str| {
        vec![
            format!(
                "SELECT pathname, uniq(user_id) AS v, uniq(session_id), count() FROM plain.events \
                 WHERE {e} AND name = 'pageview'{cond} GROUP BY pathname ORDER BY v DESC LIMIT 100"
            ),
            format!(
                "SELECT entry_page, round(avg(is_bounce) * 100), round(avg(duration)) FROM plain.sessions \
                 WHERE {s}{cond} GROUP BY entry_page"
            ),
        ]
    };
    vec![
        (
            "aggregate_30d",
            vec![format!("SELECT {metrics} FROM plain.sessions WHERE {s}")],
        ),
        (
            "timeseries_30d_by_day",
            vec![format!(
                "SELECT toDate(start) AS d, {metrics} FROM plain.sessions WHERE {s} GROUP BY d ORDER BY d"
            )],
        ),
        ("breakdown_pages_30d", pages("")),
        (
            "breakdown_sources_30d",
            vec![format!(
                "SELECT source, {metrics} FROM plain.sessions WHERE {s} GROUP BY source \
                 ORDER BY count() DESC LIMIT 100"
            )],
        ),
        (
            "breakdown_pages_30d_filtered_country",
            pages(" AND country_code = 'US'"),
        ),
        (
            "breakdown_sources_30d_filtered_page",
            vec![format!(
                "SELECT source, {metrics} FROM plain.sessions WHERE {s} AND session_id IN \
                 (SELECT session_id FROM plain.events WHERE {e} AND pathname = '/docs/page-3') \
                 GROUP BY source ORDER BY count() DESC LIMIT 100"
            )],
        ),
        (
            "aggregate_30d_filtered_country",
            vec![format!(
                "SELECT {metrics} FROM plain.sessions WHERE {s} AND country_code = 'US'"
            )],
        ),
    ]
}

fn bench(c: &mut Criterion) {
    let events = support::bench_events();
    let (dir, store) = support::cached_store(events);
    let server = clickhouse_server::ClickHouseServer::start().expect("clickhouse-server starts");
    let view = store.read().unwrap();
    let (loaded, secs) = load(&server, &view);
    // What the day segments take, column by column.
    let mut by_column: std::collections::BTreeMap<u8, u64> = Default::default();
    let first = touchpoint::domain::calendar::local_day(support::START_MS, Default::default());
    for day in first..first + u32::try_from(support::DAYS).unwrap() {
        for code in 0..=u8::try_from(touchpoint::stats::segment::col::DIMS as usize + 19).unwrap() {
            if let Some(b) = view.segment_column(SiteId(1), day, code).unwrap() {
                *by_column.entry(code).or_default() += b.len() as u64;
            }
        }
    }
    let seg_total: u64 = by_column.values().sum();
    eprintln!(
        "day segments: {seg_total} bytes ({:.1} B/event); by column: {by_column:?}",
        seg_total as f64 / loaded.max(1) as f64
    );
    drop(view);
    let bytes: String = server.sql(
        "SELECT sum(bytes_on_disk) FROM system.parts WHERE database = 'plain' AND active FORMAT TabSeparated",
    );
    let store_bytes =
        std::fs::metadata(dir.join(touchpoint::store::FILE_NAME)).map_or(0, |m| m.len());
    eprintln!(
        "ClickHouse {}: {loaded} events loaded in {secs:.1} s, {} bytes on disk ({:.1} B/event); \
         Touchpoint store {store_bytes} bytes ({:.1} B/event)",
        server.sql("SELECT version()").trim(),
        bytes.trim(),
        bytes.trim().parse::<f64>().unwrap_or(0.0) / loaded.max(1) as f64,
        store_bytes as f64 / loaded.max(1) as f64
    );
    let sql: HashMap<_, _> = sql_table().into_iter().collect();
    let mut g = c.benchmark_group(format!("compare_{events}"));
    g.sample_size(10);
    for (name, q) in support::query_table() {
        g.bench_function(format!("{name}/touchpoint"), |b| {
            b.iter(|| {
                let view = store.read().unwrap();
                let out = stats::run(&view, &q).unwrap();
                assert!(!out.rows.is_empty());
                out
            });
        });
        // The same engine reading visit rows only (no day segments).
        if q.filter.is_some() {
            g.bench_function(format!("{name}/touchpoint_rows"), |b| {
                use_segments(false);
                b.iter(|| {
                    let view = store.read().unwrap();
                    stats::run(&view, &q).unwrap()
                });
                use_segments(true);
            });
        }
        g.bench_function(format!("{name}/clickhouse"), |b| {
            b.iter(|| {
                for statement in &sql[name] {
                    let out = server.sql(statement);
                    assert!(!out.trim().is_empty(), "{statement}");
                }
            });
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
