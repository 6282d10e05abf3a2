//! Ad spend per site, local day and campaign (`domain::spend`): aggregate
//! figures from ad platforms, with no people in them.

use super::{
    Store, StoreError,
    rows::{from_json, to_json},
    tables::SPEND,
};
use crate::domain::{
    SiteId,
    spend::{SpendAmount, SpendKey, SpendRow},
};

impl Store {
    /// Stores `rows` in one transaction, each replacing a stored row of its
    /// key. Answers how many replaced one.
    ///
    /// # Errors
    /// Storage errors (then nothing is stored).
    pub fn put_spend(&self, site: SiteId, rows: &[SpendRow]) -> Result<usize, StoreError> {
        let tx = self.db.begin_write()?;
        let mut replaced = 0;
        {
            let mut t = tx.open_table(SPEND)?;
            for (k, amount) in rows {
                let key = (
                    site.0,
                    k.day,
                    k.source.as_str(),
                    k.medium.as_str(),
                    k.campaign.as_str(),
                );
                if t.insert(key, to_json(amount)?.as_slice())?.is_some() {
                    replaced += 1;
                }
            }
        }
        tx.commit()?;
        Ok(replaced)
    }

    /// A site's spend on local days `first..=last`, by day, then source,
    /// medium and campaign.
    ///
    /// # Errors
    /// Storage errors.
    pub fn spend(&self, site: SiteId, first: u32, last: u32) -> Result<Vec<SpendRow>, StoreError> {
        let tx = self.db.begin_read()?;
        let t = tx.open_table(SPEND)?;
        let mut out = Vec::new();
        for row in
            t.range((site.0, first, "", "", "")..(site.0, last.saturating_add(1), "", "", ""))?
        {
            let (k, v) = row?;
            let (_, day, source, medium, campaign) = k.value();
            let amount: SpendAmount = from_json(v.value(), "spend row")?;
            out.push((
                SpendKey {
                    day,
                    source: source.to_owned(),
                    medium: medium.to_owned(),
                    campaign: campaign.to_owned(),
                },
                amount,
            ));
        }
        Ok(out)
    }

    /// Deletes a site's spend on local days `first..=last`; answers how many rows.
    ///
    /// # Errors
    /// Storage errors.
    pub fn delete_spend(&self, site: SiteId, first: u32, last: u32) -> Result<usize, StoreError> {
        let tx = self.db.begin_write()?;
        let mut n = 0;
        tx.open_table(SPEND)?.retain_in(
            (site.0, first, "", "", "")..(site.0, last.saturating_add(1), "", "", ""),
            |_, _| {
                n += 1;
                false
            },
        )?;
        tx.commit()?;
        Ok(n)
    }
}

/// Deletes every spend row of a site (the site is being deleted).
pub(super) fn delete_site_spend(
    tx: &redb::WriteTransaction,
    site: SiteId,
) -> Result<(), StoreError> {
    tx.open_table(SPEND)?.retain_in(
        (site.0, 0, "", "", "")..(site.0.saturating_add(1), 0, "", "", ""),
        |_, _| false,
    )?;
    Ok(())
}
