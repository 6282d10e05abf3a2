//! Erasing a person and deleting a site's person data: every arm matches
//! [`PersonTable`], so a new person-data table can't be left out.

use redb::{ReadableTable, WriteTransaction};

use super::{
    Store, StoreError,
    person::{PersonKeys, PersonTable, RowCounts},
    record::SessionRecord,
    rows::from_json,
    sites::decode_site,
    strings::{SWEEP_BATCH, visit_ids},
    tables::{
        CONSENTED, CONSENTS, CONVERSIONS, DAY_VERSIONS, IDENTITIES, LEADS, ORDER_IDS, ROLLED_DAYS,
        ROLLUPS, SESSIONS, SITES,
    },
};
use crate::domain::{SiteId, calendar::local_day};

impl Store {
    /// Deletes every row tied to `who` on `site` in one transaction; the
    /// days of deleted visits lose their rollups (rebuilt by the next run).
    /// Then the texts (paths, UTM values, properties...) that only the
    /// deleted visits used are deleted too (see [`Store::sweep_strings`]).
    /// Returns rows deleted per table.
    ///
    /// # Errors
    /// Storage errors; nothing is then deleted (or, when the texts' sweep
    /// fails, the rows are deleted and the texts go with the next purge).
    pub fn erase_person(&self, site: SiteId, who: &PersonKeys) -> Result<RowCounts, StoreError> {
        let mut texts = rustc_hash::FxHashSet::default();
        // Visits on ClickHouse go first, by a mutation waited for outside the
        // write transaction (the writer keeps committing meanwhile); a failure
        // leaves the redb rows for a retry.
        let mut erased_on_clickhouse = 0;
        if let Some(ch) = &self.events {
            for (_, r) in ch.visits_of(site, &who.visitors)? {
                visit_ids(&r, &mut |id| {
                    texts.insert(id);
                });
            }
            erased_on_clickhouse = ch.erase_visitors(site, &who.visitors)?;
        }
        // Which cold days hold their visits, looked up in a snapshot so the
        // writer isn't kept waiting meanwhile (days turned cold since are
        // looked up again below, under the write lock).
        let mut checked = if self.events.is_some() {
            None
        } else {
            let tx = self.db.begin_read()?;
            let cold = tx.open_table(super::tables::COLD_DAYS)?;
            let all = super::cold::of_site(&cold, site)?;
            let theirs = super::cold::days_with_visitor(
                (&cold, &tx.open_table(super::tables::SEGMENTS)?),
                site,
                |v| who.visitors.contains(&v),
            )?;
            Some((all, theirs))
        };
        let tx = self.db.begin_write()?;
        let mut counts = RowCounts::new();
        {
            let tz = match tx.open_table(SITES)?.get(site.0)? {
                Some(v) => decode_site(v.value())?.timezone,
                None => return Ok(counts),
            };
            for table in PersonTable::ALL {
                let n = match table {
                    PersonTable::Sessions if self.events.is_some() => {
                        super::open_visits::forget(&tx, site, &who.visitors)?;
                        erased_on_clickhouse
                    }
                    PersonTable::Sessions => {
                        super::open_visits::forget(&tx, site, &who.visitors)?;
                        // Their visits on cold days come back as rows first.
                        let (seen, theirs) = checked.take().unwrap_or_default();
                        let now =
                            super::cold::of_site(&tx.open_table(super::tables::COLD_DAYS)?, site)?;
                        let fresh: Vec<_> = now.into_iter().filter(|c| !seen.contains(c)).collect();
                        let more = super::cold::days_with_visitor_among(
                            &tx.open_table(super::tables::SEGMENTS)?,
                            site,
                            &fresh,
                            |v| who.visitors.contains(&v),
                        )?;
                        for c in theirs.iter().chain(&more) {
                            super::cold::thaw_day(&tx, site, c.day)?;
                        }
                        let mut days = Vec::new();
                        let mut n = 0;
                        tx.open_table(SESSIONS)?.retain_in(
                            (site.0, 0, 0)..=(site.0, u64::MAX, u64::MAX),
                            |(_, start_ms, _), v| {
                                let Some(r) = SessionRecord::decode(v)
                                    .ok()
                                    .filter(|r| who.visitors.contains(&r.visitor))
                                else {
                                    return true;
                                };
                                n += 1;
                                days.push(local_day(start_ms, tz));
                                visit_ids(&r, &mut |id| {
                                    texts.insert(id);
                                });
                                false
                            },
                        )?;
                        invalidate_days(&tx, site, &days)?;
                        n
                    }
                    PersonTable::Consents => {
                        let mut n = 0;
                        tx.open_table(CONSENTS)?.retain_in(
                            (site.0, 0, 0)..=(site.0, u64::MAX, u64::MAX),
                            |_, v| {
                                let mine = from_json::<super::ConsentEntry>(v, "consent row")
                                    .is_ok_and(|e| who.has_subject(&e.subject));
                                n += u64::from(mine);
                                !mine
                            },
                        )?;
                        n
                    }
                    PersonTable::Consented => {
                        let mut t = tx.open_table(CONSENTED)?;
                        let mut n = 0;
                        for s in &who.subjects {
                            n += u64::from(t.remove((site.0, s.as_slice()))?.is_some());
                        }
                        n
                    }
                    PersonTable::Identities => {
                        let mut t = tx.open_table(IDENTITIES)?;
                        let mut n = 0;
                        for s in &who.subjects {
                            n += u64::from(t.remove((site.0, s.as_slice()))?.is_some());
                        }
                        n
                    }
                    PersonTable::Leads => {
                        let mut t = tx.open_table(LEADS)?;
                        let mut n = 0;
                        for l in &who.leads {
                            let found = t.remove((site.0, l.as_slice()))?.is_some();
                            n += u64::from(found);
                            // What webhooks would still send about them goes;
                            // the erasure itself is announced (by id only).
                            let hex = hex::encode(l);
                            super::changes::forget_lead(&tx, site, &hex)?;
                            super::webhook_outbox::forget_lead(&tx, site, &hex)?;
                            if found {
                                super::changes::record(
                                    &tx,
                                    &super::changes::Change {
                                        site: site.0,
                                        event: crate::domain::webhook::WebhookEvent::PersonErased,
                                        at_ms: now_ms(),
                                        lead: hex,
                                        conversion: None,
                                    },
                                )?;
                            }
                        }
                        n
                    }
                    PersonTable::Conversions => {
                        let mut n = 0;
                        tx.open_table(CONVERSIONS)?.retain_in(
                            (site.0, 0, 0)..=(site.0, u64::MAX, u64::MAX),
                            |_, v| {
                                let mine = from_json::<super::Conversion>(v, "conversion row")
                                    .is_ok_and(|c| who.owns(&c));
                                n += u64::from(mine);
                                !mine
                            },
                        )?;
                        n
                    }
                    PersonTable::OrderIds => {
                        // Order ids whose conversion is gone (erased just above).
                        let conversions = tx.open_table(CONVERSIONS)?;
                        let mut gone = Vec::new();
                        for row in tx
                            .open_table(ORDER_IDS)?
                            .range((site.0, "")..(site.0 + 1, ""))?
                        {
                            let (k, v) = row?;
                            let (at, seq) = v.value();
                            if conversions.get((site.0, at, seq))?.is_none() {
                                gone.push(k.value().1.to_owned());
                            }
                        }
                        drop(conversions);
                        let mut t = tx.open_table(ORDER_IDS)?;
                        for o in &gone {
                            t.remove((site.0, o.as_str()))?;
                        }
                        gone.len() as u64
                    }
                };
                counts.insert(table, n);
            }
        }
        tx.commit()?;
        self.sweep_strings(Some(texts), SWEEP_BATCH)?;
        Ok(counts)
    }
}

