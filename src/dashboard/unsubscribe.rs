//! `/mail/unsubscribe/{site}/{token}`: the link in every report and alert.
//! It works without a login: the token is keyed to the site and the address
//! (see [`crate::mail::recipients::unsubscribe_token`]), so it is its own
//! proof. A GET only shows a button (mail scanners follow links); the POST
//! removes the address from the site's recipients — also as the one-click
//! unsubscribe of RFC 8058 (`List-Unsubscribe-Post`), which mail providers
//! send without a form token.

use actix_web::{HttpResponse, http::StatusCode, web};
use maud::html;

use super::{
    DashError, html_page,
    views::layout::{Chrome, page},
};
use crate::{domain::SiteId, mail::recipients, startup::AppState};

/// Routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/mail/unsubscribe/{site}/{token}", web::get().to(show))
        .route(
            "/mail/unsubscribe/{site}/{token}",
            web::post().to(unsubscribe),
        );
}

/// A token's form: 64 hex digits.
fn well_formed(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `GET /mail/unsubscribe/{site}/{token}`
async fn show(path: web::Path<(u32, String)>) -> Result<HttpResponse, DashError> {
    let (site, token) = path.into_inner();
    if !well_formed(&token) {
        return Err(DashError::NotFound);
    }
    let body = html! {
        section.card.narrow {
            h1 { "Stop these mails" }
            p { "Your address will get no more reports or alerts of this site. An admin of the site can add it again." }
            form method="post" action={ "/mail/unsubscribe/" (site) "/" (token) } {
                button type="submit" { "Unsubscribe" }
            }
        }
    };
    let chrome = Chrome {
        title: "Unsubscribe",
        user: None,
    };
    Ok(html_page(StatusCode::OK, &page(&chrome, &body)))
}

/// `POST /mail/unsubscribe/{site}/{token}`: the same answer whether or not
/// the address was still a recipient (it is not one now either way).
async fn unsubscribe(
    state: web::Data<AppState>,
    path: web::Path<(u32, String)>,
) -> Result<HttpResponse, DashError> {
    let (site, token) = path.into_inner();
    if !well_formed(&token) {
        return Err(DashError::NotFound);
    }
    let removed = web::block(move || {
        recipients::unsubscribe(&state.store, &state.auth.keys, SiteId(site), &token)
    })
    .await??;
    if removed > 0 {
        tracing::info!(site, "a report recipient unsubscribed");
    }
    let body = html! {
        section.card.narrow {
            h1 { "Unsubscribed" }
            p { "This address gets no more reports or alerts of this site." }
        }
    };
    let chrome = Chrome {
        title: "Unsubscribed",
        user: None,
    };
    Ok(html_page(StatusCode::OK, &page(&chrome, &body)))
}
