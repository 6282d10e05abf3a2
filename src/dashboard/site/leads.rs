//! Leads: the list (and the helpers the profile in `lead_profile` shares).
//! Emails and attached names are shown only to roles that may see personal
//! data, and every showing is recorded in the audit log.

use actix_web::{HttpResponse, http::StatusCode, web};

use crate::domain::money::{Revenues, code_str, parse_code};
use crate::{
    attribution::{
        lead_facts::{lead_occurrences, leads_touching},
        scoring::{Score, Scorer},
    },
    dashboard::{
        DashError, html_page,
        views::{
            layout::UserBar,
            leads::{self as v, LeadRow},
            words::count,
        },
        web::{Member, require},
    },
    privacy::{self, aad},
    stats::query::Dimension,
    store::{Conversion, Lead, Site},
};

/// Routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/sites/{domain}/leads", web::get().to(list))
        // Before `{id}`, which would take "find" for an id.
        .route("/sites/{domain}/leads/find", web::get().to(find))
        .route(
            "/sites/{domain}/leads/{id}",
            web::get().to(super::lead_profile::profile),
        )
        .route(
            "/sites/{domain}/leads/{id}/contact",
            web::post().to(super::lead_profile::attach),
        );
}

/// A sealed field of a lead in clear, when held and the caller may see it.
fn open_field(m: &Member, sealed: Option<&str>, aad: &[u8], may_see: bool) -> Option<String> {
    if !may_see {
        return None;
    }
    let sealed = hex::decode(sealed?).ok()?;
    let plain = m.state().auth.keys.open(aad, &sealed).ok()?;
    String::from_utf8(plain).ok()
}

/// The lead's email, when held and the caller may see it.
pub(super) fn email_of(m: &Member, lead: &Lead, may_see: bool) -> Option<String> {
    open_field(
        m,
        lead.email_sealed.as_deref(),
        &aad::lead_email(&lead.id),
        may_see,
    )
}

/// The name an admin attached to the lead, when the caller may see it.
pub(super) fn name_of(m: &Member, lead: &Lead, may_see: bool) -> Option<String> {
    open_field(
        m,
        lead.name_sealed.as_deref(),
        &aad::lead_name(&lead.id),
        may_see,
    )
}

/// Revenue of `cs` per currency, as text (`29.50 EUR + 5.00 USD`; empty for none).
pub(super) fn revenue(cs: &[&Conversion]) -> String {
    let mut by = Revenues::default();
    for c in cs {
        if let Some(code) = c.currency.as_deref().and_then(parse_code)
            && c.net_micros() != 0
        {
            by.add(code, c.net_micros(), 1);
        }
    }
    #[allow(clippy::cast_precision_loss)]
    by.iter()
        .map(|&(c, micros, _)| format!("{:.2} {}", micros as f64 / 1e6, code_str(c)))
        .collect::<Vec<_>>()
        .join(" + ")
}

/// Audits personal data shown (`shown` names and emails) on `what`.
pub(super) fn audit_pii(
    m: &Member,
    site: &Site,
    shown: usize,
    what: &str,
) -> Result<(), DashError> {
    if shown > 0 {
        let st = m.state();
        st.auth.audit(
            &[site.workspace],
            Some(m.user.login.user.id),
            "lead_pii_viewed",
            &format!(
                "{}: {} shown on {what}",
                site.domain,
                count(shown, "email or name", "emails or names")
            ),
            st.clock.now_ms(),
        )?;
    }
    Ok(())
}

/// Each lead's score, when the site has scoring rules.
async fn scores(m: &Member, site: &Site, leads: &[Lead]) -> Result<Vec<Option<Score>>, DashError> {
    if site.scoring.rules.is_empty() {
        return Ok(vec![None; leads.len()]);
    }
    let st = m.state();
    let (store, keys, s2, l2, now) = (
        st.store.clone(),
        st.auth.keys.clone(),
        site.clone(),
        leads.to_vec(),
        st.clock.now_ms(),
    );
    let turn = crate::stats::gate::turn(&store).await;
    web::block(move || -> Result<_, DashError> {
        let _turn = turn.enter(&store);
        let occ = lead_occurrences(&store, &keys, &s2, &l2)
            .map_err(|e| DashError::Internal(e.to_string()))?;
        let scorer = Scorer::new(&s2.scoring);
        Ok(occ.iter().map(|o| Some(scorer.score(o, now))).collect())
    })
    .await?
}

#[derive(serde::Deserialize, Default)]
struct FindParams {
    #[serde(default)]
    email: String,
}

