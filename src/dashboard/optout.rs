//! The public opt-out page of a site, `/optout/{domain}` ("Do Not Sell or
//! Share My Personal Information"): anyone can record that this browser opts
//! out. The decision goes to the site's consent log (mechanism `optout`) and
//! withdraws identifiers kept under the browser's first-party id when the
//! page sees one (served from the site's own domain through a proxy). A
//! browser sending Global Privacy Control is told the tracker already treats
//! it as a decline, and can record it here too. A GET never writes.

use actix_web::{
    HttpRequest, HttpResponse,
    cookie::{Cookie, SameSite, time::Duration as CookieDuration},
    http::StatusCode,
    web,
};

use super::{
    DashError,
    login::{Empty, prelogin_page},
    views::optout as v,
    web::{Posted, prelogin_token},
};
use crate::{
    domain::Domain,
    ingest::{
        client_ip::client_ip,
        identity::{Decision, Mechanism},
    },
    privacy::ids::{consent_subject, visitor_subject},
    startup::AppState,
    store::{ConsentEntry, Site},
};

/// Cookie remembering this browser's opt-out (for the page's own status).
const OPTOUT_COOKIE: &str = "_tp_optout";

/// Routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/optout/{domain}", web::get().to(show))
        .route("/optout/{domain}", web::post().to(opt_out));
}

fn site_of(state: &AppState, domain: &str) -> Result<Site, DashError> {
    let d = Domain::parse(domain).map_err(|_| DashError::NotFound)?;
    state
        .store
        .read()?
        .site_by_domain(d.as_str())?
        .ok_or(DashError::NotFound)
}

/// Logs the opt-out: under the first-party id when the browser sends one,
/// else under today's visitor hash, as a cookieless decline is.
fn record(req: &HttpRequest, state: &AppState, site: &Site, how: &str) -> Result<(), DashError> {
    let now = state.clock.now_ms();
    let subject = match req.cookie("_tp_uid").map(|c| c.value().to_owned()) {
        Some(uid) if !uid.is_empty() && uid.len() <= 128 => {
            consent_subject(&state.auth.keys, site.id, &uid)
        }
        _ => {
            let peer = req
                .peer_addr()
                .map_or(std::net::Ipv4Addr::UNSPECIFIED.into(), |a| a.ip());
            let header = |n: &str| req.headers().get(n).and_then(|v| v.to_str().ok());
            let ip = client_ip(
                peer,
                header("x-forwarded-for"),
                header("x-real-ip"),
                &state.settings.server.trusted_proxies,
            )
            .or_unlinkable();
            let ua = header("user-agent").unwrap_or_default();
            let visitor = state.enricher.salts.hashes(now, site.id, ip, ua).current;
            visitor_subject(&state.auth.keys, site.id, visitor)
        }
    };
    state.store.record_consent(
        site.id,
        &subject,
        &ConsentEntry {
            at_ms: now,
            subject: hex::encode(subject),
            decision: Decision::Decline,
            policy: site.policy_version.clone(),
            mechanism: Mechanism::OptOut,
        },
        false,
    )?;
    tracing::info!(site = %site.domain, how, "opt-out recorded");
    Ok(())
}

/// Remembers the opt-out in this browser for 13 months.
fn remembered(req: &HttpRequest) -> Cookie<'static> {
    Cookie::build(OPTOUT_COOKIE, "1")
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(super::web::secure(req))
        .max_age(CookieDuration::days(395))
        .finish()
}

/// Whether the browser sends Global Privacy Control.
fn sends_gpc(req: &HttpRequest) -> bool {
    req.headers()
        .get("sec-gpc")
        .is_some_and(|v| v.as_bytes() == b"1")
}

/// `GET /optout/{domain}`
async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    domain: web::Path<String>,
) -> Result<HttpResponse, DashError> {
    let site = site_of(&state, &domain)?;
    let gpc = sends_gpc(&req);
    // A GET records nothing: the opt-out is the form's POST. (The tracker
    // already treats Global Privacy Control as a decline on the site itself.)
    let status = if req.cookie(OPTOUT_COOKIE).is_some() {
        v::Status::OptedOut
    } else {
        v::Status::Open { gpc }
    };
    let csrf = prelogin_token(&req);
    Ok(prelogin_page(
        &req,
        &csrf,
        StatusCode::OK,
        &v::optout(&site, &csrf, status),
    ))
}

/// `POST /optout/{domain}`
async fn opt_out(
    req: HttpRequest,
    state: web::Data<AppState>,
    domain: web::Path<String>,
    Posted(_): Posted<Empty>,
) -> Result<HttpResponse, DashError> {
    let site = site_of(&state, &domain)?;
    let gpc = sends_gpc(&req);
    record(&req, &state, &site, if gpc { "page (gpc)" } else { "page" })?;
    let csrf = prelogin_token(&req);
    let mut resp = prelogin_page(
        &req,
        &csrf,
        StatusCode::OK,
        &v::optout(&site, &csrf, v::Status::Done),
    );
    resp.add_cookie(&remembered(&req)).ok();
    Ok(resp)
}
