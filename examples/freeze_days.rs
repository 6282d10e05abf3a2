//! Freezes every rolled-up day of a store that may turn cold
//! (`store::cold`), logging what each write transaction took, for "Bytes
//! on disk per event" in BENCHMARKS.md: `cargo run --release --example
//! freeze_days -- DATA_DIR NOW_MS` (the server stopped; `NOW_MS` decides
//! which days ended long enough ago).

fn main() {
    tracing_subscriber::fmt().with_target(false).init();
    let mut args = std::env::args().skip(1);
    let dir = args.next().unwrap_or_else(|| "data".into());
    let now_ms: u64 = args
        .next()
        .and_then(|s| s.parse().ok())
        .expect("NOW_MS (unix ms)");
    let store = touchpoint::store::Store::open(std::path::Path::new(&dir)).unwrap();
    let started = std::time::Instant::now();
    let mut n = 0;
    for site in store.sites().unwrap() {
        n += touchpoint::stats::rollup::freeze_days(&store, &site, 0, now_ms).unwrap();
    }
    println!(
        "{n} days made cold in {:.1} s; file {} bytes",
        started.elapsed().as_secs_f64(),
        store.file_size()
    );
}
