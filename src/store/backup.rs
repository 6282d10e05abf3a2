//! Online backups: a consistent copy of the store taken from one read
//! snapshot while the server keeps writing (redb is copy-on-write: the
//! writer never waits for a reader, it only keeps the snapshot's pages
//! until the copy ends), written table by table into a new file that is
//! renamed into place once complete; and restoring one, server stopped.
//!
//! A backup holds everything the store holds — sealed values stay sealed —
//! and not the master key (`touchpoint.key`, or `privacy.master_key`):
//! without it the sealed values in a backup can't be read, so keep the key
//! apart from the backups. With events on ClickHouse, visits live there:
//! back up its database as well, as a pair.

use std::path::{Path, PathBuf};

use redb::{
    Database, Durability, ReadTransaction, ReadableDatabase, ReadableTable, ReadableTableMetadata,
    TableDefinition,
};

use super::{FILE_NAME, Store, StoreError, tables::each_table};

/// Rows copied per destination transaction.
const ROWS_PER_COMMIT: u64 = 50_000;

/// What a backup wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupReport {
    /// The file.
    pub path: PathBuf,
    /// Tables copied.
    pub tables: usize,
    /// Rows copied.
    pub rows: u64,
    /// The file's size, bytes.
    pub bytes: u64,
}

/// Why a backup or a restore failed.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The destination exists already (never overwritten).
    #[error("{0} exists already; choose a new file")]
    Exists(PathBuf),
    /// A file operation failed.
    #[error("{what} {path}: {source}")]
    File {
        /// What was being done.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a Touchpoint store (or is damaged).
    #[error("{path} is not a readable Touchpoint store: {source}")]
    NotAStore {
        /// The file.
        path: PathBuf,
        /// Cause.
        #[source]
        source: Box<StoreError>,
    },
    /// Storage trouble.
    #[error(transparent)]
    Store(#[from] StoreError),
}

macro_rules! from_redb {
    ($($t:ty),*) => {$(
        impl From<$t> for BackupError {
            fn from(e: $t) -> Self { Self::Store(e.into()) }
        }
    )*};
}
from_redb!(
    redb::DatabaseError,
    redb::TransactionError,
    redb::CommitError
);

fn rows<K: redb::Key + 'static, V: redb::Value + 'static>(
    src: &ReadTransaction,
    total: &mut u64,
    t: TableDefinition<K, V>,
) -> Result<(), StoreError> {
    *total += src.open_table(t)?.len()?;
    Ok(())
}

fn copy<K: redb::Key + 'static, V: redb::Value + 'static>(
    src: &ReadTransaction,
    dst: &Database,
    progress: &mut (u64, usize, &mut dyn FnMut(u64)),
    t: TableDefinition<K, V>,
) -> Result<(), StoreError> {
    let from = src.open_table(t)?;
    let mut rows = from.iter()?;
    loop {
        let mut tx = dst.begin_write()?;
        tx.set_durability(Durability::None)
            .map_err(|e| StoreError::Redb(e.into()))?;
        let mut n = 0;
        {
            let mut to = tx.open_table(t)?;
            while n < ROWS_PER_COMMIT {
                let Some(row) = rows.next() else { break };
                let (k, v) = row?;
                to.insert(k.value(), v.value())?;
                n += 1;
            }
        }
        tx.commit()?;
        progress.0 += n;
        (progress.2)(progress.0);
        if n < ROWS_PER_COMMIT {
            break;
        }
    }
    progress.1 += 1;
    Ok(())
}

impl Store {
    /// Writes a consistent copy of the store to `dest` (a new file) from
    /// one read snapshot; `progress(rows_done, rows_total)` is called as it
    /// goes. The copy is written beside `dest` and renamed into place when
    /// complete and on disk, so `dest` is never a partial store (a failed
    /// copy is removed); the file is readable by its owner only (0600).
    ///
    /// # Errors
    /// [`BackupError`]: `dest` exists, a file operation failed, storage.
    pub fn backup(
        &self,
        dest: &Path,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<BackupReport, BackupError> {
        if dest.exists() {
            return Err(BackupError::Exists(dest.to_owned()));
        }
        let file = |what: &'static str, path: &Path| {
            let path = path.to_owned();
            move |source| BackupError::File { what, path, source }
        };
        let tmp = dest.with_extension("partial");
        let _ = std::fs::remove_file(&tmp);
        let written = self.write_copy(&tmp, progress);
        if written.is_err() {
            // A failed copy (a full disk...) leaves nothing behind.
            let _ = std::fs::remove_file(&tmp);
        }
        let (tables, rows) = written?;
        // Sealed or not, a store's contents are for its owner only.
        std::fs::set_permissions(&tmp, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .map_err(file("cannot restrict access to", &tmp))?;
        std::fs::rename(&tmp, dest).map_err(file("cannot rename the backup to", dest))?;
        let bytes = std::fs::metadata(dest)
            .map_err(file("cannot read", dest))?
            .len();
        Ok(BackupReport {
            path: dest.to_owned(),
            tables,
            rows,
            bytes,
        })
    }
}

impl Store {
    /// Copies every table from one read snapshot into a new store at `tmp`,
    /// durably; answers (tables, rows).
    fn write_copy(
        &self,
        tmp: &Path,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<(usize, u64), BackupError> {
        let snapshot = self.db.begin_read()?;
        let mut total = 0;
        each_table!(rows, &snapshot, &mut total);
        let dst = Database::create(tmp)?;
        let mut tick = |done| progress(done, total);
        let mut state: (u64, usize, &mut dyn FnMut(u64)) = (0, 0, &mut tick);
        each_table!(copy, &snapshot, &dst, &mut state);
        // One durable commit makes everything before it durable.
        let tx = dst.begin_write()?;
        tx.commit()?;
        Ok((state.1, state.0))
    }
}

/// Restores `backup` into `data_dir` (the server must be stopped): checks
/// that it opens as a Touchpoint store, moves the current store file aside
/// (answered: where to), and puts a copy of the backup in its place.
///
/// # Errors
/// [`BackupError`]: not a store, the current store in use
/// ([`StoreError::Locked`]), a file operation failed.
pub fn restore(
    backup: &Path,
    data_dir: &Path,
    now_ms: u64,
) -> Result<Option<PathBuf>, BackupError> {
    let not_a_store = |source: StoreError| BackupError::NotAStore {
        path: backup.to_owned(),
        source: Box::new(source),
    };
    {
        let db =
            redb::ReadOnlyDatabase::open(backup).map_err(|e| not_a_store(StoreError::from(e)))?;
        let tx = db.begin_read().map_err(|e| not_a_store(e.into()))?;
        tx.open_table(super::tables::META)
            .map_err(|e| not_a_store(e.into()))?;
    }
    // The live store must not be in use: opening it takes its lock.
    drop(Store::open(data_dir)?);
    let live = data_dir.join(FILE_NAME);
    let aside = live.with_extension(format!("redb.before-restore-{now_ms}"));
    let moved = if live.exists() {
        std::fs::rename(&live, &aside).map_err(|source| BackupError::File {
            what: "cannot move the current store aside to",
            path: aside.clone(),
            source,
        })?;
        Some(aside)
    } else {
        None
    };
    let tmp = live.with_extension("redb.restoring");
    std::fs::copy(backup, &tmp).map_err(|source| BackupError::File {
        what: "cannot copy the backup to",
        path: tmp.clone(),
        source,
    })?;
    std::fs::File::open(&tmp)
        .and_then(|f| f.sync_all())
        .map_err(|source| BackupError::File {
            what: "cannot sync",
            path: tmp.clone(),
            source,
        })?;
    std::fs::rename(&tmp, &live).map_err(|source| BackupError::File {
        what: "cannot put the backup in place as",
        path: live.clone(),
        source,
    })?;
    Ok(moved)
}
