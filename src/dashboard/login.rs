//! Getting in and out: first-run setup, login with the TOTP step, logout,
//! accepting an invitation, and `/`.

use actix_web::{HttpRequest, HttpResponse, web};
use maud::Markup;
use serde::Deserialize;

use super::{
    DashError, html_page,
    views::auth as v,
    web::{
        Posted, agent_of, clear_session_cookie, login_of, network_of, prelogin_cookie,
        prelogin_token, session_cookie,
    },
};
use crate::{
    auth::LoginFailure,
    domain::{Domain, Email, Role, Timezone},
    privacy,
    startup::AppState,
    store::{LoginStage, WorkspaceChoice},
};

/// A page with the pre-login CSRF cookie set.
fn prelogin_page(
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
fn safe_next(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') {
        next
    } else {
        "/sites"
    }
}

/// `GET /`
pub async fn index(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, DashError> {
    if state.store.user_count()? == 0 {
        return Ok(html_page(
            actix_web::http::StatusCode::OK,
            &v::awaiting_setup(),
        ));
    }
    Ok(super::error::see_other(if login_of(&req)?.is_some() {
        "/sites"
    } else {
        "/login"
    }))
}

/// `?token=` of the setup page.
#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

/// `GET /setup`
pub async fn setup_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<TokenQuery>,
) -> Result<HttpResponse, DashError> {
    if state.auth.setup_token().is_none() {
        return Err(DashError::NotFound);
    }
    let csrf = prelogin_token(&req);
    let form = v::SetupForm {
        token: &q.token,
        timezone: "UTC",
        ..Default::default()
    };
    Ok(prelogin_page(
        &req,
        &csrf,
        actix_web::http::StatusCode::OK,
        &v::setup(&csrf, &form, None),
    ))
}

/// The setup form.
#[derive(Deserialize)]
pub struct SetupInput {
    token: String,
    email: String,
    password: String,
    workspace: String,
    domain: String,
    timezone: String,
}

/// `POST /setup`
pub async fn setup(
    req: HttpRequest,
    state: web::Data<AppState>,
    Posted(f): Posted<SetupInput>,
) -> Result<HttpResponse, DashError> {
    if state.auth.setup_token().is_none() {
        return Err(DashError::NotFound);
    }
    let csrf = prelogin_token(&req);
    let again = |msg: &str| {
        let form = v::SetupForm {
            token: &f.token,
            email: &f.email,
            workspace: &f.workspace,
            domain: &f.domain,
            timezone: &f.timezone,
        };
        Ok(prelogin_page(
            &req,
            &csrf,
            actix_web::http::StatusCode::BAD_REQUEST,
            &v::setup(&csrf, &form, Some(msg)),
        ))
    };
    let email = match Email::parse(&f.email) {
        Ok(e) => e,
        Err(m) => return again(&m),
    };
    let domain = match Domain::parse(&f.domain) {
        Ok(d) => d,
        Err(e) => return again(&e.to_string()),
    };
    let tz = match Timezone::parse(&f.timezone) {
        Ok(t) => t,
        Err(m) => return again(&m),
    };
    if let Err(e) = crate::auth::password::check_policy(&f.password) {
        return again(&e);
    }
    if let Err(e) = crate::auth::check_workspace_name(&f.workspace) {
        return again(&e.to_string());
    }
    if state
        .store
        .read()?
        .site_by_domain(domain.as_str())?
        .is_some()
    {
        return again(&format!("a site with domain {domain} already exists"));
    }
    if !state.auth.take_setup_token(&f.token) {
        return Err(DashError::BadRequest(
            "the setup link is invalid or was already used".into(),
        ));
    }
    let now = state.clock.now_ms();
    let (user, ws) = state.auth.create_user(
        &email,
        &f.password,
        WorkspaceChoice::New(f.workspace.trim().to_owned()),
        Role::Owner,
        now,
    )?;
    state.store.add_site(ws.id, &domain, tz, now)?;
    state.reload_sites()?;
    state.auth.audit(
        &[ws.id],
        Some(user.id),
        "setup",
        &format!(
            "owner {email} created workspace {:?} and site {domain}",
            ws.name
        ),
        now,
    )?;
    let token =
        state
            .auth
            .start_session(user.id, LoginStage::Complete, &agent_of(&req, &state), now)?;
    let mut resp = super::error::see_other(&format!("/sites/{domain}"));
    resp.add_cookie(&session_cookie(&req, &token)).ok();
    Ok(resp)
}

/// `?next=` of the login pages.
#[derive(Deserialize)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
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
            let (status, msg) = match failure {
                LoginFailure::Invalid => (
                    actix_web::http::StatusCode::UNAUTHORIZED,
                    "Wrong email or password.".to_owned(),
                ),
                LoginFailure::Locked(s) => (
                    actix_web::http::StatusCode::TOO_MANY_REQUESTS,
                    format!("Too many failed attempts. Try again in {s} seconds."),
                ),
            };
            return Ok(prelogin_page(
                &req,
                &csrf,
                status,
                &v::login(&csrf, &f.email, &next, Some(&msg)),
            ));
        }
    };
    // A new login replaces whatever session this browser had.
    if let Some(old) = login_of(&req)? {
        state.auth.end_session(&old.hash)?;
    }
    let agent = agent_of(&req, &state);
    let mut resp = if user.totp_sealed.is_some() {
        let token = state
            .auth
            .start_session(user.id, LoginStage::AwaitingTotp, &agent, now)?;
        let mut r = super::error::see_other(&format!(
            "/login/totp?next={}",
            url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
        ));
        r.add_cookie(&session_cookie(&req, &token)).ok();
        r
    } else {
        let token = state
            .auth
            .start_session(user.id, LoginStage::Complete, &agent, now)?;
        state.auth.audit(
            &state.auth.workspaces_of(user.id)?,
            Some(user.id),
            "login",
            &format!("password; {agent}"),
            now,
        )?;
        let mut r = super::error::see_other(&next);
        r.add_cookie(&session_cookie(&req, &token)).ok();
        r
    };
    resp.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("no-store"),
    );
    Ok(resp)
}

