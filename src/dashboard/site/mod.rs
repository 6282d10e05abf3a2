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
    login::Empty,
    views::{
        layout::UserBar,
        overview::{Frame, bad_period, first_visit as first_visit_view, overview as overview_view},
        site::{self as v, GoalsPage},
    },
    web::{Member, Posted, require},
};
use crate::{
    stats::{period::today, realtime},
    store::Site,
};
use params::ViewState;

/// Routes under `/sites/{domain}` and `/share/{domain}`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/sites/{domain}", web::get().to(overview))
        .route("/sites/{domain}/realtime", web::get().to(realtime_page))
        .route("/sites/{domain}/goals", web::get().to(goals))
        .route("/sites/{domain}/goals", web::post().to(add_goal))
        .route(
            "/sites/{domain}/goals/{id}/delete",
            web::post().to(delete_goal),
        )
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
    web::block(move || -> Result<report::Overview, DashError> {
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

#[derive(Deserialize)]
struct GoalQuery {
    goal: Option<u32>,
}

/// `GET /sites/{domain}/goals`: conversions per goal over the chosen period,
/// and a chosen goal's conversions by source.
async fn goals(
    req: HttpRequest,
    m: Member,
    domain: web::Path<String>,
) -> Result<HttpResponse, DashError> {
    goals_page(&req, &m, &domain, StatusCode::OK, None).await
}

async fn goals_page(
    req: &HttpRequest,
    m: &Member,
    domain: &str,
    status: StatusCode,
    error: Option<&str>,
) -> Result<HttpResponse, DashError> {
    let (site, role) = m.site(domain)?;
    let state = view_state(req)?;
    let chosen = web::Query::<GoalQuery>::from_query(req.query_string())
        .ok()
        .and_then(|q| q.goal);
    let store = m.state().store.clone();
    let now = m.state().clock.now_ms();
    let (s2, st2) = (site.clone(), state.clone());
    let range = state.range(today(now, site.timezone));
    let k = safe::min_count_for(&site, Some(role));
    let (rows, by_source) = web::block(move || -> Result<_, DashError> {
        let goals = store.goals(s2.id)?;
        let snapshot = store.read()?;
        let today = today(now, s2.timezone);
        let mut rows = conversions::goals_only(&snapshot, &s2, &goals, &st2, today)?;
        safe::goal_rows(&mut rows, k);
        let by_source = match goals.iter().find(|g| Some(g.id) == chosen) {
            Some(g) => {
                let mut by = conversions::by_source(&snapshot, &s2, &goals, g, &st2, today)?;
                safe::source_rows(&mut by, k);
                Some((conversions::goal_name(g), by))
            }
            None => None,
        };
        Ok((rows, by_source))
    })
    .await??;
    let email = m.state().auth.email_of(&m.user.login.user);
    let page = GoalsPage {
        site: &site,
        role,
        rows: &rows,
        state: &state,
        range,
        chosen,
        by_source,
        error,
        min_count: k,
    };
    Ok(html_page(
        status,
        &v::goals(
            UserBar {
                email: &email,
                csrf: m.user.csrf(),
            },
            &page,
        ),
    ))
}

#[derive(Deserialize)]
struct GoalInput {
    kind: String,
    value: String,
}

/// `POST /sites/{domain}/goals` (admin)
async fn add_goal(
    req: HttpRequest,
    m: Member,
    domain: web::Path<String>,
    Posted(f): Posted<GoalInput>,
) -> Result<HttpResponse, DashError> {
    let (site, role) = m.site(&domain)?;
    require(role.can_manage())?;
    let value = f.value.trim();
    let kind = crate::sites::goal_kind(&f.kind, value);
    let kind = match kind {
        Ok(k) => k,
        Err(e) => return goals_page(&req, &m, &domain, StatusCode::BAD_REQUEST, Some(e)).await,
    };
    let st = m.state();
    let detail = format!("{}: {} {value:?}", site.domain, v::goal_kind_label(&kind));
    if let Err(e) = st.store.add_goal(site.id, kind) {
        return goals_page(
            &req,
            &m,
            &domain,
            StatusCode::BAD_REQUEST,
            Some(&e.to_string()),
        )
        .await;
    }
    st.auth.audit(
        &[site.workspace],
        Some(m.user.login.user.id),
        "goal_added",
        &detail,
        st.clock.now_ms(),
    )?;
    Err(DashError::Redirect(format!("/sites/{}/goals", site.domain)))
}

/// `POST /sites/{domain}/goals/{id}/delete` (admin)
async fn delete_goal(
    m: Member,
    path: web::Path<(String, u32)>,
    Posted(_): Posted<Empty>,
) -> Result<HttpResponse, DashError> {
    let (site, role) = m.site(&path.0)?;
    require(role.can_manage())?;
    let st = m.state();
    if !st.store.delete_goal(site.id, path.1)? {
        return Err(DashError::NotFound);
    }
    st.auth.audit(
        &[site.workspace],
        Some(m.user.login.user.id),
        "goal_deleted",
        &format!("{} goal #{}", site.domain, path.1),
        st.clock.now_ms(),
    )?;
    Err(DashError::Redirect(format!("/sites/{}/goals", site.domain)))
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
