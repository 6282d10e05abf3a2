//! `GET /sites/{domain}/attribution` (viewers and up: aggregate credits, no
//! personal data) and the public page documenting the models. The page leads
//! with the site's model (`?model=` shows another, `?compare=1` all of
//! them); periods are the Overview's.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use serde::Deserialize;

use super::params::ViewState;
use crate::{
    attribution::{
        Model,
        goals::parse_choice,
        lead_facts,
        report::{ReportError, ReportQuery, report},
    },
    dashboard::{
        DashError, html_page,
        upload::Uploaded,
        views::{
            attribution::{self as v, AttributionPage, DIMENSIONS, KINDS},
            layout::UserBar,
        },
        web::{Member, require},
    },
    domain::calendar::dates_to_ms,
    stats::{period::today, query::Dimension},
    store::Site,
};

/// Routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/sites/{domain}/attribution", web::get().to(show))
        .route("/sites/{domain}/spend", web::post().to(upload_spend))
        .route("/docs/attribution", web::get().to(docs));
}

#[derive(Deserialize, Default)]
struct Params {
    #[serde(default)]
    dimension: String,
    #[serde(default)]
    conversion: Option<String>,
    #[serde(default)]
    lookback: Option<u64>,
    /// A model's API name; the site's model when absent or unknown.
    #[serde(default)]
    model: String,
    /// Non-empty: every model, side by side.
    #[serde(default)]
    compare: String,
    /// Rows a spend upload just imported (shown as a notice).
    #[serde(default)]
    spend_imported: Option<usize>,
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

/// The period of `view` (the Overview's periods and custom ranges) in the
/// site's calendar, as unix ms `[from, to)`.
pub(super) fn period_ms(site: &Site, view: &ViewState, now_ms: u64) -> (u64, u64) {
    let (first, last) = view.range(today(now_ms, site.timezone));
    dates_to_ms(first, last, site.timezone)
}

async fn show(
    req: HttpRequest,
    m: Member,
    domain: web::Path<String>,
) -> Result<HttpResponse, DashError> {
    let (site, role) = m.site(&domain)?;
    // Credited conversions and revenue per campaign single people out.
    require(!super::safe::min_count_for(&site, Some(role)).is_on())?;
    let p = crate::dashboard::web::query_params::<Params>(&req);
    let view = ViewState::parse(req.query_string()).map_err(DashError::BadRequest)?;
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
    let model = Model::parse(p.model.trim()).unwrap_or_else(|| site.attribution_model());
    let compare = !p.compare.is_empty();
    let models = if compare {
        Model::ALL.to_vec()
    } else {
        vec![model]
    };
    let st = m.state();
    let (from_ms, to_ms) = period_ms(&site, &view, st.clock.now_ms());
    let q = ReportQuery {
        from_ms,
        to_ms,
        dimension: Dimension::parse(dim).unwrap_or(Dimension::Channel),
        lookback_ms: lookback * 86_400_000,
        models: models.clone(),
        kind: choice.kind,
        goal: choice.goal,
    };
    let (store, keys, s2) = (st.store.clone(), st.auth.keys.clone(), site.clone());
    let dimension = q.dimension.clone();
    let turn = crate::stats::gate::turn(&store).await;
    let (r, rev) = web::block(move || {
        let _turn = turn.enter(&store);
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
        models: &models,
        model,
        compare,
        view: &view,
        chosen: (dim, kind, lookback),
        link_leads: role.can_see_pii(),
        revenue,
        goals: goals.iter().map(|g| g.name()).collect(),
        spend_upload: role.can_manage().then(|| (m.user.csrf(), p.spend_imported)),
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

/// `POST /sites/{domain}/spend` (admins): a spend CSV (see
/// `domain::spend`); back to the campaign report with a notice, or a 400
/// naming the line that is wrong (nothing of the file is stored then).
async fn upload_spend(
    m: Member,
    domain: web::Path<String>,
    form: Uploaded,
) -> Result<HttpResponse, DashError> {
    let (site, role) = m.site(&domain)?;
    require(role.can_manage())?;
    let Some((_, bytes)) = form.file else {
        return Err(DashError::BadRequest("choose a CSV file to import".into()));
    };
    let rows = web::block(move || crate::domain::spend::parse_csv(&bytes))
        .await?
        .map_err(|e| {
            DashError::BadRequest(format!(
                "the spend CSV was not imported: {}",
                crate::telemetry::causes(&e)
            ))
        })?;
    if rows.is_empty() {
        return Err(DashError::BadRequest("the spend CSV has no rows".into()));
    }
    let st = m.state();
    let store = st.store.clone();
    let n = rows.len();
    web::block(move || store.put_spend(site.id, &rows)).await??;
    st.auth.audit(
        &[site.workspace],
        Some(m.user.login.user.id),
        "spend_imported",
        &format!("{}: {n} spend rows", site.domain),
        st.clock.now_ms(),
    )?;
    Err(DashError::Redirect(format!(
        "/sites/{}/attribution?dimension=visit:utm_campaign&spend_imported={n}",
        site.domain
    )))
}

/// `GET /docs/attribution`: the models' definitions, public.
async fn docs() -> HttpResponse {
    html_page(
        StatusCode::OK,
        &crate::dashboard::views::attribution_docs::docs(),
    )
}
