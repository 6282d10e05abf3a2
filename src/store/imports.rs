//! Imported statistics: daily aggregates brought in from another tool
//! (Plausible's CSV export), kept apart from Touchpoint's own visits as
//! imports with an id, listed and deletable as a whole. Rows hold texts as
//! given (already normalised and redacted by the importer), not interned
//! ids: imported texts never enter the strings table.

use redb::ReadableTable;
use serde::{Deserialize, Serialize};

use super::{
    Store, StoreError,
    rows::{from_json, to_json},
    tables::{IMPORTED, IMPORTS, META},
};
use crate::domain::SiteId;

/// One import of a site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportRecord {
    /// Id, unique in the store.
    pub id: u32,
    /// Where it came from (`csv`).
    pub source: String,
    /// First local day (days since 1970-01-01) it holds.
    pub first_day: u32,
    /// Last local day it holds.
    pub last_day: u32,
    /// Unix ms it was made.
    pub created_ms: u64,
    /// Rows per imported table, by table name.
    pub rows: std::collections::BTreeMap<String, u64>,
}

/// One imported row: a table's dimension texts and its counts, in the
/// table's column order (see `imports::plausible`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportedRow {
    /// Dimension values.
    pub texts: Vec<String>,
    /// Counts.
    pub counts: Vec<u64>,
}

const NEXT_IMPORT_ID: &str = "next_import_id";

impl Store {
    /// Stores an import and its rows (table code, local day, row) in one
    /// transaction: all of it or none. The record's id is assigned here.
    ///
    /// # Errors
    /// Storage errors, or a row that can't be encoded.
    pub fn add_import(
        &self,
        site: SiteId,
        mut record: ImportRecord,
        rows: &[(u8, u32, ImportedRow)],
    ) -> Result<ImportRecord, StoreError> {
        let tx = self.db.begin_write()?;
        {
            let mut meta = tx.open_table(META)?;
            let id = meta
                .get(NEXT_IMPORT_ID)?
                .and_then(|v| v.value().try_into().ok().map(u32::from_be_bytes))
                .unwrap_or(1);
            meta.insert(NEXT_IMPORT_ID, (id + 1).to_be_bytes().as_slice())?;
            record.id = id;
            let mut t = tx.open_table(IMPORTED)?;
            for (seq, (table, day, row)) in rows.iter().enumerate() {
                let seq = u32::try_from(seq).map_err(|_| {
                    StoreError::Conflict("an import holds more than 4 billion rows".into())
                })?;
                t.insert((site.0, id, *table, *day, seq), to_json(row)?.as_slice())?;
            }
            tx.open_table(IMPORTS)?
                .insert((site.0, id), to_json(&record)?.as_slice())?;
        }
        tx.commit()?;
        Ok(record)
    }

    /// A site's imports, oldest first.
    ///
    /// # Errors
    /// Storage errors.
    pub fn imports(&self, site: SiteId) -> Result<Vec<ImportRecord>, StoreError> {
        self.read()?.imports(site)
    }

    /// Deletes an import and its rows; false when there is none.
    ///
    /// # Errors
    /// Storage errors.
    pub fn delete_import(&self, site: SiteId, id: u32) -> Result<bool, StoreError> {
        let tx = self.db.begin_write()?;
        let found = {
            let found = tx.open_table(IMPORTS)?.remove((site.0, id))?.is_some();
            tx.open_table(IMPORTED)?.retain_in(
                (site.0, id, 0, 0, 0)..=(site.0, id, u8::MAX, u32::MAX, u32::MAX),
                |_, _| false,
            )?;
            found
        };
        tx.commit()?;
        Ok(found)
    }
}

/// A site's imports (for [`super::ReadView::imports`]).
pub(super) fn list(
    tx: &redb::ReadTransaction,
    site: SiteId,
) -> Result<Vec<ImportRecord>, StoreError> {
    let t = tx.open_table(IMPORTS)?;
    let mut out = Vec::new();
    for row in t.range((site.0, 0)..=(site.0, u32::MAX))? {
        out.push(from_json(row?.1.value(), "import row")?);
    }
    Ok(out)
}

/// Each imported row of `table` on local days `first..=last`, of every
/// import of the site (for [`super::ReadView::for_each_imported`]).
pub(super) fn each(
    tx: &redb::ReadTransaction,
    site: SiteId,
    table: u8,
    (first, last): (u32, u32),
    f: &mut dyn FnMut(u32, ImportedRow),
) -> Result<(), StoreError> {
    let imports = tx.open_table(IMPORTS)?;
    let rows = tx.open_table(IMPORTED)?;
    for import in imports.range((site.0, 0)..=(site.0, u32::MAX))? {
        let id = import?.0.value().1;
        for row in
            rows.range((site.0, id, table, first, 0)..=(site.0, id, table, last, u32::MAX))?
        {
            let (k, v) = row?;
            f(k.value().3, from_json(v.value(), "imported row")?);
        }
    }
    Ok(())
}

/// Deletes every import of a site (the site is being deleted).
pub(super) fn delete_site_imports(
    tx: &redb::WriteTransaction,
    site: SiteId,
) -> Result<(), StoreError> {
    let s = site.0;
    tx.open_table(IMPORTS)?
        .retain_in((s, 0)..=(s, u32::MAX), |_, _| false)?;
    tx.open_table(IMPORTED)?.retain_in(
        (s, 0, 0, 0, 0)..=(s, u32::MAX, u8::MAX, u32::MAX, u32::MAX),
        |_, _| false,
    )?;
    Ok(())
}
