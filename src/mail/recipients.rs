//! A site's report and alert recipients: their addresses are sealed at rest
//! (bound to the site and recipient, see [`aad::mail_recipient`]) and opened
//! only to list them on the settings page and to send. Unsubscribe links
//! carry a keyed token of (site, address), so they work without a login and
//! can't be made up for another address.

use crate::{
    domain::{Email, SiteId},
    privacy::{Keys, aad, constant_time_eq},
    store::{Recipient, SiteMail, Store, StoreError},
};

/// Blind-index purpose of unsubscribe tokens.
const UNSUBSCRIBE_PURPOSE: &str = "mail-unsubscribe/v1";

/// What a recipient gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Choices {
    /// The weekly report.
    pub weekly: bool,
    /// The monthly report.
    pub monthly: bool,
    /// Traffic spike and drop alerts.
    pub alerts: bool,
}

/// A recipient with its address opened.
#[derive(Debug, Clone)]
pub struct Opened {
    /// As stored.
    pub recipient: Recipient,
    /// The address.
    pub email: String,
}

/// Opens a recipient's address (`None` when it doesn't open: another
/// key's, or damaged).
#[must_use]
pub fn open(keys: &Keys, site: SiteId, r: &Recipient) -> Option<String> {
    let sealed = hex::decode(&r.email_sealed).ok()?;
    let plain = keys
        .open(&aad::mail_recipient(site.0, r.id), &sealed)
        .ok()?;
    String::from_utf8(plain).ok()
}

/// A site's recipients with their addresses, in the order they were added.
///
/// # Errors
/// Storage errors.
pub fn list(store: &Store, keys: &Keys, site: SiteId) -> Result<Vec<Opened>, StoreError> {
    Ok(opened(keys, site, &store.site_mail(site)?))
}

/// The recipients of a mail row with their addresses (unopenable ones left out).
#[must_use]
pub fn opened(keys: &Keys, site: SiteId, row: &SiteMail) -> Vec<Opened> {
    row.recipients
        .iter()
        .filter_map(|r| {
            open(keys, site, r).map(|email| Opened {
                recipient: r.clone(),
                email,
            })
        })
        .collect()
}

/// Adds `email` with `choices`, or changes the choices of the recipient
/// who has that address. Returns the recipient's id.
///
/// # Errors
/// Storage errors.
pub fn save(
    store: &Store,
    keys: &Keys,
    site: SiteId,
    email: &Email,
    choices: Choices,
    now_ms: u64,
) -> Result<u32, StoreError> {
    store.update_site_mail(site, |row| {
        let existing = row
            .recipients
            .iter_mut()
            .find(|r| open(keys, site, r).as_deref() == Some(email.as_str()));
        if let Some(r) = existing {
            r.weekly = choices.weekly;
            r.monthly = choices.monthly;
            r.alerts = choices.alerts;
            return Ok(r.id);
        }
        let id = row.next_recipient.max(1);
        row.next_recipient = id + 1;
        let sealed = keys.seal(&aad::mail_recipient(site.0, id), email.as_str().as_bytes());
        row.recipients.push(Recipient {
            id,
            email_sealed: hex::encode(sealed),
            weekly: choices.weekly,
            monthly: choices.monthly,
            alerts: choices.alerts,
            weekly_sent: None,
            monthly_sent: None,
            created_ms: now_ms,
        });
        Ok::<_, StoreError>(id)
    })
}

/// Removes a recipient by id; false when there is none.
///
/// # Errors
/// Storage errors.
pub fn remove(store: &Store, site: SiteId, id: u32) -> Result<bool, StoreError> {
    store.update_site_mail(site, |row| {
        let before = row.recipients.len();
        row.recipients.retain(|r| r.id != id);
        Ok::<_, StoreError>(row.recipients.len() != before)
    })
}

/// The unsubscribe token of an address on a site: 64 hex digits, keyed, so
/// only this server makes them.
#[must_use]
pub fn unsubscribe_token(keys: &Keys, site: SiteId, email: &str) -> String {
    let value = format!("{}:{}", site.0, email.trim().to_lowercase());
    hex::encode(keys.blind_index(UNSUBSCRIBE_PURPOSE, value.as_bytes()))
}

/// The unsubscribe link of an address: `{base}/mail/unsubscribe/{site}/{token}`.
#[must_use]
pub fn unsubscribe_url(base: &str, keys: &Keys, site: SiteId, email: &str) -> String {
    format!(
        "{}/mail/unsubscribe/{}/{}",
        base.trim_end_matches('/'),
        site.0,
        unsubscribe_token(keys, site, email)
    )
}

/// Removes every recipient of the site whose address has `token`; returns
/// how many (0 for an unknown token or an address already removed).
///
/// # Errors
/// Storage errors.
pub fn unsubscribe(
    store: &Store,
    keys: &Keys,
    site: SiteId,
    token: &str,
) -> Result<usize, StoreError> {
    let mine = |r: &crate::store::Recipient| {
        open(keys, site, r).is_some_and(|email| {
            constant_time_eq(
                unsubscribe_token(keys, site, &email).as_bytes(),
                token.as_bytes(),
            )
        })
    };
    // Anyone may post here: a token that matches no one writes nothing.
    if !store.site_mail(site)?.recipients.iter().any(mine) {
        return Ok(0);
    }
    store.update_site_mail(site, |row| {
        let before = row.recipients.len();
        row.recipients.retain(|r| !mine(r));
        Ok::<_, StoreError>(before - row.recipients.len())
    })
}
