//! Day segments' bytes: (site, local day, column code) → one column of a
//! closed day's visits (the format is `stats::segment`'s; the store only
//! keeps the bytes). A segment is written with its day's rollups and is
//! read only while the day is marked rolled up; wherever a day's visits are
//! deleted, its segment goes too, so no per-visit data outlives its rows.
//!
//! A column is stored in pieces of [`CHUNK_BYTES`]. redb gives a leaf that
//! outgrows one 4 KiB page a run of pages rounded up to a power of two, so a
//! column of several MB stored as one value wasted what its last run had
//! left over: 43 of the 236 MB that the bench store's 29 days of segments
//! took (18 %). A piece of [`CHUNK_BYTES`], with its key and the leaf's
//! header, fills a run of four pages exactly; the same columns in pieces take
//! 196 MB (see BENCHMARKS.md, "Bytes on disk per event").

use std::collections::BTreeSet;

use redb::{ReadTransaction, ReadableTable, WriteTransaction};

use super::{
    StoreError,
    tables::{SEGMENTS, SEGMENTS_V1},
};
use crate::domain::SiteId;

/// Bytes of a column per stored piece: four 4 KiB pages less 64 bytes for
/// the leaf's header and the piece's key. A piece of exactly 16 KiB would
/// need eight pages.
pub(super) const CHUNK_BYTES: usize = 4 * 4096 - 64;

/// Stores one column as pieces `0..`.
fn put_column(
    t: &mut redb::Table<(u32, u32, u8, u32), &[u8]>,
    site: SiteId,
    day: u32,
    code: u8,
    bytes: &[u8],
) -> Result<(), StoreError> {
    // An empty column is one empty piece, so it reads back as present.
    if bytes.is_empty() {
        t.insert((site.0, day, code, 0), [].as_slice())?;
    }
    for (i, piece) in bytes.chunks(CHUNK_BYTES).enumerate() {
        // At most 2^32 pieces of 16 KB: never more than a usize index can count.
        let i = u32::try_from(i).unwrap_or(u32::MAX);
        t.insert((site.0, day, code, i), piece)?;
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
    let t = tx.open_table(SEGMENTS)?;
    let mut out: Option<Vec<u8>> = None;
    for row in t.range((site.0, day, code, 0)..=(site.0, day, code, u32::MAX))? {
        let (_, v) = row?;
        out.get_or_insert_with(Vec::new)
            .extend_from_slice(v.value());
    }
    Ok(out)
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
