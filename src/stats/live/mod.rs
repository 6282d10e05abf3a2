//! Open days in memory: the rollup rows of a day not rolled up yet ("today"),
//! kept up to date from the writer's log of changed visits (see
//! `store::DayWatch`), so unfiltered reports over it read a few hundred sums
//! instead of scanning the day's visits.
//!
//! A live day is built once from its visit rows by the scan engine, the same
//! code that builds stored rollups. After that, each report first catches up:
//! every visit a batch changed since is re-read, its old contribution taken
//! out of the sums and the new one put in (the contribution of one visit is
//! computed by the engine too, so both paths agree by construction). Visitors
//! stay exact: a visitor leaves a group when none of their visits of the day
//! is in it any more. Anything the log can't describe (an erasure, a purge,
//! a lost log) makes the next report rebuild the day.
//!
//! Memory: each visit's row bytes (what its old contribution is computed
//! from) and, per visitor, their visits' keys — tens of MB for a day of
//! 100 k visits. At most [`MAX_LIVE_DAYS`] days are live per store.

mod day;
#[cfg(test)]
mod tests;

use std::sync::{
    Arc, Mutex, PoisonError,
    atomic::{AtomicU64, Ordering},
};

use day::LiveDay;

use crate::{
    domain::{SiteId, Timezone},
    store::{ReadView, RollupRow, StoreError},
};

/// Most live days per store (the least recently read is dropped).
pub const MAX_LIVE_DAYS: usize = 4;

type Key = (u32, u32, &'static str);

/// The live days of one store, least recently read first.
#[derive(Default)]
pub struct LiveDays {
    days: Mutex<Vec<(Key, Arc<Mutex<LiveDay>>)>>,
    /// Days read whole from rows (first reads and rebuilds).
    builds: AtomicU64,
}

impl LiveDays {
    /// The live day for `site`'s local `day` in `tz`, made (and its day
    /// watched) when new.
    fn get(&self, view: &ReadView, site: SiteId, day: u32, tz: Timezone) -> Arc<Mutex<LiveDay>> {
        let key = (site.0, day, tz.tz().name());
        let mut days = self.days.lock().unwrap_or_else(PoisonError::into_inner);
        let found = days.iter().position(|(k, _)| *k == key);
        let entry = match found {
            Some(i) => days.remove(i),
            None => {
                view.day_watch().watch(site, day);
                (key, Arc::new(Mutex::new(LiveDay::new(site, day, tz))))
            }
        };
        let live = Arc::clone(&entry.1);
        days.push(entry);
        if days.len() > MAX_LIVE_DAYS {
            let ((s, d, _), _) = days.remove(0);
            if !days.iter().any(|((s2, d2, _), _)| (*s2, *d2) == (s, d)) {
                view.day_watch().unwatch(SiteId(s), d);
            }
        }
        live
    }
}

/// Rollup rows of `site`'s open local `day` in `tz` for each of `codes`
/// (0 the total, see [`super::rollup::rollup_dims`]), as the stored rollup
/// of the day would hold them if it were built from `view`'s visits — or
/// newer ones: a live day never goes back to an older snapshot.
///
/// # Errors
/// Storage errors or a corrupt row.
pub fn rollup_rows(
    view: &ReadView,
    (site, day, tz): (SiteId, u32, Timezone),
    codes: &[u8],
) -> Result<Vec<(u8, Vec<RollupRow>)>, StoreError> {
    let Some(days) = view.day_watch().above::<LiveDays>() else {
        return Ok(Vec::new());
    };
    let live = days.get(view, site, day, tz);
    let mut live = live.lock().unwrap_or_else(PoisonError::into_inner);
    if live.catch_up(view)? {
        days.builds.fetch_add(1, Ordering::Relaxed);
    }
    Ok(codes.iter().map(|&c| (c, live.rows(c))).collect())
}

/// How many times this store's live days were read whole from rows (tests
/// check that catching up doesn't).
#[doc(hidden)]
#[must_use]
pub fn builds(view: &ReadView) -> u64 {
    view.day_watch()
        .above::<LiveDays>()
        .map_or(0, |d| d.builds.load(Ordering::Relaxed))
}

/// Days that can be read live for a query over `first..=last` (local days of
/// the site's own zone) whose rolled-up days are `rolled`: the one or two
/// latest days not rolled up, when they come after every rolled day.
#[must_use]
pub fn open_days(first: u32, last: u32, rolled: &std::collections::BTreeSet<u32>) -> Vec<u32> {
    let after = rolled.last().map_or(first, |&d| d + 1);
    (after.max(first)..=last).rev().take(2).collect()
}
