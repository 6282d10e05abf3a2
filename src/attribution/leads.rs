//! Turning a known person into a lead: by the keyed index of their email
//! (else their phone), linked to the consent subject whose visits are their
//! journey; a new lead is a `lead` conversion.

use crate::{
    domain::SiteId,
    store::{Conversion, ConversionKind, Lead, Store, StoreError},
};

/// The lead id of an email or phone index (hex); `None` when neither is given.
#[must_use]
pub fn lead_id(email_index: Option<&str>, phone_index: Option<&str>) -> Option<[u8; 32]> {
    email_index
        .or(phone_index)
        .and_then(|h| hex::decode(h).ok())
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
}

/// Creates or updates the lead of `email_index` (else `phone_index`), links
/// `subject`, and records a `lead` conversion when the lead is new. Returns
/// the lead and whether it is new, or `None` when neither index is given.
///
/// # Errors
/// Storage errors.
#[allow(clippy::too_many_arguments)]
pub fn identify(
    store: &Store,
    site: SiteId,
    email_index: Option<&str>,
    phone_index: Option<&str>,
    subject: Option<&[u8; 32]>,
    email_sealed: Option<String>,
    now_ms: u64,
    source: &str,
) -> Result<Option<(Lead, bool)>, StoreError> {
    let Some(id) = lead_id(email_index, phone_index) else {
        return Ok(None);
    };
    let phone = email_index.and(phone_index).map(str::to_owned);
    let (lead, new) = store.upsert_lead(site, &id, subject, phone, email_sealed, now_ms)?;
    if new {
        store.record_conversion(
            site,
            &Conversion {
                lead: lead.id.clone(),
                kind: ConversionKind::Lead,
                at_ms: now_ms,
                value_micros: 0,
                currency: None,
                order_id: None,
                source: source.to_owned(),
                refunded_micros: 0,
                visitor: None,
            },
        )?;
    }
    Ok(Some((lead, new)))
}
