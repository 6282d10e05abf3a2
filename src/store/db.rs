//! The redb handle every store operation goes through, kept usable through a
//! full disk:
//!
//! - **Writes keep space free.** Each write transaction first checks the free
//!   space of the filesystem holding the file (`statvfs`); under
//!   `storage.min_free_mb` it is refused with [`StoreError::DiskFull`] before
//!   anything is written. redb never meets the full disk, so reads keep
//!   working, and writes resume by themselves once space is freed.
//! - **An I/O failure reopens the file.** When a write fails anyway (another
//!   process took the last bytes, a failing device), redb refuses every later
//!   operation with `PreviousIo` until the database is closed. The next write
//!   transaction sees that, closes the file and reopens it (redb repairs it
//!   from its last commit), at most once a second until it succeeds; in
//!   between, operations fail with [`StoreError::Reopening`].
//!
//! Each change of state is logged once, with its cause — not once per
//! refused write.

use std::{
    path::Path,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use arc_swap::ArcSwapOption;
use redb::{
    Database, ReadTransaction, ReadableDatabase, StorageError, TransactionError, WriteTransaction,
};

use super::StoreError;

/// Default of `storage.min_free_mb`.
pub const DEFAULT_MIN_FREE_BYTES: u64 = 64 << 20;

/// Shortest time between two attempts to reopen the file.
const REOPEN_EVERY: Duration = Duration::from_secs(1);

/// The open database, or none while it is being reopened.
pub(crate) struct Db {
    current: ArcSwapOption<Database>,
    path: Arc<Path>,
    cache_bytes: usize,
    min_free_bytes: AtomicU64,
    /// Write transactions refused for space since the refusals began.
    refused: AtomicU64,
    /// Whether the last free-space check refused (for logging changes only).
    full: AtomicBool,
    /// When the file was last reopened or tried.
    reopened: Mutex<Option<Instant>>,
}

impl Db {
    /// Opens (or creates) the file with a page cache of `cache_bytes`.
    pub(crate) fn open(path: &Path, cache_bytes: usize) -> Result<Self, StoreError> {
        let db = open(path, cache_bytes)?;
        Ok(Self {
            current: ArcSwapOption::from_pointee(db),
            path: path.into(),
            cache_bytes,
            min_free_bytes: AtomicU64::new(DEFAULT_MIN_FREE_BYTES),
            refused: AtomicU64::new(0),
            full: AtomicBool::new(false),
            reopened: Mutex::new(None),
        })
    }

    /// Bytes kept free on the file's filesystem (0: no check).
    pub(crate) fn set_min_free_bytes(&self, bytes: u64) {
        self.min_free_bytes.store(bytes, Ordering::Relaxed);
    }

    /// A read snapshot.
    pub(crate) fn begin_read(&self) -> Result<ReadTransaction, StoreError> {
        Ok(self.handle()?.begin_read()?)
    }

    /// A write transaction, once the disk has room and the file is usable.
    pub(crate) fn begin_write(&self) -> Result<WriteTransaction, StoreError> {
        self.check_space()?;
        let db = self.handle()?;
        match db.begin_write() {
            Err(TransactionError::Storage(StorageError::PreviousIo)) => {
                // Only the first thread to see the failed handle takes it
                // out (and says so); the file closes when the last
                // transaction on it ends.
                let failed = Some(db);
                let prev = self.current.compare_and_swap(&failed, None);
                let took = matches!((&*prev, &failed), (Some(a), Some(b)) if Arc::ptr_eq(a, b));
                drop(prev);
                drop(failed);
                if took {
                    tracing::error!(
                        file = %self.path.display(),
                        "the store failed an earlier write (its cause was logged with it); reopening the file"
                    );
                }
                Ok(self.handle()?.begin_write()?)
            }
            other => Ok(other?),
        }
    }

    /// Rewrites the file to release free pages ([`Database::compact`]);
    /// `None` when a transaction or another handle holds the database.
    pub(crate) fn compact(&self) -> Option<Result<bool, StoreError>> {
        let current = self.handle().ok()?;
        let held = Some(current);
        let taken = self.current.compare_and_swap(&held, None);
        drop(taken);
        let current = held?;
        match Arc::try_unwrap(current) {
            Ok(mut db) => {
                let res = db.compact().map_err(|e| StoreError::Redb(e.into()));
                self.current.store(Some(Arc::new(db)));
                Some(res)
            }
            Err(current) => {
                self.current.store(Some(current));
                None
            }
        }
    }

    /// The open database, reopening it when a failure closed it.
    fn handle(&self) -> Result<Arc<Database>, StoreError> {
        if let Some(db) = self.current.load_full() {
            return Ok(db);
        }
        self.reopen()
    }

    /// Opens the file again, at most once per [`REOPEN_EVERY`] and by one
    /// thread at a time; the others are told it is reopening.
    fn reopen(&self) -> Result<Arc<Database>, StoreError> {
        let Ok(mut last) = self.reopened.try_lock() else {
            return Err(StoreError::Reopening { source: None });
        };
        if let Some(db) = self.current.load_full() {
            return Ok(db);
        }
        if last.is_some_and(|t| t.elapsed() < REOPEN_EVERY) {
            return Err(StoreError::Reopening { source: None });
        }
        *last = Some(Instant::now());
        match open(&self.path, self.cache_bytes) {
            Ok(db) => {
                let db = Arc::new(db);
                self.current.store(Some(db.clone()));
                tracing::warn!(file = %self.path.display(), "the store was reopened; writes resume");
                Ok(db)
            }
            Err(StoreError::Open { source, .. }) => Err(StoreError::Reopening {
                source: Some(source),
            }),
            // The old handle's last transaction hasn't ended yet.
            Err(StoreError::Locked(_)) => Err(StoreError::Reopening { source: None }),
            Err(e) => Err(e),
        }
    }

    /// Refuses a write while the filesystem has less than the minimum free,
    /// logging when refusals start and stop.
    fn check_space(&self) -> Result<(), StoreError> {
        let min = self.min_free_bytes.load(Ordering::Relaxed);
        if min == 0 {
            return Ok(());
        }
        // A filesystem that can't say is not refused.
        let Ok(free) = free_bytes(&self.path) else {
            return Ok(());
        };
        if free >= min {
            if self.full.swap(false, Ordering::Relaxed) {
                let refused = self.refused.swap(0, Ordering::Relaxed);
                tracing::warn!(
                    free_bytes = free,
                    refused_writes = refused,
                    "disk space is back; the store accepts writes again"
                );
            }
            return Ok(());
        }
        let e = StoreError::DiskFull {
            path: self.path.display().to_string(),
            free_bytes: free,
            min_free_bytes: min,
        };
        self.refused.fetch_add(1, Ordering::Relaxed);
        if !self.full.swap(true, Ordering::Relaxed) {
            tracing::error!(error = %e, "writes refused until disk space is freed; reads go on");
        }
        Err(e)
    }
}

fn open(path: &Path, cache_bytes: usize) -> Result<Database, StoreError> {
    Database::builder()
        .set_cache_size(cache_bytes)
        .create(path)
        .map_err(|e| match e {
            redb::DatabaseError::DatabaseAlreadyOpen => {
                StoreError::Locked(path.display().to_string())
            }
            source => StoreError::Open {
                path: path.display().to_string(),
                source,
            },
        })
}

/// Bytes an unprivileged writer may still use on the filesystem holding `path`.
fn free_bytes(path: &Path) -> rustix::io::Result<u64> {
    let dir = path.parent().unwrap_or(path);
    let st = rustix::fs::statvfs(dir)?;
    Ok(st.f_bavail.saturating_mul(st.f_frsize))
}
