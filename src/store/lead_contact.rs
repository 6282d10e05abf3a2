//! What a site's admins know about a lead and attach to it: a name and the
//! email address, both sealed by the caller (the store never sees them in
//! clear). They live in the lead's row, so erasure, export, retention and
//! rekey treat them like the rest of the lead.

use super::{Lead, Store, StoreError, rows::to_json, tables::LEADS};
use crate::domain::SiteId;

impl Store {
    /// Sets a lead's sealed name and/or sealed email (hex); `None` leaves
    /// that field as it is. Returns the updated lead, or `None` when there
    /// is no such lead.
    ///
    /// # Errors
    /// Storage errors or a corrupt row.
    pub fn attach_to_lead(
        &self,
        site: SiteId,
        id: &[u8; 32],
        name_sealed: Option<String>,
        email_sealed: Option<String>,
    ) -> Result<Option<Lead>, StoreError> {
        let tx = self.db.begin_write()?;
        let lead = {
            let mut t = tx.open_table(LEADS)?;
            let key = (site.0, id.as_slice());
            match super::leads::read_lead(&t, site, id)? {
                None => None,
                Some(mut lead) => {
                    if name_sealed.is_some() {
                        lead.name_sealed = name_sealed;
                    }
                    let gains = email_sealed.is_some() && lead.email_sealed.is_none();
                    if email_sealed.is_some() {
                        lead.email_sealed = email_sealed;
                    }
                    t.insert(key, to_json(&lead)?.as_slice())?;
                    if gains {
                        super::changes::record(
                            &tx,
                            &super::changes::Change {
                                site: site.0,
                                event: crate::domain::webhook::WebhookEvent::LeadIdentified,
                                at_ms: lead.last_ms,
                                lead: lead.id.clone(),
                                conversion: None,
                            },
                        )?;
                    }
                    Some(lead)
                }
            }
        };
        tx.commit()?;
        Ok(lead)
    }
}
