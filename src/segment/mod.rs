//! Segment's HTTP Tracking API, so the official Segment libraries (and
//! anything sending Segment's format) can send to Touchpoint by pointing
//! their `host` at it: `POST /v1/batch` (also `/v1/import`), `/v1/track`,
//! `/v1/page`, `/v1/screen`, `/v1/identify`, `/v1/group`, `/v1/alias`, and
//! the browser library's short paths `/v1/b`, `/v1/t`, `/v1/p`, `/v1/s`,
//! `/v1/i`, `/v1/g`, `/v1/a`.
//!
//! - **Write key.** Each site has one (`touchpoint site show`, the site's
//!   settings page). It is taken from HTTP Basic auth (`writeKey:`, empty
//!   password), else from `writeKey` in the body.
//! - **Answers** (Segment's): 200 `{"success": true}` once every event of
//!   the request is stored; 400 `{"error": …}` for invalid JSON, a message
//!   over 32 KB, a body over 500 KB or an invalid message (naming it; nothing
//!   of the request is stored); 401 for a missing or unknown write key; 503
//!   with `Retry-After` when storage is unavailable (the libraries retry).
//! - **Mapping** in [`apply`]; times and visitors in [`crate::ingest::timed`].

pub mod apply;
pub mod message;
pub(crate) mod page;

use actix_web::{
    HttpRequest, HttpResponse,
    http::{Method, header},
    web,
};
use base64::Engine;
use serde_json::json;

use crate::{
    ingest::{client_ip::client_ip, writer::EnqueueError},
    privacy::{self, constant_time_eq},
    startup::AppState,
    store::Site,
};
use message::Kind;

/// Largest body read (a batch over 500 KB up to this size gets Segment's
/// 400; past it, 413).
const BODY_LIMIT: usize = 1024 * 1024;

/// Routes of the Segment-compatible API.
pub fn routes(cfg: &mut web::ServiceConfig) {
    let paths: [(&str, Option<Kind>, bool); 16] = [
        ("/v1/batch", None, false),
        ("/v1/import", None, false),
        ("/v1/track", Some(Kind::Track), false),
        ("/v1/page", Some(Kind::Page), false),
        ("/v1/screen", Some(Kind::Screen), false),
        ("/v1/identify", Some(Kind::Identify), false),
        ("/v1/group", Some(Kind::Group), false),
        ("/v1/alias", Some(Kind::Alias), false),
        ("/v1/b", None, true),
        ("/v1/t", Some(Kind::Track), true),
        ("/v1/p", Some(Kind::Page), true),
        ("/v1/s", Some(Kind::Screen), true),
        ("/v1/i", Some(Kind::Identify), true),
        ("/v1/g", Some(Kind::Group), true),
        ("/v1/a", Some(Kind::Alias), true),
        ("/v1/m", None, true),
    ];
    for (path, kind, browser) in paths {
        if path == "/v1/m" {
            // The browser library's metrics beacon: accepted, not used.
            cfg.service(
                web::resource(path)
                    .route(web::post().to(|| async { cors(HttpResponse::Ok().json(json!({}))) }))
                    .route(web::method(Method::OPTIONS).to(preflight)),
            );
            continue;
        }
        cfg.service(
            web::resource(path)
                .app_data(web::PayloadConfig::new(BODY_LIMIT))
                .route(web::post().to(
                    move |req: HttpRequest, state: web::Data<AppState>, body: web::Bytes| {
                        receive(req, state, body, kind, browser)
                    },
                ))
                .route(web::method(Method::OPTIONS).to(preflight)),
        );
    }
}

fn cors(res: HttpResponse) -> HttpResponse {
    crate::tracker::open_cors(res, "Content-Type, Authorization")
}

async fn preflight() -> HttpResponse {
    cors(crate::tracker::preflight_answer())
}

fn error(status: actix_web::http::StatusCode, message: &str) -> HttpResponse {
    cors(HttpResponse::build(status).json(json!({ "error": message })))
}

