//! Every sealed field in the store, in one registry: a rekey re-seals them
//! all, so a table that gains a sealed field must be listed here (the match
//! in [`Store::reseal`] is exhaustive).

use redb::{ReadableTable, ReadableTableMetadata};

use super::{
    AuditEntry, Invite, Lead, Site, Store, StoreError, UserRecord, aad,
    rows::{from_json, to_json},
    tables::{
        AUDIT, INVITES, LEADS, MAIL, META, PASSKEYS, SALTS, SITES, USERS, WEBHOOK_MESSAGES,
        WEBHOOKS,
    },
    webhooks::{Endpoint, WebhookMessage},
};

/// Marker in `meta_v1`: plain values from earlier versions have been sealed.
const PLAIN_SEALED_KEY: &str = "plain_values_sealed";

/// A table with sealed fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SealedTable {
    /// Account emails and TOTP secrets (confirmed and pending).
    Users,
    /// Accounts' passkeys: their names and credentials.
    Passkeys,
    /// Invitation emails.
    Invites,
    /// Audit details.
    Audit,
    /// Visitor-hash salts.
    Salts,
    /// Leads' emails that arrived in plain text or were attached, and
    /// attached names.
    Leads,
    /// Sites' Stripe webhook signing secrets.
    Sites,
    /// Webhook endpoints' signing secrets.
    Webhooks,
    /// Webhook messages' bodies (they name the lead's email).
    WebhookMessages,
    /// Report and alert recipients' addresses.
    Mail,
}

impl SealedTable {
    /// Every table with sealed fields.
    pub const ALL: [Self; 10] = [
        Self::Users,
        Self::Passkeys,
        Self::Invites,
        Self::Audit,
        Self::Salts,
        Self::Leads,
        Self::Sites,
        Self::Webhooks,
        Self::WebhookMessages,
        Self::Mail,
    ];

    /// The redb table name.
    #[must_use]
    pub fn table_name(self) -> &'static str {
        match self {
            Self::Users => "users_v1",
            Self::Passkeys => "passkeys_v1",
            Self::Invites => "invites_v1",
            Self::Audit => "audit_v1",
            Self::Salts => "salts_v1",
            Self::Leads => "leads_v1",
            Self::Sites => "sites_v1",
            Self::Webhooks => "webhooks_v1",
            Self::WebhookMessages => "webhook_messages_v1",
            Self::Mail => "mail_v1",
        }
    }
}

