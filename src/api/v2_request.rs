//! The body of `POST /api/v2/query` read into what is asked: metrics,
//! dimensions, filters, `include`, date range, order and page. No store is
//! read here: the handler ([`super::v2`]) gives the place names and how a
//! `date_range` resolves, so the body's validation can run on its own.

use serde_json::{Map, Value as Json, json};

use super::{
    ApiError,
    v2_input::{parse_filter, parse_order},
    v2_names::{Names, Place, name_dimension},
};
use crate::stats::query::{Dimension, Direction, Filter, MAX_DIMENSIONS, Metric, OrderKey};

fn bad(m: impl Into<String>) -> ApiError {
    ApiError::BadRequest(m.into())
}

/// A metric as asked for: one the engine computes, or a rate computed here
/// from the engine's visitors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Asked {
    Engine(Metric),
    ConversionRate,
    GroupConversionRate,
}

impl Asked {
    fn parse(s: &str) -> Option<Self> {
        match s {
            "conversion_rate" => Some(Self::ConversionRate),
            "group_conversion_rate" => Some(Self::GroupConversionRate),
            _ => Metric::parse(s).map(Self::Engine),
        }
    }
}

/// `include` as given (Plausible's names; unknown options are refused).
#[derive(Debug, Default)]
pub(crate) struct Include {
    pub(crate) time_labels: bool,
    pub(crate) imports: bool,
}

fn include(v: Option<&Json>) -> Result<Include, ApiError> {
    let mut out = Include::default();
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return Ok(out);
    };
    let o = v
        .as_object()
        .ok_or_else(|| bad("#/include must be an object"))?;
    for (k, v) in o {
        let on = v
            .as_bool()
            .ok_or_else(|| bad(format!("#/include/{k} must be true or false")))?;
        match k.as_str() {
            "time_labels" => out.time_labels = on,
            "imports" => out.imports = on,
            "total_rows" => {}
            other => return Err(bad(format!("#/include: unknown option {other:?}"))),
        }
    }
    Ok(out)
}

/// True for a top-level filter on `event:goal` or `event:props:*` (left out
/// of a conversion rate's denominator).
fn is_goal_or_prop_filter(f: &Json) -> bool {
    f.get(1)
        .and_then(Json::as_str)
        .is_some_and(|d| d == "event:goal" || d.starts_with("event:props:"))
}

/// A valid query body.
#[derive(Debug)]
pub(crate) struct Request {
    /// The metrics as asked, in order.
    pub(crate) asked: Vec<Asked>,
    /// The engine's metrics: those asked, plus visitors for the rates.
    pub(crate) metrics: Vec<Metric>,
    /// For each dimension, the place it names when asked by name.
    pub(crate) places: Vec<Option<Place>>,
    /// The dimensions as the engine groups them (names as codes).
    pub(crate) dimensions: Vec<Dimension>,
    /// Where `event:goal` is among the dimensions.
    pub(crate) goal_dim: Option<usize>,
    /// The time dimension, if one is asked.
    pub(crate) time_dim: Option<Dimension>,
    /// `include`.
    pub(crate) include: Include,
    /// The range, unix ms `[from, to)`.
    pub(crate) from_ms: u64,
    /// See `from_ms`.
    pub(crate) to_ms: u64,
    /// The range's dates, to echo.
    pub(crate) range_echo: Json,
    /// All the filters.
    pub(crate) filter: Option<Filter>,
    /// `order_by`.
    pub(crate) order_by: Vec<(OrderKey, Direction)>,
    /// Page size, 1 to 10,000.
    pub(crate) limit: usize,
    /// Rows skipped.
    pub(crate) offset: usize,
    /// The filters as given, names rewritten to codes.
    raw_filters: Vec<Json>,
}

