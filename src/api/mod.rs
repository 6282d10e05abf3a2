//! JSON APIs, wire-compatible with Plausible's Stats API (v2 query and the v1
//! endpoints), authenticated with a Bearer API key.

mod attribution;
mod conversions;
mod exchange;
mod funnel;
mod openapi;
mod sites;
mod spend;
pub(crate) mod v1;
mod v2;
pub(crate) mod v2_input;
pub(crate) mod v2_names;
pub(crate) mod v2_request;

use actix_web::{HttpRequest, HttpResponse, ResponseError, http::StatusCode, web};
use serde_json::json;

use crate::{
    domain::{Domain, WorkspaceId},
    privacy,
    startup::AppState,
    stats::{self, StatsError, query::Query},
    store::{ReadView, Site, StoreError},
};

/// Routes under `/api/v1/stats` and `/api/v2`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v2/query", web::post().to(v2::query))
        .route("/api/openapi.json", web::get().to(openapi::document))
        .route(
            "/api/v1/stats/realtime/visitors",
            web::get().to(v1::realtime),
        )
        .route("/api/v1/stats/aggregate", web::get().to(v1::aggregate))
        .route("/api/v1/stats/timeseries", web::get().to(v1::timeseries))
        .route("/api/v1/stats/breakdown", web::get().to(v1::breakdown))
        .route("/api/v1/conversions", web::post().to(conversions::record))
        .route("/api/v1/attribution", web::post().to(attribution::query))
        .route("/api/v1/revenue", web::post().to(attribution::revenue))
        .route("/api/v1/funnel", web::post().to(funnel::query))
        .configure(exchange::routes)
        .configure(sites::routes)
        .configure(spend::routes);
}

/// An API failure, rendered as Plausible renders them: `{"error": "..."}`.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400
    #[error("{0}")]
    BadRequest(String),
    /// 401
    #[error("{0}")]
    Unauthorized(String),
    /// 403
    #[error("{0}")]
    Forbidden(String),
    /// 404
    #[error("{0}")]
    NotFound(String),
    /// 500; the cause goes to the log, not the client.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// 503 with `Retry-After`: the storage can't serve now (a full disk,
    /// the file being reopened); the store has logged why.
    #[error(
        "storage is unavailable for now (a full disk or a file being recovered); try again later"
    )]
    Unavailable(#[source] StoreError),
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status_code());
        match self {
            Self::Internal(cause) => {
                tracing::error!(error = %crate::telemetry::causes(cause.as_ref()), "API failure");
            }
            Self::Unavailable(_) => {
                res.insert_header((actix_web::http::header::RETRY_AFTER, "10"));
            }
            _ => {}
        }
        res.json(json!({ "error": self.to_string() }))
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        if e.is_unavailable() {
            Self::Unavailable(e)
        } else {
            Self::Internal(Box::new(e))
        }
    }
}

impl From<StatsError> for ApiError {
    fn from(e: StatsError) -> Self {
        match e {
            StatsError::Invalid(m) => Self::BadRequest(m),
            e @ StatsError::TooLarge { .. } => Self::BadRequest(e.to_string()),
            StatsError::Store(s) => s.into(),
        }
    }
}

/// A request body that must be a JSON object.
pub(crate) fn json_object(
    body: &[u8],
) -> Result<serde_json::Map<String, serde_json::Value>, ApiError> {
    match serde_json::from_slice(body) {
        Ok(serde_json::Value::Object(o)) => Ok(o),
        Ok(_) => Err(ApiError::BadRequest(
            "The request body must be a JSON object".into(),
        )),
        Err(e) => Err(ApiError::BadRequest(format!("Invalid JSON body: {e}"))),
    }
}

/// What the report APIs share: the request body, the site it names (among
/// the key's workspace's) and its `date_range` as unix ms, with the dates to echo.
struct Scoped {
    body: serde_json::Map<String, serde_json::Value>,
    site: Site,
    from_ms: u64,
    to_ms: u64,
    range: serde_json::Value,
}

