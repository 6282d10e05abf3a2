//! Request plumbing shared by dashboard handlers: who is calling (extractors
//! that enforce login, the TOTP step and MFA enrolment), what they may touch
//! (workspace and site scoping), CSRF-checked forms and cookies.

use std::{future::Future, pin::Pin};

use actix_web::{
    FromRequest, HttpMessage, HttpRequest,
    cookie::{Cookie, SameSite, time::Duration as CookieDuration},
    dev::Payload,
    web,
};
use serde::de::DeserializeOwned;

use super::DashError;
use crate::{
    auth::{CurrentLogin, SESSION_COOKIE},
    domain::{Domain, Role, WorkspaceId},
    privacy,
    startup::AppState,
    store::{LoginStage, Site, Workspace},
};

/// Cookie carrying the pre-login CSRF secret (double-submit for login forms).
pub const PRELOGIN_COOKIE: &str = "tp_csrf";

/// The app state of a request.
fn state(req: &HttpRequest) -> Result<web::Data<AppState>, DashError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| DashError::Internal("app state missing".into()))
}

/// Resolves the request's login session once and caches it in the request.
///
/// # Errors
/// Storage errors.
pub fn login_of(req: &HttpRequest) -> Result<Option<CurrentLogin>, DashError> {
    if let Some(l) = req.extensions().get::<Option<CurrentLogin>>() {
        return Ok(l.clone());
    }
    let st = state(req)?;
    let login = match req.cookie(SESSION_COOKIE) {
        Some(c) => st.auth.resume(c.value(), st.clock.now_ms())?,
        None => None,
    };
    req.extensions_mut().insert(login.clone());
    Ok(login)
}

fn next_of(req: &HttpRequest) -> String {
    if req.method() == actix_web::http::Method::GET {
        req.uri()
            .path_and_query()
            .map_or_else(String::new, ToString::to_string)
    } else {
        String::new()
    }
}

/// A fully logged-in user, whatever their MFA enrolment (used by the
/// enrolment page itself and logout).
pub struct LoggedIn {
    /// The app.
    pub state: web::Data<AppState>,
    /// Their session.
    pub login: CurrentLogin,
}

impl LoggedIn {
    fn resolve(req: &HttpRequest) -> Result<Self, DashError> {
        let login = login_of(req)?.ok_or_else(|| DashError::LoginRequired(next_of(req)))?;
        if login.session.stage == LoginStage::AwaitingTotp {
            return Err(DashError::Redirect("/login/totp".into()));
        }
        Ok(Self {
            state: state(req)?,
            login,
        })
    }

    /// The CSRF token for this session's forms.
    #[must_use]
    pub fn csrf(&self) -> &str {
        &self.login.session.csrf
    }

    /// Whether this user must still enrol a second factor (TOTP or a
    /// passkey) before using the dashboard.
    ///
    /// # Errors
    /// Storage errors.
    pub fn must_enrol(&self) -> Result<bool, DashError> {
        if !self.state.auth.settings.require_mfa_for_admins
            || self.state.auth.has_second_factor(&self.login.user)?
        {
            return Ok(false);
        }
        Ok(self
            .state
            .store
            .memberships(self.login.user.id)?
            .iter()
            .any(|(_, r)| r.needs_mfa()))
    }
}

impl FromRequest for LoggedIn {
    type Error = DashError;
    type Future = std::future::Ready<Result<Self, DashError>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Self::resolve(req))
    }
}

/// A logged-in user allowed to use the dashboard (MFA satisfied), with their
/// workspaces. Every workspace or site lookup goes through it.
pub struct Member {
    /// The login.
    pub user: LoggedIn,
    /// Their workspaces and roles.
    pub memberships: Vec<(Workspace, Role)>,
}

impl Member {
    fn resolve(req: &HttpRequest) -> Result<Self, DashError> {
        let user = LoggedIn::resolve(req)?;
        if user.must_enrol()? {
            return Err(DashError::Redirect("/account/totp".into()));
        }
        // One read of the (few) workspaces, not one per membership.
        let all = user.state.store.workspaces()?;
        let mut memberships: Vec<(Workspace, Role)> = user
            .state
            .store
            .memberships(user.login.user.id)?
            .into_iter()
            .filter_map(|(ws, role)| all.iter().find(|w| w.id == ws).map(|w| (w.clone(), role)))
            .collect();
        memberships.sort_by_key(|(w, _)| w.name.to_lowercase());
        Ok(Self { user, memberships })
    }

    /// The app state.
    #[must_use]
    pub fn state(&self) -> &AppState {
        &self.user.state
    }

    /// A workspace the caller belongs to, with their role; else not found.
    ///
    /// # Errors
    /// [`DashError::NotFound`] when they are not a member.
    pub fn workspace(&self, id: u32) -> Result<(Workspace, Role), DashError> {
        self.memberships
            .iter()
            .find(|(w, _)| w.id == WorkspaceId(id))
            .cloned()
            .ok_or(DashError::NotFound)
    }

    /// A site in one of the caller's workspaces, with their role there; else not found.
    ///
    /// # Errors
    /// [`DashError::NotFound`] for unknown sites and other workspaces' sites alike.
    pub fn site(&self, domain: &str) -> Result<(Site, Role), DashError> {
        let domain = Domain::parse(domain).map_err(|_| DashError::NotFound)?;
        let site = self
            .state()
            .store
            .read()?
            .site_by_domain(domain.as_str())?
            .ok_or(DashError::NotFound)?;
        let role = self
            .memberships
            .iter()
            .find(|(w, _)| w.id == site.workspace)
            .map(|(_, r)| *r)
            .ok_or(DashError::NotFound)?;
        Ok((site, role))
    }
}

