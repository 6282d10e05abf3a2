//! Site settings (timezone, allowed hostnames, consent), the shared link,
//! deletion. A save that changes the tracking snippet says so and shows the
//! new one.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use serde::Deserialize;

use super::settings_input::{SettingsInput, parse_hostnames, privacy_choices};

use crate::{
    dashboard::{
        DashError, html_page,
        views::{
            layout::UserBar,
            site::{self as v, SettingsPage},
            timezone::parse_zone,
            words::count,
        },
        web::{Member, Posted, require},
    },
    privacy,
    store::Site,
};

/// Routes under `/sites/{domain}/settings`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/sites/{domain}/settings", web::get().to(show))
        .route("/sites/{domain}/settings", web::post().to(save))
        .route("/sites/{domain}/share", web::post().to(share))
        .route("/sites/{domain}/retention", web::post().to(retention))
        .route(
            "/sites/{domain}/stripe",
            web::post().to(super::integrations::stripe_secret),
        )
        .route(
            "/sites/{domain}/scoring",
            web::post().to(super::integrations::scoring),
        )
        .route(
            "/sites/{domain}/currency",
            web::post().to(super::integrations::currency),
        )
        .route(
            "/sites/{domain}/lookback",
            web::post().to(super::integrations::lookback),
        )
        .route("/sites/{domain}/export", web::get().to(super::data::export))
        .route(
            "/sites/{domain}/imports/{id}/delete",
            web::post().to(super::data::delete_import),
        )
        .route("/sites/{domain}/delete", web::post().to(delete));
}

/// The origin the tracking snippet loads from: `server.public_url`, else the
/// request's scheme and host (forwarded ones only from a trusted proxy).
pub(super) fn origin(req: &HttpRequest, m: &Member) -> String {
    crate::dashboard::public_url::public_origin(req, &m.state().settings.server)
}

/// The settings page with a notice (or an error) after an action.
pub(super) fn render(
    req: &HttpRequest,
    m: &Member,
    site: &Site,
    status: StatusCode,
    error: Option<&str>,
    notice: Option<&str>,
) -> Result<HttpResponse, DashError> {
    render_with(req, m, site, status, error, notice, After::default())
}

/// What the page shows after a save of the general settings.
#[derive(Default)]
struct After {
    /// The tracking snippet before a save that may have changed it (the
    /// page warns when it did).
    snippet_was: Option<String>,
    /// The time zone typed in a refused save, shown back.
    typed_zone: Option<String>,
}

/// The settings page, with what a save of the general settings left.
fn render_with(
    req: &HttpRequest,
    m: &Member,
    site: &Site,
    status: StatusCode,
    error: Option<&str>,
    notice: Option<&str>,
    after: After,
) -> Result<HttpResponse, DashError> {
    let (_, role) = m.site(site.domain.as_str())?;
    let email = m.state().auth.email_of(&m.user.login.user);
    let origin = origin(req, m);
    let st = m.state();
    let last_purge = st
        .store
        .last_purge(site.id)?
        .and_then(|j| serde_json::from_str(&j).ok());
    let imports = st.store.imports(site.id)?;
    let mail = super::mail::card(m, site)?;
    let page = SettingsPage {
        site,
        role,
        origin: &origin,
        error,
        notice,
        max_months: st.settings.privacy.retention_months,
        last_purge,
        snippet_was: after.snippet_was,
        typed_zone: after.typed_zone.as_deref(),
        imports: &imports,
        mail: &mail,
    };
    Ok(html_page(
        status,
        &v::settings(
            UserBar {
                email: &email,
                csrf: m.user.csrf(),
            },
            &page,
        ),
    ))
}

/// Stores a changed site, reloads the ingest's site table, audits the change
/// and shows the settings page again.
pub(super) fn save_site(
    req: &HttpRequest,
    m: &Member,
    site: &Site,
    action: &str,
    detail: &str,
) -> Result<HttpResponse, DashError> {
    persist(m, site, action, detail)?;
    render(req, m, site, StatusCode::OK, None, Some("Saved."))
}

/// Stores a changed site, reloads the ingest's site table and audits it.
fn persist(m: &Member, site: &Site, action: &str, detail: &str) -> Result<(), DashError> {
    let st = m.state();
    st.store.update_site(site)?;
    st.reload_sites()?;
    st.auth.audit(
        &[site.workspace],
        Some(m.user.login.user.id),
        action,
        detail,
        st.clock.now_ms(),
    )?;
    Ok(())
}

/// `GET /sites/{domain}/settings` (admin)
async fn show(
    req: HttpRequest,
    m: Member,
    domain: web::Path<String>,
) -> Result<HttpResponse, DashError> {
    let (site, role) = m.site(&domain)?;
    require(role.can_manage())?;
    render(&req, &m, &site, StatusCode::OK, None, None)
}

