//! The scan engine: one sequential pass over a range of visit rows computes
//! any combination of dimensions, filters and metrics exactly. Rollups are
//! built by this same code, so both paths agree by construction.

use std::{
    collections::HashMap,
    hash::{BuildHasherDefault, Hasher},
    ops::ControlFlow,
};

use rustc_hash::FxBuildHasher;

use super::{
    filter::Compiled,
    query::Dimension,
    values::{Texts, event_raw, hour_bucket, time_bucket, visit_raw},
};
use crate::{
    domain::calendar,
    domain::calendar::local_day,
    domain::{SiteId, Timezone},
    store::{ReadView, RollupSums, StoreError, record::SessionRecord},
};

/// Dimension values of one group, padded with zeros.
pub type GroupKey = [u64; 4];

/// Visitor keys are already uniformly random (keyed hashes), so hashing them
/// again is wasted work: the set uses them as their own hash.
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

/// Each visitor of the day being scanned gets a dense index once per visit;
/// groups then note indices (a push) instead of hashing the visitor again.
type DenseVisitors = HashMap<u64, u32, BuildHasherDefault<PassThrough>>;

#[derive(Default)]
struct Acc {
    /// Dense indices of the day's visitors in this group, possibly repeated.
    visitors: Vec<u32>,
    sums: RollupSums,
    last_session: u64,
}

impl Acc {
    /// Visitors are distinct per day, so a day's list is counted (deduplicated
    /// through `seen`, a zeroed bitset over the day's dense indices, left
    /// zeroed) and emptied when the scan moves past the day.
    fn close_day(&mut self, seen: &mut [u64]) {
        let mut n = 0;
        for &i in &self.visitors {
            let (w, b) = ((i >> 6) as usize, 1u64 << (i & 63));
            if seen[w] & b == 0 {
                seen[w] |= b;
                n += 1;
            }
        }
        for &i in &self.visitors {
            seen[(i >> 6) as usize] = 0;
        }
        self.sums.visitors += n;
        self.visitors.clear();
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

    /// The sums per group (after [`scan`], which counts each day's visitors).
    #[must_use]
    pub fn finish(self) -> HashMap<GroupKey, RollupSums> {
        self.accs.into_iter().map(|(k, a)| (k, a.sums)).collect()
    }
}

/// Scans visits of `site` starting in `[from_ms, to_ms)` into every grouping.
///
/// Semantics (documented in the README): a visit and all its events count in
/// the period where the visit started; visitors are distinct per local day;
/// with an event-level filter a visit counts if any of its events matches, and
/// only matching events count as pageviews/events.
///
/// # Errors
/// Storage errors or a corrupt row.
pub fn scan(
    view: &ReadView,
    site: SiteId,
    tz: Timezone,
    from_ms: u64,
    to_ms: u64,
    filter: Option<&Compiled<'_>>,
    groupings: &mut [Grouping],
) -> Result<(), StoreError> {
    let mut matched: Vec<bool> = Vec::new();
    let mut rec = SessionRecord::default();
    let mut days = DayCache::new(tz);
    let mut buckets = Buckets::new(tz);
    let mut current_day = u64::MAX;
    let mut dense = DenseVisitors::default();
    let mut seen: Vec<u64> = Vec::new();
    let mut close_day = |groupings: &mut [Grouping], dense: &mut DenseVisitors| {
        seen.clear();
        seen.resize(dense.len().div_ceil(64), 0);
        groupings.iter_mut().for_each(|g| g.close_day(&mut seen));
        dense.clear();
    };
    view.for_each_session(site, from_ms, to_ms, |key, bytes| {
        let rest = match rec.decode_header(bytes) {
            Ok(rest) => rest,
            Err(e) => return ControlFlow::Break(e.into()),
        };
        // Reject on visit attributes before paying for the events.
        if let Some(f) = filter.filter(|f| !f.needs_events) {
            match f.eval(&rec, None) {
                Ok(true) => {}
                Ok(false) => return ControlFlow::Continue(()),
                Err(e) => return ControlFlow::Break(e),
            }
        }
        if let Err(e) = rec.decode_events(rest, bytes.len()) {
            return ControlFlow::Break(e.into());
        }
        let day = days.day(key.start_ms);
        if day != current_day {
            close_day(groupings, &mut dense);
            current_day = day;
        }
        let next = u32::try_from(dense.len()).unwrap_or(u32::MAX);
        let visitor = *dense.entry(rec.visitor).or_insert(next);
        match visit(
            &rec,
            key.start_ms,
            visitor,
            key.id,
            &mut buckets,
            filter,
            groupings,
            &mut matched,
        ) {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => ControlFlow::Break(e),
        }
    })?;
    close_day(groupings, &mut dense);
    Ok(())
}

/// Time buckets of visit starts, computed once per hour bucket: visits come
/// in start order, and a timezone conversion per visit and grouping was a
/// tenth of a day's scan.
struct Buckets {
    tz: Timezone,
    /// The hour bucket `[from, to)` last computed...
    from: u64,
    to: u64,
    /// ...and its hour, day, week and month buckets.
    values: [u64; 4],
}

impl Buckets {
    fn new(tz: Timezone) -> Self {
        Self {
            tz,
            from: 1,
            to: 0,
            values: [0; 4],
        }
    }

