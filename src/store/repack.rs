//! Repacking a closed day's visit rows into full pages.
//!
//! Visit rows are rewritten as their visits grow, and a B-tree leaf that
//! overflows in the middle of the table splits into two half-full ones; only
//! keys appended past the table's end leave full leaves behind. On the bench
//! store, 118 of the visit table's 373 MB were such unused space. Rewriting a
//! day's rows through a cursor into the gap they leave (redb packs a run of
//! buffered inserts into full leaves) takes that table to ~260 MB, with
//! every key and value unchanged. A day is repacked when it is rolled up: by
//! then its visits are over and its rows rarely change again.

use std::ops::Bound;

use redb::ReadableTable;

use super::{Store, StoreError, tables::SESSIONS};
use crate::domain::SiteId;

/// Row bytes moved per write transaction, so the writer waits at most for
/// one such piece at a time.
const PIECE_BYTES: usize = 1 << 20;

/// A visit row as read for repacking.
type Row = ((u32, u64, u64), Vec<u8>);

impl Store {
    /// Rewrites the visit rows of `site` that started in `[from_ms, to_ms)`
    /// into full pages, in write transactions of at most ~1 MiB of rows each.
    /// Keys and values are unchanged, so readers see the same rows before,
    /// during and after. Returns how many rows were rewritten.
    ///
    /// # Errors
    /// Storage errors.
    pub fn repack_visits(
        &self,
        site: SiteId,
        from_ms: u64,
        to_ms: u64,
    ) -> Result<usize, StoreError> {
        let end = (site.0, to_ms, 0);
        let mut start = Bound::Included((site.0, from_ms, 0));
        let mut moved = 0;
        loop {
            let tx = self.db.begin_write()?;
            let rows = {
                let mut t = tx.open_table(SESSIONS)?;
                let rows = piece(&t, start, end)?;
                let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
                    break;
                };
                t.retain_in(first.0..=last.0, |_, _| false)?;
                let mut gap = t.lower_bound_mut(Bound::Included(first.0))?;
                for (k, v) in &rows {
                    gap.insert_before(*k, v.as_slice())?;
                }
                gap.close()?;
                rows
            };
            tx.commit()?;
            moved += rows.len();
            match rows.last() {
                Some(last) => start = Bound::Excluded(last.0),
                None => break,
            }
        }
        Ok(moved)
    }
}

/// The next rows from `start` (before `end`), up to [`PIECE_BYTES`].
fn piece(
    t: &impl ReadableTable<(u32, u64, u64), &'static [u8]>,
    start: Bound<(u32, u64, u64)>,
    end: (u32, u64, u64),
) -> Result<Vec<Row>, StoreError> {
    let mut rows = Vec::new();
    let mut bytes = 0;
    for row in t.range::<(u32, u64, u64)>((start, Bound::Excluded(end)))? {
        let (k, v) = row?;
        let v = v.value().to_vec();
        bytes += v.len() + 20;
        rows.push((k.value(), v));
        if bytes >= PIECE_BYTES {
            break;
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use redb::ReadableTableMetadata;

    use super::*;

    const DAY: u64 = 86_400_000;

    fn all_rows(store: &Store) -> Vec<Row> {
        let tx = store.db.begin_read().unwrap();
        let t = tx.open_table(SESSIONS).unwrap();
        t.iter()
            .unwrap()
            .map(|r| {
                let (k, v) = r.unwrap();
                (k.value(), v.value().to_vec())
            })
            .collect()
    }

    fn unused_bytes(store: &Store) -> u64 {
        let tx = store.db.begin_write().unwrap();
        let stats = tx.open_table(SESSIONS).unwrap().stats().unwrap();
        stats.fragmented_bytes()
    }

    /// Three days of visits of two sites. With `grow`, the middle day's rows
    /// of site 1 are written small and then grow one by one out of key
    /// order, as visits do, splitting leaves in the middle of the table;
    /// without, they are written at their final size in key order.
    fn store_of(grow: bool) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let grown = |i: u64| vec![(i % 241) as u8; 90];
        let tx = store.db.begin_write().unwrap();
        {
            let mut t = tx.open_table(SESSIONS).unwrap();
            for site in [1u32, 2] {
                for day in 0..3u64 {
                    for i in 0..3_000u64 {
                        let v = if site == 1 && day == 1 && !grow {
                            grown(i)
                        } else {
                            vec![(i % 251) as u8; 40]
                        };
                        t.insert((site, day * DAY + i * 1_000, i), v.as_slice())
                            .unwrap();
                    }
                }
            }
            for n in 0..if grow { 3_000u64 } else { 0 } {
                let i = n * 1_543 % 3_000;
                t.insert((1, DAY + i * 1_000, i), grown(i).as_slice())
                    .unwrap();
            }
        }
        tx.commit().unwrap();
        (dir, store)
    }

    #[test]
    fn repacking_a_day_keeps_every_row_and_frees_the_pages_its_growth_left_half_empty() {
        let (_d1, packed) = store_of(false);
        let (_d2, store) = store_of(true);
        let before = all_rows(&store);
        assert_eq!(before, all_rows(&packed));
        let (ideal, unused_before) = (unused_bytes(&packed), unused_bytes(&store));
        assert!(
            unused_before > ideal + 32_768,
            "{unused_before} against {ideal}"
        );
        let moved = store.repack_visits(SiteId(1), DAY, 2 * DAY).unwrap();
        assert_eq!(moved, 3_000);
        assert_eq!(all_rows(&store), before, "the same rows, in the same order");
        // As if written in key order, give or take a page.
        let unused_after = unused_bytes(&store);
        assert!(
            unused_after <= ideal + 8_192,
            "unused bytes {unused_before} → {unused_after}; written in order: {ideal}"
        );
        // Nothing to move in an empty range; a repacked day repacks the same.
        assert_eq!(store.repack_visits(SiteId(3), 0, 3 * DAY).unwrap(), 0);
        assert_eq!(store.repack_visits(SiteId(1), DAY, 2 * DAY).unwrap(), 3_000);
        assert_eq!(all_rows(&store), before);
    }

    #[test]
    fn a_day_larger_than_a_piece_is_repacked_in_several_transactions() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let tx = store.db.begin_write().unwrap();
        {
            let mut t = tx.open_table(SESSIONS).unwrap();
            // ~10 MB of rows: three pieces.
            for i in 0..2_500u64 {
                let v = vec![(i % 199) as u8; 4_000];
                t.insert((1, i, i), v.as_slice()).unwrap();
            }
        }
        tx.commit().unwrap();
        let before = all_rows(&store);
        assert_eq!(store.repack_visits(SiteId(1), 0, DAY).unwrap(), 2_500);
        assert_eq!(all_rows(&store), before);
    }
}
