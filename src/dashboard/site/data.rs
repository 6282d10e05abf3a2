//! The settings page's data card: Plausible's CSV export as a download, and
//! deleting an import of statistics (admins).

use actix_web::{HttpRequest, HttpResponse, http::header, web};

use super::settings::render;
use crate::{
    dashboard::{
        DashError,
        web::{Member, Posted, require},
    },
    domain::calendar::{date_of_day, local_day},
    exchange::export,
};

/// `GET /sites/{domain}/export` (admin): the site's Plausible CSV export,
/// from its first day with data to today.
pub(super) async fn export(
    m: Member,
    domain: web::Path<String>,
) -> Result<HttpResponse, DashError> {
    let (site, role) = m.site(&domain)?;
    require(role.can_manage())?;
    let st = m.state();
    let now = st.clock.now_ms();
    let today = date_of_day(local_day(now, site.timezone));
    let name = export::archive_name(&site, today);
    let store = st.store.clone();
    let zip = web::block(move || -> Result<Vec<u8>, DashError> {
        let view = store.read()?;
        let first = export::date_range(&view, &site, now)?.map_or(today, |r| r.0);
        let rows = export::rows(&view, &site, first, today)?;
        export::write_zip(std::io::Cursor::new(Vec::new()), &rows, first, today)
            .map(std::io::Cursor::into_inner)
            .map_err(|e| DashError::Internal(e.to_string()))
    })
    .await??;
    st.auth.audit(
        &[m.site(&domain)?.0.workspace],
        Some(m.user.login.user.id),
        "site_exported",
        &format!("{domain}: Plausible CSV export"),
        now,
    )?;
    Ok(HttpResponse::Ok()
        .content_type("application/zip")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .body(zip))
}

#[derive(serde::Deserialize)]
pub(super) struct Confirm {}

/// `POST /sites/{domain}/imports/{id}/delete` (admin).
pub(super) async fn delete_import(
    req: HttpRequest,
    m: Member,
    path: web::Path<(String, u32)>,
    Posted(_): Posted<Confirm>,
) -> Result<HttpResponse, DashError> {
    let (domain, id) = path.into_inner();
    let (site, role) = m.site(&domain)?;
    require(role.can_manage())?;
    let st = m.state();
    if !st.store.delete_import(site.id, id)? {
        return Err(DashError::NotFound);
    }
    st.auth.audit(
        &[site.workspace],
        Some(m.user.login.user.id),
        "import_deleted",
        &format!("{}: import {id}", site.domain),
        st.clock.now_ms(),
    )?;
    render(
        &req,
        &m,
        &site,
        actix_web::http::StatusCode::OK,
        None,
        Some("Import deleted."),
    )
}
