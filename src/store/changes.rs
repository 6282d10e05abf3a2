//! The change feed: leads and conversions as they happen, written in the
//! same transaction as the change itself, so what reads the feed (webhook
//! delivery) sees every change once it is committed — a crash can't lose
//! one between the two. Entries are deleted once read and handed on.

use redb::ReadableTable;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        domain::{Domain, Timezone},
        store::{Conversion, ConversionKind, PersonKeys},
    };

    fn events(store: &Store) -> Vec<(WebhookEvent, String)> {
        store
            .changes(100)
            .unwrap()
            .into_iter()
            .map(|(_, c)| (c.event, c.lead))
            .collect()
    }

    /// Each change is recorded by the transaction that makes it, on every
    /// path, and an erasure drops what was pending about the person.
    #[test]
    fn leads_conversions_refunds_and_erasures_each_record_their_change() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let ws = store.create_workspace("W", 0).unwrap().id;
        let site = store
            .add_site(
                ws,
                &Domain::parse("a.example").unwrap(),
                Timezone::default(),
                0,
            )
            .unwrap()
            .id;
        let (ann, bob) = ([1u8; 32], [2u8; 32]);
        let (lead, new) = store.upsert_lead(site, &ann, None, None, None, 10).unwrap();
        assert!(new);
        // Nothing new about her: no change; an email she didn't have: identified.
        store
            .upsert_lead(site, &ann, Some(&[9; 32]), None, None, 11)
            .unwrap();
        store
            .upsert_lead(site, &ann, None, None, Some("ab".into()), 12)
            .unwrap();
        store.upsert_lead(site, &bob, None, None, None, 13).unwrap();
        let order = |lead: &str, kind| Conversion {
            lead: lead.to_owned(),
            kind,
            at_ms: 20,
            value_micros: 5_000_000,
            currency: Some("EUR".into()),
            order_id: Some(format!("{lead}-{kind:?}")),
            source: "api".into(),
            refunded_micros: 0,
            visitor: None,
        };
        assert!(
            store
                .record_conversion(site, &order(&lead.id, ConversionKind::Purchase))
                .unwrap()
        );
        // A new lead's own conversion is announced as lead.created only.
        assert!(
            store
                .record_conversion(site, &order(&lead.id, ConversionKind::Lead))
                .unwrap()
        );
        let oid = format!("{}-Purchase", lead.id);
        assert!(store.set_refunded(site, &oid, 1_000_000).unwrap());
        assert!(
            store.set_refunded(site, &oid, 1_000_000).unwrap(),
            "the same total again"
        );
        let a = hex::encode(ann);
        let b = hex::encode(bob);
        use WebhookEvent as E;
        assert_eq!(
            events(&store),
            vec![
                (E::LeadCreated, a.clone()),
                (E::LeadIdentified, a.clone()),
                (E::LeadCreated, b.clone()),
                (E::ConversionCreated, a.clone()),
                (E::ConversionRefunded, a.clone()),
            ]
        );
        let who = PersonKeys {
            leads: vec![ann],
            ..PersonKeys::default()
        };
        store.erase_person(site, &who).unwrap();
        assert_eq!(
            events(&store),
            vec![(E::LeadCreated, b), (E::PersonErased, a)],
            "her pending changes go; the erasure is announced"
        );
    }
}
