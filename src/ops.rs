//! Operations endpoints: `/healthz` for probes and `/metrics` for Prometheus.

use actix_web::{HttpResponse, web};

use crate::startup::AppState;

/// Routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz))
        .route("/metrics", web::get().to(metrics));
}

/// 200 when a write transaction commits, else 503 with why (`disk full`,
/// `store not writable`, `events engine unreachable`, or no status when
/// thousands of probes are already waiting). The probe runs on its own
/// thread ([`crate::health`]), never behind reports or logins.
async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    match state.health.check().await {
        Some(crate::health::Health::Ok) => {
            HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
        }
        Some(h) => {
            HttpResponse::ServiceUnavailable().json(serde_json::json!({ "status": h.status() }))
        }
        None => HttpResponse::ServiceUnavailable().finish(),
    }
}

/// The Prometheus text; with `server.metrics_token` set, only for a request
/// bearing it (401 otherwise).
async fn metrics(req: actix_web::HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let token = state.settings.server.metrics_token.trim();
    if !token.is_empty() {
        let given = req
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.strip_prefix("Bearer "))
            .unwrap_or_default()
            .trim();
        if !crate::privacy::constant_time_eq(given.as_bytes(), token.as_bytes()) {
            return HttpResponse::Unauthorized()
                .insert_header((actix_web::http::header::WWW_AUTHENTICATE, "Bearer"))
                .content_type("text/plain; charset=utf-8")
                .body("/metrics needs the token set in server.metrics_token\n");
        }
    }
    let body = state
        .metrics
        .render(state.writer.depth(), state.store.file_size());
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(body)
}
