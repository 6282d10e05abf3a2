//! Deleting what is older than a site's retention, in bounded batches: each
//! call is one short write transaction, so the ingest writer (which needs the
//! same write lock) waits milliseconds, not the length of the purge.

use std::collections::BTreeSet;

use redb::ReadableTable;

use super::{
    ConsentEntry, Lead, LeadIdentity, Store, StoreError,
    person::PersonTable,
    rows::from_json,
    sites::decode_site,
    tables::{
        CONSENTED, CONSENTS, CONVERSIONS, DAY_VERSIONS, IDENTITIES, LEADS, META, ORDER_IDS,
        ROLLED_DAYS, ROLLUPS, SESSIONS, SITES,
    },
};
use crate::domain::{SiteId, calendar::local_day};

/// What a retention purge looks at on one site.
#[derive(Debug, Clone, Copy)]
pub struct Cutoff {
    /// The site.
    pub site: SiteId,
    /// Rows older than this unix ms go (the start of a local day).
    pub before_ms: u64,
    /// Rollups of local days before this one go...
    pub before_day: u32,
    /// ...unless the site keeps anonymous aggregates.
    pub keep_aggregates: bool,
}

impl Store {
    /// Deletes up to `limit` rows of `table` older than the cutoff (or, with
    /// `dry_run`, counts them all without deleting). Returns the rows.
    ///
    /// Age is a visit's start, a consent record's time, and the last time a
    /// lead identifier was seen. Consent in force has no age of its own (it
    /// goes with the visitor's erasure or a decline), and the records of a
    /// subject whose consent is in force are kept as its proof.
    ///
    /// # Errors
    /// Storage errors.
    pub fn purge_old(
        &self,
        table: PersonTable,
        c: &Cutoff,
        limit: usize,
        dry_run: bool,
    ) -> Result<u64, StoreError> {
        if table == PersonTable::Sessions
            && let Some(ch) = &self.events
        {
            // One mutation, waited for outside any write transaction: the
            // writer keeps committing meanwhile.
            return Ok(ch.purge_before(c.site, c.before_ms, dry_run)?);
        }
        let s = c.site.0;
        let limit = if dry_run { usize::MAX } else { limit };
        let tx = self.db.begin_write()?;
        let n = match table {
            PersonTable::Sessions => {
                // Cold days (see `store::cold`) ended before the cutoff go
                // whole; one it cuts through comes back as rows first.
                let (cold, days) =
                    super::cold::purge_before(&tx, c.site, c.before_ms, limit, dry_run)?;
                let mut straddling = 0;
                if cold < limit {
                    if dry_run {
                        straddling = count_cold_before(&tx, c.site, c.before_ms)?;
                    } else {
                        for d in straddled(&tx, c.site, c.before_ms)? {
                            super::cold::thaw_day(&tx, c.site, d.day)?;
                        }
                    }
                }
                let keys = if cold < limit {
                    purge_timed(
                        &mut tx.open_table(SESSIONS)?,
                        s,
                        c.before_ms,
                        limit - cold,
                        dry_run,
                        |_| Ok(false),
                    )?
                } else {
                    Vec::new()
                };
                if !dry_run {
                    bump_day_versions(&tx, c.site, &keys, days)?;
                }
                cold + straddling + keys.len()
            }
            PersonTable::Conversions => purge_timed(
                &mut tx.open_table(CONVERSIONS)?,
                s,
                c.before_ms,
                limit,
                dry_run,
                |_| Ok(false),
            )?
            .len(),
            PersonTable::Consents => {
                // The record of a consent still in force is its proof: kept
                // for as long as the consent is.
                let in_force = tx.open_table(CONSENTED)?;
                purge_timed(
                    &mut tx.open_table(CONSENTS)?,
                    s,
                    c.before_ms,
                    limit,
                    dry_run,
                    |v| {
                        let e: ConsentEntry = from_json(v, "consent row")?;
                        let subject = hex::decode(&e.subject).unwrap_or_default();
                        Ok(in_force.get((s, subject.as_slice()))?.is_some())
                    },
                )?
                .len()
            }
            PersonTable::Consented => 0,
            PersonTable::OrderIds => {
                let mut t = tx.open_table(ORDER_IDS)?;
                let mut old: Vec<String> = Vec::new();
                for row in t.range((s, "")..(s + 1, ""))? {
                    let (k, v) = row?;
                    if v.value().0 < c.before_ms {
                        old.push(k.value().1.to_owned());
                        if old.len() >= limit {
                            break;
                        }
                    }
                }
                if !dry_run {
                    for o in &old {
                        t.remove((s, o.as_str()))?;
                    }
                }
                old.len()
            }
            PersonTable::Leads => purge_last_seen(
                &mut tx.open_table(LEADS)?,
                s,
                c.before_ms,
                limit,
                dry_run,
                ("lead row", |l: &Lead| l.last_ms),
            )?,
            PersonTable::Identities => purge_last_seen(
                &mut tx.open_table(IDENTITIES)?,
                s,
                c.before_ms,
                limit,
                dry_run,
                ("identity row", |i: &LeadIdentity| i.last_ms),
            )?,
        };
        if dry_run {
            tx.abort()?;
        } else {
            tx.commit()?;
        }
        Ok(n as u64)
    }