/// `POST /sites/{domain}/settings` (admin)
async fn save(
    req: HttpRequest,
    m: Member,
    domain: web::Path<String>,
    Posted(f): Posted<SettingsInput>,
) -> Result<HttpResponse, DashError> {
    let (mut site, role) = m.site(&domain)?;
    require(role.can_manage())?;
    let parsed = parse_zone(&f.timezone).and_then(|tz| {
        Ok((
            tz,
            parse_hostnames(f.hostnames.as_deref(), &site)?,
            privacy_choices(&f, &site)?,
        ))
    });
    let (tz, hosts, (mode, forms, policy, min_count)) = match parsed {
        Ok(p) => p,
        Err(e) => {
            let typed = Some(f.timezone.clone());
            let after = After {
                typed_zone: typed,
                ..After::default()
            };
            return render_with(
                &req,
                &m,
                &site,
                StatusCode::BAD_REQUEST,
                Some(&e),
                None,
                after,
            );
        }
    };
    let was = v::snippet(&site, &origin(&req, &m));
    let dnt = f.respect_dnt.is_some();
    let detail = format!(
        "{}: timezone {} → {tz}, allowed hostnames [{}], consent {} (policy {policy}), forms {}, DNT {}, minimum count {min_count}",
        site.domain,
        site.timezone,
        hosts.join(", "),
        mode.as_str(),
        forms.as_str(),
        if dnt { "honoured" } else { "ignored" }
    );
    site.timezone = tz;
    site.allowed_hostnames = hosts;
    site.consent_mode = mode;
    site.forms = forms;
    site.respect_dnt = dnt;
    site.policy_version = policy;
    site.min_count = min_count;
    persist(&m, &site, "settings_changed", &detail)?;
    render_with(
        &req,
        &m,
        &site,
        StatusCode::OK,
        None,
        Some("Saved."),
        After {
            snippet_was: Some(was),
            ..After::default()
        },
    )
}

#[derive(Deserialize)]
struct RetentionInput {
    months: String,
    #[serde(default)]
    keep_aggregates: Option<String>,
}

/// `POST /sites/{domain}/retention` (admin)
async fn retention(
    req: HttpRequest,
    m: Member,
    domain: web::Path<String>,
    Posted(f): Posted<RetentionInput>,
) -> Result<HttpResponse, DashError> {
    let (mut site, role) = m.site(&domain)?;
    require(role.can_manage())?;
    let st = m.state();
    let max = st.settings.privacy.retention_months;
    let months = match f.months.trim().parse::<u32>() {
        Ok(n) if (1..=max).contains(&n) => n,
        _ => {
            let e = format!("retention must be a whole number of months from 1 to {max}");
            return render(&req, &m, &site, StatusCode::BAD_REQUEST, Some(&e), None);
        }
    };
    site.retention_months = (months < max).then_some(months);
    site.keep_aggregates = f.keep_aggregates.is_some();
    st.store.update_site(&site)?;
    st.reload_sites()?;
    let detail = format!(
        "{}: retention {}, aggregates of purged days {}",
        site.domain,
        count(months, "month", "months"),
        if site.keep_aggregates {
            "kept"
        } else {
            "deleted"
        }
    );
    st.auth.audit(
        &[site.workspace],
        Some(m.user.login.user.id),
        "retention_changed",
        &detail,
        st.clock.now_ms(),
    )?;
    render(&req, &m, &site, StatusCode::OK, None, Some("Saved."))
}

#[derive(Deserialize)]
struct ShareInput {
    enabled: bool,
}

/// `POST /sites/{domain}/share` (admin): creates or revokes the shared link.
async fn share(
    req: HttpRequest,
    m: Member,
    domain: web::Path<String>,
    Posted(f): Posted<ShareInput>,
) -> Result<HttpResponse, DashError> {
    let (mut site, role) = m.site(&domain)?;
    require(role.can_manage())?;
    site.share_token = f.enabled.then(|| privacy::random_token()[..32].to_owned());
    let st = m.state();
    st.store.update_site(&site)?;
    st.reload_sites()?;
    let action = if f.enabled {
        "shared_link_created"
    } else {
        "shared_link_revoked"
    };
    st.auth.audit(
        &[site.workspace],
        Some(m.user.login.user.id),
        action,
        site.domain.as_str(),
        st.clock.now_ms(),
    )?;
    render(
        &req,
        &m,
        &site,
        StatusCode::OK,
        None,
        Some(if f.enabled {
            "Shared link created."
        } else {
            "Shared link revoked."
        }),
    )
}

#[derive(Deserialize)]
struct DeleteInput {
    confirm: String,
}

/// `POST /sites/{domain}/delete` (owner; the domain must be typed to confirm).
async fn delete(
    req: HttpRequest,
    m: Member,
    domain: web::Path<String>,
    Posted(f): Posted<DeleteInput>,
) -> Result<HttpResponse, DashError> {
    let (site, role) = m.site(&domain)?;
    require(role.is_owner())?;
    if f.confirm.trim() != site.domain.as_str() {
        return render(
            &req,
            &m,
            &site,
            StatusCode::BAD_REQUEST,
            Some("Type the domain exactly to confirm deletion."),
            None,
        );
    }
    let st = m.state();
    let now = st.clock.now_ms();
    st.store.soft_delete_site(site.id, now)?;
    st.reload_sites()?;
    st.auth.audit(
        &[site.workspace],
        Some(m.user.login.user.id),
        "site_deleted",
        &format!(
            "{}: hidden now, its data deleted for good after {} days",
            site.domain,
            privacy::retention::SITE_GRACE_DAYS
        ),
        now,
    )?;
    Err(DashError::Redirect(format!(
        "/workspaces/{}",
        site.workspace
    )))
}
