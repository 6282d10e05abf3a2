//! `GET /sites/{domain}/attribution` (viewers and up: aggregate credits, no
//! personal data) and the public page documenting the models.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use serde::Deserialize;

use crate::{
    attribution::{
        Model,
        goals::parse_choice,
        lead_facts,
        report::{ReportError, ReportQuery, report},
    },
    dashboard::{
        DashError, html_page,
        views::{
            attribution::{self as v, AttributionPage, DIMENSIONS, KINDS, PERIODS},
            layout::UserBar,
        },
        web::Member,
    },
    domain::calendar::dates_to_ms,
    stats::{
        period::{named_period, today},
        query::Dimension,
    },
    store::Site,
};

/// Routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/sites/{domain}/attribution", web::get().to(show))
        .route("/docs/attribution", web::get().to(docs));
}

#[derive(Deserialize, Default)]
struct Params {
    #[serde(default)]
    period: String,
    #[serde(default)]
    dimension: String,
    #[serde(default)]
    conversion: Option<String>,
    #[serde(default)]
    lookback: Option<u64>,
}

fn pick<'a>(options: &[(&'a str, &str)], asked: &str, default: &'a str) -> &'a str {
    options
        .iter()
        .map(|(v, _)| *v)
        .find(|v| *v == asked)
        .unwrap_or(default)
}

/// A report, or the reason there is none (shown on the page); storage
/// trouble is an error page.
fn settle<T>(r: Result<T, ReportError>) -> Result<Result<T, String>, DashError> {
    match r {
        Ok(r) => Ok(Ok(r)),
        Err(ReportError::Invalid(e)) => Ok(Err(e)),
        Err(ReportError::Store(e)) => Err(DashError::from(e)),
    }
}

/// A named period (`30d`...) of the site's calendar as unix ms `[from, to)`.
pub(super) fn period_ms(site: &Site, period: &str, now_ms: u64) -> Result<(u64, u64), DashError> {
    let (first, last) = named_period(
        period,
        today(now_ms, site.timezone),
        today(site.created_ms, site.timezone),
    )
    .map_err(DashError::BadRequest)?;
    Ok(dates_to_ms(first, last, site.timezone))
}

async fn show(
    req: HttpRequest,
    m: Member,
    domain: web::Path<String>,
) -> Result<HttpResponse, DashError> {
    let (site, role) = m.site(&domain)?;
    let p = crate::dashboard::web::query_params::<Params>(&req);
    let period = pick(&PERIODS, &p.period, "30d");
    let dim = pick(&DIMENSIONS, &p.dimension, "visit:channel");
    let goals = m.state().store.goals(site.id)?;
    let asked = p.conversion.as_deref().unwrap_or("purchase");
    // A goal by name, else one of the conversion kinds.
    let (kind, choice) = match parse_choice(asked, &goals) {
        Ok(c) if c.goal.is_some() => (asked, c),
        _ => {
            let k = pick(&KINDS, asked, "purchase");
            (k, parse_choice(k, &goals).unwrap_or_default())
        }
    };
    let lookback = p
        .lookback
        .unwrap_or_else(|| site.lookback_days())
        .clamp(1, 365);
    let st = m.state();
    let (from_ms, to_ms) = period_ms(&site, period, st.clock.now_ms())?;
    let q = ReportQuery {
        from_ms,
        to_ms,
        dimension: Dimension::parse(dim).unwrap_or(Dimension::Channel),
        lookback_ms: lookback * 86_400_000,
        models: Model::ALL.to_vec(),
        kind: choice.kind,
        goal: choice.goal,
    };
    let (store, keys, s2) = (st.store.clone(), st.auth.keys.clone(), site.clone());
    let dimension = q.dimension.clone();
    let (r, rev) = web::block(move || {
        let r = report(&store, &keys, &s2, &q);
        let rev = lead_facts::revenue(&store, &keys, &s2, &dimension, from_ms, to_ms);
        (r, rev)
    })
    .await?;
    let (r, revenue) = (settle(r)?, settle(rev)?);
    let email = st.auth.email_of(&m.user.login.user);
    let page = AttributionPage {
        site: &site,
        role,
        report: r,
        models: &Model::ALL,
        chosen: (period, dim, kind, lookback),
        link_leads: role.can_see_pii(),
        revenue,
        goals: goals.iter().map(|g| g.name()).collect(),
    };
    Ok(html_page(
        StatusCode::OK,
        &v::attribution(
            UserBar {
                email: &email,
                csrf: m.user.csrf(),
            },
            &page,
        ),
    ))
}

/// `GET /docs/attribution`: the models' definitions, public.
async fn docs() -> HttpResponse {
    html_page(StatusCode::OK, &v::docs())
}
