//! Leads (their conversions are in `conversions.rs`). A lead is keyed by the
//! keyed index of its email (or, without one, its phone) — the same index
//! whether the address came hashed from the browser or plain through the
//! conversions API — and links the consent subjects (first-party ids) whose
//! visits are its journey.

use redb::ReadableTable;
use serde::{Deserialize, Serialize};

use super::changes::Change;
use super::{
    Store, StoreError,
    rows::{from_json, to_json},
    tables::{CONVERSIONS, LEADS},
};
use crate::domain::{SiteId, webhook::WebhookEvent};

/// A known person on a site.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Lead {
    /// Its id: the keyed index of its email (or phone), hex.
    pub id: String,
    /// Keyed index of the phone, when known (hex).
    pub phone_index: Option<String>,
    /// The email, sealed (hex), when it arrived in plain text (API, Stripe)
    /// or a site admin attached it (checked against the lead's id).
    pub email_sealed: Option<String>,
    /// A name a site admin attached, sealed (hex).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_sealed: Option<String>,
    /// Consent subjects (hex) whose visits belong to it.
    pub subjects: Vec<String>,
    /// First seen, unix ms.
    pub first_ms: u64,
    /// Last seen, unix ms.
    pub last_ms: u64,
    /// When its score first reached the site's threshold, once announced
    /// (`lead.qualified`), unix ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qualified_ms: Option<u64>,
}

/// What a conversion is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConversionKind {
    /// A new lead (its first appearance).
    Lead,
    /// A purchase (revenue).
    Purchase,
    /// Anything else the site counts.
    Custom,
}

impl ConversionKind {
    /// Parses the API's `type`.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "lead" => Some(Self::Lead),
            "purchase" => Some(Self::Purchase),
            "custom" => Some(Self::Custom),
            _ => None,
        }
    }
}

/// One conversion of a lead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversion {
    /// The lead (its id, hex).
    pub lead: String,
    /// What it is.
    pub kind: ConversionKind,
    /// When it happened, unix ms.
    pub at_ms: u64,
    /// Revenue in millionths (negative for a refund), 0 when none.
    pub value_micros: i64,
    /// ISO 4217 currency of the value.
    pub currency: Option<String>,
    /// The order it belongs to (idempotency key), when given.
    pub order_id: Option<String>,
    /// Where it came from: `tracker`, `api` or `stripe`.
    pub source: String,
    /// Refunded so far, in millionths (revenue is `value − refunded`).
    #[serde(default)]
    pub refunded_micros: i64,
    /// The visitor id whose visit it happened in (tracker purchases): a
    /// conversion with no lead yet (`lead` empty) is credited to that
    /// visitor's journey — one day's visits for a cookieless visitor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visitor: Option<u64>,
}

impl Conversion {
    /// Revenue net of refunds, in millionths.
    #[must_use]
    pub fn net_micros(&self) -> i64 {
        self.value_micros.saturating_sub(self.refunded_micros)
    }
}

