//! Small helpers shared by the tables of rarely written JSON rows (accounts,
//! sites, keys, goals): encoding and id counters.

use redb::{ReadableTable, Table};
use serde::{Serialize, de::DeserializeOwned};

use super::{StoreError, codec::CodecError, read_counter};

/// Encodes a row.
pub(super) fn to_json<T: Serialize>(v: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(v).map_err(StoreError::Encode)
}

/// Decodes a row; `what` names it in the corruption error.
pub(super) fn from_json<T: DeserializeOwned>(
    b: &[u8],
    what: &'static str,
) -> Result<T, StoreError> {
    serde_json::from_slice(b).map_err(|_| StoreError::Corrupt(CodecError(what)))
}

/// Takes the next id from counter `key` (ids start at 1).
pub(super) fn next_id(
    meta: &mut Table<&'static str, &'static [u8]>,
    key: &str,
) -> Result<u32, StoreError> {
    let id = u32::try_from(read_counter(meta, key)?.max(1))
        .map_err(|_| StoreError::Conflict(format!("{key} exhausted")))?;
    meta.insert(key, u64::from(id + 1).to_be_bytes().as_slice())?;
    Ok(id)
}

/// Every decoded value of a `u32 → JSON` table.
pub(super) fn all_rows<T: DeserializeOwned>(
    table: &impl ReadableTable<u32, &'static [u8]>,
    what: &'static str,
) -> Result<Vec<T>, StoreError> {
    let mut out = Vec::new();
    for row in table.iter()? {
        let (_, v) = row?;
        out.push(from_json(v.value(), what)?);
    }
    Ok(out)
}
