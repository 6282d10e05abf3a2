//! Times one day's scan with the overview's seven groupings on the cached
//! benchmark store, single-threaded, for profiling the "today" view:
//! `perf record -g target/release/examples/dayscan`.

#[path = "../benches/support/mod.rs"]
mod support;

use touchpoint::{
    domain::{SiteId, Timezone},
    stats::{
        engine::{Grouping, scan},
        query::Dimension,
        values::Texts,
    },
};

fn main() {
    let (_dir, store) = support::cached_store(10_000_000);
    let view = store.read().unwrap();
    let from = support::START_MS + (support::DAYS - 1) * 86_400_000;
    let to = from + 86_400_000;
    let dims = [
        vec![],
        vec![Dimension::Hour],
        vec![Dimension::Name],
        vec![Dimension::Channel],
        vec![Dimension::Page],
        vec![Dimension::Country],
        vec![Dimension::Browser],
    ];
    for _ in 0..10 {
        let texts = Texts::new(&view);
        let mut gs: Vec<Grouping> = dims
            .iter()
            .map(|d| Grouping::new(d.clone(), &texts).unwrap())
            .collect();
        let t = std::time::Instant::now();
        scan(
            &view,
            SiteId(1),
            Timezone::default(),
            (from, to, true),
            None,
            &mut gs,
        )
        .unwrap();
        let e = t.elapsed();
        let n: usize = gs.into_iter().map(|g| g.finish().len()).sum();
        println!("{e:?} ({n} groups)");
    }
}
