//! The scan engine: one sequential pass over a range of visit rows computes
//! any combination of dimensions, filters and metrics exactly. Rollups are
//! built by this same code, so both paths agree by construction.

use std::{
    collections::HashMap,
    hash::{BuildHasherDefault, Hasher},
    ops::ControlFlow,
    sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering},
};

use rustc_hash::FxBuildHasher;

use super::{
    StatsError,
    buckets::{Buckets, DayCache},
    filter::Compiled,
    query::Dimension,
    segment::{DaySegment, Need, Part, for_each_part},
    values::Texts,
    visit::VisitRow,
};
use crate::{
    domain::{SiteId, Timezone},
    store::{ReadView, RollupSums, StoreError, record::SessionRecord},
};

/// Dimension values of one group, padded with zeros.
pub type GroupKey = [u64; 4];

/// The memory one report may hold while it scans, shared by its threads
/// (`storage.max_report_mb`, through [`ReadView::report_memory_limit`]).
///
/// What is counted, in bytes, is what grows with the data: each scan's groups
/// (a slot of `(GroupKey, Acc)` plus its visitor list's smallest allocation,
/// per group, as the maps are sized), the visitors they list for the day (4
/// or 8 bytes each, see [`Who`]; the most of any day so far: lists keep their
/// capacity) and the table of a day's first visitors (at most ~4.5 MB).
/// It is checked every [`CHECK_EVERY`] visits, so a report stops within a
/// few thousand visits of the limit.
pub struct Budget {
    limit: usize,
    held: AtomicUsize,
}

/// Visits between two checks of a scan's [`Budget`].
const CHECK_EVERY: u64 = 4096;

/// Bytes a group holds besides its visitor list entries: its map slot (key,
/// accumulator, control byte) and the list's smallest allocation.
const GROUP_BYTES: usize = std::mem::size_of::<(GroupKey, Acc)>() + 1 + 16;

impl Budget {
    /// A budget of `limit` bytes.
    #[must_use]
    pub fn new(limit: usize) -> Self {
        Self {
            limit,
            held: AtomicUsize::new(0),
        }
    }

    /// The limit, in bytes.
    #[must_use]
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Moves one scan's count from `before` to `now`; false once the
    /// report's scans together hold more than the limit.
    fn update(&self, before: usize, now: usize) -> bool {
        let held = if now >= before {
            self.held.fetch_add(now - before, Ordering::Relaxed) + (now - before)
        } else {
            self.held.fetch_sub(before - now, Ordering::Relaxed) - (before - now)
        };
        held <= self.limit
    }
}

/// Visitor keys are already uniformly random (keyed hashes), so hashing them
/// again is wasted work: the table uses them as their own hash.
#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

/// On a day read from rows, the first [`DENSE_MAX`] visitors get a dense
/// index (groups then list 4 bytes and count through a bitset); later ones
/// are listed by hash (8 bytes, counted by sorting), so the table stays small
/// however many visitors the day has.
type DenseVisitors = HashMap<u64, u32, BuildHasherDefault<PassThrough>>;

/// Most visitors a day's table indexes: 7/8 of 2^18 slots, the most that
/// table holds before it doubles (~4.5 MB at 17 bytes a slot). Unit tests
/// use 64, so their days of rows mix both forms (the differential tests
/// against segments then check the mix counts exactly).
const DENSE_MAX: usize = if cfg!(test) { 64 } else { (1 << 18) / 8 * 7 };

/// Bytes of one slot of the table.
const DENSE_SLOT_BYTES: usize = std::mem::size_of::<(u64, u32)>() + 1;

/// A visit's visitor as a group lists it: a dense index (among a segment's
/// visitors, or the first of a day of rows), counted through a bitset, or a
/// hash (the rest of a day of rows), counted by sorting. A visitor has one
/// form within a day, so the two counts add up.
#[derive(Clone, Copy)]
pub(super) enum Who {
    /// Dense index within the day.
    Index(u32),
    /// The visitor hash of a visit row.
    Hash(u64),
}

impl Who {
    /// Bytes one listing of it takes.
    fn bytes(self) -> usize {
        match self {
            Self::Index(_) => std::mem::size_of::<u32>(),
            Self::Hash(_) => std::mem::size_of::<u64>(),
        }
    }
}

#[derive(Default)]
struct Acc {
    /// The day's visitors in this group, possibly repeated: dense indices
    /// and hashes (see [`Who`]).
    indices: Vec<u32>,
    hashes: Vec<u64>,
    sums: RollupSums,
    last_session: u64,
}

impl Acc {
    fn list(&mut self, who: Who) {
        match who {
            Who::Index(i) => self.indices.push(i),
            Who::Hash(h) => self.hashes.push(h),
        }
    }

