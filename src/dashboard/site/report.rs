//! The overview's numbers: KPIs with their previous-period values, the chart
//! series, each panel's ranked list and goal conversions — all asked of the
//! same stats engine as the Stats API, on one read snapshot. With a goal or
//! custom-event filter they are conversions instead (see [`super::converting`]).

use chrono::NaiveDate;

use super::{
    conversions::{GoalRow, goal_rows},
    converting::{self, PropReport},
    params::{KPI_METRICS, PANELS, ViewState, filter_dimension, previous},
    series,
};
use crate::{
    domain::{MinCount, calendar::dates_to_ms},
    stats::{
        self, StatsError, Value,
        period::today,
        query::{Dimension, Direction, Filter, Metric, OrderKey, Query},
    },
    store::{Goal, ReadView, Site},
};

/// Rows shown per panel.
pub const PANEL_ROWS: usize = 10;

/// One KPI tile.
#[derive(Debug, Clone)]
pub struct Kpi {
    /// Its key: the chart metric it selects when `chartable` (`visitors`,
    /// `events`...), else a name of its own (`conversion_rate`).
    pub key: &'static str,
    /// How its value reads: a metric, or [`Metric::Percentage`] for a rate
    /// in percent.
    pub metric: Metric,
    /// Label.
    pub label: &'static str,
    /// Value this period.
    pub value: Value,
    /// Value in the previous period, when comparing.
    pub previous: Option<Value>,
    /// Clicking it charts its metric.
    pub chartable: bool,
}

/// One row of a ranked list.
#[derive(Debug, Clone)]
pub struct ListRow {
    /// What it is (a source, a path...); `(none)` when unset.
    pub label: String,
    /// Visitors (converted visitors when converting).
    pub visitors: u64,
    /// When converting: converted visitors as a percentage of the row's
    /// visitors without the conversion filter.
    pub rate: Option<f64>,
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
    /// True when a goal or custom-event filter makes this a conversions view.
    pub converting: bool,
    /// KPI tiles.
    pub kpis: Vec<Kpi>,
    /// True when comparing and the previous period had no visitors (its
    /// changes read "new").
    pub previous_empty: bool,
    /// Chart series of the chosen metric: every bucket of the range.
    pub chart: Vec<ChartPoint>,
    /// How many of `chart`'s buckets have begun; later ones are in the future.
    pub chart_begun: usize,
    /// The previous period's series, aligned by position.
    pub chart_previous: Option<Vec<f64>>,
    /// Ranked-list panels.
    pub panels: Vec<Panel>,
    /// Custom events (not pageviews) as (name, visitors, events).
    pub events: Vec<(String, u64, u64)>,
    /// Goal conversions (when converting: of the goals filtered by).
    pub goals: Vec<GoalRow>,
    /// When converting: the conversions' custom properties.
    pub props: Option<PropReport>,
    /// Counts from 1 to k − 1 were replaced for this viewer and read
    /// "fewer than k" (see [`super::safe`]); off: exact.
    pub min_count: MinCount,
    /// The chart of a rate was withheld for `min_count`.
    pub chart_withheld: bool,
}

/// The query builder of one report.
pub(super) struct Ask<'a> {
    pub(super) view: &'a ReadView,
    pub(super) site: &'a Site,
    filter: Option<Filter>,
}

impl<'a> Ask<'a> {
    /// Queries of `site` filtered by `filter`.
    pub(super) fn new(view: &'a ReadView, site: &'a Site, filter: Option<Filter>) -> Self {
        Self { view, site, filter }
    }

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

