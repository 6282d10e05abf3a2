//! The sites list, workspaces, their sites, API keys and audit log.
//! Members and invitations are in `members`. A new API key or invitation
//! link is shown by post/redirect/get: the POST leaves it in a one-time
//! flash of the login session (`auth::flash`) and the workspace page shows
//! it once.

use actix_web::{HttpResponse, http::StatusCode, web};
use serde::Deserialize;

use super::{
    DashError, html_page,
    login::Empty,
    views::{
        layout::UserBar,
        workspace::{self as v, InviteRow, MemberRow, SiteForm, WorkspacePage},
    },
    web::{Member, Posted, require},
};
use crate::{
    auth::flash::{Flash, FlashKind},
    domain::{Domain, Role},
    store::{AuditEntry, Workspace},
};

/// Routes for `/sites` and `/workspaces`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/sites", web::get().to(home))
        .route("/workspaces", web::post().to(create_workspace))
        .route("/workspaces/{ws}", web::get().to(show))
        .route("/workspaces/{ws}/sites", web::post().to(add_site))
        .configure(super::members::routes)
        .route("/workspaces/{ws}/keys", web::post().to(create_key))
        .route(
            "/workspaces/{ws}/keys/{hash}/revoke",
            web::post().to(revoke_key),
        )
        .route("/workspaces/{ws}/audit", web::get().to(audit))
        .route("/workspaces/{ws}/delete", web::post().to(delete));
}

fn bar<'a>(m: &'a Member, email: &'a str) -> UserBar<'a> {
    UserBar {
        email,
        csrf: m.user.csrf(),
    }
}

/// `GET /sites`
async fn home(m: Member) -> Result<HttpResponse, DashError> {
    let sites = m.state().store.sites()?;
    let groups: Vec<_> = m
        .memberships
        .iter()
        .map(|(w, r)| {
            let mine = sites
                .iter()
                .filter(|s| s.workspace == w.id)
                .cloned()
                .collect();
            (w.clone(), *r, mine)
        })
        .collect();
    let email = m.state().auth.email_of(&m.user.login.user);
    Ok(html_page(
        StatusCode::OK,
        &v::home(bar(&m, &email), &groups),
    ))
}

#[derive(Deserialize)]
struct NameInput {
    name: String,
}

/// `POST /workspaces`: the creator becomes its owner.
async fn create_workspace(
    m: Member,
    Posted(f): Posted<NameInput>,
) -> Result<HttpResponse, DashError> {
    crate::auth::check_workspace_name(&f.name)?;
    let st = m.state();
    let now = st.clock.now_ms();
    let ws = st.store.create_workspace(f.name.trim(), now)?;
    let uid = m.user.login.user.id;
    st.store.set_member(ws.id, uid, Role::Owner)?;
    st.auth
        .audit(&[ws.id], Some(uid), "workspace_created", &ws.name, now)?;
    Err(DashError::Redirect(format!("/workspaces/{}", ws.id)))
}

/// The workspace page, with one-time values (flashes) or an error to show.
pub(super) fn render(
    m: &Member,
    ws: &Workspace,
    role: Role,
    status: StatusCode,
    flashes: &[Flash],
    error: Option<&str>,
) -> Result<HttpResponse, DashError> {
    render_with(m, ws, role, status, flashes, error, SiteForm::default())
}

