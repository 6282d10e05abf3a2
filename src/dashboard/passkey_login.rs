//! Signing in with a passkey over HTTP: "Sign in with a passkey" on the
//! login page (no password; any registered passkey, bound to the browser by
//! its pre-login cookie) and "Use a passkey" on the second step (after the
//! password; that account's passkeys, bound to the half-finished login).
//! Both are ceremonies of two requests (see `passkeys`).

use actix_web::{HttpRequest, HttpResponse, web};

use super::{
    DashError,
    login::{Empty, pending, prelogin_page, refusal, safe_next, second_step_page, signed_in},
    passkeys::{Answer, begun, binding, relying_party},
    views::auth as v,
    web::{Posted, network_of, prelogin_token},
};
use crate::startup::AppState;

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

/// `POST /login/passkey/begin`: options for any passkey of this site.
async fn begin_sign_in(
    req: HttpRequest,
    state: web::Data<AppState>,
    Posted(_): Posted<Empty>,
) -> Result<HttpResponse, DashError> {
    let rp = relying_party(&req, &state)?;
    let network = network_of(&req, &state);
    let now = state.clock.now_ms();
    let (ceremony, options) =
        state
            .auth
            .begin_passkey_sign_in(&rp, None, binding(&req)?, &network, now)?;
    Ok(begun(ceremony, options))
}

/// `POST /login/passkey`: signs in whoever the passkey belongs to.
async fn sign_in(
    req: HttpRequest,
    state: web::Data<AppState>,
    Posted(f): Posted<Answer>,
) -> Result<HttpResponse, DashError> {
    let rp = relying_party(&req, &state)?;
    let network = network_of(&req, &state);
    let now = state.clock.now_ms();
    let next = safe_next(&f.next);
    let verdict = state.auth.finish_passkey_sign_in(
        &rp,
        &f.ceremony,
        &binding(&req)?,
        &f.credential,
        &network,
        now,
    )?;
    match verdict {
        Ok(user) => signed_in(&req, &state, user.id, "passkey", next, now),
        Err(failure) => {
            let csrf = prelogin_token(&req);
            let (status, msg) = refusal(failure, "That passkey was not accepted.");
            Ok(prelogin_page(
                &req,
                &csrf,
                status,
                &v::login(&csrf, "", next, Some(&msg)),
            ))
        }
    }
}

/// `POST /login/totp/passkey/begin`: options for the pending user's passkeys.
async fn begin_second_step(
    req: HttpRequest,
    state: web::Data<AppState>,
    Posted(_): Posted<Empty>,
) -> Result<HttpResponse, DashError> {
    let l = pending(&req)?;
    let rp = relying_party(&req, &state)?;
    let network = network_of(&req, &state);
    let now = state.clock.now_ms();
    let (ceremony, options) =
        state
            .auth
            .begin_passkey_sign_in(&rp, Some(&l.user), l.hash, &network, now)?;
    Ok(begun(ceremony, options))
}

/// `POST /login/totp/passkey`: the second step done with a passkey.
async fn second_step(
    req: HttpRequest,
    state: web::Data<AppState>,
    Posted(f): Posted<Answer>,
) -> Result<HttpResponse, DashError> {
    let l = pending(&req)?;
    let rp = relying_party(&req, &state)?;
    let now = state.clock.now_ms();
    let next = safe_next(&f.next);
    let verdict = state.auth.finish_passkey_second_step(
        &rp,
        &l.user,
        &f.ceremony,
        &l.hash,
        &f.credential,
        now,
    )?;
    match verdict {
        Ok(()) => signed_in(&req, &state, l.user.id, "password and passkey", next, now),
        Err(failure) => {
            let (status, msg) = refusal(failure, "That passkey was not accepted.");
            second_step_page(&state, &l, next, status, Some(&msg))
        }
    }
}
