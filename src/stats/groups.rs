//! What a scan accumulates per group: its sums and the day's visitors it
//! has seen, listed by dense index or by hash so distinct visitors are
//! counted exactly without a table of every visitor of a large day.

use std::{
    collections::HashMap,
    hash::{BuildHasherDefault, Hasher},
};

use rustc_hash::FxBuildHasher;

use super::{engine::GroupKey, query::Dimension, values::Texts, visit::EventSums};
use crate::store::{
    RollupSums, StoreError,
    record::{Engagement, Revenue},
};

/// Visitor keys are already uniformly random (keyed hashes), so hashing them
/// again is wasted work: the table uses them as their own hash.
#[derive(Default)]
pub(super) struct PassThrough(u64);

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
pub(super) type DenseVisitors = HashMap<u64, u32, BuildHasherDefault<PassThrough>>;

/// Most visitors a day's table indexes: 7/8 of 2^18 slots, the most that
/// table holds before it doubles (~4.5 MB at 17 bytes a slot). Unit tests
/// use 64, so their days of rows mix both forms (the differential tests
/// against segments then check the mix counts exactly).
pub(super) const DENSE_MAX: usize = if cfg!(test) { 64 } else { (1 << 18) / 8 * 7 };

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
    pub(super) fn bytes(self) -> usize {
        match self {
            Self::Index(_) => std::mem::size_of::<u32>(),
            Self::Hash(_) => std::mem::size_of::<u64>(),
        }
    }
}

/// A group's sums while a scan accumulates them: the counts every group has
/// (48 bytes), and revenue and engagement ([`RollupSums`]' other ~100
/// bytes) boxed apart in the groups that have any. A breakdown by a value
/// that changes every event holds hundreds of thousands of groups, nearly
/// all without revenue.
#[derive(Default)]
pub(super) struct GroupSums {
    pub(super) visitors: u64,
    pub(super) visits: u64,
    pub(super) pageviews: u64,
    pub(super) events: u64,
    pub(super) bounces: u64,
    pub(super) duration_ms: u64,
    /// Revenue and engagement, once the group has some (its counts zero).
    extras: Option<Box<RollupSums>>,
}

/// Bytes a group's boxed revenue and engagement hold.
pub(super) const EXTRAS_BYTES: usize = std::mem::size_of::<RollupSums>();

impl GroupSums {
    /// Adds a visit's matching events: their counts, revenue and engagement.
    pub(super) fn add_events(&mut self, e: &RollupSums) {
        self.events += e.events;
        self.pageviews += e.pageviews;
        let has_revenue = e.revenue.iter().next().is_some() || e.revenue.overflow > 0;
        if has_revenue || e.engaged_views > 0 || e.scroll_views > 0 {
            let x = self.extras();
            x.revenue.add_all(&e.revenue);
            x.engaged_ms += e.engaged_ms;
            x.engaged_views += e.engaged_views;
            x.scroll_views += e.scroll_views;
            x.scroll_sum += e.scroll_sum;
        }
    }

    /// Whether revenue or engagement was boxed.
    pub(super) fn has_extras(&self) -> bool {
        self.extras.is_some()
    }

    /// Runs `add` on these sums, adding to `held` the bytes of a box of
    /// revenue and engagement it makes (for the report's budget).
    pub(super) fn counting_extras(&mut self, held: &mut usize, add: impl FnOnce(&mut Self)) {
        let boxed = self.has_extras();
        add(self);
        if !boxed && self.has_extras() {
            *held += EXTRAS_BYTES;
        }
    }

    fn extras(&mut self) -> &mut RollupSums {
        self.extras.get_or_insert_with(Box::default)
    }

    /// The sums as a report reads them.
    fn into_sums(self) -> RollupSums {
        let mut s = self.extras.map_or_else(RollupSums::default, |b| *b);
        s.visitors = self.visitors;
        s.visits = self.visits;
        s.pageviews = self.pageviews;
        s.events = self.events;
        s.bounces = self.bounces;
        s.duration_ms = self.duration_ms;
        s
    }
}

impl EventSums for GroupSums {
    fn event(&mut self, pageview: bool) {
        self.events += 1;
        self.pageviews += u64::from(pageview);
    }
    fn revenue(&mut self, r: Revenue) {
        self.extras().revenue.add(r.currency, r.amount_micros, 1);
    }
    fn engagement(&mut self, g: Engagement) {
        self.extras().add_engagement(g);
    }
}

/// What one group accumulates during a scan.
#[derive(Default)]
pub(super) struct Acc {
    /// The day's visitors in this group, possibly repeated: dense indices
    /// and hashes (see [`Who`]).
    indices: Vec<u32>,
    hashes: Vec<u64>,
    /// The group's sums (visitors once each day is closed).
    pub(super) sums: GroupSums,
    /// The scan's number of the last visit counted, so a visit counts once.
    pub(super) last_session: u64,
}

impl Acc {
    /// Notes one visit's visitor.
    pub(super) fn list(&mut self, who: Who) {
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
    pub(super) dims: Vec<Dimension>,
    pub(super) prop_keys: Vec<u32>,
    pub(super) event_level: bool,
    pub(super) accs: HashMap<GroupKey, Acc, FxBuildHasher>,
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

    /// Counts the day's visitors in every group (see [`Acc::close_day`]).
    pub(super) fn close_day(&mut self, seen: &mut [u64]) {
        for acc in self.accs.values_mut() {
            acc.close_day(seen);
        }
    }

    /// Empties the groups, handing out their sums (visitors not counted).
    pub(super) fn drain(&mut self) -> impl Iterator<Item = (GroupKey, RollupSums)> + '_ {
        self.accs.drain().map(|(k, a)| (k, a.sums.into_sums()))
    }

    /// The sums per group (after [`super::engine::scan`], which counts each
    /// day's visitors).
    #[must_use]
    pub fn finish(self) -> HashMap<GroupKey, RollupSums> {
        self.accs
            .into_iter()
            .map(|(k, a)| (k, a.sums.into_sums()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A group without revenue or engagement holds its counts, its visitor
    /// lists and one pointer: the ~100 bytes of [`RollupSums`]' revenue and
    /// engagement are boxed apart (a breakdown by a value that changes every
    /// event holds hundreds of thousands of groups).
    #[test]
    fn a_group_keeps_revenue_and_engagement_out_of_line() {
        let (acc, sums) = (
            std::mem::size_of::<Acc>(),
            std::mem::size_of::<RollupSums>(),
        );
        assert!(acc <= 112, "a group's accumulator is {acc} bytes");
        assert!(
            acc + 64 < 2 * 24 + 8 + sums,
            "{acc} against {sums} for the sums alone"
        );
        let mut g = GroupSums::default();
        g.event(true);
        assert!(
            !g.has_extras(),
            "a pageview without engagement boxes nothing"
        );
        let mut e = RollupSums::default();
        e.event(false);
        e.revenue(Revenue {
            currency: *b"EUR",
            amount_micros: 5_000_000,
        });
        g.add_events(&e);
        assert!(g.has_extras());
        let s = g.into_sums();
        assert_eq!((s.events, s.pageviews), (2, 1));
        assert_eq!(s.revenue.iter().next().map(|r| r.1), Some(5_000_000));
    }
}
