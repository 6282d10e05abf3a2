//! Times one filtered scan on the cached benchmark store (for profiling).
#[path = "../benches/support/mod.rs"]
mod support;
use touchpoint::{
    domain::{SiteId, Timezone},
    stats::{self, query::*},
};
fn main() {
    let (_d, store) = support::cached_store(10_000_000);
    let q = Query {
        site: SiteId(1),
        timezone: Timezone::default(),
        from_ms: support::START_MS,
        to_ms: support::START_MS + 30 * 86_400_000,
        metrics: vec![
            Metric::Visitors,
            Metric::Visits,
            Metric::Pageviews,
            Metric::BounceRate,
            Metric::VisitDuration,
        ],
        dimensions: vec![Dimension::Page],
        filter: Some(Filter::Leaf {
            op: Op::Is,
            dim: Dimension::Country,
            values: vec!["US".into()],
            case_sensitive: true,
        }),
        order_by: vec![],
        limit: 100,
        offset: 0,
    };
    for _ in 0..3 {
        let t = std::time::Instant::now();
        let view = store.read().unwrap();
        let out = stats::run(&view, &q).unwrap();
        println!("{} rows in {:?}", out.total_rows, t.elapsed());
    }
}
