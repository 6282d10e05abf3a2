//! `POST /api/v2/query`, as Plausible documents it.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, NaiveDate};
use serde_json::{Value as Json, json};

use super::{ApiError, authenticate, earliest_date, execute, json_object, site};
use crate::{
    domain::calendar::dates_to_ms,
    startup::AppState,
    stats::{
        Value,
        period::{named_period, today},
        query::{Dimension, Direction, Filter, MAX_DIMENSIONS, Metric, Op, OrderKey, Query},
    },
};

fn bad(m: impl Into<String>) -> ApiError {
    ApiError::BadRequest(m.into())
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

    let metrics: Vec<Metric> = match obj.get("metrics") {
        Some(Json::Array(a)) if !a.is_empty() => a
            .iter()
            .map(|m| {
                m.as_str()
                    .and_then(Metric::parse)
                    .ok_or_else(|| bad(format!("#/metrics: invalid metric {m}")))
            })
            .collect::<Result<_, _>>()?,
        _ => return Err(bad("#/metrics: a non-empty list of metrics is required")),
    };
    let dimensions: Vec<Dimension> = match obj.get("dimensions") {
        None | Some(Json::Null) => Vec::new(),
        Some(Json::Array(a)) => a
            .iter()
            .map(|d| {
                d.as_str()
                    .and_then(Dimension::parse)
                    .ok_or_else(|| bad(format!("#/dimensions: invalid dimension {d}")))
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(bad("#/dimensions must be a list")),
    };
    if dimensions.len() > MAX_DIMENSIONS {
        return Err(bad(format!(
            "#/dimensions: at most {MAX_DIMENSIONS} dimensions"
        )));
    }
    if metrics.contains(&Metric::Percentage) && dimensions.is_empty() {
        return Err(bad(
            "Metric `percentage` can only be queried with a dimension",
        ));
    }

    let (from_ms, to_ms, range_echo) =
        date_range(obj.get("date_range"), &view, &site, state.clock.now_ms())?;

    let filter = match obj.get("filters") {
        None | Some(Json::Null) => None,
        Some(Json::Array(a)) if a.is_empty() => None,
        Some(Json::Array(a)) => Some(Filter::And(
            a.iter().map(parse_filter).collect::<Result<_, _>>()?,
        )),
        Some(_) => return Err(bad("#/filters must be a list")),
    };

    let order_by = match obj.get("order_by") {
        None | Some(Json::Null) => Vec::new(),
        Some(Json::Array(a)) => a
            .iter()
            .map(|o| parse_order(o, &metrics, &dimensions))
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
    let out = execute(&state, q).await?;
    // Revenue as Plausible gives it: {value, currency}, in the row's currency.
    let value = |m: &Metric, v: &Value, cur: &Option<String>| match (m.is_revenue(), cur) {
        (true, Some(c)) => json!({ "value": to_json(*v), "currency": c }),
        (true, None) => Json::Null,
        _ => to_json(*v),
    };
    let results: Vec<Json> = out
        .rows
        .iter()
        .map(|r| json!({ "metrics": metrics.iter().zip(&r.metrics).map(|(m, v)| value(m, v, &r.currency)).collect::<Vec<_>>(), "dimensions": r.dimensions }))
        .collect();
    let mut meta = json!({ "total_rows": out.total_rows, "from_rollups": out.used_rollups });
    if !out.not_converted.is_empty() {
        // Revenue in currencies the site gave no exchange rate for: named,
        // never silently summed or dropped.
        meta["revenue_not_converted"] = out
            .not_converted
            .iter()
            .map(|(c, v)| (c.clone(), json!(v)))
            .collect::<serde_json::Map<_, _>>()
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

/// A `date_range` (a period name or `[from, to]`) as unix ms `[from, to)`,
/// with the resolved dates to echo.
pub(super) fn date_range(
    v: Option<&Json>,
    view: &crate::store::ReadView,
    site: &crate::store::Site,
    now: u64,
) -> Result<(u64, u64, Json), ApiError> {
    let tz = site.timezone;
    Ok(match v {
        Some(Json::String(name)) => {
            let (a, b) =
                named_period(name, today(now, tz), earliest_date(view, site)?).map_err(bad)?;
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
    if let (Ok(a), Ok(b)) = (a.parse::<NaiveDate>(), b.parse::<NaiveDate>()) {
        if b < a {
            return Err(bad("#/date_range: the end is before the start"));
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
    Ok((f, t))
}

fn parse_filter(v: &Json) -> Result<Filter, ApiError> {
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

fn parse_order(
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
