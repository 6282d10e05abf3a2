//! Plausible's Sites API (<https://plausible.io/docs/sites-api>), with its
//! paths and shapes, plus Touchpoint's own settings with patch semantics:
//!
//! | method | path | |
//! | --- | --- | --- |
//! | GET | `/api/v1/sites` | the key's workspace's sites, newest first, paginated |
//! | POST | `/api/v1/sites` | `{domain, timezone}` creates one |
//! | GET | `/api/v1/sites/{site_id}` | one site |
//! | PUT | `/api/v1/sites/{site_id}` | `{timezone}` (a domain can't change) |
//! | DELETE | `/api/v1/sites/{site_id}` | `{"deleted": true}`; restorable for 14 days |
//! | GET | `/api/v1/sites/goals?site_id=` | goals, newest first, paginated |
//! | PUT | `/api/v1/sites/goals` | `{site_id, goal_type, event_name \| page_path}`, find or create |
//! | DELETE | `/api/v1/sites/goals/{goal_id}` | `site_id` in the body or query |
//! | PUT | `/api/v1/sites/shared-links` | `{site_id, name}`: the site's shared link |
//! | GET | `/api/v1/sites/{site_id}/settings` | Touchpoint's settings ([`crate::sites`]) |
//! | PATCH | `/api/v1/sites/{site_id}/settings` | change some; fields left out stay |
//!
//! Reading needs any key of the workspace; changing needs a key allowed to
//! manage sites (403 otherwise). `site_id` is the domain. Pagination is
//! Plausible's: `limit` (1 to 100, else 100), opaque `after`/`before`
//! cursors, and `meta: {after, before, limit}`.

mod goals;

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Map, Value as Json, json};

use super::{ApiError, authenticate_key, json_object, site as find_site};
use crate::{
    domain::{Domain, Timezone},
    privacy, sites,
    startup::AppState,
    store::{ApiKeyRecord, Site, StoreError},
};

/// Routes of the Sites API (fixed paths before `{site_id}`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/sites", web::get().to(list))
        .route("/api/v1/sites", web::post().to(create))
        .route("/api/v1/sites/goals", web::get().to(goals::list))
        .route("/api/v1/sites/goals", web::put().to(goals::put))
        .route(
            "/api/v1/sites/goals/{goal_id}",
            web::delete().to(goals::delete),
        )
        .route(
            "/api/v1/sites/shared-links",
            web::put().to(goals::shared_link),
        )
        .route("/api/v1/sites/{site_id}/settings", web::get().to(settings))
        .route(
            "/api/v1/sites/{site_id}/settings",
            web::patch().to(patch_settings),
        )
        .route("/api/v1/sites/{site_id}", web::get().to(get))
        .route("/api/v1/sites/{site_id}", web::put().to(update))
        .route("/api/v1/sites/{site_id}", web::delete().to(delete));
}

pub(super) fn bad(m: impl Into<String>) -> ApiError {
    ApiError::BadRequest(m.into())
}

/// The key, which must be allowed to manage sites.
pub(super) fn manager(req: &HttpRequest, state: &AppState) -> Result<ApiKeyRecord, ApiError> {
    let key = authenticate_key(req, state)?;
    if !key.sites {
        return Err(ApiError::Forbidden(
            "This API key may not manage sites; create one that may (touchpoint apikey create --sites, or on the workspace page)."
                .into(),
        ));
    }
    Ok(key)
}

/// Parameters from the query string and, for writes, a JSON body (Plausible
/// takes them from either).
pub(super) fn params(req: &HttpRequest, body: &[u8]) -> Result<Map<String, Json>, ApiError> {
    let mut out = Map::new();
    for (k, v) in url::form_urlencoded::parse(req.query_string().as_bytes()) {
        out.insert(k.into_owned(), Json::String(v.into_owned()));
    }
    if !body.iter().all(u8::is_ascii_whitespace) {
        out.extend(json_object(body)?);
    }
    Ok(out)
}

