//! The sites list, workspaces, members and invitations, API keys, audit log.

use actix_web::{HttpResponse, http::StatusCode, web};
use serde::Deserialize;

use super::{
    DashError, html_page,
    login::Empty,
    views::{
        layout::UserBar,
        workspace::{self as v, MemberRow, WorkspacePage},
    },
    web::{Member, Posted, require},
};
use crate::{
    domain::{Domain, Email, Role, Timezone, UserId},
    privacy,
    store::{Invite, Workspace},
};

/// How long an invitation link works.
const INVITE_TTL_MS: u64 = 7 * 86_400_000;

/// Routes for `/sites` and `/workspaces`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/sites", web::get().to(home))
        .route("/workspaces", web::post().to(create_workspace))
        .route("/workspaces/{ws}", web::get().to(show))
        .route("/workspaces/{ws}/sites", web::post().to(add_site))
        .route("/workspaces/{ws}/members", web::post().to(add_member))
        .route(
            "/workspaces/{ws}/members/{user}/role",
            web::post().to(set_role),
        )
        .route(
            "/workspaces/{ws}/members/{user}/remove",
            web::post().to(remove_member),
        )
        .route("/workspaces/{ws}/keys", web::post().to(create_key))
        .route(
            "/workspaces/{ws}/keys/{hash}/revoke",
            web::post().to(revoke_key),
        )
        .route("/workspaces/{ws}/audit", web::get().to(audit));
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

fn render(
    m: &Member,
    ws: &Workspace,
    role: Role,
    status: StatusCode,
    secret: Option<(&str, String)>,
    error: Option<&str>,
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
                    mfa: u.totp_sealed.is_some(),
                });
            }
        }
        members.sort_by(|a, b| b.role.cmp(&a.role).then(a.email.cmp(&b.email)));
    }
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
        keys,
        secret,
        error,
    };
    Ok(html_page(status, &v::workspace(bar(m, &email), &page)))
}

