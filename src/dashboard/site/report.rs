//! The overview's numbers: KPIs with their previous-period values, the chart
//! series, each panel's ranked list and goal conversions — all asked of the
//! same stats engine as the Stats API, on one read snapshot.

use chrono::{Datelike, Days, Months, NaiveDate};

use super::conversions::GoalRow;
use super::params::{KPI_METRICS, PANELS, ViewState, filter_dimension, previous};
use crate::{
    domain::{Timezone, calendar::dates_to_ms},
    stats::{
        self, StatsError, Value,
        query::{Dimension, Direction, Filter, Metric, OrderKey, Query},
        values::{time_buckets, time_label},
    },
    store::{Goal, ReadView, Site},
};

/// Rows shown per panel.
pub const PANEL_ROWS: usize = 10;

/// One KPI tile.
#[derive(Debug, Clone)]
pub struct Kpi {
    /// Metric.
    pub metric: Metric,
    /// Label.
    pub label: &'static str,
    /// Value this period.
    pub value: Value,
    /// Value in the previous period, when comparing.
    pub previous: Option<Value>,
}

/// One row of a ranked list.
#[derive(Debug, Clone)]
pub struct ListRow {
    /// What it is (a source, a path...); `(none)` when unset.
    pub label: String,
    /// Visitors.
    pub visitors: u64,
}

/// A panel: its tab and ranked rows.
#[derive(Debug, Clone)]
pub struct Panel {
    /// URL key (`sources`).
    pub key: &'static str,
    /// Tabs as (key, label).
    pub tabs: &'static [(&'static str, &'static str)],
    /// Chosen tab, also the filter key of its rows.
    pub tab: String,
    /// Top rows.
    pub rows: Vec<ListRow>,
    /// Rows in all.
    pub total_rows: usize,
}

/// A chart point: its bucket label and value.
pub type ChartPoint = (String, f64);

/// Everything the overview shows.
#[derive(Debug, Clone)]
pub struct Overview {
    /// First and last local dates.
    pub range: (NaiveDate, NaiveDate),
    /// KPI tiles.
    pub kpis: Vec<Kpi>,
    /// Chart series of the chosen metric.
    pub chart: Vec<ChartPoint>,
    /// The previous period's series, aligned by position.
    pub chart_previous: Option<Vec<f64>>,
    /// Ranked-list panels.
    pub panels: Vec<Panel>,
    /// Custom events (not pageviews) by visitors.
    pub events: Vec<(String, u64, u64)>,
    /// Goal conversions.
    pub goals: Vec<GoalRow>,
}

/// Time bucket of a range: hours for one day, days up to ~3 months, else months.
fn interval(first: NaiveDate, last: NaiveDate) -> Dimension {
    match (last - first).num_days() {
        0 => Dimension::Hour,
        1..=92 => Dimension::Day,
        _ => Dimension::Month,
    }
}

/// The query builder of one report.
pub(super) struct Ask<'a> {
    view: &'a ReadView,
    site: &'a Site,
    filter: Option<Filter>,
}

impl Ask<'_> {
    pub(super) fn run(
        &self,
        range: (NaiveDate, NaiveDate),
        metrics: Vec<Metric>,
        dims: Vec<Dimension>,
        extra: Option<Filter>,
        limit: usize,
    ) -> Result<stats::Output, StatsError> {
        stats::run(self.view, &self.query(range, metrics, dims, extra, limit))
    }

    fn query(
        &self,
        range: (NaiveDate, NaiveDate),
        metrics: Vec<Metric>,
        dims: Vec<Dimension>,
        extra: Option<Filter>,
        limit: usize,
    ) -> Query {
        let (from_ms, to_ms) = dates_to_ms(range.0, range.1, self.site.timezone);
        let filter = match (self.filter.clone(), extra) {
            (None, None) => None,
            (Some(f), None) | (None, Some(f)) => Some(f),
            (Some(a), Some(b)) => Some(Filter::And(vec![a, b])),
        };
        let order_by = if dims.first().is_some_and(Dimension::is_time) {
            vec![(OrderKey::Dimension(dims[0].clone()), Direction::Asc)]
        } else if dims.is_empty() {
            Vec::new()
        } else {
            vec![
                (OrderKey::Metric(metrics[0]), Direction::Desc),
                (OrderKey::Dimension(dims[0].clone()), Direction::Asc),
            ]
        };
        Query {
            site: self.site.id,
            timezone: self.site.timezone,
            from_ms,
            to_ms,
            metrics,
            dimensions: dims,
            filter,
            order_by,
            limit,
            offset: 0,
            money: self.site.money(),
        }
    }
}

