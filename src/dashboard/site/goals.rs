//! `/sites/{domain}/goals`: conversions per goal over the chosen period, a
//! chosen goal's conversions by source, and (admins) adding and deleting
//! goals.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use serde::Deserialize;

use super::{conversions, safe, view_state};
use crate::{
    dashboard::{
        DashError, html_page,
        login::Empty,
        views::{
            layout::UserBar,
            site::{self as v, GoalsPage},
        },
        web::{Member, Posted, require},
    },
    stats::period::today,
};

/// Routes.
pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/sites/{domain}/goals", web::get().to(goals))
        .route("/sites/{domain}/goals", web::post().to(add_goal))
        .route(
            "/sites/{domain}/goals/{id}/delete",
            web::post().to(delete_goal),
        );
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
    let turn = crate::stats::gate::turn(&store).await;
    let (rows, by_source) = web::block(move || -> Result<_, DashError> {
        let _turn = turn.enter(&store);
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
