//! Visit rows and interned strings, written by the ingest writer in batches.

use std::collections::HashMap;

use redb::ReadableTable;

use super::messages::{MessageId, write_message_ids};
use super::{
    Store, StoreError, read_counter,
    record::{Engagement, EventRecord, SessionRecord},
    tables::{
        DAY_VERSIONS, META, NEXT_SESSION_ID, NEXT_STRING_ID, ROLLED_DAYS, SESSIONS, STRING_IDS,
        STRINGS,
    },
};
use crate::domain::SiteId;

/// Where a visit row lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionKey {
    /// Site.
    pub site: SiteId,
    /// Unix ms of the visit's first event.
    pub start_ms: u64,
    /// Visit id, unique across the store.
    pub id: u64,
}

impl SessionKey {
    pub(super) fn tuple(self) -> (u32, u64, u64) {
        (self.site.0, self.start_ms, self.id)
    }
}

/// New events for one visit.
#[derive(Debug)]
pub struct SessionAppend {
    /// The visit's row.
    pub key: SessionKey,
    /// Local day the visit started (its rollup day).
    pub day: u32,
    /// Set when the visit is new: its attributes (with no events yet).
    pub header: Option<SessionRecord>,
    /// Events to add, in order, offsets relative to the visit's start.
    pub events: Vec<EventRecord>,
    /// Engagement pings for pageviews of the visit, applied after `events`.
    pub engagements: Vec<EngagementPing>,
}

/// An engagement ping for the latest pageview of `path` among the visit's
/// first `upto` events (the events it had when the ping came, so a later
/// pageview of the same path in the same batch is not credited).
#[derive(Debug, Clone, Copy)]
pub struct EngagementPing {
    /// Interned path of the page.
    pub path: u32,
    /// Events the visit had when the ping arrived.
    pub upto: u32,
    /// What it reported.
    pub engagement: Engagement,
}

impl EngagementPing {
    /// Credits the ping to its pageview; false when the visit has none of
    /// that page (the ping is then ignored).
    pub fn apply(&self, events: &mut [EventRecord]) -> bool {
        let upto = (self.upto as usize).min(events.len());
        let Some(e) = events[..upto]
            .iter_mut()
            .rev()
            .find(|e| e.pageview && e.path == self.path)
        else {
            return false;
        };
        e.engagement
            .get_or_insert_with(Engagement::default)
            .add(self.engagement);
        true
    }
}

/// A cookieless visitor who accepted consent: their visits since `since_ms`
/// stored under any of the `from` hashes (the day's cookieless visitor ids)
/// are rewritten to the consenting visitor id `to`, so the visit they landed
/// in — with its source, campaign and click id — is part of their journey.
#[derive(Debug, Clone)]
pub struct VisitorUpgrade {
    /// Site.
    pub site: SiteId,
    /// Cookieless visitor hashes (current salt, and the previous one while kept).
    pub from: Vec<u64>,
    /// The consenting visitor's id.
    pub to: u64,
    /// Start of the oldest salt day of `from`, unix ms: no visit before it
    /// can carry those hashes.
    pub since_ms: u64,
    /// Local days (site's zone) the rewrite may touch, whose rollups go stale.
    pub days: std::ops::RangeInclusive<u32>,
}

/// Everything one write transaction of the writer does.
#[derive(Debug, Default)]
pub struct Batch {
    /// Strings interned since the last batch: (id, text).
    pub strings: Vec<(u32, String)>,
    /// Visits to create or extend.
    pub sessions: Vec<SessionAppend>,
    /// Cookieless visits joining a consenting visitor, applied after `sessions`.
    pub upgrades: Vec<VisitorUpgrade>,
    /// Purchases the events of this batch make (a repeated order id is
    /// recorded once, with what the conversions API or Stripe sent).
    pub conversions: Vec<(SiteId, super::Conversion)>,
    /// Message ids of the batch's events from sources that send them
    /// (Segment's `messageId`), so a retried message is stored once.
    pub message_ids: Vec<(SiteId, MessageId)>,
    /// Regions first seen in this batch: (code, English name).
    pub region_names: Vec<(String, String)>,
    /// Open visits the writer moves out of memory: (visitor hash, visit).
    pub parked: Vec<(u64, super::ParkedVisit)>,
    /// Parked visits the writer took back: (site, visitor hash), deleted
    /// before `parked` is written.
    pub unparked: Vec<(u32, u64)>,
    /// Drop parked visits whose last event is before this (unix ms).
    pub drop_parked_before_ms: Option<u64>,
    /// When the batch was made (writer time), unix ms: stamps the message ids.
    pub now_ms: u64,
    /// Counter values after this batch.
    pub next_session_id: u64,
    /// Counter values after this batch.
    pub next_string_id: u32,
}

