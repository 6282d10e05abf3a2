//! Bringing back a deleted site within its grace period (from the command
//! line: `touchpoint site restore DOMAIN`), and listing deleted sites.

use redb::ReadableTable;

use super::{
    Site, Store, StoreError,
    rows::{all_rows, to_json},
    tables::{SITE_DOMAINS, SITES},
};

impl Store {
    /// Sites deleted and not yet purged, most recently deleted first.
    ///
    /// # Errors
    /// Storage errors or a corrupt row.
    pub fn deleted_sites(&self) -> Result<Vec<Site>, StoreError> {
        let tx = self.db.begin_read()?;
        let all: Vec<Site> = all_rows(&tx.open_table(SITES)?, "site row")?;
        let mut gone: Vec<Site> = all.into_iter().filter(|s| s.deleted_ms.is_some()).collect();
        gone.sort_by_key(|s| std::cmp::Reverse(s.deleted_ms));
        Ok(gone)
    }

    /// Brings back the most recently deleted site of `domain`, with all its
    /// data: events count again and its pages and API answer. Returns it.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when no deleted site has that domain, or
    /// another site uses the domain now; storage errors.
    pub fn restore_site(&self, domain: &str) -> Result<Site, StoreError> {
        let mut site = self
            .deleted_sites()?
            .into_iter()
            .find(|s| s.domain.as_str().eq_ignore_ascii_case(domain.trim()))
            .ok_or_else(|| {
                StoreError::Conflict(format!(
                    "no deleted site {domain:?} (it may have been purged already)"
                ))
            })?;
        let tx = self.db.begin_write()?;
        {
            let mut domains = tx.open_table(SITE_DOMAINS)?;
            if let Some(other) = domains.get(site.domain.as_str())?.map(|v| v.value()) {
                return Err(StoreError::Conflict(format!(
                    "{} is now used by another site (id {other}); delete that one first",
                    site.domain
                )));
            }
            site.deleted_ms = None;
            tx.open_table(SITES)?
                .insert(site.id.0, to_json(&site)?.as_slice())?;
            domains.insert(site.domain.as_str(), site.id.0)?;
        }
        tx.commit()?;
        Ok(site)
    }
}
