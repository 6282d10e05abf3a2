//! `lead.qualified`: a lead's score (the site's scoring rules over its
//! visits, see `attribution::scoring`) first reaching the threshold. Scores
//! change with visits, not only with leads' changes, so they are computed
//! here, for sites with an endpoint subscribed to the event, at most once a
//! minute per site (one scan of the site's visits each time); a lead is
//! announced once (`Lead::qualified_ms`).

use std::{collections::HashMap, sync::Mutex};

use crate::{
    attribution::{lead_facts::lead_occurrences, report::ReportError, scoring::Scorer},
    domain::webhook::WebhookEvent,
    privacy::Keys,
    store::{Store, StoreError},
};

/// How often a site's leads are scored, unix ms.
pub const EVERY_MS: u64 = 60_000;

/// When each site was last scored.
#[derive(Debug, Default)]
pub struct Qualifier {
    last: Mutex<HashMap<u32, u64>>,
}

impl Qualifier {
    /// Scores the leads of the sites that want `lead.qualified` and are due,
    /// recording the event for each newly qualified lead; answers how many.
    ///
    /// # Errors
    /// Storage errors.
    pub fn run(&self, store: &Store, keys: &Keys, now_ms: u64) -> Result<usize, StoreError> {
        let mut sites: Vec<u32> = store
            .webhooks(None)?
            .into_iter()
            .filter(|(_, e)| {
                e.disabled.is_none() && e.events.contains(&WebhookEvent::LeadQualified)
            })
            .map(|(s, _)| s.0)
            .collect();
        sites.dedup();
        let mut n = 0;
        for id in sites {
            {
                let mut last = self
                    .last
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if last.get(&id).is_some_and(|t| now_ms < t + EVERY_MS) {
                    continue;
                }
                last.insert(id, now_ms);
            }
            let Some(site) = store
                .read()?
                .site(crate::domain::SiteId(id))?
                .filter(|s| s.deleted_ms.is_none())
            else {
                continue;
            };
            if site.scoring.rules.is_empty() || site.scoring.threshold <= 0 {
                continue;
            }
            let leads: Vec<_> = store
                .leads(site.id)?
                .into_iter()
                .filter(|l| l.qualified_ms.is_none())
                .collect();
            if leads.is_empty() {
                continue;
            }
            let occ = lead_occurrences(store, keys, &site, &leads).map_err(|e| match e {
                ReportError::Store(s) => s,
                ReportError::Invalid(_) => StoreError::Stopped("scoring"),
            })?;
            let scorer = Scorer::new(&site.scoring);
            for (lead, o) in leads.iter().zip(&occ) {
                let Some(at) = scorer.score(o, now_ms).qualified_at_ms else {
                    continue;
                };
                let Some(lead_id) = hex::decode(&lead.id)
                    .ok()
                    .and_then(|b| <[u8; 32]>::try_from(b).ok())
                else {
                    continue;
                };
                n += usize::from(store.mark_qualified(site.id, &lead_id, at)?);
            }
        }
        Ok(n)
    }
}