/// A value as found in a sealed field.
#[derive(Debug, Clone, Copy)]
pub enum Stored<'a> {
    /// Sealed bytes.
    Sealed(&'a [u8]),
    /// Left plain by an earlier version (audit details, salts): to be sealed.
    Plain(&'a [u8]),
}

/// Re-seals one value: given its associated data (the current form first,
/// then older forms to open with) and the stored value, the new sealed bytes,
/// or `None` to leave it.
pub type Resealer<'a> =
    dyn FnMut(&[Vec<u8>], Stored<'_>) -> Result<Option<Vec<u8>>, StoreError> + 'a;

/// Re-seals a hex field in place (text that isn't hex is a plain value from
/// an earlier version); true when it changed.
pub(super) fn field(
    f: &mut Resealer<'_>,
    aads: &[Vec<u8>],
    value: &mut String,
) -> Result<bool, StoreError> {
    let bytes = hex::decode(value.as_str()).ok();
    let stored = match &bytes {
        Some(b) => Stored::Sealed(b),
        None => Stored::Plain(value.as_bytes()),
    };
    match f(aads, stored)? {
        Some(new) => {
            *value = hex::encode(new);
            Ok(true)
        }
        None => Ok(false),
    }
}

impl Store {
    /// Whether the one-off sealing of values left plain has run.
    ///
    /// # Errors
    /// Storage errors.
    pub fn plain_values_sealed(&self) -> Result<bool, StoreError> {
        let tx = self.db.begin_read()?;
        Ok(tx.open_table(META)?.get(PLAIN_SEALED_KEY)?.is_some())
    }

    /// Notes that values left plain were sealed.
    ///
    /// # Errors
    /// Storage errors.
    pub fn set_plain_values_sealed(&self) -> Result<(), StoreError> {
        let tx = self.db.begin_write()?;
        tx.open_table(META)?
            .insert(PLAIN_SEALED_KEY, [1u8].as_slice())?;
        tx.commit()?;
        Ok(())
    }

    /// Rows of a sealed table (for progress).
    ///
    /// # Errors
    /// Storage errors.
    pub fn sealed_rows(&self, t: SealedTable) -> Result<u64, StoreError> {
        let tx = self.db.begin_read()?;
        Ok(match t {
            SealedTable::Users => tx.open_table(USERS)?.len()?,
            SealedTable::Passkeys => tx.open_table(PASSKEYS)?.len()?,
            SealedTable::Invites => tx.open_table(INVITES)?.len()?,
            SealedTable::Audit => tx.open_table(AUDIT)?.len()?,
            SealedTable::Salts => tx.open_table(SALTS)?.len()?,
            SealedTable::Leads => tx.open_table(LEADS)?.len()?,
            SealedTable::Sites => tx.open_table(SITES)?.len()?,
            SealedTable::Webhooks => tx.open_table(WEBHOOKS)?.len()?,
            SealedTable::WebhookMessages => tx.open_table(WEBHOOK_MESSAGES)?.len()?,
            SealedTable::Mail => tx.open_table(MAIL)?.len()?,
        })
    }

    /// Re-seals every sealed field of a table in one transaction (all or
    /// nothing); `tick` is called once per row. Returns the values changed.
    ///
    /// # Errors
    /// Storage errors, or the resealer's.
    pub fn reseal(
        &self,
        t: SealedTable,
        f: &mut Resealer<'_>,
        tick: &mut dyn FnMut(),
    ) -> Result<u64, StoreError> {
        let tx = self.db.begin_write()?;
        let mut n = 0;
        {
            match t {
                SealedTable::Users => {
                    let mut table = tx.open_table(USERS)?;
                    let rows: Vec<(u32, UserRecord)> = table
                        .iter()?
                        .map(|r| {
                            let (k, v) = r?;
                            Ok((k.value(), from_json(v.value(), "user row")?))
                        })
                        .collect::<Result<_, StoreError>>()?;
                    for (id, mut u) in rows {
                        let mut changed = field(f, &[aad::user_email(id)], &mut u.email_sealed)?;
                        if let Some(totp) = u.totp_sealed.as_mut() {
                            changed |= field(f, &[aad::user_totp(id)], totp)?;
                        }
                        if let Some(pending) = u.totp_pending_sealed.as_mut() {
                            changed |= field(f, &[aad::user_totp_pending(id)], pending)?;
                        }
                        if changed {
                            n += 1;
                            table.insert(id, to_json(&u)?.as_slice())?;
                        }
                        tick();
                    }
                }
                SealedTable::Passkeys => n += super::passkeys::reseal(&tx, f, tick)?,
                SealedTable::Invites => {
                    let mut table = tx.open_table(INVITES)?;
                    let rows: Vec<(String, Invite)> = table
                        .iter()?
                        .map(|r| {
                            let (k, v) = r?;
                            Ok((k.value().to_owned(), from_json(v.value(), "invite row")?))
                        })
                        .collect::<Result<_, StoreError>>()?;
                    for (hash, mut i) in rows {
                        let aads = [aad::invite_email(&hash), aad::invite_email_legacy(&hash)];
                        if field(f, &aads, &mut i.email_sealed)? {
                            n += 1;
                            table.insert(hash.as_str(), to_json(&i)?.as_slice())?;
                        }
                        tick();
                    }
                }
                SealedTable::Audit => {
                    let mut table = tx.open_table(AUDIT)?;
                    let rows: Vec<((u32, u64, u64), AuditEntry)> = table
                        .iter()?
                        .map(|r| {
                            let (k, v) = r?;
                            Ok((k.value(), from_json(v.value(), "audit row")?))
                        })
                        .collect::<Result<_, StoreError>>()?;
                    for (key, mut e) in rows {
                        let aads = [
                            aad::audit_detail(e.at_ms, &e.action),
                            aad::AUDIT_DETAIL_LEGACY.to_vec(),
                        ];
                        if field(f, &aads, &mut e.detail)? {
                            n += 1;
                            table.insert(key, to_json(&e)?.as_slice())?;
                        }
                        tick();
                    }
                }
                SealedTable::Leads => {
                    let mut table = tx.open_table(LEADS)?;
                    let rows: Vec<((u32, Vec<u8>), Lead)> = table
                        .iter()?
                        .map(|r| {
                            let (k, v) = r?;
                            let (site, id) = k.value();
                            Ok(((site, id.to_vec()), from_json(v.value(), "lead row")?))
                        })
                        .collect::<Result<_, StoreError>>()?;
                    for ((site, id), mut lead) in rows {
                        let aads = [aad::lead_email(&lead.id)];
                        let mut changed = match lead.email_sealed.as_mut() {
                            Some(e) => field(f, &aads, e)?,
                            None => false,
                        };
                        if let Some(name) = lead.name_sealed.as_mut() {
                            changed |= field(f, &[aad::lead_name(&lead.id)], name)?;
                        }
                        if changed {
                            n += 1;
                            table.insert((site, id.as_slice()), to_json(&lead)?.as_slice())?;
                        }
                        tick();
                    }
                }
                SealedTable::Sites => {
                    let mut table = tx.open_table(SITES)?;
                    let rows: Vec<(u32, Site)> = table
                        .iter()?
                        .map(|r| {
                            let (k, v) = r?;
                            Ok((k.value(), from_json(v.value(), "site row")?))
                        })
                        .collect::<Result<_, StoreError>>()?;
                    for (id, mut site) in rows {
                        let aads = [aad::site_stripe_secret(id)];
                        let changed = match site.stripe_secret_sealed.as_mut() {
                            Some(s) => field(f, &aads, s)?,
                            None => false,
                        };
                        if changed {
                            n += 1;
                            table.insert(id, to_json(&site)?.as_slice())?;
                        }
                        tick();
                    }
                }
                SealedTable::Webhooks => {
                    let mut table = tx.open_table(WEBHOOKS)?;
                    let rows: Vec<((u32, u32), Endpoint)> = table
                        .iter()?
                        .map(|r| {
                            let (k, v) = r?;
                            Ok((k.value(), from_json(v.value(), "webhook row")?))
                        })
                        .collect::<Result<_, StoreError>>()?;
                    for ((site, id), mut e) in rows {
                        let mut changed = false;
                        for secret in &mut e.secrets {
                            let aads = [aad::webhook_secret(site, id, secret.created_ms)];
                            changed |= field(f, &aads, &mut secret.sealed)?;
                        }
                        if changed {
                            n += 1;
                            table.insert((site, id), to_json(&e)?.as_slice())?;
                        }
                        tick();
                    }
                }
                SealedTable::WebhookMessages => {
                    let mut table = tx.open_table(WEBHOOK_MESSAGES)?;
                    let rows: Vec<((u32, u32, u64), WebhookMessage)> = table
                        .iter()?
                        .map(|r| {
                            let (k, v) = r?;
                            Ok((k.value(), from_json(v.value(), "webhook message")?))
                        })
                        .collect::<Result<_, StoreError>>()?;
                    for (key, mut m) in rows {
                        if field(f, &[aad::webhook_body(&m.id)], &mut m.body_sealed)? {
                            n += 1;
                            table.insert(key, to_json(&m)?.as_slice())?;
                        }
                        tick();
                    }
                }
                SealedTable::Mail => {
                    let mut table = tx.open_table(MAIL)?;
                    let rows: Vec<(u32, super::SiteMail)> = table
                        .iter()?
                        .map(|r| {
                            let (k, v) = r?;
                            Ok((k.value(), from_json(v.value(), "mail row")?))
                        })
                        .collect::<Result<_, StoreError>>()?;
                    for (site, mut row) in rows {
                        let mut changed = false;
                        for r in &mut row.recipients {
                            changed |=
                                field(f, &[aad::mail_recipient(site, r.id)], &mut r.email_sealed)?;
                        }
                        if changed {
                            n += 1;
                            table.insert(site, to_json(&row)?.as_slice())?;
                        }
                        tick();
                    }
                }
                SealedTable::Salts => {
                    let mut table = tx.open_table(SALTS)?;
                    let rows: Vec<(u32, Vec<u8>)> = table
                        .iter()?
                        .map(|r| r.map(|(k, v)| (k.value(), v.value().to_vec())))
                        .collect::<Result<_, _>>()?;
                    for (day, sealed) in rows {
                        // A bare 32-byte salt was kept plain by an earlier version.
                        let stored = if sealed.len() == 32 {
                            Stored::Plain(&sealed)
                        } else {
                            Stored::Sealed(&sealed)
                        };
                        if let Some(new) = f(&[aad::salt(day)], stored)? {
                            n += 1;
                            table.insert(day, new.as_slice())?;
                        }
                        tick();
                    }
                }
            }
        }
        tx.commit()?;
        Ok(n)
    }
}
