//! First run and joining: `/` while there are no users, the one-time setup
//! page that creates the owner, and accepting an invitation.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::{
    DashError, html_page,
    login::prelogin_page,
    views::auth as v,
    web::{Posted, agent_of, login_of, prelogin_token, session_cookie},
};
use crate::{
    domain::{Domain, Email, Role},
    privacy,
    startup::AppState,
    store::{LoginStage, WorkspaceChoice},
};

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
    let tz = match super::views::timezone::parse_zone(&f.timezone) {
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
    let email = state
        .auth
        .invite_email(&hash, &inv)
        .ok_or(DashError::NotFound)?;
    let ws = state
        .store
        .workspace(inv.workspace)?
        .ok_or(DashError::NotFound)?;
    // An invitation stands only while whoever sent it is still an owner there.
    let inviter_is_owner = state
        .store
        .members(inv.workspace)?
        .iter()
        .any(|(u, r)| *u == inv.invited_by && r.is_owner());
    if !inviter_is_owner {
        return Err(DashError::NotFound);
    }
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
