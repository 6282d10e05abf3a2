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
//! a lost log) makes the next report rebuild the day, and so does a day held
//! for 30 minutes.
//!
//! Memory: each visit's row bytes (what its old contribution is computed
//! from) and, per visitor, their visits' keys — about 12.6 MB for a day of
//! 115 k visits. At most [`MAX_LIVE_DAYS`] days are live per store, holding
//! at most [`MAX_LIVE_BYTES`] together.

mod day;
#[cfg(test)]
mod tests;

use std::sync::{
    Arc, Mutex, PoisonError,
    atomic::{AtomicU64, AtomicUsize, Ordering},
};

use day::{Caught, LiveDay};

use crate::{
    domain::{SiteId, Timezone},
    store::{ReadView, RollupRow, StoreError},
};

/// Most live days per store (the least recently read is dropped); their
/// bytes are bounded by [`MAX_LIVE_BYTES`].
pub const MAX_LIVE_DAYS: usize = 16;

/// Most bytes the live days of one store hold together: their visits' rows
/// plus about 64 bytes of index per visit. A day that doesn't fit is scanned
/// from rows as if it weren't live (and tried again once there is room).
/// The bench store's "today" — 114,832 visits, 333 k events, 5.2 MB of rows —
/// takes about 12.6 MB.
pub const MAX_LIVE_BYTES: usize = 32 << 20;

type Key = (u32, u32, &'static str);

/// Rollup rows by dimension code.
pub type RowsByCode = Vec<(u8, Vec<RollupRow>)>;

/// The live days of one store, least recently read first.
#[derive(Default)]
pub struct LiveDays {
    days: Mutex<Vec<(Key, Arc<Mutex<LiveDay>>)>>,
    /// Days read whole from rows (first reads and rebuilds).
    builds: AtomicU64,
    /// Bytes all live days hold, and may.
    budget: Arc<Budget>,
}

/// Bytes held by a store's live days, and the most they may hold.
pub(super) struct Budget {
    held: AtomicUsize,
    limit: AtomicUsize,
}

impl Budget {
    /// Whether `needed` more bytes fit.
    fn fits(&self, needed: usize) -> bool {
        self.held.load(Ordering::Relaxed).saturating_add(needed)
            <= self.limit.load(Ordering::Relaxed)
    }

    /// Counts `needed` more bytes held if they fit (atomically, so days
    /// built at once can't together pass the limit).
    fn reserve(&self, needed: usize) -> bool {
        let limit = self.limit.load(Ordering::Relaxed);
        self.held
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |held| {
                held.checked_add(needed).filter(|&n| n <= limit)
            })
            .is_ok()
    }
}

impl Default for Budget {
    fn default() -> Self {
        Self {
            held: AtomicUsize::new(0),
            limit: AtomicUsize::new(MAX_LIVE_BYTES),
        }
    }
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
                let budget = Arc::clone(&self.budget);
                (
                    key,
                    Arc::new(Mutex::new(LiveDay::new(site, day, tz, budget))),
                )
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
/// newer ones: a live day never goes back to an older snapshot. `None` when
/// the day doesn't fit in [`MAX_LIVE_BYTES`]: scan it instead.
///
/// # Errors
/// Storage errors or a corrupt row.
pub fn rollup_rows(
    view: &ReadView,
    (site, day, tz): (SiteId, u32, Timezone),
    codes: &[u8],
) -> Result<Option<RowsByCode>, StoreError> {
    let Some(days) = view.day_watch().above::<LiveDays>() else {
        return Ok(None);
    };
    let live = days.get(view, site, day, tz);
    let mut live = live.lock().unwrap_or_else(PoisonError::into_inner);
    match live.catch_up(view)? {
        Caught::TooBig => return Ok(None),
        Caught::Built => {
            days.builds.fetch_add(1, Ordering::Relaxed);
        }
        Caught::Up => {}
    }
    Ok(Some(codes.iter().map(|&c| (c, live.rows(c))).collect()))
}

/// Sets how many bytes this store's live days may hold (tests of days that
/// don't fit); returns the bytes they hold now.
#[doc(hidden)]
pub fn set_budget(view: &ReadView, bytes: usize) -> usize {
    view.day_watch().above::<LiveDays>().map_or(0, |d| {
        d.budget.limit.store(bytes, Ordering::Relaxed);
        d.budget.held.load(Ordering::Relaxed)
    })
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
/// the site's own zone) whose rolled-up days are `rolled` and whose latest
/// visit started on `latest`: the one or two latest days with visits, when
/// they come after every rolled day (days after the latest visit, such as the
/// rest of "this month", are empty and cost nothing to scan).
#[must_use]
pub fn open_days(
    (first, last): (u32, u32),
    rolled: &std::collections::BTreeSet<u32>,
    latest: u32,
) -> Vec<u32> {
    let after = rolled.last().map_or(first, |&d| d + 1).max(first);
    (after..=last.min(latest)).rev().take(2).collect()
}
