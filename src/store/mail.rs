//! Email reports and traffic alerts of a site, one JSON row per site:
//! its recipients (addresses sealed by the caller, as hex: see
//! [`super::aad::mail_recipient`]), its alert thresholds, and what was last
//! sent, so each report and alert goes out once per period.

use redb::ReadableTable;
use serde::{Deserialize, Serialize};

use super::{
    Store, StoreError,
    rows::{from_json, to_json},
    tables::MAIL,
};
use crate::domain::SiteId;

/// A site's mail settings and sending log.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteMail {
    /// The id the next recipient gets (ids are never reused, so an old
    /// unsubscribe link can't reach a newer recipient).
    pub next_recipient: u32,
    /// Who gets what.
    pub recipients: Vec<Recipient>,
    /// Spike alert: current visitors (the realtime count) at or above this.
    pub spike_visitors: Option<u32>,
    /// Drop alert: today's visitors so far below this percentage of the usual.
    pub drop_percent: Option<u32>,
    /// Local day (days since 1970-01-01 in the site's zone) of the last spike alert.
    pub spike_sent_day: Option<u32>,
    /// Local day of the last drop alert.
    pub drop_sent_day: Option<u32>,
}

/// One recipient of a site's mail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipient {
    /// Id, unique within the site.
    pub id: u32,
    /// The address, sealed (hex).
    pub email_sealed: String,
    /// Gets the weekly report.
    pub weekly: bool,
    /// Gets the monthly report.
    pub monthly: bool,
    /// Gets traffic alerts.
    pub alerts: bool,
    /// Local day the last weekly report sent began (its Monday).
    pub weekly_sent: Option<u32>,
    /// Local day the last monthly report sent began (its 1st).
    pub monthly_sent: Option<u32>,
    /// Unix ms it was added.
    pub created_ms: u64,
}

impl Store {
    /// A site's mail row (empty when it has none).
    ///
    /// # Errors
    /// Storage errors or a corrupt row.
    pub fn site_mail(&self, site: SiteId) -> Result<SiteMail, StoreError> {
        let tx = self.db.begin_read()?;
        let t = tx.open_table(MAIL)?;
        match t.get(site.0)? {
            Some(v) => from_json(v.value(), "mail row"),
            None => Ok(SiteMail::default()),
        }
    }

    /// Every site's mail row, by site id (for the report and alert jobs).
    ///
    /// # Errors
    /// Storage errors or a corrupt row.
    pub fn all_site_mail(&self) -> Result<Vec<(SiteId, SiteMail)>, StoreError> {
        let tx = self.db.begin_read()?;
        let t = tx.open_table(MAIL)?;
        let mut out = Vec::new();
        for row in t.iter()? {
            let (k, v) = row?;
            out.push((SiteId(k.value()), from_json(v.value(), "mail row")?));
        }
        Ok(out)
    }

    /// Changes a site's mail row in one write transaction: `f` sees the row
    /// as stored (so concurrent changes are never lost) and its answer is
    /// returned. The row is written only when `f` changed it.
    ///
    /// # Errors
    /// Storage errors, a corrupt row, or `f`'s own error.
    pub fn update_site_mail<R, E: From<StoreError>>(
        &self,
        site: SiteId,
        f: impl FnOnce(&mut SiteMail) -> Result<R, E>,
    ) -> Result<R, E> {
        let tx = self.db.begin_write()?;
        let answer = {
            let mut t = tx.open_table(MAIL).map_err(StoreError::from)?;
            let before: SiteMail = match t.get(site.0).map_err(StoreError::from)? {
                Some(v) => from_json(v.value(), "mail row")?,
                None => SiteMail::default(),
            };
            let mut row = before.clone();
            let answer = f(&mut row)?;
            if row != before {
                t.insert(site.0, to_json(&row)?.as_slice())
                    .map_err(StoreError::from)?;
            }
            answer
        };
        tx.commit().map_err(StoreError::from)?;
        Ok(answer)
    }
}

/// Deletes a site's mail row (the site is being purged).
pub(super) fn delete_site_mail(
    tx: &redb::WriteTransaction,
    site: SiteId,
) -> Result<(), StoreError> {
    tx.open_table(MAIL)?.remove(site.0)?;
    Ok(())
}
