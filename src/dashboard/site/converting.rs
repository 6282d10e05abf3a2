//! The overview as conversions, as Plausible shows a goal filter: with a goal
//! or custom-event filter the KPIs are unique visitors (without that filter),
//! unique conversions, total conversions and the conversion rate; each
//! panel's rows are the converted visitors with their conversion rate; and
//! the conversions' custom properties can be broken down, key by key.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::{
    conversions::rate,
    params::ViewState,
    report::{Ask, Kpi, int, name_counts, next},
};
use crate::stats::{
    self, StatsError, Value,
    query::{Dimension, Metric},
};

/// Most property keys offered.
const MAX_KEYS: usize = 20;
/// Most values shown of a property.
const MAX_VALUES: usize = 20;

/// One value of a custom property among the conversions.
#[derive(Debug, Clone)]
pub struct PropRow {
    /// The value.
    pub value: String,
    /// Converted visitors whose conversions carried it.
    pub visitors: u64,
    /// Conversions that carried it.
    pub events: u64,
    /// `visitors` as a percentage of all visitors (without the conversion filter).
    pub rate: f64,
}

/// The conversions' custom properties.
#[derive(Debug, Clone, Default)]
pub struct PropReport {
    /// Keys the conversions carry, most used first.
    pub keys: Vec<String>,
    /// The key broken down (the chosen one, else the first).
    pub key: Option<String>,
    /// Its values, most visitors first.
    pub rows: Vec<PropRow>,
}

/// The visits conversions are a share of: the overview's filters without the
/// conversion filters.
pub(super) struct Base {
    /// Visitors this period.
    pub(super) visitors: u64,
    /// Visitors in the previous period, when comparing.
    previous: Option<u64>,
    /// Visitors per row of each panel, by the row's value.
    panels: Vec<HashMap<String, u64>>,
    /// (event name, visitors, events) this period.
    pub(super) named: Vec<(String, u64, u64)>,
}

impl Base {
    /// The conversion rate of a row of panel `panel` with `converted` visitors.
    pub(super) fn rate(&self, panel: usize, value: &str, converted: u64) -> f64 {
        let all = self
            .panels
            .get(panel)
            .and_then(|m| m.get(value))
            .copied()
            .unwrap_or(converted);
        rate(converted, all.max(converted))
    }
}

/// Counts the base visits of `range` (and of `prev`, when comparing), by each
/// of the panels' `dims` and by event name.
///
/// # Errors
/// Query errors.
pub(super) fn base(
    ask: &Ask<'_>,
    range: (NaiveDate, NaiveDate),
    prev: Option<(NaiveDate, NaiveDate)>,
    dims: &[Dimension],
) -> Result<Base, StatsError> {
    let mut qs = vec![
        ask.query(range, vec![Metric::Visitors], Vec::new(), None, 1),
        ask.query(
            range,
            vec![Metric::Visitors, Metric::Events],
            vec![Dimension::Name],
            None,
            10_000,
        ),
    ];
    for d in dims {
        qs.push(ask.query(range, vec![Metric::Visitors], vec![d.clone()], None, 10_000));
    }
    let mut out = stats::run_many(ask.view, &qs)?.into_iter();
    let (totals, names) = (next(&mut out)?, next(&mut out)?);
    let panels = out
        .map(|o| {
            o.rows
                .iter()
                .map(|r| (r.dimensions[0].clone(), int(r.metrics.first())))
                .collect()
        })
        .collect();
    let previous = match prev {
        Some(p) => {
            let o = ask.run(p, vec![Metric::Visitors], Vec::new(), None, 1)?;
            Some(o.rows.first().map_or(0, |r| int(r.metrics.first())))
        }
        None => None,
    };
    Ok(Base {
        visitors: totals.rows.first().map_or(0, |r| int(r.metrics.first())),
        previous,
        panels,
        named: name_counts(&names),
    })
}

/// The conversion KPIs from the converted visitors and events of this period
/// (`totals`) and the previous one (`before`), and whether the previous
/// period had no visitors at all.
pub(super) fn kpis(
    totals: &stats::Output,
    before: Option<&stats::Output>,
    base: &Base,
) -> (Vec<Kpi>, bool) {
    let pair = |o: &stats::Output| {
        o.rows
            .first()
            .map_or((0, 0), |r| (int(r.metrics.first()), int(r.metrics.get(1))))
    };
    let (visitors, events) = pair(totals);
    let prev = before.map(pair).zip(base.previous);
    let kpi = |key, metric, label, value, previous, chartable| Kpi {
        key,
        metric,
        label,
        value,
        previous,
        chartable,
    };
    let cr = |converted, all| Value::Float(rate(converted, all));
    let kpis = vec![
        kpi(
            "total_visitors",
            Metric::Visitors,
            "Unique visitors",
            Value::Int(base.visitors),
            base.previous.map(Value::Int),
            false,
        ),
        kpi(
            "visitors",
            Metric::Visitors,
            "Unique conversions",
            Value::Int(visitors),
            prev.map(|((v, _), _)| Value::Int(v)),
            true,
        ),
        kpi(
            "events",
            Metric::Events,
            "Total conversions",
            Value::Int(events),
            prev.map(|((_, e), _)| Value::Int(e)),
            true,
        ),
        kpi(
            "conversion_rate",
            Metric::Percentage,
            "Conversion rate",
            cr(visitors, base.visitors),
            prev.map(|((v, _), all)| cr(v, all)),
            false,
        ),
    ];
    (kpis, base.previous == Some(0))
}

/// The property keys of the conversions in `range` and the values of the
/// chosen one (`state.prop` if the conversions carry it, else the most used
/// key), with rates against `total_visitors`.
///
/// # Errors
/// Query errors.
pub(super) fn properties(
    ask: &Ask<'_>,
    range: (NaiveDate, NaiveDate),
    state: &ViewState,
    total_visitors: u64,
) -> Result<PropReport, StatsError> {
    let scope = ask.query(range, vec![Metric::Events], Vec::new(), None, 1);
    let keys: Vec<String> = stats::props::keys(ask.view, &scope, MAX_KEYS)?
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    let key = state
        .prop
        .as_ref()
        .filter(|p| keys.contains(p))
        .or(keys.first())
        .cloned();
    let rows = match &key {
        Some(k) => ask
            .run(
                range,
                vec![Metric::Visitors, Metric::Events],
                vec![Dimension::Prop(k.clone())],
                None,
                MAX_VALUES,
            )?
            .rows
            .iter()
            .map(|r| {
                let visitors = int(r.metrics.first());
                PropRow {
                    value: r.dimensions[0].clone(),
                    visitors,
                    events: int(r.metrics.get(1)),
                    rate: rate(visitors, total_visitors),
                }
            })
            .collect(),
        None => Vec::new(),
    };
    Ok(PropReport { keys, key, rows })
}
