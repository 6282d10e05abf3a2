//! A report's numbers for one site and period: KPIs with their previous
//! period, the daily visitors chart, top sources and pages, goals and
//! revenue. Every number comes from [`stats::run_many`] with the queries the
//! Stats API's v1 endpoints build (same metrics, dimensions, default order),
//! so a report and the API agree for the same dates.

use chrono::NaiveDate;

pub use super::period::{Kind, Period};
use crate::{
    dashboard::site::conversions::goal_filter,
    domain::calendar::dates_to_ms,
    stats::{
        self, StatsError, Value,
        query::{Dimension, Filter, Metric, Query},
    },
    store::{Goal, ReadView, Site},
};

/// Rows of the top sources and top pages lists.
pub const TOP_ROWS: usize = 5;

/// One KPI with its value in the previous period.
#[derive(Debug, Clone, PartialEq)]
pub struct Kpi {
    /// What it measures (`visitors`, `bounce_rate`...; `conversions`,
    /// `revenue`).
    pub key: &'static str,
    /// Label.
    pub label: &'static str,
    /// This period.
    pub now: Value,
    /// The period before.
    pub before: Value,
}

/// A row of a ranked list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ranked {
    /// A source or a path (`(none)` when unset).
    pub label: String,
    /// Unique visitors.
    pub visitors: u64,
}

/// A goal's conversions in the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoalLine {
    /// The goal's name.
    pub name: String,
    /// Unique visitors who converted.
    pub visitors: u64,
    /// Conversions (events).
    pub conversions: u64,
}

/// Everything a report shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The site's domain.
    pub domain: String,
    /// Its dates.
    pub period: Period,
    /// KPIs: visitors, visits, pageviews, bounce rate (percent), visit
    /// duration (seconds); conversions when the site has goals; revenue
    /// when there was any (in `currency`).
    pub kpis: Vec<Kpi>,
    /// Unique visitors per day: (label like `Mar 11`, visitors).
    pub chart: Vec<(String, f64)>,
    /// The previous period's daily visitors, aligned by position.
    pub chart_previous: Vec<f64>,
    /// Top sources by visitors.
    pub sources: Vec<Ranked>,
    /// Top pages by visitors.
    pub pages: Vec<Ranked>,
    /// Goal conversions, in the site's goal order.
    pub goals: Vec<GoalLine>,
    /// The revenue's currency, when the report has revenue.
    pub currency: Option<String>,
}

/// The KPIs every report has, as the Stats API names them.
const KPI_METRICS: [(Metric, &str); 5] = [
    (Metric::Visitors, "Unique visitors"),
    (Metric::Visits, "Total visits"),
    (Metric::Pageviews, "Total pageviews"),
    (Metric::BounceRate, "Bounce rate"),
    (Metric::VisitDuration, "Visit duration"),
];

/// The Stats API's query for a site and local dates (see `api::v1::query`).
fn query(
    site: &Site,
    (first, last): (NaiveDate, NaiveDate),
    metrics: Vec<Metric>,
    dimensions: Vec<Dimension>,
    filter: Option<Filter>,
    limit: usize,
) -> Query {
    let (from_ms, to_ms) = dates_to_ms(first, last, site.timezone);
    Query {
        site: site.id,
        timezone: site.timezone,
        from_ms,
        to_ms,
        metrics,
        dimensions,
        filter,
        order_by: Vec::new(),
        limit,
        offset: 0,
        money: site.money(),
    }
}

/// One period's numbers.
struct Numbers {
    totals: Vec<Value>,
    revenue: (Value, Option<String>),
    daily: Vec<(NaiveDate, f64)>,
    sources: Vec<Ranked>,
    pages: Vec<Ranked>,
    goals: Vec<GoalLine>,
}

fn int(v: Option<&Value>) -> u64 {
    v.and_then(|v| v.number()).map_or(0, |n| {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let n = n.max(0.0) as u64;
        n
    })
}

fn ranked(out: &stats::Output) -> Vec<Ranked> {
    out.rows
        .iter()
        .map(|r| Ranked {
            label: if r.dimensions[0].is_empty() {
                "(none)".into()
            } else {
                r.dimensions[0].clone()
            },
            visitors: int(r.metrics.first()),
        })
        .collect()
}

