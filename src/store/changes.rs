//! The change feed: leads and conversions as they happen, written in the
//! same transaction as the change itself, so what reads the feed (webhook
//! delivery) sees every change once it is committed — a crash can't lose
//! one between the two. Entries are deleted once read and handed on.

use redb::{ReadableDatabase, ReadableTable};
use serde::{Deserialize, Serialize};

use super::{
    Store, StoreError, read_counter,
    rows::{from_json, to_json},
    tables::{CHANGES, META},
};
use crate::domain::{SiteId, webhook::WebhookEvent};

const NEXT_CHANGE_SEQ: &str = "next_change_seq";

/// One change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// The site.
    pub site: u32,
    /// What happened.
    pub event: WebhookEvent,
    /// When, unix ms.
    pub at_ms: u64,
    /// The lead (hex id), empty for a conversion of a visitor not yet a lead.
    pub lead: String,
    /// The conversion's key (`conversions_v1`: unix ms, sequence), for
    /// conversion events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversion: Option<(u64, u64)>,
}

/// Appends a change in `tx`.
pub(super) fn record(tx: &redb::WriteTransaction, change: &Change) -> Result<(), StoreError> {
    let mut meta = tx.open_table(META)?;
    let seq = read_counter(&meta, NEXT_CHANGE_SEQ)?;
    meta.insert(NEXT_CHANGE_SEQ, (seq + 1).to_be_bytes().as_slice())?;
    tx.open_table(CHANGES)?
        .insert(seq, to_json(change)?.as_slice())?;
    Ok(())
}

/// Drops the pending changes of `site`'s `lead` (it is being erased).
pub(super) fn forget_lead(
    tx: &redb::WriteTransaction,
    site: SiteId,
    lead: &str,
) -> Result<(), StoreError> {
    let mut t = tx.open_table(CHANGES)?;
    let mut gone = Vec::new();
    for row in t.iter()? {
        let (k, v) = row?;
        let c: Change = from_json(v.value(), "change row")?;
        if c.site == site.0 && c.lead == lead && c.event != WebhookEvent::PersonErased {
            gone.push(k.value());
        }
    }
    for k in gone {
        t.remove(k)?;
    }
    Ok(())
}

impl Store {
    /// The oldest `limit` changes, with their sequence numbers.
    ///
    /// # Errors
    /// Storage errors.
    pub fn changes(&self, limit: usize) -> Result<Vec<(u64, Change)>, StoreError> {
        let tx = self.db.begin_read()?;
        let t = tx.open_table(CHANGES)?;
        let mut out = Vec::new();
        for row in t.iter()?.take(limit) {
            let (k, v) = row?;
            out.push((k.value(), from_json(v.value(), "change row")?));
        }
        Ok(out)
    }
}
