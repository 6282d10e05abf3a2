//! Plausible's v1 Stats API: realtime, aggregate, timeseries and breakdown,
//! translated into the same [`Query`] the v2 endpoint runs.

pub(crate) mod filters;

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDate;
use serde_json::{Map, Value as Json, json};

use super::{ApiError, authenticate, earliest_date, execute, site, v2::to_json};
use crate::{
    domain::calendar::dates_to_ms,
    startup::AppState,
    stats::{
        period::{named_period, today},
        query::{Dimension, Filter, Metric, Query},
        values::{time_buckets, time_label},
    },
    store::Site,
};
use filters::parse_filters;

type Params = web::Query<HashMap<String, String>>;

/// Longest v1 date range: about ten years of daily buckets.
const MAX_RANGE_DAYS: i64 = 3660;
/// Longest range for hourly buckets (Plausible offers hours for short periods).
const MAX_HOURLY_DAYS: i64 = 31;

fn bad(m: impl Into<String>) -> ApiError {
    ApiError::BadRequest(m.into())
}

/// `GET /api/v1/stats/realtime/visitors`: visitors active in the last 5 minutes.
pub async fn realtime(
    req: HttpRequest,
    state: web::Data<AppState>,
    p: Params,
) -> Result<HttpResponse, ApiError> {
    let ws = authenticate(&req, &state)?;
    let now = state.clock.now_ms();
    let store = state.store.clone();
    let site_id = p.get("site_id").cloned();
    let n = web::block(move || -> Result<usize, ApiError> {
        let view = store.read()?;
        let site = site(&view, ws, site_id.as_deref())?;
        Ok(crate::stats::realtime::current(&view, site.id, now)?.visitors)
    })
    .await
    .map_err(|e| ApiError::Internal(e.into()))??;
    Ok(HttpResponse::Ok().json(n))
}

/// What every v1 endpoint shares: site, range, metrics, filters.
struct Common {
    site: Site,
    from_ms: u64,
    to_ms: u64,
    first: NaiveDate,
    last: NaiveDate,
    period: String,
    metrics: Vec<Metric>,
    filter: Option<Filter>,
}