pub(super) fn text<'a>(p: &'a Map<String, Json>, k: &str) -> Option<&'a str> {
    p.get(k)
        .and_then(Json::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// A site as Plausible's Sites API shows it.
fn site_json(s: &Site) -> Json {
    json!({
        "domain": s.domain.as_str(),
        "timezone": s.timezone.to_string(),
        "custom_properties": [],
    })
}

/// Plausible's cursor pagination over items with ascending ids, shown
/// newest (largest id) first. Cursors are the ids, base64.
pub(super) fn paginate<T>(
    req: &HttpRequest,
    mut items: Vec<(u32, T)>,
) -> Result<(Vec<T>, Json), ApiError> {
    let q: Map<String, Json> = params(req, b"")?;
    let limit = text(&q, "limit")
        .and_then(|l| l.parse::<usize>().ok())
        .filter(|l| (1..=100).contains(l))
        .unwrap_or(100);
    let cursor = |k: &str| -> Result<Option<u32>, ApiError> {
        use base64::Engine;
        text(&q, k)
            .map(|c| {
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(c)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| bad(format!("`{k}` is not a cursor this API gave")))
            })
            .transpose()
    };
    let encode = |id: u32| {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(id.to_string())
    };
    items.sort_by_key(|(id, _)| std::cmp::Reverse(*id));
    let (after, before) = (cursor("after")?, cursor("before")?);
    let start = match (after, before) {
        (Some(a), _) => items
            .iter()
            .position(|(id, _)| *id < a)
            .unwrap_or(items.len()),
        (None, Some(b)) => {
            let end = items
                .iter()
                .position(|(id, _)| *id <= b)
                .unwrap_or(items.len());
            end.saturating_sub(limit)
        }
        (None, None) => 0,
    };
    let end = match (after, before) {
        (None, Some(b)) => items
            .iter()
            .position(|(id, _)| *id <= b)
            .unwrap_or(items.len()),
        _ => (start + limit).min(items.len()),
    };
    let ids: Vec<u32> = items.iter().map(|(id, _)| *id).collect();
    let meta = json!({
        "after": (end < ids.len() && end > start).then(|| encode(ids[end - 1])),
        "before": (start > 0 && end > start).then(|| encode(ids[start])),
        "limit": limit,
    });
    let page = items
        .into_iter()
        .skip(start)
        .take(end - start)
        .map(|(_, t)| t)
        .collect();
    Ok((page, meta))
}

/// Runs blocking store work off the async threads.
pub(super) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    web::block(f)
        .await
        .map_err(|e| ApiError::Internal(e.into()))?
}

/// `GET /api/v1/sites`
async fn list(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let ws = authenticate_key(&req, &state)?.workspace;
    let sites: Vec<(u32, Json)> = state
        .store
        .sites()?
        .iter()
        .filter(|s| s.workspace == ws && s.deleted_ms.is_none())
        .map(|s| {
            (
                s.id.0,
                json!({"domain": s.domain.as_str(), "timezone": s.timezone.to_string()}),
            )
        })
        .collect();
    let (page, meta) = paginate(&req, sites)?;
    Ok(HttpResponse::Ok().json(json!({"sites": page, "meta": meta})))
}

/// `POST /api/v1/sites`
async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let key = manager(&req, &state)?;
    let p = params(&req, &body)?;
    let domain = Domain::parse(text(&p, "domain").ok_or_else(|| bad("domain: can't be blank"))?)
        .map_err(|e| bad(format!("domain: {e}")))?;
    let tz = Timezone::parse(text(&p, "timezone").unwrap_or("Etc/UTC"))
        .map_err(|_| bad("timezone: is invalid"))?;
    let st = state.clone();
    let site = blocking(move || {
        let now = st.clock.now_ms();
        let site = st
            .store
            .add_site(key.workspace, &domain, tz, now)
            .map_err(|e| match e {
                StoreError::Conflict(_) => bad(format!(
                    "domain: {domain} is already a site of this or another workspace"
                )),
                e => e.into(),
            })?;
        st.reload_sites()?;
        st.auth.audit(
            &[key.workspace],
            None,
            "site_created",
            &format!("{} (Sites API key {})", site.domain, key.name),
            now,
        )?;
        Ok(site)
    })
    .await?;
    Ok(HttpResponse::Ok().json(site_json(&site)))
}

