//! Which visits the writer's batches changed, per watched (site, local day),
//! so an in-memory copy of an open day kept above the store (`stats::live`)
//! catches up by re-reading those rows instead of the whole day.
//!
//! Each batch that touches a day raises its version in `day_versions_v1` by
//! exactly one. The log holds, per watched day, the visits each batch wrote
//! with the version that batch gave the day. A reader at version `v` seeing
//! `cv` in its snapshot takes the entries up to `cv`; if any version in
//! `v+1..=cv` has no entry, something other than a batch changed the day
//! (an erasure, a purge, a consent upgrade) and the reader rebuilds.

use std::{
    any::Any,
    collections::HashMap,
    sync::{Arc, Mutex, OnceLock, PoisonError},
};

use crate::domain::SiteId;

/// Most entries one watched day keeps before it is marked overflowed (the
/// reader then rebuilds): bounds memory when nobody reads a busy day.
const MAX_ENTRIES: usize = 1 << 20;

/// One changed visit: (the day's version after the batch, visit start ms,
/// visit id); `(version, u64::MAX, u64::MAX)` for a batch that changed none.
pub type DayChange = (u64, u64, u64);

#[derive(Default)]
struct Log {
    entries: Vec<DayChange>,
    overflow: bool,
}

/// What a reader gets from [`DayWatch::take`].
#[derive(Debug, PartialEq, Eq)]
pub enum Changes {
    /// The visits changed by batches up to the asked version, in commit order
    /// (a visit may repeat).
    Visits(Vec<DayChange>),
    /// Too many changes were logged: read the day again.
    Lost,
}

/// The per-store change log of watched days, and a slot for the state kept
/// above the store that reads it.
#[derive(Default)]
pub struct DayWatch {
    logs: Mutex<HashMap<(u32, u32), Log>>,
    above: OnceLock<Arc<dyn Any + Send + Sync>>,
}

impl DayWatch {
    /// Starts logging the batches' changes to `site`'s local `day` (a no-op
    /// when already watched).
    pub fn watch(&self, site: SiteId, day: u32) {
        self.lock().entry((site.0, day)).or_default();
    }

    /// Stops logging `day`.
    pub fn unwatch(&self, site: SiteId, day: u32) {
        self.lock().remove(&(site.0, day));
    }

    /// Removes and returns the entries of `day` with versions up to `upto`;
    /// later ones stay (their batch isn't in the reader's snapshot yet).
    /// After an overflow the log starts over empty.
    pub fn take(&self, site: SiteId, day: u32, upto: u64) -> Changes {
        let mut logs = self.lock();
        let Some(log) = logs.get_mut(&(site.0, day)) else {
            return Changes::Lost;
        };
        if log.overflow {
            *log = Log::default();
            return Changes::Lost;
        }
        let (now, later): (Vec<DayChange>, Vec<DayChange>) =
            log.entries.drain(..).partition(|e| e.0 <= upto);
        log.entries = later;
        Changes::Visits(now)
    }

    /// Whether any day of `site` is watched (the writer checks this before
    /// collecting keys).
    pub(super) fn any(&self) -> bool {
        !self.lock().is_empty()
    }

    /// Logs a committed batch's changes; days not watched are ignored.
    pub(super) fn record(&self, site: SiteId, day: u32, version: u64, keys: &[(u64, u64)]) {
        let mut logs = self.lock();
        let Some(log) = logs.get_mut(&(site.0, day)) else {
            return;
        };
        if log.overflow {
            return;
        }
        if log.entries.len() + keys.len() > MAX_ENTRIES {
            log.overflow = true;
            log.entries = Vec::new();
            return;
        }
        log.entries
            .extend(keys.iter().map(|&(start, id)| (version, start, id)));
        // A batch that touched the day but no visit of it (an upgrade that
        // matched nothing) still accounts for its version.
        if keys.is_empty() {
            log.entries.push((version, u64::MAX, u64::MAX));
        }
    }

    /// State kept above the store for this store (set once; `stats` keeps
    /// its open days here).
    pub fn above<T: Any + Send + Sync + Default>(&self) -> Option<Arc<T>> {
        let slot = self
            .above
            .get_or_init(|| Arc::new(T::default()) as Arc<dyn Any + Send + Sync>);
        Arc::clone(slot).downcast::<T>().ok()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(u32, u32), Log>> {
        self.logs.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_taken_up_to_the_readers_version() {
        let w = DayWatch::default();
        let site = SiteId(1);
        assert_eq!(w.take(site, 5, 9), Changes::Lost, "not watched");
        w.watch(site, 5);
        w.record(site, 5, 3, &[(10, 1), (11, 2)]);
        w.record(site, 5, 4, &[(10, 1)]);
        w.record(site, 6, 4, &[(10, 9)]);
        assert_eq!(
            w.take(site, 5, 3),
            Changes::Visits(vec![(3, 10, 1), (3, 11, 2)])
        );
        assert_eq!(w.take(site, 5, 9), Changes::Visits(vec![(4, 10, 1)]));
        assert_eq!(w.take(site, 5, 9), Changes::Visits(vec![]));
        // Past the bound the log gives up until read.
        w.record(site, 5, 5, &vec![(1, 1); MAX_ENTRIES + 1]);
        w.record(site, 5, 6, &[(10, 1)]);
        assert_eq!(w.take(site, 5, 9), Changes::Lost);
        assert_eq!(w.take(site, 5, 9), Changes::Visits(vec![]), "starts over");
        w.unwatch(site, 5);
        assert!(!w.any());
    }
}