    /// Visitors are distinct per day, so a day's list is counted and emptied
    /// when the scan moves past the day: indices through `seen`, a zeroed
    /// bitset over the day's indices (left zeroed), hashes by sorting.
    fn close_day(&mut self, seen: &mut [u64]) {
        let mut n = 0;
        for &i in &self.indices {
            let (w, b) = ((i >> 6) as usize, 1u64 << (i & 63));
            if seen[w] & b == 0 {
                seen[w] |= b;
                n += 1;
            }
        }
        for &i in &self.indices {
            seen[(i >> 6) as usize] = 0;
        }
        if !self.hashes.is_empty() {
            self.hashes.sort_unstable();
            self.hashes.dedup();
            n += self.hashes.len() as u64;
        }
        self.sums.visitors += n;
        self.indices.clear();
        self.hashes.clear();
    }
}

/// One grouping computed during a scan.
pub struct Grouping {
    dims: Vec<Dimension>,
    prop_keys: Vec<u32>,
    event_level: bool,
    accs: HashMap<GroupKey, Acc, FxBuildHasher>,
}

impl Grouping {
    /// Groups by `dims` (empty for the total). `texts` resolves property keys.
    ///
    /// # Errors
    /// Storage errors.
    pub fn new(dims: Vec<Dimension>, texts: &Texts<'_>) -> Result<Self, StoreError> {
        let prop_keys = dims
            .iter()
            .map(|d| match d {
                Dimension::Prop(k) => texts.id_of(k).map(|o| o.unwrap_or(0)),
                _ => Ok(0),
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            event_level: dims.iter().any(Dimension::is_event_level),
            dims,
            prop_keys,
            accs: HashMap::default(),
        })
    }

    fn close_day(&mut self, seen: &mut [u64]) {
        for acc in self.accs.values_mut() {
            acc.close_day(seen);
        }
    }

    /// Empties the groups, handing out their sums (visitors not counted).
    pub(super) fn drain(&mut self) -> impl Iterator<Item = (GroupKey, RollupSums)> + '_ {
        self.accs.drain().map(|(k, a)| (k, a.sums))
    }

    /// The sums per group (after [`scan`], which counts each day's visitors).
    #[must_use]
    pub fn finish(self) -> HashMap<GroupKey, RollupSums> {
        self.accs.into_iter().map(|(k, a)| (k, a.sums)).collect()
    }
}

/// Whether scans read closed days from their segments (on unless a test or
/// bench turns it off to compare with the visit rows).
static USE_SEGMENTS: AtomicBool = AtomicBool::new(true);

/// Day segments read, process-wide, by scans and by
/// [`super::segment::for_each_visit`] (tests check the path is taken).
#[doc(hidden)]
pub static SEGMENT_DAYS_READ: AtomicU64 = AtomicU64::new(0);

/// Turns reading day segments on or off, process-wide; for tests and benches
/// that compare the two layouts.
#[doc(hidden)]
pub fn use_segments(on: bool) {
    USE_SEGMENTS.store(on, Ordering::Relaxed);
}

/// Whether scans read day segments (see [`use_segments`]).
#[must_use]
pub fn segments_enabled() -> bool {
    USE_SEGMENTS.load(Ordering::Relaxed)
}

/// Scans visits of `site` starting in `[from_ms, to_ms)` into every grouping.
/// Local days that are rolled up and have a day segment are read from the
/// segment's columns (only those the filter and groupings touch); the rest
/// from the visit rows.
///
/// Semantics (documented in the README): a visit and all its events count in
/// the period where the visit started; visitors are distinct per local day;
/// with an event-level filter a visit counts if any of its events matches, and
/// only matching events count as pageviews/events.
///
/// Without `extras`, segments skip the events' properties, revenue and
/// engagement unless a filter or grouping reads them: the sums' revenue and
/// engagement may then be short, for callers that don't show them.
///
/// # Errors
/// Storage errors or a corrupt row or segment.
pub fn scan(
    view: &ReadView,
    site: SiteId,
    tz: Timezone,
    range: (u64, u64, bool),
    filter: Option<&Compiled<'_>>,
    groupings: &mut [Grouping],
) -> Result<(), StoreError> {
    scan_bounded(view, (site, tz), range, filter, groupings, None)
}

/// [`scan`] holding at most what `budget` allows, with the scans of the same
/// report that share it.
///
/// # Errors
/// [`StatsError::TooLarge`] past the budget, else as [`scan`].
pub fn scan_within(
    view: &ReadView,
    (site, tz): (SiteId, Timezone),
    range: (u64, u64, bool),
    filter: Option<&Compiled<'_>>,
    groupings: &mut [Grouping],
    budget: &Budget,
) -> Result<(), StatsError> {
    Ok(scan_bounded(
        view,
        (site, tz),
        range,
        filter,
        groupings,
        Some(budget),
    )?)
}

