//! The scan engine: one sequential pass over a range of visit rows computes
//! any combination of dimensions, filters and metrics exactly. Rollups are
//! built by this same code, so both paths agree by construction.

use std::{
    ops::ControlFlow,
    sync::atomic::{AtomicBool, AtomicU64, Ordering},
};

pub use super::budget::Budget;
pub use super::groups::Grouping;
use super::{
    StatsError,
    buckets::{Buckets, DayCache},
    budget::{CHECK_EVERY, DENSE_SLOT_BYTES, GROUP_BYTES},
    filter::Compiled,
    groups::{DENSE_MAX, DenseVisitors, Who},
    query::Dimension,
    segment::{self, DaySegment, Need, Part, SegVisit, for_each_part},
    visit::VisitRow,
};
use crate::{
    domain::{SiteId, Timezone},
    store::{ReadView, RollupSums, StoreError, Visit, record::SessionRecord},
};

/// Dimension values of one group, padded with zeros.
pub type GroupKey = [u64; 4];

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
        segment::add_need(&mut need, &d);
    }
    if filter.is_some_and(|f| f.has_event_leaf) {
        need.events = true;
    }
    for g in groupings.iter() {
        g.dims.iter().for_each(|d| segment::add_need(&mut need, d));
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
    /// Bytes of the groups' boxed revenue and engagement.
    extras_held: usize,
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
            extras_held: 0,
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
        let now = self.dense.capacity() * DENSE_SLOT_BYTES
            + groups * GROUP_BYTES
            + self.listed_peak
            + self.extras_held;
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
        view.for_each_visit_data(site, from_ms, to_ms, |key, data| {
            // Reject on visit attributes before paying for the events.
            let precheck = |rec: &SessionRecord| match self.filter.filter(|f| !f.needs_events) {
                Some(f) => f.eval(rec, None).map(Some),
                None => Ok(None),
            };
            let (rec, prechecked) = match data {
                Visit::Row(bytes) => {
                    let rest = match rec.decode_header(bytes) {
                        Ok(rest) => rest,
                        Err(e) => return ControlFlow::Break(e.into()),
                    };
                    let prechecked = match precheck(&rec) {
                        Ok(Some(false)) => return ControlFlow::Continue(()),
                        Ok(p) => p.is_some(),
                        Err(e) => return ControlFlow::Break(e),
                    };
                    if let Err(e) = rec.decode_events(rest, bytes.len()) {
                        return ControlFlow::Break(e.into());
                    }
                    (&rec, prechecked)
                }
                // A cold day's visit comes decoded (`store::cold`).
                Visit::Record(r) => match precheck(r) {
                    Ok(Some(false)) => return ControlFlow::Continue(()),
                    Ok(p) => (r, p.is_some()),
                    Err(e) => return ControlFlow::Break(e),
                },
            };
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
            match self.visit(rec, key.start_ms, who, prechecked, groupings) {
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
            let v = SegVisit::new(seg, i);
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
                    acc.sums
                        .counting_extras(&mut self.extras_held, |s| v.add_event(j, s));
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
                acc.sums
                    .counting_extras(&mut self.extras_held, |s| s.add_events(&events));
            }
        }
        Ok(())
    }
}
