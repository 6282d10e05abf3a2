//! The inputs of `POST /api/v2/query`: its `date_range`, `filters` and
//! `order_by`, read as Plausible's query schema defines them.

use chrono::{DateTime, NaiveDate};
use serde_json::{Value as Json, json};

use super::ApiError;
use crate::{
    domain::calendar::dates_to_ms,
    stats::{
        period::{named_period, today},
        query::{Dimension, Direction, Filter, Metric, Op, OrderKey},
    },
};

/// Longest custom range, days (ten years, as the v1 endpoints allow).
pub(super) const MAX_RANGE_DAYS: i64 = 3660;

fn bad(m: impl Into<String>) -> ApiError {
    ApiError::BadRequest(m.into())
}

/// A `date_range` (a period name or `[from, to]`) as unix ms `[from, to)`,
/// with the resolved dates to echo. `earliest` gives the site's first local
/// day (what `all` starts at); it is asked for period names only, as it
/// reads the store.
pub(crate) fn date_range(
    v: Option<&Json>,
    tz: crate::domain::Timezone,
    now: u64,
    earliest: impl FnOnce() -> Result<NaiveDate, ApiError>,
) -> Result<(u64, u64, Json), ApiError> {
    Ok(match v {
        // The last 24 hours up to now, as instants.
        Some(Json::String(name)) if name == "24h" => {
            let from = now.saturating_sub(86_400_000);
            let iso = |ms: u64| {
                let at = crate::domain::calendar::local_datetime(ms, tz);
                at.to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
            };
            (from, now + 1, json!([iso(from), iso(now)]))
        }
        Some(Json::String(name)) => {
            let (a, b) = named_period(name, today(now, tz), earliest()?).map_err(bad)?;
            let (f, t) = dates_to_ms(a, b, tz);
            (f, t, json!([a.to_string(), b.to_string()]))
        }
        Some(Json::Array(pair)) if pair.len() == 2 => {
            let a = pair[0].as_str().unwrap_or_default();
            let b = pair[1].as_str().unwrap_or_default();
            let (f, t) = custom_range(a, b, tz)?;
            (f, t, json!([a, b]))
        }
        _ => return Err(bad("#/date_range: expected a period name or [from, to]")),
    })
}

/// `[from, to]` as dates (inclusive) or ISO 8601 datetimes.
pub(super) fn custom_range(
    a: &str,
    b: &str,
    tz: crate::domain::Timezone,
) -> Result<(u64, u64), ApiError> {
    let too_long = || {
        bad(format!(
            "#/date_range: the range is longer than {MAX_RANGE_DAYS} days; query it in parts"
        ))
    };
    if let (Ok(a), Ok(b)) = (a.parse::<NaiveDate>(), b.parse::<NaiveDate>()) {
        if b < a {
            return Err(bad("#/date_range: the end is before the start"));
        }
        if (b - a).num_days() > MAX_RANGE_DAYS {
            return Err(too_long());
        }
        return Ok(dates_to_ms(a, b, tz));
    }
    let dt = |s: &str| {
        DateTime::parse_from_rfc3339(s)
            .map(|d| u64::try_from(d.timestamp_millis()).unwrap_or(0))
            .map_err(|_| {
                bad(format!(
                    "#/date_range: {s:?} is not a date (YYYY-MM-DD) or ISO 8601 datetime"
                ))
            })
    };
    let (f, t) = (dt(a)?, dt(b)? + 1);
    if t <= f {
        return Err(bad("#/date_range: the end is before the start"));
    }
    if t - f > u64::try_from(MAX_RANGE_DAYS).unwrap_or(0) * 86_400_000 {
        return Err(too_long());
    }
    Ok((f, t))
}

