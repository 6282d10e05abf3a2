//! A site's privacy page (owners and admins): data-subject lookups, exports
//! and erasures with receipts, the request log, and the consent log with its
//! CSV export.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, http::header, web};
use serde::Deserialize;

use super::requests::{self, complete, counts_of};

use crate::{
    dashboard::{
        DashError, html_page,
        views::{
            layout::UserBar,
            local_time::fmt_local,
            privacy::{self as v, Found, PrivacyPage},
            words::count,
        },
        web::{Member, Posted, require},
    },
    privacy::Keys,
    privacy::subject::{self, Identifier},
    store::{
        ConsentEntry, PersonData, PersonKeys, RequestKind, Site, Store, StoreError, SubjectRequest,
    },
};

/// Most consent records listed on the page (the CSV has them all).
const CONSENTS_SHOWN: usize = 200;

/// Routes under `/sites/{domain}/privacy`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/sites/{domain}/privacy", web::get().to(show))
        .route("/sites/{domain}/privacy/lookup", web::post().to(lookup))
        .route("/sites/{domain}/privacy/export", web::post().to(export))
        .route("/sites/{domain}/privacy/erase", web::post().to(erase))
        .route(
            "/sites/{domain}/privacy/rectify",
            web::post().to(super::rectify::rectify),
        )
        .configure(requests::routes);
}

/// The site, if the caller may handle requests on it (owner or admin).
pub(super) fn site_for(m: &Member, domain: &str) -> Result<Site, DashError> {
    let (site, role) = m.site(domain)?;
    require(role.can_manage())?;
    Ok(site)
}

#[derive(Deserialize, Default)]
pub(super) struct ConsentFilter {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    mechanism: String,
}

pub(super) struct Outcome<'a> {
    status: StatusCode,
    pub(super) error: Option<&'a str>,
    pub(super) notice: Option<&'a str>,
    found: Option<Found<'a>>,
}

pub(super) fn render(
    m: &Member,
    site: &Site,
    filter: &ConsentFilter,
    o: Outcome<'_>,
) -> Result<HttpResponse, DashError> {
    let st = m.state();
    let requests = st.store.requests(site.workspace)?;
    let requests: Vec<SubjectRequest> = requests
        .into_iter()
        .filter(|r| r.site == site.domain.as_str())
        .collect();
    let log = st.store.consent_log(site.id)?;
    let total = log.len();
    let shown: Vec<ConsentEntry> = log
        .into_iter()
        .rev()
        .filter(|c| filter.decision.is_empty() || c.decision.as_str() == filter.decision)
        .filter(|c| filter.mechanism.is_empty() || c.mechanism.as_str() == filter.mechanism)
        .take(CONSENTS_SHOWN)
        .collect();
    let email = st.auth.email_of(&m.user.login.user);
    let (_, role) = m.site(site.domain.as_str())?;
    let page = PrivacyPage {
        site,
        role,
        error: o.error,
        notice: o.notice,
        found: o.found,
        requests: &requests,
        consents: &shown,
        consents_total: total,
        consent_filter: (&filter.decision, &filter.mechanism),
        now_ms: st.clock.now_ms(),
    };
    Ok(html_page(
        o.status,
        &v::privacy(
            UserBar {
                email: &email,
                csrf: m.user.csrf(),
            },
            &page,
        ),
    ))
}

pub(super) fn plain(status: StatusCode) -> Outcome<'static> {
    Outcome {
        status,
        error: None,
        notice: None,
        found: None,
    }
}

/// `GET /sites/{domain}/privacy`
async fn show(
    req: HttpRequest,
    m: Member,
    domain: web::Path<String>,
) -> Result<HttpResponse, DashError> {
    let site = site_for(&m, &domain)?;
    let filter = crate::dashboard::web::query_params::<ConsentFilter>(&req);
    render(&m, &site, &filter, plain(StatusCode::OK))
}

#[derive(Deserialize)]
pub(super) struct PersonInput {
    kind: String,
    value: String,
    #[serde(default)]
    pub(super) request: String,
    #[serde(default)]
    confirm: String,
    #[serde(default)]
    pub(super) new_email: String,
    #[serde(default)]
    pub(super) new_phone: String,
    /// A lookup logs an access request only when asked to ("1").
    #[serde(default)]
    log: String,
}

/// Resolves the person and runs `then` on their keys, off the async threads
/// (lookups scan the site's visits).
pub(super) async fn with_person<T: Send + 'static>(
    m: &Member,
    site: &Site,
    who: &Identifier,
    then: impl FnOnce(&Store, &Keys, &Site, &PersonKeys) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, DashError> {
    let st = m.state();
    let (store, keys, site, who) = (
        st.store.clone(),
        st.auth.keys.clone(),
        site.clone(),
        who.clone(),
    );
    web::block(move || -> Result<T, DashError> {
        let k = subject::resolve(&store, &keys, &site, &who)?;
        Ok(then(&store, &keys, &site, &k)?)
    })
    .await?
}

/// Finds the person's rows.
async fn find(
    m: &Member,
    site: &Site,
    who: &Identifier,
) -> Result<(PersonKeys, PersonData), DashError> {
    with_person(m, site, who, |store, _, site, k| {
        Ok((k.clone(), store.person_data(site.id, k)?))
    })
    .await
}

