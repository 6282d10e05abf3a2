//! A batch of queries sharing one scan answers exactly what each query
//! answers alone: with no rollups, with some days rolled up, and filtered.

use touchpoint::{
    domain::{SiteId, Timezone, calendar::dates_to_ms},
    stats::{
        self,
        query::{Dimension, Direction, Filter, Metric, Op, OrderKey, Query},
    },
};

use crate::{
    helpers::{MIN, T0},
    scenario::seeded,
};

fn queries(filter: Option<Filter>) -> Vec<Query> {
    let day = |s: &str| s.parse().unwrap();
    let (from_ms, to_ms) = dates_to_ms(day("2024-03-14"), day("2024-03-16"), Timezone::default());
    let q = |metrics: Vec<Metric>, dimensions: Vec<Dimension>, limit| Query {
        site: SiteId(1),
        timezone: Timezone::default(),
        from_ms,
        to_ms,
        metrics,
        dimensions,
        filter: filter.clone(),
        order_by: vec![(OrderKey::Metric(Metric::Visitors), Direction::Desc)],
        limit,
        offset: 0,
        money: Default::default(),
    };
    let all = vec![
        Metric::Visitors,
        Metric::Visits,
        Metric::Pageviews,
        Metric::BounceRate,
        Metric::VisitDuration,
    ];
    vec![
        q(all.clone(), vec![], 1),
        q(vec![Metric::Visitors], vec![Dimension::Day], 100),
        q(vec![Metric::Pageviews], vec![Dimension::Hour], 100),
        q(vec![Metric::Visitors], vec![Dimension::Source], 2),
        q(
            vec![Metric::Visitors, Metric::Events],
            vec![Dimension::Name],
            100,
        ),
        q(vec![Metric::Visitors], vec![Dimension::Page], 100),
        q(all, vec![Dimension::Browser, Dimension::Page], 100),
    ]
}

fn assert_batch_equals_singles(view: &touchpoint::store::ReadView, qs: &[Query], why: &str) {
    let batch = stats::run_many(view, qs).unwrap();
    assert_eq!(batch.len(), qs.len());
    for (i, (q, b)) in qs.iter().zip(&batch).enumerate() {
        let single = stats::run(view, q).unwrap();
        assert_eq!(b.rows, single.rows, "{why}: query {i}");
        assert_eq!(b.total_rows, single.total_rows, "{why}: query {i}");
        assert!(!single.rows.is_empty(), "{why}: query {i} has data");
    }
}

#[tokio::test]
async fn batched_queries_answer_exactly_what_each_answers_alone() {
    let app = seeded().await;
    let store = &app.state.store;
    let pricing = Filter::Leaf {
        op: Op::Is,
        dim: Dimension::Page,
        values: vec!["/pricing".into()],
        case_sensitive: true,
    };
    assert_batch_equals_singles(&store.read().unwrap(), &queries(None), "scans only");
    assert_batch_equals_singles(
        &store.read().unwrap(),
        &queries(Some(pricing.clone())),
        "filtered",
    );
    // Roll up the first day only: the batch mixes rollups and a scan of the rest.
    stats::rollup::roll_up_all(store, T0 + 24 * 60 * MIN).unwrap();
    let view = store.read().unwrap();
    assert_eq!(
        stats::run(&view, &queries(None)[0]).unwrap().used_rollups,
        crate::helpers::engine_from_env() == "embedded",
        "rollups answer on the embedded engine only"
    );
    assert_batch_equals_singles(&view, &queries(None), "partly rolled up");
    assert_batch_equals_singles(&view, &queries(Some(pricing)), "filtered, partly rolled up");
    // Everything rolled up: only the hourly query scans.
    stats::rollup::roll_up_all(store, T0 + 3 * 24 * 60 * MIN).unwrap();
    let view = store.read().unwrap();
    assert_batch_equals_singles(&view, &queries(None), "all rolled up");
    let mut other = queries(None);
    other[1].from_ms += 1;
    assert!(
        stats::run_many(&view, &other).is_err(),
        "a batch must share one scope"
    );
}
