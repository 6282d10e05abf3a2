//! `POST /api/v1/attribution`: conversions and revenue credited by a
//! dimension under each model, side by side.
//!
//! ```json
//! {"site_id": "example.com", "date_range": "30d", "dimension": "visit:utm_campaign",
//!  "models": ["first_touch", "markov"], "lookback_days": 90, "conversion": "purchase"}
//! ```
//! Each row carries `spend` (the period's ad spend on it, see
//! `attribution::spend`; `null` for dimensions spend doesn't join) and, per
//! model, `conversions`, `revenue`, `leads` (new leads credited) and, when
//! spend joins, `roas` (revenue ÷ spend), `cac` (spend ÷ leads) and
//! `cost_per_conversion` (`null` where the divisor is 0); `meta.spend` has
//! the period's total, the spend that joined no row, the overall ROAS and
//! spend in currencies without a rate.
//!
//! `dimension` defaults to `visit:channel`, `models` to all eight,
//! `lookback_days` to the site's setting (90 days unless changed; 1–365),
//! `conversion` to every kind (`lead`, `purchase`, `custom`, or `goal:NAME` for
//! the completions of one of the site's goals, e.g. `goal:Signup` or
//! `goal:Visit /pricing*`).

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Map, Value as Json, json};

use super::{ApiError, Scoped, scoped};
use crate::{
    attribution::{
        Model,
        goals::{Choice, parse_choice},
        report::{ReportError, ReportQuery, report, supports},
        spend::ratio,
    },
    startup::AppState,
    stats::query::Dimension,
};

fn bad(m: impl Into<String>) -> ApiError {
    ApiError::BadRequest(m.into())
}

