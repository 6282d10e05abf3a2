//! A bound on open connections with a clear refusal: every accepted
//! connection is counted for as long as it is open, and a request arriving
//! while more than `server.max_connections` are open is answered at once
//! with `503 Service Unavailable`, `Retry-After: 1` and `Connection: close`
//! (so its connection is given back too) — rather than waiting unanswered.
//!
//! Below that, the server's own per-worker cap (derived from the open-file
//! limit, see `startup`) keeps accepting from exhausting file descriptors:
//! beyond it connections wait in the listen backlog.

use std::{
    any::Any,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
};

use actix_web::{
    Error, HttpResponse,
    body::{EitherBody, MessageBody},
    dev::{Extensions, ServiceRequest, ServiceResponse},
    http::header,
    middleware::Next,
};

/// Open connections, shared by every worker.
#[derive(Clone, Default)]
pub struct OpenConnections(Arc<AtomicUsize>);

/// Held in a connection's data for as long as it is open.
struct Held(Arc<AtomicUsize>);

impl Drop for Held {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl OpenConnections {
    /// For `HttpServer::on_connect`: counts the connection until it closes.
    pub fn on_connect(&self, _io: &dyn Any, data: &mut Extensions) {
        self.0.fetch_add(1, Ordering::Relaxed);
        data.insert(Held(self.0.clone()));
    }

    /// Connections open now.
    #[must_use]
    pub fn count(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }
}

/// Middleware: refuses a request while more than `server.max_connections`
/// connections are open (see the module doc).
///
/// # Errors
/// The inner service's.
pub async fn refuse_beyond_limit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let over = req
        .app_data::<actix_web::web::Data<crate::startup::AppState>>()
        .is_some_and(|s| s.connections.count() > s.settings.server.max_connections);
    if !over {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let refused = HttpResponse::ServiceUnavailable()
        .insert_header((header::RETRY_AFTER, "1"))
        .force_close()
        .content_type("text/plain; charset=utf-8")
        .body("too many open connections; try again shortly\n");
    Ok(req.into_response(refused).map_into_right_body())
}
