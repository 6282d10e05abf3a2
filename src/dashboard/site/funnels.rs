//! Funnels: `GET /sites/{domain}/funnels` (viewers and up: visit counts
//! only) shows steps typed one per line or a saved funnel (`?funnel=ID`)
//! over one of the Overview's periods; admins save named funnels
//! (`POST /sites/{domain}/funnels`) and delete them
//! (`POST /sites/{domain}/funnels/{id}/delete`), both audited.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use serde::Deserialize;

use super::params::ViewState;
use crate::{
    dashboard::{
        DashError, html_page,
        views::{
            funnels::{self as v, FunnelsPage},
            layout::UserBar,
        },
        web::{Member, Posted, require},
    },
    stats::{
        funnel::{MAX_STEPS, Step, funnel},
        query::Dimension,
    },
    store::SavedFunnel,
};

/// Longest funnel name.
const MAX_NAME: usize = 80;

/// Routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/sites/{domain}/funnels", web::get().to(show))
        .route("/sites/{domain}/funnels", web::post().to(save))
        .route(
            "/sites/{domain}/funnels/{id}/delete",
            web::post().to(delete),
        );
}

#[derive(Deserialize, Default)]
struct Params {
    #[serde(default)]
    steps: String,
    /// A saved funnel's id.
    #[serde(default)]
    funnel: Option<u32>,
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

/// The steps as one line each, blank lines and spaces around them dropped.
fn tidy(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// What the page shows besides the counts.
struct Shown<'a> {
    steps: String,
    opened: Option<&'a SavedFunnel>,
    status: StatusCode,
    error: Option<String>,
    name: String,
}

async fn render(
    req: &HttpRequest,
    m: &Member,
    domain: &str,
    shown: impl for<'s> FnOnce(&'s [SavedFunnel], &Params) -> Shown<'s>,
) -> Result<HttpResponse, DashError> {
    let (site, role) = m.site(domain)?;
    // Each step's drop-off singles people out.
    require(!super::safe::min_count_for(&site, Some(role)).is_on())?;
    let p = crate::dashboard::web::query_params::<Params>(req);
    let view = ViewState::parse(req.query_string()).map_err(DashError::BadRequest)?;
    let st = m.state();
    let saved = st.store.funnels(site.id)?;
    let s = shown(&saved, &p);
    let result = if s.steps.trim().is_empty() {
        None
    } else {
        Some(match parse_steps(&s.steps) {
            Err(e) => Err(e),
            Ok(steps) => {
                let (from_ms, to_ms) =
                    super::attribution::period_ms(&site, &view, st.clock.now_ms());
                let labels = steps
                    .iter()
                    .map(|s| match s {
                        Step::Page(p) => p.clone(),
                        Step::Event(e) => format!("event:{e}"),
                    })
                    .collect();
                let (store, id) = (st.store.clone(), site.id);
                let turn = crate::stats::gate::turn(&store).await;
                let counts = web::block(move || -> Result<_, DashError> {
                    let _turn = turn.enter(&store);
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
        steps_text: &s.steps,
        view: &view,
        saved: &saved,
        opened: s.opened,
        name: &s.name,
        error: s.error.as_deref(),
        result,
    };
    Ok(html_page(
        s.status,
        &v::funnels(
            UserBar {
                email: &email,
                csrf: m.user.csrf(),
            },
            &page,
        ),
    ))
}

/// `GET /sites/{domain}/funnels[?funnel=ID][&steps=…][&period=…]`
async fn show(
    req: HttpRequest,
    m: Member,
    domain: web::Path<String>,
) -> Result<HttpResponse, DashError> {
    render(&req, &m, &domain, |saved, p| {
        let opened = p.funnel.and_then(|id| saved.iter().find(|f| f.id == id));
        // A saved funnel's steps, unless others were typed over them.
        let steps = match opened {
            Some(f) if p.steps.trim().is_empty() => f.steps.clone(),
            _ => p.steps.clone(),
        };
        let opened = opened.filter(|f| tidy(&f.steps) == tidy(&steps));
        Shown {
            steps,
            opened,
            status: StatusCode::OK,
            error: None,
            name: String::new(),
        }
    })
    .await
}

#[derive(Deserialize)]
struct SaveInput {
    name: String,
    steps: String,
}

/// `POST /sites/{domain}/funnels` (admin): saves the steps under a name.
async fn save(
    req: HttpRequest,
    m: Member,
    domain: web::Path<String>,
    Posted(f): Posted<SaveInput>,
) -> Result<HttpResponse, DashError> {
    let (site, role) = m.site(&domain)?;
    require(role.can_manage())?;
    let name = f.name.trim();
    let steps = tidy(&f.steps);
    let checked = if name.is_empty() || name.chars().count() > MAX_NAME {
        Err(format!("a funnel's name has 1 to {MAX_NAME} characters"))
    } else {
        parse_steps(&steps).map(|_| ())
    };
    let st = m.state();
    let added = checked.and_then(|()| {
        st.store
            .add_funnel(site.id, name, &steps)
            .map_err(|e| match e {
                crate::store::StoreError::Conflict(m) => m,
                other => other.to_string(),
            })
    });
    match added {
        Ok(saved) => {
            st.auth.audit(
                &[site.workspace],
                Some(m.user.login.user.id),
                "funnel_saved",
                &format!("{}: funnel #{} {name:?}", site.domain, saved.id),
                st.clock.now_ms(),
            )?;
            Err(DashError::Redirect(format!(
                "/sites/{}/funnels?funnel={}",
                site.domain, saved.id
            )))
        }
        Err(e) => {
            render(&req, &m, &domain, move |_, _| Shown {
                steps,
                opened: None,
                status: StatusCode::BAD_REQUEST,
                error: Some(e),
                name: name.to_owned(),
            })
            .await
        }
    }
}

/// `POST /sites/{domain}/funnels/{id}/delete` (admin)
async fn delete(
    m: Member,
    path: web::Path<(String, u32)>,
    Posted(_): Posted<crate::dashboard::login::Empty>,
) -> Result<HttpResponse, DashError> {
    let (site, role) = m.site(&path.0)?;
    require(role.can_manage())?;
    let st = m.state();
    if !st.store.delete_funnel(site.id, path.1)? {
        return Err(DashError::NotFound);
    }
    st.auth.audit(
        &[site.workspace],
        Some(m.user.login.user.id),
        "funnel_deleted",
        &format!("{} funnel #{}", site.domain, path.1),
        st.clock.now_ms(),
    )?;
    Err(DashError::Redirect(format!(
        "/sites/{}/funnels",
        site.domain
    )))
}
