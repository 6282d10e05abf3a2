//! [`StoreError`]: what the store reports, its causes kept.

use super::{SCHEMA_VERSION, clickhouse, codec};

/// Store failures, with context for the log and a one-line message for the CLI.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another process (usually a running `touchpoint serve`) holds the file.
    #[error(
        "the store {0} is in use by another Touchpoint process (stop `touchpoint serve` first)"
    )]
    Locked(String),
    /// The data directory could not be created or used.
    #[error("cannot use data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: String,
        /// Cause.
        source: std::io::Error,
    },
    /// The file was written by a newer Touchpoint.
    #[error(
        "the store has schema version {found}, newer than this build's {SCHEMA_VERSION}; upgrade Touchpoint"
    )]
    TooNew {
        /// Version found on disk.
        found: u64,
    },
    /// A value on disk could not be decoded.
    #[error(transparent)]
    Corrupt(#[from] codec::CodecError),
    /// A caller's request conflicts with what is stored (duplicate domain...).
    #[error("{0}")]
    Conflict(String),
    /// Anything redb reports, its cause kept: an I/O error (a full disk, a
    /// failing device), a corrupt page, a storage limit...
    #[error("storage error: {0}")]
    Redb(#[source] redb::Error),
    /// The store file could not be opened.
    #[error("cannot open the store {path}: {source}")]
    Open {
        /// The file.
        path: String,
        /// Cause.
        #[source]
        source: redb::DatabaseError,
    },
    /// A row could not be encoded.
    #[error("cannot encode a row: {0}")]
    Encode(#[source] serde_json::Error),
    /// A counter ran out of values.
    #[error("the {0} counter has no values left")]
    Exhausted(&'static str),
    /// A thread the store needs could not start.
    #[error("cannot start the {what} thread: {source}")]
    Thread {
        /// Which.
        what: &'static str,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// A walk over visits was stopped by its caller, whose own error says why
    /// (never shown: the caller reports that one instead).
    #[error("{0} stopped")]
    Stopped(&'static str),
    /// A report read or held more than the store's report memory limit
    /// (`storage.max_report_mb`; see `Store::set_report_memory_limit`).
    #[error("a report needed more than its {limit_bytes} bytes (storage.max_report_mb)")]
    OverReportLimit {
        /// The limit, bytes.
        limit_bytes: usize,
    },
    /// The ClickHouse engine failed (unreachable, refusing, timed out).
    #[error(transparent)]
    ClickHouse(#[from] clickhouse::ClickHouseError),
    /// A write was refused before it began: the filesystem holding the store
    /// has less free space than `storage.min_free_mb`.
    #[error(
        "the disk holding {path} is full: {free_bytes} bytes free, under the {min_free_bytes} kept free (storage.min_free_mb)"
    )]
    DiskFull {
        /// The store file.
        path: String,
        /// Bytes free for Touchpoint on its filesystem.
        free_bytes: u64,
        /// The minimum kept free.
        min_free_bytes: u64,
    },
    /// The file is being reopened after an I/O failure; try again shortly.
    #[error("the store is being reopened after an I/O failure")]
    Reopening {
        /// Why the last attempt failed, when one did.
        #[source]
        source: Option<redb::DatabaseError>,
    },
}

impl StoreError {
    /// Whether the failure is the storage's state rather than the request:
    /// a full disk, an I/O error, a file being reopened. Answered with 503
    /// and `Retry-After`; the store logs these itself when they begin.
    #[must_use]
    pub fn is_unavailable(&self) -> bool {
        match self {
            Self::DiskFull { .. } | Self::Reopening { .. } => true,
            Self::Redb(e) => matches!(
                e,
                redb::Error::Io(_) | redb::Error::PreviousIo | redb::Error::DatabaseClosed
            ),
            _ => false,
        }
    }

    /// Whether the store logged this state when it began (a full disk, a
    /// file being reopened, the failed write before it), so callers don't
    /// log it again for every request it refuses.
    #[must_use]
    pub fn logged_by_store(&self) -> bool {
        matches!(
            self,
            Self::DiskFull { .. } | Self::Reopening { .. } | Self::Redb(redb::Error::PreviousIo)
        )
    }
}

macro_rules! from_redb {
    ($($t:ty),*) => {$(
        impl From<$t> for StoreError {
            fn from(e: $t) -> Self { StoreError::Redb(e.into()) }
        }
    )*};
}
from_redb!(
    redb::Error,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError,
    redb::CursorError
);

impl From<redb::DatabaseError> for StoreError {
    fn from(e: redb::DatabaseError) -> Self {
        StoreError::Redb(e.into())
    }
}
