//! Getting in and out: login with the second step (a code here, a passkey
//! in `passkey_login`), and logout.

use actix_web::{HttpRequest, HttpResponse, web};
use maud::Markup;
use serde::Deserialize;

use super::{
    DashError, html_page,
    views::{auth as v, words::count},
    web::{
        Posted, agent_of, clear_session_cookie, login_of, network_of, prelogin_cookie,
        prelogin_token, session_cookie,
    },
};
use crate::{
    auth::{CurrentLogin, LoginFailure},
    domain::UserId,
    startup::AppState,
    store::LoginStage,
};

/// A page with the pre-login CSRF cookie set.
pub(super) fn prelogin_page(
    req: &HttpRequest,
    token: &str,
    status: actix_web::http::StatusCode,
    body: &Markup,
) -> HttpResponse {
    let mut resp = html_page(status, body);
    resp.add_cookie(&prelogin_cookie(req, token)).ok();
    resp
}

/// Only same-site paths are followed after login (no open redirects).
pub(super) fn safe_next(next: &str) -> &str {
    // Browsers drop tabs and newlines from URLs, so "/\t/evil.com" would
    // become "//evil.com": no control characters or whitespace at all.
    let plain = !next.chars().any(|c| c.is_control() || c.is_whitespace());
    if plain && next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') {
        next
    } else {
        "/sites"
    }
}

/// `GET /login`
pub async fn login_form(
    req: HttpRequest,
    q: web::Query<NextQuery>,
) -> Result<HttpResponse, DashError> {
    let csrf = prelogin_token(&req);
    Ok(prelogin_page(
        &req,
        &csrf,
        actix_web::http::StatusCode::OK,
        &v::login(&csrf, "", safe_next(&q.next), None),
    ))
}

/// The login form.
#[derive(Deserialize)]
pub struct LoginInput {
    email: String,
    password: String,
    #[serde(default)]
    next: String,
}

/// `POST /login`
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    Posted(f): Posted<LoginInput>,
) -> Result<HttpResponse, DashError> {
    let now = state.clock.now_ms();
    let network = network_of(&req, &state);
    let auth = state.auth.clone();
    let (email, password) = (f.email.clone(), f.password.clone());
    let verdict = web::block(move || auth.check_login(&email, &password, &network, now)).await??;
    let next = safe_next(&f.next).to_owned();
    let user = match verdict {
        Ok(u) => u,
        Err(failure) => {
            let csrf = prelogin_token(&req);
            let (status, msg) = refusal(failure, "Wrong email or password.");
            return Ok(prelogin_page(
                &req,
                &csrf,
                status,
                &v::login(&csrf, &f.email, &next, Some(&msg)),
            ));
        }
    };
    if !state.auth.has_second_factor(&user)? {
        return signed_in(&req, &state, user.id, "password", &next, now);
    }
    // A new login replaces whatever session this browser had.
    if let Some(old) = login_of(&req)? {
        state.auth.end_session(&old.hash)?;
    }
    let agent = agent_of(&req, &state);
    let token = state
        .auth
        .start_session(user.id, LoginStage::AwaitingTotp, &agent, now)?;
    let mut r = super::error::see_other(&format!(
        "/login/totp?next={}",
        url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
    ));
    r.add_cookie(&session_cookie(&req, &token)).ok();
    Ok(no_store(r))
}

fn no_store(mut resp: HttpResponse) -> HttpResponse {
    resp.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("no-store"),
    );
    resp
}

/// Ends whatever session this browser had (a half-finished login included),
/// starts a full one for `user`, audits it (`how`: "password and passkey"…)
/// and goes to `next`.
///
/// # Errors
/// Storage errors.
pub(super) fn signed_in(
    req: &HttpRequest,
    state: &AppState,
    user: UserId,
    how: &str,
    next: &str,
    now: u64,
) -> Result<HttpResponse, DashError> {
    if let Some(old) = login_of(req)? {
        state.auth.end_session(&old.hash)?;
    }
    let agent = agent_of(req, state);
    let token = state
        .auth
        .start_session(user, LoginStage::Complete, &agent, now)?;
    state
        .auth
        .audit_user(user, "login", &format!("{how}; {agent}"), now)?;
    let mut r = super::error::see_other(next);
    r.add_cookie(&session_cookie(req, &token)).ok();
    Ok(no_store(r))
}

