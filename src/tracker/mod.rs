//! The browser-facing edge: `POST /api/event`, wire-compatible with Plausible's
//! Events API. It is the only route with open CORS, and it accepts any
//! Content-Type so browsers can send `text/plain` and skip the preflight.

mod identity;
pub mod script;

use actix_web::{
    HttpRequest, HttpResponse,
    http::header::{self, HeaderValue},
    web,
};
use serde_json::json;

use crate::{
    ingest::{
        client_ip::client_ip,
        enrich::{DropReason, Enriched},
        identity::Identity,
        payload::{self, FieldErrors},
        writer::EnqueueError,
    },
    startup::AppState,
    store::Site,
};

/// The type of the 202's `ok`, as Plausible sends it.
const TEXT: &str = "text/plain; charset=utf-8";

/// Header naming why a valid event was not recorded.
pub const DROPPED_HEADER: &str = "x-touchpoint-dropped";

/// Routes of the tracker edge.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/js/{name}", web::get().to(script::serve));
    cfg.service(
        web::resource("/api/event")
            .route(web::post().to(event))
            .route(web::method(actix_web::http::Method::OPTIONS).to(preflight)),
    );
}

fn cors(res: HttpResponse) -> HttpResponse {
    open_cors(res, "Content-Type")
}

async fn preflight() -> HttpResponse {
    cors(preflight_answer())
}

/// Open CORS for a collection endpoint browsers post to from any site
/// (the tracker's, Segment's browser library): any origin, `POST`, the
/// request headers `allow_headers`, and Touchpoint's answer headers exposed.
pub(crate) fn open_cors(mut res: HttpResponse, allow_headers: &'static str) -> HttpResponse {
    let h = res.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("POST, OPTIONS"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static(allow_headers),
    );
    h.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("x-touchpoint-dropped, x-touchpoint-refused, retry-after"),
    );
    res
}

/// The answer to a CORS preflight (cached a day), before its CORS headers.
pub(crate) fn preflight_answer() -> HttpResponse {
    HttpResponse::NoContent()
        .insert_header((header::ACCESS_CONTROL_MAX_AGE, "86400"))
        .finish()
}

fn rejected(state: &AppState, errors: &FieldErrors) -> HttpResponse {
    state
        .metrics
        .events_rejected
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    cors(HttpResponse::BadRequest().json(json!({ "errors": errors })))
}

/// 503 with `Retry-After`: nothing of the request was stored.
fn unavailable(retry_after: &'static str, message: &str) -> HttpResponse {
    cors(
        HttpResponse::ServiceUnavailable()
            .insert_header((header::RETRY_AFTER, retry_after))
            .json(json!({ "error": message })),
    )
}

fn dropped(state: &AppState, reason: DropReason) -> HttpResponse {
    state.metrics.dropped(reason.as_str());
    cors(
        HttpResponse::Accepted()
            .insert_header((DROPPED_HEADER, reason.as_str()))
            .content_type(TEXT)
            .body("ok"),
    )
}

/// What a request leaves once read: its events, and the identity work they
/// need before queueing (consent records, id and lead digests).
struct Read {
    events: Vec<Enriched>,
    settle: Option<Settle>,
}

/// An event's identity work, done off the async threads (see
/// [`identity::settle`]).
struct Settle {
    identity: Identity,
    sites: Vec<Site>,
    is_consent: bool,
    now_ms: u64,
}