fn round(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// The body's touchpoint `dimension`, else `default`.
fn touchpoint_dimension(o: &Map<String, Json>, default: Dimension) -> Result<Dimension, ApiError> {
    match o.get("dimension").and_then(Json::as_str) {
        None => Ok(default),
        Some(d) => Dimension::parse(d).filter(supports).ok_or_else(|| {
            bad(format!("dimension {d:?} is not a touchpoint dimension (visit:channel, visit:source, visit:referrer, visit:utm_*, visit:click_id, visit:entry_page, visit:country, visit:device)"))
        }),
    }
}

/// `POST /api/v1/attribution`
pub async fn query(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let Scoped {
        body: o,
        site,
        from_ms,
        to_ms,
        range,
    } = scoped(&req, &state, &body)?;
    let dimension = touchpoint_dimension(&o, Dimension::Channel)?;
    let models = match o.get("models") {
        None | Some(Json::Null) => Model::ALL.to_vec(),
        Some(Json::Array(a)) if !a.is_empty() => a
            .iter()
            .map(|m| {
                m.as_str()
                    .and_then(Model::parse)
                    .ok_or_else(|| bad(format!("unknown model {m}")))
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(bad("models must be a non-empty list")),
    };
    let lookback_days = match o.get("lookback_days") {
        None | Some(Json::Null) => site.lookback_days(),
        Some(v) => v
            .as_u64()
            .filter(|d| (1..=365).contains(d))
            .ok_or_else(|| bad("lookback_days must be a whole number from 1 to 365"))?,
    };
    let choice = match o.get("conversion") {
        None | Some(Json::Null) => Choice::default(),
        Some(Json::String(k)) => parse_choice(k, &state.store.goals(site.id)?).map_err(bad)?,
        Some(_) => return Err(bad("conversion must be a string")),
    };
    let q = ReportQuery {
        from_ms,
        to_ms,
        dimension: dimension.clone(),
        lookback_ms: lookback_days * 86_400_000,
        models: models.clone(),
        kind: choice.kind,
        goal: choice.goal,
    };
    let (store, keys) = (state.store.clone(), state.auth.keys.clone());
    let turn = crate::stats::gate::turn(&store).await;
    let r = web::block(move || {
        let _turn = turn.enter(&store);
        report(&store, &keys, &site, &q)
    })
    .await
    .map_err(|e| ApiError::Internal(e.into()))?
    .map_err(report_error)?;
    let results: Vec<Json> = r
        .rows
        .iter()
        .map(|row| {
            let mut per = Map::new();
            for (m, c) in models.iter().zip(&row.credits) {
                let mut credit = json!({
                    "conversions": round(c.conversions),
                    "revenue": round(c.value),
                    "leads": round(c.leads),
                });
                if let Some(spend) = row.spend {
                    credit["roas"] = json!(ratio(c.value, spend).map(round));
                    credit["cac"] = json!(ratio(spend, c.leads).map(round));
                    credit["cost_per_conversion"] = json!(ratio(spend, c.conversions).map(round));
                }
                per.insert(m.as_str().to_owned(), credit);
            }
            json!({"dimension": row.label, "spend": row.spend.map(round), "models": per})
        })
        .collect();
    let spend = r.spend.as_ref().map(|s| {
        json!({
            "total": round(s.total),
            "unmatched": round(s.unmatched),
            "roas": ratio(r.revenue, s.total).map(round),
            "not_converted": s.not_converted.iter()
                .map(|(c, v)| json!({"currency": c, "spend": round(*v)}))
                .collect::<Vec<_>>(),
        })
    });
    Ok(HttpResponse::Ok().json(json!({
        "results": results,
        "meta": {
            "conversions": r.conversions,
            "revenue": round(r.revenue),
            "currency": r.currency,
            "revenue_not_converted": r.not_converted.iter()
                .map(|(c, v, n)| json!({"currency": c, "revenue": round(*v), "conversions": n}))
                .collect::<Vec<_>>(),
            "lookback_days": lookback_days,
            "spend": spend,
        },
        "query": {"dimension": dimension.to_string(), "date_range": range,
                  "models": models.iter().map(|m| m.as_str()).collect::<Vec<_>>()},
    })))
}

/// `POST /api/v1/revenue`: lifetime value by first-touch value (of
/// `dimension`, default `visit:source`), average order value, new-lead
/// revenue, time to lead and to first purchase, monthly lead cohorts — for
/// the leads who became leads in `date_range`.
pub async fn revenue(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    use crate::attribution::revenue::TIME_BUCKET_LABELS;
    let Scoped {
        body: o,
        site,
        from_ms,
        to_ms,
        range,
    } = scoped(&req, &state, &body)?;
    let dimension = touchpoint_dimension(&o, Dimension::Source)?;
    let (store, keys, d2) = (
        state.store.clone(),
        state.auth.keys.clone(),
        dimension.clone(),
    );
    let turn = crate::stats::gate::turn(&store).await;
    let (r, labels) = web::block(move || {
        let _turn = turn.enter(&store);
        crate::attribution::lead_facts::revenue(&store, &keys, &site, &d2, from_ms, to_ms)
    })
    .await
    .map_err(|e| ApiError::Internal(e.into()))?
    .map_err(report_error)?;
    let ltv: Vec<Json> = r
        .ltv_by_first_touch
        .iter()
        .map(|(k, l)| {
            let label = k.and_then(|k| labels.get(&k).cloned()).unwrap_or_else(|| crate::attribution::report::NO_VISIT.into());
            json!({"first_touch": label, "leads": l.leads, "revenue": round(l.revenue), "ltv": round(l.per_lead())})
        })
        .collect();
    let dist = |counts: &[u64; 5]| -> Json {
        TIME_BUCKET_LABELS
            .iter()
            .zip(counts)
            .map(|(l, n)| json!({"within": l, "leads": n}))
            .collect()
    };
    let cohorts: Vec<Json> = r
        .cohorts
        .iter()
        .map(|(m, (n, cum))| json!({"month": m, "leads": n, "cumulative_revenue": cum.iter().map(|v| round(*v)).collect::<Vec<_>>()}))
        .collect();
    Ok(HttpResponse::Ok().json(json!({
        "ltv_by_first_touch": ltv,
        "purchases": r.purchases,
        "average_order_value": round(r.average_order_value()),
        "new_lead_revenue": round(r.new_lead_revenue),
        "time_to_lead": dist(&r.time_to_lead),
        "time_to_first_purchase": dist(&r.time_to_first_purchase),
        "cohorts": cohorts,
        "currency": r.currency,
        "revenue_not_converted": r.not_converted.iter()
            .map(|(c, v, n)| json!({"currency": c, "revenue": round(*v), "purchases": n}))
            .collect::<Vec<_>>(),
        "query": {"dimension": dimension.to_string(), "date_range": range},
    })))
}

/// A report's refusal (400) or storage failure.
fn report_error(e: ReportError) -> ApiError {
    match e {
        ReportError::Invalid(m) => bad(m),
        ReportError::Store(s) => s.into(),
    }
}