fn scan_bounded(
    view: &ReadView,
    (site, tz): (SiteId, Timezone),
    (from_ms, to_ms, extras): (u64, u64, bool),
    filter: Option<&Compiled<'_>>,
    groupings: &mut [Grouping],
    budget: Option<&Budget>,
) -> Result<(), StoreError> {
    let mut st = Scan::new(tz, filter);
    st.budget = budget;
    let mut need = Need {
        extras,
        ..Need::default()
    };
    for d in filter.map(Compiled::dimensions).unwrap_or_default() {
        need.add(&d);
    }
    if filter.is_some_and(|f| f.has_event_leaf) {
        need.events = true;
    }
    for g in groupings.iter() {
        g.dims.iter().for_each(|d| need.add(d));
    }
    for_each_part(
        view,
        (site, tz),
        (from_ms, to_ms),
        &need,
        |part| match part {
            Part::Rows(from, to) => st.rows(view, site, from, to, groupings),
            Part::Segment(seg) => st.segment(seg, groupings),
        },
    )?;
    st.close_day(groupings, st.dense.len());
    if let Some(b) = budget {
        b.update(st.counted, 0);
    }
    Ok(())
}

/// The state of one scan between visits.
pub(super) struct Scan<'a, 'f> {
    filter: Option<&'a Compiled<'f>>,
    matched: Vec<bool>,
    days: DayCache,
    buckets: Buckets,
    current_day: u64,
    dense: DenseVisitors,
    seen: Vec<u64>,
    /// Numbers the visits of the scan, so a group counts a visit once.
    visit_no: u64,
    /// The report's memory budget, if bounded, and what this scan last
    /// counted against it.
    budget: Option<&'a Budget>,
    counted: usize,
    /// Bytes of visitor lists since the day began, and the most of any day
    /// (the lists keep their capacity from day to day).
    listed: usize,
    listed_peak: usize,
}

impl<'a, 'f> Scan<'a, 'f> {
    pub(super) fn new(tz: Timezone, filter: Option<&'a Compiled<'f>>) -> Self {
        Self {
            filter,
            matched: Vec::new(),
            days: DayCache::new(tz),
            buckets: Buckets::new(tz),
            current_day: u64::MAX,
            dense: DenseVisitors::default(),
            seen: Vec::new(),
            visit_no: 0,
            budget: None,
            counted: 0,
            listed: 0,
            listed_peak: 0,
        }
    }

    /// Counts what this scan holds against its budget: `Err` once the
    /// report is over it.
    fn check_budget(&mut self, groupings: &[Grouping]) -> Result<(), StoreError> {
        let Some(budget) = self.budget else {
            return Ok(());
        };
        self.listed_peak = self.listed_peak.max(self.listed);
        let groups: usize = groupings.iter().map(|g| g.accs.capacity()).sum();
        let now =
            self.dense.capacity() * DENSE_SLOT_BYTES + groups * GROUP_BYTES + self.listed_peak;
        let within = budget.update(self.counted, now);
        self.counted = now;
        if within {
            Ok(())
        } else {
            Err(StoreError::OverReportLimit {
                limit_bytes: budget.limit(),
            })
        }
    }

    /// Counts the day's visitors in every group; `visitors` bounds the day's
    /// dense indices.
    fn close_day(&mut self, groupings: &mut [Grouping], visitors: usize) {
        self.seen.clear();
        self.seen.resize(visitors.div_ceil(64), 0);
        groupings
            .iter_mut()
            .for_each(|g| g.close_day(&mut self.seen));
        self.dense.clear();
        self.listed_peak = self.listed_peak.max(self.listed);
        self.listed = 0;
    }

    /// Visit rows starting in `[from_ms, to_ms)`.
    fn rows(
        &mut self,
        view: &ReadView,
        site: SiteId,
        from_ms: u64,
        to_ms: u64,
        groupings: &mut [Grouping],
    ) -> Result<(), StoreError> {
        let mut rec = SessionRecord::default();
        view.for_each_session(site, from_ms, to_ms, |key, bytes| {
            let rest = match rec.decode_header(bytes) {
                Ok(rest) => rest,
                Err(e) => return ControlFlow::Break(e.into()),
            };
            // Reject on visit attributes before paying for the events.
            let prechecked = match self.filter.filter(|f| !f.needs_events) {
                Some(f) => match f.eval(&rec, None) {
                    Ok(true) => true,
                    Ok(false) => return ControlFlow::Continue(()),
                    Err(e) => return ControlFlow::Break(e),
                },
                None => false,
            };
            if let Err(e) = rec.decode_events(rest, bytes.len()) {
                return ControlFlow::Break(e.into());
            }
            let day = self.days.day(key.start_ms);
            if day != self.current_day {
                self.close_day(groupings, self.dense.len());
                self.current_day = day;
            }
            let next = self.dense.len();
            let who = if next < DENSE_MAX {
                let next = u32::try_from(next).unwrap_or(u32::MAX);
                Who::Index(*self.dense.entry(rec.visitor).or_insert(next))
            } else {
                self.dense
                    .get(&rec.visitor)
                    .map_or(Who::Hash(rec.visitor), |&i| Who::Index(i))
            };
            match self.visit(&rec, key.start_ms, who, prechecked, groupings) {
                Ok(()) => ControlFlow::Continue(()),
                Err(e) => ControlFlow::Break(e),
            }
        })
    }

