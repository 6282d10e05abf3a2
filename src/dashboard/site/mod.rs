//! A site's pages: overview (also behind a shared link; a new site's shows
//! the snippet and waits for its first pageview), realtime, goals, privacy,
//! settings; any other path under a site is a 404 in the site's frame.

mod attached;
mod attribution;
pub mod conversions;
pub mod converting;
mod data;
mod first_visit;
mod funnels;
mod goals;
mod integrations;
mod lead_profile;
mod leads;
mod mail;
pub mod params;
mod privacy;
mod rectify;
pub mod report;
mod requests;
pub mod safe;
pub mod scoring_form;
mod series;
mod settings;
mod settings_input;
mod webhooks;

use std::time::Instant;

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use serde::Deserialize;

use super::{
    DashError, html_page,
    views::{
        layout::UserBar,
        overview::{Frame, bad_period, first_visit as first_visit_view, overview as overview_view},
        site::{self as v},
    },
    web::Member,
};
use crate::{stats::realtime, store::Site};
use params::ViewState;

/// Routes under `/sites/{domain}` and `/share/{domain}`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/sites/{domain}", web::get().to(overview))
        .route("/sites/{domain}/realtime", web::get().to(realtime_page))
        .configure(goals::routes)
        .route("/share/{domain}", web::get().to(shared))
        .configure(settings::routes)
        .configure(mail::routes)
        .configure(privacy::routes)
        .configure(attribution::routes)
        .configure(webhooks::routes)
        .configure(leads::routes)
        .configure(funnels::routes)
        .configure(first_visit::routes)
        // Last: a mistyped page of a site is a 404 with the site's navigation.
        .route("/sites/{domain}/{rest:.*}", web::route().to(no_such_page));
}

/// Any other path under `/sites/{domain}/`.
async fn no_such_page() -> Result<HttpResponse, DashError> {
    Err(DashError::NotFound)
}

/// Adds `Server-Timing` so render cost is visible in the browser's tools.
fn timed(mut resp: HttpResponse, started: Instant) -> HttpResponse {
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    if let Ok(v) = format!("render;dur={ms:.1}").parse() {
        resp.headers_mut().insert(
            actix_web::http::header::HeaderName::from_static("server-timing"),
            v,
        );
    }
    resp
}

/// Builds an overview on a blocking thread (a filtered report scans visits),
/// its small counts hidden as `role` (`None`: a shared link) should see them.
async fn render_overview(
    state: &crate::startup::AppState,
    site: Site,
    view: ViewState,
    role: Option<crate::domain::Role>,
) -> Result<report::Overview, DashError> {
    let store = state.store.clone();
    let now = state.clock.now_ms();
    let k = safe::min_count_for(&site, role);
    let turn = crate::stats::gate::turn(&store).await;
    web::block(move || -> Result<report::Overview, DashError> {
        let _turn = turn.enter(&store);
        let goals = store.goals(site.id)?;
        let snapshot = store.read()?;
        let mut o = report::overview(&snapshot, &site, &goals, &view, now)?;
        safe::overview(&mut o, view.chart_metric(), k);
        Ok(o)
    })
    .await?
}

fn view_state(req: &HttpRequest) -> Result<ViewState, DashError> {
    ViewState::parse(req.query_string()).map_err(DashError::BadRequest)
}

/// The view state of a URL whose period can't be shown: the rest of its
/// state, with the custom range's dates as typed when they parse.
fn fallback_state(req: &HttpRequest) -> ViewState {
    let rest: Vec<(String, String)> = url::form_urlencoded::parse(req.query_string().as_bytes())
        .into_owned()
        .filter(|(k, _)| k != "period")
        .collect();
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(rest)
        .finish();
    let mut state = ViewState::parse(&query).unwrap_or_default();
    state.period = "custom".into();
    state
}