pub(super) fn parse_filter(v: &Json) -> Result<Filter, ApiError> {
    let Json::Array(a) = v else {
        return Err(bad(format!("#/filters: invalid filter {v}")));
    };
    let op = a.first().and_then(Json::as_str).unwrap_or_default();
    match op {
        "and" | "or" => {
            let Some(Json::Array(list)) = a.get(1) else {
                return Err(bad(format!("#/filters: {op} takes a list of filters")));
            };
            let inner = list.iter().map(parse_filter).collect::<Result<_, _>>()?;
            Ok(if op == "and" {
                Filter::And(inner)
            } else {
                Filter::Or(inner)
            })
        }
        "not" => Ok(Filter::Not(Box::new(parse_filter(
            a.get(1)
                .ok_or_else(|| bad("#/filters: not takes a filter"))?,
        )?))),
        "has_done" | "has_not_done" => {
            let inner = parse_filter(
                a.get(1)
                    .ok_or_else(|| bad(format!("#/filters: {op} takes a filter")))?,
            )?;
            check_behavioural(&inner)?;
            let done = Filter::HasDone(Box::new(inner));
            Ok(if op == "has_done" {
                done
            } else {
                Filter::Not(Box::new(done))
            })
        }
        _ => {
            let op = match op {
                "is" => Op::Is,
                "is_not" => Op::IsNot,
                "contains" => Op::Contains,
                "contains_not" => Op::ContainsNot,
                "matches" => Op::Matches,
                "matches_not" => Op::MatchesNot,
                other => return Err(bad(format!("#/filters: unknown operator {other:?}"))),
            };
            let dim = a
                .get(1)
                .and_then(Json::as_str)
                .and_then(Dimension::parse)
                .filter(|d| !d.is_time())
                .ok_or_else(|| bad(format!("#/filters: invalid filter dimension in {v}")))?;
            let values: Vec<String> = match a.get(2) {
                Some(Json::Array(vals)) if !vals.is_empty() => vals
                    .iter()
                    .map(|x| match x {
                        Json::String(s) => Ok(s.clone()),
                        Json::Number(n) => Ok(n.to_string()),
                        _ => Err(bad(format!("#/filters: invalid clause {x}"))),
                    })
                    .collect::<Result<_, _>>()?,
                _ => {
                    return Err(bad(format!(
                        "#/filters: {v} needs a non-empty list of values"
                    )));
                }
            };
            let case_sensitive = a
                .get(3)
                .and_then(|m| m.get("case_sensitive"))
                .and_then(Json::as_bool)
                .unwrap_or(!matches!(op, Op::Contains | Op::ContainsNot));
            Ok(Filter::Leaf {
                op,
                dim,
                values,
                case_sensitive,
            })
        }
    }
}

/// A behavioural filter's inner filter compares events only, and holds no
/// other behavioural filter (Plausible's rules).
fn check_behavioural(f: &Filter) -> Result<(), ApiError> {
    match f {
        Filter::Leaf { dim, .. } if dim.is_event_level() => Ok(()),
        Filter::Leaf { .. } => Err(bad(
            "Invalid filters. Behavioral filters (has_done, has_not_done) can only be used with event dimension filters.",
        )),
        Filter::And(v) | Filter::Or(v) => v.iter().try_for_each(check_behavioural),
        Filter::Not(c) => check_behavioural(c),
        Filter::HasDone(_) => Err(bad(
            "Invalid filters. Behavioral filters (has_done, has_not_done) cannot be nested.",
        )),
    }
}

pub(super) fn parse_order(
    v: &Json,
    metrics: &[Metric],
    dims: &[Dimension],
) -> Result<(OrderKey, Direction), ApiError> {
    let (Some(name), Some(dir)) = (
        v.get(0).and_then(Json::as_str),
        v.get(1).and_then(Json::as_str),
    ) else {
        return Err(bad(format!("#/order_by: invalid entry {v}")));
    };
    let dir = match dir {
        "asc" => Direction::Asc,
        "desc" => Direction::Desc,
        _ => {
            return Err(bad(format!(
                "#/order_by: direction must be asc or desc in {v}"
            )));
        }
    };
    if let Some(m) = Metric::parse(name).filter(|m| metrics.contains(m)) {
        return Ok((OrderKey::Metric(m), dir));
    }
    if let Some(d) = Dimension::parse(name).filter(|d| dims.contains(d)) {
        return Ok((OrderKey::Dimension(d), dir));
    }
    Err(bad(format!(
        "#/order_by: {name:?} is not among the queried metrics or dimensions"
    )))
}
