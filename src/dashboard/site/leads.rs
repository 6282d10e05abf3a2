//! Leads: the list and a lead's profile (journey, conversions, revenue).
//! Emails are shown only to roles that may see personal data, and every
//! showing is recorded in the audit log.

use actix_web::{HttpResponse, http::StatusCode, web};

use crate::domain::money::{Revenues, code_str, parse_code};
use crate::{
    attribution::{
        lead_facts::{lead_occurrences, leads_touching, occurrences},
        scoring::{Score, score},
    },
    dashboard::{
        DashError, html_page,
        views::{
            layout::UserBar,
            leads::{self as v, LeadProfile, LeadRow, Touchpoint},
        },
        web::{Member, require},
    },
    privacy::{
        aad,
        subject::{self, Identifier},
    },
    stats::{query::Dimension, values::Texts, values::visit_raw},
    store::{Conversion, Lead, Site},
};

/// Routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/sites/{domain}/leads", web::get().to(list))
        .route("/sites/{domain}/leads/{id}", web::get().to(profile));
}

/// The lead's email, when held and the caller may see it.
fn email_of(m: &Member, lead: &Lead, may_see: bool) -> Option<String> {
    if !may_see {
        return None;
    }
    let sealed = hex::decode(lead.email_sealed.as_deref()?).ok()?;
    let plain = m
        .state()
        .auth
        .keys
        .open(&aad::lead_email(&lead.id), &sealed)
        .ok()?;
    String::from_utf8(plain).ok()
}

/// Revenue of `cs` per currency, as text (`29.50 EUR + 5.00 USD`; empty for none).
fn revenue(cs: &[&Conversion]) -> String {
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

fn audit_pii(m: &Member, site: &Site, shown: usize, what: &str) -> Result<(), DashError> {
    if shown > 0 {
        let st = m.state();
        st.auth.audit(
            &[site.workspace],
            Some(m.user.login.user.id),
            "lead_pii_viewed",
            &format!("{}: {shown} email(s) shown on {what}", site.domain),
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
    web::block(move || -> Result<_, DashError> {
        let occ = lead_occurrences(&store, &keys, &s2, &l2)
            .map_err(|e| DashError::Internal(e.to_string()))?;
        Ok(occ
            .iter()
            .map(|o| Some(score(&s2.scoring, o, now)))
            .collect())
    })
    .await?
}

#[derive(serde::Deserialize, Default)]
struct ListParams {
    /// With `value`: only leads with a visit whose dimension reads `value`.
    #[serde(default)]
    dimension: String,
    #[serde(default)]
    value: String,
}

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
            let keep =
                web::block(move || leads_touching(&store, &keys, &s2, &l2, &d, &v)).await??;
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
    let conversions = st.store.conversions(site.id, 0, u64::MAX)?;
    let scores = scores(&m, &site, &leads).await?;
    let mut by_lead: std::collections::HashMap<&str, Vec<&Conversion>> =
        std::collections::HashMap::new();
    for c in &conversions {
        by_lead.entry(c.lead.as_str()).or_default().push(c);
    }
    let mut rows: Vec<LeadRow> = leads
        .iter()
        .zip(scores)
        .map(|(l, score)| {
            let mine = by_lead.remove(l.id.as_str()).unwrap_or_default();
            LeadRow {
                id: l.id.clone(),
                email: email_of(&m, l, role.can_see_pii()),
                first_ms: l.first_ms,
                last_ms: l.last_ms,
                conversions: mine.len(),
                revenue: revenue(&mine),
                identified: !l.subjects.is_empty(),
                score,
            }
        })
        .collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.last_ms));
    audit_pii(
        &m,
        &site,
        rows.iter().filter(|r| r.email.is_some()).count(),
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
            narrowed.as_deref(),
        ),
    ))
}

/// `GET /sites/{domain}/leads/{id}`
async fn profile(m: Member, path: web::Path<(String, String)>) -> Result<HttpResponse, DashError> {
    let (site, role) = m.site(&path.0)?;
    require(role.can_see_pii())?;
    let st = m.state();
    let id = hex::decode(&path.1)
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .ok_or(DashError::NotFound)?;
    let lead = st.store.lead(site.id, &id)?.ok_or(DashError::NotFound)?;
    let (store, keys, s2) = (st.store.clone(), st.auth.keys.clone(), site.clone());
    let data = web::block(move || -> Result<_, DashError> {
        let k = subject::resolve(&store, &keys, &s2, &Identifier::Lead(id))?;
        Ok(store.person_data(s2.id, &k)?)
    })
    .await??;
    let view = st.store.read()?;
    let texts = Texts::new(&view);
    let mut journey = Vec::new();
    for (key, rec) in &data.sessions {
        let t = |d: &Dimension| texts.text(d, visit_raw(d, rec));
        journey.push(Touchpoint {
            at_ms: key.start_ms,
            channel: t(&Dimension::Channel)?,
            source: t(&Dimension::Source)?,
            campaign: t(&Dimension::Utm(2))?,
            landing: t(&Dimension::EntryPage)?,
            pageviews: rec.pageviews(),
        });
    }
    journey.sort_by_key(|t| t.at_ms);
    // Another lead sharing a browser is not this person: only their own conversions.
    let conversions: Vec<&Conversion> = data
        .conversions
        .iter()
        .filter(|c| c.lead == lead.id)
        .collect();
    let email = email_of(&m, &lead, role.can_see_pii());
    st.auth.audit(
        &[site.workspace],
        Some(m.user.login.user.id),
        "lead_viewed",
        &format!("{}: lead {}", site.domain, &lead.id[..12]),
        st.clock.now_ms(),
    )?;
    audit_pii(&m, &site, usize::from(email.is_some()), "a lead profile")?;
    // Scored from the visits already read for the journey.
    let lead_score = if site.scoring.rules.is_empty() {
        None
    } else {
        let mut occ = Vec::new();
        for (key, rec) in &data.sessions {
            occ.extend(occurrences(&texts, key.start_ms, rec)?);
        }
        occ.sort_by_key(|o| o.at_ms);
        Some(score(&site.scoring, &occ, st.clock.now_ms()))
    };
    let page = LeadProfile {
        site: &site,
        role,
        id: &lead.id,
        email: email.as_deref(),
        may_see_pii: role.can_see_pii(),
        first_ms: lead.first_ms,
        journey: &journey,
        conversions: &conversions,
        revenue: revenue(&conversions),
        score: lead_score,
    };
    let me = st.auth.email_of(&m.user.login.user);
    Ok(html_page(
        StatusCode::OK,
        &v::profile(
            UserBar {
                email: &me,
                csrf: m.user.csrf(),
            },
            &page,
        ),
    ))
}
