//! Read snapshots: what reports and lookups see. A snapshot never blocks the writer.

use std::{collections::BTreeSet, ops::ControlFlow, sync::Arc};

use redb::{ReadTransaction, ReadableTableMetadata};

use super::{
    RollupRow, SessionKey, Site, StoreError,
    clickhouse::ClickHouse,
    cold,
    tables::{
        COLD_DAYS, DAY_VERSIONS, ROLLED_DAYS, ROLLUPS, SEGMENTS, SESSIONS, SITE_DOMAINS, SITES,
        STRING_IDS, STRINGS, WORKSPACES,
    },
};
use crate::domain::{SiteId, WorkspaceId};

/// A consistent view of the store at one moment.
pub struct ReadView {
    tx: ReadTransaction,
    events: Option<Arc<ClickHouse>>,
    watch: Arc<super::DayWatch>,
    report_limit: usize,
}

impl ReadView {
    pub(super) fn new(
        tx: ReadTransaction,
        events: Option<Arc<ClickHouse>>,
        watch: Arc<super::DayWatch>,
        report_limit: usize,
    ) -> Self {
        Self {
            tx,
            events,
            watch,
            report_limit,
        }
    }

    /// Bytes one report over this snapshot may hold while it computes (0:
    /// no limit; see [`super::Store::set_report_memory_limit`]).
    #[must_use]
    pub fn report_memory_limit(&self) -> usize {
        self.report_limit
    }

    /// The store's log of changes to watched open days.
    #[must_use]
    pub fn day_watch(&self) -> &super::DayWatch {
        &self.watch
    }

    /// One visit row's bytes, `None` when there is no such visit (embedded
    /// engine only; always `None` on ClickHouse).
    ///
    /// # Errors
    /// Storage errors.
    pub fn session_row(&self, key: SessionKey) -> Result<Option<Vec<u8>>, StoreError> {
        if self.events.is_some() {
            return Ok(None);
        }
        if let Some(v) = self.tx.open_table(SESSIONS)?.get(key.tuple())? {
            return Ok(Some(v.value().to_vec()));
        }
        // A visit of a cold day (see `store::cold`).
        cold::visit_row(
            (
                &self.tx.open_table(COLD_DAYS)?,
                &self.tx.open_table(SEGMENTS)?,
            ),
            key,
        )
    }

    /// The ClickHouse engine, when visits live there (reports push their
    /// aggregation down to it).
    #[must_use]
    pub fn clickhouse(&self) -> Option<&ClickHouse> {
        self.events.as_deref()
    }

    /// Every site that is live: neither it nor its workspace deleted.
    ///
    /// # Errors
    /// Storage errors.
    pub fn sites(&self) -> Result<Vec<Site>, StoreError> {
        let dead = self.deleted_workspaces()?;
        Ok(super::sites::all_sites(&self.tx.open_table(SITES)?)?
            .into_iter()
            .filter(|s| s.deleted_ms.is_none() && !dead.contains(&s.workspace))
            .collect())
    }

    fn deleted_workspaces(&self) -> Result<Vec<WorkspaceId>, StoreError> {
        let all: Vec<super::Workspace> =
            super::rows::all_rows(&self.tx.open_table(WORKSPACES)?, "workspace row")?;
        Ok(all
            .into_iter()
            .filter(|w| w.deleted_ms.is_some())
            .map(|w| w.id)
            .collect())
    }

    /// A site by domain.
    ///
    /// # Errors
    /// Storage errors.
    pub fn site_by_domain(&self, domain: &str) -> Result<Option<Site>, StoreError> {
        let Some(id) = self
            .tx
            .open_table(SITE_DOMAINS)?
            .get(domain)?
            .map(|v| v.value())
        else {
            return Ok(None);
        };
        let dead = self.deleted_workspaces()?;
        Ok(self
            .site(SiteId(id))?
            .filter(|s| s.deleted_ms.is_none() && !dead.contains(&s.workspace)))
    }

    /// A site by id.
    ///
    /// # Errors
    /// Storage errors.
    pub fn site(&self, id: SiteId) -> Result<Option<Site>, StoreError> {
        let table = self.tx.open_table(SITES)?;
        let Some(v) = table.get(id.0)? else {
            return Ok(None);
        };
        super::sites::decode_site(v.value()).map(Some)
    }

    /// Text of an interned string ("" for 0 or an unknown id).
    ///
    /// # Errors
    /// Storage errors.
    pub fn string(&self, id: u32) -> Result<String, StoreError> {
        if id == 0 {
            return Ok(String::new());
        }
        Ok(self
            .tx
            .open_table(STRINGS)?
            .get(id)?
            .map(|v| v.value().to_owned())
            .unwrap_or_default())
    }

