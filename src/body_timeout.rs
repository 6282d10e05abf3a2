//! Slow clients: a request's body must arrive within
//! `server.body_timeout_seconds` of its headers, plus a second per 64 KiB
//! its `Content-Length` declares (so a large import over a slow link still
//! arrives; each route's size limit bounds that). Actix already times out
//! headers, after 5 s. A client that sends `Content-Length: 100` and then
//! nothing is answered `408 Request Timeout` and its connection closed,
//! instead of holding a connection and a file descriptor forever.

use std::{
    cell::Cell,
    future::Future,
    pin::Pin,
    rc::Rc,
    task::{Context, Poll},
    time::Duration,
};

use actix_web::{
    Error, HttpMessage,
    body::{EitherBody, MessageBody},
    dev::{Payload, ServiceRequest, ServiceResponse},
    error::PayloadError,
    http::{StatusCode, header},
    middleware::Next,
    web::Bytes,
};
use futures_util::Stream;

/// A body stream that fails once its deadline passes.
struct Deadline {
    inner: Payload,
    sleep: Pin<Box<tokio::time::Sleep>>,
    expired: Rc<Cell<bool>>,
}

impl Stream for Deadline {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Poll::Ready(item) = Pin::new(&mut self.inner).poll_next(cx) {
            return Poll::Ready(item);
        }
        if self.sleep.as_mut().poll(cx).is_ready() {
            self.expired.set(true);
            return Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the request body did not arrive in time",
            )))));
        }
        Poll::Pending
    }
}

/// Middleware: bounds the time to read the body (see the module doc).
///
/// # Errors
/// The inner service's.
pub async fn limit(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let seconds = req
        .app_data::<actix_web::web::Data<crate::startup::AppState>>()
        .map_or(10, |s| s.settings.server.body_timeout_seconds.max(1));
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
        .unwrap_or(0);
    let seconds = seconds.saturating_add(declared / 65_536);
    let expired = Rc::new(Cell::new(false));
    let payload = req.take_payload();
    req.set_payload(Payload::Stream {
        payload: Box::pin(Deadline {
            inner: payload,
            sleep: Box::pin(tokio::time::sleep(Duration::from_secs(seconds))),
            expired: expired.clone(),
        }),
    });
    let res = next.call(req).await?;
    if !expired.get() {
        return Ok(res.map_into_left_body());
    }
    let (req, _) = res.into_parts();
    let timeout = actix_web::HttpResponse::build(StatusCode::REQUEST_TIMEOUT)
        .insert_header((header::CONNECTION, "close"))
        .content_type("text/plain; charset=utf-8")
        .body("the request body did not arrive in time\n");
    Ok(ServiceResponse::new(req, timeout).map_into_right_body())
}
