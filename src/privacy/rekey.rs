//! Opening the keyring at start, and rotating the master key
//! (`touchpoint rekey`): the ring is re-sealed under the new master with new
//! data and salt keys, every sealed value is re-sealed under them, and the
//! old keys are retired — after which the old master opens nothing. The
//! blind-index key stays (indexes must stay comparable; it can't be rotated
//! without the plaintexts, which are never kept).
//!
//! A rekey can be interrupted and run again: the ring is switched to the new
//! master first, in one transaction, and re-sealing skips values already
//! under the current keys.

use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};

use super::{KeyError, Keys, Master, Purpose};
use crate::{
    config::Settings,
    store::{SealedTable, Store, StoreError, Stored, codec::CodecError},
};

/// Why keys could not be opened or rotated.
#[derive(Debug, thiserror::Error)]
pub enum RekeyError {
    /// A key problem.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// A storage problem.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The configured master key: `privacy.master_key` when set, else the key file.
///
/// # Errors
/// A malformed key, or a key file that can't be read or made.
pub fn master(settings: &Settings) -> Result<Master, KeyError> {
    if settings.privacy.master_key.trim().is_empty() {
        Master::load_or_create(&settings.key_file())
    } else {
        Master::from_base64(&settings.privacy.master_key)
    }
}

/// Opens the store's keyring with the configured master (making the first
/// ring on a new store).
///
/// # Errors
/// A wrong or malformed master key, or storage errors.
pub fn open_keys(settings: &Settings, store: &Store) -> Result<Keys, RekeyError> {
    let m = master(settings)?;
    let (keys, fresh) = Keys::unlock(&m, store.keyring()?.as_deref())?;
    if let Some(sealed) = fresh {
        store.set_keyring(&sealed)?;
    }
    if keys.retiring() > 0 {
        tracing::warn!("a rekey was interrupted: run `touchpoint rekey` again to finish it");
    }
    seal_plain_values(store, &keys)?;
    Ok(keys)
}

/// What a rekey did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RekeyReport {
    /// Sealed values re-sealed under the new keys.
    pub resealed: u64,
    /// True when this run resumed an interrupted rekey.
    pub resumed: bool,
}

fn purpose_of(t: SealedTable) -> Purpose {
    match t {
        SealedTable::Salts => Purpose::Salt,
        SealedTable::Users
        | SealedTable::Passkeys
        | SealedTable::Invites
        | SealedTable::Audit
        | SealedTable::Leads
        | SealedTable::Sites
        | SealedTable::Webhooks
        | SealedTable::WebhookMessages => Purpose::Data,
        SealedTable::Mail => Purpose::Data,
    }
}

/// Opens a stored value (a plain one is its own plaintext).
fn open_stored(
    keys: &Keys,
    p: Purpose,
    aads: &[Vec<u8>],
    v: Stored<'_>,
) -> Result<Vec<u8>, StoreError> {
    match v {
        Stored::Plain(b) => Ok(b.to_vec()),
        Stored::Sealed(b) => aads
            .iter()
            .find_map(|aad| keys.open_for(p, aad, b).ok())
            .ok_or(StoreError::Corrupt(CodecError(
                "a sealed value does not open",
            ))),
    }
}

/// What [`each_value`] calls for every sealed field.
type ValueFn<'a> =
    dyn FnMut(Purpose, &[Vec<u8>], Stored<'_>) -> Result<Option<Vec<u8>>, StoreError> + 'a;

/// Visits every sealed field: `f(purpose, associated data, value)` gives the
/// new sealed bytes or `None`. Returns the values changed.
fn each_value(store: &Store, progress: bool, f: &mut ValueFn<'_>) -> Result<u64, StoreError> {
    let mut n = 0;
    for table in SealedTable::ALL {
        let purpose = purpose_of(table);
        let bar = if progress {
            ProgressBar::new(store.sealed_rows(table)?)
        } else {
            ProgressBar::hidden()
        };
        bar.set_style(
            ProgressStyle::with_template("{msg:>14} [{bar:30}] {pos}/{len}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_message(table.table_name());
        n += store.reseal(table, &mut |aads, v| f(purpose, aads, v), &mut || {
            bar.inc(1)
        })?;
        bar.finish();
    }
    Ok(n)
}

/// Seals values an earlier version left plain (audit details, salts), once.
///
/// # Errors
/// Storage errors.
pub fn seal_plain_values(store: &Store, keys: &Keys) -> Result<u64, StoreError> {
    if store.plain_values_sealed()? {
        return Ok(0);
    }
    let n = each_value(store, false, &mut |p, aads, v| {
        Ok(match v {
            Stored::Plain(b) => Some(keys.seal_for(p, &aads[0], b)),
            Stored::Sealed(_) => None,
        })
    })?;
    store.set_plain_values_sealed()?;
    if n > 0 {
        tracing::info!(values = n, "sealed values an earlier version kept plain");
    }
    Ok(n)
}

/// Rotates from the configured master to `new` (see the module docs). Every
/// value is checked to open before anything changes, so a damaged value stops
/// the rekey while the old key still works.
///
/// # Errors
/// A wrong master, a value that does not open (damage), or storage errors.
/// Run it again after an interruption.
pub fn rekey(
    settings: &Settings,
    store: &Store,
    new: &Master,
    progress: bool,
) -> Result<RekeyReport, RekeyError> {
    let stored = store.keyring()?;
    let mut report = RekeyReport::default();
    // Resuming: the ring is already under the new master.
    let keys = if let Ok((k, None)) = Keys::unlock(new, stored.as_deref()) {
        report.resumed = true;
        k
    } else {
        let (old, fresh) = Keys::unlock(&master(settings)?, stored.as_deref())?;
        if let Some(sealed) = fresh {
            store.set_keyring(&sealed)?;
        }
        each_value(store, false, &mut |p, aads, v| {
            open_stored(&old, p, aads, v).map(|_| None)
        })?;
        let rotated = old.rotated();
        store.set_keyring(&rotated.seal_ring(new))?;
        rotated
    };
    report.resealed = each_value(store, progress, &mut |p, aads, v| {
        if let Stored::Sealed(b) = v
            && keys.is_current(p, b)
        {
            return Ok(None);
        }
        let plain = open_stored(&keys, p, aads, v)?;
        Ok(Some(keys.seal_for(p, &aads[0], &plain)))
    })?;
    store.set_plain_values_sealed()?;
    store.set_keyring(&keys.retired().seal_ring(new))?;
    Ok(report)
}

/// Reads (or makes, 0600) the new key file for a rekey.
///
/// # Errors
/// As [`Master::load_or_create`].
pub fn new_master(path: &Path) -> Result<Master, KeyError> {
    Master::load_or_create(path)
}
