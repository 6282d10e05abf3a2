//! Retention: each site keeps visitor data for its retention (24 months at
//! most), counted in whole local days. The purge deletes every person-data
//! table's old rows (see `store::PersonTable`) in small batches, then the
//! rollups of those days unless the site keeps anonymous aggregates, then
//! the interned texts nothing kept uses (`Store::sweep_strings`), and leaves
//! a receipt.

use std::{collections::BTreeMap, time::Instant};

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::{
    domain::calendar::{date_of_day, date_start_ms, day_number, local_day},
    store::{Cutoff, PersonTable, Site, Store, StoreError},
};

/// Days a deleted site's data is kept before it is purged for good.
pub const SITE_GRACE_DAYS: u64 = 14;
/// Days a deleted workspace can be restored before it is purged for good.
pub const WORKSPACE_GRACE_DAYS: u64 = 30;
const DAY_MS: u64 = 86_400_000;

/// Pause between batches: the ingest writer takes the write lock in between.
const BATCH_PAUSE: std::time::Duration = std::time::Duration::from_millis(1);

/// What one site's purge did (or, dry, would do).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PurgeReceipt {
    /// The site's domain.
    pub site: String,
    /// Months kept.
    pub retention_months: u32,
    /// The first local date kept (`YYYY-MM-DD`); everything before it went.
    pub kept_from: String,
    /// Rows deleted per person-data table.
    pub rows: BTreeMap<PersonTable, u64>,
    /// Rollup rows deleted.
    pub rollups: u64,
    /// When it ran, unix ms.
    pub ran_at_ms: u64,
    /// Wall time, ms.
    pub duration_ms: u64,
    /// Counted only.
    pub dry_run: bool,
}

impl PurgeReceipt {
    /// Rows deleted in all.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.rows.values().sum::<u64>() + self.rollups
    }
}

/// The months `site` keeps: its own choice when lower than the instance's.
#[must_use]
pub fn retention_months(site: &Site, instance_months: u32) -> u32 {
    site.retention_months
        .map_or(instance_months, |m| m.clamp(1, instance_months))
}

/// The cutoff for `site` at `now_ms`: the start of the local day that is
/// `months` calendar months before today.
#[must_use]
pub fn cutoff(site: &Site, months: u32, now_ms: u64) -> Cutoff {
    let today = date_of_day(local_day(now_ms, site.timezone));
    let first_kept = today
        .checked_sub_months(Months::new(months))
        .unwrap_or(NaiveDate::MIN);
    Cutoff {
        site: site.id,
        before_ms: date_start_ms(first_kept, site.timezone),
        before_day: day_number(first_kept),
        keep_aggregates: site.keep_aggregates,
    }
}

/// Purges one site (or counts, with `dry_run`).
///
/// # Errors
/// Storage errors; batches already committed stay deleted.
pub fn purge_site(
    store: &Store,
    site: &Site,
    instance_months: u32,
    batch_rows: usize,
    now_ms: u64,
    dry_run: bool,
) -> Result<PurgeReceipt, StoreError> {
    let started = Instant::now();
    let months = retention_months(site, instance_months);
    let c = cutoff(site, months, now_ms);
    let mut rows = BTreeMap::new();
    for table in PersonTable::ALL {
        rows.insert(
            table,
            drain(|| store.purge_old(table, &c, batch_rows, dry_run), dry_run)?,
        );
    }
    let rollups = drain(|| store.purge_old_rollups(&c, batch_rows, dry_run), dry_run)?;
    Ok(PurgeReceipt {
        site: site.domain.to_string(),
        retention_months: months,
        kept_from: date_of_day(c.before_day).to_string(),
        rows,
        rollups,
        ran_at_ms: now_ms,
        duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        dry_run,
    })
}

/// Repeats a batch until it deletes nothing (once for a dry run, which counts all).
fn drain(
    mut batch: impl FnMut() -> Result<u64, StoreError>,
    dry_run: bool,
) -> Result<u64, StoreError> {
    let mut total = 0;
    loop {
        let n = batch()?;
        total += n;
        if dry_run || n == 0 {
            return Ok(total);
        }
        std::thread::sleep(BATCH_PAUSE);
    }
}

