//! A site before its first pageview: whether it has any data yet, and
//! `GET /sites/{domain}/status.json`, which a new site's overview polls
//! (through `app.js`) to turn into the dashboard when data arrives.

use actix_web::{HttpResponse, http::header, web};

use crate::{
    dashboard::{DashError, web::Member},
    store::{Site, Store, StoreError},
};

/// Routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/sites/{domain}/status.json", web::get().to(status));
}

/// The path of the site's status.
#[must_use]
pub fn status_url(site: &Site) -> String {
    format!("/sites/{}/status.json", site.domain)
}

/// Whether the site has any data: a stored visit, or a rolled-up day (whose
/// visits retention may have purged since).
///
/// # Errors
/// Storage errors.
pub fn has_data(store: &Store, site: &Site) -> Result<bool, StoreError> {
    let view = store.read()?;
    Ok(view.first_session_start(site.id)?.is_some()
        || !view.rolled_days(site.id, 0, u32::MAX)?.is_empty()
        || !view.imports(site.id)?.is_empty())
}

/// `GET /sites/{domain}/status.json` (any member): `{"has_data": bool}`,
/// never cached.
async fn status(m: Member, domain: web::Path<String>) -> Result<HttpResponse, DashError> {
    let (site, _) = m.site(&domain)?;
    let store = m.state().store.clone();
    let has = web::block(move || has_data(&store, &site)).await??;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(serde_json::json!({ "has_data": has })))
}
