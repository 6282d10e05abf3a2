//! Passkeys on the account page: adding one and removing one (with the
//! password, like turning off TOTP). Also what the login's passkey routes
//! share: a request's relying party, what binds a ceremony to the browser,
//! and the JSON that starts one.
//!
//! Each ceremony takes two requests from `passkeys.js`: `…/begin` (the form,
//! CSRF-checked like every other) answers the options for the browser as
//! JSON, `{"ceremony": id, "publicKey": {…}}`; then the form itself is posted
//! with the ceremony's id and the browser's answer, and answers a page or a
//! redirect like any form.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use serde::{Deserialize, Serialize};

use super::{
    DashError,
    account::{PasswordOnly, after_enrolment, refuse_wrong_password, render},
    error::see_other,
    html_page,
    views::account as account_views,
    web::{LoggedIn, PRELOGIN_COOKIE, Posted, login_of},
};
use crate::{
    auth::{Answer, PasskeyError, RelyingParty},
    privacy,
    startup::AppState,
};

/// Routes under `/account/passkeys`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/account/passkeys/begin", web::post().to(begin))
        .route("/account/passkeys", web::post().to(finish))
        .route("/account/passkeys/{id}/remove", web::post().to(remove));
}

/// The relying party passkeys are bound to: the origin of
/// `server.public_url` when it is set, else the origin the browser used (its
/// scheme and `Host`, or a trusted proxy's `X-Forwarded-*`).
///
/// # Errors
/// [`DashError::BadRequest`] when that origin has no host name (an IP address).
pub(super) fn relying_party(
    req: &HttpRequest,
    state: &AppState,
) -> Result<RelyingParty, DashError> {
    let origin = super::public_url::public_origin(req, &state.settings.server);
    Ok(RelyingParty::for_origin(&origin)?)
}

/// What binds a ceremony to the browser that started it: its login session
/// (a half-finished one included), else its pre-login CSRF cookie.
///
/// # Errors
/// [`DashError::Csrf`] when the browser has neither.
pub(super) fn binding(req: &HttpRequest) -> Result<[u8; 32], DashError> {
    if let Some(l) = login_of(req)? {
        return Ok(l.hash);
    }
    req.cookie(PRELOGIN_COOKIE)
        .map(|c| privacy::sha256(c.value().as_bytes()))
        .ok_or(DashError::Csrf)
}

/// The JSON answer of a `…/begin` route.
#[derive(Serialize)]
struct Begun<T> {
    ceremony: String,
    #[serde(flatten)]
    options: T,
}

/// Answers a started ceremony: its id and the options for the browser.
pub(super) fn begun<T: Serialize>(ceremony: String, options: T) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(Begun { ceremony, options })
}

/// A form carrying the browser's answer to a ceremony.
#[derive(Deserialize)]
pub(super) struct AnswerForm {
    /// The ceremony's id, from its `…/begin` answer.
    ceremony: String,
    /// The browser's `PublicKeyCredential` as JSON.
    credential: String,
    /// Where to go after a sign-in.
    #[serde(default)]
    pub(super) next: String,
}

impl AnswerForm {
    /// The answer of the browser `binding` binds.
    pub(super) fn answer<'a>(&'a self, binding: &'a [u8; 32]) -> Answer<'a> {
        Answer {
            ceremony: &self.ceremony,
            binding,
            credential: &self.credential,
        }
    }
}

#[derive(Deserialize)]
struct NameInput {
    name: String,
}

/// `POST /account/passkeys/begin`: the options to create a passkey named `name`.
async fn begin(
    req: HttpRequest,
    u: LoggedIn,
    Posted(f): Posted<NameInput>,
) -> Result<HttpResponse, DashError> {
    let st = &u.state;
    let rp = relying_party(&req, st)?;
    let (ceremony, options) = st.auth.begin_passkey_enrolment(
        &rp,
        &u.login.user,
        &f.name,
        u.login.hash,
        st.clock.now_ms(),
    )?;
    Ok(begun(ceremony, options))
}

/// `POST /account/passkeys`: adds the passkey the browser made, then back
/// to the account page (or, for whom enrolment was required, on to the
/// dashboard).
async fn finish(
    req: HttpRequest,
    u: LoggedIn,
    Posted(f): Posted<AnswerForm>,
) -> Result<HttpResponse, DashError> {
    let st = &u.state;
    let now = st.clock.now_ms();
    let rp = relying_party(&req, st)?;
    let required = u.must_enrol()?;
    let user = u.login.user.id;
    let answer = f.answer(&u.login.hash);
    match st.auth.finish_passkey_enrolment(&rp, user, &answer, now) {
        Ok(name) => {
            st.auth
                .audit_user(user, "passkey_added", &format!("passkey {name:?}"), now)?;
            let to = if required {
                after_enrolment(&u)?
            } else {
                "/account".to_owned()
            };
            // A first factor without an authenticator app: recovery codes
            // too, shown once, so a lost passkey doesn't lock the account.
            if let Some(codes) = st.auth.recovery_codes_if_none(user)? {
                st.auth.audit_user(user, "recovery_codes_issued", "", now)?;
                let email = st.auth.email_of(&u.login.user);
                return Ok(html_page(
                    StatusCode::OK,
                    &account_views::recovery_codes(&email, u.csrf(), &codes, &to),
                ));
            }
            Ok(see_other(&to))
        }
        Err(PasskeyError::Store(e)) => Err(e.into()),
        Err(e) => {
            tracing::info!(error = ?e, "passkey not added");
            let msg = format!("The passkey was not added: {e}.");
            render(&u, StatusCode::BAD_REQUEST, None, Some(&msg))
        }
    }
}

/// `POST /account/passkeys/{id}/remove`: needs the password. Whoever's role
/// requires two-factor authentication and has no other factor left goes
/// back to enrolment.
async fn remove(
    u: LoggedIn,
    id: web::Path<String>,
    Posted(f): Posted<PasswordOnly>,
) -> Result<HttpResponse, DashError> {
    if let Some(refused) = refuse_wrong_password(&u, &f.password)? {
        return Ok(refused);
    }
    let st = &u.state;
    let user = u.login.user.id;
    let Some(name) = st.auth.remove_passkey(user, &id)? else {
        return Err(DashError::NotFound);
    };
    let now = st.clock.now_ms();
    st.auth
        .audit_user(user, "passkey_removed", &format!("passkey {name:?}"), now)?;
    // With no factor left, recovery codes would stand for one (TOTP read
    // afresh, in the write: it may have been turned on meanwhile).
    if !st.store.has_passkeys(user)? {
        st.store.update_user(user, |r| {
            let clear = r.totp_sealed.is_none() && !r.recovery_codes.is_empty();
            if clear {
                r.recovery_codes.clear();
            }
            clear
        })?;
    }
    let to = if u.must_enrol()? {
        "/account/totp"
    } else {
        "/account"
    };
    Ok(see_other(to))
}