    /// A site's imports of statistics, oldest first.
    ///
    /// # Errors
    /// Storage errors.
    pub fn imports(&self, site: SiteId) -> Result<Vec<super::ImportRecord>, StoreError> {
        super::imports::list(&self.tx, site)
    }

    /// Calls `f` with (local day, row) for each imported row of `table`
    /// (see `exchange::tables`) on local days `first..=last`.
    ///
    /// # Errors
    /// Storage errors or a corrupt row.
    pub fn for_each_imported(
        &self,
        site: SiteId,
        table: u8,
        days: (u32, u32),
        mut f: impl FnMut(u32, super::ImportedRow),
    ) -> Result<(), StoreError> {
        super::imports::each(&self.tx, site, table, days, &mut f)
    }

    /// Every region code the geolocation database named, with its English
    /// name (`GB-ENG` → England).
    ///
    /// # Errors
    /// Storage errors.
    pub fn region_names(&self) -> Result<std::collections::HashMap<String, String>, StoreError> {
        let t = self.tx.open_table(super::tables::REGION_NAMES)?;
        let mut out = std::collections::HashMap::new();
        for row in redb::ReadableTable::iter(&t)? {
            let (k, v) = row?;
            out.insert(k.value().to_owned(), v.value().to_owned());
        }
        Ok(out)
    }

    /// Id of an interned string, if it was ever seen.
    ///
    /// # Errors
    /// Storage errors.
    pub fn string_id(&self, text: &str) -> Result<Option<u32>, StoreError> {
        Ok(self
            .tx
            .open_table(STRING_IDS)?
            .get(text)?
            .map(|v| v.value()))
    }

    /// Calls `f` with every visit of `site` that started in `[from_ms, to_ms)`,
    /// in start order, until it returns `Break`.
    ///
    /// # Errors
    /// Storage errors, or the error `f` breaks with.
    pub fn for_each_session(
        &self,
        site: SiteId,
        from_ms: u64,
        to_ms: u64,
        mut f: impl FnMut(SessionKey, &[u8]) -> ControlFlow<StoreError>,
    ) -> Result<(), StoreError> {
        self.for_each_visit_data(site, from_ms, to_ms, |key, v| v.with_bytes(|b| f(key, b)))
    }

    /// [`Self::for_each_session`] giving each visit decoded: for readers
    /// of whole visits, which then skip a cold day's visit's trip through
    /// row bytes (see `store::cold`).
    ///
    /// # Errors
    /// Storage errors, a corrupt visit, or the error `f` breaks with.
    pub fn for_each_visit(
        &self,
        site: SiteId,
        from_ms: u64,
        to_ms: u64,
        mut f: impl FnMut(SessionKey, &super::record::SessionRecord) -> ControlFlow<StoreError>,
    ) -> Result<(), StoreError> {
        let mut rec = super::record::SessionRecord::default();
        self.for_each_visit_data(site, from_ms, to_ms, |key, v| match v.decoded(&mut rec) {
            Ok(r) => f(key, r),
            Err(e) => ControlFlow::Break(e.into()),
        })
    }

