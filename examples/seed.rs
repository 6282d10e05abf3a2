//! Seeds a benchmark store and prints its size: `cargo run --release --example seed -- 10000000 /tmp/tp-seed`.

#[path = "../benches/support/mod.rs"]
mod support;

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let dir = std::env::args()
        .nth(2)
        .unwrap_or_else(|| "target/seed-example".into());
    let (secs, bytes) = support::seed(std::path::Path::new(&dir), n);
    #[allow(clippy::cast_precision_loss)]
    let per = bytes as f64 / n as f64;
    println!("events={n} seconds={secs:.1} bytes={bytes} bytes_per_event={per:.1}");
    let mut store = touchpoint::store::Store::open(std::path::Path::new(&dir)).unwrap();
    println!(
        "used (stored+metadata+fragmented) = {}",
        store.used_bytes().unwrap()
    );
    store.compact().unwrap();
    let after = store.file_size();
    println!(
        "after compaction: bytes={after} bytes_per_event={:.1}",
        after as f64 / n as f64
    );
}
