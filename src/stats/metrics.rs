//! Metric values: what a query's sums become in its output (rounding, ratios,
//! revenue in the query's currency).

use super::query::Metric;
use crate::{domain::money::InOneCurrency, store::RollupSums};

/// A computed metric value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    /// Counts and rounded metrics.
    Int(u64),
    /// `views_per_visit`, `percentage`.
    Float(f64),
    /// No data to average (engagement metrics of pages without pings): `null`.
    None,
}

impl Value {
    /// As a number; `None` has none.
    #[must_use]
    pub fn number(self) -> Option<f64> {
        #[allow(clippy::cast_precision_loss)]
        match self {
            Self::Int(i) => Some(i as f64),
            Self::Float(f) => Some(f),
            Self::None => None,
        }
    }

    /// For sorting: `None` below every number.
    pub(super) fn as_f64(self) -> f64 {
        self.number().unwrap_or(f64::NEG_INFINITY)
    }
}

#[allow(clippy::cast_precision_loss)]
pub(super) fn micros_to_units(micros: i64) -> f64 {
    micros as f64 / 1e6
}

fn round(x: f64, places: i32) -> f64 {
    let m = 10f64.powi(places);
    (x * m).round() / m
}

/// Derives a metric from sums (`total_visitors` feeds `percentage`).
#[must_use]
#[allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]
pub fn metric_value(
    m: Metric,
    s: &RollupSums,
    total_visitors: u64,
    revenue: &InOneCurrency,
) -> Value {
    let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    match m {
        Metric::Visitors => Value::Int(s.visitors),
        Metric::Visits => Value::Int(s.visits),
        Metric::Pageviews => Value::Int(s.pageviews),
        Metric::Events => Value::Int(s.events),
        Metric::ViewsPerVisit => Value::Float(round(ratio(s.pageviews, s.visits), 2)),
        Metric::BounceRate => Value::Int((ratio(s.bounces, s.visits) * 100.0).round() as u64),
        Metric::VisitDuration => {
            Value::Int((ratio(s.duration_ms, s.visits) / 1000.0).round() as u64)
        }
        Metric::Percentage => Value::Float(round(ratio(s.visitors, total_visitors) * 100.0, 1)),
        Metric::TotalRevenue => Value::Float(round(micros_to_units(revenue.micros), 2)),
        Metric::TimeOnPage if s.engaged_views == 0 => Value::None,
        Metric::TimeOnPage => {
            Value::Int((s.engaged_ms as f64 / f64::from(s.engaged_views) / 1000.0).round() as u64)
        }
        Metric::ScrollDepth if s.scroll_views == 0 => Value::None,
        Metric::ScrollDepth => {
            Value::Int((s.scroll_sum as f64 / f64::from(s.scroll_views)).round() as u64)
        }
        Metric::AverageRevenue => Value::Float(if revenue.events == 0 {
            0.0
        } else {
            round(
                micros_to_units(revenue.micros) / f64::from(revenue.events),
                2,
            )
        }),
    }
}
