//! `POST /api/v1/spend` (import ad spend) and `GET /api/v1/spend` (list it).
//!
//! Import, with a key that may record conversions, either as JSON:
//! ```json
//! {"site_id": "example.com", "rows": [{"date": "2024-03-01", "source": "google",
//!   "medium": "cpc", "campaign": "spring", "spend": "12.50", "currency": "EUR",
//!   "clicks": 40, "impressions": 1200}]}
//! ```
//! or as the CSV `touchpoint spend import` reads (`Content-Type: text/csv`,
//! `?site_id=example.com`; columns in `domain::spend`). The answer is
//! `{"rows": n, "replaced": m}`: rows of one day and campaign are summed, a
//! stored row of the same day, source, medium and campaign is replaced. A
//! wrong row refuses the whole upload with a 400 naming it.
//!
//! List: `GET /api/v1/spend?site_id=example.com&from=2024-03-01&to=2024-03-31`
//! (local days, inclusive; default the last 30 days) answers
//! `{"results": [{"date", "source", "medium", "campaign", "spend", "currency",
//! "clicks", "impressions"}]}`.

use std::collections::BTreeMap;

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDate;
use serde_json::{Value as Json, json};

use super::{ApiError, authenticate_key, json_object, recording_key, site};
use crate::{
    domain::{
        calendar::{date_of_day, day_number},
        money::{code_str, micros_to_decimal},
        spend::{FIELDS, RawRow, SpendError, merge, parse_csv, parse_row},
    },
    startup::AppState,
    stats::period::today,
};

/// Routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/spend", web::post().to(import))
        .route("/api/v1/spend", web::get().to(list));
}

fn bad(m: impl Into<String>) -> ApiError {
    ApiError::BadRequest(m.into())
}

fn query_param(req: &HttpRequest, name: &str) -> Option<String> {
    web::Query::<BTreeMap<String, String>>::from_query(req.query_string())
        .ok()
        .and_then(|q| q.get(name).cloned())
}

/// The rows of a JSON body's `rows`.
fn json_rows(rows: &[Json]) -> Result<Vec<crate::domain::spend::SpendRow>, ApiError> {
    let mut merged = BTreeMap::new();
    for (i, r) in rows.iter().enumerate() {
        let o = r
            .as_object()
            .ok_or_else(|| bad(format!("rows[{i}] must be an object")))?;
        let text = |k: &str| -> Result<String, ApiError> {
            match o.get(k) {
                None | Some(Json::Null) => Ok(String::new()),
                Some(Json::String(s)) => Ok(s.clone()),
                Some(Json::Number(n)) => Ok(n.to_string()),
                Some(_) => Err(bad(format!("rows[{i}].{k} must be a string or a number"))),
            }
        };
        let fields = FIELDS.map(text);
        let [
            date,
            source,
            medium,
            campaign,
            spend,
            currency,
            clicks,
            impressions,
        ] = fields;
        let raw = RawRow {
            date: &date?,
            source: &source?,
            medium: &medium?,
            campaign: &campaign?,
            spend: &spend?,
            currency: &currency?,
            clicks: &clicks?,
            impressions: &impressions?,
        };
        let row = parse_row(&raw).map_err(|e| bad(format!("rows[{i}]: {e}")))?;
        merge(&mut merged, row, i as u64).map_err(|e| match e {
            SpendError::MixedCurrency { campaign, date, .. } => bad(format!(
                "rows[{i}]: {campaign:?} on {date} is in two currencies"
            )),
            e => bad(format!("rows[{i}]: {e}")),
        })?;
    }
    Ok(merged.into_iter().collect())
}

/// `POST /api/v1/spend`
pub async fn import(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let key = recording_key(&req, &state)?;
    let is_csv = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/csv"));
    let (site_id, rows) = if is_csv {
        let rows = web::block(move || parse_csv(&body))
            .await
            .map_err(|e| ApiError::Internal(e.into()))?
            .map_err(|e| match e {
                SpendError::Csv(c) => bad(format!("the CSV could not be read: {c}")),
                e => bad(e.to_string()),
            })?;
        (query_param(&req, "site_id"), rows)
    } else {
        let o = json_object(&body)?;
        let rows = match o.get("rows") {
            Some(Json::Array(a)) if !a.is_empty() => json_rows(a)?,
            _ => return Err(bad("rows must be a non-empty list")),
        };
        (
            o.get("site_id").and_then(Json::as_str).map(str::to_owned),
            rows,
        )
    };
    if rows.is_empty() {
        return Err(bad("the upload has no rows"));
    }
    let s = site(&state.store.read()?, key.workspace, site_id.as_deref())?;
    let store = state.store.clone();
    let n = rows.len();
    let replaced = web::block(move || store.put_spend(s.id, &rows))
        .await
        .map_err(|e| ApiError::Internal(e.into()))??;
    Ok(HttpResponse::Ok().json(json!({"rows": n, "replaced": replaced})))
}

/// `GET /api/v1/spend`
pub async fn list(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let key = authenticate_key(&req, &state)?;
    let s = site(
        &state.store.read()?,
        key.workspace,
        query_param(&req, "site_id").as_deref(),
    )?;
    let day = |name: &str, default: u32| -> Result<u32, ApiError> {
        query_param(&req, name).map_or(Ok(default), |d| {
            NaiveDate::parse_from_str(&d, "%Y-%m-%d")
                .map(day_number)
                .map_err(|_| bad(format!("{name} must be a YYYY-MM-DD date")))
        })
    };
    let last = day("to", day_number(today(state.clock.now_ms(), s.timezone)))?;
    let first = day("from", last.saturating_sub(29))?;
    if first > last {
        return Err(bad("from is after to"));
    }
    let rows = state.store.spend(s.id, first, last)?;
    let results: Vec<Json> = rows
        .iter()
        .map(|(k, a)| {
            json!({
                "date": date_of_day(k.day).to_string(),
                "source": k.source, "medium": k.medium, "campaign": k.campaign,
                "spend": micros_to_decimal(a.micros), "currency": code_str(a.currency),
                "clicks": a.clicks, "impressions": a.impressions,
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({"results": results})))
}