/// The purge job: purges every site and leaves a receipt per site in its
/// workspace's audit log and on its settings page. Returns the receipts.
///
/// # Errors
/// Storage errors.
pub fn run(
    auth: &crate::auth::Auth,
    store: &Store,
    instance_months: u32,
    batch_rows: usize,
    now_ms: u64,
) -> Result<Vec<PurgeReceipt>, StoreError> {
    // Deleted sites and workspaces past their grace period go first: their
    // rows in small batches, then what is left in one transaction each.
    let (sites_before, ws_before) = (
        now_ms.saturating_sub(SITE_GRACE_DAYS * DAY_MS),
        now_ms.saturating_sub(WORKSPACE_GRACE_DAYS * DAY_MS),
    );
    for site in store.sites_due_for_purge(sites_before, ws_before)? {
        let all = Cutoff {
            site,
            before_ms: u64::MAX,
            before_day: u32::MAX,
            keep_aggregates: false,
        };
        for table in PersonTable::ALL {
            drain(|| store.purge_old(table, &all, batch_rows, false), false)?;
        }
        drain(|| store.purge_old_rollups(&all, batch_rows, false), false)?;
    }
    let (sites, workspaces) = store.purge_deleted(sites_before, ws_before)?;
    for (what, names) in [("site", sites), ("workspace", workspaces)] {
        for name in names {
            let detail = format!("deleted {what} {name:?} purged for good");
            auth.audit(
                &[crate::domain::WorkspaceId(0)],
                None,
                "purge_deleted",
                &detail,
                now_ms,
            )?;
            tracing::info!(what, name, "deleted {what} purged");
        }
    }
    let purged = purge_all(store, instance_months, batch_rows, now_ms, false)?;
    // Texts (paths, UTM values, properties...) that no kept visit or rollup
    // uses any more go too, so "purged" holds for free text as well.
    let texts = store.sweep_strings(None, batch_rows)?;
    if texts > 0 {
        tracing::info!(texts, "unused texts purged");
    }
    let mut out = Vec::new();
    for (site, r) in purged {
        let json = serde_json::to_string(&r).unwrap_or_default();
        auth.audit(&[site.workspace], None, "purge", &json, now_ms)?;
        store.set_last_purge(site.id, &json)?;
        if r.total() > 0 {
            tracing::info!(
                site = %r.site,
                rows = r.total(),
                kept_from = %r.kept_from,
                duration_ms = r.duration_ms,
                "retention purge"
            );
        }
        out.push(r);
    }
    Ok(out)
}

/// Purges every site; returns one receipt per site.
///
/// # Errors
/// Storage errors.
pub fn purge_all(
    store: &Store,
    instance_months: u32,
    batch_rows: usize,
    now_ms: u64,
    dry_run: bool,
) -> Result<Vec<(Site, PurgeReceipt)>, StoreError> {
    store
        .sites()?
        .into_iter()
        .map(|s| {
            let r = purge_site(store, &s, instance_months, batch_rows, now_ms, dry_run)?;
            Ok((s, r))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Domain, SiteId, Timezone, WorkspaceId};

    fn site(tz: &str, own: Option<u32>) -> Site {
        Site {
            id: SiteId(1),
            domain: Domain::parse("example.com").unwrap(),
            timezone: Timezone::parse(tz).unwrap(),
            created_ms: 0,
            workspace: WorkspaceId(1),
            share_token: None,
            allowed_hostnames: Vec::new(),
            consent_mode: crate::domain::ConsentMode::default(),
            forms: crate::domain::FormCapture::default(),
            respect_dnt: false,
            policy_version: "1".into(),
            retention_months: own,
            keep_aggregates: false,
            deleted_ms: None,
            stripe_secret_sealed: None,
            scoring: crate::domain::scoring::Scoring::default(),
            lookback_days: None,
            attribution_model: None,
            reporting_currency: None,
            exchange_rates: std::collections::BTreeMap::new(),
            segment_write_key: None,
            min_count: crate::domain::MinCount::OFF,
        }
    }

    #[test]
    fn the_cutoff_is_the_local_day_start_months_ago() {
        // 2026-11-23 10:00 UTC.
        let now = 1_795_428_000_000;
        let s = site("Europe/Berlin", None);
        let c = cutoff(&s, 24, now);
        assert_eq!(date_of_day(c.before_day).to_string(), "2024-11-23");
        // Midnight in Berlin is 23:00 UTC the day before.
        assert_eq!(c.before_ms, 1_732_316_400_000);
        // Month ends clamp: 31 March minus one month is 28/29 February.
        let march_31 = 1_774_951_200_000; // 2026-03-31 10:00 UTC
        let c = cutoff(&site("UTC", None), 1, march_31);
        assert_eq!(date_of_day(c.before_day).to_string(), "2026-02-28");
    }

    #[test]
    fn a_site_can_keep_less_never_more() {
        assert_eq!(retention_months(&site("UTC", None), 24), 24);
        assert_eq!(retention_months(&site("UTC", Some(6)), 24), 6);
        assert_eq!(retention_months(&site("UTC", Some(36)), 24), 24);
        assert_eq!(retention_months(&site("UTC", Some(18)), 12), 12);
        assert_eq!(retention_months(&site("UTC", Some(0)), 24), 1);
    }
}
