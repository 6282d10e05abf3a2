//! `POST /api/v2/query`, as Plausible documents it
//! (<https://plausible.io/docs/stats-api>), with its query schema's metrics,
//! dimensions, filters (behavioural `has_done`/`has_not_done` included),
//! date ranges (`24h` and date-time ranges included) and `include` options
//! (`time_labels`, `total_rows`, `imports`).
//!
//! `conversion_rate` and `group_conversion_rate` (Plausible's
//! `special_metrics.ex`) are the row's visitors as a percentage, one decimal,
//! of the visitors of the same query without its top-level `event:goal` and
//! `event:props:*` filters: over the whole range for `conversion_rate`, per
//! group of the dimensions other than `event:goal` for
//! `group_conversion_rate`; 0 when that is 0. Both need an `event:goal`
//! filter or dimension.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Map, Value as Json, json};

use super::{
    ApiError, authenticate, execute_imports, json_object, site,
    v2_input::{date_range, parse_filter, parse_order},
    v2_names::{Names, Place, name_dimension},
};
use crate::{
    startup::AppState,
    stats::{
        Value,
        query::{Dimension, Filter, MAX_DIMENSIONS, Metric, Query},
        values::{time_buckets, time_label},
    },
};

fn bad(m: impl Into<String>) -> ApiError {
    ApiError::BadRequest(m.into())
}