/// The status and message of a refused login step (`invalid` for a wrong
/// answer).
pub(super) fn refusal(
    failure: LoginFailure,
    invalid: &str,
) -> (actix_web::http::StatusCode, String) {
    match failure {
        LoginFailure::Invalid => (
            actix_web::http::StatusCode::UNAUTHORIZED,
            invalid.to_owned(),
        ),
        LoginFailure::Locked(s) => (
            actix_web::http::StatusCode::TOO_MANY_REQUESTS,
            format!(
                "Too many failed attempts. Try again in {}.",
                count(s, "second", "seconds")
            ),
        ),
    }
}

/// The pending (password-checked) login of this request.
pub(super) fn pending(req: &HttpRequest) -> Result<CurrentLogin, DashError> {
    match login_of(req)? {
        Some(l) if l.session.stage == LoginStage::AwaitingTotp => Ok(l),
        Some(_) => Err(DashError::Redirect("/sites".into())),
        None => Err(DashError::Redirect("/login".into())),
    }
}

/// The second step's page for the half-finished login `l`.
///
/// # Errors
/// Storage errors.
pub(super) fn second_step_page(
    state: &AppState,
    l: &CurrentLogin,
    next: &str,
    status: actix_web::http::StatusCode,
    error: Option<&str>,
) -> Result<HttpResponse, DashError> {
    Ok(html_page(
        status,
        &v::second_step(&v::SecondStep {
            csrf: &l.session.csrf,
            next,
            code: l.user.totp_sealed.is_some() || !l.user.recovery_codes.is_empty(),
            totp: l.user.totp_sealed.is_some(),
            passkey: state.store.has_passkeys(l.user.id)?,
            error,
        }),
    ))
}

/// `GET /login/totp`: the second step (a code, or a passkey).
pub async fn totp_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<NextQuery>,
) -> Result<HttpResponse, DashError> {
    let l = pending(&req)?;
    second_step_page(
        &state,
        &l,
        safe_next(&q.next),
        actix_web::http::StatusCode::OK,
        None,
    )
}

/// The TOTP form.
#[derive(Deserialize)]
pub struct CodeInput {
    code: String,
    #[serde(default)]
    next: String,
}

/// `POST /login/totp`
pub async fn totp(
    req: HttpRequest,
    state: web::Data<AppState>,
    Posted(f): Posted<CodeInput>,
) -> Result<HttpResponse, DashError> {
    let l = pending(&req)?;
    let now = state.clock.now_ms();
    let next = safe_next(&f.next);
    match state.auth.check_second_factor(&l.user, &f.code, now)? {
        // A new token for the full session: the half-logged-in one dies.
        Ok(how) => signed_in(
            &req,
            &state,
            l.user.id,
            &format!("password and {how}"),
            next,
            now,
        ),
        Err(failure) => {
            let (status, msg) = refusal(failure, "That code is not valid.");
            second_step_page(&state, &l, next, status, Some(&msg))
        }
    }
}

/// A form with nothing but its CSRF token.
#[derive(Deserialize)]
pub struct Empty {}

/// `POST /logout`
pub async fn logout(
    req: HttpRequest,
    state: web::Data<AppState>,
    Posted(_): Posted<Empty>,
) -> Result<HttpResponse, DashError> {
    if let Some(l) = login_of(&req)? {
        state.auth.end_session(&l.hash)?;
        let now = state.clock.now_ms();
        state.auth.audit_user(l.user.id, "logout", "", now)?;
    }
    let mut r = super::error::see_other("/login");
    r.add_cookie(&clear_session_cookie(&req)).ok();
    Ok(r)
}

/// `?next=` of the login pages.
#[derive(Deserialize)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_same_site_paths_are_followed_after_login() {
        for (next, want) in [
            (
                "/sites/example.com?period=7d",
                "/sites/example.com?period=7d",
            ),
            ("//evil.com", "/sites"),
            ("/\t/evil.com", "/sites"),
            ("/\n/evil.com", "/sites"),
            ("/\\evil.com", "/sites"),
            ("https://evil.com", "/sites"),
            ("/ /evil.com", "/sites"),
            ("", "/sites"),
        ] {
            assert_eq!(super::safe_next(next), want, "{next:?}");
        }
    }
}
