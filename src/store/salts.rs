//! Visitor-hash salts, one per UTC day. A salt is deleted once no open visit can
//! need it; after that the day's visitor ids can't be recomputed or linked.

use redb::{ReadableDatabase, ReadableTable};

use super::{Store, StoreError, tables::SALTS};

impl Store {
    /// Every salt still held, oldest first.
    ///
    /// # Errors
    /// Storage errors.
    pub fn salts(&self) -> Result<Vec<(u32, [u8; 32])>, StoreError> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(SALTS)?;
        let mut out = Vec::new();
        for row in table.iter()? {
            let (k, v) = row?;
            let mut salt = [0u8; 32];
            if v.value().len() != 32 {
                return Err(StoreError::Corrupt(super::codec::CodecError("salt length")));
            }
            salt.copy_from_slice(v.value());
            out.push((k.value(), salt));
        }
        Ok(out)
    }

    /// Stores the salt for `day`.
    ///
    /// # Errors
    /// Storage errors.
    pub fn put_salt(&self, day: u32, salt: &[u8; 32]) -> Result<(), StoreError> {
        let tx = self.db.begin_write()?;
        tx.open_table(SALTS)?.insert(day, salt.as_slice())?;
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
