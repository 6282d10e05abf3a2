//! Site settings (timezone, allowed hostnames, consent), the shared link,
//! deletion. A save that changes the tracking snippet says so and shows the
//! new one.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use serde::Deserialize;

use crate::{
    dashboard::{
        DashError, html_page,
        views::{
            layout::UserBar,
            site::{self as v, SettingsPage},
        },
        web::{Member, Posted, require},
    },
    domain::{ConsentMode, Domain, FormCapture, Timezone},
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
        .route("/sites/{domain}/delete", web::post().to(delete));
}

pub(super) fn origin(req: &HttpRequest) -> String {
    let ci = req.connection_info();
    format!("{}://{}", ci.scheme(), ci.host())
}

pub(super) fn render(
    req: &HttpRequest,
    m: &Member,
    site: &Site,
    status: StatusCode,
    error: Option<&str>,
    notice: Option<&str>,
) -> Result<HttpResponse, DashError> {
    render_with(req, m, site, status, error, notice, None)
}

/// The settings page; `snippet_was` is the tracking snippet before a save
/// that may have changed it (the page warns when it did).
fn render_with(
    req: &HttpRequest,
    m: &Member,
    site: &Site,
    status: StatusCode,
    error: Option<&str>,
    notice: Option<&str>,
    snippet_was: Option<String>,
) -> Result<HttpResponse, DashError> {
    let (_, role) = m.site(site.domain.as_str())?;
    let email = m.state().auth.email_of(&m.user.login.user);
    let origin = origin(req);
    let st = m.state();
    let last_purge = st
        .store
        .last_purge(site.id)?
        .and_then(|j| serde_json::from_str(&j).ok());
    let page = SettingsPage {
        site,
        role,
        origin: &origin,
        error,
        notice,
        max_months: st.settings.privacy.retention_months,
        last_purge,
        snippet_was,
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

#[derive(Deserialize)]
struct SettingsInput {
    timezone: String,
    #[serde(default)]
    hostnames: String,
    #[serde(default)]
    consent_mode: Option<String>,
    #[serde(default)]
    forms: Option<String>,
    #[serde(default)]
    respect_dnt: Option<String>,
    #[serde(default)]
    policy_version: Option<String>,
}

/// The privacy part of the settings form (absent fields keep their values).
fn privacy_choices(
    f: &SettingsInput,
    site: &Site,
) -> Result<(ConsentMode, FormCapture, String), String> {
    let mode = f
        .consent_mode
        .as_deref()
        .map_or(Ok(site.consent_mode), ConsentMode::parse)?;
    let forms = f
        .forms
        .as_deref()
        .map_or(Ok(site.forms), FormCapture::parse)?;
    let policy = f
        .policy_version
        .as_deref()
        .map_or(site.policy_version.as_str(), str::trim)
        .to_owned();
    if policy.is_empty()
        || policy.len() > 32
        || !policy
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    {
        return Err("policy version must be 1 to 32 letters, digits, '.', '_' or '-'".into());
    }
    Ok((mode, forms, policy))
}

/// Parses the allowed-hostnames box: one per line, `*.` prefix allowed.
fn parse_hostnames(text: &str) -> Result<Vec<String>, String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (wild, rest) = l.strip_prefix("*.").map_or((false, l), |r| (true, r));
            let d = Domain::parse(rest).map_err(|e| e.to_string())?;
            Ok(if wild {
                format!("*.{d}")
            } else {
                d.to_string()
            })
        })
        .collect()
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
    let parsed = Timezone::parse(&f.timezone).and_then(|tz| {
        Ok((
            tz,
            parse_hostnames(&f.hostnames)?,
            privacy_choices(&f, &site)?,
        ))
    });
    let (tz, hosts, (mode, forms, policy)) = match parsed {
        Ok(p) => p,
        Err(e) => return render(&req, &m, &site, StatusCode::BAD_REQUEST, Some(&e), None),
    };
    let was = v::snippet(&site, &origin(&req));
    let dnt = f.respect_dnt.is_some();
    let detail = format!(
        "{}: timezone {} → {tz}, allowed hostnames [{}], consent {} (policy {policy}), forms {}, DNT {}",
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
    persist(&m, &site, "settings_changed", &detail)?;
    render_with(
        &req,
        &m,
        &site,
        StatusCode::OK,
        None,
        Some("Saved."),
        Some(was),
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
        "{}: retention {months} months, aggregates of purged days {}",
        site.domain,
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
