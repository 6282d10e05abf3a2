//! The server-rendered dashboard: login and accounts, workspaces, and each
//! site's reports. Pages are maud templates (`views/`); the few scripts are
//! static files, so the CSP can forbid inline script. Every handler reaches
//! data through the caller's workspace memberships (`web::Member`).

mod account;
mod assets;
mod error;
mod login;
mod members;
mod optout;
mod passkey_login;
mod passkeys;
pub mod public_url;
mod setup;
pub mod site;
mod unsubscribe;
mod upload;
pub mod views;
mod web;
mod workspace;

use actix_web::{
    HttpResponse,
    http::{StatusCode, header},
    web as aw,
};
use maud::Markup;

pub use error::{DashError, in_context};

/// The dashboard's Content-Security-Policy: nothing from elsewhere, no inline script.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/// An HTML response with the dashboard's CSP; never cached (pages hold
/// private data and CSRF tokens).
#[must_use]
pub fn html_page(status: StatusCode, body: &Markup) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
        .body(body.clone().into_string())
}

/// Every dashboard route.
pub fn routes(cfg: &mut aw::ServiceConfig) {
    cfg.route("/assets/{name}", aw::get().to(assets::serve))
        .route("/", aw::get().to(setup::index))
        .route("/setup", aw::get().to(setup::setup_form))
        .route("/setup", aw::post().to(setup::setup))
        .route("/login", aw::get().to(login::login_form))
        .route("/login", aw::post().to(login::login))
        .route("/login/totp", aw::get().to(login::totp_form))
        .route("/login/totp", aw::post().to(login::totp))
        .route("/logout", aw::post().to(login::logout))
        .route("/invite/{token}", aw::get().to(setup::invite_form))
        .route("/invite/{token}", aw::post().to(setup::accept_invite))
        .configure(passkey_login::routes)
        .configure(account::routes)
        .configure(passkeys::routes)
        .configure(workspace::routes)
        .configure(site::routes)
        .configure(optout::routes)
        .configure(unsubscribe::routes)
        .default_service(aw::to(error::not_found));
}
