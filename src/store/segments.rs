//! Day segments' bytes: (site, local day, column code, piece) → a piece of
//! one column of a closed day's visits (the format is `store::columns`;
//! this module only keeps the bytes). A segment is written with its day's
//! rollups and is read only while the day is marked rolled up; wherever a
//! day's visits are deleted, its segment goes too, so no per-visit data
//! outlives its rows.
//!
//! A column is stored in a few pieces sized to fill runs of pages exactly.
//! redb gives a leaf that outgrows one 4 KiB page a run of pages rounded up
//! to a power of two, so a column of several MB stored as one value wasted
//! what its last run had left over: 43 of the 236 MB that the bench store's
//! 29 days of segments took (18 %). [`piece_sizes`] cuts a column into
//! pieces of `2^k` pages less [`LEAF_OVERHEAD`], largest first (the binary
//! digits of its length in pages), so each piece with its key and the
//! leaf's header fills its run; the remainder, under a page, shares a leaf
//! with others. A column of a few MB is about ten pieces, read back in one
//! range scan (equal pieces of 16 KiB less the overhead took as little
//! space, but a hundred reads a column).

use std::collections::BTreeSet;

use redb::{ReadTransaction, ReadableTable, WriteTransaction};

use super::{
    StoreError,
    tables::{SEGMENTS, SEGMENTS_V1},
};
use crate::domain::SiteId;

/// redb's page size.
const PAGE: usize = 4096;

/// Bytes a piece leaves in its run for the leaf's header and the piece's
/// key (about 21 of them are used).
pub(super) const LEAF_OVERHEAD: usize = 64;

/// Sizes of the pieces a column of `len` bytes is stored in, in order: for
/// each power of two `2^k` pages, largest first, pieces of `2^k` pages less
/// [`LEAF_OVERHEAD`] while that much is left (at most two of a size), then
/// what remains (under a page; none when nothing does). A column under a
/// page is one piece.
pub(super) fn piece_sizes(len: usize) -> Vec<usize> {
    let mut sizes = Vec::new();
    let mut left = len;
    let mut run = PAGE;
    while run * 2 - LEAF_OVERHEAD <= left {
        run *= 2;
    }
    while run >= PAGE {
        let piece = run - LEAF_OVERHEAD;
        while piece <= left {
            sizes.push(piece);
            left -= piece;
        }
        run /= 2;
    }
    if left > 0 || sizes.is_empty() {
        sizes.push(left);
    }
    sizes
}

/// Stores one column as pieces `0..` (an empty column as one empty piece,
/// so it reads back as present).
fn put_column(
    t: &mut redb::Table<(u32, u32, u8, u32), &[u8]>,
    site: SiteId,
    day: u32,
    code: u8,
    bytes: &[u8],
) -> Result<(), StoreError> {
    let mut at = 0;
    for (i, size) in (0u32..).zip(piece_sizes(bytes.len())) {
        t.insert((site.0, day, code, i), &bytes[at..at + size])?;
        at += size;
    }
    Ok(())
}

/// Replaces the columns of one day.
///
/// # Errors
/// Storage errors.
pub(super) fn put(
    tx: &WriteTransaction,
    site: SiteId,
    day: u32,
    columns: &[(u8, Vec<u8>)],
) -> Result<(), StoreError> {
    let mut t = tx.open_table(SEGMENTS)?;
    t.retain_in(
        (site.0, day, 0, 0)..=(site.0, day, u8::MAX, u32::MAX),
        |_, _| false,
    )?;
    for (code, bytes) in columns {
        put_column(&mut t, site, day, *code, bytes)?;
    }
    Ok(())
}

/// Deletes the segments of the given days.
pub(super) fn drop_days(
    tx: &WriteTransaction,
    site: SiteId,
    days: &BTreeSet<u32>,
) -> Result<(), StoreError> {
    let mut t = tx.open_table(SEGMENTS)?;
    for &d in days {
        t.retain_in(
            (site.0, d, 0, 0)..=(site.0, d, u8::MAX, u32::MAX),
            |_, _| false,
        )?;
    }
    Ok(())
}

/// Deletes the segments of days `[from, to)`.
pub(super) fn drop_range(
    tx: &WriteTransaction,
    site: SiteId,
    from: u32,
    to: u32,
) -> Result<(), StoreError> {
    if from < to {
        tx.open_table(SEGMENTS)?
            .retain_in((site.0, from, 0, 0)..(site.0, to, 0, 0), |_, _| false)?;
    }
    Ok(())
}

/// One column's bytes, its pieces joined.
pub(super) fn get(
    tx: &ReadTransaction,
    site: SiteId,
    day: u32,
    code: u8,
) -> Result<Option<Vec<u8>>, StoreError> {
    get_in(&tx.open_table(SEGMENTS)?, site, day, code)
}

/// [`get`] from an open segment table (of a read or a write transaction).
pub(super) fn get_in(
    t: &impl ReadableTable<(u32, u32, u8, u32), &'static [u8]>,
    site: SiteId,
    day: u32,
    code: u8,
) -> Result<Option<Vec<u8>>, StoreError> {
    let mut out: Option<Vec<u8>> = None;
    for row in t.range((site.0, day, code, 0)..=(site.0, day, code, u32::MAX))? {
        let (_, v) = row?;
        out.get_or_insert_with(Vec::new)
            .extend_from_slice(v.value());
    }
    Ok(out)
}

/// Whether a day's segment has column `code` (without reading it).
pub(super) fn has(
    t: &impl ReadableTable<(u32, u32, u8, u32), &'static [u8]>,
    site: SiteId,
    day: u32,
    code: u8,
) -> Result<bool, StoreError> {
    Ok(
        t.range((site.0, day, code, 0)..=(site.0, day, code, u32::MAX))?
            .next()
            .is_some(),
    )
}

/// Schema 3 → 4: moves every column of the one-value-per-column table into
/// pieces, then deletes that table.
pub(super) fn rechunk_v1(tx: &WriteTransaction) -> Result<usize, StoreError> {
    let mut moved = 0;
    {
        let old = tx.open_table(SEGMENTS_V1)?;
        let mut new = tx.open_table(SEGMENTS)?;
        for row in old.iter()? {
            let (k, v) = row?;
            let (site, day, code) = k.value();
            put_column(&mut new, SiteId(site), day, code, v.value())?;
            moved += 1;
        }
    }
    tx.delete_table(SEGMENTS_V1)?;
    Ok(moved)
}

#[cfg(test)]
#[path = "segments_tests.rs"]
mod tests;
