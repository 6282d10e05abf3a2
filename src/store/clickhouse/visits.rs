//! Visits on ClickHouse: appending the writer's batches, reading visits
//! back, and the privacy lifecycle (erasure, purge, site deletion).
//!
//! Rows are only ever inserted; the two rewrites the embedded store does in
//! place are, here:
//! - a consent upgrade (cookieless visits joining a consenting visitor) adds
//!   rows to `visitor_aliases`, which every read applies;
//! - erasure, retention purges and site deletion are `ALTER TABLE … DELETE`
//!   mutations, waited for until the server reports them done.

use std::{collections::HashMap, fmt::Write as _, ops::ControlFlow};

use super::{
    ClickHouse, ClickHouseError, field,
    rows::{KIND_ENGAGEMENT, KIND_EVENT, READ_COLUMNS, RowKey, apply_row, push_row, row_key},
    schema::EVENT_COLUMNS,
};
use crate::{
    domain::{SiteId, visit::SESSION_TIMEOUT_MS},
    store::{
        Batch, SessionKey, StoreError,
        record::{EventRecord, SessionRecord},
    },
};

/// What an append needs of an open visit: its attributes and which of its
/// events are pageviews of which path (for engagement pings).
#[derive(Debug, Clone, Default)]
struct OpenVisit {
    header: SessionRecord,
    /// (path, pageview) of each event so far, by `seq`.
    events: Vec<(u32, bool)>,
    last_ms: u64,
}

/// Open visits by id. Bounded by time: visits idle for twice the visit
/// timeout are dropped (a later event for one reads it back).
#[derive(Debug, Default)]
pub struct VisitCache {
    open: HashMap<u64, OpenVisit>,
    newest_ms: u64,
    /// Visits being or just erased, with the newest time seen when they were
    /// marked: their later events are dropped, as the embedded engine drops
    /// events for a visit row that is gone.
    erased: HashMap<u64, u64>,
}

impl VisitCache {
    /// Marks `visits`, and the open visits of `visitors`, erased: from now
    /// on their events are dropped (an `ALTER … DELETE` removes only rows
    /// that exist when it is issued).
    pub(super) fn erase(&mut self, visits: &[u64], visitors: &[u64]) {
        let now = self.newest_ms;
        let open: Vec<u64> = self
            .open
            .iter()
            .filter(|(_, v)| visitors.contains(&v.header.visitor))
            .map(|(id, _)| *id)
            .collect();
        for id in visits.iter().chain(&open) {
            self.open.remove(id);
            self.erased.insert(*id, now);
        }
    }

    /// Forgets every open visit (read back when more events come).
    pub(super) fn clear(&mut self) {
        self.open.clear();
    }

    fn prune(&mut self) {
        let horizon = self.newest_ms.saturating_sub(2 * SESSION_TIMEOUT_MS);
        self.open.retain(|_, v| v.last_ms >= horizon);
        self.erased.retain(|_, at| *at >= horizon);
    }
}

/// One consent upgrade as stored: cookieless `visitor` is `to_visitor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AliasRow {
    /// Site.
    pub site: SiteId,
    /// Cookieless id.
    pub visitor: u64,
    /// Consenting id.
    pub to_visitor: u64,
}