impl FromRequest for Member {
    type Error = DashError;
    type Future = std::future::Ready<Result<Self, DashError>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Self::resolve(req))
    }
}

/// Fails unless `allowed`.
///
/// # Errors
/// [`DashError::Forbidden`].
pub fn require(allowed: bool) -> Result<(), DashError> {
    if allowed {
        Ok(())
    } else {
        Err(DashError::Forbidden)
    }
}

/// A submitted form whose CSRF token was checked: against the login session
/// when there is one, else against the pre-login cookie (double submit).
/// Every state-changing dashboard route takes one, so none can skip the check.
pub struct Posted<T>(pub T);

pub(super) fn check_origin(req: &HttpRequest) -> Result<(), DashError> {
    if let Some(origin) = req.headers().get("origin").and_then(|o| o.to_str().ok()) {
        let expected = super::public_url::expected_hosts(req, &state(req)?.settings.server);
        let origin_host = origin.split("://").nth(1).unwrap_or_default();
        if origin != "null" && !expected.iter().any(|h| h == origin_host) {
            return Err(DashError::Csrf);
        }
    }
    Ok(())
}

fn check_csrf(req: &HttpRequest, body: &[u8]) -> Result<(), DashError> {
    // Browsers send Origin on POSTs; when present it must be this host (as
    // the socket or a trusted proxy says, or `server.public_url`'s).
    check_origin(req)?;
    let given = serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()
        .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == "csrf").map(|(_, v)| v));
    check_token(req, given)
}

/// Checks a posted CSRF token (see [`Posted`]); Origin is checked by the caller.
pub(super) fn check_token(req: &HttpRequest, given: Option<String>) -> Result<(), DashError> {
    let given = given.ok_or(DashError::Csrf)?;
    let expected = match login_of(req)? {
        Some(l) => l.session.csrf,
        None => req
            .cookie(PRELOGIN_COOKIE)
            .map(|c| c.value().to_owned())
            .ok_or(DashError::Csrf)?,
    };
    if expected.len() == 64 && privacy::constant_time_eq(expected.as_bytes(), given.as_bytes()) {
        Ok(())
    } else {
        Err(DashError::Csrf)
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Posted<T> {
    type Error = DashError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, DashError>>>>;
    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let body = web::Bytes::from_request(&req, payload);
        Box::pin(async move {
            let body = body
                .await
                .map_err(|e| DashError::BadRequest(format!("unreadable form: {e}")))?;
            check_csrf(&req, &body)?;
            serde_urlencoded::from_bytes(&body)
                .map(Posted)
                .map_err(|e| DashError::BadRequest(format!("invalid form: {e}")))
        })
    }
}

/// The CSRF token for a form shown before login: the session's when a
/// (half-finished) login exists, else the pre-login cookie's secret or a new
/// one (set it with [`prelogin_cookie`]).
#[must_use]
pub fn prelogin_token(req: &HttpRequest) -> String {
    if let Ok(Some(l)) = login_of(req) {
        return l.session.csrf;
    }
    req.cookie(PRELOGIN_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|v| v.len() == 64)
        .unwrap_or_else(privacy::random_token)
}

/// Whether cookies set in reply to `req` get `Secure`: when the browser is on
/// HTTPS, by the socket or a trusted proxy's `X-Forwarded-Proto`.
pub(super) fn secure(req: &HttpRequest) -> bool {
    state(req).is_ok_and(|st| super::public_url::is_https(req, &st.settings.server))
}

/// The pre-login CSRF cookie.
#[must_use]
pub fn prelogin_cookie(req: &HttpRequest, token: &str) -> Cookie<'static> {
    Cookie::build(PRELOGIN_COOKIE, token.to_owned())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure(req))
        .finish()
}

/// The login-session cookie (a browser-session cookie: the server decides expiry).
#[must_use]
pub fn session_cookie(req: &HttpRequest, token: &str) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, token.to_owned())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure(req))
        .finish()
}

/// A cookie that deletes the session cookie.
#[must_use]
pub fn clear_session_cookie(req: &HttpRequest) -> Cookie<'static> {
    let mut c = session_cookie(req, "");
    c.set_max_age(CookieDuration::ZERO);
    c
}

/// The client's network key for throttling (the proxy-aware client IP).
#[must_use]
pub fn network_of(req: &HttpRequest, state: &AppState) -> String {
    let Some(peer) = req.peer_addr().map(|a| a.ip()) else {
        return "net:unknown".to_owned();
    };
    let header = |n: &str| req.headers().get(n).and_then(|v| v.to_str().ok());
    let client = crate::ingest::client_ip::client_ip(
        peer,
        header("x-forwarded-for"),
        header("x-real-ip"),
        &state.settings.server.trusted_proxies,
    );
    // Clients the proxy doesn't name share its bucket: a made-up one each
    // would let them dodge the throttle.
    crate::auth::ratelimit::network_key(client.ip().unwrap_or(peer))
}

/// "Firefox on Linux" for the session list, from the User-Agent.
#[must_use]
pub fn agent_of(req: &HttpRequest, state: &AppState) -> String {
    let ua = req
        .headers()
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let verdict = state.enricher.ua.classify(ua);
    let Some(info) = verdict.info() else {
        return "Automated client".to_owned();
    };
    match (info.browser.as_str(), info.os.as_str()) {
        ("", "") => "Unknown browser".to_owned(),
        (b, "") => b.to_owned(),
        ("", o) => format!("Browser on {o}"),
        (b, o) => format!("{b} on {o}"),
    }
}

/// A page's query parameters; malformed ones count as absent (defaults).
#[must_use]
pub fn query_params<T: DeserializeOwned + Default>(req: &HttpRequest) -> T {
    web::Query::<T>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .unwrap_or_default()
}
