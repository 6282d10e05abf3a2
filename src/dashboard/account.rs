//! The account page: password, two-factor enrolment, sessions (passkeys
//! are in `passkeys`).

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use serde::Deserialize;

use super::{
    DashError, html_page,
    login::Empty,
    views::account::{self as v, AccountPage, EnrolPage, SessionRow},
    web::{LoggedIn, Posted, clear_session_cookie},
};
use crate::auth::{Enrolment, password, totp};
use crate::dashboard::views::words::count;

/// Routes under `/account`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/account", web::get().to(show))
        .route("/account/password", web::post().to(change_password))
        .route("/account/totp", web::get().to(enrol_form))
        .route("/account/totp", web::post().to(enrol))
        .route("/account/totp/new", web::post().to(new_secret))
        .route("/account/totp/disable", web::post().to(disable_totp))
        .route(
            "/account/sessions/{id}/revoke",
            web::post().to(revoke_session),
        )
        .route(
            "/account/logout-everywhere",
            web::post().to(logout_everywhere),
        );
}

/// The account page with an optional notice or error.
///
/// # Errors
/// Storage errors.
pub(super) fn render(
    u: &LoggedIn,
    status: StatusCode,
    notice: Option<&str>,
    error: Option<&str>,
) -> Result<HttpResponse, DashError> {
    let email = u.state.auth.email_of(&u.login.user);
    let mut sessions: Vec<SessionRow> = u
        .state
        .store
        .logins_of(u.login.user.id)?
        .into_iter()
        .map(|(h, s)| SessionRow {
            id: crate::auth::public_id(&h),
            agent: s.agent,
            created_ms: s.created_ms,
            last_seen_ms: s.last_seen_ms,
            current: h == u.login.hash,
        })
        .collect();
    sessions.sort_by_key(|s| std::cmp::Reverse(s.last_seen_ms));
    Ok(html_page(
        status,
        &v::account(&AccountPage {
            email: &email,
            csrf: u.csrf(),
            totp: u.login.user.totp_sealed.is_some(),
            recovery_left: u.login.user.recovery_codes.len(),
            passkeys: u.state.auth.passkeys(u.login.user.id)?,
            sessions,
            notice,
            error,
        }),
    ))
}

/// `GET /account`
async fn show(u: LoggedIn) -> Result<HttpResponse, DashError> {
    render(&u, StatusCode::OK, None, None)
}

#[derive(Deserialize)]
struct PasswordChange {
    current: String,
    new: String,
}

/// `POST /account/password`: other sessions end, this one stays.
async fn change_password(
    u: LoggedIn,
    Posted(f): Posted<PasswordChange>,
) -> Result<HttpResponse, DashError> {
    if !password::verify(&f.current, &u.login.user.password_hash) {
        return render(
            &u,
            StatusCode::BAD_REQUEST,
            None,
            Some("The current password is wrong."),
        );
    }
    if let Err(e) = password::check_policy(&f.new) {
        return render(&u, StatusCode::BAD_REQUEST, None, Some(&e));
    }
    let mut user = u.login.user.clone();
    user.password_hash = password::hash(&f.new);
    let st = &u.state;
    st.store.put_user(&user)?;
    st.auth.end_sessions_of(user.id, Some(&u.login.hash))?;
    let now = st.clock.now_ms();
    st.auth
        .audit_user(user.id, "password_changed", "other sessions ended", now)?;
    render(
        &u,
        StatusCode::OK,
        Some("Password changed. Your other sessions were logged out."),
        None,
    )
}

/// `GET /account/totp`: the account's pending secret (made on the first
/// visit), the same on every load until it is confirmed or replaced.
async fn enrol_form(u: LoggedIn) -> Result<HttpResponse, DashError> {
    match u.state.auth.pending_totp(u.login.user.id)? {
        Some(secret) => enrol_page(&u, &secret, StatusCode::OK, None),
        None => Err(DashError::Redirect("/account".into())),
    }
}

fn enrol_page(
    u: &LoggedIn,
    secret: &[u8],
    status: StatusCode,
    error: Option<&str>,
) -> Result<HttpResponse, DashError> {
    let email = u.state.auth.email_of(&u.login.user);
    let qr = totp::qr_svg(&totp::otpauth_url(secret, &email));
    let qr = qr.find("<svg").map_or("", |i| &qr[i..]);
    Ok(html_page(
        status,
        &v::enrol(&EnrolPage {
            email: &email,
            csrf: u.csrf(),
            secret: &totp::secret_base32(secret),
            qr_svg: qr,
            required: u.must_enrol()?,
            error,
        }),
    ))
}

#[derive(Deserialize)]
struct EnrolInput {
    /// The key the page showed (base32), to notice it was replaced since.
    #[serde(default)]
    secret: String,
    code: String,
}

