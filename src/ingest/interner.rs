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

/// Most bytes of text the cache holds (with a per-entry overhead counted),
/// so long distinct values (properties, referrers) can't grow it past this
/// either.
pub const INTERNER_CACHE_BYTES: usize = 8 << 20;

/// Bytes a cached entry costs besides its text: the map's slot and the
/// `String`'s header.
const ENTRY_OVERHEAD: usize = 48;
/// String ↔ id table: a bounded cache in front of the store's string table;
/// new strings are collected for the next batch.
pub struct Interner {
    store: Store,
    ids: HashMap<String, u32, FxBuildHasher>,
    next: u32,
    pending: Vec<(u32, String)>,
    cap: usize,
    /// Text bytes cached, with [`ENTRY_OVERHEAD`] each.
    bytes: usize,
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
            bytes: 0,
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
        self.bytes += s.len() + ENTRY_OVERHEAD;
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

    /// Moves new strings into `batch`, emptying the cache (and giving its
    /// memory back) if it is over its cap in entries or in bytes.
    pub(super) fn drain_into(&mut self, batch: &mut Batch) {
        batch.strings.append(&mut self.pending);
        batch.next_string_id = self.next;
        if self.ids.len() > self.cap || self.bytes > INTERNER_CACHE_BYTES {
            self.ids = HashMap::default();
            self.bytes = 0;
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

    #[test]
    fn long_texts_bound_the_cache_by_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let mut strings = Interner::new(store.clone(), 1, usize::MAX);
        let long = "x".repeat(MAX_STRING_BYTES - 10);
        let fit = INTERNER_CACHE_BYTES / (long.len() + 5 + ENTRY_OVERHEAD);
        for i in 0..fit {
            strings.intern(&format!("{long}{i:05}")).unwrap();
        }
        let mut batch = Batch::default();
        strings.drain_into(&mut batch);
        assert_eq!(strings.ids.len(), fit, "under the bound: kept");
        strings.intern(&format!("{long}-one-more")).unwrap();
        strings.intern(&format!("{long}-and-another")).unwrap();
        strings.drain_into(&mut batch);
        assert!(strings.ids.is_empty(), "over the bound: emptied");
    }
}