impl Store {
    /// Commits one batch durably (fsync) in one transaction: all of it or none.
    ///
    /// # Errors
    /// Storage errors; nothing of the batch is then on disk.
    pub fn commit_batch(&self, batch: &Batch) -> Result<(), StoreError> {
        if let Some(ch) = &self.events {
            return self.commit_batch_clickhouse(ch, batch);
        }
        let tx = self.db.begin_write()?;
        write_strings(&tx, batch)?;
        super::cold::thaw_for_batch(&tx, batch)?;
        // Visits written per watched (site, day), and what to log once
        // committed; days nobody watches collect nothing.
        let mut watched: HashMap<(u32, u32), Vec<(u64, u64)>> = self
            .watch
            .watched()
            .into_iter()
            .map(|d| (d, Vec::new()))
            .collect();
        let mut changed = Vec::new();
        {
            let mut sessions = tx.open_table(SESSIONS)?;
            let mut rolled = tx.open_table(ROLLED_DAYS)?;
            let mut rec = SessionRecord::default();
            let mut touched_days = std::collections::BTreeSet::new();
            for append in &batch.sessions {
                // The row is read back here rather than kept in memory: the
                // writer's table of open visits stays a few bytes per visitor.
                match &append.header {
                    Some(h) => rec.clone_from(h),
                    None => match sessions.get(append.key.tuple())? {
                        Some(v) => rec.decode_into(v.value())?,
                        // The visit was erased (a data-subject request) while
                        // still open: its later events go with it.
                        None => {
                            tracing::info!(
                                visit = append.key.id,
                                "events for an erased visit dropped"
                            );
                            continue;
                        }
                    },
                }
                rec.events.extend(append.events.iter().cloned());
                for ping in &append.engagements {
                    ping.apply(&mut rec.events);
                }
                sessions.insert(append.key.tuple(), rec.encode().as_slice())?;
                touched_days.insert((append.key.site.0, append.day));
                if let Some(keys) = watched.get_mut(&(append.key.site.0, append.day)) {
                    keys.push((append.key.start_ms, append.key.id));
                }
            }
            for up in &batch.upgrades {
                let mut found = Vec::new();
                for row in
                    sessions.range((up.site.0, up.since_ms, 0)..=(up.site.0, u64::MAX, u64::MAX))?
                {
                    let (k, v) = row?;
                    if up.from.contains(&SessionRecord::peek_visitor(v.value())?) {
                        found.push((k.value(), v.value().to_vec()));
                    }
                }
                for (k, bytes) in found {
                    rec.decode_into(&bytes)?;
                    rec.visitor = up.to;
                    sessions.insert(k, rec.encode().as_slice())?;
                    // The visit's day isn't known here: logged for each day
                    // the rewrite may touch (a reader skips visits of other days).
                    for d in up.days.clone() {
                        if let Some(keys) = watched.get_mut(&(up.site.0, d)) {
                            keys.push((k.1, k.2));
                        }
                    }
                }
                touched_days.extend(up.days.clone().map(|d| (up.site.0, d)));
            }
            for (site, c) in &batch.conversions {
                super::conversions::insert_conversion(&tx, *site, c)?;
            }
            // A visit still growing on an already rolled-up day makes that
            // rollup stale: forget it so the next rollup run rebuilds it.
            let mut versions = tx.open_table(DAY_VERSIONS)?;
            for day in touched_days {
                rolled.remove(day)?;
                let v = versions.get(day)?.map_or(0, |v| v.value());
                versions.insert(day, v + 1)?;
                if let Some(keys) = watched.remove(&day) {
                    changed.push((day, v + 1, keys));
                }
            }
        }
        write_message_ids(&tx, &batch.message_ids, batch.now_ms)?;
        write_counters(&tx, batch)?;
        write_parked(&tx, batch)?;
        tx.commit()?;
        // Logged once committed: a reader whose snapshot has a batch's version
        // but not yet its entry reads the day again (see `day_watch`).
        for ((site, day), version, keys) in changed {
            self.watch.record(SiteId(site), day, version, &keys);
        }
        Ok(())
    }

    /// [`Store::commit_batch`] with visits on ClickHouse: the texts and
    /// counters are committed first (so no row ClickHouse holds ever names an
    /// id redb could hand out again), then the events (acknowledged by
    /// ClickHouse), then the batch's purchases. A failure at any step fails
    /// the batch; its events are then not acknowledged.
    fn commit_batch_clickhouse(
        &self,
        ch: &super::clickhouse::ClickHouse,
        batch: &Batch,
    ) -> Result<(), StoreError> {
        let tx = self.db.begin_write()?;
        write_strings(&tx, batch)?;
        write_counters(&tx, batch)?;
        tx.commit()?;
        ch.append(batch)?;
        // Message ids only once ClickHouse has the events: a retry of a
        // failed insert is then stored, not taken for a duplicate.
        if !batch.conversions.is_empty() || !batch.message_ids.is_empty() {
            let tx = self.db.begin_write()?;
            for (site, c) in &batch.conversions {
                super::conversions::insert_conversion(&tx, *site, c)?;
            }
            write_message_ids(&tx, &batch.message_ids, batch.now_ms)?;
            tx.commit()?;
        }
        // Parked visits last (none may name a visit ClickHouse doesn't hold),
        // and not failing the batch: its events are stored, and a retry
        // would store them twice. Visits not parked end (their visitors'
        // next events start new visits).
        if !batch.parked.is_empty()
            || !batch.unparked.is_empty()
            || batch.drop_parked_before_ms.is_some()
        {
            let parked = self.db.begin_write().and_then(|tx| {
                write_parked(&tx, batch)?;
                Ok(tx.commit()?)
            });
            if let Err(e) = parked {
                tracing::warn!(
                    error = ?e,
                    "open visits not parked; their visitors' next events start new visits"
                );
            }
        }
        Ok(())
    }

