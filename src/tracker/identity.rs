//! What the server keeps of an event's identity. A first-party id or lead
//! digests are used only for a site whose consent mode allows identifiers and
//! a visitor whose accept is on record; otherwise they are refused (and
//! named in `x-touchpoint-refused`). Consent decisions are logged as proof.

use crate::{
    attribution::leads::lead_id,
    domain::ConsentMode,
    ingest::{
        enrich::Enriched,
        identity::{Identity, Mechanism},
        visitor::VisitorHashes,
    },
    privacy::{
        Keys,
        ids::{consent_subject, lead_email_index, lead_phone_index, uid_visitor, visitor_subject},
    },
    store::{ConsentEntry, Site, Store, StoreError},
};

/// Header naming identifying fields the server did not keep.
pub const REFUSED_HEADER: &str = "x-touchpoint-refused";

/// What an event with identity comes to: `None` for a consent record (logged,
/// not counted), else its events (ids applied) and what was refused.
pub type Settled = Option<(Vec<Enriched>, Vec<&'static str>)>;

/// Logs a consent record, or applies an event's id and lead digests.
///
/// # Errors
/// Storage errors.
pub fn settle(
    store: &Store,
    keys: &Keys,
    identity: &Identity,
    sites: &[Site],
    mut events: Vec<Enriched>,
    is_consent: bool,
    now_ms: u64,
) -> Result<Settled, StoreError> {
    if is_consent {
        let pairs: Vec<_> = sites
            .iter()
            .filter_map(|s| {
                let e = events.iter().find(|e| e.site == s.id)?;
                Some((s, e.visitor.current))
            })
            .collect();
        record_consent(store, keys, identity, &pairs, now_ms)?;
        return Ok(None);
    }
    let refs: Vec<_> = sites.iter().collect();
    let refused = apply(store, keys, identity, &refs, &mut events, now_ms)?;
    Ok(Some((events, refused)))
}

/// Logs a consent decision for each site. Without a first-party id (a
/// decline), the subject is the day's visitor hash.
///
/// # Errors
/// Storage errors.
fn record_consent(
    store: &Store,
    keys: &Keys,
    identity: &Identity,
    sites: &[(&Site, u64)],
    now_ms: u64,
) -> Result<(), StoreError> {
    let Some(claim) = &identity.consent else {
        return Ok(());
    };
    for &(s, visitor) in sites {
        let site = s.id;
        // Logged in any case; an accept takes effect only on a site that asks
        // for consent, for its current policy, and never from a GPC/DNT signal.
        let grant = s.consent_mode != ConsentMode::Cookieless
            && claim.policy == s.policy_version
            && matches!(claim.mechanism, Mechanism::Banner | Mechanism::Api);
        let subject = match &identity.uid {
            Some(uid) => consent_subject(keys, site, uid),
            None => visitor_subject(keys, site, visitor),
        };
        store.record_consent(
            site,
            &subject,
            &ConsentEntry {
                at_ms: now_ms,
                subject: hex::encode(subject),
                decision: claim.decision,
                policy: claim.policy.clone(),
                mechanism: claim.mechanism,
            },
            grant,
        )?;
    }
    Ok(())
}

/// Applies the id and lead digests of `identity` to `events` (one per site):
/// a consenting visitor's events get a visitor id stable across days, and
/// their lead digests are kept as keyed indexes. Returns what was refused.
///
/// # Errors
/// Storage errors.
fn apply(
    store: &Store,
    keys: &Keys,
    identity: &Identity,
    sites: &[&Site],
    events: &mut [Enriched],
    now_ms: u64,
) -> Result<Vec<&'static str>, StoreError> {
    let mut refused = Vec::new();
    let Some(uid) = &identity.uid else {
        if identity.lead.is_some() {
            refused.push("lead");
        }
        return Ok(refused);
    };
    let mut all_allowed = true;
    for site in sites {
        let subj = consent_subject(keys, site.id, uid);
        if site.consent_mode == ConsentMode::Cookieless
            || !store.has_consent(site.id, &subj, &site.policy_version)?
        {
            all_allowed = false;
            continue;
        }
        let visitor = uid_visitor(keys, &subj);
        // A purchase of an identified visitor is their lead's.
        let lead = if events
            .iter()
            .any(|e| e.site == site.id && e.revenue.is_some())
        {
            store
                .lead_identity(site.id, &subj)?
                .and_then(|i| lead_id(i.email.as_deref(), i.phone.as_deref()))
                .map(hex::encode)
        } else {
            None
        };
        for e in events.iter_mut().filter(|e| e.site == site.id) {
            e.lead.clone_from(&lead);
            e.cookieless = Some(e.visitor);
            e.visitor = VisitorHashes {
                current: visitor,
                previous: None,
            };
        }
        if let Some(lead) = &identity.lead {
            let email = lead.email.as_deref().map(|d| lead_email_index(keys, d));
            let phone = lead.phone.as_deref().map(|d| lead_phone_index(keys, d));
            store.record_lead(site.id, &subj, email.clone(), phone.clone(), now_ms)?;
            let identified = crate::attribution::leads::identify(
                store,
                site.id,
                email.as_deref(),
                phone.as_deref(),
                Some(&subj),
                None,
                now_ms,
                "tracker",
            )?;
            // Purchases made before the visitor was identified become the lead's.
            if let Some((lead, _)) = identified {
                store.adopt_conversions(site.id, visitor, &lead.id)?;
            }
        }
    }
    if !all_allowed {
        refused.push("uid");
        if identity.lead.is_some() {
            refused.push("lead");
        }
    }
    Ok(refused)
}
