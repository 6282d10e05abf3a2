//! Data in and out over HTTP, for any key of the site's workspace (imports
//! and their deletion for a key allowed to manage sites):
//!
//! | method | path | |
//! | --- | --- | --- |
//! | GET | `/api/v1/sites/{site_id}/export?format=plausible-csv` | Plausible's export zip |
//! | GET | `/api/v1/sites/{site_id}/events?format=csv\|ndjson&from=&to=` | the events, streamed |
//! | GET | `/api/v1/sites/{site_id}/imports` | the site's imports |
//! | POST | `/api/v1/sites/{site_id}/imports` | a zip, or one CSV (`?filename=`) |
//! | DELETE | `/api/v1/sites/{site_id}/imports/{id}` | `{"deleted": true}` |
//!
//! `from` and `to` are dates in the site's zone (default: its first day
//! with data, and today). Uploads over [`MAX_UPLOAD_BYTES`] are refused:
//! the command line (`touchpoint import`) takes files of any size.

use actix_web::{HttpRequest, HttpResponse, http::header, web};
use chrono::NaiveDate;
use serde_json::{Value as Json, json};

use super::{ApiError, authenticate_key, site as find_site};
use crate::{
    domain::calendar::{date_of_day, day_number, days_to_ms, local_day},
    exchange::{export, import, raw},
    startup::AppState,
    store::{ApiKeyRecord, ImportRecord, Site},
};

/// Largest upload, bytes.
pub const MAX_UPLOAD_BYTES: usize = 256 * 1024 * 1024;

/// Routes (before the Sites API's `{site_id}` routes).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/sites/{site_id}/export", web::get().to(export_zip))
        .route("/api/v1/sites/{site_id}/events", web::get().to(events))
        .route("/api/v1/sites/{site_id}/imports", web::get().to(list))
        .service(
            web::resource("/api/v1/sites/{site_id}/imports")
                .app_data(web::PayloadConfig::new(MAX_UPLOAD_BYTES))
                .route(web::post().to(upload)),
        )
        .route(
            "/api/v1/sites/{site_id}/imports/{id}",
            web::delete().to(delete),
        );
}

fn bad(m: impl Into<String>) -> ApiError {
    ApiError::BadRequest(m.into())
}

fn query(req: &HttpRequest) -> std::collections::HashMap<String, String> {
    url::form_urlencoded::parse(req.query_string().as_bytes())
        .into_owned()
        .collect()
}

fn keyed_site(
    req: &HttpRequest,
    state: &AppState,
    site_id: &str,
) -> Result<(ApiKeyRecord, Site), ApiError> {
    let key = authenticate_key(req, state)?;
    let site = find_site(&state.store.read()?, key.workspace, Some(site_id))?;
    Ok((key, site))
}

/// The dates asked for, defaulting to the site's first day with data and today.
fn dates(
    req: &HttpRequest,
    state: &AppState,
    site: &Site,
) -> Result<(NaiveDate, NaiveDate), ApiError> {
    let q = query(req);
    let now = state.clock.now_ms();
    let today = date_of_day(local_day(now, site.timezone));
    let parse = |k: &str| -> Result<Option<NaiveDate>, ApiError> {
        q.get(k)
            .map(|v| {
                NaiveDate::parse_from_str(v, "%Y-%m-%d")
                    .map_err(|_| bad(format!("`{k}` must be a date (YYYY-MM-DD)")))
            })
            .transpose()
    };
    let first = match parse("from")? {
        Some(d) => d,
        None => export::date_range(&state.store.read()?, site, now)?.map_or(today, |r| r.0),
    };
    let last = parse("to")?.unwrap_or(today);
    if last < first {
        return Err(bad("`to` is before `from`"));
    }
    Ok((first, last))
}

/// `GET /api/v1/sites/{site_id}/export`
async fn export_zip(
    req: HttpRequest,
    state: web::Data<AppState>,
    site_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (_, site) = keyed_site(&req, &state, &site_id)?;
    let format = query(&req)
        .get("format")
        .cloned()
        .unwrap_or_else(|| "plausible-csv".into());
    if format != "plausible-csv" {
        return Err(bad(
            "format must be plausible-csv (for events, GET …/events?format=csv)",
        ));
    }
    let (first, last) = dates(&req, &state, &site)?;
    let name = export::archive_name(
        &site,
        date_of_day(local_day(state.clock.now_ms(), site.timezone)),
    );
    let store = state.store.clone();
    let zip = web::block(move || -> Result<Vec<u8>, ApiError> {
        let rows = export::rows(&store.read()?, &site, first, last)?;
        export::write_zip(std::io::Cursor::new(Vec::new()), &rows, first, last)
            .map(std::io::Cursor::into_inner)
            .map_err(|e| ApiError::Internal(e.into()))
    })
    .await
    .map_err(|e| ApiError::Internal(e.into()))??;
    Ok(HttpResponse::Ok()
        .content_type("application/zip")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .body(zip))
}

/// A `Write` that hands chunks to the response stream.
struct Chunks(tokio::sync::mpsc::Sender<web::Bytes>, Vec<u8>);

