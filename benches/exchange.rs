//! Data out and in on the self-seeded store of 10 million events (one site,
//! 30 days; see benches/query.rs): Plausible's CSV export built from the
//! visits, its zip, importing it into a new site, a report over the import,
//! and the raw event export. One run each, timed (these are batch jobs, not
//! request paths); `TOUCHPOINT_BENCH_EVENTS` picks another size.

mod support;

use std::time::Instant;

use touchpoint::{
    domain::{
        Domain, Timezone,
        calendar::{date_of_day, day_number, days_to_ms},
    },
    exchange::{export, import, raw},
    stats::{self, query::Dimension},
    store::Store,
};

fn main() {
    let events = support::bench_events();
    let (_dir, store) = support::cached_store(events);
    let site = store.sites().unwrap().remove(0);
    let first = date_of_day(u32::try_from(support::START_MS / 86_400_000).unwrap());
    let last = date_of_day(day_number(first) + u32::try_from(support::DAYS).unwrap() - 1);

    let t = Instant::now();
    let rows = export::rows(&store.read().unwrap(), &site, first, last).unwrap();
    let rows_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let zip = export::write_zip(std::io::Cursor::new(Vec::new()), &rows, first, last)
        .unwrap()
        .into_inner();
    let zip_s = t.elapsed().as_secs_f64();
    println!(
        "export: {events} events → {} rows in {rows_s:.2} s ({:.2} M events/s); zip {:.1} MB in {zip_s:.2} s",
        rows.len(),
        events as f64 / rows_s / 1e6,
        zip.len() as f64 / 1e6
    );

    let dir = tempfile::tempdir().unwrap();
    let fresh = Store::open(dir.path()).unwrap();
    let ws = fresh.create_workspace("bench", 0).unwrap().id;
    let copy = fresh
        .add_site(
            ws,
            &Domain::parse("copy.example").unwrap(),
            Timezone::default(),
            0,
        )
        .unwrap();
    let files = import::unzip(&zip).unwrap();
    let t = Instant::now();
    let record = import::import(
        &fresh,
        &copy,
        &files,
        support::START_MS + 40 * 86_400_000,
        |_, _| {},
    )
    .unwrap();
    let import_s = t.elapsed().as_secs_f64();
    let imported: u64 = record.rows.values().sum();
    println!(
        "import: {imported} rows in {import_s:.2} s ({:.0} rows/s); store {:.1} MB",
        imported as f64 / import_s,
        fresh.file_size() as f64 / 1e6
    );

    let mut q = support::query(vec![Dimension::Source], None);
    q.site = copy.id;
    let view = fresh.read().unwrap();
    let t = Instant::now();
    let (out, skip) = stats::run_with_imports(&view, &q).unwrap();
    assert!(skip.is_none() && !out.rows.is_empty());
    println!(
        "report over the import (30 days by source): {:.1} ms",
        t.elapsed().as_secs_f64() * 1e3
    );

    let (from, to) = days_to_ms(day_number(first), day_number(last), site.timezone);
    let mut sink = std::io::sink();
    let t = Instant::now();
    let n = raw::write(
        &store.read().unwrap(),
        &site,
        from,
        to,
        raw::Format::Ndjson,
        &mut sink,
    )
    .unwrap();
    let raw_s = t.elapsed().as_secs_f64();
    println!(
        "raw export (NDJSON): {n} events in {raw_s:.2} s ({:.2} M events/s)",
        n as f64 / raw_s / 1e6
    );
}
