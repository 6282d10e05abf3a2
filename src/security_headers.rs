//! Headers every response gets, whatever answered it (a page, the API, a
//! 404 from the router):
//!
//! - `Permissions-Policy` turning off the browser features no page uses
//!   (camera, microphone, geolocation, payment, USB, interest cohorts);
//! - `Cross-Origin-Opener-Policy: same-origin`;
//! - `Strict-Transport-Security` (a year, subdomains included) when the
//!   request came over HTTPS (the socket, or a trusted proxy's
//!   `X-Forwarded-Proto`, or an https `server.public_url`);
//! - a `Content-Security-Policy` of `default-src 'none'` on answers that set
//!   none (pages set the dashboard's own), and `Cache-Control: no-store` on
//!   errors that set none.
//!
//! `X-Content-Type-Options`, `Referrer-Policy` and `X-Frame-Options` are set
//! by the server's default headers (`startup`).

use actix_web::{
    Error,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::header::{self, HeaderName, HeaderValue},
    middleware::Next,
    web,
};

use crate::startup::AppState;

/// The policy of answers that set none: nothing may load or frame them.
pub const FALLBACK_CSP: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

/// Browser features no page of Touchpoint uses.
pub const PERMISSIONS_POLICY: &str =
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()";

/// HSTS for a year, subdomains included.
pub const HSTS: &str = "max-age=31536000; includeSubDomains";

/// Middleware (`actix_web::middleware::from_fn`) adding the headers above.
///
/// # Errors
/// Only those of the wrapped service.
pub async fn add(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, Error> {
    let https = req.app_data::<web::Data<AppState>>().is_some_and(|st| {
        crate::dashboard::public_url::is_https(req.request(), &st.settings.server)
    });
    let mut res = next.call(req).await?;
    let error = res.status().is_client_error() || res.status().is_server_error();
    let h = res.headers_mut();
    h.insert(
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static(PERMISSIONS_POLICY),
    );
    h.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    if https {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(FALLBACK_CSP),
        );
    }
    if error && !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(res)
}
