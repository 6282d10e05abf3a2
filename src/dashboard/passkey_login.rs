//! Signing in with a passkey over HTTP: "Sign in with a passkey" on the
//! login page (no password; any registered passkey, bound to the browser by
//! its pre-login cookie) and "Use a passkey" on the second step (after the
//! password; that account's passkeys, bound to the half-finished login).
//! Both are ceremonies of two requests (see `passkeys`).

use actix_web::{HttpRequest, HttpResponse, web};

use super::{
    DashError,
    login::{Empty, pending, prelogin_page, refusal, safe_next, second_step_page, signed_in},
    passkeys::{AnswerForm, begun, binding, relying_party},
    views::auth as v,
    web::{Posted, network_of, prelogin_token},
};
use crate::{auth::CurrentLogin, startup::AppState};

/// The passkey routes of the login.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/login/passkey/begin", web::post().to(begin_sign_in))
        .route("/login/passkey", web::post().to(sign_in))
        .route(
            "/login/totp/passkey/begin",
            web::post().to(begin_second_step),
        )
        .route("/login/totp/passkey", web::post().to(second_step));
}

/// Starts a sign-in: for the second step of `pending`'s user, or passwordless.
fn start(
    req: &HttpRequest,
    state: &AppState,
    pending: Option<&CurrentLogin>,
) -> Result<HttpResponse, DashError> {
    let rp = relying_party(req, state)?;
    let network = network_of(req, state);
    let user = pending.map(|l| &l.user);
    let now = state.clock.now_ms();
    let (ceremony, options) =
        state
            .auth
            .begin_passkey_sign_in(&rp, user, binding(req)?, &network, now)?;
    Ok(begun(ceremony, options))
}

/// `POST /login/passkey/begin`: options for any passkey of this site.
async fn begin_sign_in(
    req: HttpRequest,
    state: web::Data<AppState>,
    Posted(_): Posted<Empty>,
) -> Result<HttpResponse, DashError> {
    start(&req, &state, None)
}

/// `POST /login/passkey`: signs in whoever the passkey belongs to.
async fn sign_in(
    req: HttpRequest,
    state: web::Data<AppState>,
    Posted(f): Posted<AnswerForm>,
) -> Result<HttpResponse, DashError> {
    let rp = relying_party(&req, &state)?;
    let network = network_of(&req, &state);
    let now = state.clock.now_ms();
    let next = safe_next(&f.next);
    let b = binding(&req)?;
    match state
        .auth
        .finish_passkey_sign_in(&rp, &f.answer(&b), &network, now)?
    {
        Ok(user) => signed_in(&req, &state, user.id, "passkey", next, now),
        Err(failure) => {
            let csrf = prelogin_token(&req);
            let (status, msg) = refusal(failure, "That passkey was not accepted.");
            let page = v::login(&csrf, "", next, Some(&msg));
            Ok(prelogin_page(&req, &csrf, status, &page))
        }
    }
}

/// `POST /login/totp/passkey/begin`: options for the pending user's passkeys.
async fn begin_second_step(
    req: HttpRequest,
    state: web::Data<AppState>,
    Posted(_): Posted<Empty>,
) -> Result<HttpResponse, DashError> {
    start(&req, &state, Some(&pending(&req)?))
}

/// `POST /login/totp/passkey`: the second step done with a passkey.
async fn second_step(
    req: HttpRequest,
    state: web::Data<AppState>,
    Posted(f): Posted<AnswerForm>,
) -> Result<HttpResponse, DashError> {
    let l = pending(&req)?;
    let rp = relying_party(&req, &state)?;
    let now = state.clock.now_ms();
    let next = safe_next(&f.next);
    let answer = f.answer(&l.hash);
    match state
        .auth
        .finish_passkey_second_step(&rp, &l.user, &answer, now)?
    {
        Ok(()) => signed_in(&req, &state, l.user.id, "password and passkey", next, now),
        Err(failure) => {
            let (status, msg) = refusal(failure, "That passkey was not accepted.");
            second_step_page(&state, &l, next, status, Some(&msg))
        }
    }
}
