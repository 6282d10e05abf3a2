//! `/sites/{domain}/webhooks` (admins): a site's webhook endpoints and
//! their delivery logs (see `crate::webhooks`). Every change is audited.

use actix_web::{HttpResponse, http::StatusCode, web};

use super::audit;
use crate::{
    dashboard::{
        DashError, html_page,
        login::Empty,
        views::{layout::UserBar, webhooks as v},
        web::{Member, Posted, require},
    },
    store::Site,
    webhooks::{self, WebhookError, WebhookEvent},
};

/// Routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/sites/{domain}/webhooks", web::get().to(list))
        .route("/sites/{domain}/webhooks", web::post().to(add))
        .route("/sites/{domain}/webhooks/{id}", web::get().to(log))
        .route(
            "/sites/{domain}/webhooks/{id}/delete",
            web::post().to(delete),
        )
        .route(
            "/sites/{domain}/webhooks/{id}/rotate",
            web::post().to(rotate),
        )
        .route(
            "/sites/{domain}/webhooks/{id}/enable",
            web::post().to(enable),
        )
        .route(
            "/sites/{domain}/webhooks/{id}/messages/{seq}/replay",
            web::post().to(replay),
        );
}

fn admin_site(m: &Member, domain: &str) -> Result<(Site, crate::domain::Role), DashError> {
    let (site, role) = m.site(domain)?;
    require(role.can_manage())?;
    Ok((site, role))
}

/// What the list page shows after an action.
#[derive(Default)]
struct Shown<'a> {
    secret: Option<(u32, String)>,
    error: Option<&'a str>,
    notice: Option<&'a str>,
}

fn render(
    m: &Member,
    site: &Site,
    status: StatusCode,
    shown: Shown<'_>,
) -> Result<HttpResponse, DashError> {
    let (_, role) = admin_site(m, site.domain.as_str())?;
    let st = m.state();
    let endpoints: Vec<_> = st
        .store
        .webhooks(Some(site.id))?
        .into_iter()
        .map(|(_, e)| e)
        .collect();
    let email = st.auth.email_of(&m.user.login.user);
    let page = v::WebhooksPage {
        site,
        role,
        csrf: m.user.csrf(),
        endpoints: &endpoints,
        secret: shown.secret,
        error: shown.error,
        notice: shown.notice,
    };
    Ok(html_page(
        status,
        &v::webhooks(
            UserBar {
                email: &email,
                csrf: m.user.csrf(),
            },
            &page,
        ),
    ))
}

async fn list(m: Member, domain: web::Path<String>) -> Result<HttpResponse, DashError> {
    let (site, _) = admin_site(&m, &domain)?;
    render(&m, &site, StatusCode::OK, Shown::default())
}

/// `POST /sites/{domain}/webhooks`: `url` and one `events` field per event.
async fn add(
    m: Member,
    domain: web::Path<String>,
    Posted(form): Posted<Vec<(String, String)>>,
) -> Result<HttpResponse, DashError> {
    let (site, _) = admin_site(&m, &domain)?;
    let url = form
        .iter()
        .find(|(k, _)| k == "url")
        .map_or("", |(_, v)| v.as_str());
    let events: Vec<WebhookEvent> = form
        .iter()
        .filter(|(k, _)| k == "events")
        .filter_map(|(_, v)| WebhookEvent::parse(v))
        .collect();
    if events.is_empty() {
        let e = Shown {
            error: Some("Choose at least one event."),
            ..Shown::default()
        };
        return render(&m, &site, StatusCode::BAD_REQUEST, e);
    }
    let st = m.state();
    match webhooks::create(
        &st.store,
        &st.auth.keys,
        &st.settings.webhooks,
        site.id,
        url,
        events,
        st.clock.now_ms(),
    ) {
        Ok((e, secret)) => {
            audit(
                &m,
                &site,
                "webhook_added",
                &format!("webhook {} to {}", e.id, e.url),
            )?;
            let shown = Shown {
                secret: Some((e.id, secret)),
                notice: Some("Endpoint added."),
                ..Shown::default()
            };
            render(&m, &site, StatusCode::OK, shown)
        }
        Err(WebhookError::Store(s)) => Err(s.into()),
        Err(e) => {
            let why = e.to_string();
            render(
                &m,
                &site,
                StatusCode::BAD_REQUEST,
                Shown {
                    error: Some(&why),
                    ..Shown::default()
                },
            )
        }
    }
}