/// The site `site_id` names among the key's workspace's.
pub(super) fn named(
    state: &AppState,
    ws: crate::domain::WorkspaceId,
    site_id: &str,
) -> Result<Site, ApiError> {
    find_site(&state.store.read()?, ws, Some(site_id)).map_err(|e| match e {
        ApiError::NotFound(_) => ApiError::NotFound("Site could not be found".into()),
        e => e,
    })
}

/// `GET /api/v1/sites/{site_id}`
async fn get(
    req: HttpRequest,
    state: web::Data<AppState>,
    site_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let ws = authenticate_key(&req, &state)?.workspace;
    Ok(HttpResponse::Ok().json(site_json(&named(&state, ws, &site_id)?)))
}

/// `PUT /api/v1/sites/{site_id}`: the time zone (a domain can't change:
/// its data is keyed by it).
async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    site_id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let key = manager(&req, &state)?;
    let mut site = named(&state, key.workspace, &site_id)?;
    let p = params(&req, &body)?;
    if let Some(d) = text(&p, "domain")
        && d != site.domain.as_str()
    {
        return Err(bad(
            "domain: a site's domain can't change; add a site for the new domain",
        ));
    }
    let Some(tz) = text(&p, "timezone") else {
        return Err(bad(
            "Payload must contain at least one of the parameters 'domain', 'timezone'",
        ));
    };
    site.timezone = Timezone::parse(tz).map_err(|_| bad("timezone: is invalid"))?;
    save(
        &state,
        &key,
        site.clone(),
        "settings_changed",
        &format!("{}: timezone {tz}", site.domain),
    )
    .await?;
    Ok(HttpResponse::Ok().json(site_json(&site)))
}

pub(super) async fn save(
    state: &web::Data<AppState>,
    key: &ApiKeyRecord,
    site: Site,
    action: &'static str,
    detail: &str,
) -> Result<(), ApiError> {
    let (st, ws, detail) = (
        state.clone(),
        key.workspace,
        format!("{detail} (Sites API key {})", key.name),
    );
    blocking(move || {
        st.store.update_site(&site)?;
        st.reload_sites()?;
        st.auth
            .audit(&[ws], None, action, &detail, st.clock.now_ms())?;
        Ok(())
    })
    .await
}

/// `DELETE /api/v1/sites/{site_id}`
async fn delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    site_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let key = manager(&req, &state)?;
    let site = named(&state, key.workspace, &site_id)?;
    let st = state.clone();
    blocking(move || {
        let now = st.clock.now_ms();
        st.store.soft_delete_site(site.id, now)?;
        st.reload_sites()?;
        st.auth.audit(
            &[key.workspace],
            None,
            "site_deleted",
            &format!(
                "{}: hidden now, its data deleted for good after {} days (Sites API key {})",
                site.domain,
                privacy::retention::SITE_GRACE_DAYS,
                key.name
            ),
            now,
        )?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::Ok().json(json!({"deleted": true})))
}

/// `GET /api/v1/sites/{site_id}/settings`
async fn settings(
    req: HttpRequest,
    state: web::Data<AppState>,
    site_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let ws = authenticate_key(&req, &state)?.workspace;
    let site = named(&state, ws, &site_id)?;
    Ok(HttpResponse::Ok().json(sites::to_json(
        &site,
        state.settings.privacy.retention_months,
    )))
}

/// `PATCH /api/v1/sites/{site_id}/settings`: the fields given change, the
/// others stay; answers with every setting.
async fn patch_settings(
    req: HttpRequest,
    state: web::Data<AppState>,
    site_id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let key = manager(&req, &state)?;
    let mut site = named(&state, key.workspace, &site_id)?;
    let max = state.settings.privacy.retention_months;
    let patch = sites::parse(&json_object(&body)?, max).map_err(bad)?;
    let keys = state.auth.keys.clone();
    let id = site.id.0;
    let changed = sites::apply(&mut site, patch, max, |secret| {
        hex::encode(keys.seal(&privacy::aad::site_stripe_secret(id), secret.as_bytes()))
    });
    if !changed.is_empty() {
        let detail = format!("{}: {}", site.domain, changed.join(", "));
        save(&state, &key, site.clone(), "settings_changed", &detail).await?;
    }
    Ok(HttpResponse::Ok().json(sites::to_json(&site, max)))
}
