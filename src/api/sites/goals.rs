//! The Sites API's goals and shared links (Plausible's paths and shapes).

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Map, Value as Json, json};

use super::{bad, blocking, manager, named, paginate, params, save, text};
use crate::{
    api::{ApiError, authenticate_key},
    privacy, sites,
    startup::AppState,
    store::{Goal, GoalKind},
};

/// A goal as Plausible's Sites API shows it.
fn goal_json(g: &Goal, domain: Option<&str>) -> Json {
    let (goal_type, event_name, page_path) = match &g.kind {
        GoalKind::Event(n) => ("event", Some(n.as_str()), None),
        GoalKind::Page(p) => ("page", None, Some(p.as_str())),
    };
    let mut out = json!({
        "id": g.id,
        "display_name": g.name(),
        "goal_type": goal_type,
        "event_name": event_name,
        "page_path": page_path,
        "custom_props": {},
    });
    if let Some(d) = domain {
        out["domain"] = json!(d);
    }
    out
}

fn required_site(p: &Map<String, Json>, what: &str) -> Result<String, ApiError> {
    text(p, "site_id")
        .map(str::to_owned)
        .ok_or_else(|| bad(format!("Parameter `site_id` is required to {what}")))
}

/// `GET /api/v1/sites/goals?site_id=`
pub(super) async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let ws = authenticate_key(&req, &state)?.workspace;
    let p = params(&req, b"")?;
    let site = named(&state, ws, &required_site(&p, "list goals")?)?;
    let goals: Vec<(u32, Json)> = state
        .store
        .goals(site.id)?
        .iter()
        .map(|g| (g.id, goal_json(g, None)))
        .collect();
    let (page, meta) = paginate(&req, goals)?;
    Ok(HttpResponse::Ok().json(json!({"goals": page, "meta": meta})))
}

/// `PUT /api/v1/sites/goals`: the same goal again answers with its id.
pub(super) async fn put(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let key = manager(&req, &state)?;
    let p = params(&req, &body)?;
    let site = named(&state, key.workspace, &required_site(&p, "create a goal")?)?;
    let goal_type = text(&p, "goal_type")
        .ok_or_else(|| bad("Parameter `goal_type` is required to create a goal"))?;
    let value = match goal_type {
        "event" => text(&p, "event_name")
            .ok_or_else(|| bad("Parameter `event_name` is required to create a goal"))?,
        "page" => text(&p, "page_path")
            .ok_or_else(|| bad("Parameter `page_path` is required to create a goal"))?,
        _ => return Err(bad("goal_type: must be event or page")),
    };
    let kind = sites::goal_kind(goal_type, value).map_err(bad)?;
    let st = state.clone();
    let domain = site.domain.clone();
    let goal = blocking(move || {
        if let Some(g) = st
            .store
            .goals(site.id)?
            .into_iter()
            .find(|g| g.kind == kind)
        {
            return Ok(g);
        }
        let g = st.store.add_goal(site.id, kind)?;
        st.auth.audit(
            &[key.workspace],
            None,
            "goal_added",
            &format!("{}: {} (Sites API key {})", site.domain, g.name(), key.name),
            st.clock.now_ms(),
        )?;
        Ok(g)
    })
    .await?;
    Ok(HttpResponse::Ok().json(goal_json(&goal, Some(domain.as_str()))))
}

/// `DELETE /api/v1/sites/goals/{goal_id}`
pub(super) async fn delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    goal_id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let key = manager(&req, &state)?;
    let p = params(&req, &body)?;
    let site = named(&state, key.workspace, &required_site(&p, "delete a goal")?)?;
    let not_found = || ApiError::NotFound("Goal could not be found".into());
    let id: u32 = goal_id.parse().map_err(|_| not_found())?;
    let st = state.clone();
    let deleted = blocking(move || {
        let gone = st.store.delete_goal(site.id, id)?;
        if gone {
            st.auth.audit(
                &[key.workspace],
                None,
                "goal_deleted",
                &format!("{}: goal {id} (Sites API key {})", site.domain, key.name),
                st.clock.now_ms(),
            )?;
        }
        Ok(gone)
    })
    .await?;
    if !deleted {
        return Err(not_found());
    }
    Ok(HttpResponse::Ok().json(json!({"deleted": true})))
}

/// `PUT /api/v1/sites/shared-links`: a site has one shared link; it is made
/// when missing, and `name` is echoed.
pub(super) async fn shared_link(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let key = manager(&req, &state)?;
    let p = params(&req, &body)?;
    let mut site = named(
        &state,
        key.workspace,
        &required_site(&p, "create a shared link")?,
    )?;
    let name = text(&p, "name").unwrap_or("Shared link").to_owned();
    if site.share_token.is_none() {
        site.share_token = Some(privacy::random_token()[..32].to_owned());
        save(
            &state,
            &key,
            site.clone(),
            "shared_link_created",
            site.domain.as_str(),
        )
        .await?;
    }
    let origin = crate::dashboard::public_url::public_origin(&req, &state.settings.server);
    let url = format!(
        "{origin}/share/{}?auth={}",
        site.domain,
        site.share_token.as_deref().unwrap_or_default()
    );
    Ok(HttpResponse::Ok().json(json!({"name": name, "url": url})))
}
