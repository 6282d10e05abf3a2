//! Which visits the writer's batches changed, per watched (site, local day),
//! so an in-memory copy of an open day kept above the store (`stats::live`)
//! catches up by re-reading those rows instead of the whole day.
//!
//! Each batch that touches a day raises its version in `day_versions_v1` by
//! exactly one. The log holds, per watched day, the visits batches wrote
//! (each once, with the first and latest version that changed it) and the
//! run of versions those batches gave the day. A reader at version `v` seeing `cv`
//! in its snapshot takes the visits changed up to `cv`; if the run doesn't
//! cover `v+1..=cv`, something other than a batch changed the day (an
//! erasure, a purge) and the reader reads the day again.

use std::{
    any::Any,
    collections::HashMap,
    sync::{Arc, Mutex, OnceLock, PoisonError},
};

use crate::domain::SiteId;

/// Most distinct visits the logs of all watched days keep together; past it
/// the log that grows gives up (its reader then reads the day again). Bounds
/// memory (~48 bytes a visit) when nobody reads a busy day.
const MAX_VISITS: usize = 250_000;

#[derive(Default)]
struct Log {
    /// Visit (start ms, id) → the first and the latest version since it
    /// was last taken that changed it.
    visits: HashMap<(u64, u64), (u64, u64)>,
    /// The versions logged, first..=last, without a gap.
    versions: Option<(u64, u64)>,
    /// Too many visits, or a logged version didn't follow the last one.
    lost: bool,
}

#[derive(Default)]
struct Logs {
    days: HashMap<(u32, u32), Log>,
    /// Visits in all logs.
    visits: usize,
}

/// What a reader gets from [`DayWatch::take`].
#[derive(Debug, PartialEq, Eq)]
pub enum Changes {
    /// The visits (start ms, id) changed by batches up to the asked
    /// version, and the versions logged up to it (`None`: none).
    Visits(Vec<(u64, u64)>, Option<(u64, u64)>),
    /// The log can't say: read the day again.
    Lost,
}

/// The per-store change log of watched days, and a slot for the state kept
/// above the store that reads it.
#[derive(Default)]
pub struct DayWatch {
    logs: Mutex<Logs>,
    above: OnceLock<Arc<dyn Any + Send + Sync>>,
}

impl DayWatch {
    /// Starts logging the batches' changes to `site`'s local `day` (a no-op
    /// when already watched).
    pub fn watch(&self, site: SiteId, day: u32) {
        self.lock().days.entry((site.0, day)).or_default();
    }

    /// Stops logging `day`.
    pub fn unwatch(&self, site: SiteId, day: u32) {
        let mut logs = self.lock();
        if let Some(log) = logs.days.remove(&(site.0, day)) {
            logs.visits -= log.visits.len();
        }
    }

    /// Removes and returns what the batches up to version `upto` changed in
    /// `day`; changes by later batches stay (not in the reader's snapshot
    /// yet: a visit changed both before and after `upto` is handed out now
    /// and again later). After a loss the log starts over empty.
    pub fn take(&self, site: SiteId, day: u32, upto: u64) -> Changes {
        let mut logs = self.lock();
        let Logs { days, visits } = &mut *logs;
        let Some(log) = days.get_mut(&(site.0, day)) else {
            return Changes::Lost;
        };
        if log.lost {
            *visits -= log.visits.len();
            *log = Log::default();
            return Changes::Lost;
        }
        let mut now = Vec::new();
        let before = log.visits.len();
        log.visits.retain(|k, (first, last)| {
            if *first <= upto {
                now.push(*k);
                *first = upto + 1;
            }
            *last > upto
        });
        *visits -= before - log.visits.len();
        let covered = match log.versions {
            Some((first, last)) if first <= upto => {
                log.versions = (last > upto).then_some((upto + 1, last));
                Some((first, last.min(upto)))
            }
            _ => None,
        };
        Changes::Visits(now, covered)
    }