/// Authenticates, then reads what every v1 endpoint shares from the query string.
fn common(req: &HttpRequest, state: &AppState, p: &Params) -> Result<Common, ApiError> {
    let ws = authenticate(req, state)?;
    let view = state.store.read()?;
    let site = site(&view, ws, p.get("site_id").map(String::as_str))?;
    let tz = site.timezone;
    let period = p.get("period").map_or("30d", String::as_str).to_owned();
    let (first, last) = if period == "custom" {
        let date = p
            .get("date")
            .ok_or_else(|| bad("The `date` parameter is required when using a custom period"))?;
        let (a, b) = date
            .split_once(',')
            .ok_or_else(|| bad("Invalid format for `date` parameter. When using a custom period, please include two ISO-8601 formatted dates joined by a comma."))?;
        let (a, b) = (parse_date(a)?, parse_date(b)?);
        (a, b)
    } else {
        let date = match p.get("date") {
            Some(d) => parse_date(d)?,
            None => today(state.clock.now_ms(), tz),
        };
        named_period(&period, date, earliest_date(&view, &site)?).map_err(|_| {
            bad(format!("Error parsing `period` parameter: invalid period `{period}`. Please find accepted values in our docs"))
        })?
    };
    if last < first {
        return Err(bad("The end of the date range is before its start"));
    }
    if (last - first).num_days() > MAX_RANGE_DAYS {
        return Err(bad(format!(
            "The date range is longer than {MAX_RANGE_DAYS} days; query it in parts"
        )));
    }
    let (from_ms, to_ms) = dates_to_ms(first, last, tz);
    let metrics = p
        .get("metrics")
        .map_or("visitors", String::as_str)
        .split(',')
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .map(|m| {
            Metric::parse(m).ok_or_else(|| {
                bad(format!(
                    "The metric `{m}` is not recognized. Find valid metrics from the documentation"
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let filter = p.get("filters").map(|f| parse_filters(f)).transpose()?;
    Ok(Common {
        site,
        from_ms,
        to_ms,
        first,
        last,
        period,
        metrics,
        filter,
    })
}

fn parse_date(s: &str) -> Result<NaiveDate, ApiError> {
    s.trim()
        .parse()
        .map_err(|_| bad(format!("Failed to parse date {s:?}: expected YYYY-MM-DD")))
}

/// The shared query over a v1 request's site, range and filters.
fn query(c: &Common, dims: Vec<Dimension>, limit: usize, offset: usize) -> Query {
    Query {
        site: c.site.id,
        timezone: c.site.timezone,
        from_ms: c.from_ms,
        to_ms: c.to_ms,
        metrics: c.metrics.clone(),
        dimensions: dims,
        filter: c.filter.clone(),
        order_by: Vec::new(),
        limit,
        offset,
        money: c.site.money(),
    }
}

/// `GET /api/v1/stats/aggregate`
pub async fn aggregate(
    req: HttpRequest,
    state: web::Data<AppState>,
    p: Params,
) -> Result<HttpResponse, ApiError> {
    let c = common(&req, &state, &p)?;
    if c.metrics.contains(&Metric::Percentage) {
        return Err(bad("Metric `percentage` is only available in breakdowns"));
    }
    let out = execute(&state, query(&c, Vec::new(), 1, 0)).await?;
    let mut results = Map::new();
    if let Some(row) = out.rows.first() {
        for (m, v) in c.metrics.iter().zip(&row.metrics) {
            results.insert(m.as_str().to_owned(), json!({ "value": to_json(*v) }));
        }
    }
    Ok(HttpResponse::Ok().json(json!({ "results": results })))
}

/// `GET /api/v1/stats/timeseries`
pub async fn timeseries(
    req: HttpRequest,
    state: web::Data<AppState>,
    p: Params,
) -> Result<HttpResponse, ApiError> {
    let c = common(&req, &state, &p)?;
    let default = match c.period.as_str() {
        "day" => "hour",
        "6mo" | "12mo" | "year" => "month",
        _ => "date",
    };
    let dim = match p.get("interval").map_or(default, String::as_str) {
        "hour" => Dimension::Hour,
        "date" | "day" => Dimension::Day,
        "week" => Dimension::Week,
        "month" => Dimension::Month,
        other => {
            return Err(bad(format!(
                "Error parsing `interval` parameter: invalid interval `{other}`. Valid intervals are `date`, `week`, `month` and `hour`"
            )));
        }
    };
    if dim == Dimension::Hour && (c.last - c.first).num_days() >= MAX_HOURLY_DAYS {
        return Err(bad(format!(
            "The `hour` interval is available for periods up to {MAX_HOURLY_DAYS} days"
        )));
    }
    let out = execute(&state, query(&c, vec![dim.clone()], 100_000, 0)).await?;
    let by_label: HashMap<&str, &crate::stats::Row> = out
        .rows
        .iter()
        .map(|r| (r.dimensions[0].as_str(), r))
        .collect();
    // Plausible returns every bucket of the period, empty ones as zeros.
    let results: Vec<Json> = labels(&dim, &c)
        .into_iter()
        .map(|label| {
            let mut o = Map::new();
            o.insert("date".into(), json!(label));
            for (i, m) in c.metrics.iter().enumerate() {
                let v = by_label
                    .get(label.as_str())
                    .map_or(json!(0), |r| to_json(r.metrics[i]));
                o.insert(m.as_str().into(), v);
            }
            Json::Object(o)
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "results": results })))
}

/// Labels of every bucket of the range, in the site's zone: hours follow its
/// transitions (a spring-forward day has 23, a fall-back day 25; see
/// [`crate::stats::values::hour_bucket`]).
fn labels(dim: &Dimension, c: &Common) -> Vec<String> {
    let tz = c.site.timezone;
    time_buckets(dim, c.from_ms, c.to_ms, tz)
        .into_iter()
        .map(|raw| time_label(dim, raw, tz))
        .collect()
}

/// `GET /api/v1/stats/breakdown`
pub async fn breakdown(
    req: HttpRequest,
    state: web::Data<AppState>,
    p: Params,
) -> Result<HttpResponse, ApiError> {
    let c = common(&req, &state, &p)?;
    let property = p
        .get("property")
        .ok_or_else(|| bad("The `property` parameter is required for breakdown."))?;
    let dim = Dimension::parse(property)
        .filter(|d| !d.is_time())
        .ok_or_else(|| bad(format!("Invalid property '{property}'. Please provide a valid property for the breakdown endpoint")))?;
    let limit: usize = p
        .get("limit")
        .map_or(Ok(100), |l| l.parse())
        .map_err(|_| bad("limit must be a number"))?;
    let page: usize = p
        .get("page")
        .map_or(Ok(1), |l| l.parse())
        .map_err(|_| bad("page must be a number"))?;
    if !(1..=1000).contains(&limit) || page == 0 {
        return Err(bad(
            "Please provide limit as a number between 1 and 1000, and page from 1.",
        ));
    }
    // Results are keyed by the property as asked (`event:goal` → "goal").
    let key = match &dim {
        Dimension::Prop(k) => k.clone(),
        _ => property.rsplit(':').next().unwrap_or_default().to_owned(),
    };
    let offset = (page - 1)
        .checked_mul(limit)
        .ok_or_else(|| bad("page is too large"))?;
    let out = execute(&state, query(&c, vec![dim], limit, offset)).await?;
    let results: Vec<Json> = out
        .rows
        .iter()
        .map(|r| {
            let mut o = Map::new();
            o.insert(key.clone(), json!(r.dimensions[0]));
            for (m, v) in c.metrics.iter().zip(&r.metrics) {
                o.insert(m.as_str().into(), to_json(*v));
            }
            Json::Object(o)
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "results": results })))
}
