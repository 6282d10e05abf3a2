//! A lead's profile (`GET /sites/{domain}/leads/{id}`, analysts and up): who
//! they are as far as can be shown — how they were identified, first seen,
//! the source of their first visit, the form they came from, score — their
//! journey and conversions. Owners and admins attach a name and the email
//! they know (`POST /sites/{domain}/leads/{id}/contact`): the email must hash
//! to the lead's id; both are sealed, audited, and go with the lead in
//! exports and erasure.

use actix_web::{HttpResponse, http::StatusCode, web};
use serde::Deserialize;

use super::leads::{audit_pii, email_of, name_of, revenue};
use crate::{
    attribution::{lead_facts::occurrences, scoring::score},
    dashboard::{
        DashError, html_page,
        views::{
            layout::UserBar,
            leads::{self as v, Identified, LeadProfile, Touchpoint},
        },
        web::{Member, Posted, require},
    },
    privacy::{
        aad,
        ids::{email_digest, lead_email_index},
        subject::{self, Identifier},
    },
    stats::{
        query::Dimension,
        values::{Texts, visit_raw},
    },
    store::{Conversion, Lead, PersonData, Site},
};

/// Longest attached name.
const MAX_NAME: usize = 200;

fn lead_id(hex_id: &str) -> Result<[u8; 32], DashError> {
    hex::decode(hex_id)
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .ok_or(DashError::NotFound)
}

/// The `form` property of the lead's earliest `lead` event (the tracker's
/// form id, or `identify`).
fn form_of(texts: &Texts<'_>, data: &PersonData) -> Result<Option<String>, DashError> {
    let mut found: Option<(u64, String)> = None;
    for (key, rec) in &data.sessions {
        for e in rec.events.iter().filter(|e| !e.pageview) {
            let at = key.start_ms + u64::from(e.offset_ms);
            if found.as_ref().is_some_and(|(t, _)| *t <= at) || texts.string(e.name)? != "lead" {
                continue;
            }
            for (k, val) in &e.props {
                if texts.string(*k)? == "form" {
                    found = Some((at, texts.string(*val)?));
                }
            }
        }
    }
    Ok(found.map(|(_, f)| f))
}

/// Renders the profile of lead `hex_id`, with the outcome of an attach.
async fn render(
    m: &Member,
    domain: &str,
    hex_id: &str,
    status: StatusCode,
    error: Option<&str>,
) -> Result<HttpResponse, DashError> {
    let (site, role) = m.site(domain)?;
    require(role.can_see_pii())?;
    let st = m.state();
    let id = lead_id(hex_id)?;
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
    let email = email_of(m, &lead, role.can_see_pii());
    let name = name_of(m, &lead, role.can_see_pii());
    st.auth.audit(
        &[site.workspace],
        Some(m.user.login.user.id),
        "lead_viewed",
        &format!("{}: lead {}", site.domain, &lead.id[..12]),
        st.clock.now_ms(),
    )?;
    let shown = usize::from(email.is_some()) + usize::from(name.is_some());
    audit_pii(m, &site, shown, "a lead profile")?;
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
    let identified = match (&lead.email_sealed, lead.subjects.is_empty()) {
        (Some(_), _) => Identified::Plain,
        (None, false) => Identified::Browser,
        (None, true) => Identified::Digest,
    };
    let page = LeadProfile {
        site: &site,
        role,
        id: &lead.id,
        email: email.as_deref(),
        name: name.as_deref(),
        identified,
        may_see_pii: role.can_see_pii(),
        first_ms: lead.first_ms,
        form: form_of(&texts, &data)?,
        journey: &journey,
        conversions: &conversions,
        revenue: revenue(&conversions),
        score: lead_score,
        error,
    };
    let me = st.auth.email_of(&m.user.login.user);
    Ok(html_page(
        status,
        &v::profile(
            UserBar {
                email: &me,
                csrf: m.user.csrf(),
            },
            &page,
        ),
    ))
}

/// `GET /sites/{domain}/leads/{id}`
pub(super) async fn profile(
    m: Member,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, DashError> {
    render(&m, &path.0, &path.1, StatusCode::OK, None).await
}

#[derive(Deserialize)]
pub(super) struct ContactInput {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
}

/// Checks what was typed: a name of at most [`MAX_NAME`] characters and an
/// email whose keyed index is the lead's id (so it is this person's).
fn check(keys: &crate::privacy::Keys, lead: &Lead, name: &str, email: &str) -> Result<(), String> {
    if name.is_empty() && email.is_empty() {
        return Err("Enter the person's name, their email address, or both.".into());
    }
    if name.chars().count() > MAX_NAME {
        return Err(format!("A name has at most {MAX_NAME} characters."));
    }
    if email.is_empty() {
        return Ok(());
    }
    if !email.contains('@') || email.len() > 320 || email.chars().any(char::is_whitespace) {
        return Err(format!("{email:?} is not an email address."));
    }
    if lead_email_index(keys, &email_digest(email)) != lead.id {
        return Err(format!(
            "{email} is not this lead's address: this lead was identified by a different {} (its hash doesn't match), so the email was not attached. Check it for typos.",
            if lead.phone_index.as_deref() == Some(lead.id.as_str()) {
                "phone number"
            } else {
                "email address"
            }
        ));
    }
    Ok(())
}

fn sealed(keys: &crate::privacy::Keys, aad: &[u8], value: &str) -> Option<String> {
    (!value.is_empty()).then(|| hex::encode(keys.seal(aad, value.as_bytes())))
}

/// `POST /sites/{domain}/leads/{id}/contact` (owners and admins)
pub(super) async fn attach(
    m: Member,
    path: web::Path<(String, String)>,
    Posted(f): Posted<ContactInput>,
) -> Result<HttpResponse, DashError> {
    let (site, role) = m.site(&path.0)?;
    require(role.can_manage())?;
    let st = m.state();
    let id = lead_id(&path.1)?;
    let lead = st.store.lead(site.id, &id)?.ok_or(DashError::NotFound)?;
    let name = f.name.trim();
    let email = f.email.trim().to_lowercase();
    let keys = &st.auth.keys;
    if let Err(e) = check(keys, &lead, name, &email) {
        return render(&m, &path.0, &path.1, StatusCode::BAD_REQUEST, Some(&e)).await;
    }
    attach_sealed(&m, &site, &lead, name, &email)?;
    Err(DashError::Redirect(format!(
        "/sites/{}/leads/{}",
        site.domain, lead.id
    )))
}

/// Seals and stores what was checked, and audits it (without the values).
fn attach_sealed(
    m: &Member,
    site: &Site,
    lead: &Lead,
    name: &str,
    email: &str,
) -> Result<(), DashError> {
    let st = m.state();
    let keys = &st.auth.keys;
    let id = lead_id(&lead.id)?;
    st.store.attach_to_lead(
        site.id,
        &id,
        sealed(keys, &aad::lead_name(&lead.id), name),
        sealed(keys, &aad::lead_email(&lead.id), email),
    )?;
    let what = match (name.is_empty(), email.is_empty()) {
        (false, false) => "name and email",
        (false, true) => "name",
        _ => "email",
    };
    st.auth.audit(
        &[site.workspace],
        Some(m.user.login.user.id),
        "lead_contact_attached",
        &format!("{}: lead {}: {what} attached", site.domain, &lead.id[..12]),
        st.clock.now_ms(),
    )?;
    Ok(())
}