    /// [`Self::for_each_session`] giving each visit as it is stored: a
    /// row's bytes (which a reader can decode in part), or a cold day's
    /// visit decoded (see `store::cold`).
    ///
    /// # Errors
    /// Storage errors, a corrupt cold segment, or the error `f` breaks with.
    pub fn for_each_visit_data(
        &self,
        site: SiteId,
        from_ms: u64,
        to_ms: u64,
        mut f: impl FnMut(SessionKey, cold::Visit<'_>) -> ControlFlow<StoreError>,
    ) -> Result<(), StoreError> {
        if to_ms <= from_ms {
            return Ok(());
        }
        if let Some(ch) = &self.events {
            return ch.read_visits(site, from_ms, to_ms, "1", |key, rec| {
                f(key, cold::Visit::Record(rec))
            });
        }
        cold::merge(
            (
                &self.tx.open_table(SESSIONS)?,
                &self.tx.open_table(COLD_DAYS)?,
                &self.tx.open_table(SEGMENTS)?,
            ),
            site,
            from_ms,
            to_ms,
            f,
        )
    }

    /// Start of the site's earliest stored visit.
    ///
    /// # Errors
    /// Storage errors.
    pub fn first_session_start(&self, site: SiteId) -> Result<Option<u64>, StoreError> {
        if let Some(ch) = &self.events {
            return Ok(ch.first_visit_start(site)?);
        }
        let table = self.tx.open_table(SESSIONS)?;
        let mut range = table.range((site.0, 0, 0)..=(site.0, u64::MAX, u64::MAX))?;
        let row = match range.next() {
            Some(row) => Some(row?.0.value().1),
            None => None,
        };
        let cold = cold::of_site(&self.tx.open_table(COLD_DAYS)?, site)?
            .into_iter()
            .find(|c| c.visits > 0)
            .map(|c| c.first_ms);
        Ok(row.into_iter().chain(cold).min())
    }

    /// Start of the site's latest stored visit (embedded engine only;
    /// always `None` on ClickHouse).
    ///
    /// # Errors
    /// Storage errors.
    pub fn last_session_start(&self, site: SiteId) -> Result<Option<u64>, StoreError> {
        if self.events.is_some() {
            return Ok(None);
        }
        let table = self.tx.open_table(SESSIONS)?;
        let mut range = table.range((site.0, 0, 0)..=(site.0, u64::MAX, u64::MAX))?;
        let row = match range.next_back() {
            Some(row) => Some(row?.0.value().1),
            None => None,
        };
        let cold = cold::of_site(&self.tx.open_table(COLD_DAYS)?, site)?
            .into_iter()
            .rev()
            .find(|c| c.visits > 0)
            .map(|c| c.last_ms);
        Ok(row.into_iter().chain(cold).max())
    }

    /// Number of visits in the store (all sites): rows and the visits of
    /// cold days.
    ///
    /// # Errors
    /// Storage errors.
    pub fn session_count(&self) -> Result<u64, StoreError> {
        if let Some(ch) = &self.events {
            return Ok(ch.visit_count()?);
        }
        let cold: u64 = cold::all(&self.tx.open_table(COLD_DAYS)?)?
            .iter()
            .map(|(_, c)| c.visits)
            .sum();
        Ok(self.tx.open_table(SESSIONS)?.len()? + cold)
    }

    /// Which days in `[from, to]` are cold: their visits kept in their
    /// segment only (see `store::cold`).
    ///
    /// # Errors
    /// Storage errors.
    pub fn cold_days(&self, site: SiteId, from: u32, to: u32) -> Result<BTreeSet<u32>, StoreError> {
        Ok(cold::of_site(&self.tx.open_table(COLD_DAYS)?, site)?
            .into_iter()
            .map(|c| c.day)
            .filter(|d| (from..=to).contains(d))
            .collect())
    }

    /// How many writer batches have changed the visits of `day` (see `put_rollup_day`).
    ///
    /// # Errors
    /// Storage errors.
    pub fn day_version(&self, site: SiteId, day: u32) -> Result<u64, StoreError> {
        Ok(self
            .tx
            .open_table(DAY_VERSIONS)?
            .get((site.0, day))?
            .map_or(0, |v| v.value()))
    }

    /// One column of a day segment (see `store::columns`); only meaningful
    /// for a day [`Self::rolled_days`] lists.
    ///
    /// # Errors
    /// Storage errors.
    pub fn segment_column(
        &self,
        site: SiteId,
        day: u32,
        code: u8,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        super::segments::get(&self.tx, site, day, code)
    }

    /// Whether a day's segment has column `code`, without reading it.
    ///
    /// # Errors
    /// Storage errors.
    pub fn segment_has_column(&self, site: SiteId, day: u32, code: u8) -> Result<bool, StoreError> {
        super::segments::has(&self.tx.open_table(SEGMENTS)?, site, day, code)
    }

    /// Which days in `[from, to]` have a current rollup.
    ///
    /// # Errors
    /// Storage errors.
    pub fn rolled_days(
        &self,
        site: SiteId,
        from: u32,
        to: u32,
    ) -> Result<BTreeSet<u32>, StoreError> {
        let table = self.tx.open_table(ROLLED_DAYS)?;
        let mut out = BTreeSet::new();
        // ClickHouse aggregates every query itself: no rollups.
        if from > to || self.events.is_some() {
            return Ok(out);
        }
        for row in table.range((site.0, from)..=(site.0, to))? {
            out.insert(row?.0.value().1);
        }
        Ok(out)
    }

    /// Rollup rows of one dimension for the given days.
    ///
    /// # Errors
    /// Storage errors.
    pub fn rollup_rows(
        &self,
        site: SiteId,
        days: &BTreeSet<u32>,
        dim: u8,
    ) -> Result<Vec<RollupRow>, StoreError> {
        let table = self.tx.open_table(ROLLUPS)?;
        let mut out = Vec::new();
        for &day in days {
            super::rollups::rows(&table, site, day, day, dim, &mut out)?;
            if self.report_limit > 0
                && out.len() * std::mem::size_of::<RollupRow>() > self.report_limit
            {
                return Err(StoreError::OverReportLimit {
                    limit_bytes: self.report_limit,
                });
            }
        }
        Ok(out)
    }
}
