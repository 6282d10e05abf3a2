//! Day segments' bytes: (site, local day, column code, chunk) → a piece of
//! one column of a closed day's visits (the format is `stats::segment`'s;
//! the store only keeps the bytes). Columns are stored in chunks of at most
//! [`CHUNK`] bytes: a value of several megabytes needs that many contiguous
//! free pages, which a file whose visit rows keep growing rarely has, so
//! whole columns made the file grow by twice their size. A segment is written with its day's rollups and is
//! read only while the day is marked rolled up; wherever a day's visits are
//! deleted, its segment goes too, so no per-visit data outlives its rows.

use std::collections::BTreeSet;

use redb::{ReadTransaction, WriteTransaction};

use super::{StoreError, tables::SEGMENTS};
use crate::domain::SiteId;

/// Replaces the columns of one day.
pub(super) fn put(
    tx: &WriteTransaction,
    site: SiteId,
    day: u32,
    columns: &[(u8, Vec<u8>)],
) -> Result<(), StoreError> {
    let mut t = tx.open_table(SEGMENTS)?;
    t.retain_in(
        (site.0, day, 0, 0)..=(site.0, day, u8::MAX, u16::MAX),
        |_, _| false,
    )?;
    for (code, bytes) in columns {
        // An empty column is one empty chunk, so it reads back as present.
        let mut chunks: Vec<&[u8]> = bytes.chunks(CHUNK).collect();
        if chunks.is_empty() {
            chunks.push(&[]);
        }
        for (i, chunk) in chunks.into_iter().enumerate() {
            let i = u16::try_from(i).map_err(|_| {
                StoreError::Conflict(format!("a segment column of {} bytes", bytes.len()))
            })?;
            t.insert((site.0, day, *code, i), chunk)?;
        }
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
            (site.0, d, 0, 0)..=(site.0, d, u8::MAX, u16::MAX),
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

/// One column's bytes, its chunks put together.
pub(super) fn get(
    tx: &ReadTransaction,
    site: SiteId,
    day: u32,
    code: u8,
) -> Result<Option<Vec<u8>>, StoreError> {
    let t = tx.open_table(SEGMENTS)?;
    let mut out: Option<Vec<u8>> = None;
    for row in t.range((site.0, day, code, 0)..=(site.0, day, code, u16::MAX))? {
        out.get_or_insert_with(Vec::new)
            .extend_from_slice(row?.1.value());
    }
    Ok(out)
}

/// Most bytes in one stored value (a few pages).
const CHUNK: usize = 16 * 1024;
