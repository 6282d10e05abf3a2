//! What a scan accumulates per group: its sums and the day's visitors it
//! has seen, listed by dense index or by hash so distinct visitors are
//! counted exactly without a table of every visitor of a large day.

use std::{
    collections::HashMap,
    hash::{BuildHasherDefault, Hasher},
};

use rustc_hash::FxBuildHasher;

use super::{engine::GroupKey, query::Dimension, values::Texts};
use crate::store::{RollupSums, StoreError};

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

/// What one group accumulates during a scan.
#[derive(Default)]
pub(super) struct Acc {
    /// The day's visitors in this group, possibly repeated: dense indices
    /// and hashes (see [`Who`]).
    indices: Vec<u32>,
    hashes: Vec<u64>,
    /// The group's sums (visitors once each day is closed).
    pub(super) sums: RollupSums,
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
        self.accs.drain().map(|(k, a)| (k, a.sums))
    }

    /// The sums per group (after [`super::engine::scan`], which counts each
    /// day's visitors).
    #[must_use]
    pub fn finish(self) -> HashMap<GroupKey, RollupSums> {
        self.accs.into_iter().map(|(k, a)| (k, a.sums)).collect()
    }
}