/// `GET /sites/{domain}`: the overview; a site without data yet shows the
/// tracking snippet and waits for its first pageview; a period that can't
/// be shown (a custom range ending before it starts) is a 400 with the
/// period picker and the reason.
async fn overview(
    req: HttpRequest,
    m: Member,
    domain: web::Path<String>,
) -> Result<HttpResponse, DashError> {
    let started = Instant::now();
    let (site, role) = m.site(&domain)?;
    let email = m.state().auth.email_of(&m.user.login.user);
    let frame = Frame {
        site: &site,
        base: format!("/sites/{}", site.domain),
        keep: None,
        user: Some(UserBar {
            email: &email,
            csrf: m.user.csrf(),
        }),
        role: Some(role),
        imports: !m.state().store.imports(site.id)?.is_empty(),
        notices: if role.can_manage() {
            m.state()
                .store
                .webhooks(Some(site.id))?
                .iter()
                .filter_map(|(_, e)| crate::dashboard::views::webhooks::disabled_notice(&site, e))
                .collect()
        } else {
            Vec::new()
        },
    };
    let state = match view_state(&req) {
        Ok(s) => s,
        Err(DashError::BadRequest(why)) => {
            let page = bad_period(frame, &fallback_state(&req), &why);
            return Ok(html_page(StatusCode::BAD_REQUEST, &page));
        }
        Err(e) => return Err(e),
    };
    let (store, s2) = (m.state().store.clone(), site.clone());
    if !web::block(move || first_visit::has_data(&store, &s2)).await?? {
        let status_url = first_visit::status_url(&site);
        let page = first_visit_view(frame, &settings::origin(&req, &m), &status_url);
        return Ok(timed(html_page(StatusCode::OK, &page), started));
    }
    let o = render_overview(m.state(), site.clone(), state.clone(), Some(role)).await?;
    Ok(timed(
        html_page(StatusCode::OK, &overview_view(frame, &state, &o)),
        started,
    ))
}

#[derive(Deserialize)]
struct ShareQuery {
    #[serde(default)]
    auth: String,
}

/// `GET /share/{domain}?auth=TOKEN`: the read-only overview, aggregate data only.
async fn shared(
    req: HttpRequest,
    st: web::Data<crate::startup::AppState>,
    domain: web::Path<String>,
    q: web::Query<ShareQuery>,
) -> Result<HttpResponse, DashError> {
    let started = Instant::now();
    let site = st
        .sites
        .load()
        .get(domain.as_str())
        .cloned()
        .filter(|s| {
            s.share_token
                .as_deref()
                .is_some_and(|t| crate::privacy::constant_time_eq(t.as_bytes(), q.auth.as_bytes()))
        })
        .ok_or(DashError::NotFound)?;
    let state = view_state(&req)?;
    let o = render_overview(&st, site.clone(), state.clone(), None).await?;
    let frame = Frame {
        site: &site,
        base: format!("/share/{}", site.domain),
        keep: Some(("auth", q.auth.clone())),
        user: None,
        role: None,
        imports: !st.store.imports(site.id)?.is_empty(),
        notices: Vec::new(),
    };
    let mut resp = timed(
        html_page(StatusCode::OK, &overview_view(frame, &state, &o)),
        started,
    );
    // The token is in the URL: don't leak it to other sites through Referer.
    resp.headers_mut().insert(
        actix_web::http::header::REFERRER_POLICY,
        actix_web::http::header::HeaderValue::from_static("no-referrer"),
    );
    Ok(resp)
}

/// `GET /sites/{domain}/realtime`
async fn realtime_page(m: Member, domain: web::Path<String>) -> Result<HttpResponse, DashError> {
    let (site, role) = m.site(&domain)?;
    let store = m.state().store.clone();
    let now = m.state().clock.now_ms();
    let id = site.id;
    let mut r = web::block(move || -> Result<realtime::Realtime, DashError> {
        Ok(realtime::current(&store.read()?, id, now)?)
    })
    .await??;
    let k = safe::min_count_for(&site, Some(role));
    safe::realtime(&mut r, k);
    let email = m.state().auth.email_of(&m.user.login.user);
    Ok(html_page(
        StatusCode::OK,
        &v::realtime(
            UserBar {
                email: &email,
                csrf: m.user.csrf(),
            },
            &site,
            role,
            &r,
            k,
        ),
    ))
}

/// Writes `action` on `site` by the member to the audit log
/// (`"{domain}: {detail}"`; the detail must not name people).
///
/// # Errors
/// Storage errors.
pub(super) fn audit(m: &Member, site: &Site, action: &str, detail: &str) -> Result<(), DashError> {
    let st = m.state();
    st.auth.audit(
        &[site.workspace],
        Some(m.user.login.user.id),
        action,
        &format!("{}: {detail}", site.domain),
        st.clock.now_ms(),
    )?;
    Ok(())
}
