//! `backup PATH` (server running or not: a consistent copy from one read
//! snapshot, see `store::backup`) and `restore PATH` (server stopped).

use std::{fmt::Write as _, path::PathBuf};

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};

use super::manage::Ctx;
use crate::{clock::Clock, config::Settings, store::backup};

/// `backup PATH [--with-key]`.
#[derive(Debug, Clone)]
pub struct Backup {
    /// The new file.
    pub path: PathBuf,
    /// Also copy the master key file beside it (`PATH.key`).
    pub with_key: bool,
}

impl Backup {
    pub(super) fn args(&self) -> Vec<String> {
        let mut a = vec!["backup".into(), self.path.display().to_string()];
        if self.with_key {
            a.push("--with-key".into());
        }
        a
    }
}

pub(super) fn run(ctx: &Ctx, b: &Backup, out: &mut String) -> anyhow::Result<()> {
    use std::io::IsTerminal;
    let bar = if ctx.state.is_none() && std::io::stderr().is_terminal() {
        let b = ProgressBar::new(0);
        b.set_style(
            ProgressStyle::with_template("backing up [{bar:30}] {pos}/{len} rows")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        b
    } else {
        ProgressBar::hidden()
    };
    let report = ctx.store.backup(&b.path, &mut |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })?;
    bar.finish_and_clear();
    #[allow(clippy::cast_precision_loss)]
    let mb = report.bytes as f64 / 1e6;
    writeln!(
        out,
        "backed up {} rows of {} tables to {} ({mb:.1} MB); the master key is not in it",
        report.rows,
        report.tables,
        report.path.display()
    )?;
    if b.with_key {
        let key = ctx.settings.key_file();
        anyhow::ensure!(
            key.exists(),
            "no key file at {} (the master key comes from privacy.master_key): keep that value with the backup yourself",
            key.display()
        );
        let dest = b.path.with_extension("key");
        std::fs::copy(&key, &dest)
            .with_context(|| format!("copying the key to {}", dest.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&dest, std::fs::Permissions::from_mode(0o600))?;
        }
        writeln!(
            out,
            "the master key is in {} (keep it apart from the backup)",
            dest.display()
        )?;
    }
    Ok(())
}

/// `restore PATH`: the server must be stopped.
///
/// # Errors
/// What stopped it, as one line.
pub fn restore(settings: &Settings, path: &std::path::Path) -> anyhow::Result<()> {
    let moved = backup::restore(path, &settings.storage.data_dir, Clock::System.now_ms())?;
    println!(
        "restored {} into {}",
        path.display(),
        settings.storage.data_dir.display()
    );
    if let Some(old) = moved {
        println!("the store it replaced is {}", old.display());
    }
    Ok(())
}

/// `compact`: rewrites the store file without its free pages (redb grows a
/// file by doubling and reuses freed pages, but never gives them back on
/// its own). Prints the file's size before and after.
///
/// # Errors
/// The store in use (a running server), or storage errors, as one line.
pub fn compact(settings: &Settings) -> anyhow::Result<()> {
    let mut store = crate::startup::open_store(settings)?;
    let before = store.file_size();
    while store.compact()? {}
    // Closing writes the file's header once more: measure after.
    drop(store);
    let file = settings.storage.data_dir.join(crate::store::FILE_NAME);
    println!(
        "compacted {}: {before} → {} bytes",
        file.display(),
        std::fs::metadata(&file)?.len()
    );
    Ok(())
}
