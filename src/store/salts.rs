//! Visitor-hash salts, one per UTC day, sealed at rest. A salt is deleted once no open visit can
//! need it; after that the day's visitor ids can't be recomputed or linked.

use redb::ReadableTable;

use super::{Store, StoreError, tables::SALTS};

impl Store {
    /// Every salt still held (sealed by `privacy`), oldest first.
    ///
    /// # Errors
    /// Storage errors.
    pub fn salts(&self) -> Result<Vec<(u32, Vec<u8>)>, StoreError> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(SALTS)?;
        let mut out = Vec::new();
        for row in table.iter()? {
            let (k, v) = row?;
            out.push((k.value(), v.value().to_vec()));
        }
        Ok(out)
    }

    /// Stores the (sealed) salt for `day`.
    ///
    /// # Errors
    /// Storage errors.
    pub fn put_salt(&self, day: u32, salt: &[u8]) -> Result<(), StoreError> {
        let tx = self.db.begin_write()?;
        tx.open_table(SALTS)?.insert(day, salt)?;
        tx.commit()?;
        Ok(())
    }

    /// Deletes every salt of a day before `day`; returns how many went.
    ///
    /// # Errors
    /// Storage errors.
    pub fn delete_salts_before(&self, day: u32) -> Result<usize, StoreError> {
        let tx = self.db.begin_write()?;
        let n = {
            let mut table = tx.open_table(SALTS)?;
            let old: Vec<u32> = table
                .range(..day)?
                .map(|r| r.map(|(k, _)| k.value()))
                .collect::<Result<_, _>>()?;
            for d in &old {
                table.remove(*d)?;
            }
            old.len()
        };
        tx.commit()?;
        Ok(n)
    }
}
