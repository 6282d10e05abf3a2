//! Cold days: completed days whose visits are kept in their day segment
//! only (`store::columns`), their rows deleted. A segment holds everything
//! its day's rows hold in about a third of the bytes (BENCHMARKS.md,
//! "Bytes on disk per event").
//!
//! - **Freezing** ([`Store::freeze_day`], run by the rollup job): a day
//!   rolled up with a segment that holds visit ids, ended
//!   [`COLD_AFTER_DAYS`] days ago or more, is read back visit by visit and
//!   compared with its rows in one read snapshot; only if every visit is
//!   equal are the rows deleted and the day marked cold, in one write
//!   transaction that first checks nothing changed the day meanwhile.
//! - **Reading** ([`for_each_visit`]): cold days' visits are merged with the
//!   rows in key order, encoded back to row bytes, so every reader of visits
//!   (reports, exports, attribution, rollup rebuilds, the writer's restart)
//!   sees the same visits as before.
//! - **Thawing** ([`thaw_day`]): any write to a cold day's visits first puts
//!   its rows back and removes the mark, in the same write transaction —
//!   the writer appending to or dating a visit into it, a consent upgrade
//!   reaching into it, an erasure of a visitor it holds, a purge cutting
//!   through it, a change of the site's zone. The day's rollup and segment
//!   stay until that write invalidates them as for any day; the next rollup
//!   run rebuilds the day and a later one freezes it again.
//! - **Deleting**: a purge deletes whole cold days before its cutoff with
//!   their segments; deleting a site's visits deletes its marks
//!   ([`forget_site`]).

use std::ops::ControlFlow;

use redb::{ReadableTable, WriteTransaction};

use super::{
    SessionKey, Store, StoreError,
    codec::CodecError,
    columns::{DaySegment, Need, col, for_each_whole_visit},
    record::SessionRecord,
    segments::get_in,
    tables::{COLD_DAYS, DAY_VERSIONS, ROLLED_DAYS, SEGMENTS, SESSIONS, SITES},
};
use crate::domain::{SiteId, calendar::days_to_ms};

/// Days after a day's end before it may turn cold. The writer rebuilds its
/// open visits from the last day's rows after a restart, and a consent
/// upgrade rewrites visits of the last two salt days: neither then meets a
/// cold day (both would thaw it, correctly but slowly).
pub const COLD_AFTER_DAYS: u32 = 2;

const DAY_MS: u64 = 86_400_000;

/// A cold day's mark: the day's bounds and what its visits span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct ColdDay {
    /// Local day number.
    pub day: u32,
    /// Start of the day, unix ms.
    pub from_ms: u64,
    /// End of the day (exclusive), unix ms.
    pub to_ms: u64,
    /// Visits in its segment.
    pub visits: u64,
    /// Start of its first visit (`from_ms` when it has none).
    pub first_ms: u64,
    /// Start of its last visit (`from_ms` when it has none).
    pub last_ms: u64,
    /// The day's version (`DAY_VERSIONS`) when it was frozen: a mark equal
    /// to one seen before means the same visits.
    pub version: u64,
}

impl ColdDay {
    fn encode(&self) -> [u8; 48] {
        let mut b = [0; 48];
        for (i, v) in [
            self.from_ms,
            self.to_ms,
            self.visits,
            self.first_ms,
            self.last_ms,
            self.version,
        ]
        .into_iter()
        .enumerate()
        {
            b[i * 8..i * 8 + 8].copy_from_slice(&v.to_be_bytes());
        }
        b
    }

    fn decode(day: u32, b: &[u8]) -> Result<Self, CodecError> {
        if b.len() != 48 {
            return Err(CodecError("cold day mark length"));
        }
        let at = |i: usize| {
            let mut w = [0; 8];
            w.copy_from_slice(&b[i * 8..i * 8 + 8]);
            u64::from_be_bytes(w)
        };
        Ok(Self {
            day,
            from_ms: at(0),
            to_ms: at(1),
            visits: at(2),
            first_ms: at(3),
            last_ms: at(4),
            version: at(5),
        })
    }
}

/// The cold-day table of a read or a write transaction.
pub(super) trait ColdTable: ReadableTable<(u32, u32), &'static [u8]> {}
impl<T: ReadableTable<(u32, u32), &'static [u8]>> ColdTable for T {}
/// The visit table of a read or a write transaction.
pub(super) trait VisitTable: ReadableTable<(u32, u64, u64), &'static [u8]> {}
impl<T: ReadableTable<(u32, u64, u64), &'static [u8]>> VisitTable for T {}
/// The segment table of a read or a write transaction.
pub(super) trait SegmentTable: ReadableTable<(u32, u32, u8, u32), &'static [u8]> {}
impl<T: ReadableTable<(u32, u32, u8, u32), &'static [u8]>> SegmentTable for T {}