    /// Every visit of one day's segment.
    fn segment(&mut self, seg: &DaySegment, groupings: &mut [Grouping]) -> Result<(), StoreError> {
        self.close_day(groupings, self.dense.len());
        self.current_day = u64::MAX;
        for i in 0..seg.visits {
            let v = seg.visit(i);
            let prechecked = match self.filter.filter(|f| !f.needs_events) {
                Some(f) if !f.eval(&v, None)? => continue,
                Some(_) => true,
                None => false,
            };
            self.visit(
                &v,
                seg.start_ms(i),
                Who::Index(seg.visitor(i)),
                prechecked,
                groupings,
            )?;
        }
        self.close_day(groupings, seg.visitors);
        Ok(())
    }

    /// Adds one visit to every grouping. `prechecked`: the filter, which
    /// doesn't need events, is known to match.
    pub(super) fn visit<V: VisitRow>(
        &mut self,
        v: &V,
        start_ms: u64,
        visitor: Who,
        prechecked: bool,
        groupings: &mut [Grouping],
    ) -> Result<(), StoreError> {
        self.visit_no += 1;
        let id = self.visit_no;
        if id.is_multiple_of(CHECK_EVERY) {
            self.check_budget(groupings)?;
        }
        let matched = &mut self.matched;
        matched.clear();
        // The matching events' sums, for groupings by visit attributes.
        let mut events = RollupSums::default();
        let all = match self.filter {
            Some(f) if f.has_event_leaf => {
                for j in 0..v.events() {
                    let m = f.eval(v, Some(j))?;
                    matched.push(m);
                    if m {
                        v.add_event(j, &mut events);
                    }
                }
                if events.events == 0 {
                    return Ok(());
                }
                false
            }
            Some(f) if !prechecked && !f.eval(v, None)? => return Ok(()),
            _ => {
                v.add_all_events(&mut events);
                true
            }
        };
        // Events picked by name count in a page breakdown where they happened
        // (Plausible's pages of a goal); otherwise pages count pageviews only.
        let pages_of_events = self.filter.is_some_and(|f| f.names_events);
        let bounce = u64::from(v.is_bounce());
        let duration = v.duration_ms();
        for g in groupings.iter_mut() {
            let mut key: GroupKey = [0; 4];
            for (i, d) in g.dims.iter().enumerate() {
                if d.is_time() {
                    key[i] = self.buckets.get(d, start_ms);
                } else if !d.is_event_level() {
                    key[i] = v.visit_raw(d);
                }
            }
            if g.event_level {
                for j in (0..v.events()).filter(|&j| all || matched[j]) {
                    if g.dims.contains(&Dimension::Page) && !v.pageview(j) && !pages_of_events {
                        continue;
                    }
                    let mut k = key;
                    for (i, d) in g.dims.iter().enumerate() {
                        if d.is_event_level() {
                            k[i] = v.event_raw(j, d, g.prop_keys[i]);
                        }
                    }
                    if g.dims
                        .iter()
                        .zip(&k)
                        .any(|(d, v)| matches!(d, Dimension::Prop(_)) && *v == 0)
                    {
                        continue;
                    }
                    let acc = g.accs.entry(k).or_default();
                    v.add_event(j, &mut acc.sums);
                    // A visit has one visitor: insert once per visit and group.
                    if acc.last_session != id {
                        acc.last_session = id;
                        acc.list(visitor);
                        self.listed += visitor.bytes();
                        acc.sums.visits += 1;
                        acc.sums.bounces += bounce;
                        acc.sums.duration_ms += duration;
                    }
                }
            } else {
                let acc = g.accs.entry(key).or_default();
                acc.list(visitor);
                self.listed += visitor.bytes();
                acc.sums.visits += 1;
                acc.sums.bounces += bounce;
                acc.sums.duration_ms += duration;
                acc.sums.add(&events);
            }
        }
        Ok(())
    }
}
