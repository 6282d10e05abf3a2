//! Workspace members: adding existing users, inviting new ones with a
//! one-time link (absolute: see `public_url`; shown by post/redirect/get
//! through the session's flash, like a new API key), revoking invitations,
//! changing roles, removing — owners only, and never the last owner.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use serde::Deserialize;

use super::{
    DashError,
    login::Empty,
    web::{Member, Posted, require},
    workspace::render,
};
use crate::{
    auth::flash::{Flash, FlashKind},
    domain::{Email, Role, UserId},
    privacy,
    store::{Invite, StoreError, Workspace},
};

/// How long an invitation link works.
const INVITE_TTL_MS: u64 = 7 * 86_400_000;

/// Routes under `/workspaces/{ws}/members`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/workspaces/{ws}/members", web::post().to(add_member))
        .route(
            "/workspaces/{ws}/members/{user}/role",
            web::post().to(set_role),
        )
        .route(
            "/workspaces/{ws}/members/{user}/remove",
            web::post().to(remove_member),
        )
        .route(
            "/workspaces/{ws}/invites/{hash}/revoke",
            web::post().to(revoke_invite),
        );
}

#[derive(Deserialize)]
struct MemberInput {
    email: String,
    role: String,
}

/// `POST /workspaces/{ws}/members` (owner): adds an existing user, or makes
/// a one-time invitation link for a new one, leaves it in the session's
/// flash and redirects to the workspace page, which shows it once (a reload
/// neither shows it again nor makes another invitation).
async fn add_member(
    req: HttpRequest,
    m: Member,
    ws: web::Path<u32>,
    Posted(f): Posted<MemberInput>,
) -> Result<HttpResponse, DashError> {
    let (ws, role) = m.workspace(*ws)?;
    require(role.is_owner())?;
    let (email, new_role) = match (Email::parse(&f.email), Role::parse(&f.role)) {
        (Ok(e), Ok(r)) => (e, r),
        (Err(e), _) | (_, Err(e)) => {
            return render(&m, &ws, role, StatusCode::BAD_REQUEST, &[], Some(&e));
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
                &[],
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
            email_sealed: st.auth.seal_invite_email(&hash, &email),
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
    let link = format!(
        "{}/invite/{token}",
        super::public_url::public_origin(&req, &st.settings.server)
    );
    let label = format!(
        "Invitation link for {email} (shown once; it works once, for 7 days). Send it to them:"
    );
    let page = format!("/workspaces/{}", ws.id);
    st.auth.flashes.put(
        &m.user.login.hash,
        &page,
        Flash {
            kind: FlashKind::Invitation,
            label,
            value: link,
        },
        now,
    );
    Err(DashError::Redirect(page))
}

/// `POST /workspaces/{ws}/invites/{hash}/revoke` (owner): the link stops
/// working at once. `hash` is the SHA-256 (hex) of the invitation's token,
/// as the members page lists it; another workspace's is not found.
async fn revoke_invite(
    m: Member,
    path: web::Path<(u32, String)>,
    Posted(_): Posted<Empty>,
) -> Result<HttpResponse, DashError> {
    let (ws, role) = m.workspace(path.0)?;
    require(role.is_owner())?;
    let st = m.state();
    let hash = &path.1;
    let invite = st
        .store
        .invite(hash)?
        .filter(|i| i.workspace == ws.id)
        .ok_or(DashError::NotFound)?;
    if !st.store.delete_invite(hash)? {
        return Err(DashError::NotFound);
    }
    let who = st
        .auth
        .invite_email(hash, &invite)
        .unwrap_or_else(|| "(unreadable)".to_owned());
    st.auth.audit(
        &[ws.id],
        Some(m.user.login.user.id),
        "invite_revoked",
        &format!("{who} as {}", invite.role),
        st.clock.now_ms(),
    )?;
    Err(DashError::Redirect(format!("/workspaces/{}", ws.id)))
}

#[derive(Deserialize)]
struct RoleInput {
    role: String,
}

/// Changes or removes a membership. The store refuses, in its transaction,
/// to leave the workspace without an owner; that refusal is shown on the
/// workspace page. A non-member is not found.
fn change(
    m: &Member,
    ws: &Workspace,
    role: Role,
    user: UserId,
    to: Option<Role>,
) -> Result<Option<HttpResponse>, DashError> {
    match m.state().store.change_member(ws.id, user, to) {
        Ok(true) => Ok(None),
        Ok(false) => Err(DashError::NotFound),
        Err(StoreError::Conflict(msg)) => {
            render(m, ws, role, StatusCode::BAD_REQUEST, &[], Some(&msg)).map(Some)
        }
        Err(e) => Err(e.into()),
    }
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
    if let Some(refused) = change(&m, &ws, role, user, Some(new_role))? {
        return Ok(refused);
    }
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
    let st = m.state();
    let who = st
        .store
        .user(user)?
        .map(|u| st.auth.email_of(&u))
        .unwrap_or_default();
    if let Some(refused) = change(&m, &ws, role, user, None)? {
        return Ok(refused);
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
