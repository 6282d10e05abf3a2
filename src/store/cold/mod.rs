//! Cold days: completed days whose visits are kept in their day segment
//! only (`store::columns`), their rows deleted. A segment holds everything
//! its day's rows hold in about a third of the bytes (BENCHMARKS.md,
//! "Bytes on disk per event").
//!
//! - **Freezing** (`Store::freeze_day`, in `freeze`; run by the rollup job): a day
//!   rolled up with a segment that holds visit ids, ended
//!   [`COLD_AFTER_DAYS`] days ago or more, is read back visit by visit and
//!   compared with its rows in one read snapshot; only if every visit is
//!   equal are the rows deleted and the day marked cold, in one write
//!   transaction that first checks nothing changed the day meanwhile.
//! - **Reading** ([`merge`]): cold days' visits are merged with the rows
//!   in key order (decoded, or encoded back to row bytes), so every reader of visits
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

use redb::{ReadableTable, ReadableTableMetadata, WriteTransaction};

use super::{
    StoreError,
    codec::CodecError,
    columns::{DaySegment, Need, for_each_whole_visit},
    record::SessionRecord,
    segments::get_in,
    tables::{COLD_DAYS, SEGMENTS, SESSIONS},
};
use crate::domain::SiteId;

/// Days after a day's end before it may turn cold. The writer rebuilds its
/// open visits from the last day's rows after a restart, and a consent
/// upgrade rewrites visits of the last two salt days: neither then meets a
/// cold day (both would thaw it, correctly but slowly).
pub const COLD_AFTER_DAYS: u32 = 2;

mod freeze;
mod merge;

pub use merge::Visit;
pub(super) use merge::{merge, visit_row};

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

/// Thaws the cold days a writer batch writes visits of:
/// days of its visits, and any a consent upgrade may reach.
pub(super) fn thaw_for_batch(
    tx: &WriteTransaction,
    batch: &super::Batch,
) -> Result<(), StoreError> {
    let days: std::collections::BTreeSet<(u32, u32)> = {
        let cold = tx.open_table(COLD_DAYS)?;
        if cold.is_empty()? {
            return Ok(());
        }
        let mut days = std::collections::BTreeSet::new();
        for a in &batch.sessions {
            let day = (a.key.site.0, a.day);
            if !days.contains(&day) && cold.get(day)?.is_some() {
                days.insert(day);
            }
        }
        days
    };
    for (site, day) in days {
        thaw_day(tx, SiteId(site), day)?;
    }
    for up in &batch.upgrades {
        thaw_overlapping(tx, up.site, up.since_ms, u64::MAX)?;
        let days = *up.days.start()..up.days.end().saturating_add(1);
        thaw_days(tx, up.site, days)?;
    }
    Ok(())
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
