//! API keys. Only the SHA-256 of a key is stored: a leaked store leaks no key.

use redb::ReadableDatabase;
use serde::{Deserialize, Serialize};

use super::{Store, StoreError, tables::API_KEYS};

/// What is kept about a key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyRecord {
    /// Human label.
    pub name: String,
    /// First characters of the key, to recognise it in a list.
    pub prefix: String,
    /// Unix ms of creation.
    pub created_ms: u64,
}

impl Store {
    /// Stores a key by its hash.
    ///
    /// # Errors
    /// Storage errors.
    pub fn add_api_key(&self, hash_hex: &str, record: &ApiKeyRecord) -> Result<(), StoreError> {
        let json = serde_json::to_vec(record).map_err(|e| StoreError::Redb(e.to_string()))?;
        let tx = self.db.begin_write()?;
        tx.open_table(API_KEYS)?.insert(hash_hex, json.as_slice())?;
        tx.commit()?;
        Ok(())
    }

    /// Looks a key up by its hash.
    ///
    /// # Errors
    /// Storage errors.
    pub fn api_key(&self, hash_hex: &str) -> Result<Option<ApiKeyRecord>, StoreError> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(API_KEYS)?;
        let Some(v) = table.get(hash_hex)? else {
            return Ok(None);
        };
        serde_json::from_slice(v.value())
            .map(Some)
            .map_err(|_| StoreError::Corrupt(super::codec::CodecError("api key row")))
    }
}