fn render_with(
    m: &Member,
    ws: &Workspace,
    role: Role,
    status: StatusCode,
    flashes: &[Flash],
    error: Option<&str>,
    site_form: SiteForm<'_>,
) -> Result<HttpResponse, DashError> {
    let st = m.state();
    let sites = st
        .store
        .sites()?
        .into_iter()
        .filter(|s| s.workspace == ws.id)
        .collect();
    let mut members = Vec::new();
    if role.is_owner() {
        for (uid, r) in st.store.members(ws.id)? {
            if let Some(u) = st.store.user(uid)? {
                members.push(MemberRow {
                    id: uid.0,
                    email: st.auth.email_of(&u),
                    role: r,
                    mfa: st.auth.has_second_factor(&u)?,
                });
            }
        }
        members.sort_by(|a, b| b.role.cmp(&a.role).then(a.email.cmp(&b.email)));
    }
    let invites = if role.is_owner() {
        let now = st.clock.now_ms();
        st.store
            .invites_of(ws.id)?
            .into_iter()
            .map(|(hash, i)| InviteRow {
                email: st
                    .auth
                    .invite_email(&hash, &i)
                    .unwrap_or_else(|| "(unreadable)".to_owned()),
                id: hash,
                role: i.role,
                expires_ms: i.expires_ms,
                expired: i.expires_ms <= now,
            })
            .collect()
    } else {
        Vec::new()
    };
    let keys = if role.can_manage() {
        st.store.api_keys(ws.id)?
    } else {
        Vec::new()
    };
    let email = st.auth.email_of(&m.user.login.user);
    let page = WorkspacePage {
        ws,
        role,
        sites,
        members,
        invites,
        site_form,
        keys,
        flashes,
        error,
    };
    Ok(html_page(status, &v::workspace(bar(m, &email), &page)))
}

/// `GET /workspaces/{ws}`: shows a new API key or invitation link waiting
/// in this session's flash, once.
async fn show(m: Member, ws: web::Path<u32>) -> Result<HttpResponse, DashError> {
    let (ws, role) = m.workspace(*ws)?;
    let st = m.state();
    let flashes = st.auth.flashes.take(
        &m.user.login.hash,
        &format!("/workspaces/{}", ws.id),
        st.clock.now_ms(),
    );
    render(&m, &ws, role, StatusCode::OK, &flashes, None)
}

#[derive(Deserialize)]
struct SiteInput {
    domain: String,
    timezone: String,
}

/// `POST /workspaces/{ws}/sites` (admin)
async fn add_site(
    m: Member,
    ws: web::Path<u32>,
    Posted(f): Posted<SiteInput>,
) -> Result<HttpResponse, DashError> {
    let (ws, role) = m.workspace(*ws)?;
    require(role.can_manage())?;
    let fail = |e: String| {
        let form = SiteForm {
            domain: &f.domain,
            timezone: &f.timezone,
        };
        render_with(&m, &ws, role, StatusCode::BAD_REQUEST, &[], Some(&e), form)
    };
    let domain = match Domain::parse(&f.domain) {
        Ok(d) => d,
        Err(e) => return fail(e.to_string()),
    };
    let tz = match super::views::timezone::parse_zone(&f.timezone) {
        Ok(t) => t,
        Err(e) => return fail(e),
    };
    let st = m.state();
    let now = st.clock.now_ms();
    if let Err(e) = st.store.add_site(ws.id, &domain, tz, now) {
        return fail(e.to_string());
    }
    st.reload_sites()?;
    st.auth.audit(
        &[ws.id],
        Some(m.user.login.user.id),
        "site_added",
        domain.as_str(),
        now,
    )?;
    Err(DashError::Redirect(format!("/sites/{domain}/settings")))
}

#[derive(Deserialize)]
struct KeyInput {
    name: String,
    #[serde(default)]
    conversions: Option<String>,
    #[serde(default)]
    sites: Option<String>,
}