    /// Deletes up to `limit` rollup rows of days before the cutoff day (and,
    /// once a day has none left, its bookkeeping); nothing when the site keeps
    /// anonymous aggregates. With `dry_run`, counts them all.
    ///
    /// # Errors
    /// Storage errors.
    pub fn purge_old_rollups(
        &self,
        c: &Cutoff,
        limit: usize,
        dry_run: bool,
    ) -> Result<u64, StoreError> {
        if c.keep_aggregates {
            return Ok(0);
        }
        let s = c.site.0;
        let range = (s, 0, 0, 0)..(s, c.before_day, 0, 0);
        if dry_run {
            let tx = self.db.begin_read()?;
            let t = tx.open_table(ROLLUPS)?;
            return Ok(t.range(range)?.count() as u64);
        }
        let tx = self.db.begin_write()?;
        let n = {
            let mut t = tx.open_table(ROLLUPS)?;
            let keys: Vec<(u32, u32, u8, u32)> = t
                .range(range)?
                .take(limit)
                .map(|r| r.map(|(k, _)| k.value()))
                .collect::<Result<_, _>>()?;
            for k in &keys {
                t.remove(k)?;
            }
            if keys.len() < limit {
                // Visits of cold days the visit purge left (none when both
                // purges share a cutoff) stay, as rows.
                super::cold::thaw_days(&tx, c.site, 0..c.before_day)?;
                // The rollups are gone: the days' marks go with them.
                tx.open_table(ROLLED_DAYS)?
                    .retain_in((s, 0)..(s, c.before_day), |_, _| false)?;
                super::segments::drop_range(&tx, c.site, 0, c.before_day)?;
                tx.open_table(DAY_VERSIONS)?
                    .retain_in((s, 0)..(s, c.before_day), |_, _| false)?;
            }
            keys.len()
        };
        tx.commit()?;
        Ok(n as u64)
    }

    /// Keeps the receipt (JSON, no personal data) of a site's last purge.
    ///
    /// # Errors
    /// Storage errors.
    pub fn set_last_purge(&self, site: SiteId, receipt: &str) -> Result<(), StoreError> {
        let tx = self.db.begin_write()?;
        tx.open_table(META)?
            .insert(last_purge_key(site).as_str(), receipt.as_bytes())?;
        tx.commit()?;
        Ok(())
    }

    /// The receipt of a site's last purge, if one ran.
    ///
    /// # Errors
    /// Storage errors.
    pub fn last_purge(&self, site: SiteId) -> Result<Option<String>, StoreError> {
        let tx = self.db.begin_read()?;
        let t = tx.open_table(META)?;
        Ok(t.get(last_purge_key(site).as_str())?
            .map(|v| String::from_utf8_lossy(v.value()).into_owned()))
    }
}

pub(super) fn last_purge_key(site: SiteId) -> String {
    format!("last_purge/{}", site.0)
}