    /// The writer's starting counters: next string id and next visit id.
    ///
    /// # Errors
    /// Storage errors.
    pub fn writer_counters(&self) -> Result<(u32, u64), StoreError> {
        let tx = self.db.begin_read()?;
        let meta = tx.open_table(META)?;
        let next_string = u32::try_from(read_counter(&meta, NEXT_STRING_ID)?.max(1))
            .map_err(|_| StoreError::Exhausted("string id"))?;
        let next_session = read_counter(&meta, NEXT_SESSION_ID)?.max(1);
        Ok((next_string, next_session))
    }

    /// Visits of every site that started at or after `since_ms`.
    ///
    /// # Errors
    /// Storage errors or a corrupt row.
    pub fn sessions_since(
        &self,
        since_ms: u64,
    ) -> Result<Vec<(SessionKey, SessionRecord)>, StoreError> {
        let mut out = Vec::new();
        self.each_session_since(since_ms, |_, k, r| out.push((k, r.clone())))?;
        Ok(out)
    }

    /// Calls `f(site's zone, key, row)` for each visit of every site that
    /// started at or after `since_ms`, one row in memory at a time: how the
    /// writer's table of open visits is rebuilt after a restart.
    ///
    /// # Errors
    /// Storage errors or a corrupt row.
    pub fn each_session_since(
        &self,
        since_ms: u64,
        mut f: impl FnMut(crate::domain::Timezone, SessionKey, &SessionRecord),
    ) -> Result<(), StoreError> {
        let tx = self.db.begin_read()?;
        let sites: Vec<(u32, crate::domain::Timezone)> =
            super::sites::all_sites(&tx.open_table(super::tables::SITES)?)?
                .into_iter()
                .map(|s| (s.id.0, s.timezone))
                .collect();
        if let Some(ch) = &self.events {
            for (site, tz) in sites {
                ch.read_visits(SiteId(site), since_ms, u64::MAX, "1", |k, r| {
                    f(tz, k, r);
                    std::ops::ControlFlow::Continue(())
                })?;
            }
            return Ok(());
        }
        let tables = (
            tx.open_table(SESSIONS)?,
            tx.open_table(super::tables::COLD_DAYS)?,
            tx.open_table(super::tables::SEGMENTS)?,
        );
        let mut rec = SessionRecord::default();
        for (site, tz) in sites {
            super::cold::merge(
                (&tables.0, &tables.1, &tables.2),
                SiteId(site),
                since_ms,
                u64::MAX,
                |key, v| match v.decoded(&mut rec) {
                    Ok(r) => {
                        f(tz, key, r);
                        std::ops::ControlFlow::Continue(())
                    }
                    Err(e) => std::ops::ControlFlow::Break(e.into()),
                },
            )?;
        }
        Ok(())
    }
}

/// The batch's newly interned texts, both ways.
fn write_strings(tx: &redb::WriteTransaction, batch: &Batch) -> Result<(), StoreError> {
    let mut strings = tx.open_table(STRINGS)?;
    let mut ids = tx.open_table(STRING_IDS)?;
    for (id, text) in &batch.strings {
        strings.insert(*id, text.as_str())?;
        ids.insert(text.as_str(), *id)?;
    }
    if !batch.region_names.is_empty() {
        let mut names = tx.open_table(super::tables::REGION_NAMES)?;
        for (code, name) in &batch.region_names {
            names.insert(code.as_str(), name.as_str())?;
        }
    }
    Ok(())
}

/// The writer's counters after the batch.
/// The batch's parked open visits, after dropping those gone idle and
/// those taken back.
fn write_parked(tx: &redb::WriteTransaction, batch: &Batch) -> Result<(), StoreError> {
    if let Some(before) = batch.drop_parked_before_ms {
        super::open_visits::drop_idle(tx, before)?;
    }
    super::open_visits::unpark(tx, &batch.unparked)?;
    super::open_visits::park(tx, &batch.parked)
}

fn write_counters(tx: &redb::WriteTransaction, batch: &Batch) -> Result<(), StoreError> {
    let mut meta = tx.open_table(META)?;
    meta.insert(
        NEXT_SESSION_ID,
        batch.next_session_id.to_be_bytes().as_slice(),
    )?;
    meta.insert(
        NEXT_STRING_ID,
        u64::from(batch.next_string_id).to_be_bytes().as_slice(),
    )?;
    Ok(())
}
