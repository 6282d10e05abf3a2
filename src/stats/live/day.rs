//! One live day: its rollup sums, its visits' rows and its visitors' visits.

use std::{
    collections::HashMap,
    ops::ControlFlow,
    sync::{Arc, atomic::Ordering},
    time::{Duration, Instant},
};

use rustc_hash::FxBuildHasher;

use crate::{
    domain::{SiteId, Timezone, calendar::days_to_ms},
    stats::{
        engine::{Grouping, Scan, scan},
        groups::Who,
        rollup::rollup_dims,
        values::Texts,
    },
    store::{
        Changes, ReadView, RollupRow, RollupSums, SessionKey, StoreError, record::SessionRecord,
    },
};

use super::Budget;
use visitors::Visitor;

mod visitors;

/// Bytes a visit's entry and its visitor's cost besides the row, about
/// (map slots, allocation headers, the visitor's list of visits).
const PER_VISIT: usize = 32;

/// A live day is read whole again after this long.
const REBUILD_AFTER: Duration = Duration::from_secs(30 * 60);

/// A visit's row key: (start ms, id).
type VisitKey = (u64, u64);

/// What one visit adds to the day: (dimension code, value, sums), sorted,
/// each (code, value) once; the sums' `visitors` are 0.
type Contribution = Vec<(u8, u32, RollupSums)>;

pub(super) struct LiveDay {
    site: SiteId,
    tz: Timezone,
    from_ms: u64,
    to_ms: u64,
    /// The day's version the sums reflect; `None` until built.
    version: Option<u64>,
    /// Sums per dimension code, then value.
    groups: Vec<HashMap<u32, RollupSums, FxBuildHasher>>,
    visits: HashMap<VisitKey, Box<[u8]>, FxBuildHasher>,
    visitors: HashMap<u64, Visitor, FxBuildHasher>,
    /// Computes one visit's contribution, made at the first change.
    one: Option<OneVisit>,
    /// Bytes this day holds, counted into the store's total `budget` (see
    /// [`super::MAX_LIVE_BYTES`]).
    bytes: usize,
    budget: Arc<Budget>,
    /// What the day needed when it last didn't fit.
    too_big: Option<usize>,
    /// When the day was last read whole.
    built_at: Instant,
}

/// What a catch-up did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Caught {
    /// Applied the logged changes (or there were none).
    Up,
    /// Read the day whole.
    Built,
    /// The day doesn't fit in memory: scan it.
    TooBig,
}

impl Drop for LiveDay {
    fn drop(&mut self) {
        self.budget.held.fetch_sub(self.bytes, Ordering::Relaxed);
    }
}

impl LiveDay {
    pub(super) fn new(site: SiteId, day: u32, tz: Timezone, budget: Arc<Budget>) -> Self {
        let (from_ms, to_ms) = days_to_ms(day, day, tz);
        Self {
            site,
            tz,
            from_ms,
            to_ms,
            version: None,
            groups: Vec::new(),
            visits: HashMap::default(),
            visitors: HashMap::default(),
            one: None,
            bytes: 0,
            budget,
            too_big: None,
            built_at: Instant::now(),
        }
    }

    /// Counts `n` more (or, negative, fewer) bytes held.
    fn account(&mut self, n: isize) {
        if n >= 0 {
            self.bytes += n.unsigned_abs();
            self.budget
                .held
                .fetch_add(n.unsigned_abs(), Ordering::Relaxed);
        } else {
            let n = n.unsigned_abs().min(self.bytes);
            self.bytes -= n;
            self.budget.held.fetch_sub(n, Ordering::Relaxed);
        }
    }

    /// Whether the store's live days hold more than they may.
    fn over_budget(&self) -> bool {
        !self.budget.fits(0)
    }

    /// Lets go of everything: the day is read whole next time.
    fn clear(&mut self) {
        self.version = None;
        self.groups = Vec::new();
        self.visits = HashMap::default();
        self.visitors = HashMap::default();
        self.account(-isize::try_from(self.bytes).unwrap_or(isize::MAX));
    }