    /// The watched (site, day) pairs: the writer collects keys for these only.
    pub(super) fn watched(&self) -> Vec<(u32, u32)> {
        self.lock().days.keys().copied().collect()
    }

    /// Logs a committed batch's changes to `day`, which it gave `version`;
    /// days not watched are ignored.
    pub(super) fn record(&self, site: SiteId, day: u32, version: u64, keys: &[(u64, u64)]) {
        let mut logs = self.lock();
        let Logs { days, visits } = &mut *logs;
        let Some(log) = days.get_mut(&(site.0, day)) else {
            return;
        };
        if log.lost {
            return;
        }
        log.versions = match log.versions {
            None => Some((version, version)),
            Some((first, last)) if version == last + 1 => Some((first, version)),
            Some(_) => {
                log.lost = true;
                None
            }
        };
        let before = log.visits.len();
        for &k in keys {
            log.visits
                .entry(k)
                .and_modify(|v| v.1 = version)
                .or_insert((version, version));
        }
        *visits += log.visits.len() - before;
        if log.lost || *visits > MAX_VISITS {
            *visits -= log.visits.len();
            *log = Log {
                lost: true,
                ..Log::default()
            };
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

    fn lock(&self) -> std::sync::MutexGuard<'_, Logs> {
        self.logs.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(c: Changes) -> Changes {
        match c {
            Changes::Visits(mut v, r) => {
                v.sort_unstable();
                Changes::Visits(v, r)
            }
            lost => lost,
        }
    }

    #[test]
    fn changes_are_taken_up_to_the_readers_version() {
        let w = DayWatch::default();
        let site = SiteId(1);
        assert_eq!(w.take(site, 5, 9), Changes::Lost, "not watched");
        w.watch(site, 5);
        w.record(site, 5, 3, &[(10, 1), (11, 2)]);
        w.record(site, 5, 4, &[(12, 3)]);
        w.record(site, 6, 4, &[(10, 9)]);
        // A batch that touched the day but no visit still counts.
        w.record(site, 5, 5, &[]);
        assert_eq!(
            sorted(w.take(site, 5, 3)),
            Changes::Visits(vec![(10, 1), (11, 2)], Some((3, 3)))
        );
        assert_eq!(
            w.take(site, 5, 9),
            Changes::Visits(vec![(12, 3)], Some((4, 5)))
        );
        assert_eq!(w.take(site, 5, 9), Changes::Visits(vec![], None));
        // A visit changed both before and after the reader's version is
        // handed out now and again later.
        w.record(site, 5, 6, &[(10, 1)]);
        w.record(site, 5, 7, &[(10, 1), (11, 2)]);
        assert_eq!(
            w.take(site, 5, 6),
            Changes::Visits(vec![(10, 1)], Some((6, 6)))
        );
        assert_eq!(
            sorted(w.take(site, 5, 7)),
            Changes::Visits(vec![(10, 1), (11, 2)], Some((7, 7)))
        );
        assert_eq!(w.lock().visits, 0, "the count follows the logs");
        // A version that doesn't follow (something else raised it) loses the log.
        w.record(site, 5, 9, &[(10, 1)]);
        w.record(site, 5, 11, &[(10, 1)]);
        assert_eq!(w.take(site, 5, 11), Changes::Lost);
        assert_eq!(
            w.take(site, 5, 11),
            Changes::Visits(vec![], None),
            "starts over"
        );
        // Past the bound (all days together) the growing log gives up.
        w.watch(site, 6);
        w.record(site, 6, 1, &[(1, 1), (2, 2)]);
        let many: Vec<(u64, u64)> = (0..MAX_VISITS as u64).map(|i| (i, i)).collect();
        w.record(site, 5, 12, &many);
        assert_eq!(w.take(site, 5, 12), Changes::Lost);
        assert_eq!(w.lock().visits, 2);
        w.unwatch(site, 6);
        w.unwatch(site, 5);
        assert!(w.watched().is_empty());
        assert_eq!(w.lock().visits, 0);
    }
}