fn numbers(
    view: &ReadView,
    site: &Site,
    goals: &[Goal],
    range: (NaiveDate, NaiveDate),
) -> Result<Numbers, StatsError> {
    let kpis: Vec<Metric> = KPI_METRICS.iter().map(|(m, _)| *m).collect();
    // One batch shares one scan of the period's visits.
    let qs = [
        query(site, range, kpis, Vec::new(), None, 1),
        query(site, range, vec![Metric::TotalRevenue], Vec::new(), None, 1),
        query(
            site,
            range,
            vec![Metric::Visitors],
            vec![Dimension::Day],
            None,
            10_000,
        ),
        query(
            site,
            range,
            vec![Metric::Visitors],
            vec![Dimension::Source],
            None,
            TOP_ROWS,
        ),
        query(
            site,
            range,
            vec![Metric::Visitors],
            vec![Dimension::Page],
            None,
            TOP_ROWS,
        ),
    ];
    let [totals, revenue, daily, sources, pages]: [stats::Output; 5] = stats::run_many(view, &qs)?
        .try_into()
        .map_err(|_| StatsError::Invalid("a batched query had no answer".into()))?;
    let totals = totals.rows.first().map_or_else(
        || vec![Value::Int(0); KPI_METRICS.len()],
        |r| r.metrics.clone(),
    );
    let revenue = (
        revenue.rows.first().map_or(Value::None, |r| r.metrics[0]),
        revenue.currency,
    );
    let daily = daily
        .rows
        .iter()
        .filter_map(|r| {
            let day = r.dimensions[0].get(..10)?.parse().ok()?;
            Some((day, r.metrics[0].number().unwrap_or(0.0)))
        })
        .collect();
    let mut lines = Vec::new();
    for g in goals {
        let q = query(
            site,
            range,
            vec![Metric::Visitors, Metric::Events],
            Vec::new(),
            Some(goal_filter(g)),
            1,
        );
        let out = stats::run(view, &q)?;
        let row = out.rows.first();
        lines.push(GoalLine {
            name: g.name(),
            visitors: int(row.and_then(|r| r.metrics.first())),
            conversions: int(row.and_then(|r| r.metrics.get(1))),
        });
    }
    Ok(Numbers {
        totals,
        revenue,
        daily,
        sources: ranked(&sources),
        pages: ranked(&pages),
        goals: lines,
    })
}

/// Every day of a range with its visitors (0 where there were none).
fn days(range: (NaiveDate, NaiveDate), daily: &[(NaiveDate, f64)]) -> Vec<(NaiveDate, f64)> {
    range
        .0
        .iter_days()
        .take_while(|d| *d <= range.1)
        .map(|d| {
            (
                d,
                daily.iter().find(|(x, _)| *x == d).map_or(0.0, |(_, v)| *v),
            )
        })
        .collect()
}

/// Builds the report of `period` for `site` from a read snapshot.
///
/// # Errors
/// Query errors (storage trouble).
pub fn build(
    view: &ReadView,
    site: &Site,
    goals: &[Goal],
    period: Period,
) -> Result<Report, StatsError> {
    let prev = period.previous();
    let now = numbers(view, site, goals, (period.first, period.last))?;
    let before = numbers(view, site, goals, (prev.first, prev.last))?;
    let mut kpis: Vec<Kpi> = KPI_METRICS
        .iter()
        .enumerate()
        .map(|(i, (m, label))| Kpi {
            key: m.as_str(),
            label,
            now: now.totals.get(i).copied().unwrap_or(Value::Int(0)),
            before: before.totals.get(i).copied().unwrap_or(Value::Int(0)),
        })
        .collect();
    if !goals.is_empty() {
        let sum = |n: &Numbers| n.goals.iter().map(|g| g.conversions).sum::<u64>();
        kpis.push(Kpi {
            key: "conversions",
            label: "Conversions",
            now: Value::Int(sum(&now)),
            before: Value::Int(sum(&before)),
        });
    }
    let has_revenue = |v: Value| v.number().is_some_and(|n| n != 0.0);
    let currency = now.revenue.1.clone().or_else(|| before.revenue.1.clone());
    let revenue_shown =
        currency.is_some() && (has_revenue(now.revenue.0) || has_revenue(before.revenue.0));
    if revenue_shown {
        kpis.push(Kpi {
            key: "revenue",
            label: "Revenue",
            now: now.revenue.0,
            before: before.revenue.0,
        });
    }
    let chart = days((period.first, period.last), &now.daily)
        .into_iter()
        .map(|(d, v)| (d.format("%b %-d").to_string(), v))
        .collect();
    let chart_previous = days((prev.first, prev.last), &before.daily)
        .into_iter()
        .map(|(_, v)| v)
        .collect();
    Ok(Report {
        domain: site.domain.as_str().to_owned(),
        period,
        kpis,
        chart,
        chart_previous,
        sources: now.sources,
        pages: now.pages,
        goals: now.goals,
        currency: currency.filter(|_| revenue_shown),
    })
}
