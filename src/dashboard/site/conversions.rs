//! Goals as numbers: what completes each, conversions and rates over a
//! period (the goals page's table), and a goal's conversions by source.
//! Pure functions over a snapshot.

use chrono::NaiveDate;

use super::{
    params::ViewState,
    report::{Ask, int, name_counts, next},
};
use crate::{
    domain::calendar::dates_to_ms,
    stats::{
        self, StatsError, Value,
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

/// The filter that matches a goal's completions: its custom events, or the
/// pageviews (not other events) of its pages.
#[must_use]
pub fn goal_filter(g: &Goal) -> Filter {
    match &g.kind {
        GoalKind::Event(n) => leaf(Op::Is, Dimension::Name, n.clone()),
        GoalKind::Page(p) => {
            let re = crate::stats::filter::page_pattern(p);
            Filter::And(vec![
                leaf(Op::Matches, Dimension::Page, re),
                leaf(Op::Is, Dimension::Name, "pageview".into()),
            ])
        }
    }
}

/// True when `state` filters by `g` (by its name, or by its event's name).
#[must_use]
pub fn selected(state: &ViewState, g: &Goal) -> bool {
    state.has_filter(super::params::GOAL_KEY, &g.name())
        || matches!(&g.kind, GoalKind::Event(n) if state.has_filter("event", n))
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
        rows.push(GoalRow {
            goal: g.clone(),
            visitors,
            events,
            rate: rate(visitors, total),
            revenue: None,
        });
    }
    rows.sort_by_key(|r| std::cmp::Reverse(r.visitors));
    Ok(rows)
}

/// Just the goal conversions of a period (the goals page): the total and the
/// by-name breakdown in one batch, then a pass per page goal.
///
/// # Errors
/// Query errors.
pub fn goals_only(
    view: &ReadView,
    site: &Site,
    goals: &[Goal],
    state: &ViewState,
    today: NaiveDate,
) -> Result<Vec<GoalRow>, StatsError> {
    let ask = Ask::new(view, site, state.stats_filter_with(goals));
    let range = state.range(today);
    let qs = [
        ask.query(range, vec![Metric::Visitors], Vec::new(), None, 1),
        ask.query(
            range,
            vec![Metric::Visitors, Metric::Events],
            vec![Dimension::Name],
            None,
            10_000,
        ),
        // Revenue scans events (rollups don't keep it): the goals page only.
        ask.query(
            range,
            vec![Metric::TotalRevenue],
            vec![Dimension::Name],
            None,
            10_000,
        ),
    ];
    let mut out = stats::run_many(view, &qs)?.into_iter();
    let (totals, names, revenue) = (next(&mut out)?, next(&mut out)?, next(&mut out)?);
    let named = name_counts(&names);
    let total = totals.rows.first().map_or(0, |r| int(r.metrics.first()));
    let mut rows = goal_rows(&ask, range, goals, &named, total)?;
    for row in &mut rows {
        if let GoalKind::Event(name) = &row.goal.kind {
            row.revenue = revenue
                .rows
                .iter()
                .find(|r| &r.dimensions[0] == name)
                .and_then(|r| match (r.metrics.first(), &r.currency) {
                    (Some(Value::Float(v)), Some(c)) if *v != 0.0 => Some(format!("{v:.2} {c}")),
                    _ => None,
                });
        }
    }
    Ok(rows)
}

/// A goal's conversions by source: (source, converted visitors, visitors,
/// rate %); `goals` resolve goal filters of `state`.
///
/// # Errors
/// Query errors.
pub fn by_source(
    view: &ReadView,
    site: &Site,
    goals: &[Goal],
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
    let base = state.stats_filter_with(goals);
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
            (r.dimensions[0].clone(), conv, vis, rate(conv, vis))
        })
        .collect())
}

/// `part` as a percentage of `whole`, to one decimal (0 of nothing).
#[must_use]
pub fn rate(part: u64, whole: u64) -> f64 {
    #[allow(clippy::cast_precision_loss)]
    if whole == 0 {
        0.0
    } else {
        (part as f64 / whole as f64 * 1000.0).round() / 10.0
    }
}
