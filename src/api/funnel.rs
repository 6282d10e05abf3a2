//! `POST /api/v1/funnel`: visits completing ordered steps, with conversion
//! and drop-off per step, overall and by a visit dimension.
//!
//! ```json
//! {"site_id": "example.com", "date_range": "30d", "dimension": "visit:source",
//!  "steps": [{"page": "/pricing"}, {"page": "/signup*"}, {"event": "Signup"}]}
//! ```

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value as Json, json};

use super::{ApiError, Scoped, scoped};
use crate::{
    startup::AppState,
    stats::{
        funnel::{FunnelCounts, MAX_STEPS, Step, funnel},
        query::Dimension,
    },
};

fn bad(m: impl Into<String>) -> ApiError {
    ApiError::BadRequest(m.into())
}

fn steps_of(v: Option<&Json>) -> Result<Vec<Step>, ApiError> {
    let Some(Json::Array(a)) = v else {
        return Err(bad(
            "steps must be a list of {\"page\": PATH} or {\"event\": NAME}",
        ));
    };
    if !(2..=MAX_STEPS).contains(&a.len()) {
        return Err(bad(format!("a funnel has 2 to {MAX_STEPS} steps")));
    }
    a.iter()
        .map(|s| {
            match (
                s.get("page").and_then(Json::as_str),
                s.get("event").and_then(Json::as_str),
            ) {
                (Some(p), None) if p.starts_with('/') && p.len() <= 2000 => {
                    Ok(Step::Page(p.to_owned()))
                }
                (None, Some(e)) if !e.trim().is_empty() && e.len() <= 120 => {
                    Ok(Step::Event(e.trim().to_owned()))
                }
                _ => Err(bad(format!(
                    "step {s} must be {{\"page\": \"/path\"}} or {{\"event\": \"Name\"}}"
                ))),
            }
        })
        .collect()
}

/// Each step's visits, conversion from the first step (%) and drop-off from the previous.
fn describe(steps: &[Step], counts: &[u64]) -> Json {
    let first = counts.first().copied().unwrap_or(0);
    let rows: Vec<Json> = steps
        .iter()
        .zip(counts)
        .enumerate()
        .map(|(i, (s, n))| {
            let prev = if i == 0 { *n } else { counts[i - 1] };
            #[allow(clippy::cast_precision_loss)]
            let rate = if first == 0 {
                0.0
            } else {
                (*n as f64 / first as f64 * 1000.0).round() / 10.0
            };
            let step = match s {
                Step::Page(p) => json!({"page": p}),
                Step::Event(e) => json!({"event": e}),
            };
            json!({"step": step, "visits": n, "conversion_rate": rate, "dropoff": prev - n})
        })
        .collect();
    Json::Array(rows)
}

/// `POST /api/v1/funnel`
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
    let steps = steps_of(o.get("steps"))?;
    let by = match o.get("dimension").and_then(Json::as_str) {
        None => None,
        Some(d) => Some(
            Dimension::parse(d)
                .filter(|d| !d.is_event_level() && !d.is_time())
                .ok_or_else(|| bad(format!("dimension {d:?} is not a visit dimension")))?,
        ),
    };
    let store = state.store.clone();
    let (s2, b2) = (steps.clone(), by.clone());
    let turn = crate::stats::gate::turn(&store).await;
    let FunnelCounts { total, by: per } = web::block(move || -> Result<FunnelCounts, ApiError> {
        let _turn = turn.enter(&store);
        Ok(funnel(
            &store.read()?,
            site.id,
            from_ms,
            to_ms,
            &s2,
            b2.as_ref(),
        )?)
    })
    .await
    .map_err(|e| ApiError::Internal(e.into()))??;
    let mut rows: Vec<(String, Vec<u64>)> = per.into_iter().collect();
    rows.sort_by(|a, b| b.1.first().cmp(&a.1.first()).then_with(|| a.0.cmp(&b.0)));
    let breakdown: Vec<Json> = rows
        .iter()
        .map(|(label, counts)| json!({"dimension": label, "steps": describe(&steps, counts)}))
        .collect();
    Ok(HttpResponse::Ok().json(json!({
        "steps": describe(&steps, &total),
        "breakdown": breakdown,
        "query": {"date_range": range, "dimension": by.map(|d| d.to_string())},
    })))
}