/// A table keyed by (site, unix ms, sequence).
type TimeTable<'t> = redb::Table<'t, (u32, u64, u64), &'static [u8]>;
/// A table keyed by (site, keyed id) holding JSON rows.
type IdTable<'t> = redb::Table<'t, (u32, &'static [u8]), &'static [u8]>;

/// Up to `limit` rows of site `s` older than `before` that `keep` doesn't
/// spare; deleted unless `dry_run`. Returns their keys.
fn purge_timed(
    t: &mut TimeTable<'_>,
    s: u32,
    before: u64,
    limit: usize,
    dry_run: bool,
    mut keep: impl FnMut(&[u8]) -> Result<bool, StoreError>,
) -> Result<Vec<(u32, u64, u64)>, StoreError> {
    let mut keys = Vec::new();
    for row in t.range((s, 0, 0)..(s, before, 0))? {
        let (k, v) = row?;
        if !keep(v.value())? {
            keys.push(k.value());
            if keys.len() >= limit {
                break;
            }
        }
    }
    if !dry_run {
        for k in &keys {
            t.remove(k)?;
        }
    }
    Ok(keys)
}

/// The days of purged visits (the rows' `keys`, and the purged cold
/// `days`) changed: a rollup built from them before the purge must not be
/// stored after it (it would bring back rows, and the ids of texts a sweep
/// may be deleting; see `strings`).
fn bump_day_versions(
    tx: &redb::WriteTransaction,
    site: SiteId,
    keys: &[(u32, u64, u64)],
    mut days: BTreeSet<u32>,
) -> Result<(), StoreError> {
    let tz = tx
        .open_table(SITES)?
        .get(site.0)?
        .map(|v| decode_site(v.value()).map(|s| s.timezone))
        .transpose()?;
    if let Some(tz) = tz {
        days.extend(keys.iter().map(|k| local_day(k.1, tz)));
    }
    // The days' segments hold their visits' attributes: they go with the
    // rows, even where the rollups stay (anonymous aggregates).
    super::segments::drop_days(tx, site, &days)?;
    let mut versions = tx.open_table(DAY_VERSIONS)?;
    for d in days {
        let v = versions.get((site.0, d))?.map_or(0, |v| v.value());
        versions.insert((site.0, d), v + 1)?;
    }
    Ok(())
}

/// The cold day a cutoff at `before_ms` cuts through (if any).
fn straddled(
    tx: &redb::WriteTransaction,
    site: SiteId,
    before_ms: u64,
) -> Result<Vec<super::cold::ColdDay>, StoreError> {
    let Some(before) = before_ms.checked_sub(1) else {
        return Ok(Vec::new());
    };
    let t = tx.open_table(super::tables::COLD_DAYS)?;
    Ok(super::cold::overlapping(&t, site, before, before_ms)?
        .into_iter()
        .filter(|c| c.to_ms > before_ms)
        .collect())
}

/// Visits before `before_ms` on a cold day that the cutoff cuts through
/// (a dry run's count of what thawing it and purging would delete).
fn count_cold_before(
    tx: &redb::WriteTransaction,
    site: SiteId,
    before_ms: u64,
) -> Result<usize, StoreError> {
    let segs = tx.open_table(super::tables::SEGMENTS)?;
    let mut n = 0;
    for c in straddled(tx, site, before_ms)? {
        super::cold::each_visit(&segs, site, c.day, |start, _, _| {
            if start >= before_ms {
                return std::ops::ControlFlow::Break(());
            }
            n += 1;
            std::ops::ControlFlow::Continue(())
        })?;
    }
    Ok(n)
}

/// Up to `limit` JSON rows of site `s` last seen before `before`; deleted
/// unless `dry_run`. Returns how many.
fn purge_last_seen<T: serde::de::DeserializeOwned>(
    t: &mut IdTable<'_>,
    s: u32,
    before: u64,
    limit: usize,
    dry_run: bool,
    (what, last_seen): (&'static str, impl Fn(&T) -> u64),
) -> Result<usize, StoreError> {
    let mut old: Vec<Vec<u8>> = Vec::new();
    for row in t.range((s, &[][..])..(s + 1, &[][..]))? {
        let (k, v) = row?;
        if last_seen(&from_json(v.value(), what)?) < before {
            old.push(k.value().1.to_vec());
            if old.len() >= limit {
                break;
            }
        }
    }
    if !dry_run {
        for k in &old {
            t.remove((s, k.as_slice()))?;
        }
    }
    Ok(old.len())
}
