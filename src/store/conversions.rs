//! Conversions: recording them (once per order id), reading them, refunds
//! and order aliases, and giving a visitor's conversions to their lead.

use redb::ReadableTable;

use super::{
    Conversion, ConversionKind, Store, StoreError,
    changes::Change,
    read_counter,
    rows::{from_json, to_json},
    tables::{CONVERSIONS, META, NEXT_CONVERSION_SEQ, ORDER_IDS},
};
use crate::domain::{SiteId, webhook::WebhookEvent};

/// Inserts `c` in `tx` unless its order id is already recorded for the site;
/// returns whether it was inserted.
pub(super) fn insert_conversion(
    tx: &redb::WriteTransaction,
    site: SiteId,
    c: &Conversion,
) -> Result<bool, StoreError> {
    let mut orders = tx.open_table(ORDER_IDS)?;
    if let Some(o) = &c.order_id
        && orders.get((site.0, o.as_str()))?.is_some()
    {
        return Ok(false);
    }
    let mut meta = tx.open_table(META)?;
    let seq = read_counter(&meta, NEXT_CONVERSION_SEQ)?;
    meta.insert(NEXT_CONVERSION_SEQ, (seq + 1).to_be_bytes().as_slice())?;
    tx.open_table(CONVERSIONS)?
        .insert((site.0, c.at_ms, seq), to_json(c)?.as_slice())?;
    if let Some(o) = &c.order_id {
        orders.insert((site.0, o.as_str()), (c.at_ms, seq))?;
    }
    drop((orders, meta));
    // A new lead is announced as `lead.created` (by `upsert_lead`).
    if c.kind != ConversionKind::Lead {
        super::changes::record(
            tx,
            &Change {
                site: site.0,
                event: WebhookEvent::ConversionCreated,
                at_ms: c.at_ms,
                lead: c.lead.clone(),
                conversion: Some((c.at_ms, seq)),
            },
        )?;
    }
    Ok(true)
}

impl Store {
    /// Records a conversion; one whose order id is already recorded for the
    /// site is not recorded again (returns false).
    ///
    /// # Errors
    /// Storage errors.
    pub fn record_conversion(&self, site: SiteId, c: &Conversion) -> Result<bool, StoreError> {
        let tx = self.db.begin_write()?;
        let stored = insert_conversion(&tx, site, c)?;
        tx.commit()?;
        Ok(stored)
    }

    /// The conversion stored under (unix ms, sequence), if it still is.
    ///
    /// # Errors
    /// Storage errors.
    pub fn conversion_at(
        &self,
        site: SiteId,
        at_ms: u64,
        seq: u64,
    ) -> Result<Option<Conversion>, StoreError> {
        let tx = self.db.begin_read()?;
        let t = tx.open_table(CONVERSIONS)?;
        t.get((site.0, at_ms, seq))?
            .map(|v| from_json(v.value(), "conversion row"))
            .transpose()
    }

    /// Gives the conversions recorded for `visitor` before it was known to be
    /// a lead (tracker purchases of a consenting visitor not yet identified)
    /// to `lead` (hex). Returns how many.
    ///
    /// # Errors
    /// Storage errors or a corrupt row.
    pub fn adopt_conversions(
        &self,
        site: SiteId,
        visitor: u64,
        lead: &str,
    ) -> Result<usize, StoreError> {
        let tx = self.db.begin_write()?;
        let n = {
            let mut t = tx.open_table(CONVERSIONS)?;
            let mut orphans = Vec::new();
            for row in t.range((site.0, 0, 0)..=(site.0, u64::MAX, u64::MAX))? {
                let (k, v) = row?;
                let c: Conversion = from_json(v.value(), "conversion row")?;
                if c.lead.is_empty() && c.visitor == Some(visitor) {
                    orphans.push((k.value(), c));
                }
            }
            for (k, mut c) in orphans.iter().cloned() {
                c.lead = lead.to_owned();
                t.insert(k, to_json(&c)?.as_slice())?;
            }
            orphans.len()
        };
        tx.commit()?;
        Ok(n)
    }

    /// Conversions of a site in `[from_ms, to_ms)`, oldest first.
    ///
    /// # Errors
    /// Storage errors.
    pub fn conversions(
        &self,
        site: SiteId,
        from_ms: u64,
        to_ms: u64,
    ) -> Result<Vec<Conversion>, StoreError> {
        let tx = self.db.begin_read()?;
        let t = tx.open_table(CONVERSIONS)?;
        let mut out = Vec::new();
        for row in t.range((site.0, from_ms, 0)..(site.0, to_ms, 0))? {
            out.push(from_json(row?.1.value(), "conversion row")?);
        }
        Ok(out)
    }

    /// Sets the refunded amount of the conversion of `order_id` (Stripe
    /// reports the total refunded so far, so repeating it changes nothing).
    /// Returns whether the order is known.
    ///
    /// # Errors
    /// Storage errors.
    pub fn set_refunded(
        &self,
        site: SiteId,
        order_id: &str,
        refunded_micros: i64,
    ) -> Result<bool, StoreError> {
        let tx = self.db.begin_write()?;
        let found = {
            let at = tx
                .open_table(ORDER_IDS)?
                .get((site.0, order_id))?
                .map(|v| v.value());
            match at {
                None => false,
                Some((at_ms, seq)) => {
                    let mut t = tx.open_table(CONVERSIONS)?;
                    let current: Option<Conversion> = t
                        .get((site.0, at_ms, seq))?
                        .map(|v| from_json(v.value(), "conversion row"))
                        .transpose()?;
                    match current {
                        Some(mut c) => {
                            // Stripe reports a running total: a late, older one can't lower it.
                            let more = refunded_micros > c.refunded_micros;
                            c.refunded_micros = c.refunded_micros.max(refunded_micros);
                            t.insert((site.0, at_ms, seq), to_json(&c)?.as_slice())?;
                            if more {
                                super::changes::record(
                                    &tx,
                                    &Change {
                                        site: site.0,
                                        event: WebhookEvent::ConversionRefunded,
                                        at_ms,
                                        lead: c.lead.clone(),
                                        conversion: Some((at_ms, seq)),
                                    },
                                )?;
                            }
                            true
                        }
                        None => false,
                    }
                }
            }
        };
        tx.commit()?;
        Ok(found)
    }

    /// Makes `aliases` (other ids of the same order, e.g. its payment intent)
    /// find the conversion of `order_id`; existing ids are left alone.
    ///
    /// # Errors
    /// Storage errors.
    pub fn add_order_aliases(
        &self,
        site: SiteId,
        order_id: &str,
        aliases: &[String],
    ) -> Result<(), StoreError> {
        let tx = self.db.begin_write()?;
        {
            let mut t = tx.open_table(ORDER_IDS)?;
            let target = t.get((site.0, order_id))?.map(|v| v.value());
            if let Some(target) = target {
                for a in aliases {
                    if t.get((site.0, a.as_str()))?.is_none() {
                        t.insert((site.0, a.as_str()), target)?;
                    }
                }
            }
        }
        tx.commit()?;
        Ok(())
    }
}