fn found<T>(r: Result<T, WebhookError>) -> Result<T, DashError> {
    r.map_err(|e| match e {
        WebhookError::Store(s) => s.into(),
        WebhookError::NotFound(_) => DashError::NotFound,
        e => DashError::BadRequest(e.to_string()),
    })
}

async fn delete(
    m: Member,
    path: web::Path<(String, u32)>,
    Posted(_): Posted<Empty>,
) -> Result<HttpResponse, DashError> {
    let (domain, id) = path.into_inner();
    let (site, _) = admin_site(&m, &domain)?;
    if !m.state().store.delete_webhook(site.id, id)? {
        return Err(DashError::NotFound);
    }
    audit(&m, &site, "webhook_deleted", &format!("webhook {id}"))?;
    render(
        &m,
        &site,
        StatusCode::OK,
        Shown {
            notice: Some("Endpoint deleted."),
            ..Shown::default()
        },
    )
}

async fn rotate(
    m: Member,
    path: web::Path<(String, u32)>,
    Posted(_): Posted<Empty>,
) -> Result<HttpResponse, DashError> {
    let (domain, id) = path.into_inner();
    let (site, _) = admin_site(&m, &domain)?;
    let st = m.state();
    let (_, secret) = found(webhooks::rotate(
        &st.store,
        &st.auth.keys,
        site.id,
        id,
        st.clock.now_ms(),
    ))?;
    audit(
        &m,
        &site,
        "webhook_secret_rotated",
        &format!("webhook {id}"),
    )?;
    let shown = Shown {
        secret: Some((id, secret)),
        notice: Some("New secret made; the old one keeps signing for 24 hours."),
        ..Shown::default()
    };
    render(&m, &site, StatusCode::OK, shown)
}

async fn enable(
    m: Member,
    path: web::Path<(String, u32)>,
    Posted(_): Posted<Empty>,
) -> Result<HttpResponse, DashError> {
    let (domain, id) = path.into_inner();
    let (site, _) = admin_site(&m, &domain)?;
    let st = m.state();
    found(webhooks::enable(&st.store, site.id, id))?;
    audit(&m, &site, "webhook_enabled", &format!("webhook {id}"))?;
    render(
        &m,
        &site,
        StatusCode::OK,
        Shown {
            notice: Some("Endpoint enabled."),
            ..Shown::default()
        },
    )
}

async fn show_log(
    m: &Member,
    site: &Site,
    id: u32,
    notice: Option<&str>,
) -> Result<HttpResponse, DashError> {
    let (_, role) = admin_site(m, site.domain.as_str())?;
    let st = m.state();
    let e = found(webhooks::endpoint(&st.store, site.id, id))?;
    let messages = st.store.webhook_messages(site.id, id, 100)?;
    let email = st.auth.email_of(&m.user.login.user);
    Ok(html_page(
        StatusCode::OK,
        &v::log(
            UserBar {
                email: &email,
                csrf: m.user.csrf(),
            },
            site,
            role,
            m.user.csrf(),
            &e,
            &messages,
            notice,
        ),
    ))
}

async fn log(m: Member, path: web::Path<(String, u32)>) -> Result<HttpResponse, DashError> {
    let (domain, id) = path.into_inner();
    let (site, _) = admin_site(&m, &domain)?;
    show_log(&m, &site, id, None).await
}

/// Sends a finished message again, with its id (receivers de-duplicate by it).
async fn replay(
    m: Member,
    path: web::Path<(String, u32, u64)>,
    Posted(_): Posted<Empty>,
) -> Result<HttpResponse, DashError> {
    let (domain, id, seq) = path.into_inner();
    let (site, _) = admin_site(&m, &domain)?;
    let st = m.state();
    let key = (site.id.0, id, seq);
    let e = found(webhooks::endpoint(&st.store, site.id, id))?;
    if e.disabled.is_some() {
        return show_log(
            &m,
            &site,
            id,
            Some("The endpoint is disabled: enable it first, then replay."),
        )
        .await;
    }
    match st.store.replay_webhook_message(key, st.clock.now_ms())? {
        None => Err(DashError::NotFound),
        Some(false) => {
            show_log(
                &m,
                &site,
                id,
                Some("That message is still being delivered."),
            )
            .await
        }
        Some(true) => {
            audit(
                &m,
                &site,
                "webhook_replayed",
                &format!("webhook {id}, message {seq}"),
            )?;
            show_log(&m, &site, id, Some("The message will be sent again.")).await
        }
    }
}
