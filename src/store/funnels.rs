//! Saved funnels: a name and the steps as typed on the funnels page (one
//! per line: `/path` or `event:Name`), per site. Configuration, not person
//! data; deleted with their site.

use redb::ReadableTable;
use serde::{Deserialize, Serialize};

use super::{
    Store, StoreError,
    rows::{from_json, next_id, to_json},
    tables::{FUNNELS, META, NEXT_FUNNEL_ID, SITES},
};
use crate::domain::SiteId;

/// A saved funnel of a site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedFunnel {
    /// Id, unique in the store.
    pub id: u32,
    /// The site.
    pub site: SiteId,
    /// Its name, unique on the site (compared without case).
    pub name: String,
    /// The steps, one per line, as the funnels page takes them.
    pub steps: String,
}

impl Store {
    /// Saves a funnel under a new id.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when the site is missing or already has a
    /// funnel of that name.
    pub fn add_funnel(
        &self,
        site: SiteId,
        name: &str,
        steps: &str,
    ) -> Result<SavedFunnel, StoreError> {
        let tx = self.db.begin_write()?;
        let saved = {
            if tx.open_table(SITES)?.get(site.0)?.is_none() {
                return Err(StoreError::Conflict(format!("no site {site}")));
            }
            let mut t = tx.open_table(FUNNELS)?;
            for row in t.range((site.0, 0)..=(site.0, u32::MAX))? {
                let f: SavedFunnel = from_json(row?.1.value(), "funnel row")?;
                if f.name.eq_ignore_ascii_case(name) {
                    return Err(StoreError::Conflict(format!(
                        "a funnel named {name:?} already exists"
                    )));
                }
            }
            let id = next_id(&mut tx.open_table(META)?, NEXT_FUNNEL_ID)?;
            let f = SavedFunnel {
                id,
                site,
                name: name.to_owned(),
                steps: steps.to_owned(),
            };
            t.insert((site.0, id), to_json(&f)?.as_slice())?;
            f
        };
        tx.commit()?;
        Ok(saved)
    }

    /// A site's saved funnels, oldest first.
    ///
    /// # Errors
    /// Storage errors or a corrupt row.
    pub fn funnels(&self, site: SiteId) -> Result<Vec<SavedFunnel>, StoreError> {
        let tx = self.db.begin_read()?;
        let t = tx.open_table(FUNNELS)?;
        let mut out = Vec::new();
        for row in t.range((site.0, 0)..=(site.0, u32::MAX))? {
            out.push(from_json(row?.1.value(), "funnel row")?);
        }
        Ok(out)
    }

    /// Deletes a saved funnel; returns whether it existed.
    ///
    /// # Errors
    /// Storage errors.
    pub fn delete_funnel(&self, site: SiteId, id: u32) -> Result<bool, StoreError> {
        let tx = self.db.begin_write()?;
        let found = tx.open_table(FUNNELS)?.remove((site.0, id))?.is_some();
        tx.commit()?;
        Ok(found)
    }
}
