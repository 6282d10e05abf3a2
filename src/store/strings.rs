//! Interned texts and their collection. Paths, referrers, UTM values, event
//! names and properties are stored once each (`strings_v1` and its inverse
//! `string_ids_v1`) and referenced by id from visit rows and rollups. A text
//! outlives the visits that used it unless it is collected, so every purge and
//! erasure ends with a sweep ([`Store::sweep_strings`]): the texts no kept visit
//! and no kept rollup references are deleted, in batches, so a purged or erased
//! visit leaves no text of its own behind.
//!
//! # The invariant
//!
//! **No visit row or rollup row ever references a deleted string id.** (An
//! unknown id reads as "", which would silently turn a page into no page.)
//!
//! Ids are written by the ingest writer, which resolves texts to ids through a
//! cache kept across batches (text → id) and through read snapshots, and by
//! the rollup job, from a snapshot of a day's visits. A sweep:
//!
//! 1. **begins** under the [`StringGate`]: from now on every writer batch
//!    that commits notes the ids it references;
//! 2. **marks**, in one read snapshot S taken after that, every id referenced
//!    by a visit (its header and events) or by a rollup row of a text
//!    dimension ([`TEXT_ROLLUP_DIMS`]), kept-aggregate days included;
//! 3. takes as **candidates** the ids in `strings_v1` of S that are unmarked
//!    (for an erasure, only among the erased visits' ids). An id interned
//!    after S is not in S, so it is never a candidate (S is the watermark);
//! 4. **deletes** candidates in batches, each one write transaction taken
//!    under the gate: a batch skips every id noted since step 1 (a visit
//!    committed after S uses it), and bumps the gate's generation;
//! 5. **ends**: no more notes.
//!
//! The writer holds the gate from the moment it starts resolving a batch's
//! ids until that batch has committed (and its ids are noted), so a deletion
//! never falls between an id being looked up and being written. When the
//! generation changed since its previous batch, it first empties its cache:
//! a cached id may be one just deleted, and the text will be interned anew.
//! The rollup job needs no gate: a rollup row with an id unmarked in S was
//! built from a snapshot in which some visit used the id, and that visit was
//! deleted before S by an erasure or a purge, both of which change the day's
//! version, so storing that rollup is refused (see `put_rollup_day`).

use std::sync::{Mutex, MutexGuard, PoisonError};

use redb::ReadableTable;
use rustc_hash::FxHashSet;

use super::{
    Batch, Store, StoreError, read_counter,
    record::{EventRecord, SessionRecord},
    tables::{META, NEXT_STRING_ID, ROLLUPS, SESSIONS, STRING_IDS, STRINGS},
};

/// Rollup dimension codes whose values are interned ids (page, name, entry
/// and exit page, source, referrer, five UTM tags, browser, OS, region, city,
/// hostname); the others hold codes and time buckets. A test of the rollup
/// job checks this against the dimensions it rolls up.
pub const TEXT_ROLLUP_DIMS: [u8; 16] = [1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 14, 15, 17, 18, 19];

/// Texts deleted per transaction of an erasure's sweep.
pub const SWEEP_BATCH: usize = 2000;

/// Coordinates sweeps with everything that writes string ids (see the
/// module doc). One per open store, shared by its clones.
#[derive(Default)]
pub struct StringGate {
    state: Mutex<GateState>,
    /// Held for a whole sweep: sweeps don't overlap.
    sweep: Mutex<()>,
}

#[derive(Default)]
struct GateState {
    sweeping: bool,
    noted: FxHashSet<u32>,
    generation: u64,
}

/// The gate, held by the ingest writer from resolving a batch's ids until the
/// batch has committed.
pub struct StringsGuard<'a> {
    state: MutexGuard<'a, GateState>,
}

impl StringsGuard<'_> {
    /// Changes each time a sweep deletes texts: a writer that saw another
    /// value before must forget the ids it cached.
    #[must_use]
    pub fn generation(&self) -> u64 {
        self.state.generation
    }

    /// Call after `batch` committed: while a sweep runs, its ids are spared.
    pub fn committed(&mut self, batch: &Batch) {
        if !self.state.sweeping {
            return;
        }
        let noted = &mut self.state.noted;
        noted.extend(batch.strings.iter().map(|(id, _)| *id));
        for append in &batch.sessions {
            if let Some(h) = &append.header {
                record_ids(h, &mut |id| {
                    noted.insert(id);
                });
            }
            for e in &append.events {
                event_ids(e, &mut |id| {
                    noted.insert(id);
                });
            }
            noted.extend(append.engagements.iter().map(|p| p.path));
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Calls `f` with every string id a visit's header references.
fn record_ids(r: &SessionRecord, f: &mut impl FnMut(u32)) {
    for id in [r.hostname, r.referrer, r.source, r.region, r.city]
        .into_iter()
        .chain(r.utm)
        .chain([r.browser, r.browser_version, r.os, r.os_version])
    {
        f(id);
    }
}

/// Calls `f` with every string id an event references.
fn event_ids(e: &EventRecord, f: &mut impl FnMut(u32)) {
    f(e.name);
    f(e.path);
    for (k, v) in &e.props {
        f(*k);
        f(*v);
    }
}

/// Every string id a visit references, header and events.
pub(super) fn visit_ids(r: &SessionRecord, f: &mut impl FnMut(u32)) {
    record_ids(r, f);
    for e in &r.events {
        event_ids(e, f);
    }
}

/// Marks while scanning: all ids (a bitmap) or only the candidates' (a set).
enum Marks {
    All(Vec<u64>),
    Only(FxHashSet<u32>),
}

impl Marks {
    fn mark(&mut self, id: u32) {
        match self {
            Self::All(bits) => {
                if let Some(w) = bits.get_mut(id as usize / 64) {
                    *w |= 1 << (id % 64);
                }
            }
            Self::Only(left) => {
                left.remove(&id);
            }
        }
    }

    fn done(&self) -> bool {
        matches!(self, Self::Only(left) if left.is_empty())
    }
}

/// Ends a sweep however it returns.
struct Sweeping<'a>(&'a StringGate);

impl Drop for Sweeping<'_> {
    fn drop(&mut self) {
        let mut s = lock(&self.0.state);
        s.sweeping = false;
        s.noted = FxHashSet::default();
    }
}

