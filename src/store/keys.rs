//! API keys. Only the SHA-256 of a key is stored: a leaked store leaks no key.
//! A key belongs to one workspace and reaches only that workspace's sites.

use redb::ReadableTable;
use serde::{Deserialize, Serialize};

use super::{
    Store, StoreError,
    rows::{from_json, to_json},
    tables::API_KEYS,
};
use crate::domain::WorkspaceId;

/// What is kept about a key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyRecord {
    /// Human label.
    pub name: String,
    /// First characters of the key, to recognise it in a list.
    pub prefix: String,
    /// Unix ms of creation.
    pub created_ms: u64,
    /// The workspace whose sites it may read.
    #[serde(default)]
    pub workspace: WorkspaceId,
    /// It may also record conversions (`POST /api/v1/conversions`); keys
    /// only read by default.
    #[serde(default)]
    pub conversions: bool,
    /// It may also manage the workspace's sites (the Sites API: create,
    /// change and delete sites, goals and shared links).
    #[serde(default)]
    pub sites: bool,
}

/// What a key may do beyond reading statistics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KeyScopes {
    /// Record conversions.
    pub conversions: bool,
    /// Manage sites.
    pub sites: bool,
}

impl Store {
    /// Stores a key by its hash.
    ///
    /// # Errors
    /// Storage errors.
    pub fn add_api_key(&self, hash_hex: &str, record: &ApiKeyRecord) -> Result<(), StoreError> {
        let tx = self.db.begin_write()?;
        tx.open_table(API_KEYS)?
            .insert(hash_hex, to_json(record)?.as_slice())?;
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
        table
            .get(hash_hex)?
            .map(|v| from_json(v.value(), "api key row"))
            .transpose()
    }

    /// A workspace's keys with their hashes, newest first.
    ///
    /// # Errors
    /// Storage errors.
    pub fn api_keys(&self, ws: WorkspaceId) -> Result<Vec<(String, ApiKeyRecord)>, StoreError> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(API_KEYS)?;
        let mut out = Vec::new();
        for row in table.iter()? {
            let (k, v) = row?;
            let rec: ApiKeyRecord = from_json(v.value(), "api key row")?;
            if rec.workspace == ws {
                out.push((k.value().to_owned(), rec));
            }
        }
        out.sort_by_key(|(_, k)| std::cmp::Reverse(k.created_ms));
        Ok(out)
    }

    /// Revokes a workspace's key by hash; returns its record if it existed.
    ///
    /// # Errors
    /// Storage errors.
    pub fn delete_api_key(
        &self,
        ws: WorkspaceId,
        hash_hex: &str,
    ) -> Result<Option<ApiKeyRecord>, StoreError> {
        let tx = self.db.begin_write()?;
        let removed = {
            let mut table = tx.open_table(API_KEYS)?;
            let rec = table
                .get(hash_hex)?
                .map(|v| from_json::<ApiKeyRecord>(v.value(), "api key row"))
                .transpose()?;
            match rec {
                Some(r) if r.workspace == ws => {
                    table.remove(hash_hex)?;
                    Some(r)
                }
                _ => None,
            }
        };
        tx.commit()?;
        Ok(removed)
    }
}