/// The lead row of `id` in an open `leads_v1`.
pub(super) fn read_lead(
    t: &impl ReadableTable<(u32, &'static [u8]), &'static [u8]>,
    site: SiteId,
    id: &[u8; 32],
) -> Result<Option<Lead>, StoreError> {
    t.get((site.0, id.as_slice()))?
        .map(|v| from_json(v.value(), "lead row"))
        .transpose()
}

impl Store {
    /// Creates or updates a lead, linking `subject` and adding what is new;
    /// returns it and whether it is new.
    ///
    /// # Errors
    /// Storage errors.
    pub fn upsert_lead(
        &self,
        site: SiteId,
        id: &[u8; 32],
        subject: Option<&[u8; 32]>,
        phone_index: Option<String>,
        email_sealed: Option<String>,
        now_ms: u64,
    ) -> Result<(Lead, bool), StoreError> {
        let tx = self.db.begin_write()?;
        let out = {
            let mut t = tx.open_table(LEADS)?;
            let key = (site.0, id.as_slice());
            let existing: Option<Lead> = t
                .get(key)?
                .map(|v| from_json(v.value(), "lead row"))
                .transpose()?;
            let is_new = existing.is_none();
            let mut lead = existing.unwrap_or_else(|| Lead {
                id: hex::encode(id),
                first_ms: now_ms,
                ..Lead::default()
            });
            if let Some(s) = subject.map(hex::encode)
                && !lead.subjects.contains(&s)
            {
                lead.subjects.push(s);
            }
            let gains = (phone_index.is_some() && lead.phone_index.is_none())
                || (email_sealed.is_some() && lead.email_sealed.is_none());
            lead.phone_index = phone_index.or(lead.phone_index);
            lead.email_sealed = email_sealed.or(lead.email_sealed);
            lead.last_ms = lead.last_ms.max(now_ms);
            t.insert(key, to_json(&lead)?.as_slice())?;
            let event = if is_new {
                Some(WebhookEvent::LeadCreated)
            } else {
                gains.then_some(WebhookEvent::LeadIdentified)
            };
            if let Some(event) = event {
                super::changes::record(
                    &tx,
                    &Change {
                        site: site.0,
                        event,
                        at_ms: now_ms,
                        lead: lead.id.clone(),
                        conversion: None,
                    },
                )?;
            }
            (lead, is_new)
        };
        tx.commit()?;
        Ok(out)
    }

    /// A lead by id.
    ///
    /// # Errors
    /// Storage errors.
    pub fn lead(&self, site: SiteId, id: &[u8; 32]) -> Result<Option<Lead>, StoreError> {
        let tx = self.db.begin_read()?;
        let t = tx.open_table(LEADS)?;
        t.get((site.0, id.as_slice()))?
            .map(|v| from_json(v.value(), "lead row"))
            .transpose()
    }

    /// Every lead of a site.
    ///
    /// # Errors
    /// Storage errors.
    pub fn leads(&self, site: SiteId) -> Result<Vec<Lead>, StoreError> {
        let tx = self.db.begin_read()?;
        let t = tx.open_table(LEADS)?;
        let mut out = Vec::new();
        for row in t.range((site.0, &[][..])..(site.0 + 1, &[][..]))? {
            out.push(from_json(row?.1.value(), "lead row")?);
        }
        Ok(out)
    }

    /// Notes that a lead qualified at `at_ms` and records `lead.qualified`,
    /// once: false when it was already noted or the lead is gone.
    ///
    /// # Errors
    /// Storage errors.
    pub fn mark_qualified(
        &self,
        site: SiteId,
        id: &[u8; 32],
        at_ms: u64,
    ) -> Result<bool, StoreError> {
        let tx = self.db.begin_write()?;
        let marked = {
            let mut t = tx.open_table(LEADS)?;
            let key = (site.0, id.as_slice());
            match read_lead(&t, site, id)? {
                Some(mut lead) if lead.qualified_ms.is_none() => {
                    lead.qualified_ms = Some(at_ms);
                    t.insert(key, to_json(&lead)?.as_slice())?;
                    super::changes::record(
                        &tx,
                        &Change {
                            site: site.0,
                            event: WebhookEvent::LeadQualified,
                            at_ms,
                            lead: lead.id.clone(),
                            conversion: None,
                        },
                    )?;
                    true
                }
                _ => false,
            }
        };
        tx.commit()?;
        Ok(marked)
    }

    /// Corrects a lead's identifiers (a rectification): a new email moves
    /// the lead (and its conversions) to the new email's id, merging with a
    /// lead already there; a new phone index replaces the kept one. Returns
    /// whether the lead existed.
    ///
    /// # Errors
    /// Storage errors.
    pub fn rectify_lead_record(
        &self,
        site: SiteId,
        id: &[u8; 32],
        new_id: Option<&[u8; 32]>,
        phone_index: Option<String>,
    ) -> Result<bool, StoreError> {
        let tx = self.db.begin_write()?;
        let found = {
            let mut t = tx.open_table(LEADS)?;
            let old: Option<Lead> = t
                .remove((site.0, id.as_slice()))?
                .map(|v| from_json(v.value(), "lead row"))
                .transpose()?;
            match old {
                None => false,
                Some(mut lead) => {
                    let target = new_id.unwrap_or(id);
                    let old_hex = lead.id.clone();
                    lead.id = hex::encode(target);
                    lead.phone_index = phone_index.or(lead.phone_index);
                    if let Some(v) = t.get((site.0, target.as_slice()))? {
                        let there: Lead = from_json(v.value(), "lead row")?;
                        for s in there.subjects {
                            if !lead.subjects.contains(&s) {
                                lead.subjects.push(s);
                            }
                        }
                        lead.first_ms = lead.first_ms.min(there.first_ms);
                        lead.last_ms = lead.last_ms.max(there.last_ms);
                    }
                    // A sealed plain address belongs to the old email, and a
                    // sealed name is bound to the old id: both dropped (the
                    // caller may seal the name again under the new id).
                    if new_id.is_some() {
                        lead.email_sealed = None;
                        lead.name_sealed = None;
                    }
                    t.insert((site.0, target.as_slice()), to_json(&lead)?.as_slice())?;
                    if lead.id != old_hex {
                        let mut conv = tx.open_table(CONVERSIONS)?;
                        let moved: Vec<((u32, u64, u64), Conversion)> = conv
                            .range((site.0, 0, 0)..=(site.0, u64::MAX, u64::MAX))?
                            .filter_map(|r| {
                                let (k, v) = r.ok()?;
                                let c: Conversion = from_json(v.value(), "conversion row").ok()?;
                                (c.lead == old_hex).then(|| (k.value(), c))
                            })
                            .collect();
                        for (k, mut c) in moved {
                            c.lead.clone_from(&lead.id);
                            conv.insert(k, to_json(&c)?.as_slice())?;
                        }
                        // What webhooks would still send carries the old
                        // address: it goes with it.
                        drop(conv);
                        super::changes::forget_lead(&tx, site, &old_hex)?;
                        super::webhook_outbox::forget_lead(&tx, site, &old_hex)?;
                    }
                    true
                }
            }
        };
        tx.commit()?;
        Ok(found)
    }
}