    fn get(&mut self, dim: &Dimension, ms: u64) -> u64 {
        if ms < self.from || ms >= self.to {
            // An hour bucket lies within one local date, so the date's
            // buckets hold for all of it.
            let hour = hour_bucket(ms, self.tz);
            (self.from, self.to) = (hour.start_ms, hour.end_ms);
            self.values = [
                hour.value,
                time_bucket(&Dimension::Day, ms, self.tz),
                time_bucket(&Dimension::Week, ms, self.tz),
                time_bucket(&Dimension::Month, ms, self.tz),
            ];
        }
        match dim {
            Dimension::Hour => self.values[0],
            Dimension::Week => self.values[2],
            Dimension::Month => self.values[3],
            _ => self.values[1],
        }
    }
}

/// Local day of visit starts; visits come in start order, so the day's bounds
/// are computed once per day instead of a timezone conversion per visit.
struct DayCache {
    tz: Timezone,
    from: u64,
    to: u64,
    day: u64,
}

impl DayCache {
    fn new(tz: Timezone) -> Self {
        Self {
            tz,
            from: 1,
            to: 0,
            day: 0,
        }
    }

    fn day(&mut self, ms: u64) -> u64 {
        if ms < self.from || ms >= self.to {
            let day = local_day(ms, self.tz);
            let (from, to) = calendar::days_to_ms(day, day, self.tz);
            self.day = u64::from(day);
            (self.from, self.to) = if (from..to).contains(&ms) {
                (from, to)
            } else {
                (ms, ms + 1)
            };
        }
        self.day
    }
}

#[allow(clippy::too_many_arguments)]
fn visit(
    rec: &SessionRecord,
    start_ms: u64,
    visitor: u32,
    id: u64,
    buckets: &mut Buckets,
    filter: Option<&Compiled<'_>>,
    groupings: &mut [Grouping],
    matched: &mut Vec<bool>,
) -> Result<(), StoreError> {
    matched.clear();
    match filter {
        None => matched.resize(rec.events.len(), true),
        Some(f) if f.has_event_leaf => {
            for e in &rec.events {
                matched.push(f.eval(rec, Some(e))?);
            }
            if !matched.iter().any(|m| *m) {
                return Ok(());
            }
        }
        Some(f) => {
            if !f.eval(rec, None)? {
                return Ok(());
            }
            matched.resize(rec.events.len(), true);
        }
    }
    // Events picked by name count in a page breakdown where they happened
    // (Plausible's pages of a goal); otherwise pages count pageviews only.
    let pages_of_events = filter.is_some_and(|f| f.names_events);
    let bounce = u64::from(rec.is_bounce());
    let duration = rec.duration_ms();
    for g in groupings.iter_mut() {
        let mut key: GroupKey = [0; 4];
        for (i, d) in g.dims.iter().enumerate() {
            if d.is_time() {
                key[i] = buckets.get(d, start_ms);
            } else if !d.is_event_level() {
                key[i] = visit_raw(d, rec);
            }
        }
        if g.event_level {
            for (e, _) in rec.events.iter().zip(matched.iter()).filter(|(_, m)| **m) {
                if g.dims.contains(&Dimension::Page) && !e.pageview && !pages_of_events {
                    continue;
                }
                let mut k = key;
                for (i, d) in g.dims.iter().enumerate() {
                    if d.is_event_level() {
                        k[i] = event_raw(d, e, rec, g.prop_keys[i]);
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
                acc.sums.events += 1;
                acc.sums.pageviews += u64::from(e.pageview);
                if let Some(r) = e.revenue {
                    acc.sums.revenue.add(r.currency, r.amount_micros, 1);
                }
                if let Some(g) = e.engagement {
                    acc.sums.add_engagement(g);
                }
                // A visit has one visitor: insert once per visit and group.
                if acc.last_session != id {
                    acc.last_session = id;
                    acc.visitors.push(visitor);
                    acc.sums.visits += 1;
                    acc.sums.bounces += bounce;
                    acc.sums.duration_ms += duration;
                }
            }
        } else {
            let acc = g.accs.entry(key).or_default();
            acc.visitors.push(visitor);
            acc.sums.visits += 1;
            acc.sums.bounces += bounce;
            acc.sums.duration_ms += duration;
            for (e, _) in rec.events.iter().zip(matched.iter()).filter(|(_, m)| **m) {
                acc.sums.events += 1;
                acc.sums.pageviews += u64::from(e.pageview);
                if let Some(r) = e.revenue {
                    acc.sums.revenue.add(r.currency, r.amount_micros, 1);
                }
                if let Some(g) = e.engagement {
                    acc.sums.add_engagement(g);
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "engine_tests.rs"]
mod tests;
