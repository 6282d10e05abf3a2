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
    ApiError, authenticate, earliest_date, execute_imports, json_object, site,
    v2_input::date_range,
    v2_names::Names,
    v2_request::{Asked, Request},
};
use crate::{
    startup::AppState,
    stats::{
        Value,
        query::{Dimension, Metric, Query},
        values::{time_buckets, time_label},
    },
};

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
    let names = Names::load(
        &view,
        Json::Object(obj.clone())
            .to_string()
            .contains("visit:region_name"),
    )?;
    let now = state.clock.now_ms();
    let input = Request::parse(obj, &names, |range| {
        date_range(range, tz, now, || earliest_date(&view, &site))
    })?;
    drop(view);
    let denominator = input.denominator_filter()?;
    let q = Query {
        site: site.id,
        timezone: tz,
        from_ms: input.from_ms,
        to_ms: input.to_ms,
        metrics: input.metrics.clone(),
        dimensions: input.dimensions.clone(),
        filter: input.filter.clone(),
        order_by: input.order_by.clone(),
        limit: input.limit,
        offset: input.offset,
        money: site.money(),
    };
    let base = q.clone();
    let (out, skipped) = execute_imports(&state, q, input.include.imports).await?;

    // Denominators of the rates: the query without goal and property filters.
    let visitors_at = input.metrics.iter().position(|m| *m == Metric::Visitors);
    let count = |v: &Value| match v {
        Value::Int(i) => *i as f64,
        Value::Float(f) => *f,
        Value::None => 0.0,
    };
    let unfiltered = |dims: Vec<Dimension>| Query {
        metrics: vec![Metric::Visitors],
        dimensions: dims,
        filter: denominator.clone(),
        order_by: Vec::new(),
        limit: usize::MAX,
        offset: 0,
        ..base.clone()
    };
    let total = if input.asked.contains(&Asked::ConversionRate) {
        let t = execute_imports(&state, unfiltered(Vec::new()), input.include.imports)
            .await?
            .0;
        t.rows.first().map_or(0.0, |r| count(&r.metrics[0]))
    } else {
        0.0
    };
    let group_dims: Vec<usize> = (0..input.dimensions.len())
        .filter(|i| Some(*i) != input.goal_dim)
        .collect();
    let per_group: HashMap<Vec<String>, f64> = if input.asked.contains(&Asked::GroupConversionRate)
    {
        let dims = group_dims
            .iter()
            .map(|i| input.dimensions[*i].clone())
            .collect();
        execute_imports(&state, unfiltered(dims), input.include.imports)
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
            let shown: Vec<Json> = input
                .asked
                .iter()
                .map(|a| match a {
                    Asked::Engine(m) => {
                        let i = input.metrics.iter().position(|x| x == m).unwrap_or(0);
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
                .zip(&input.places)
                .map(|(d, p)| p.map_or_else(|| d.clone(), |p| names.label(p, d)))
                .collect();
            json!({ "metrics": shown, "dimensions": dims })
        })
        .collect();
    let mut meta = json!({ "total_rows": out.total_rows, "from_rollups": out.used_rollups });
    if let (true, Some(d)) = (input.include.time_labels, &input.time_dim) {
        meta["time_labels"] = time_buckets(d, input.from_ms, input.to_ms, tz)
            .into_iter()
            .map(|b| json!(time_label(d, b, tz)))
            .collect();
    }
    if input.include.imports {
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
    echo["date_range"] = input.range_echo;
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