impl ClickHouse {
    fn join(&self) -> &'static str {
        // A distributed query runs the right side once, on the initiator.
        if self.clustered() {
            "GLOBAL ANY LEFT JOIN"
        } else {
            "ANY LEFT JOIN"
        }
    }

    /// `FROM events` with the visitor aliases of `site` joined, for `READ_COLUMNS`.
    pub(crate) fn events_from(&self, site: SiteId) -> String {
        format!(
            "{db}.events {join} (SELECT visitor, to_visitor FROM {db}.visitor_aliases \
             WHERE site = {s}) AS va USING visitor",
            db = self.db(),
            join = self.join(),
            s = site.0
        )
    }

    /// Appends the visits of a writer batch and records its consent upgrades;
    /// returns when ClickHouse has acknowledged both.
    ///
    /// # Errors
    /// Unreachable or refusing server: nothing of the batch is acknowledged
    /// (a retry may repeat rows the server did keep; see the README).
    pub fn append(&self, batch: &Batch) -> Result<(), StoreError> {
        let mut cache = self
            .cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let res = self.append_locked(&mut cache, batch);
        if res.is_err() {
            // The server may or may not hold part of it: read back next time.
            cache.open.clear();
        }
        res
    }

    fn append_locked(&self, cache: &mut VisitCache, batch: &Batch) -> Result<(), StoreError> {
        let mut text = String::new();
        let mut changed: HashMap<u64, OpenVisit> = HashMap::new();
        let mut fetched = self.read_back(cache, batch)?;
        for a in &batch.sessions {
            let id = a.key.id;
            if cache.erased.contains_key(&id) {
                tracing::info!(visit = id, "events for an erased visit dropped");
                continue;
            }
            let mut v = match (changed.remove(&id), cache.open.get(&id), &a.header) {
                (Some(v), _, _) => v,
                (None, _, Some(h)) => OpenVisit {
                    header: h.clone(),
                    events: Vec::new(),
                    last_ms: a.key.start_ms,
                },
                (None, Some(v), None) => v.clone(),
                (None, None, None) => match fetched.remove(&id) {
                    Some(rec) => OpenVisit {
                        last_ms: a.key.start_ms + u64::from(rec.last_offset_ms()),
                        events: rec.events.iter().map(|e| (e.path, e.pageview)).collect(),
                        header: SessionRecord {
                            events: Vec::new(),
                            ..rec
                        },
                    },
                    None => {
                        tracing::info!(visit = id, "events for an erased visit dropped");
                        continue;
                    }
                },
            };
            let key = |seq: usize, kind| RowKey {
                site: a.key.site.0,
                start_ms: a.key.start_ms,
                visit: id,
                seq: u32::try_from(seq).unwrap_or(u32::MAX),
                kind,
            };
            for e in &a.events {
                push_row(
                    &mut text,
                    key(v.events.len(), KIND_EVENT),
                    &v.header,
                    e,
                    None,
                );
                v.events.push((e.path, e.pageview));
                v.last_ms = v.last_ms.max(a.key.start_ms + u64::from(e.offset_ms));
            }
            for ping in &a.engagements {
                let upto = (ping.upto as usize).min(v.events.len());
                let Some(seq) = v.events[..upto]
                    .iter()
                    .rposition(|(p, pv)| *pv && *p == ping.path)
                else {
                    continue;
                };
                let pageview = EventRecord {
                    path: ping.path,
                    pageview: true,
                    interactive: true,
                    offset_ms: u32::try_from(v.last_ms.saturating_sub(a.key.start_ms))
                        .unwrap_or(u32::MAX),
                    ..EventRecord::default()
                };
                push_row(
                    &mut text,
                    key(seq, KIND_ENGAGEMENT),
                    &v.header,
                    &pageview,
                    Some(ping.engagement),
                );
            }
            changed.insert(id, v);
        }
        let mut aliases = String::new();
        for up in &batch.upgrades {
            for from in &up.from {
                let _ = writeln!(aliases, "{}\t{from}\t{}", up.site.0, up.to);
            }
        }
        // Aliases first: a retry after a failed events insert adds them again,
        // which changes nothing.
        self.insert_tsv(
            "visitor_aliases",
            "site, visitor, to_visitor",
            aliases.as_bytes(),
        )?;
        self.insert_tsv("events", EVENT_COLUMNS, text.as_bytes())?;
        for (id, v) in changed {
            cache.newest_ms = cache.newest_ms.max(v.last_ms);
            cache.open.insert(id, v);
        }
        for up in &batch.upgrades {
            for v in cache.open.values_mut() {
                if up.from.contains(&v.header.visitor) {
                    v.header.visitor = up.to;
                }
            }
        }
        cache.prune();
        Ok(())
    }

    /// The visits a batch continues whose attributes are not cached (after
    /// a restart or a failed insert), read back in one query per site; a
    /// visit missing from the answer was erased.
    fn read_back(
        &self,
        cache: &VisitCache,
        batch: &Batch,
    ) -> Result<HashMap<u64, SessionRecord>, StoreError> {
        let mut wanted: HashMap<SiteId, (u64, u64, Vec<u64>)> = HashMap::new();
        for a in &batch.sessions {
            let id = a.key.id;
            if a.header.is_none()
                && !cache.open.contains_key(&id)
                && !cache.erased.contains_key(&id)
            {
                let w = wanted
                    .entry(a.key.site)
                    .or_insert((u64::MAX, 0, Vec::new()));
                w.0 = w.0.min(a.key.start_ms);
                w.1 = w.1.max(a.key.start_ms + 1);
                w.2.push(id);
            }
        }
        let mut out = HashMap::new();
        for (site, (from, to, ids)) in wanted {
            self.read_visits(
                site,
                from,
                to,
                &format!("visit_id IN ({})", super::lifecycle::list(&ids)),
                |k, rec| {
                    out.insert(k.id, rec.clone());
                    ControlFlow::Continue(())
                },
            )?;
        }
        Ok(out)
    }

    /// Calls `f` with each visit of `site` started in `[from_ms, to_ms)` and
    /// matching the SQL condition `extra` (`1` for all), in start order.
    ///
    /// # Errors
    /// Server errors, or the error `f` breaks with.
    pub(crate) fn read_visits(
        &self,
        site: SiteId,
        from_ms: u64,
        to_ms: u64,
        extra: &str,
        mut f: impl FnMut(SessionKey, &SessionRecord) -> ControlFlow<StoreError>,
    ) -> Result<(), StoreError> {
        if to_ms <= from_ms {
            return Ok(());
        }
        let sql = format!(
            "SELECT {READ_COLUMNS} FROM {from} WHERE site = {s} AND visit_start_ms >= {from_ms} \
             AND visit_start_ms < {to_ms} AND ({extra}) \
             ORDER BY visit_start_ms, visit_id, seq, kind",
            from = self.events_from(site),
            s = site.0,
        );
        let mut rec = SessionRecord::default();
        let mut current: Option<SessionKey> = None;
        let mut stop: Option<StoreError> = None;
        self.for_each_row::<StoreError>(&sql, |row| {
            if stop.is_some() {
                return Ok(());
            }
            let k = row_key(row)?;
            let key = SessionKey {
                site: SiteId(k.site),
                start_ms: k.start_ms,
                id: k.visit,
            };
            let first = current != Some(key);
            if first
                && let Some(prev) = current
                && let ControlFlow::Break(e) = f(prev, &rec)
            {
                stop = Some(e);
                return Ok(());
            }
            current = Some(key);
            apply_row(&mut rec, row, first)?;
            Ok(())
        })?;
        if let Some(e) = stop {
            return Err(e);
        }
        if let Some(prev) = current
            && let ControlFlow::Break(e) = f(prev, &rec)
        {
            return Err(e);
        }
        Ok(())
    }

    /// Start of the site's earliest visit.
    ///
    /// # Errors
    /// Server errors.
    pub fn first_visit_start(&self, site: SiteId) -> Result<Option<u64>, ClickHouseError> {
        let mut out = None;
        self.for_each_row::<ClickHouseError>(
            &format!(
                "SELECT min(visit_start_ms), count() FROM {}.events WHERE site = {}",
                self.db(),
                site.0
            ),
            |f| {
                let n: u64 = field(f, 1)?;
                out = (n > 0).then(|| field(f, 0)).transpose()?;
                Ok(())
            },
        )?;
        Ok(out)
    }

    /// Visits stored (all sites).
    ///
    /// # Errors
    /// Server errors.
    pub fn visit_count(&self) -> Result<u64, ClickHouseError> {
        self.scalar(&format!(
            "SELECT uniqExact(visit_id) FROM {}.events",
            self.db()
        ))
    }
}