/// Parses, checks and enriches one request. Takes the body by value so it
/// and the parsed payload are freed here, not held while the request waits
/// for the writer: with thousands of connections waiting at once, they
/// were most of a waiting request's memory. `Err` is the answer to give at
/// once (a 400, an event dropped with its reason).
fn read(req: &HttpRequest, state: &AppState, body: web::Bytes) -> Result<Read, Box<HttpResponse>> {
    if body.len() > state.settings.ingest.max_body_bytes {
        let mut e = FieldErrors::new();
        e.insert(
            "request",
            format!(
                "body is larger than {} bytes",
                state.settings.ingest.max_body_bytes
            ),
        );
        return Err(Box::new(rejected(state, &e)));
    }
    let raw = payload::parse(&body).map_err(|errors| Box::new(rejected(state, &errors)))?;
    drop(body);
    let ua_str = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let ua = state
        .enricher
        .check_agent(ua_str)
        .map_err(|reason| Box::new(dropped(state, reason)))?;
    let sites = state.sites.load();
    let targets: Vec<_> = raw
        .domains
        .iter()
        .filter_map(|d| sites.get(d.as_str()))
        .collect();
    if targets.is_empty() {
        return Err(Box::new(dropped(state, DropReason::UnknownSite)));
    }
    let host = raw.url.host_str().unwrap_or_default();
    let targets: Vec<_> = targets
        .into_iter()
        .filter(|s| s.allows_host(host))
        .collect();
    if targets.is_empty() {
        return Err(Box::new(dropped(state, DropReason::Hostname)));
    }
    let Some(peer) = req.peer_addr().map(|a| a.ip()) else {
        return Err(Box::new(cors(HttpResponse::InternalServerError().finish())));
    };
    let header_str = |name: &str| req.headers().get(name).and_then(|h| h.to_str().ok());
    // A client the proxy doesn't name is counted, unlinked and without location.
    let ip = client_ip(
        peer,
        header_str("x-forwarded-for"),
        header_str("x-real-ip"),
        &state.settings.server.trusted_proxies,
    )
    .or_unlinkable();
    let now_ms = state.clock.now_ms();
    // One event per named site, queued as one unit: all stored or none.
    let site_zones: Vec<_> = targets.iter().map(|s| (s.id, s.timezone)).collect();
    let events = state
        .enricher
        .enrich(&raw, &site_zones, (ip, ua_str), ua, now_ms);
    let is_consent = raw.name == "consent";
    let identity = raw.identity;
    // Most events carry no identity: they skip the store lookups entirely.
    let settle =
        (is_consent || identity.uid.is_some() || identity.lead.is_some()).then(|| Settle {
            identity,
            sites: targets.iter().map(|s| (*s).clone()).collect(),
            is_consent,
            now_ms,
        });
    Ok(Read { events, settle })
}

/// `POST /api/event`: 202 once stored; 400 with field errors; 202 plus
/// `x-touchpoint-dropped` for bots and unknown sites; 503 when the queue is full.
pub async fn event(req: HttpRequest, state: web::Data<AppState>, body: web::Bytes) -> HttpResponse {
    let Read { events, settle } = match read(&req, &state, body) {
        Ok(r) => r,
        Err(answer) => return *answer,
    };
    drop(req);
    let (events, refused) = if let Some(s) = settle {
        let (store, keys) = (state.store.clone(), state.auth.keys.clone());
        // Consent records and identifiers touch the store: off the async threads.
        let kept = actix_web::web::block(move || {
            identity::settle(
                &store,
                &keys,
                &s.identity,
                &s.sites,
                events,
                s.is_consent,
                s.now_ms,
            )
        })
        .await;
        match kept {
            Ok(Ok(Some(kept))) => kept,
            Ok(Ok(None)) => {
                return cors(HttpResponse::Accepted().content_type(TEXT).body("ok"));
            }
            Ok(Err(e)) => {
                crate::telemetry::not_stored("identity", &e);
                return unavailable("5", "storage unavailable");
            }
            Err(_) => return unavailable("5", "storage unavailable"),
        }
    } else {
        (events, Vec::new())
    };
    let rx = match state.writer.enqueue_all(events) {
        Ok(rx) => rx,
        Err(EnqueueError::Full) => {
            state
                .metrics
                .events_overloaded
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return unavailable("1", "ingestion queue is full, retry shortly");
        }
        Err(EnqueueError::Closed) => return unavailable("5", "shutting down"),
    };
    match rx.await {
        Ok(Ok(())) => {}
        // The writer has logged why (once a second at most).
        Ok(Err(_)) => return unavailable("5", "storage unavailable"),
        Err(_) => return unavailable("5", "writer stopped"),
    }
    let mut ok = HttpResponse::Accepted();
    if !refused.is_empty() {
        ok.insert_header((identity::REFUSED_HEADER, refused.join(", ")));
    }
    cors(ok.content_type(TEXT).body("ok"))
}
