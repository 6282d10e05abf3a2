//! Interned texts: the writer's string ↔ id table, a bounded cache in
//! front of the store's, with the new strings of a batch collected for it.

use std::collections::HashMap;

use rustc_hash::FxBuildHasher;

use crate::store::{Batch, Store, StoreError};

/// Longest interned string; longer values are cut (on a char boundary).
pub const MAX_STRING_BYTES: usize = 2000;

/// Most strings the interner keeps in memory; past this the cache is emptied
/// after a batch and refilled from the store on demand, so sites with endless
/// distinct paths don't grow the writer without bound.
pub const INTERNER_CACHE_MAX: usize = 200_000;

/// String ↔ id table: a bounded cache in front of the store's string table;
/// new strings are collected for the next batch.
pub struct Interner {
    store: Store,
    ids: HashMap<String, u32, FxBuildHasher>,
    next: u32,
    pending: Vec<(u32, String)>,
    cap: usize,
}

impl Interner {
    /// Starts empty with the store's next id.
    #[must_use]
    pub fn new(store: Store, next: u32, cap: usize) -> Self {
        Self {
            store,
            ids: HashMap::default(),
            next: next.max(1),
            pending: Vec::new(),
            cap,
        }
    }

    /// Id of `s` (0 for empty), assigning one if new.
    ///
    /// # Errors
    /// Storage errors while looking a string up in the store.
    pub fn intern(&mut self, s: &str) -> Result<u32, StoreError> {
        if s.is_empty() {
            return Ok(0);
        }
        let mut end = s.len().min(MAX_STRING_BYTES);
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        let s = &s[..end];
        if let Some(id) = self.ids.get(s) {
            return Ok(*id);
        }
        // Not cached: it may still be stored. Everything earlier batches
        // interned is committed by now (one writer), so a snapshot sees it.
        if let Some(id) = self.store.read()?.string_id(s)? {
            self.ids.insert(s.to_owned(), id);
            return Ok(id);
        }
        let id = self.next;
        self.next += 1;
        self.ids.insert(s.to_owned(), id);
        self.pending.push((id, s.to_owned()));
        Ok(id)
    }

    pub(super) fn opt(&mut self, s: Option<&str>) -> Result<u32, StoreError> {
        s.map_or(Ok(0), |s| self.intern(s))
    }

    /// Moves new strings into `batch`, emptying the cache if it is over its cap.
    pub(super) fn drain_into(&mut self, batch: &mut Batch) {
        batch.strings.append(&mut self.pending);
        batch.next_string_id = self.next;
        if self.ids.len() > self.cap {
            self.ids.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_interner_cache_is_bounded_and_refills_from_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let mut strings = Interner::new(store.clone(), 1, 2);
        let ids: Vec<u32> = ["/a", "/b", "/c"]
            .iter()
            .map(|p| strings.intern(p).unwrap())
            .collect();
        assert_eq!(ids, vec![1, 2, 3]);
        assert_eq!(strings.intern("/a").unwrap(), 1, "cached");
        let mut batch = Batch::default();
        strings.drain_into(&mut batch);
        assert_eq!(batch.strings.len(), 3);
        assert!(
            strings.ids.is_empty(),
            "over its cap, the cache is emptied after a batch"
        );
        store.commit_batch(&batch).unwrap();
        // Known strings keep their ids; new ones continue the sequence.
        assert_eq!(strings.intern("/b").unwrap(), 2);
        assert_eq!(strings.intern("/d").unwrap(), 4);
        assert_eq!(strings.intern("").unwrap(), 0);
    }
}