pub(super) fn int(v: Option<&Value>) -> u64 {
    match v {
        Some(Value::Int(i)) => *i,
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Some(Value::Float(f)) => *f as u64,
        Some(Value::None) | None => 0,
    }
}

/// Bucket labels (as the engine prints them) and display labels of a range.
/// Hours follow the site's zone: 23 on a spring-forward day, 25 on a
/// fall-back day, the repeated hour shown with its UTC offset.
fn buckets(
    first: NaiveDate,
    last: NaiveDate,
    dim: &Dimension,
    tz: Timezone,
) -> Vec<(String, String)> {
    match dim {
        Dimension::Hour => {
            let (from_ms, to_ms) = dates_to_ms(first, last, tz);
            time_buckets(dim, from_ms, to_ms, tz)
                .into_iter()
                .map(|raw| {
                    let key = time_label(dim, raw, tz);
                    // `2024-03-15 10:00:00` shows as `10:00`, a repeated
                    // hour's `2020-10-25 02:00:00+02:00` as `02:00 +02:00`.
                    let time = key.get(11..16).unwrap_or_default();
                    let label = match key.get(19..) {
                        Some(offset) if !offset.is_empty() => format!("{time} {offset}"),
                        _ => time.to_owned(),
                    };
                    (key, label)
                })
                .collect()
        }
        Dimension::Day => first
            .iter_days()
            .take_while(|d| *d <= last)
            .map(|d| (d.to_string(), d.format("%b %-d").to_string()))
            .collect(),
        _ => {
            let mut out = Vec::new();
            let mut m = first.with_day(1).unwrap_or(first);
            while m <= last {
                out.push((m.to_string(), m.format("%b %Y").to_string()));
                m = m
                    .checked_add_months(Months::new(1))
                    .unwrap_or_else(|| last + Days::new(1));
            }
            out
        }
    }
}

fn series_query(ask: &Ask<'_>, range: (NaiveDate, NaiveDate), metric: Metric) -> Query {
    ask.query(
        range,
        vec![metric],
        vec![interval(range.0, range.1)],
        None,
        10_000,
    )
}

fn series(out: &stats::Output, range: (NaiveDate, NaiveDate), tz: Timezone) -> Vec<ChartPoint> {
    let dim = interval(range.0, range.1);
    let by_bucket: std::collections::HashMap<&str, f64> = out
        .rows
        .iter()
        .map(|r| {
            (
                r.dimensions[0].as_str(),
                r.metrics.first().and_then(|v| v.number()).unwrap_or(0.0),
            )
        })
        .collect();
    buckets(range.0, range.1, &dim, tz)
        .into_iter()
        .map(|(key, label)| {
            let v = by_bucket.get(key.as_str()).copied().unwrap_or(0.0);
            (label, v)
        })
        .collect()
}

