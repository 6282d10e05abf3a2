//! Operations endpoints: `/healthz` for probes and `/metrics` for Prometheus.

use actix_web::{HttpResponse, web};

use crate::startup::AppState;

/// Routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz))
        .route("/metrics", web::get().to(metrics));
}

/// 200 when a write transaction commits, else 503.
async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    let store = state.store.clone();
    match web::block(move || store.probe_write()).await {
        Ok(Ok(())) => HttpResponse::Ok().json(serde_json::json!({ "status": "ok" })),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "health probe failed");
            let status = match e {
                crate::store::StoreError::ClickHouse(_) => "events engine unreachable",
                _ => "store not writable",
            };
            HttpResponse::ServiceUnavailable().json(serde_json::json!({ "status": status }))
        }
        Err(_) => HttpResponse::ServiceUnavailable().finish(),
    }
}

async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let body = state
        .metrics
        .render(state.writer.depth(), state.store.file_size());
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(body)
}