impl std::io::Write for Chunks {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.1.extend_from_slice(b);
        if self.1.len() >= 64 * 1024 {
            self.flush()?;
        }
        Ok(b.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.1.is_empty() {
            return Ok(());
        }
        let chunk = web::Bytes::from(std::mem::take(&mut self.1));
        self.0.blocking_send(chunk).map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client went away")
        })
    }
}

/// `GET /api/v1/sites/{site_id}/events`: streamed as it is read.
async fn events(
    req: HttpRequest,
    state: web::Data<AppState>,
    site_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (_, site) = keyed_site(&req, &state, &site_id)?;
    let fmt = query(&req)
        .get("format")
        .cloned()
        .unwrap_or_else(|| "csv".into());
    let format = raw::Format::parse(&fmt).ok_or_else(|| bad("format must be csv or ndjson"))?;
    let (first, last) = dates(&req, &state, &site)?;
    let (from, to) = days_to_ms(day_number(first), day_number(last), site.timezone);
    let (tx, mut rx) = tokio::sync::mpsc::channel::<web::Bytes>(8);
    let store = state.store.clone();
    tokio::task::spawn_blocking(move || {
        let mut out = Chunks(tx, Vec::new());
        let res = store
            .read()
            .map_err(raw::RawError::from)
            .and_then(|view| raw::write(&view, &site, from, to, format, &mut out));
        if let Err(e) = res {
            tracing::warn!(error = %e, "event export stopped");
        }
    });
    let stream = futures_util::stream::poll_fn(move |cx| {
        rx.poll_recv(cx)
            .map(|c| c.map(Ok::<_, std::convert::Infallible>))
    });
    Ok(HttpResponse::Ok()
        .content_type(match format {
            raw::Format::Csv => "text/csv; charset=utf-8",
            raw::Format::Ndjson => "application/x-ndjson",
        })
        .streaming(stream))
}

fn import_json(r: &ImportRecord) -> Json {
    json!({
        "id": r.id,
        "source": r.source,
        "first_date": date_of_day(r.first_day).to_string(),
        "last_date": date_of_day(r.last_day).to_string(),
        "created_at": chrono::DateTime::from_timestamp_millis(i64::try_from(r.created_ms).unwrap_or(0))
            .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        "rows": r.rows,
    })
}

/// `GET /api/v1/sites/{site_id}/imports`
async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    site_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (_, site) = keyed_site(&req, &state, &site_id)?;
    let imports: Vec<Json> = state
        .store
        .imports(site.id)?
        .iter()
        .map(import_json)
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "imports": imports })))
}

/// [`keyed_site`] for a key allowed to manage sites (403 otherwise).
fn managed_site(
    req: &HttpRequest,
    state: &AppState,
    site_id: &str,
) -> Result<(ApiKeyRecord, Site), ApiError> {
    let key = super::sites::manager(req, state)?;
    let site = find_site(&state.store.read()?, key.workspace, Some(site_id))?;
    Ok((key, site))
}

/// `POST /api/v1/sites/{site_id}/imports`
async fn upload(
    req: HttpRequest,
    state: web::Data<AppState>,
    site_id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (key, site) = managed_site(&req, &state, &site_id)?;
    let files = if body.starts_with(b"PK") {
        import::unzip(&body).map_err(|e| bad(e.to_string()))?
    } else {
        let name = query(&req)
            .get("filename")
            .cloned()
            .ok_or_else(|| bad("send the export's zip, or one CSV with ?filename=imported_<table>_<YYYYMMDD>_<YYYYMMDD>.csv"))?;
        vec![import::File {
            name,
            bytes: body.to_vec(),
        }]
    };
    let st = state.clone();
    let record = web::block(move || -> Result<ImportRecord, ApiError> {
        let now = st.clock.now_ms();
        let record =
            import::import(&st.store, &site, &files, now, |_, _| {}).map_err(|e| match e {
                import::ImportError::Store(s) => ApiError::from(s),
                e => bad(e.to_string()),
            })?;
        st.auth.audit(
            &[site.workspace],
            None,
            "import_added",
            &format!(
                "{}: import {} (API key {})",
                site.domain, record.id, key.name
            ),
            now,
        )?;
        Ok(record)
    })
    .await
    .map_err(|e| ApiError::Internal(e.into()))??;
    Ok(HttpResponse::Ok().json(import_json(&record)))
}

/// `DELETE /api/v1/sites/{site_id}/imports/{id}`
async fn delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (site_id, id) = path.into_inner();
    let (key, site) = managed_site(&req, &state, &site_id)?;
    let not_found = || ApiError::NotFound("Import could not be found".into());
    let id: u32 = id.parse().map_err(|_| not_found())?;
    if !state.store.delete_import(site.id, id)? {
        return Err(not_found());
    }
    state.auth.audit(
        &[site.workspace],
        None,
        "import_deleted",
        &format!("{}: import {id} (API key {})", site.domain, key.name),
        state.clock.now_ms(),
    )?;
    Ok(HttpResponse::Ok().json(json!({"deleted": true})))
}