    pub(super) fn query(
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

/// The dimension of each panel's chosen tab, in [`PANELS`] order.
pub(super) fn tab_dimensions(state: &ViewState) -> Vec<(String, Dimension)> {
    PANELS
        .iter()
        .map(|(key, _)| {
            let tab = state.tab(key).to_owned();
            let dim = filter_dimension(&tab).unwrap_or(Dimension::Source);
            (tab, dim)
        })
        .collect()
}

/// Builds the overview for `state` at `now_ms` (its period ends on the
/// site's local date then; the chart stops at the current bucket).
///
/// # Errors
/// Query errors (a storage failure, a filter that doesn't compile).
pub fn overview(
    view: &ReadView,
    site: &Site,
    goals: &[Goal],
    state: &ViewState,
    now_ms: u64,
) -> Result<Overview, StatsError> {
    let tz = site.timezone;
    let range = state.range(today(now_ms, tz));
    let prev = previous(range.0, range.1);
    let converting = state.converting();
    let ask = Ask::new(view, site, state.stats_filter_with(goals));
    let metric = state.chart_metric();
    let totals_metrics: Vec<Metric> = if converting {
        vec![Metric::Visitors, Metric::Events]
    } else {
        KPI_METRICS.iter().map(|(m, _)| *m).collect()
    };
    let tabs = tab_dimensions(state);
    // One batch per period and filter: every query of it shares one scan.
    let mut now_qs = vec![
        ask.query(range, totals_metrics.clone(), Vec::new(), None, 1),
        series::query(&ask, range, metric),
        ask.query(
            range,
            vec![Metric::Visitors, Metric::Events],
            vec![Dimension::Name],
            None,
            10_000,
        ),
    ];
    for (_, dim) in &tabs {
        now_qs.push(ask.query(
            range,
            vec![Metric::Visitors],
            vec![dim.clone()],
            None,
            PANEL_ROWS,
        ));
    }
    let mut now = stats::run_many_with(view, &now_qs, state.imports)?.into_iter();
    let (totals, chart_out, names) = (next(&mut now)?, next(&mut now)?, next(&mut now)?);
    let before = if state.compare {
        let qs = [
            ask.query(prev, totals_metrics, Vec::new(), None, 1),
            series::query(&ask, prev, metric),
        ];
        let mut out = stats::run_many_with(view, &qs, state.imports)?.into_iter();
        Some((next(&mut out)?, next(&mut out)?))
    } else {
        None
    };
    let first =
        |o: &stats::Output, i: usize| o.rows.first().map_or(Value::Int(0), |r| r.metrics[i]);
    let base = if converting {
        let dims: Vec<Dimension> = tabs.iter().map(|(_, d)| d.clone()).collect();
        let base_ask = Ask::new(view, site, state.base_filter(goals));
        Some(converting::base(
            &base_ask,
            range,
            state.compare.then_some(prev),
            &dims,
        )?)
    } else {
        None
    };
    let (kpis, previous_empty) = match &base {
        Some(b) => converting::kpis(&totals, before.as_ref().map(|b| &b.0), b),
        None => {
            let kpis: Vec<Kpi> = KPI_METRICS
                .iter()
                .enumerate()
                .map(|(i, (m, label))| Kpi {
                    key: m.as_str(),
                    metric: *m,
                    label,
                    value: first(&totals, i),
                    previous: before.as_ref().map(|(b, _)| first(b, i)),
                    chartable: true,
                })
                .collect();
            let empty = kpis[0].previous == Some(Value::Int(0));
            (kpis, empty)
        }
    };
    let chart = series::points(&chart_out, range, tz);
    let chart_previous = before.map(|(_, s)| {
        series::points(&s, prev, tz)
            .into_iter()
            .map(|(_, v)| v)
            .collect()
    });
    let panels = PANELS
        .iter()
        .zip(tabs)
        .zip(now)
        .enumerate()
        .map(|(i, (((key, tabs), (tab, _)), out))| Panel {
            key,
            tabs,
            rows: out
                .rows
                .iter()
                .map(|r| {
                    let visitors = int(r.metrics.first());
                    ListRow {
                        label: none_if_empty(&r.dimensions[0]),
                        rate: base.as_ref().map(|b| b.rate(i, &r.dimensions[0], visitors)),
                        visitors,
                    }
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
    let (goals, props) = match &base {
        Some(b) => {
            let chosen: Vec<Goal> = goals
                .iter()
                .filter(|g| super::conversions::selected(state, g))
                .cloned()
                .collect();
            let base_ask = Ask::new(view, site, state.base_filter(goals));
            let rows = goal_rows(&base_ask, range, &chosen, &b.named, b.visitors)?;
            let props = converting::properties(&ask, range, state, b.visitors)?;
            (rows, Some(props))
        }
        None => {
            let total = int(Some(&kpis[0].value));
            (goal_rows(&ask, range, goals, &named, total)?, None)
        }
    };
    Ok(Overview {
        range,
        converting,
        kpis,
        previous_empty,
        chart_begun: series::begun(range, tz, now_ms),
        chart,
        chart_previous,
        panels,
        events,
        goals,
        props,
        min_count: MinCount::OFF,
        chart_withheld: false,
    })
}

/// (event name, visitors, events) rows of a by-name breakdown.
pub(super) fn name_counts(out: &stats::Output) -> Vec<(String, u64, u64)> {
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

pub(super) fn next(
    it: &mut impl Iterator<Item = stats::Output>,
) -> Result<stats::Output, StatsError> {
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