pub(super) fn parse_who(f: &PersonInput) -> Result<Identifier, String> {
    Identifier::parse(f.kind.trim(), &f.value)
}

/// `POST /sites/{domain}/privacy/lookup`: shows what is held. A lookup is
/// audited but is not a request: it completes an access request only when
/// one is chosen or "log this lookup as an access request" is ticked.
async fn lookup(
    m: Member,
    domain: web::Path<String>,
    Posted(f): Posted<PersonInput>,
) -> Result<HttpResponse, DashError> {
    let site = site_for(&m, &domain)?;
    let filter = ConsentFilter::default();
    let who = match parse_who(&f) {
        Ok(w) => w,
        Err(e) => {
            let mut o = plain(StatusCode::BAD_REQUEST);
            o.error = Some(&e);
            return render(&m, &site, &filter, o);
        }
    };
    let (_, data) = find(&m, &site, &who).await?;
    let as_request = !f.request.trim().is_empty() || !f.log.trim().is_empty();
    let logged = if as_request {
        let r = complete(
            &m,
            &site,
            RequestKind::Access,
            &who,
            &f.request,
            &counts_of(&data),
        )?;
        format!(", completing access request #{}", r.id)
    } else {
        String::new()
    };
    m.state().auth.audit(
        &[site.workspace],
        Some(m.user.login.user.id),
        "subject_lookup",
        &format!("{}: looked up by {}{logged}", site.domain, who.kind()),
        m.state().clock.now_ms(),
    )?;
    let view = m.state().store.read()?;
    let mut visits = Vec::new();
    for (key, rec) in &data.sessions {
        let mut pages = Vec::new();
        for e in rec.events.iter().filter(|e| e.pageview) {
            pages.push(view.string(e.path)?);
        }
        visits.push((fmt_local(key.start_ms, site.timezone), pages));
    }
    let found = Found {
        kind: f.kind.trim(),
        value: f.value.trim(),
        counts: subject::summary(&data).to_vec(),
        visits,
    };
    let notice = format!("Looked up{logged}.");
    let mut o = plain(StatusCode::OK);
    o.found = Some(found);
    o.notice = as_request.then_some(notice.as_str());
    render(&m, &site, &filter, o)
}

/// `POST /sites/{domain}/privacy/export`: the person's data as a JSON download.
async fn export(
    m: Member,
    domain: web::Path<String>,
    Posted(f): Posted<PersonInput>,
) -> Result<HttpResponse, DashError> {
    let site = site_for(&m, &domain)?;
    let who = parse_who(&f).map_err(DashError::BadRequest)?;
    let (_, data) = find(&m, &site, &who).await?;
    let st = m.state();
    let mut doc = subject::export(&st.store, &site, &who, &data, st.clock.now_ms())?;
    super::attached::add_to_export(&mut doc, &data, &st.auth.keys);
    let r = complete(
        &m,
        &site,
        RequestKind::Export,
        &who,
        &f.request,
        &counts_of(&data),
    )?;
    st.auth.audit(
        &[site.workspace],
        Some(m.user.login.user.id),
        "subject_export",
        &format!("{}: request #{} ({})", site.domain, r.id, who.kind()),
        st.clock.now_ms(),
    )?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"touchpoint-{}-request-{}.json\"",
                site.domain, r.id
            ),
        ))
        .body(serde_json::to_string_pretty(&doc).unwrap_or_default()))
}

/// `POST /sites/{domain}/privacy/erase`: deletes every row tied to the person
/// in one transaction; the receipt goes to the audit log without identifiers.
async fn erase(
    m: Member,
    domain: web::Path<String>,
    Posted(f): Posted<PersonInput>,
) -> Result<HttpResponse, DashError> {
    let site = site_for(&m, &domain)?;
    let filter = ConsentFilter::default();
    let who = match parse_who(&f) {
        Ok(w) if f.confirm.trim() == "erase" => w,
        Ok(_) => {
            let mut o = plain(StatusCode::BAD_REQUEST);
            o.error = Some("type erase to confirm; nothing was deleted");
            return render(&m, &site, &filter, o);
        }
        Err(e) => return Err(DashError::BadRequest(e)),
    };
    let st = m.state();
    let rows = with_person(&m, &site, &who, |store, _, site, k| {
        store.erase_person(site.id, k)
    })
    .await?;
    let r = complete(&m, &site, RequestKind::Erasure, &who, &f.request, &rows)?;
    let receipt = serde_json::json!({
        "request": r.id,
        "site": site.domain.as_str(),
        "at": crate::dashboard::views::fmt_time(r.completed_ms.unwrap_or_default()),
        "by": m.user.login.user.id.0,
        "rows": r.rows,
    })
    .to_string();
    st.auth.audit(
        &[site.workspace],
        Some(m.user.login.user.id),
        "subject_erasure",
        &receipt,
        st.clock.now_ms(),
    )?;
    let notice = format!(
        "Erased. Receipt for request #{}: {} deleted ({}).",
        r.id,
        count(r.rows.values().sum::<u64>(), "row", "rows"),
        v::receipt_rows(&r.rows)
    );
    let mut o = plain(StatusCode::OK);
    o.notice = Some(&notice);
    render(&m, &site, &filter, o)
}
