//! `[storage]`: where the store lives, its cache, the free space kept, and
//! where scheduled backups go.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// `[storage]`
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StorageSettings {
    /// Directory holding the redb file.
    pub data_dir: PathBuf,
    /// Page cache size in MiB.
    pub cache_mb: usize,
    /// MiB one report may hold while it computes on the embedded engine
    /// (its groups and the visitors of the days it reads); a report that
    /// would need more is refused with a message saying so. 0 = no limit.
    pub max_report_mb: usize,
    /// MiB kept free on the store's filesystem: writes are refused (503)
    /// below it, so a full disk never reaches the file; 0 = no check.
    pub min_free_mb: u64,
    /// Where scheduled backups go; empty = `backups` in the data dir.
    pub backup_dir: PathBuf,
    /// Scheduled backups kept (the newest; older ones are deleted), ≥ 1.
    pub backup_keep: usize,
}

impl StorageSettings {
    /// The directory of scheduled backups.
    #[must_use]
    pub fn backups(&self) -> PathBuf {
        if self.backup_dir.as_os_str().is_empty() {
            self.data_dir.join("backups")
        } else {
            self.backup_dir.clone()
        }
    }
}