/// `GET /sites/{domain}/leads/find?email=…`: the lead of an email address,
/// by its keyed index (the lead's id), without opening anyone's sealed
/// email; back to the list with a notice when there is none.
async fn find(
    req: actix_web::HttpRequest,
    m: Member,
    domain: web::Path<String>,
) -> Result<HttpResponse, DashError> {
    let (site, role) = m.site(&domain)?;
    require(role.can_see_pii())?;
    let p = crate::dashboard::web::query_params::<FindParams>(&req);
    let email = p.email.trim();
    let st = m.state();
    let index = (!email.is_empty())
        .then(|| privacy::ids::lead_email_index(&st.auth.keys, &privacy::ids::email_digest(email)));
    let found = match index
        .as_deref()
        .and_then(|i| crate::attribution::leads::lead_id(Some(i), None))
    {
        Some(id) => st.store.lead(site.id, &id)?.and(index),
        None => None,
    };
    let to = match found {
        Some(id) => format!("/sites/{}/leads/{id}", site.domain),
        None => format!("/sites/{}/leads?missing=1", site.domain),
    };
    Ok(crate::dashboard::error::see_other(&to))
}

#[derive(serde::Deserialize, Default)]
struct ListParams {
    /// With `value`: only leads with a visit whose dimension reads `value`.
    #[serde(default)]
    dimension: String,
    #[serde(default)]
    value: String,
    /// Page, from 1.
    #[serde(default)]
    page: usize,
    /// Set after a search that found no lead.
    #[serde(default)]
    missing: u8,
}

/// Leads per page of the list.
pub const LEADS_PER_PAGE: usize = 100;

/// `GET /sites/{domain}/leads` (`?dimension=visit:utm_campaign&value=spring`
/// narrows it to the leads behind an attribution row).
async fn list(
    req: actix_web::HttpRequest,
    m: Member,
    domain: web::Path<String>,
) -> Result<HttpResponse, DashError> {
    let (site, role) = m.site(&domain)?;
    // Leads are people: analysts and up.
    require(role.can_see_pii())?;
    let st = m.state();
    let mut leads = st.store.leads(site.id)?;
    let p = crate::dashboard::web::query_params::<ListParams>(&req);
    let narrowed = match Dimension::parse(&p.dimension).filter(crate::attribution::report::supports)
    {
        Some(d) if !p.value.is_empty() => {
            let (store, keys, s2, l2, v) = (
                st.store.clone(),
                st.auth.keys.clone(),
                site.clone(),
                leads.clone(),
                p.value.clone(),
            );
            let turn = crate::stats::gate::turn(&store).await;
            let keep = web::block(move || {
                let _turn = turn.enter(&store);
                leads_touching(&store, &keys, &s2, &l2, &d, &v)
            })
            .await??;
            leads = leads
                .into_iter()
                .enumerate()
                .filter(|(i, _)| keep.contains(i))
                .map(|(_, l)| l)
                .collect();
            Some(p.value.clone())
        }
        _ => None,
    };
    // Most recent first, one page: only its leads are scored and only
    // their emails and names opened (and audited).
    leads.sort_by_key(|l| std::cmp::Reverse(l.last_ms));
    let paging = v::Paging::new(p.page, leads.len(), LEADS_PER_PAGE);
    let leads: Vec<Lead> = leads
        .into_iter()
        .skip((paging.page - 1) * LEADS_PER_PAGE)
        .take(LEADS_PER_PAGE)
        .collect();
    let conversions = st.store.conversions(site.id, 0, u64::MAX)?;
    let scores = scores(&m, &site, &leads).await?;
    let mut by_lead: std::collections::HashMap<&str, Vec<&Conversion>> =
        std::collections::HashMap::new();
    for c in &conversions {
        by_lead.entry(c.lead.as_str()).or_default().push(c);
    }
    let rows: Vec<LeadRow> = leads
        .iter()
        .zip(scores)
        .map(|(l, score)| {
            let mine = by_lead.remove(l.id.as_str()).unwrap_or_default();
            LeadRow {
                id: l.id.clone(),
                email: email_of(&m, l, role.can_see_pii()),
                name: name_of(&m, l, role.can_see_pii()),
                first_ms: l.first_ms,
                last_ms: l.last_ms,
                conversions: mine.len(),
                revenue: revenue(&mine),
                identified: !l.subjects.is_empty(),
                score,
            }
        })
        .collect();
    audit_pii(
        &m,
        &site,
        rows.iter()
            .map(|r| usize::from(r.email.is_some()) + usize::from(r.name.is_some()))
            .sum(),
        "the leads list",
    )?;
    let email = st.auth.email_of(&m.user.login.user);
    Ok(html_page(
        StatusCode::OK,
        &v::list(
            UserBar {
                email: &email,
                csrf: m.user.csrf(),
            },
            &site,
            role,
            &rows,
            narrowed
                .as_ref()
                .map(|v| (p.dimension.as_str(), v.as_str())),
            &paging,
            p.missing != 0,
        ),
    ))
}