/// The site's cold days whose bounds overlap `[from_ms, to_ms)`, in order.
pub(super) fn overlapping(
    t: &impl ColdTable,
    site: SiteId,
    from_ms: u64,
    to_ms: u64,
) -> Result<Vec<ColdDay>, StoreError> {
    // A local day's number is within one of the UTC day number of any
    // instant in it (zones are within ±14 h of UTC).
    let utc_day = |ms: u64| u32::try_from(ms / DAY_MS).unwrap_or(u32::MAX);
    let lo = utc_day(from_ms).saturating_sub(2);
    let hi = utc_day(to_ms).saturating_add(2);
    let mut out = Vec::new();
    for row in t.range((site.0, lo)..=(site.0, hi))? {
        let (k, v) = row?;
        let c = ColdDay::decode(k.value().1, v.value())?;
        if c.from_ms < to_ms && from_ms < c.to_ms {
            out.push(c);
        }
    }
    Ok(out)
}

/// Every cold day of the site, in order.
pub(super) fn of_site(t: &impl ColdTable, site: SiteId) -> Result<Vec<ColdDay>, StoreError> {
    let mut out = Vec::new();
    for row in t.range((site.0, 0)..=(site.0, u32::MAX))? {
        let (k, v) = row?;
        out.push(ColdDay::decode(k.value().1, v.value())?);
    }
    Ok(out)
}

/// Every cold day of every site: (site, day).
pub(super) fn all(t: &impl ColdTable) -> Result<Vec<(SiteId, ColdDay)>, StoreError> {
    let mut out = Vec::new();
    for row in t.iter()? {
        let (k, v) = row?;
        let (site, day) = k.value();
        out.push((SiteId(site), ColdDay::decode(day, v.value())?));
    }
    Ok(out)
}

/// Calls `f(start_ms, id, record)` with each visit of cold day `day` in
/// key order until it breaks.
///
/// # Errors
/// A missing or corrupt segment (a cold day's segment always holds visit
/// ids), storage errors.
pub(super) fn each_visit(
    segs: &impl SegmentTable,
    site: SiteId,
    day: u32,
    f: impl FnMut(u64, u64, &SessionRecord) -> ControlFlow<()>,
) -> Result<(), StoreError> {
    if for_each_whole_visit(|code| get_in(segs, site, day, code), f)? {
        Ok(())
    } else {
        Err(CodecError("cold day's segment without visit ids").into())
    }
}

