//! Dashboard failures, rendered as pages by the same layout (or as redirects).

use actix_web::{HttpResponse, ResponseError, http::StatusCode, http::header};

use super::views::layout;
use crate::{auth::AuthError, stats::StatsError, store::StoreError};

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
    #[error("too many attempts; try again in {0} seconds")]
    TooMany(u64),
    /// A bug or storage trouble; details go to the log only.
    #[error("something went wrong on our side")]
    Internal(String),
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
        let mut resp = HttpResponse::build(self.status_code());
        if let Self::TooMany(s) = self {
            resp.insert_header((header::RETRY_AFTER, s.to_string()));
        }
        resp.content_type("text/html; charset=utf-8")
            .insert_header((header::CONTENT_SECURITY_POLICY, super::CSP))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(layout::error_page(self.status_code(), &self.to_string()).into_string())
    }
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
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<StatsError> for DashError {
    fn from(e: StatsError) -> Self {
        match e {
            StatsError::Invalid(m) => Self::BadRequest(m),
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

impl From<actix_web::error::BlockingError> for DashError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        Self::Internal(e.to_string())
    }
}
