//! Day segments' bytes: (site, local day, column code) → one column of a
//! closed day's visits (the format is `stats::segment`'s; the store only
//! keeps the bytes). A segment is written with its day's rollups and is
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
    t.retain_in((site.0, day, 0)..=(site.0, day, u8::MAX), |_, _| false)?;
    for (code, bytes) in columns {
        t.insert((site.0, day, *code), bytes.as_slice())?;
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
        t.retain_in((site.0, d, 0)..=(site.0, d, u8::MAX), |_, _| false)?;
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
            .retain_in((site.0, from, 0)..(site.0, to, 0), |_, _| false)?;
    }
    Ok(())
}

/// One column's bytes.
pub(super) fn get(
    tx: &ReadTransaction,
    site: SiteId,
    day: u32,
    code: u8,
) -> Result<Option<Vec<u8>>, StoreError> {
    Ok(tx
        .open_table(SEGMENTS)?
        .get((site.0, day, code))?
        .map(|v| v.value().to_vec()))
}
