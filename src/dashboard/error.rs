//! Dashboard failures, rendered as pages by the same layout (or as redirects).
//! [`in_context`] renders a handler's 400, 403 or 404 again with the caller's
//! top bar and, under `/sites/{domain}`, that site's navigation.

use actix_web::{
    FromRequest, HttpRequest, HttpResponse, ResponseError,
    body::{BoxBody, MessageBody},
    dev::{Payload, ServiceRequest, ServiceResponse},
    http::{StatusCode, header},
    middleware::Next,
};
use maud::Markup;

use super::{
    views::layout::{self, ErrorFrame, UserBar},
    web::Member,
};
use crate::{
    auth::{AuthError, PasskeyError},
    stats::StatsError,
    store::StoreError,
};

/// What went wrong serving a dashboard request.
#[derive(Debug, thiserror::Error)]
pub enum DashError {
    /// Not logged in: go to the login page, then back to `next`.
    #[error("login required")]
    LoginRequired(String),
    /// Somewhere else to be (TOTP step, enrolment).
    #[error("redirect to {0}")]
    Redirect(String),
    /// Missing, or not the caller's to see (never says which).
    #[error("not found")]
    NotFound,
    /// Logged in, but the role doesn't allow it.
    #[error("your role in this workspace does not allow this")]
    Forbidden,
    /// The form's CSRF token is missing or wrong, or it came from another origin.
    #[error("this form has expired or did not come from this site; go back, reload and try again")]
    Csrf,
    /// Bad input, said plainly.
    #[error("{0}")]
    BadRequest(String),
    /// Throttled.
    #[error("too many attempts; try again in {}", crate::dashboard::views::words::count(*.0, "second", "seconds"))]
    TooMany(u64),
    /// A bug or storage trouble; details go to the log only.
    #[error("something went wrong on our side")]
    Internal(String),
    /// The storage can't serve now (a full disk, the file being reopened):
    /// 503 with `Retry-After`; the store has logged why.
    #[error(
        "storage is unavailable for now (a full disk or a file being recovered); try again in a minute"
    )]
    Unavailable(#[source] StoreError),
}

impl ResponseError for DashError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::LoginRequired(_) | Self::Redirect(_) => StatusCode::SEE_OTHER,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Forbidden | Self::Csrf => StatusCode::FORBIDDEN,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::TooMany(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::LoginRequired(next) => {
                let to = if next.is_empty() || next == "/" {
                    "/login".to_owned()
                } else {
                    format!(
                        "/login?next={}",
                        url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
                    )
                };
                return see_other(&to);
            }
            Self::Redirect(to) => return see_other(to),
            Self::Internal(detail) => tracing::error!(error = %detail, "dashboard failure"),
            _ => {}
        }
        self.page(&layout::error_page(
            self.status_code(),
            &self.to_string(),
            ErrorFrame::default(),
        ))
    }
}

impl DashError {
    /// The error's response with `body` as its page.
    fn page(&self, body: &Markup) -> HttpResponse {
        let mut resp = HttpResponse::build(self.status_code());
        match self {
            Self::TooMany(s) => {
                resp.insert_header((header::RETRY_AFTER, s.to_string()));
            }
            Self::Unavailable(_) => {
                resp.insert_header((header::RETRY_AFTER, "10"));
            }
            _ => {}
        }
        resp.content_type("text/html; charset=utf-8")
            .insert_header((header::CONTENT_SECURITY_POLICY, super::CSP))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(body.clone().into_string())
    }
}

/// Middleware (`actix_web::middleware::from_fn`): a [`DashError`] answering
/// 400, 403 or 404 gets its page again in context — the logged-in caller's
/// top bar and, when the path is under `/sites/{domain}` and the caller is a
/// member of that site, the site's navigation for their role and a link back
/// to its overview. Every other response passes unchanged.
///
/// # Errors
/// Only those of the wrapped service.
pub async fn in_context(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let res = next.call(req).await?.map_into_boxed_body();
    let page = match res
        .response()
        .error()
        .and_then(|e| e.as_error::<DashError>())
    {
        Some(
            e @ (DashError::NotFound
            | DashError::Forbidden
            | DashError::Csrf
            | DashError::BadRequest(_)),
        ) => e.page(&page_in_context(res.request(), e)),
        _ => return Ok(res),
    };
    Ok(res.into_response(page))
}

/// The error page of `e` for the caller of `req`.
fn page_in_context(req: &HttpRequest, e: &DashError) -> Markup {
    let status = e.status_code();
    let Ok(m) = Member::from_request(req, &mut Payload::None).into_inner() else {
        return layout::error_page(status, &e.to_string(), ErrorFrame::default());
    };
    let email = m.state().auth.email_of(&m.user.login.user);
    let site = req
        .path()
        .strip_prefix("/sites/")
        .and_then(|rest| rest.split('/').next())
        .and_then(|domain| m.site(domain).ok());
    let message = match (e, &site) {
        (DashError::Forbidden, Some((s, role))) => format!(
            "your role on {} ({role}) does not allow this; an owner of its workspace can change roles",
            s.domain
        ),
        (DashError::NotFound, _) => "there is no such page, or it is not yours to see".into(),
        _ => e.to_string(),
    };
    let frame = ErrorFrame {
        user: Some(UserBar {
            email: &email,
            csrf: m.user.csrf(),
        }),
        site: site.as_ref().map(|(s, r)| (s, *r)),
    };
    layout::error_page(status, &message, frame)
}

/// Answers every request no route matched: the 404 page in the layout for
/// a browser (`Accept` naming `text/html`), an empty 404 for other clients.
pub async fn not_found(req: HttpRequest) -> HttpResponse {
    let html = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|a| a.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    if !html {
        return HttpResponse::NotFound().finish();
    }
    let e = DashError::NotFound;
    e.page(&page_in_context(&req, &e))
}

/// A 303 to `to`.
#[must_use]
pub fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .finish()
}

impl From<StoreError> for DashError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(m) => Self::BadRequest(m),
            other if other.is_unavailable() => Self::Unavailable(other),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<StatsError> for DashError {
    fn from(e: StatsError) -> Self {
        match e {
            StatsError::Invalid(m) => Self::BadRequest(m),
            e @ StatsError::TooLarge { .. } => Self::BadRequest(e.to_string()),
            StatsError::Store(s) => s.into(),
        }
    }
}

impl From<AuthError> for DashError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::Invalid(m) => Self::BadRequest(m),
            AuthError::Store(s) => s.into(),
        }
    }
}

impl From<PasskeyError> for DashError {
    fn from(e: PasskeyError) -> Self {
        match e {
            PasskeyError::Locked(s) => Self::TooMany(s),
            PasskeyError::Store(s) => s.into(),
            other => Self::BadRequest(other.to_string()),
        }
    }
}

impl From<actix_web::error::BlockingError> for DashError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        Self::Internal(e.to_string())
    }
}