/// A visit as it is stored: a row's bytes, or a cold day's visit as its
/// segment gives it (see `ReadView::for_each_visit_data`).
#[derive(Debug, Clone, Copy)]
pub enum Visit<'a> {
    /// An encoded visit row.
    Row(&'a [u8]),
    /// A visit decoded from a cold day's segment.
    Record(&'a SessionRecord),
}

/// Calls `f` with the rows of `site` keyed from `lo` (inclusive) to `hi`
/// (exclusive), each (start ms, id).
fn rows_between(
    sessions: &impl VisitTable,
    site: SiteId,
    lo: (u64, u64),
    hi: (u64, u64),
    f: &mut impl FnMut(SessionKey, Visit<'_>) -> ControlFlow<StoreError>,
) -> Result<(), StoreError> {
    if lo >= hi {
        return Ok(());
    }
    for row in sessions.range((site.0, lo.0, lo.1)..(site.0, hi.0, hi.1))? {
        let (k, v) = row?;
        let (_, start_ms, id) = k.value();
        if let ControlFlow::Break(e) = f(SessionKey { site, start_ms, id }, Visit::Row(v.value())) {
            return Err(e);
        }
    }
    Ok(())
}

/// The key just after `(start_ms, id)`.
fn after((start_ms, id): (u64, u64)) -> (u64, u64) {
    match id.checked_add(1) {
        Some(next) => (start_ms, next),
        None => (start_ms.saturating_add(1), 0),
    }
}

/// The tables [`for_each_visit`] reads: visit rows, cold marks, segments.
pub(super) type VisitTables<'a, V, C, S> = (&'a V, &'a C, &'a S);

/// Calls `f` with every visit of `site` that started in `[from_ms, to_ms)`
/// — rows and cold days' visits (as row bytes) merged in key order — until
/// it breaks.
///
/// # Errors
/// Storage errors, a corrupt cold segment, or the error `f` breaks with.
pub(super) fn for_each_visit(
    tables: VisitTables<'_, impl VisitTable, impl ColdTable, impl SegmentTable>,
    site: SiteId,
    from_ms: u64,
    to_ms: u64,
    mut f: impl FnMut(SessionKey, &[u8]) -> ControlFlow<StoreError>,
) -> Result<(), StoreError> {
    merge(tables, site, from_ms, to_ms, |key, v| match v {
        Visit::Row(bytes) => f(key, bytes),
        Visit::Record(rec) => f(key, &rec.encode()),
    })
}

/// [`for_each_visit`] giving each visit decoded (a row decoded into one
/// reused record; a cold day's visit as its segment gives it, without
/// going through row bytes).
///
/// # Errors
/// As [`for_each_visit`], and a corrupt row.
pub(super) fn for_each_visit_record(
    tables: VisitTables<'_, impl VisitTable, impl ColdTable, impl SegmentTable>,
    site: SiteId,
    from_ms: u64,
    to_ms: u64,
    mut f: impl FnMut(SessionKey, &SessionRecord) -> ControlFlow<StoreError>,
) -> Result<(), StoreError> {
    let mut rec = SessionRecord::default();
    merge(tables, site, from_ms, to_ms, |key, v| match v {
        Visit::Row(bytes) => match rec.decode_into(bytes) {
            Ok(()) => f(key, &rec),
            Err(e) => ControlFlow::Break(e.into()),
        },
        Visit::Record(r) => f(key, r),
    })
}

/// Calls `f` with every visit of `site` that started in `[from_ms, to_ms)`
/// as it is stored, rows and cold days' visits merged in key order, until
/// it breaks.
///
/// # Errors
/// As [`for_each_visit`].
pub(super) fn merge(
    (sessions, cold, segs): VisitTables<'_, impl VisitTable, impl ColdTable, impl SegmentTable>,
    site: SiteId,
    from_ms: u64,
    to_ms: u64,
    mut f: impl FnMut(SessionKey, Visit<'_>) -> ControlFlow<StoreError>,
) -> Result<(), StoreError> {
    let mut cursor = (from_ms, 0);
    for c in overlapping(cold, site, from_ms, to_ms)? {
        let (lo, hi) = (c.from_ms.max(from_ms), c.to_ms.min(to_ms));
        rows_between(sessions, site, cursor, (lo, 0), &mut f)?;
        // Rows inside a cold day: none while every write to one thaws it;
        // merged one by one if there ever are.
        let strays = sessions
            .range((site.0, lo, 0)..(site.0, hi, 0))?
            .next()
            .is_some();
        let mut at = (lo, 0);
        let mut stop = None;
        each_visit(segs, site, c.day, |start, id, rec| {
            if start < lo {
                return ControlFlow::Continue(());
            }
            if start >= hi {
                return ControlFlow::Break(());
            }
            if strays {
                if let Err(e) = rows_between(sessions, site, at, (start, id), &mut f) {
                    stop = Some(e);
                    return ControlFlow::Break(());
                }
                at = after((start, id));
            }
            let key = SessionKey {
                site,
                start_ms: start,
                id,
            };
            match f(key, Visit::Record(rec)) {
                ControlFlow::Continue(()) => ControlFlow::Continue(()),
                ControlFlow::Break(e) => {
                    stop = Some(e);
                    ControlFlow::Break(())
                }
            }
        })?;
        if let Some(e) = stop {
            return Err(e);
        }
        if strays {
            rows_between(sessions, site, at, (hi, 0), &mut f)?;
        }
        cursor = (hi, 0);
    }
    rows_between(sessions, site, cursor, (to_ms, 0), &mut f)
}

/// One visit of a cold day by key, as row bytes.
pub(super) fn visit_row(
    (cold, segs): (&impl ColdTable, &impl SegmentTable),
    key: SessionKey,
) -> Result<Option<Vec<u8>>, StoreError> {
    let mut out = None;
    for c in overlapping(cold, key.site, key.start_ms, key.start_ms.saturating_add(1))? {
        each_visit(segs, key.site, c.day, |start, id, rec| {
            if (start, id) < (key.start_ms, key.id) {
                return ControlFlow::Continue(());
            }
            if (start, id) == (key.start_ms, key.id) {
                out = Some(rec.encode());
            }
            ControlFlow::Break(())
        })?;
    }
    Ok(out)
}

/// Puts a cold day's visits back as rows and removes its mark; false when
/// the day isn't cold. Its segment, rollup and rolled-up mark stay (they
/// describe the same visits) until the write that thawed it invalidates
/// the day as it would any day.
///
/// # Errors
/// Storage errors, a corrupt segment; the transaction must then not commit.
pub(super) fn thaw_day(tx: &WriteTransaction, site: SiteId, day: u32) -> Result<bool, StoreError> {
    if tx.open_table(COLD_DAYS)?.remove((site.0, day))?.is_none() {
        return Ok(false);
    }
    let segs = tx.open_table(SEGMENTS)?;
    let mut rows = tx.open_table(SESSIONS)?;
    let mut failed = None;
    let mut n = 0u64;
    each_visit(&segs, site, day, |start, id, rec| {
        n += 1;
        match rows.insert((site.0, start, id), rec.encode().as_slice()) {
            Ok(_) => ControlFlow::Continue(()),
            Err(e) => {
                failed = Some(e);
                ControlFlow::Break(())
            }
        }
    })?;
    if let Some(e) = failed {
        return Err(e.into());
    }
    tracing::info!(site = site.0, day, visits = n, "cold day thawed");
    Ok(true)
}

/// Thaws the site's cold days overlapping `[from_ms, to_ms)`; returns how many.
///
/// # Errors
/// As [`thaw_day`].
pub(super) fn thaw_overlapping(
    tx: &WriteTransaction,
    site: SiteId,
    from_ms: u64,
    to_ms: u64,
) -> Result<usize, StoreError> {
    let days = overlapping(&tx.open_table(COLD_DAYS)?, site, from_ms, to_ms)?;
    for c in &days {
        thaw_day(tx, site, c.day)?;
    }
    Ok(days.len())
}

/// Thaws the cold days of `site` among local days `days` (a range).
///
/// # Errors
/// As [`thaw_day`].
pub(super) fn thaw_days(
    tx: &WriteTransaction,
    site: SiteId,
    days: std::ops::Range<u32>,
) -> Result<usize, StoreError> {
    let cold: Vec<u32> = of_site(&tx.open_table(COLD_DAYS)?, site)?
        .into_iter()
        .map(|c| c.day)
        .filter(|d| days.contains(d))
        .collect();
    for &d in &cold {
        thaw_day(tx, site, d)?;
    }
    Ok(cold.len())
}

/// The site's cold days holding a visit of any visitor `wanted` accepts.
///
/// # Errors
/// Storage errors, a corrupt segment.
pub(super) fn days_with_visitor(
    (cold, segs): (&impl ColdTable, &impl SegmentTable),
    site: SiteId,
    wanted: impl Fn(u64) -> bool,
) -> Result<Vec<ColdDay>, StoreError> {
    days_with_visitor_among(segs, site, &of_site(cold, site)?, wanted)
}

/// [`days_with_visitor`] among the cold days `days`.
///
/// # Errors
/// Storage errors, a corrupt segment.
pub(super) fn days_with_visitor_among(
    segs: &impl SegmentTable,
    site: SiteId,
    days: &[ColdDay],
    wanted: impl Fn(u64) -> bool,
) -> Result<Vec<ColdDay>, StoreError> {
    let need = Need {
        visitor_ids: true,
        ..Need::default()
    };
    let mut out = Vec::new();
    for &c in days {
        let seg = DaySegment::load(|code| get_in(segs, site, c.day, code), &need)?;
        if seg.visitor_ids().iter().any(|&v| wanted(v)) {
            out.push(c);
        }
    }
    Ok(out)
}

/// Deletes every cold mark of `site` (its visits are being deleted; the
/// segments go with its rollups).
pub(super) fn forget_site(tx: &WriteTransaction, site: SiteId) -> Result<(), StoreError> {
    tx.open_table(COLD_DAYS)?
        .retain_in((site.0, 0)..=(site.0, u32::MAX), |_, _| false)?;
    Ok(())
}

/// Deletes the cold days of `site` that end at or before `before_ms`, with
/// their segments (their visits are purged), and counts their visits; with
/// `dry_run` only counts. Stops once `limit` visits are counted.
pub(super) fn purge_before(
    tx: &WriteTransaction,
    site: SiteId,
    before_ms: u64,
    limit: usize,
    dry_run: bool,
) -> Result<(usize, std::collections::BTreeSet<u32>), StoreError> {
    let mut n = 0;
    let mut days = std::collections::BTreeSet::new();
    for c in overlapping(&tx.open_table(COLD_DAYS)?, site, 0, before_ms)? {
        if n >= limit {
            break;
        }
        if c.to_ms > before_ms {
            continue;
        }
        n += usize::try_from(c.visits).unwrap_or(usize::MAX);
        days.insert(c.day);
    }
    if !dry_run {
        let mut t = tx.open_table(COLD_DAYS)?;
        for &d in &days {
            t.remove((site.0, d))?;
        }
    }
    Ok((n, days))
}

/// What a read snapshot found a day to be, for [`Store::freeze_day`].
struct Checked {
    mark: ColdDay,
    version: u64,
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
            if version != checked.version || rolled_at != Some(checked.rolled_at) || cold {
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
        if !super::segments::has(&segs, site, day, col::HEADER)?
            || !super::segments::has(&segs, site, day, col::VISIT_ID)?
        {
            return Ok(None);
        }
        let version = tx
            .open_table(DAY_VERSIONS)?
            .get((site.0, day))?
            .map_or(0, |v| v.value());
        let Some(tz) = tx
            .open_table(SITES)?
            .get(site.0)?
            .map(|v| super::sites::decode_site(v.value()).map(|s| s.timezone))
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
            version,
            rolled_at,
        }))
    }
}