/// Builds the overview for `state`, with `today` the site's local date.
///
/// # Errors
/// Query errors (a storage failure).
pub fn overview(
    view: &ReadView,
    site: &Site,
    goals: &[Goal],
    state: &ViewState,
    today: NaiveDate,
) -> Result<Overview, StatsError> {
    let ask = Ask {
        view,
        site,
        filter: state.stats_filter(),
    };
    let range = state.range(today);
    let prev = previous(range.0, range.1);
    let metrics: Vec<Metric> = KPI_METRICS.iter().map(|(m, _)| *m).collect();
    let metric = state.chart_metric();
    // One batch per period: every query of the page shares its scan.
    let mut now_qs = vec![
        ask.query(range, metrics.clone(), Vec::new(), None, 1),
        series_query(&ask, range, metric),
        ask.query(
            range,
            vec![Metric::Visitors, Metric::Events],
            vec![Dimension::Name],
            None,
            10_000,
        ),
    ];
    let tabs: Vec<String> = PANELS
        .iter()
        .map(|(key, _)| state.tab(key).to_owned())
        .collect();
    for tab in &tabs {
        let dim = filter_dimension(tab).unwrap_or(Dimension::Source);
        now_qs.push(ask.query(range, vec![Metric::Visitors], vec![dim], None, PANEL_ROWS));
    }
    let mut now = stats::run_many(view, &now_qs)?.into_iter();
    let (totals, chart_out, names) = (next(&mut now)?, next(&mut now)?, next(&mut now)?);
    let before = if state.compare {
        let qs = [
            ask.query(prev, metrics, Vec::new(), None, 1),
            series_query(&ask, prev, metric),
        ];
        let mut out = stats::run_many(view, &qs)?.into_iter();
        Some((next(&mut out)?, next(&mut out)?))
    } else {
        None
    };
    let kpis = KPI_METRICS
        .iter()
        .enumerate()
        .map(|(i, (m, label))| Kpi {
            metric: *m,
            label,
            value: totals.rows.first().map_or(Value::Int(0), |r| r.metrics[i]),
            previous: before
                .as_ref()
                .map(|(b, _)| b.rows.first().map_or(Value::Int(0), |r| r.metrics[i])),
        })
        .collect::<Vec<_>>();
    let total_visitors = int(kpis.first().map(|k| &k.value));
    let tz = site.timezone;
    let chart = series(&chart_out, range, tz);
    let chart_previous =
        before.map(|(_, s)| series(&s, prev, tz).into_iter().map(|(_, v)| v).collect());
    let panels = PANELS
        .iter()
        .zip(tabs)
        .zip(now)
        .map(|(((key, tabs), tab), out)| Panel {
            key,
            tabs,
            rows: out
                .rows
                .iter()
                .map(|r| ListRow {
                    label: none_if_empty(&r.dimensions[0]),
                    visitors: int(r.metrics.first()),
                })
                .collect(),
            total_rows: out.total_rows,
            tab,
        })
        .collect();
    let named = name_counts(&names);
    let events = named
        .iter()
        .filter(|(n, _, _)| n != "pageview")
        .take(PANEL_ROWS)
        .cloned()
        .collect();
    let goals = super::conversions::goal_rows(&ask, range, goals, &named, total_visitors)?;
    Ok(Overview {
        range,
        kpis,
        chart,
        chart_previous,
        panels,
        events,
        goals,
    })
}

/// (event name, visitors, events) rows of a by-name breakdown.
fn name_counts(out: &stats::Output) -> Vec<(String, u64, u64)> {
    out.rows
        .iter()
        .map(|r| {
            (
                r.dimensions[0].clone(),
                int(r.metrics.first()),
                int(r.metrics.get(1)),
            )
        })
        .collect()
}

fn next(it: &mut impl Iterator<Item = stats::Output>) -> Result<stats::Output, StatsError> {
    it.next()
        .ok_or_else(|| StatsError::Invalid("a batched query had no answer".into()))
}

fn none_if_empty(s: &str) -> String {
    if s.is_empty() {
        "(none)".to_owned()
    } else {
        s.to_owned()
    }
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
    let ask = Ask {
        view,
        site,
        filter: state.stats_filter(),
    };
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
    let mut rows = super::conversions::goal_rows(&ask, range, goals, &named, total)?;
    for row in &mut rows {
        if let crate::store::GoalKind::Event(name) = &row.goal.kind {
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
