//! A page of a breakdown keeps only the rows up to its end: the page must be
//! exactly what sorting every row would give, ties (by text) included.

use std::collections::HashMap;

use super::{
    batch::Parts,
    output,
    query::{Dimension, Direction, Metric, OrderKey, Query},
    values::Texts,
};
use crate::{
    domain::{SiteId, Timezone},
    store::{Batch, RollupSums, Store},
    test_rng::Rng,
};

/// More groups than the text cache holds, so resolving them starts it over.
const GROUPS: u32 = 20_000;

fn query(order_by: Vec<(OrderKey, Direction)>, offset: usize, limit: usize) -> Query {
    Query {
        site: SiteId(1),
        timezone: Timezone::default(),
        from_ms: 0,
        to_ms: 1,
        metrics: vec![Metric::Visitors, Metric::Pageviews],
        dimensions: vec![Dimension::Page],
        filter: None,
        order_by,
        limit,
        offset,
        money: crate::domain::money::Money::default(),
    }
}

#[test]
fn a_page_of_many_tied_groups_is_the_slice_of_the_full_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store
        .commit_batch(&Batch {
            strings: (1..=GROUPS).map(|i| (i, format!("/p-{i:05}"))).collect(),
            next_string_id: GROUPS + 1,
            next_session_id: 1,
            ..Batch::default()
        })
        .unwrap();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    // Few distinct counts: most groups tie with many others.
    let sums: Vec<(u32, u64, u64)> = (1..=GROUPS)
        .map(|i| (i, rng.below(4), rng.below(3)))
        .collect();
    let view = store.read().unwrap();
    let texts = Texts::new(&view);
    let orders = [
        Vec::new(),
        vec![(OrderKey::Metric(Metric::Pageviews), Direction::Asc)],
        vec![(OrderKey::Dimension(Dimension::Page), Direction::Desc)],
    ];
    for order in orders {
        // The full order, straight from its definition.
        let mut all = sums.clone();
        all.sort_by(|a, b| {
            let text = |g: &(u32, u64, u64)| format!("/p-{:05}", g.0);
            let by = match order.first() {
                None => b.1.cmp(&a.1),
                Some((OrderKey::Metric(_), _)) => a.2.cmp(&b.2),
                Some((OrderKey::Dimension(_), _)) => text(b).cmp(&text(a)),
            };
            by.then_with(|| text(a).cmp(&text(b)))
        });
        for (offset, limit) in [(0, 10), (3, 7), (19_990, 20), (100, 1), (0, 30_000)] {
            let groups: HashMap<_, _> = sums
                .iter()
                .map(|&(i, visitors, pageviews)| {
                    let s = RollupSums {
                        visitors,
                        pageviews,
                        ..RollupSums::default()
                    };
                    ([u64::from(i), 0, 0, 0], s)
                })
                .collect();
            let parts = Parts {
                groups,
                total: RollupSums::default(),
                used_rollups: false,
            };
            let q = query(order.clone(), offset, limit);
            let out = output(&texts, &q, parts).unwrap();
            assert_eq!(out.total_rows, GROUPS as usize);
            let got: Vec<String> = out.rows.iter().map(|r| r.dimensions[0].clone()).collect();
            let want: Vec<String> = all
                .iter()
                .skip(offset)
                .take(limit)
                .map(|g| format!("/p-{:05}", g.0))
                .collect();
            assert_eq!(got, want, "order {order:?}, offset {offset}, limit {limit}");
        }
    }
}