/// The pending (password-checked) login of this request.
fn pending(req: &HttpRequest) -> Result<crate::auth::CurrentLogin, DashError> {
    match login_of(req)? {
        Some(l) if l.session.stage == LoginStage::AwaitingTotp => Ok(l),
        Some(_) => Err(DashError::Redirect("/sites".into())),
        None => Err(DashError::Redirect("/login".into())),
    }
}

/// `GET /login/totp`
pub async fn totp_form(
    req: HttpRequest,
    q: web::Query<NextQuery>,
) -> Result<HttpResponse, DashError> {
    let l = pending(&req)?;
    Ok(html_page(
        actix_web::http::StatusCode::OK,
        &v::totp_step(&l.session.csrf, safe_next(&q.next), None),
    ))
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
        Ok(how) => {
            // A new token for the full session: the half-logged-in one dies.
            state.auth.end_session(&l.hash)?;
            let agent = agent_of(&req, &state);
            let token = state
                .auth
                .start_session(l.user.id, LoginStage::Complete, &agent, now)?;
            state.auth.audit(
                &state.auth.workspaces_of(l.user.id)?,
                Some(l.user.id),
                "login",
                &format!("password and {how}; {agent}"),
                now,
            )?;
            let mut r = super::error::see_other(next);
            r.add_cookie(&session_cookie(&req, &token)).ok();
            Ok(r)
        }
        Err(failure) => {
            let (status, msg) = match failure {
                LoginFailure::Invalid => (
                    actix_web::http::StatusCode::UNAUTHORIZED,
                    "That code is not valid.".to_owned(),
                ),
                LoginFailure::Locked(s) => (
                    actix_web::http::StatusCode::TOO_MANY_REQUESTS,
                    format!("Too many failed attempts. Try again in {s} seconds."),
                ),
            };
            Ok(html_page(
                status,
                &v::totp_step(&l.session.csrf, next, Some(&msg)),
            ))
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
        state.auth.audit(
            &state.auth.workspaces_of(l.user.id)?,
            Some(l.user.id),
            "logout",
            "",
            now,
        )?;
    }
    let mut r = super::error::see_other("/login");
    r.add_cookie(&clear_session_cookie(&req)).ok();
    Ok(r)
}

/// An invitation, found by its token; expired ones are not found.
fn invitation(
    state: &AppState,
    token: &str,
) -> Result<(crate::store::Invite, String, String), DashError> {
    let hash = privacy::sha256_hex(token.as_bytes());
    let inv = state
        .store
        .invite(&hash)?
        .filter(|i| i.expires_ms > state.clock.now_ms())
        .ok_or(DashError::NotFound)?;
    let email = hex::decode(&inv.email_sealed)
        .ok()
        .and_then(|b| state.auth.keys.open(hash.as_bytes(), &b).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or(DashError::NotFound)?;
    let ws = state
        .store
        .workspace(inv.workspace)?
        .ok_or(DashError::NotFound)?;
    Ok((inv, email, ws.name))
}

/// `GET /invite/{token}`
pub async fn invite_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> Result<HttpResponse, DashError> {
    let (inv, email, ws) = invitation(&state, &token)?;
    let csrf = prelogin_token(&req);
    Ok(prelogin_page(
        &req,
        &csrf,
        actix_web::http::StatusCode::OK,
        &v::invite(&csrf, &token, &email, &ws, inv.role.as_str(), None),
    ))
}

/// The invitation form.
#[derive(Deserialize)]
pub struct PasswordInput {
    password: String,
}

/// `POST /invite/{token}`
pub async fn accept_invite(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
    Posted(f): Posted<PasswordInput>,
) -> Result<HttpResponse, DashError> {
    let (inv, email_text, ws) = invitation(&state, &token)?;
    let email = Email::parse(&email_text).map_err(DashError::BadRequest)?;
    let now = state.clock.now_ms();
    let (user, _) = match state.auth.create_user(
        &email,
        &f.password,
        WorkspaceChoice::Existing(inv.workspace),
        inv.role,
        now,
    ) {
        Ok(u) => u,
        Err(e) => {
            let csrf = prelogin_token(&req);
            return Ok(prelogin_page(
                &req,
                &csrf,
                actix_web::http::StatusCode::BAD_REQUEST,
                &v::invite(
                    &csrf,
                    &token,
                    &email_text,
                    &ws,
                    inv.role.as_str(),
                    Some(&e.to_string()),
                ),
            ));
        }
    };
    state
        .store
        .delete_invite(&privacy::sha256_hex(token.as_bytes()))?;
    state.auth.audit(
        &[inv.workspace],
        Some(user.id),
        "invite_accepted",
        &format!("{email} joined as {}", inv.role),
        now,
    )?;
    let agent = agent_of(&req, &state);
    let session = state
        .auth
        .start_session(user.id, LoginStage::Complete, &agent, now)?;
    let mut r = super::error::see_other("/sites");
    r.add_cookie(&session_cookie(&req, &session)).ok();
    Ok(r)
}