impl Store {
    /// The string gate, for the ingest writer (see the module doc).
    #[must_use]
    pub fn strings_guard(&self) -> StringsGuard<'_> {
        StringsGuard {
            state: lock(&self.strings.state),
        }
    }

    /// Deletes the interned texts that no visit and no rollup references, in
    /// transactions of `batch_rows` texts; with `only`, just those among
    /// `only` (the ids of visits an erasure deleted). Returns how many went.
    /// Safe while the ingest writer runs (see the module doc).
    ///
    /// # Errors
    /// Storage errors; texts deleted by earlier batches stay deleted.
    pub fn sweep_strings(
        &self,
        only: Option<FxHashSet<u32>>,
        batch_rows: usize,
    ) -> Result<u64, StoreError> {
        self.sweep(only, batch_rows, || {})
    }

    /// [`Self::sweep_strings`], calling `after_mark` between choosing the
    /// candidates and deleting them (tests put a writer batch there).
    fn sweep(
        &self,
        only: Option<FxHashSet<u32>>,
        batch_rows: usize,
        after_mark: impl FnOnce(),
    ) -> Result<u64, StoreError> {
        let gate = &*self.strings;
        let _one_at_a_time = lock(&gate.sweep);
        {
            let mut s = lock(&gate.state);
            s.sweeping = true;
            s.noted.clear();
        }
        let _end = Sweeping(gate);
        let candidates = self.unreferenced(only)?;
        after_mark();
        let mut deleted = 0;
        for chunk in candidates.chunks(batch_rows.max(1)) {
            let mut s = lock(&gate.state);
            let tx = self.db.begin_write()?;
            {
                let mut strings = tx.open_table(STRINGS)?;
                let mut ids = tx.open_table(STRING_IDS)?;
                for &id in chunk {
                    if s.noted.contains(&id) {
                        continue;
                    }
                    let Some(text) = strings.remove(id)?.map(|t| t.value().to_owned()) else {
                        continue;
                    };
                    if ids.get(text.as_str())?.map(|v| v.value()) == Some(id) {
                        ids.remove(text.as_str())?;
                    }
                    deleted += 1;
                }
            }
            tx.commit()?;
            s.generation += 1;
            drop(s);
            // The writer takes the gate and the write lock in between.
            std::thread::yield_now();
        }
        Ok(deleted)
    }

    /// Steps 2 and 3 of a sweep, in one snapshot: the candidates, ascending.
    fn unreferenced(&self, only: Option<FxHashSet<u32>>) -> Result<Vec<u32>, StoreError> {
        let tx = self.db.begin_read()?;
        let strings = tx.open_table(STRINGS)?;
        let mut marks = match &only {
            Some(set) => {
                let mut left = set.clone();
                left.remove(&0);
                Marks::Only(left)
            }
            None => {
                let next = read_counter(&tx.open_table(META)?, NEXT_STRING_ID)?;
                let top = strings.last()?.map_or(0, |(k, _)| u64::from(k.value()));
                let words = usize::try_from(next.max(top + 1) / 64 + 1).unwrap_or(usize::MAX);
                Marks::All(vec![0; words])
            }
        };
        if let Some(ch) = &self.events {
            ch.used_text_ids(|id| marks.mark(id))?;
        }
        let mut rec = SessionRecord::default();
        for row in tx.open_table(SESSIONS)?.iter()? {
            if marks.done() {
                break;
            }
            rec.decode_into(row?.1.value())?;
            visit_ids(&rec, &mut |id| marks.mark(id));
        }
        // Cold days' visits (see `store::cold`) name texts too.
        let segs = tx.open_table(super::tables::SEGMENTS)?;
        for (site, c) in super::cold::all(&tx.open_table(super::tables::COLD_DAYS)?)? {
            if marks.done() {
                break;
            }
            super::cold::each_visit(&segs, site, c.day, |_, _, rec| {
                visit_ids(rec, &mut |id| marks.mark(id));
                std::ops::ControlFlow::Continue(())
            })?;
        }
        for row in tx.open_table(ROLLUPS)?.iter()? {
            if marks.done() {
                break;
            }
            let (_, _, dim, value) = row?.0.value();
            if TEXT_ROLLUP_DIMS.contains(&dim) {
                marks.mark(value);
            }
        }
        Ok(match marks {
            Marks::Only(left) => {
                let mut v = Vec::with_capacity(left.len());
                for id in left {
                    if strings.get(id)?.is_some() {
                        v.push(id);
                    }
                }
                v.sort_unstable();
                v
            }
            Marks::All(bits) => {
                let mut v = Vec::new();
                for row in strings.iter()? {
                    let id = row?.0.value();
                    let marked = bits
                        .get(id as usize / 64)
                        .is_some_and(|w| w & (1 << (id % 64)) != 0);
                    if !marked {
                        v.push(id);
                    }
                }
                v
            }
        })
    }
}

#[cfg(test)]
#[path = "strings_tests.rs"]
mod tests;