impl Request {
    /// Validates a body: names in filters become codes by `names`, the
    /// `date_range` is resolved by `date_range`.
    ///
    /// # Errors
    /// The first thing wrong, as Plausible words it where it has words.
    pub(crate) fn parse(
        obj: &Map<String, Json>,
        names: &Names,
        date_range: impl FnOnce(Option<&Json>) -> Result<(u64, u64, Json), ApiError>,
    ) -> Result<Self, ApiError> {
        let asked: Vec<Asked> = match obj.get("metrics") {
            Some(Json::Array(a)) if !a.is_empty() => a
                .iter()
                .map(|m| {
                    m.as_str()
                        .and_then(Asked::parse)
                        .ok_or_else(|| bad(format!("#/metrics: invalid metric {m}")))
                })
                .collect::<Result<_, _>>()?,
            _ => return Err(bad("#/metrics: a non-empty list of metrics is required")),
        };
        let dim_names: Vec<&str> = match obj.get("dimensions") {
            None | Some(Json::Null) => Vec::new(),
            Some(Json::Array(a)) => a
                .iter()
                .map(|d| {
                    d.as_str()
                        .ok_or_else(|| bad(format!("#/dimensions: invalid dimension {d}")))
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(bad("#/dimensions must be a list")),
        };
        // Location names group as their codes and are labelled afterwards.
        let places: Vec<Option<Place>> = dim_names
            .iter()
            .map(|d| name_dimension(d).map(|(p, _)| p))
            .collect();
        let dimensions: Vec<Dimension> = dim_names
            .iter()
            .map(|d| {
                let d = name_dimension(d).map_or(*d, |(_, code)| code);
                Dimension::parse(d)
                    .ok_or_else(|| bad(format!("#/dimensions: invalid dimension {d:?}")))
            })
            .collect::<Result<_, _>>()?;
        if dimensions.len() > MAX_DIMENSIONS {
            return Err(bad(format!(
                "#/dimensions: at most {MAX_DIMENSIONS} dimensions"
            )));
        }
        if asked.contains(&Asked::Engine(Metric::Percentage)) && dimensions.is_empty() {
            return Err(bad(
                "Metric `percentage` can only be queried with a dimension",
            ));
        }
        let raw_filters: Vec<Json> = match obj.get("filters") {
            None | Some(Json::Null) => Vec::new(),
            Some(Json::Array(a)) => a
                .iter()
                .map(|f| names.rewrite_filter(f))
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(bad("#/filters must be a list")),
        };
        let goal_dim = dim_names.iter().position(|d| *d == "event:goal");
        for (rate, name) in [
            (Asked::ConversionRate, "conversion_rate"),
            (Asked::GroupConversionRate, "group_conversion_rate"),
        ] {
            let goal_filter = raw_filters
                .iter()
                .any(|f| f.get(1).and_then(Json::as_str) == Some("event:goal"));
            if asked.contains(&rate) && goal_dim.is_none() && !goal_filter {
                return Err(bad(format!(
                    "Metric `{name}` can only be queried with event:goal filters or dimensions."
                )));
            }
        }
        let include = include(obj.get("include"))?;
        let time_dim = dimensions.iter().find(|d| d.is_time()).cloned();
        if include.time_labels && time_dim.is_none() {
            return Err(bad(
                "Invalid include.time_labels: requires a time dimension.",
            ));
        }
        let (from_ms, to_ms, range_echo) = date_range(obj.get("date_range"))?;
        let filter = filters(&raw_filters, |_| true)?;

        // The engine computes what is asked of it, plus visitors for the rates.
        let mut metrics: Vec<Metric> = asked
            .iter()
            .filter_map(|a| match a {
                Asked::Engine(m) => Some(*m),
                _ => None,
            })
            .collect();
        let rates = asked.iter().any(|a| !matches!(a, Asked::Engine(_)));
        if rates && !metrics.contains(&Metric::Visitors) {
            metrics.push(Metric::Visitors);
        }
        let order_by = order_by(obj.get("order_by"), &metrics, &dimensions)?;
        let pagination = obj.get("pagination");
        let limit = pagination
            .and_then(|p| p.get("limit"))
            .and_then(Json::as_u64)
            .unwrap_or(10_000);
        let offset = pagination
            .and_then(|p| p.get("offset"))
            .and_then(Json::as_u64)
            .unwrap_or(0);
        if limit == 0 || limit > 10_000 {
            return Err(bad("#/pagination/limit must be between 1 and 10000"));
        }
        Ok(Self {
            asked,
            metrics,
            places,
            dimensions,
            goal_dim,
            time_dim,
            include,
            from_ms,
            to_ms,
            range_echo,
            filter,
            order_by,
            limit: usize::try_from(limit).unwrap_or(10_000),
            offset: usize::try_from(offset).unwrap_or(0),
            raw_filters,
        })
    }

    /// The filter of a rate's denominator: the query's without its
    /// top-level goal and property filters.
    ///
    /// # Errors
    /// None in practice: the same filters parsed when the body was read.
    pub(crate) fn denominator_filter(&self) -> Result<Option<Filter>, ApiError> {
        filters(&self.raw_filters, |f| !is_goal_or_prop_filter(f))
    }
}

/// The filters `keep` keeps, all of them to hold.
fn filters(raw: &[Json], keep: impl Fn(&Json) -> bool) -> Result<Option<Filter>, ApiError> {
    let kept: Vec<Filter> = raw
        .iter()
        .filter(|f| keep(f))
        .map(parse_filter)
        .collect::<Result<_, _>>()?;
    Ok((!kept.is_empty()).then_some(Filter::And(kept)))
}

fn order_by(
    v: Option<&Json>,
    metrics: &[Metric],
    dimensions: &[Dimension],
) -> Result<Vec<(OrderKey, Direction)>, ApiError> {
    match v {
        None | Some(Json::Null) => Ok(Vec::new()),
        Some(Json::Array(a)) => a
            .iter()
            .map(|o| {
                let name = o.get(0).and_then(Json::as_str).unwrap_or_default();
                if matches!(name, "conversion_rate" | "group_conversion_rate") {
                    return Err(bad(format!(
                        "#/order_by: ordering by {name} is not supported; order by visitors"
                    )));
                }
                let mut o = o.clone();
                if let Some((_, code)) = name_dimension(name) {
                    o[0] = json!(code);
                }
                parse_order(&o, metrics, dimensions)
            })
            .collect(),
        Some(_) => Err(bad("#/order_by must be a list")),
    }
}
