//! Consent decisions and what a consenting visitor's identifiers map to.
//! Subjects and identifiers arrive as keyed hashes made by `privacy`; no
//! first-party id, email or phone digest is stored as sent.

use redb::ReadableTable;
use serde::{Deserialize, Serialize};

use super::{
    Store, StoreError, read_counter,
    rows::{from_json, to_json},
    tables::{CONSENTED, CONSENTS, IDENTITIES, META, NEXT_CONSENT_SEQ},
};
use crate::domain::{Decision, Mechanism, SiteId};

/// One recorded decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentEntry {
    /// Unix ms.
    pub at_ms: u64,
    /// Keyed hash (hex) of the first-party id, or of the day's visitor hash.
    pub subject: String,
    /// Accept or decline.
    pub decision: Decision,
    /// Policy version shown.
    pub policy: String,
    /// Banner, API, GPC or DNT.
    pub mechanism: Mechanism,
}

/// A consenting visitor's lead identifiers (keyed indexes, hex).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct LeadIdentity {
    /// Index of the email digest.
    pub email: Option<String>,
    /// Index of the phone digest.
    pub phone: Option<String>,
    /// First seen, unix ms.
    pub first_ms: u64,
    /// Last seen, unix ms.
    pub last_ms: u64,
}

impl Store {
    /// Logs a decision; an accept with `grant` sets the subject's consent (for
    /// the entry's policy version), a decline clears it.
    ///
    /// # Errors
    /// Storage errors.
    pub fn record_consent(
        &self,
        site: SiteId,
        subject: &[u8; 32],
        entry: &ConsentEntry,
        grant: bool,
    ) -> Result<(), StoreError> {
        let tx = self.db.begin_write()?;
        {
            let mut meta = tx.open_table(META)?;
            let seq = read_counter(&meta, NEXT_CONSENT_SEQ)?;
            meta.insert(NEXT_CONSENT_SEQ, (seq + 1).to_be_bytes().as_slice())?;
            tx.open_table(CONSENTS)?
                .insert((site.0, entry.at_ms, seq), to_json(entry)?.as_slice())?;
            let mut consented = tx.open_table(CONSENTED)?;
            match entry.decision {
                Decision::Accept if grant => {
                    consented.insert((site.0, subject.as_slice()), entry.policy.as_str())?;
                }
                Decision::Accept => {}
                Decision::Decline => {
                    consented.remove((site.0, subject.as_slice()))?;
                    // Declining withdraws any identifiers given under consent.
                    tx.open_table(IDENTITIES)?
                        .remove((site.0, subject.as_slice()))?;
                }
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Whether the subject accepted this policy version.
    ///
    /// # Errors
    /// Storage errors.
    pub fn has_consent(
        &self,
        site: SiteId,
        subject: &[u8; 32],
        policy: &str,
    ) -> Result<bool, StoreError> {
        let tx = self.db.begin_read()?;
        let t = tx.open_table(CONSENTED)?;
        Ok(t.get((site.0, subject.as_slice()))?
            .is_some_and(|v| v.value() == policy))
    }

    /// A site's consent log, oldest first.
    ///
    /// # Errors
    /// Storage errors.
    pub fn consent_log(&self, site: SiteId) -> Result<Vec<ConsentEntry>, StoreError> {
        let tx = self.db.begin_read()?;
        let t = tx.open_table(CONSENTS)?;
        let mut out = Vec::new();
        for row in t.range((site.0, 0, 0)..=(site.0, u64::MAX, u64::MAX))? {
            out.push(from_json(row?.1.value(), "consent row")?);
        }
        Ok(out)
    }

    /// Adds a consenting visitor's lead identifiers (keeping earlier ones).
    ///
    /// # Errors
    /// Storage errors.
    pub fn record_lead(
        &self,
        site: SiteId,
        subject: &[u8; 32],
        email: Option<String>,
        phone: Option<String>,
        now_ms: u64,
    ) -> Result<(), StoreError> {
        let tx = self.db.begin_write()?;
        {
            let mut t = tx.open_table(IDENTITIES)?;
            let key = (site.0, subject.as_slice());
            let mut id: LeadIdentity = match t.get(key)? {
                Some(v) => from_json(v.value(), "identity row")?,
                None => LeadIdentity {
                    first_ms: now_ms,
                    ..LeadIdentity::default()
                },
            };
            id.email = email.or(id.email);
            id.phone = phone.or(id.phone);
            id.last_ms = now_ms;
            t.insert(key, to_json(&id)?.as_slice())?;
        }
        tx.commit()?;
        Ok(())
    }

    /// A subject's lead identifiers, if any.
    ///
    /// # Errors
    /// Storage errors.
    pub fn lead_identity(
        &self,
        site: SiteId,
        subject: &[u8; 32],
    ) -> Result<Option<LeadIdentity>, StoreError> {
        let tx = self.db.begin_read()?;
        let t = tx.open_table(IDENTITIES)?;
        t.get((site.0, subject.as_slice()))?
            .map(|v| from_json(v.value(), "identity row"))
            .transpose()
    }

    /// Corrects a subject's lead identifiers (a rectification): each given
    /// index replaces the stored one. Returns whether the subject had any.
    ///
    /// # Errors
    /// Storage errors.
    pub fn rectify_lead(
        &self,
        site: SiteId,
        subject: &[u8; 32],
        email: Option<String>,
        phone: Option<String>,
    ) -> Result<bool, StoreError> {
        let tx = self.db.begin_write()?;
        let found = {
            let mut t = tx.open_table(IDENTITIES)?;
            let key = (site.0, subject.as_slice());
            let current: Option<LeadIdentity> = t
                .get(key)?
                .map(|v| from_json(v.value(), "identity row"))
                .transpose()?;
            match current {
                Some(mut id) => {
                    id.email = email.or(id.email);
                    id.phone = phone.or(id.phone);
                    t.insert(key, to_json(&id)?.as_slice())?;
                    true
                }
                None => false,
            }
        };
        tx.commit()?;
        Ok(found)
    }

    /// The subjects whose consent is in force on a site.
    ///
    /// # Errors
    /// Storage errors.
    pub fn consented_subjects(&self, site: SiteId) -> Result<Vec<[u8; 32]>, StoreError> {
        let tx = self.db.begin_read()?;
        let t = tx.open_table(CONSENTED)?;
        let mut out = Vec::new();
        for row in t.range((site.0, &[][..])..(site.0 + 1, &[][..]))? {
            if let Ok(s) = <[u8; 32]>::try_from(row?.0.value().1) {
                out.push(s);
            }
        }
        Ok(out)
    }
}