fn unavailable(retry_after: &'static str, message: &str) -> HttpResponse {
    cors(
        HttpResponse::ServiceUnavailable()
            .insert_header((header::RETRY_AFTER, retry_after))
            .json(json!({ "error": message })),
    )
}

/// Gives every site without a write key a new one (32 hex digits, random);
/// returns every site.
///
/// # Errors
/// Storage errors.
pub fn ensure_write_keys(
    store: &crate::store::Store,
) -> Result<Vec<Site>, crate::store::StoreError> {
    let mut sites = store.sites()?;
    for s in &mut sites {
        if s.segment_write_key.is_none() {
            s.segment_write_key = Some(privacy::random_token()[..32].to_owned());
            store.update_site(s)?;
        }
    }
    Ok(sites)
}

/// The write key of HTTP Basic auth (`writeKey:`), if sent.
fn basic_key(req: &HttpRequest) -> Option<String> {
    let h = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, b64) = h.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let key = text.split_once(':').map_or(text.as_str(), |(k, _)| k);
    (!key.is_empty()).then(|| key.to_owned())
}

/// The live site a write key belongs to.
fn site_of(state: &AppState, key: &str) -> Option<Site> {
    state
        .sites
        .load()
        .values()
        .find(|s| {
            s.deleted_ms.is_none()
                && s.segment_write_key
                    .as_deref()
                    .is_some_and(|k| constant_time_eq(k.as_bytes(), key.as_bytes()))
        })
        .cloned()
}

async fn receive(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
    kind: Option<Kind>,
    browser: bool,
) -> HttpResponse {
    use actix_web::http::StatusCode;
    let now = state.clock.now_ms();
    let parsed = match message::parse(&body, kind, now) {
        Ok(p) => p,
        Err(e) => {
            state
                .metrics
                .events_rejected
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return error(StatusCode::BAD_REQUEST, &e.to_string());
        }
    };
    let Some(key) = basic_key(&req).or(parsed.write_key) else {
        return error(
            StatusCode::UNAUTHORIZED,
            "a write key is required (HTTP Basic auth as writeKey:, or writeKey in the body)",
        );
    };
    let Some(site) = site_of(&state, &key) else {
        return error(StatusCode::UNAUTHORIZED, "unknown write key");
    };
    // The browser library's requests come from the visitor: their address
    // locates them when a message names none.
    let client = browser
        .then(|| {
            let peer = req.peer_addr()?.ip();
            let h = |name: &str| req.headers().get(name).and_then(|h| h.to_str().ok());
            Some(
                client_ip(
                    peer,
                    h("x-forwarded-for"),
                    h("x-real-ip"),
                    &state.settings.server.trusted_proxies,
                )
                .or_unlinkable(),
            )
        })
        .flatten();
    let months =
        privacy::retention::retention_months(&site, state.settings.privacy.retention_months);
    let oldest_ms = privacy::retention::cutoff(&site, months, now).before_ms;
    let st = state.clone();
    let applied = web::block(move || {
        let cx = apply::Context {
            store: &st.store,
            keys: &st.auth.keys,
            enricher: &st.enricher,
            site: &site,
            oldest_ms,
            client_ip: client,
            now_ms: now,
        };
        apply::apply(&cx, parsed.messages)
    })
    .await;
    let applied = match applied {
        Ok(Ok(a)) => a,
        Ok(Err(apply::ApplyError::Invalid(m))) => {
            state
                .metrics
                .events_rejected
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return error(StatusCode::BAD_REQUEST, &m);
        }
        Ok(Err(apply::ApplyError::Store(e))) => {
            crate::telemetry::not_stored("Segment messages", &e);
            return unavailable("5", "storage unavailable");
        }
        Err(_) => return unavailable("5", "storage unavailable"),
    };
    for _ in 0..applied.bots {
        state.metrics.dropped("bot");
    }
    if !applied.events.is_empty() {
        let rx = match state.writer.enqueue_received(applied.events, now) {
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
    }
    cors(HttpResponse::Ok().json(json!({ "success": true })))
}