/// `POST /account/totp`: confirms the app works with a code from the
/// pending secret, then turns TOTP on and shows recovery codes once.
async fn enrol(u: LoggedIn, Posted(f): Posted<EnrolInput>) -> Result<HttpResponse, DashError> {
    // Replacing a working authenticator goes through "turn off" (which asks
    // for the password) first, so a stolen session can't swap it.
    let st = &u.state;
    let now = st.clock.now_ms();
    let shown = totp::secret_from_base32(&f.secret).filter(|s| !s.is_empty());
    let again = |error: &str| -> Result<HttpResponse, DashError> {
        match st.auth.pending_totp(u.login.user.id)? {
            Some(secret) => enrol_page(&u, &secret, StatusCode::BAD_REQUEST, Some(error)),
            None => Err(DashError::Redirect("/account".into())),
        }
    };
    let codes = match st
        .auth
        .confirm_totp(u.login.user.id, shown.as_deref(), &f.code, now)?
    {
        Enrolment::Enabled(codes) => codes,
        Enrolment::WrongCode => {
            return again("That code is not valid. Check the app's clock and try the next code.");
        }
        Enrolment::Replaced => {
            return again(
                "The key was replaced since this page was loaded (a new key was asked for in another window). Scan this one.",
            );
        }
        Enrolment::Nothing => return Err(DashError::Redirect("/account".into())),
    };
    let user = u.login.user.id;
    st.auth
        .audit_user(user, "mfa_enabled", "authenticator app", now)?;
    let email = st.auth.email_of(&u.login.user);
    Ok(html_page(
        StatusCode::OK,
        &v::recovery_codes(&email, u.csrf(), &codes, &after_enrolment(&u)?),
    ))
}

/// Where Continue leads after enrolment: the user's site when they have
/// exactly one (a new owner's, just made by the setup wizard), else the
/// sites list.
pub(super) fn after_enrolment(u: &LoggedIn) -> Result<String, DashError> {
    let st = &u.state;
    let mine: Vec<_> = st
        .store
        .memberships(u.login.user.id)?
        .into_iter()
        .map(|(ws, _)| ws)
        .collect();
    let sites: Vec<_> = st
        .store
        .sites()?
        .into_iter()
        .filter(|s| mine.contains(&s.workspace))
        .collect();
    Ok(match sites.as_slice() {
        [one] => format!("/sites/{}", one.domain),
        _ => "/sites".to_owned(),
    })
}

/// `POST /account/totp/new`: replaces the pending secret (before TOTP is on).
async fn new_secret(u: LoggedIn, Posted(_): Posted<Empty>) -> Result<HttpResponse, DashError> {
    if u.state.auth.renew_pending_totp(u.login.user.id)? {
        Err(DashError::Redirect("/account/totp".into()))
    } else {
        Err(DashError::Redirect("/account".into()))
    }
}

/// A form asking for the password again (turning off TOTP, removing a passkey).
#[derive(Deserialize)]
pub(super) struct PasswordOnly {
    pub(super) password: String,
}

/// The account page saying so when the password asked for again is wrong.
///
/// # Errors
/// Storage errors.
pub(super) fn refuse_wrong_password(
    u: &LoggedIn,
    given: &str,
) -> Result<Option<HttpResponse>, DashError> {
    if password::verify(given, &u.login.user.password_hash) {
        return Ok(None);
    }
    render(
        u,
        StatusCode::BAD_REQUEST,
        None,
        Some("The password is wrong."),
    )
    .map(Some)
}

/// `POST /account/totp/disable`: needs the password; refused when the
/// user's role requires two-factor authentication and no passkey would
/// remain to provide it.
async fn disable_totp(
    u: LoggedIn,
    Posted(f): Posted<PasswordOnly>,
) -> Result<HttpResponse, DashError> {
    if let Some(refused) = refuse_wrong_password(&u, &f.password)? {
        return Ok(refused);
    }
    let st = &u.state;
    let needs = st.auth.settings.require_mfa_for_admins
        && !st.store.has_passkeys(u.login.user.id)?
        && st
            .store
            .memberships(u.login.user.id)?
            .iter()
            .any(|(_, r)| r.needs_mfa());
    if needs {
        return render(
            &u,
            StatusCode::BAD_REQUEST,
            None,
            Some("Your role requires two-factor authentication; it can't be turned off."),
        );
    }
    let user = u.login.user.id;
    // Recovery codes stay while passkeys remain (they stand in for them).
    // Changed in place: a code used meanwhile stays used.
    let keep_codes = st.store.has_passkeys(user)?;
    st.store.update_user(user, |r| {
        r.totp_sealed = None;
        if !keep_codes {
            r.recovery_codes.clear();
        }
        true
    })?;
    let now = st.clock.now_ms();
    st.auth.audit_user(user, "mfa_disabled", "", now)?;
    Err(DashError::Redirect("/account".into()))
}

/// `POST /account/sessions/{id}/revoke`
async fn revoke_session(
    u: LoggedIn,
    id: web::Path<String>,
    Posted(_): Posted<Empty>,
) -> Result<HttpResponse, DashError> {
    let st = &u.state;
    if !st.auth.end_session_by_public_id(u.login.user.id, &id)? {
        return Err(DashError::NotFound);
    }
    let now = st.clock.now_ms();
    st.auth
        .audit_user(u.login.user.id, "session_revoked", "", now)?;
    Err(DashError::Redirect("/account".into()))
}

/// `POST /account/logout-everywhere`
async fn logout_everywhere(
    req: HttpRequest,
    u: LoggedIn,
    Posted(_): Posted<Empty>,
) -> Result<HttpResponse, DashError> {
    let st = &u.state;
    let n = st.auth.end_sessions_of(u.login.user.id, None)?;
    let now = st.clock.now_ms();
    st.auth.audit_user(
        u.login.user.id,
        "logout_everywhere",
        &count(n, "session ended", "sessions ended"),
        now,
    )?;
    let mut r = super::error::see_other("/login");
    r.add_cookie(&clear_session_cookie(&req)).ok();
    Ok(r)
}
