//! Passkeys (WebAuthn credentials) of dashboard accounts, one JSON row per
//! credential keyed by (user, SHA-256 of the credential id), so a user's
//! passkeys are one range and deleting them is one range removal. The name a
//! person gave the passkey and the credential itself (public key, signature
//! counter) arrive sealed by the caller (hex, see [`super::aad::passkey_name`]
//! and [`super::aad::passkey_credential`]): sealing also means a copy of the
//! store with a planted public key can't be used to sign in.

use redb::{ReadableTable, WriteTransaction};
use serde::{Deserialize, Serialize};

use super::{
    Store, StoreError,
    rows::{from_json, to_json},
    sealed::{Resealer, field},
    tables::PASSKEYS,
};
use crate::domain::UserId;

/// One passkey of an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyRecord {
    /// The WebAuthn user handle the passkey was made for (16 random bytes,
    /// hex): every passkey of an account carries the same one, and a
    /// passwordless sign-in must present it.
    pub user_handle: String,
    /// The name its owner gave it ("Work laptop"), sealed (hex).
    pub name_sealed: String,
    /// The credential (`webauthn-rs`'s `Passkey` as JSON: id, public key,
    /// counter, flags), sealed (hex).
    pub credential_sealed: String,
    /// Unix ms it was added.
    pub created_ms: u64,
    /// Unix ms of the last sign-in with it.
    #[serde(default)]
    pub last_used_ms: Option<u64>,
}

/// A passkey row's key: SHA-256 of the credential id.
pub type PasskeyKey = [u8; 32];

fn user_range(user: UserId) -> std::ops::Range<(u32, &'static [u8])> {
    (user.0, &[][..])..(user.0 + 1, &[][..])
}

impl Store {
    /// Adds a passkey, refusing in the same transaction a credential already
    /// registered (to this account or another).
    ///
    /// # Errors
    /// [`StoreError::Conflict`] for a credential already registered.
    pub fn add_passkey(
        &self,
        user: UserId,
        key: &PasskeyKey,
        record: &PasskeyRecord,
    ) -> Result<(), StoreError> {
        let tx = self.db.begin_write()?;
        {
            let mut t = tx.open_table(PASSKEYS)?;
            for row in t.iter()? {
                if row?.0.value().1 == key.as_slice() {
                    return Err(StoreError::Conflict(
                        "this passkey is already registered".into(),
                    ));
                }
            }
            t.insert((user.0, key.as_slice()), to_json(record)?.as_slice())?;
        }
        tx.commit()?;
        Ok(())
    }

    /// A user's passkeys, by key.
    ///
    /// # Errors
    /// Storage errors or a corrupt row.
    pub fn passkeys_of(
        &self,
        user: UserId,
    ) -> Result<Vec<(PasskeyKey, PasskeyRecord)>, StoreError> {
        let tx = self.db.begin_read()?;
        let t = tx.open_table(PASSKEYS)?;
        let mut out = Vec::new();
        for row in t.range(user_range(user))? {
            let (k, v) = row?;
            let key = PasskeyKey::try_from(k.value().1)
                .map_err(|_| StoreError::Corrupt(super::codec::CodecError("passkey key")))?;
            out.push((key, from_json(v.value(), "passkey row")?));
        }
        Ok(out)
    }

    /// Whether a user has at least one passkey.
    ///
    /// # Errors
    /// Storage errors.
    pub fn has_passkeys(&self, user: UserId) -> Result<bool, StoreError> {
        let tx = self.db.begin_read()?;
        let t = tx.open_table(PASSKEYS)?;
        Ok(t.range(user_range(user))?.next().transpose()?.is_some())
    }

    /// The account a credential belongs to, with its row (a passwordless
    /// sign-in knows only the credential). Accounts are few: a scan.
    ///
    /// # Errors
    /// Storage errors or a corrupt row.
    pub fn passkey_owner(
        &self,
        key: &PasskeyKey,
    ) -> Result<Option<(UserId, PasskeyRecord)>, StoreError> {
        let tx = self.db.begin_read()?;
        let t = tx.open_table(PASSKEYS)?;
        for row in t.iter()? {
            let (k, v) = row?;
            let (user, found) = k.value();
            if found == key.as_slice() {
                return Ok(Some((UserId(user), from_json(v.value(), "passkey row")?)));
            }
        }
        Ok(None)
    }

    /// Reads, changes and writes one passkey in one transaction (after a
    /// sign-in: last use and the signature counter). `change` returns whether
    /// to write; the answer is whether it did.
    ///
    /// # Errors
    /// Storage errors or a corrupt row.
    pub fn update_passkey(
        &self,
        user: UserId,
        key: &PasskeyKey,
        change: impl FnOnce(&mut PasskeyRecord) -> bool,
    ) -> Result<bool, StoreError> {
        let tx = self.db.begin_write()?;
        let wrote = {
            let mut t = tx.open_table(PASSKEYS)?;
            let current: Option<PasskeyRecord> = t
                .get((user.0, key.as_slice()))?
                .map(|v| from_json(v.value(), "passkey row"))
                .transpose()?;
            let Some(mut record) = current else {
                return Ok(false);
            };
            let write = change(&mut record);
            if write {
                t.insert((user.0, key.as_slice()), to_json(&record)?.as_slice())?;
            }
            write
        };
        tx.commit()?;
        Ok(wrote)
    }

    /// Removes one of a user's passkeys; returns whether it existed.
    ///
    /// # Errors
    /// Storage errors.
    pub fn remove_passkey(&self, user: UserId, key: &PasskeyKey) -> Result<bool, StoreError> {
        let tx = self.db.begin_write()?;
        let found = tx
            .open_table(PASSKEYS)?
            .remove((user.0, key.as_slice()))?
            .is_some();
        tx.commit()?;
        Ok(found)
    }
}

/// Re-seals every passkey's name and credential (see `sealed.rs`); returns
/// the rows changed.
pub(super) fn reseal(
    tx: &WriteTransaction,
    f: &mut Resealer<'_>,
    tick: &mut dyn FnMut(),
) -> Result<u64, StoreError> {
    let mut table = tx.open_table(PASSKEYS)?;
    let rows: Vec<((u32, Vec<u8>), PasskeyRecord)> = table
        .iter()?
        .map(|r| {
            let (k, v) = r?;
            let (user, key) = k.value();
            Ok(((user, key.to_vec()), from_json(v.value(), "passkey row")?))
        })
        .collect::<Result<_, StoreError>>()?;
    let mut n = 0;
    for ((user, key), mut p) in rows {
        let key_hex = hex::encode(&key);
        let mut changed = field(
            f,
            &[super::aad::passkey_name(user, &key_hex)],
            &mut p.name_sealed,
        )?;
        changed |= field(
            f,
            &[super::aad::passkey_credential(user, &key_hex)],
            &mut p.credential_sealed,
        )?;
        if changed {
            n += 1;
            table.insert((user, key.as_slice()), to_json(&p)?.as_slice())?;
        }
        tick();
    }
    Ok(n)
}