fn scoped(req: &HttpRequest, state: &AppState, body: &[u8]) -> Result<Scoped, ApiError> {
    let ws = authenticate(req, state)?;
    let body = json_object(body)?;
    let view = state.store.read()?;
    let site = site(
        &view,
        ws,
        body.get("site_id").and_then(serde_json::Value::as_str),
    )?;
    let (from_ms, to_ms, range) = v2_input::date_range(
        body.get("date_range"),
        site.timezone,
        state.clock.now_ms(),
        || earliest_date(&view, &site),
    )?;
    Ok(Scoped {
        body,
        site,
        from_ms,
        to_ms,
        range,
    })
}

/// Checks the Bearer key; the answer is the workspace it reads.
fn authenticate(req: &HttpRequest, state: &AppState) -> Result<WorkspaceId, ApiError> {
    authenticate_key(req, state).map(|k| k.workspace)
}

/// Checks the Bearer key and that it may record data (conversions, spend).
fn recording_key(
    req: &HttpRequest,
    state: &AppState,
) -> Result<crate::store::ApiKeyRecord, ApiError> {
    let key = authenticate_key(req, state)?;
    if key.conversions {
        Ok(key)
    } else {
        Err(ApiError::Forbidden(
            "This API key may only read statistics; create one that may record conversions.".into(),
        ))
    }
}

/// Checks the Bearer key; the answer is its record.
fn authenticate_key(
    req: &HttpRequest,
    state: &AppState,
) -> Result<crate::store::ApiKeyRecord, ApiError> {
    let header = req
        .headers()
        .get("authorization")
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let Some(key) = header
        .strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|k| !k.is_empty())
    else {
        return Err(ApiError::Unauthorized(
            "Missing API key. Please use a valid Touchpoint API key as a Bearer Token.".into(),
        ));
    };
    // A deleted workspace's keys stop working at once.
    match state.store.api_key(&privacy::sha256_hex(key.as_bytes()))? {
        Some(k) if state.store.workspace(k.workspace)?.is_some() => Ok(k),
        _ => Err(ApiError::Unauthorized(
            "Invalid API key. Please make sure you're using a valid API key.".into(),
        )),
    }
}

/// Finds the site named by `site_id` (its domain, as in Plausible) among the
/// key's workspace's sites; another workspace's site is "not found".
fn site(view: &ReadView, ws: WorkspaceId, site_id: Option<&str>) -> Result<Site, ApiError> {
    let raw = site_id.filter(|s| !s.trim().is_empty()).ok_or_else(|| {
        ApiError::BadRequest(
            "Missing site ID. Please provide the required site_id parameter with your request."
                .into(),
        )
    })?;
    let domain = Domain::parse(raw).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    view.site_by_domain(domain.as_str())?
        .filter(|s| s.workspace == ws)
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "Site {raw:?} not found, or your API key does not have access to it."
            ))
        })
}

/// Runs a query off the async executor: a filtered scan can take a while.
async fn execute(state: &AppState, q: Query) -> Result<stats::Output, ApiError> {
    let store = state.store.clone();
    let turn = stats::gate::turn(&store).await;
    web::block(move || -> Result<stats::Output, ApiError> {
        let _turn = turn.enter(&store);
        let view = store.read()?;
        Ok(stats::run(&view, &q)?)
    })
    .await
    .map_err(|e| ApiError::Internal(e.into()))?
}

/// [`execute`], with the site's imported statistics added when `imports`
/// (then also why they weren't, if they weren't).
async fn execute_imports(
    state: &AppState,
    q: Query,
    imports: bool,
) -> Result<(stats::Output, Option<stats::imported::Skip>), ApiError> {
    if !imports {
        return Ok((execute(state, q).await?, None));
    }
    let store = state.store.clone();
    let turn = stats::gate::turn(&store).await;
    web::block(move || -> Result<_, ApiError> {
        let _turn = turn.enter(&store);
        let view = store.read()?;
        Ok(stats::run_with_imports(&view, &q)?)
    })
    .await
    .map_err(|e| ApiError::Internal(e.into()))?
}

/// Earliest date with data for `all` periods.
fn earliest_date(view: &ReadView, site: &Site) -> Result<chrono::NaiveDate, ApiError> {
    let ms = view
        .first_session_start(site.id)?
        .unwrap_or(site.created_ms);
    Ok(stats::period::today(ms, site.timezone))
}
