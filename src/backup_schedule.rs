//! Scheduled backups (`jobs.backup_schedule`): each run writes
//! `touchpoint-<UTC time>.redb` (`touchpoint-20240315T100000Z.redb`) into
//! `storage.backup_dir` with [`Store::backup`] — one read snapshot, ingestion
//! goes on — then deletes the oldest such files beyond `storage.backup_keep`.
//! Files of any other name in the directory are never touched, and the
//! master key is never copied (keep it apart from the backups).

use std::path::{Path, PathBuf};

use crate::store::{
    Store,
    backup::{BackupError, BackupReport},
};

/// What one run did.
#[derive(Debug)]
pub struct Outcome {
    /// The backup written.
    pub report: BackupReport,
    /// Older backups deleted to keep `keep`.
    pub deleted: Vec<PathBuf>,
}

const PREFIX: &str = "touchpoint-";
const SUFFIX: &str = ".redb";

/// The file name of a backup taken at `now_ms` (unix ms, UTC).
#[must_use]
pub fn file_name(now_ms: u64) -> String {
    let at = chrono::DateTime::from_timestamp_millis(i64::try_from(now_ms).unwrap_or(i64::MAX))
        .unwrap_or_default();
    format!("{PREFIX}{}{SUFFIX}", at.format("%Y%m%dT%H%M%SZ"))
}

/// Writes a backup into `dir` (created, mode 0700, when missing) and keeps
/// the newest `keep` scheduled backups there.
///
/// # Errors
/// [`BackupError`]: the directory can't be made or read, the backup failed
/// (nothing is deleted then), or an old backup can't be deleted.
pub fn run(store: &Store, dir: &Path, keep: usize, now_ms: u64) -> Result<Outcome, BackupError> {
    use std::os::unix::fs::DirBuilderExt;
    let file = |what: &'static str, path: &Path| {
        let path = path.to_owned();
        move |source| BackupError::File { what, path, source }
    };
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(file("cannot create the backup directory", dir))?;
    let report = store.backup(&dir.join(file_name(now_ms)), &mut |_, _| {})?;
    let mut ours: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(file("cannot list", dir))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_prefix(PREFIX))
                .and_then(|n| n.strip_suffix(SUFFIX))
                .is_some_and(|stamp| stamp.len() == 16 && stamp.ends_with('Z'))
        })
        .collect();
    // The names sort by time.
    ours.sort();
    let excess = ours.len().saturating_sub(keep.max(1));
    let mut deleted = Vec::new();
    for old in ours.into_iter().take(excess) {
        std::fs::remove_file(&old).map_err(file("cannot delete the old backup", &old))?;
        deleted.push(old);
    }
    Ok(Outcome { report, deleted })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_sort_by_time() {
        assert_eq!(
            file_name(1_710_496_800_000),
            "touchpoint-20240315T100000Z.redb"
        );
        assert!(file_name(1_710_496_800_000) < file_name(1_710_496_801_000));
    }

    #[test]
    fn a_run_keeps_the_newest_and_leaves_other_files_alone() {
        let data = tempfile::tempdir().unwrap();
        let store = Store::open(data.path()).unwrap();
        let dir = data.path().join("backups");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("notes.txt"), "mine").unwrap();
        std::fs::write(dir.join("touchpoint-old.redb"), "not a stamp").unwrap();
        let t0 = 1_710_496_800_000;
        for i in 0..4 {
            let out = run(&store, &dir, 2, t0 + i * 86_400_000).unwrap();
            assert_eq!(out.deleted.len(), usize::from(i >= 2), "run {i}");
            assert!(out.report.bytes > 0);
        }
        let mut left: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(
            left,
            [
                "notes.txt",
                "touchpoint-20240317T100000Z.redb",
                "touchpoint-20240318T100000Z.redb",
                "touchpoint-old.redb"
            ]
        );
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &std::fs::metadata(dir.join("touchpoint-20240318T100000Z.redb"))
                .unwrap()
                .permissions(),
        );
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn a_failed_backup_deletes_no_older_backup() {
        let data = tempfile::tempdir().unwrap();
        let store = Store::open(data.path()).unwrap();
        let dir = data.path().join("backups");
        let t0 = 1_710_496_800_000;
        run(&store, &dir, 1, t0).unwrap();
        // The next file's name is taken by a directory: creating it fails.
        std::fs::create_dir(dir.join(file_name(t0 + 1000)).with_extension("partial")).unwrap();
        assert!(run(&store, &dir, 1, t0 + 1000).is_err());
        assert!(dir.join(file_name(t0)).exists(), "the old backup stays");
    }
}
