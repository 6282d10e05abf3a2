//! The memory one report may hold while it scans (`storage.max_report_mb`),
//! and what a scan counts against it.

use std::sync::atomic::{AtomicUsize, Ordering};

use super::{engine::GroupKey, groups::Acc};

/// The memory one report may hold while it scans, shared by its threads
/// (`storage.max_report_mb`, through
/// [`crate::store::ReadView::report_memory_limit`]).
///
/// What is counted, in bytes, is what grows with the data: each scan's groups
/// (a slot of `(GroupKey, Acc)` plus its visitor list's smallest allocation,
/// per group, as the maps are sized), the visitors they list for the day (4
/// or 8 bytes each, see [`super::groups::Who`]; the most of any day so far:
/// lists keep their capacity) and the table of a day's first visitors (at
/// most ~4.5 MB).
/// It is checked every [`CHECK_EVERY`] visits, so a report stops within a
/// few thousand visits of the limit.
pub struct Budget {
    limit: usize,
    held: AtomicUsize,
}

/// Visits between two checks of a scan's [`Budget`].
pub(super) const CHECK_EVERY: u64 = 4096;

/// Bytes a group holds besides its visitor list entries: its map slot (key,
/// accumulator, control byte) and the list's smallest allocation.
pub(super) const GROUP_BYTES: usize = std::mem::size_of::<(GroupKey, Acc)>() + 1 + 16;

impl Budget {
    /// A budget of `limit` bytes.
    #[must_use]
    pub fn new(limit: usize) -> Self {
        Self {
            limit,
            held: AtomicUsize::new(0),
        }
    }

    /// The limit, in bytes.
    #[must_use]
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Moves one scan's count from `before` to `now`; false once the
    /// report's scans together hold more than the limit.
    pub(super) fn update(&self, before: usize, now: usize) -> bool {
        let held = if now >= before {
            self.held.fetch_add(now - before, Ordering::Relaxed) + (now - before)
        } else {
            self.held.fetch_sub(before - now, Ordering::Relaxed) - (before - now)
        };
        held <= self.limit
    }
}

/// Bytes of one slot of a day's table of visitors (see
/// [`super::groups::DenseVisitors`]).
pub(super) const DENSE_SLOT_BYTES: usize = std::mem::size_of::<(u64, u32)>() + 1;