/// `POST /workspaces/{ws}/keys` (admin): makes the key, leaves it in the
/// session's flash and redirects to the workspace page, which shows it once
/// (a reload neither shows it again nor makes another).
async fn create_key(
    m: Member,
    ws: web::Path<u32>,
    Posted(f): Posted<KeyInput>,
) -> Result<HttpResponse, DashError> {
    let (ws, role) = m.workspace(*ws)?;
    require(role.can_manage())?;
    let st = m.state();
    let now = st.clock.now_ms();
    let (key, rec) = match st.auth.create_api_key(
        ws.id,
        &f.name,
        crate::store::KeyScopes {
            conversions: f.conversions.is_some(),
            sites: f.sites.is_some(),
        },
        now,
    ) {
        Ok(k) => k,
        Err(e) => {
            return render(
                &m,
                &ws,
                role,
                StatusCode::BAD_REQUEST,
                &[],
                Some(&e.to_string()),
            );
        }
    };
    st.auth.audit(
        &[ws.id],
        Some(m.user.login.user.id),
        "api_key_created",
        &format!("{} ({}…)", rec.name, rec.prefix),
        now,
    )?;
    let page = format!("/workspaces/{}", ws.id);
    st.auth.flashes.put(
        &m.user.login.hash,
        &page,
        Flash {
            kind: FlashKind::ApiKey,
            label: format!(
                "New API key \u{201c}{}\u{201d} (shown once; copy it now and use it as a Bearer token):",
                rec.name
            ),
            value: key,
        },
        now,
    );
    Err(DashError::Redirect(page))
}

/// `POST /workspaces/{ws}/keys/{hash}/revoke` (admin)
async fn revoke_key(
    m: Member,
    path: web::Path<(u32, String)>,
    Posted(_): Posted<Empty>,
) -> Result<HttpResponse, DashError> {
    let (ws, role) = m.workspace(path.0)?;
    require(role.can_manage())?;
    let st = m.state();
    let rec = st
        .store
        .delete_api_key(ws.id, &path.1)?
        .ok_or(DashError::NotFound)?;
    st.auth.audit(
        &[ws.id],
        Some(m.user.login.user.id),
        "api_key_revoked",
        &format!("{} ({}…)", rec.name, rec.prefix),
        st.clock.now_ms(),
    )?;
    Err(DashError::Redirect(format!("/workspaces/{}", ws.id)))
}

/// `GET /workspaces/{ws}/audit` (owner)
async fn audit(m: Member, ws: web::Path<u32>) -> Result<HttpResponse, DashError> {
    let (ws, role) = m.workspace(*ws)?;
    require(role.is_owner())?;
    let st = m.state();
    let mut names = std::collections::HashMap::new();
    let entries: Vec<_> = st
        .store
        .audit_log(ws.id, 500)?
        .into_iter()
        .map(|e| {
            let who = match e.actor {
                None => "—".to_owned(),
                Some(id) => names
                    .entry(id)
                    .or_insert_with(|| {
                        st.store
                            .user(id)
                            .ok()
                            .flatten()
                            .map_or_else(|| format!("user #{id}"), |u| st.auth.email_of(&u))
                    })
                    .clone(),
            };
            let detail = st.auth.audit_detail(&e);
            (AuditEntry { detail, ..e }, who)
        })
        .collect();
    let email = st.auth.email_of(&m.user.login.user);
    Ok(html_page(
        StatusCode::OK,
        &v::audit(bar(&m, &email), &ws, &entries),
    ))
}

#[derive(Deserialize)]
struct ConfirmInput {
    confirm: String,
}

/// `POST /workspaces/{ws}/delete` (owner): hidden at once, purged after the grace period.
async fn delete(
    m: Member,
    ws: web::Path<u32>,
    Posted(f): Posted<ConfirmInput>,
) -> Result<HttpResponse, DashError> {
    let (ws, role) = m.workspace(*ws)?;
    require(role.is_owner())?;
    if f.confirm.trim() != ws.name {
        return render(
            &m,
            &ws,
            role,
            StatusCode::BAD_REQUEST,
            &[],
            Some("Type the workspace's name exactly to confirm deletion."),
        );
    }
    let st = m.state();
    let now = st.clock.now_ms();
    // Logged first, in its own log and the instance's (which outlives it).
    st.auth.audit(
        &[ws.id, crate::domain::WorkspaceId(0)],
        Some(m.user.login.user.id),
        "workspace_deleted",
        &format!(
            "{}: hidden now, purged for good after {} days",
            ws.name,
            crate::privacy::retention::WORKSPACE_GRACE_DAYS
        ),
        now,
    )?;
    st.store.soft_delete_workspace(ws.id, now)?;
    st.reload_sites()?;
    Err(DashError::Redirect("/sites".into()))
}