/// `GET /workspaces/{ws}`
async fn show(m: Member, ws: web::Path<u32>) -> Result<HttpResponse, DashError> {
    let (ws, role) = m.workspace(*ws)?;
    render(&m, &ws, role, StatusCode::OK, None, None)
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
    let fail = |e: String| render(&m, &ws, role, StatusCode::BAD_REQUEST, None, Some(&e));
    let domain = match Domain::parse(&f.domain) {
        Ok(d) => d,
        Err(e) => return fail(e.to_string()),
    };
    let tz = match Timezone::parse(&f.timezone) {
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
struct MemberInput {
    email: String,
    role: String,
}

/// `POST /workspaces/{ws}/members` (owner): adds an existing user, or makes
/// a one-time invitation link for a new one.
async fn add_member(
    m: Member,
    ws: web::Path<u32>,
    Posted(f): Posted<MemberInput>,
) -> Result<HttpResponse, DashError> {
    let (ws, role) = m.workspace(*ws)?;
    require(role.is_owner())?;
    let (email, new_role) = match (Email::parse(&f.email), Role::parse(&f.role)) {
        (Ok(e), Ok(r)) => (e, r),
        (Err(e), _) | (_, Err(e)) => {
            return render(&m, &ws, role, StatusCode::BAD_REQUEST, None, Some(&e));
        }
    };
    let st = m.state();
    let now = st.clock.now_ms();
    let actor = Some(m.user.login.user.id);
    if let Some(existing) = st.auth.user_by_email(&email)? {
        if st
            .store
            .members(ws.id)?
            .iter()
            .any(|(u, _)| *u == existing.id)
        {
            return render(
                &m,
                &ws,
                role,
                StatusCode::BAD_REQUEST,
                None,
                Some("already a member; change their role in the list"),
            );
        }
        st.store.set_member(ws.id, existing.id, new_role)?;
        st.auth.audit(
            &[ws.id],
            actor,
            "member_added",
            &format!("{email} as {new_role}"),
            now,
        )?;
        return Err(DashError::Redirect(format!("/workspaces/{}", ws.id)));
    }
    let token = privacy::random_token();
    let hash = privacy::sha256_hex(token.as_bytes());
    st.store.put_invite(
        &hash,
        &Invite {
            workspace: ws.id,
            role: new_role,
            email_sealed: hex::encode(
                st.auth
                    .keys
                    .seal(hash.as_bytes(), email.as_str().as_bytes()),
            ),
            expires_ms: now + INVITE_TTL_MS,
            invited_by: m.user.login.user.id,
        },
    )?;
    st.auth.audit(
        &[ws.id],
        actor,
        "member_invited",
        &format!("{email} as {new_role}"),
        now,
    )?;
    let link = format!("/invite/{token}");
    render(
        &m,
        &ws,
        role,
        StatusCode::OK,
        Some((
            "Invitation link (shown once; prefix it with this server's address):",
            link,
        )),
        None,
    )
}

#[derive(Deserialize)]
struct RoleInput {
    role: String,
}

fn last_owner(m: &Member, ws: &Workspace, user: UserId) -> Result<bool, DashError> {
    let members = m.state().store.members(ws.id)?;
    let owners: Vec<_> = members.iter().filter(|(_, r)| r.is_owner()).collect();
    Ok(owners.len() == 1 && owners[0].0 == user)
}

/// `POST /workspaces/{ws}/members/{user}/role` (owner)
async fn set_role(
    m: Member,
    path: web::Path<(u32, u32)>,
    Posted(f): Posted<RoleInput>,
) -> Result<HttpResponse, DashError> {
    let (ws, role) = m.workspace(path.0)?;
    require(role.is_owner())?;
    let user = UserId(path.1);
    let new_role = Role::parse(&f.role).map_err(DashError::BadRequest)?;
    let st = m.state();
    let old = st
        .store
        .members(ws.id)?
        .into_iter()
        .find(|(u, _)| *u == user)
        .map(|(_, r)| r)
        .ok_or(DashError::NotFound)?;
    if !new_role.is_owner() && last_owner(&m, &ws, user)? {
        return render(
            &m,
            &ws,
            role,
            StatusCode::BAD_REQUEST,
            None,
            Some("a workspace needs at least one owner"),
        );
    }
    st.store.set_member(ws.id, user, new_role)?;
    let who = st
        .store
        .user(user)?
        .map(|u| st.auth.email_of(&u))
        .unwrap_or_default();
    st.auth.audit(
        &[ws.id],
        Some(m.user.login.user.id),
        "role_changed",
        &format!("{who}: {old} → {new_role}"),
        st.clock.now_ms(),
    )?;
    Err(DashError::Redirect(format!("/workspaces/{}", ws.id)))
}

/// `POST /workspaces/{ws}/members/{user}/remove` (owner)
async fn remove_member(
    m: Member,
    path: web::Path<(u32, u32)>,
    Posted(_): Posted<Empty>,
) -> Result<HttpResponse, DashError> {
    let (ws, role) = m.workspace(path.0)?;
    require(role.is_owner())?;
    let user = UserId(path.1);
    if last_owner(&m, &ws, user)? {
        return render(
            &m,
            &ws,
            role,
            StatusCode::BAD_REQUEST,
            None,
            Some("a workspace needs at least one owner"),
        );
    }
    let st = m.state();
    let who = st
        .store
        .user(user)?
        .map(|u| st.auth.email_of(&u))
        .unwrap_or_default();
    if !st.store.remove_member(ws.id, user)? {
        return Err(DashError::NotFound);
    }
    st.auth.audit(
        &[ws.id],
        Some(m.user.login.user.id),
        "member_removed",
        &who,
        st.clock.now_ms(),
    )?;
    Err(DashError::Redirect(format!("/workspaces/{}", ws.id)))
}

/// `POST /workspaces/{ws}/keys` (admin): the key is shown once.
async fn create_key(
    m: Member,
    ws: web::Path<u32>,
    Posted(f): Posted<NameInput>,
) -> Result<HttpResponse, DashError> {
    let (ws, role) = m.workspace(*ws)?;
    require(role.can_manage())?;
    let st = m.state();
    let now = st.clock.now_ms();
    let (key, rec) = match st.auth.create_api_key(ws.id, &f.name, now) {
        Ok(k) => k,
        Err(e) => {
            return render(
                &m,
                &ws,
                role,
                StatusCode::BAD_REQUEST,
                None,
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
    render(
        &m,
        &ws,
        role,
        StatusCode::OK,
        Some(("New API key (shown once; use it as a Bearer token):", key)),
        None,
    )
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
            (e, who)
        })
        .collect();
    let email = st.auth.email_of(&m.user.login.user);
    Ok(html_page(
        StatusCode::OK,
        &v::audit(bar(&m, &email), &ws, &entries),
    ))
}
