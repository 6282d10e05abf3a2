//! Goals as numbers: what completes each, conversions and rates over a
//! period, and a goal's conversions by source. Pure functions over a snapshot.

use chrono::NaiveDate;

use super::{
    params::ViewState,
    report::{Ask, int},
};
use crate::{
    domain::calendar::dates_to_ms,
    stats::{
        self, StatsError,
        query::{Dimension, Direction, Filter, Metric, Op, OrderKey, Query},
    },
    store::{Goal, GoalKind, ReadView, Site},
};

/// Conversions of one goal.
#[derive(Debug, Clone)]
pub struct GoalRow {
    /// The goal.
    pub goal: Goal,
    /// Visitors who converted.
    pub visitors: u64,
    /// Completions.
    pub events: u64,
    /// Converted visitors as a share of all visitors, in percent.
    pub rate: f64,
    /// Revenue of its completions, with the currency (`30.01 EUR`), when any.
    pub revenue: Option<String>,
}

/// A goal's display name (`Signup`, `Visit /pricing*`).
#[must_use]
pub fn goal_name(g: &Goal) -> String {
    g.name()
}

/// The filter leaf that matches a goal's completions.
#[must_use]
pub fn goal_filter(g: &Goal) -> Filter {
    match &g.kind {
        GoalKind::Event(n) => leaf(Op::Is, Dimension::Name, n.clone()),
        GoalKind::Page(p) => {
            let re = crate::stats::filter::page_pattern(p);
            leaf(Op::Matches, Dimension::Page, re)
        }
    }
}

fn leaf(op: Op, dim: Dimension, v: String) -> Filter {
    Filter::Leaf {
        op,
        dim,
        values: vec![v],
        case_sensitive: true,
    }
}

/// Event goals come from the by-name breakdown (rollups when unfiltered);
/// page goals need a pass matching paths, since one visitor may view many.
pub(super) fn goal_rows(
    ask: &Ask<'_>,
    range: (NaiveDate, NaiveDate),
    goals: &[Goal],
    named: &[(String, u64, u64)],
    total: u64,
) -> Result<Vec<GoalRow>, StatsError> {
    let mut rows = Vec::new();
    for g in goals {
        let (visitors, events) = match &g.kind {
            GoalKind::Event(n) => named
                .iter()
                .find(|(x, _, _)| x == n)
                .map_or((0, 0), |(_, v, e)| (*v, *e)),
            GoalKind::Page(_) => {
                let out = ask.run(
                    range,
                    vec![Metric::Visitors, Metric::Pageviews],
                    Vec::new(),
                    Some(goal_filter(g)),
                    1,
                )?;
                out.rows
                    .first()
                    .map_or((0, 0), |r| (int(r.metrics.first()), int(r.metrics.get(1))))
            }
        };
        #[allow(clippy::cast_precision_loss)]
        let rate = if total == 0 {
            0.0
        } else {
            (visitors as f64 / total as f64 * 1000.0).round() / 10.0
        };
        rows.push(GoalRow {
            goal: g.clone(),
            visitors,
            events,
            rate,
            revenue: None,
        });
    }
    rows.sort_by_key(|r| std::cmp::Reverse(r.visitors));
    Ok(rows)
}

/// A goal's conversions by source: (source, converted visitors, visitors, rate %).
///
/// # Errors
/// Query errors.
pub fn by_source(
    view: &ReadView,
    site: &Site,
    goal: &Goal,
    state: &ViewState,
    today: NaiveDate,
) -> Result<Vec<(String, u64, u64, f64)>, StatsError> {
    let (first, last) = state.range(today);
    let (from_ms, to_ms) = dates_to_ms(first, last, site.timezone);
    let ask = |filter: Option<Filter>| {
        stats::run(
            view,
            &Query {
                site: site.id,
                timezone: site.timezone,
                from_ms,
                to_ms,
                metrics: vec![Metric::Visitors],
                dimensions: vec![Dimension::Source],
                filter,
                order_by: vec![(OrderKey::Metric(Metric::Visitors), Direction::Desc)],
                limit: 10_000,
                offset: 0,
                money: site.money(),
            },
        )
    };
    let base = state.stats_filter();
    let with_goal = match base.clone() {
        Some(f) => Filter::And(vec![f, goal_filter(goal)]),
        None => goal_filter(goal),
    };
    let converted = ask(Some(with_goal))?;
    let all = ask(base)?;
    let count = |r: &stats::Row| match r.metrics.first() {
        Some(stats::Value::Int(i)) => *i,
        _ => 0,
    };
    let totals: std::collections::HashMap<&str, u64> = all
        .rows
        .iter()
        .map(|r| (r.dimensions[0].as_str(), count(r)))
        .collect();
    Ok(converted
        .rows
        .iter()
        .take(20)
        .map(|r| {
            let conv = count(r);
            let vis = totals
                .get(r.dimensions[0].as_str())
                .copied()
                .unwrap_or(conv)
                .max(conv);
            #[allow(clippy::cast_precision_loss)]
            let rate = if vis == 0 {
                0.0
            } else {
                (conv as f64 / vis as f64 * 1000.0).round() / 10.0
            };
            (r.dimensions[0].clone(), conv, vis, rate)
        })
        .collect())
}