    /// The stored-rollup-shaped rows of dimension `code` (sums of visits,
    /// visitors, pageviews, events, bounces and duration only).
    pub(super) fn rows(&self, code: u8) -> Vec<RollupRow> {
        let day = crate::domain::calendar::local_day(self.from_ms, self.tz);
        self.groups
            .get(usize::from(code))
            .map(|g| {
                g.iter()
                    .map(|(&value, s)| RollupRow {
                        day,
                        dim: code,
                        value,
                        sums: rollup_part(s),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Brings the sums up to `view` (or keeps newer ones). After an error
    /// (the changes taken from the log may be half applied) the day is let
    /// go, to be read whole next time.
    pub(super) fn catch_up(&mut self, view: &ReadView) -> Result<Caught, StoreError> {
        let caught = self.try_catch_up(view);
        if caught.is_err() {
            self.clear();
        }
        caught
    }

    fn try_catch_up(&mut self, view: &ReadView) -> Result<Caught, StoreError> {
        let day = crate::domain::calendar::local_day(self.from_ms, self.tz);
        let current = view.day_version(self.site, day)?;
        let Some(version) = self.version else {
            // A day that didn't fit is tried again once there is room.
            if let Some(needed) = self.too_big
                && !self.budget.fits(needed)
            {
                return Ok(Caught::TooBig);
            }
            return self.build(view, current);
        };
        // Versions go back to 0 only when the day's visits were deleted (a
        // purge, the site's deletion); and a day held long is read again in
        // any case, bounding any staleness the log couldn't see (a site's
        // zone changed while visits were open under the old one).
        if (current == 0 && version > 0) || self.built_at.elapsed() > REBUILD_AFTER {
            return self.build(view, current);
        }
        if current <= version {
            return Ok(Caught::Up);
        }
        let Changes::Visits(mut keys, covered) = view.day_watch().take(self.site, day, current)
        else {
            return self.build(view, current);
        };
        // Every version since ours must come from a logged batch.
        if !covered.is_some_and(|(first, last)| first <= version + 1 && last == current) {
            return self.build(view, current);
        }
        keys.retain(|k| (self.from_ms..self.to_ms).contains(&k.0));
        keys.sort_unstable();
        for key in keys {
            let row = view.session_row(SessionKey {
                site: self.site,
                start_ms: key.0,
                id: key.1,
            })?;
            self.replace(view, key, row)?;
        }
        self.version = Some(current);
        if self.over_budget() {
            self.too_big = Some(self.bytes);
            self.clear();
            return Ok(Caught::TooBig);
        }
        Ok(Caught::Up)
    }

    /// Reads the whole day from `view`, at `version`.
    fn build(&mut self, view: &ReadView, version: u64) -> Result<Caught, StoreError> {
        self.clear();
        // What the day needs first: a day too big to hold is neither read
        // into memory nor aggregated.
        let mut needed = 0;
        view.for_each_session(self.site, self.from_ms, self.to_ms, |_, bytes| {
            needed += bytes.len() + 2 * PER_VISIT;
            ControlFlow::Continue(())
        })?;
        if !self.budget.reserve(needed) {
            self.too_big = Some(needed);
            return Ok(Caught::TooBig);
        }
        self.bytes = needed;
        view.for_each_session(self.site, self.from_ms, self.to_ms, |key, bytes| {
            let visitor = match SessionRecord::peek_visitor(bytes) {
                Ok(visitor) => visitor,
                Err(e) => return ControlFlow::Break(e.into()),
            };
            let k = (key.start_ms, key.id);
            self.visits.insert(k, bytes.into());
            self.visitors.entry(visitor).or_default().visits.push(k);
            ControlFlow::Continue(())
        })?;
        self.too_big = None;
        self.built_at = Instant::now();
        let texts = Texts::new(view);
        let dims = rollup_dims();
        let mut gs = vec![Grouping::new(Vec::new(), &texts)?];
        for (_, d) in &dims {
            gs.push(Grouping::new(vec![d.clone()], &texts)?);
        }
        let range = (self.from_ms, self.to_ms, false);
        scan(view, self.site, self.tz, range, None, &mut gs)?;
        let max_code = dims.iter().map(|d| d.0).max().unwrap_or(0);
        self.groups = vec![HashMap::default(); usize::from(max_code) + 1];
        for (g, code) in gs
            .into_iter()
            .zip(std::iter::once(0).chain(dims.iter().map(|d| d.0)))
        {
            for (key, sums) in g.finish() {
                let value = u32::try_from(key[0]).unwrap_or(0);
                self.groups[usize::from(code)].insert(value, rollup_part(&sums));
            }
        }
        self.version = Some(version);
        Ok(Caught::Built)
    }

    /// One visit's contribution, from its row.
    fn contribution(
        &mut self,
        view: &ReadView,
        start_ms: u64,
        row: &[u8],
    ) -> Result<Contribution, StoreError> {
        if self.one.is_none() {
            let texts = Texts::new(view);
            let mut groupings = vec![Grouping::new(Vec::new(), &texts)?];
            let mut codes = vec![0];
            for (c, d) in rollup_dims() {
                groupings.push(Grouping::new(vec![d], &texts)?);
                codes.push(c);
            }
            self.one = Some(OneVisit {
                groupings,
                codes,
                rec: SessionRecord::default(),
            });
        }
        let OneVisit {
            groupings: gs,
            codes,
            rec,
        } = self.one.as_mut().expect("made above");
        rec.decode_into(row)?;
        Scan::new(self.tz, None).visit(&*rec, start_ms, Who::Hash(0), false, gs)?;
        let mut out = Vec::new();
        for (g, &code) in gs.iter_mut().zip(codes.iter()) {
            for (key, sums) in g.drain() {
                out.push((code, u32::try_from(key[0]).unwrap_or(0), rollup_part(&sums)));
            }
        }
        out.sort_unstable_by_key(|c| (c.0, c.1));
        Ok(out)
    }

    /// Replaces visit `key`'s row (`None`: gone) in the sums.
    fn replace(
        &mut self,
        view: &ReadView,
        key: VisitKey,
        row: Option<Vec<u8>>,
    ) -> Result<(), StoreError> {
        let mut old = Vec::new();
        if let Some(bytes) = self.visits.remove(&key) {
            self.account(-isize::try_from(bytes.len() + 2 * PER_VISIT).unwrap_or(isize::MAX));
            let visitor = SessionRecord::peek_visitor(&bytes)?;
            old = self.contribution(view, key.0, &bytes)?;
            for (code, value, s) in &old {
                if let Some(sums) = self.groups[usize::from(*code)].get_mut(value) {
                    subtract(sums, s);
                }
            }
            self.leave(view, visitor, key, &old)?;
        }
        if let Some(row) = row {
            let visitor = SessionRecord::peek_visitor(&row)?;
            let new = self.contribution(view, key.0, &row)?;
            for (code, value, s) in &new {
                self.groups[usize::from(*code)]
                    .entry(*value)
                    .or_default()
                    .add(s);
            }
            self.join(view, visitor, key, &new)?;
            self.account(isize::try_from(row.len() + 2 * PER_VISIT).unwrap_or(isize::MAX));
            self.visits.insert(key, row.into_boxed_slice());
        }
        // Groups the visit left for good.
        for (code, value, _) in &old {
            let g = &mut self.groups[usize::from(*code)];
            if g.get(value).is_some_and(|s| s.visits == 0) {
                g.remove(value);
            }
        }
        Ok(())
    }
}

/// What computes one visit's contribution: the engine's scan of a single
/// visit into one grouping per rollup code.
struct OneVisit {
    groupings: Vec<Grouping>,
    codes: Vec<u8>,
    rec: SessionRecord,
}

/// The sums a stored rollup keeps.
fn rollup_part(s: &RollupSums) -> RollupSums {
    RollupSums {
        visitors: s.visitors,
        visits: s.visits,
        pageviews: s.pageviews,
        events: s.events,
        bounces: s.bounces,
        duration_ms: s.duration_ms,
        ..RollupSums::default()
    }
}

/// Takes one visit's sums (`visitors` aside) out of a group's.
fn subtract(sums: &mut RollupSums, s: &RollupSums) {
    sums.visits = sums.visits.saturating_sub(s.visits);
    sums.pageviews = sums.pageviews.saturating_sub(s.pageviews);
    sums.events = sums.events.saturating_sub(s.events);
    sums.bounces = sums.bounces.saturating_sub(s.bounces);
    sums.duration_ms = sums.duration_ms.saturating_sub(s.duration_ms);
}
