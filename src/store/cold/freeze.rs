//! Freezing a day (see the module above): its segment is compared with
//! its rows in a read snapshot, then its rows are deleted in a short write
//! transaction that first checks nothing changed the day meanwhile.

use std::ops::ControlFlow;

use redb::ReadableTable;

use super::{ColdDay, each_visit};
use crate::{
    domain::{SiteId, calendar::days_to_ms},
    store::{
        Store, StoreError,
        columns::{DaySegment, Need, col},
        record::SessionRecord,
        segments::{get_in, has},
        sites::decode_site,
        tables::{COLD_DAYS, DAY_VERSIONS, ROLLED_DAYS, SEGMENTS, SESSIONS, SITES},
    },
};

/// What a read snapshot found a day to be, for [`Store::freeze_day`].
struct Checked {
    /// The mark to write, with the day's version when checked.
    mark: ColdDay,
    /// When the day's rollup was stored (`ROLLED_DAYS`).
    rolled_at: u64,
}

impl Store {
    /// Makes a rolled-up day cold (see the module docs): its rows are
    /// deleted once its segment reads back equal to them, visit by visit.
    /// Returns false, changing nothing, when the day is not rolled up, is
    /// cold already, has no segment or one without visit ids (written
    /// before schema 5), differs from its rows (logged: a bug to report),
    /// or changed between the check and the write; always false with
    /// visits on ClickHouse.
    ///
    /// # Errors
    /// Storage errors, a corrupt segment.
    pub fn freeze_day(&self, site: SiteId, day: u32) -> Result<bool, StoreError> {
        if self.events.is_some() {
            return Ok(false);
        }
        let Some(checked) = self.check_freeze(site, day)? else {
            return Ok(false);
        };
        let c = checked.mark;
        let started = std::time::Instant::now();
        let tx = self.db.begin_write()?;
        {
            let version = tx
                .open_table(DAY_VERSIONS)?
                .get((site.0, day))?
                .map_or(0, |v| v.value());
            let rolled_at = tx
                .open_table(ROLLED_DAYS)?
                .get((site.0, day))?
                .map(|v| v.value());
            let cold = tx.open_table(COLD_DAYS)?.get((site.0, day))?.is_some();
            if version != c.version || rolled_at != Some(checked.rolled_at) || cold {
                return Ok(false);
            }
            let mut deleted = 0u64;
            tx.open_table(SESSIONS)?.retain_in(
                (site.0, c.from_ms, 0)..(site.0, c.to_ms, 0),
                |_, _| {
                    deleted += 1;
                    false
                },
            )?;
            if deleted != c.visits {
                // Dropped uncommitted: nothing changes.
                tracing::warn!(site = site.0, day, "day not made cold: its rows changed");
                return Ok(false);
            }
            tx.open_table(COLD_DAYS)?
                .insert((site.0, day), c.encode().as_slice())?;
        }
        tx.commit()?;
        tracing::info!(
            site = site.0,
            day,
            visits = c.visits,
            write_ms = started.elapsed().as_millis(),
            "day made cold: its rows deleted, its visits kept in its segment"
        );
        Ok(true)
    }

    /// The read half of [`Store::freeze_day`]: the day's mark if its
    /// segment holds exactly its rows.
    fn check_freeze(&self, site: SiteId, day: u32) -> Result<Option<Checked>, StoreError> {
        let tx = self.db.begin_read()?;
        let Some(rolled_at) = tx
            .open_table(ROLLED_DAYS)?
            .get((site.0, day))?
            .map(|v| v.value())
        else {
            return Ok(None);
        };
        if tx.open_table(COLD_DAYS)?.get((site.0, day))?.is_some() {
            return Ok(None);
        }
        let segs = tx.open_table(SEGMENTS)?;
        if !has(&segs, site, day, col::HEADER)? || !has(&segs, site, day, col::VISIT_ID)? {
            return Ok(None);
        }
        let version = tx
            .open_table(DAY_VERSIONS)?
            .get((site.0, day))?
            .map_or(0, |v| v.value());
        let Some(tz) = tx
            .open_table(SITES)?
            .get(site.0)?
            .map(|v| decode_site(v.value()).map(|s| s.timezone))
            .transpose()?
        else {
            return Ok(None);
        };
        let seg = DaySegment::load(|code| get_in(&segs, site, day, code), &Need::default())?;
        let (from_ms, to_ms) = (seg.from_ms, seg.to_ms);
        // A segment of another zone's day (the zone changed after it was
        // built) is rebuilt by the rollup job, never frozen.
        if (from_ms, to_ms) != days_to_ms(day, day, tz) || seg.tz != tz.tz().name() {
            return Ok(None);
        }
        let sessions = tx.open_table(SESSIONS)?;
        let mut rows = sessions.range((site.0, from_ms, 0)..(site.0, to_ms, 0))?;
        let mut rec = SessionRecord::default();
        let mut same = true;
        let mut failed = None;
        let (mut visits, mut first_ms, mut last_ms) = (0u64, None, from_ms);
        each_visit(&segs, site, day, |start, id, whole| {
            let row = match rows.next() {
                Some(Ok(row)) => row,
                Some(Err(e)) => {
                    failed = Some(e);
                    return ControlFlow::Break(());
                }
                None => {
                    same = false;
                    return ControlFlow::Break(());
                }
            };
            if row.0.value() != (site.0, start, id)
                || rec.decode_into(row.1.value()).is_err()
                || rec != *whole
            {
                same = false;
                return ControlFlow::Break(());
            }
            visits += 1;
            first_ms.get_or_insert(start);
            last_ms = start;
            ControlFlow::Continue(())
        })?;
        if let Some(e) = failed {
            return Err(e.into());
        }
        if !same || rows.next().is_some() {
            tracing::warn!(
                site = site.0,
                day,
                "day not made cold: its segment differs from its rows"
            );
            return Ok(None);
        }
        Ok(Some(Checked {
            mark: ColdDay {
                day,
                from_ms,
                to_ms,
                visits,
                first_ms: first_ms.unwrap_or(from_ms),
                last_ms,
                version,
            },
            rolled_at,
        }))
    }
}
