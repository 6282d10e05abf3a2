//! The overview chart's series: the time bucket of a range, every bucket's
//! label (empty ones as 0) and how many of them are not in the future.

use chrono::{Datelike, Days, Months, NaiveDate};

use super::report::{Ask, ChartPoint};
use crate::{
    domain::{Timezone, calendar::dates_to_ms},
    stats::{
        self,
        query::{Dimension, Metric, Query},
        values::{hour_bucket, time_buckets, time_label},
    },
};

/// Time bucket of a range: hours for one day, days up to ~3 months, else months.
pub(super) fn interval(first: NaiveDate, last: NaiveDate) -> Dimension {
    match (last - first).num_days() {
        0 => Dimension::Hour,
        1..=92 => Dimension::Day,
        _ => Dimension::Month,
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

/// The query of a range's series of `metric`.
pub(super) fn query(ask: &Ask<'_>, range: (NaiveDate, NaiveDate), metric: Metric) -> Query {
    ask.query(
        range,
        vec![metric],
        vec![interval(range.0, range.1)],
        None,
        10_000,
    )
}

/// Every bucket of the range with its value (0 where the output has none).
pub(super) fn points(
    out: &stats::Output,
    range: (NaiveDate, NaiveDate),
    tz: Timezone,
) -> Vec<ChartPoint> {
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

/// How many buckets of the range have begun at `now_ms` (the rest are in
/// the future, so the chart's line stops before them): all of a past range,
/// none of a future one, up to the current hour, day or month otherwise.
pub(super) fn begun(range: (NaiveDate, NaiveDate), tz: Timezone, now_ms: u64) -> usize {
    let dim = interval(range.0, range.1);
    let keys = buckets(range.0, range.1, &dim, tz);
    let today = stats::period::today(now_ms, tz);
    if range.1 < today {
        return keys.len();
    }
    if range.0 > today {
        return 0;
    }
    let now = match dim {
        Dimension::Hour => time_label(&dim, hour_bucket(now_ms, tz).value, tz),
        Dimension::Day => today.to_string(),
        _ => today.with_day(1).unwrap_or(today).to_string(),
    };
    keys.iter()
        .position(|(k, _)| *k == now)
        .map_or(keys.len(), |i| i + 1)
}
