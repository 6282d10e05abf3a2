//! Times one filtered scan on the cached benchmark store, for profiling:
//! `perf record -g target/release/examples/scan_profile`.

#[path = "../benches/support/mod.rs"]
mod support;

use touchpoint::stats::{
    self,
    query::{Dimension, Filter, Op},
};

fn main() {
    let (_dir, store) = support::cached_store(10_000_000);
    let us = Filter::Leaf {
        op: Op::Is,
        dim: Dimension::Country,
        values: vec!["US".into()],
        case_sensitive: true,
    };
    let q = support::query(vec![Dimension::Page], Some(us));
    for _ in 0..3 {
        let t = std::time::Instant::now();
        let view = store.read().unwrap();
        let out = stats::run(&view, &q).unwrap();
        println!("{} rows in {:?}", out.total_rows, t.elapsed());
    }
}
