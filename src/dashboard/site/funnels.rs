//! `GET /sites/{domain}/funnels` (viewers and up: visit counts only).

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use serde::Deserialize;

use crate::{
    dashboard::{
        DashError, html_page,
        views::{
            attribution::PERIODS,
            funnels::{self as v, FunnelsPage},
            layout::UserBar,
        },
        web::Member,
    },
    stats::{
        funnel::{MAX_STEPS, Step, funnel},
        query::Dimension,
    },
};

/// Routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/sites/{domain}/funnels", web::get().to(show));
}

#[derive(Deserialize, Default)]
struct Params {
    #[serde(default)]
    steps: String,
    #[serde(default)]
    period: String,
}

/// Steps from the box: `/path` lines are pages, `event:Name` lines events.
fn parse_steps(text: &str) -> Result<Vec<Step>, String> {
    let steps: Vec<Step> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| match l.strip_prefix("event:") {
            Some(e) if !e.trim().is_empty() => Ok(Step::Event(e.trim().to_owned())),
            None if l.starts_with('/') => Ok(Step::Page(l.to_owned())),
            _ => Err(format!(
                "{l:?} is neither a page (/path) nor an event (event:Name)"
            )),
        })
        .collect::<Result<_, _>>()?;
    if (2..=MAX_STEPS).contains(&steps.len()) {
        Ok(steps)
    } else {
        Err(format!("a funnel has 2 to {MAX_STEPS} steps"))
    }
}

async fn show(
    req: HttpRequest,
    m: Member,
    domain: web::Path<String>,
) -> Result<HttpResponse, DashError> {
    let (site, role) = m.site(&domain)?;
    let p = crate::dashboard::web::query_params::<Params>(&req);
    let period = PERIODS
        .iter()
        .map(|(v, _)| *v)
        .find(|v| *v == p.period)
        .unwrap_or("30d");
    let st = m.state();
    let result = if p.steps.trim().is_empty() {
        None
    } else {
        Some(match parse_steps(&p.steps) {
            Err(e) => Err(e),
            Ok(steps) => {
                let (from_ms, to_ms) =
                    super::attribution::period_ms(&site, period, st.clock.now_ms())?;
                let labels = steps
                    .iter()
                    .map(|s| match s {
                        Step::Page(p) => p.clone(),
                        Step::Event(e) => format!("event:{e}"),
                    })
                    .collect();
                let (store, id) = (st.store.clone(), site.id);
                let counts = web::block(move || -> Result<_, DashError> {
                    Ok(funnel(
                        &store.read()?,
                        id,
                        from_ms,
                        to_ms,
                        &steps,
                        Some(&Dimension::Source),
                    )?)
                })
                .await??;
                Ok((labels, counts))
            }
        })
    };
    let email = st.auth.email_of(&m.user.login.user);
    let page = FunnelsPage {
        site: &site,
        role,
        steps_text: &p.steps,
        period,
        result,
    };
    Ok(html_page(
        StatusCode::OK,
        &v::funnels(
            UserBar {
                email: &email,
                csrf: m.user.csrf(),
            },
            &page,
        ),
    ))
}
