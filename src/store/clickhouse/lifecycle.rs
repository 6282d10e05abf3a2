//! A person's visits and the privacy lifecycle on ClickHouse: export,
//! erasure, retention purges, site deletion (`ALTER TABLE … DELETE`
//! mutations, waited for) and the ids the texts sweep must keep.

use std::{fmt::Write as _, ops::ControlFlow};

use super::{ClickHouse, ClickHouseError, field};
use crate::{
    domain::SiteId,
    store::{SessionKey, StoreError, record::SessionRecord},
};

/// Longest wait for a mutation (erasure, purge) to finish.
const MUTATION_WAIT_SECS: u64 = 300;

impl ClickHouse {
    /// The table mutations run on: the local table of each shard with a cluster.
    fn local(&self, table: &str) -> String {
        if self.clustered() {
            format!("{}.{table}_local", self.db())
        } else {
            format!("{}.{table}", self.db())
        }
    }

    /// The cookieless ids aliased to any of `visitors` on `site`, with `visitors`.
    fn with_aliases(&self, site: SiteId, visitors: &[u64]) -> Result<Vec<u64>, ClickHouseError> {
        let mut all = visitors.to_vec();
        if visitors.is_empty() {
            return Ok(all);
        }
        self.for_each_row::<ClickHouseError>(
            &format!(
                "SELECT DISTINCT visitor FROM {}.visitor_aliases WHERE site = {} AND to_visitor IN ({})",
                self.db(),
                site.0,
                list(visitors)
            ),
            |f| {
                all.push(field(f, 0)?);
                Ok(())
            },
        )?;
        all.sort_unstable();
        all.dedup();
        Ok(all)
    }

    /// Visits of `site` whose visitor (after aliases) is one of `visitors`.
    ///
    /// # Errors
    /// Server errors or a malformed row.
    pub fn visits_of(
        &self,
        site: SiteId,
        visitors: &[u64],
    ) -> Result<Vec<(SessionKey, SessionRecord)>, StoreError> {
        let ids = self.with_aliases(site, visitors)?;
        let mut out = Vec::new();
        if ids.is_empty() {
            return Ok(out);
        }
        self.read_visits(
            site,
            0,
            u64::MAX,
            &format!("visitor IN ({})", list(&ids)),
            |k, r| {
                out.push((k, r.clone()));
                ControlFlow::Continue(())
            },
        )?;
        Ok(out)
    }

    /// Deletes every row of `site` whose visitor (after aliases) is one of
    /// `visitors`, and their aliases; returns the visits deleted.
    ///
    /// # Errors
    /// Server errors or a mutation not done in time.
    pub fn erase_visitors(&self, site: SiteId, visitors: &[u64]) -> Result<u64, ClickHouseError> {
        let ids = self.with_aliases(site, visitors)?;
        if ids.is_empty() {
            return Ok(0);
        }
        let cond = format!("site = {} AND visitor IN ({})", site.0, list(&ids));
        let mut visits: Vec<u64> = Vec::new();
        self.for_each_row::<ClickHouseError>(
            &format!(
                "SELECT DISTINCT visit_id FROM {}.events WHERE {cond}",
                self.db()
            ),
            |f| {
                visits.push(field(f, 0)?);
                Ok(())
            },
        )?;
        // Before the mutation is issued: an event the writer appends to
        // these visits from now on is dropped, not left behind.
        self.cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .erase(&visits, &ids);
        if visits.is_empty() {
            self.delete_where("events", &cond)?;
        } else {
            let wait = format!("site = {} AND visit_id IN ({})", site.0, list(&visits));
            self.delete_waiting_for("events", &cond, &wait)?;
        }
        self.delete_where(
            "visitor_aliases",
            &format!(
                "site = {} AND (visitor IN ({l}) OR to_visitor IN ({l}))",
                site.0,
                l = list(&ids)
            ),
        )?;
        Ok(visits.len() as u64)
    }

    /// Deletes the visits of `site` started before `before_ms`; with
    /// `dry_run` only counts them. Returns the visits.
    ///
    /// # Errors
    /// Server errors or a mutation not done in time.
    pub fn purge_before(
        &self,
        site: SiteId,
        before_ms: u64,
        dry_run: bool,
    ) -> Result<u64, ClickHouseError> {
        let cond = format!("site = {} AND visit_start_ms < {before_ms}", site.0);
        let visits: u64 = self.scalar(&format!(
            "SELECT uniqExact(visit_id) FROM {}.events WHERE {cond}",
            self.db()
        ))?;
        if visits > 0 && !dry_run {
            self.delete_where("events", &cond)?;
        }
        Ok(visits)
    }

    /// Deletes every row of a site (the site is being deleted).
    ///
    /// # Errors
    /// Server errors or a mutation not done in time.
    pub fn delete_site(&self, site: SiteId) -> Result<(), ClickHouseError> {
        let cond = format!("site = {}", site.0);
        self.delete_where("events", &cond)?;
        self.delete_where("visitor_aliases", &cond)?;
        let mut cache = self
            .cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        cache.clear();
        Ok(())
    }

    /// Every interned text id the events use (for the sweep of unused texts).
    ///
    /// # Errors
    /// Server errors.
    pub fn used_text_ids(&self, mut mark: impl FnMut(u32)) -> Result<(), ClickHouseError> {
        let sql = format!(
            "SELECT DISTINCT arrayJoin(arrayConcat([name, path, hostname, referrer, source, \
             utm_source, utm_medium, utm_campaign, utm_term, utm_content, utm_id, region, city, \
             browser, browser_version, os, os_version], prop_keys, prop_values)) AS id \
             FROM {}.events",
            self.db()
        );
        self.for_each_row::<ClickHouseError>(&sql, |f| {
            mark(field(f, 0)?);
            Ok(())
        })
    }

    /// Runs `ALTER TABLE … DELETE WHERE cond` on the (local) table and waits
    /// until no row matches `cond` — through the `Distributed` table with a
    /// cluster, so on every shard. (18.16 has no synchronous mutations.)
    fn delete_where(&self, table: &str, cond: &str) -> Result<(), ClickHouseError> {
        self.delete_waiting_for(table, cond, cond)
    }

    /// [`Self::delete_where`], waiting until no row matches `wait`: the
    /// rows that existed when it was issued, when rows matching `cond` may
    /// keep coming (a person erased while they browse on).
    fn delete_waiting_for(
        &self,
        table: &str,
        cond: &str,
        wait: &str,
    ) -> Result<(), ClickHouseError> {
        self.exec(&format!(
            "ALTER TABLE {}{} DELETE WHERE {cond}",
            self.local(table),
            self.on_cluster()
        ))?;
        let left = format!("SELECT count() FROM {}.{table} WHERE {wait}", self.db());
        let started = std::time::Instant::now();
        while self.scalar::<u64>(&left)? > 0 {
            if started.elapsed().as_secs() > MUTATION_WAIT_SECS {
                return Err(ClickHouseError::MutationTimeout {
                    table: table.to_owned(),
                    seconds: MUTATION_WAIT_SECS,
                });
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        Ok(())
    }
}

/// Numbers as a SQL list.
pub(super) fn list(v: &[u64]) -> String {
    let mut s = String::with_capacity(v.len() * 20);
    for (i, x) in v.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        let _ = write!(s, "{x}");
    }
    s
}