/// Deletes every person-data row of a site (the site is being deleted).
pub(super) fn delete_site_rows(tx: &WriteTransaction, site: SiteId) -> Result<(), StoreError> {
    let s = site.0;
    for table in PersonTable::ALL {
        match table {
            PersonTable::Sessions => {
                tx.open_table(SESSIONS)?
                    .retain_in((s, 0, 0)..=(s, u64::MAX, u64::MAX), |_, _| false)?;
                super::cold::forget_site(tx, site)?;
                super::open_visits::forget_site(tx, site)?;
            }
            PersonTable::Consents => {
                tx.open_table(CONSENTS)?
                    .retain_in((s, 0, 0)..=(s, u64::MAX, u64::MAX), |_, _| false)?;
            }
            PersonTable::Consented => {
                tx.open_table(CONSENTED)?
                    .retain_in((s, &[][..])..(s + 1, &[][..]), |_, _| false)?;
            }
            PersonTable::Identities => {
                tx.open_table(IDENTITIES)?
                    .retain_in((s, &[][..])..(s + 1, &[][..]), |_, _| false)?;
            }
            PersonTable::Leads => {
                tx.open_table(LEADS)?
                    .retain_in((s, &[][..])..(s + 1, &[][..]), |_, _| false)?;
            }
            PersonTable::Conversions => {
                tx.open_table(CONVERSIONS)?
                    .retain_in((s, 0, 0)..=(s, u64::MAX, u64::MAX), |_, _| false)?;
            }
            PersonTable::OrderIds => {
                tx.open_table(ORDER_IDS)?
                    .retain_in((s, "")..(s + 1, ""), |_, _| false)?;
            }
        }
    }
    Ok(())
}

/// Marks days whose visits changed as not rolled up, so queries scan them
/// (and see the change at once) until the rollup job rebuilds them.
pub(super) fn invalidate_days(
    tx: &WriteTransaction,
    site: SiteId,
    days: &[u32],
) -> Result<(), StoreError> {
    let mut rolled = tx.open_table(ROLLED_DAYS)?;
    let mut versions = tx.open_table(DAY_VERSIONS)?;
    let mut rollups = tx.open_table(ROLLUPS)?;
    let seen: std::collections::BTreeSet<u32> = days.iter().copied().collect();
    super::segments::drop_days(tx, site, &seen)?;
    for &d in &seen {
        rolled.remove((site.0, d))?;
        let v = versions.get((site.0, d))?.map_or(0, |v| v.value());
        versions.insert((site.0, d), v + 1)?;
        rollups.retain_in(
            (site.0, d, 0, 0)..=(site.0, d, u8::MAX, u32::MAX),
            |_, _| false,
        )?;
    }
    Ok(())
}

/// Now, unix ms (an erasure's announcement time; the store has no clock).
fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