/// A metric as asked for: one the engine computes, or a rate computed here
/// from the engine's visitors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Asked {
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
struct Include {
    time_labels: bool,
    imports: bool,
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

/// Handler.
pub async fn query(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let ws = authenticate(&req, &state)?;
    let obj = &json_object(&body)?;
    let view = state.store.read()?;
    let site = site(&view, ws, obj.get("site_id").and_then(Json::as_str))?;
    let tz = site.timezone;

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
            Dimension::parse(d).ok_or_else(|| bad(format!("#/dimensions: invalid dimension {d:?}")))
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
    let names = Names::load(
        &view,
        Json::Object(obj.clone())
            .to_string()
            .contains("visit:region_name"),
    )?;
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

    let (from_ms, to_ms, range_echo) =
        date_range(obj.get("date_range"), &view, &site, state.clock.now_ms())?;
    let filters = |keep: &dyn Fn(&Json) -> bool| -> Result<Option<Filter>, ApiError> {
        let kept: Vec<Filter> = raw_filters
            .iter()
            .filter(|f| keep(f))
            .map(parse_filter)
            .collect::<Result<_, _>>()?;
        Ok((!kept.is_empty()).then_some(Filter::And(kept)))
    };
    let filter = filters(&|_| true)?;

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
    let order_by = match obj.get("order_by") {
        None | Some(Json::Null) => Vec::new(),
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
                parse_order(&o, &metrics, &dimensions)
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(bad("#/order_by must be a list")),
    };
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
    drop(view);

    let q = Query {
        site: site.id,
        timezone: tz,
        from_ms,
        to_ms,
        metrics: metrics.clone(),
        dimensions: dimensions.clone(),
        filter,
        order_by,
        limit: usize::try_from(limit).unwrap_or(10_000),
        offset: usize::try_from(offset).unwrap_or(0),
        money: site.money(),
    };
    let base = q.clone();
    let (out, skipped) = execute_imports(&state, q, include.imports).await?;

    // Denominators of the rates: the query without goal and property filters.
    let visitors_at = metrics.iter().position(|m| *m == Metric::Visitors);
    let count = |v: &Value| match v {
        Value::Int(i) => *i as f64,
        Value::Float(f) => *f,
        Value::None => 0.0,
    };
    let unfiltered = |dims: Vec<Dimension>| -> Result<Query, ApiError> {
        Ok(Query {
            metrics: vec![Metric::Visitors],
            dimensions: dims,
            filter: filters(&|f| !is_goal_or_prop_filter(f))?,
            order_by: Vec::new(),
            limit: usize::MAX,
            offset: 0,
            ..base.clone()
        })
    };
    let total = if asked.contains(&Asked::ConversionRate) {
        let t = execute_imports(&state, unfiltered(Vec::new())?, include.imports)
            .await?
            .0;
        t.rows.first().map_or(0.0, |r| count(&r.metrics[0]))
    } else {
        0.0
    };
    let group_dims: Vec<usize> = (0..dimensions.len())
        .filter(|i| Some(*i) != goal_dim)
        .collect();
    let per_group: HashMap<Vec<String>, f64> = if asked.contains(&Asked::GroupConversionRate) {
        let dims = group_dims.iter().map(|i| dimensions[*i].clone()).collect();
        execute_imports(&state, unfiltered(dims)?, include.imports)
            .await?
            .0
            .rows
            .iter()
            .map(|r| (r.dimensions.clone(), count(&r.metrics[0])))
            .collect()
    } else {
        HashMap::new()
    };
    let rate = |n: f64, d: f64| {
        if d > 0.0 {
            json!((n / d * 1000.0).round() / 10.0)
        } else {
            json!(0)
        }
    };

    // Revenue as Plausible gives it: {value, currency}, in the row's currency.
    let value = |m: &Metric, v: &Value, cur: &Option<String>| match (m.is_revenue(), cur) {
        (true, Some(c)) => json!({ "value": to_json(*v), "currency": c }),
        (true, None) => Json::Null,
        _ => to_json(*v),
    };
    let results: Vec<Json> = out
        .rows
        .iter()
        .map(|r| {
            let visitors = visitors_at.map_or(0.0, |i| count(&r.metrics[i]));
            let shown: Vec<Json> = asked
                .iter()
                .map(|a| match a {
                    Asked::Engine(m) => {
                        let i = metrics.iter().position(|x| x == m).unwrap_or(0);
                        value(m, &r.metrics[i], &r.currency)
                    }
                    Asked::ConversionRate => rate(visitors, total),
                    Asked::GroupConversionRate => {
                        let key: Vec<String> = group_dims
                            .iter()
                            .map(|i| r.dimensions[*i].clone())
                            .collect();
                        rate(visitors, per_group.get(&key).copied().unwrap_or(0.0))
                    }
                })
                .collect();
            let dims: Vec<String> = r
                .dimensions
                .iter()
                .zip(&places)
                .map(|(d, p)| p.map_or_else(|| d.clone(), |p| names.label(p, d)))
                .collect();
            json!({ "metrics": shown, "dimensions": dims })
        })
        .collect();
    let mut meta = json!({ "total_rows": out.total_rows, "from_rollups": out.used_rollups });
    if let (true, Some(d)) = (include.time_labels, &time_dim) {
        meta["time_labels"] = time_buckets(d, from_ms, to_ms, tz)
            .into_iter()
            .map(|b| json!(time_label(d, b, tz)))
            .collect();
    }
    if include.imports {
        meta["imports_included"] = json!(skipped.is_none());
        if let Some(skip) = skipped {
            meta["imports_skip_reason"] = json!(skip.as_str());
            if let Some(w) = skip.warning() {
                meta["imports_warning"] = json!(w);
            }
        }
    }
    if !out.not_converted.is_empty() {
        // Revenue in currencies the site gave no exchange rate for: named,
        // never silently summed or dropped.
        meta["revenue_not_converted"] = out
            .not_converted
            .iter()
            .map(|(c, v)| (c.clone(), json!(v)))
            .collect::<Map<_, _>>()
            .into();
        meta["warning"] = json!(format!(
            "revenue metrics are in {}; revenue in other currencies without an exchange rate (site settings) is listed in revenue_not_converted — group or filter by event:currency to see it",
            out.currency.as_deref().unwrap_or("one currency")
        ));
    }
    let mut echo = Json::Object(obj.clone());
    echo["date_range"] = range_echo;
    echo["timezone"] = json!(tz.to_string());
    Ok(HttpResponse::Ok().json(json!({
        "results": results,
        "meta": meta,
        "query": echo,
    })))
}

/// JSON for a metric value.
pub(super) fn to_json(v: Value) -> Json {
    match v {
        Value::Int(i) => json!(i),
        Value::Float(f) => json!(f),
        Value::None => Json::Null,
    }
}
