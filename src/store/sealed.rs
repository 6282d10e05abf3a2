//! Every sealed field in the store, in one registry: a rekey re-seals them
//! all, so a table that gains a sealed field must be listed here (the match
//! in [`Store::reseal`] is exhaustive).

use redb::{ReadableDatabase, ReadableTable, ReadableTableMetadata};

use super::{
    AuditEntry, Invite, Store, StoreError, UserRecord,
    codec::CodecError,
    rows::{from_json, to_json},
    tables::{AUDIT, INVITES, SALTS, USERS},
};
use crate::privacy::aad;

/// A table with sealed fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SealedTable {
    /// Account emails and TOTP secrets.
    Users,
    /// Invitation emails.
    Invites,
    /// Audit details.
    Audit,
    /// Visitor-hash salts.
    Salts,
}

impl SealedTable {
    /// Every table with sealed fields.
    pub const ALL: [Self; 4] = [Self::Users, Self::Invites, Self::Audit, Self::Salts];

    /// The redb table name.
    #[must_use]
    pub fn table_name(self) -> &'static str {
        match self {
            Self::Users => "users_v1",
            Self::Invites => "invites_v1",
            Self::Audit => "audit_v1",
            Self::Salts => "salts_v1",
        }
    }
}

/// Re-seals one value: given its associated data (the current form first,
/// then older forms to open with) and the sealed bytes, the new sealed bytes,
/// or `None` to leave it.
pub type Resealer<'a> = dyn FnMut(&[Vec<u8>], &[u8]) -> Result<Option<Vec<u8>>, StoreError> + 'a;

fn unhex(s: &str) -> Result<Vec<u8>, StoreError> {
    hex::decode(s).map_err(|_| StoreError::Corrupt(CodecError("sealed field is not hex")))
}

/// Re-seals a hex field in place; true when it changed.
fn field(f: &mut Resealer<'_>, aads: &[Vec<u8>], value: &mut String) -> Result<bool, StoreError> {
    match f(aads, &unhex(value)?)? {
        Some(new) => {
            *value = hex::encode(new);
            Ok(true)
        }
        None => Ok(false),
    }
}

impl Store {
    /// Rows of a sealed table (for progress).
    ///
    /// # Errors
    /// Storage errors.
    pub fn sealed_rows(&self, t: SealedTable) -> Result<u64, StoreError> {
        let tx = self.db.begin_read()?;
        Ok(match t {
            SealedTable::Users => tx.open_table(USERS)?.len()?,
            SealedTable::Invites => tx.open_table(INVITES)?.len()?,
            SealedTable::Audit => tx.open_table(AUDIT)?.len()?,
            SealedTable::Salts => tx.open_table(SALTS)?.len()?,
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
                        if changed {
                            n += 1;
                            table.insert(id, to_json(&u)?.as_slice())?;
                        }
                        tick();
                    }
                }
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
                SealedTable::Salts => {
                    let mut table = tx.open_table(SALTS)?;
                    let rows: Vec<(u32, Vec<u8>)> = table
                        .iter()?
                        .map(|r| r.map(|(k, v)| (k.value(), v.value().to_vec())))
                        .collect::<Result<_, _>>()?;
                    for (day, sealed) in rows {
                        if let Some(new) = f(&[aad::salt(day)], &sealed)? {
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
