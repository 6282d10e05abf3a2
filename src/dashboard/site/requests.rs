//! The privacy page's logs: logged data-subject requests (completed by the
//! page's actions, or received by other means and completed later) and the
//! consent log's CSV export.

use actix_web::{HttpResponse, http::header, web};
use serde::Deserialize;

use super::privacy::site_for;
use crate::{
    dashboard::{
        DashError,
        web::{Member, Posted},
    },
    domain::calendar::date_start_ms,
    privacy::subject::Identifier,
    store::{PersonData, RequestKind, RowCounts, Site, SubjectRequest},
};

/// Routes of the request log and the consent log's export.
pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/sites/{domain}/privacy/requests",
        web::post().to(log_received),
    )
    .route("/sites/{domain}/consents.csv", web::get().to(consents_csv));
}

/// Rows per table of what a lookup found.
pub(super) fn counts_of(d: &PersonData) -> RowCounts {
    use crate::store::PersonTable as T;
    [
        (T::Sessions, d.sessions.len()),
        (T::Consents, d.consents.len()),
        (T::Consented, d.consented.len()),
        (T::Identities, d.identities.len()),
        (T::Leads, d.leads.len()),
        (T::Conversions, d.conversions.len()),
        (T::OrderIds, d.order_ids.len()),
    ]
    .into_iter()
    .map(|(t, n)| (t, n as u64))
    .collect()
}

/// Completes the chosen logged request, or logs a new completed one.
pub(super) fn complete(
    m: &Member,
    site: &Site,
    kind: RequestKind,
    who: &Identifier,
    chosen: &str,
    rows: &RowCounts,
) -> Result<SubjectRequest, DashError> {
    let st = m.state();
    let now = st.clock.now_ms();
    let rows = rows
        .iter()
        .map(|(t, n)| (t.table_name().to_owned(), *n))
        .collect();
    let open = chosen.trim().parse::<u64>().ok().and_then(|id| {
        st.store
            .requests(site.workspace)
            .ok()?
            .into_iter()
            // Only an open request of the same kind: a lookup can't close an erasure.
            .find(|r| {
                r.id == id
                    && r.site == site.domain.as_str()
                    && r.kind == kind
                    && r.completed_ms.is_none()
            })
    });
    let mut r = open.unwrap_or(SubjectRequest {
        id: 0,
        site: site.domain.to_string(),
        kind,
        identified_by: String::new(),
        received_ms: now,
        completed_ms: None,
        handled_by: None,
        rows: std::collections::BTreeMap::new(),
    });
    r.identified_by = who.kind().to_owned();
    r.completed_ms = Some(now);
    r.handled_by = Some(m.user.login.user.id);
    r.rows = rows;
    if r.id == 0 {
        r = st.store.log_request(site.workspace, r)?;
    } else {
        st.store.update_request(site.workspace, &r)?;
    }
    Ok(r)
}

#[derive(Deserialize)]
struct ReceivedInput {
    kind: String,
    received: String,
}

/// `POST /sites/{domain}/privacy/requests`: logs a request received by other
/// means (an email, a letter), so its due date shows until it is completed.
async fn log_received(
    m: Member,
    domain: web::Path<String>,
    Posted(f): Posted<ReceivedInput>,
) -> Result<HttpResponse, DashError> {
    let site = site_for(&m, &domain)?;
    let st = m.state();
    let kind = RequestKind::parse(f.kind.trim()).map_err(DashError::BadRequest)?;
    let date = chrono::NaiveDate::parse_from_str(f.received.trim(), "%Y-%m-%d")
        .map_err(|_| DashError::BadRequest("the received date must be YYYY-MM-DD".into()))?;
    // The date as the site's calendar has it: the page shows times in its zone.
    let received_ms = date_start_ms(date, site.timezone);
    if received_ms > st.clock.now_ms() {
        return Err(DashError::BadRequest(
            "the received date is in the future".into(),
        ));
    }
    st.store.log_request(
        site.workspace,
        SubjectRequest {
            id: 0,
            site: site.domain.to_string(),
            kind,
            identified_by: String::new(),
            received_ms,
            completed_ms: None,
            handled_by: None,
            rows: std::collections::BTreeMap::new(),
        },
    )?;
    Ok(crate::dashboard::error::see_other(&format!(
        "/sites/{}/privacy",
        site.domain
    )))
}

/// `GET /sites/{domain}/consents.csv`: the whole consent log (Art. 7 proof).
async fn consents_csv(m: Member, domain: web::Path<String>) -> Result<HttpResponse, DashError> {
    let site = site_for(&m, &domain)?;
    let log = m.state().store.consent_log(site.id)?;
    let mut w = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| DashError::Internal(e.to_string());
    w.write_record([
        "time_utc",
        "decision",
        "mechanism",
        "policy_version",
        "subject",
    ])
    .map_err(io)?;
    for c in &log {
        w.write_record([
            crate::dashboard::views::fmt_time(c.at_ms).as_str(),
            c.decision.as_str(),
            c.mechanism.as_str(),
            c.policy.as_str(),
            c.subject.as_str(),
        ])
        .map_err(io)?;
    }
    let body = w
        .into_inner()
        .map_err(|e| DashError::Internal(e.to_string()))?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"consents-{}.csv\"", site.domain),
        ))
        .body(body))
}
