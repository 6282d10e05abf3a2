//! Sites and their domains.

use redb::ReadableTable;
use serde::{Deserialize, Serialize};

use super::{
    Store, StoreError, read_counter,
    tables::{META, NEXT_SITE_ID, SITE_DOMAINS, SITES},
};
use crate::domain::{Domain, SiteId, Timezone};

/// A tracked site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Site {
    /// Its id.
    pub id: SiteId,
    /// Its domain, as the tracker sends it.
    pub domain: Domain,
    /// Reports are bucketed in this zone.
    pub timezone: Timezone,
    /// Unix ms of creation.
    pub created_ms: u64,
}

impl Store {
    /// Adds a site.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when the domain is already a site.
    pub fn add_site(
        &self,
        domain: &Domain,
        timezone: Timezone,
        now_ms: u64,
    ) -> Result<Site, StoreError> {
        let tx = self.db.begin_write()?;
        let site = {
            let mut domains = tx.open_table(SITE_DOMAINS)?;
            if domains.get(domain.as_str())?.is_some() {
                return Err(StoreError::Conflict(format!(
                    "a site with domain {domain} already exists"
                )));
            }
            let mut meta = tx.open_table(META)?;
            let id = u32::try_from(read_counter(&meta, NEXT_SITE_ID)?.max(1))
                .map_err(|_| StoreError::Conflict("too many sites".into()))?;
            meta.insert(NEXT_SITE_ID, u64::from(id + 1).to_be_bytes().as_slice())?;
            let site = Site {
                id: SiteId(id),
                domain: domain.clone(),
                timezone,
                created_ms: now_ms,
            };
            let json = serde_json::to_vec(&site).map_err(|e| StoreError::Redb(e.to_string()))?;
            tx.open_table(SITES)?.insert(id, json.as_slice())?;
            domains.insert(domain.as_str(), id)?;
            site
        };
        tx.commit()?;
        Ok(site)
    }

    /// Every site, by id.
    ///
    /// # Errors
    /// Storage errors or a corrupt row.
    pub fn sites(&self) -> Result<Vec<Site>, StoreError> {
        self.read()?.sites()
    }
}

/// Decodes a site row.
pub(super) fn decode_site(bytes: &[u8]) -> Result<Site, StoreError> {
    serde_json::from_slice(bytes)
        .map_err(|_| StoreError::Corrupt(super::codec::CodecError("site row")))
}

/// All sites in a table.
pub(super) fn all_sites(
    table: &impl ReadableTable<u32, &'static [u8]>,
) -> Result<Vec<Site>, StoreError> {
    let mut out = Vec::new();
    for row in table.iter()? {
        let (_, v) = row?;
        out.push(decode_site(v.value())?);
    }
    Ok(out)
}
