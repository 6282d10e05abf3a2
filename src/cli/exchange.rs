//! `export` and `import`: Plausible's CSV export in and out, and a site's
//! raw events out. Run here with a progress bar, or inside a running server
//! (which then reads and writes the files: paths are made absolute first).

use std::{fmt::Write as _, io::Write, path::PathBuf};

use anyhow::Context;
use chrono::NaiveDate;
use indicatif::{ProgressBar, ProgressStyle};

use super::manage::Ctx;
use crate::{
    domain::calendar::{date_of_day, day_number, days_to_ms, local_day},
    exchange::{export, import, raw},
};

/// `export DOMAIN --format F --output FILE [--from D] [--to D]`.
#[derive(Debug, Clone)]
pub struct Export {
    pub domain: String,
    pub format: String,
    pub output: PathBuf,
    pub from: Option<String>,
    pub to: Option<String>,
}

impl Export {
    pub(super) fn args(&self) -> Vec<String> {
        let mut a = vec![
            "export".into(),
            self.domain.clone(),
            "--format".into(),
            self.format.clone(),
            "--output".into(),
            self.output.display().to_string(),
        ];
        for (k, v) in [("--from", &self.from), ("--to", &self.to)] {
            if let Some(v) = v {
                a.extend([k.to_owned(), v.clone()]);
            }
        }
        a
    }
}

/// `import DOMAIN FILE...`.
#[derive(Debug, Clone)]
pub struct Import {
    pub domain: String,
    pub files: Vec<PathBuf>,
}

impl Import {
    pub(super) fn args(&self) -> Vec<String> {
        let mut a = vec!["import".into(), self.domain.clone()];
        a.extend(self.files.iter().map(|f| f.display().to_string()));
        a
    }
}

fn date(s: &str) -> anyhow::Result<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .with_context(|| format!("{s:?} is not a date (YYYY-MM-DD)"))
}

/// A progress bar on a terminal when run here; none inside the server.
fn bar(ctx: &Ctx, len: u64, what: &str) -> ProgressBar {
    use std::io::IsTerminal;
    if ctx.state.is_some() || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let b = ProgressBar::new(len);
    b.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    b.set_message(what.to_owned());
    b
}

pub(super) fn export(ctx: &Ctx, e: &Export, out: &mut String) -> anyhow::Result<()> {
    let site = ctx.site(&e.domain)?;
    let view = ctx.store.read()?;
    let today = date_of_day(local_day(ctx.now_ms(), site.timezone));
    let (first, last) = match (&e.from, &e.to) {
        (Some(a), Some(b)) => (date(a)?, date(b)?),
        (a, b) => {
            let range = export::date_range(&view, &site, ctx.now_ms())?;
            let first = match a {
                Some(a) => date(a)?,
                None => range.map_or(today, |r| r.0),
            };
            let last = match b {
                Some(b) => date(b)?,
                None => today,
            };
            (first, last)
        }
    };
    anyhow::ensure!(first <= last, "--from {first} is after --to {last}");
    match e.format.as_str() {
        "plausible-csv" => {
            anyhow::ensure!(
                e.output.as_os_str() != "-",
                "a zip needs a file: give --output FILE.zip"
            );
            let rows = export::rows(&view, &site, first, last)?;
            let file = std::fs::File::create(&e.output)
                .with_context(|| format!("creating {}", e.output.display()))?;
            let file = export::write_zip(file, &rows, first, last)?;
            file.sync_all()
                .with_context(|| format!("writing {}", e.output.display()))?;
            writeln!(
                out,
                "exported {} ({first} to {last}): {} rows in 10 files to {}",
                site.domain,
                rows.len(),
                e.output.display()
            )?;
        }
        f => {
            let format = raw::Format::parse(f)
                .with_context(|| format!("unknown format {f:?}: plausible-csv, csv or ndjson"))?;
            let (from, to) = days_to_ms(day_number(first), day_number(last), site.timezone);
            let n = if e.output.as_os_str() == "-" {
                anyhow::ensure!(
                    ctx.state.is_none(),
                    "standard output is not available inside the server"
                );
                let stdout = std::io::stdout();
                let mut lock = stdout.lock();
                raw::write(&view, &site, from, to, format, &mut lock)?
            } else {
                let mut file = std::io::BufWriter::new(
                    std::fs::File::create(&e.output)
                        .with_context(|| format!("creating {}", e.output.display()))?,
                );
                let n = raw::write(&view, &site, from, to, format, &mut file)?;
                file.flush()?;
                n
            };
            if e.output.as_os_str() != "-" {
                writeln!(
                    out,
                    "exported {n} events of {} ({first} to {last}) to {}",
                    site.domain,
                    e.output.display()
                )?;
            }
        }
    }
    Ok(())
}

pub(super) fn import(ctx: &Ctx, i: &Import, out: &mut String) -> anyhow::Result<()> {
    let site = ctx.site(&i.domain)?;
    let mut files = Vec::new();
    for path in &i.files {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.ends_with(".zip") {
            files.extend(import::unzip(&bytes)?);
        } else {
            files.push(import::File { name, bytes });
        }
    }
    let total = files.iter().map(|f| f.bytes.len() as u64).sum();
    let bar = bar(ctx, total, "importing");
    let record = import::import(&ctx.store, &site, &files, ctx.now_ms(), |done, _| {
        bar.set_position(done);
    })?;
    bar.finish_and_clear();
    ctx.auth.audit(
        &[site.workspace],
        None,
        "import_added",
        &format!(
            "{}: import {} (from the command line)",
            site.domain, record.id
        ),
        ctx.now_ms(),
    )?;
    let rows: u64 = record.rows.values().sum();
    writeln!(
        out,
        "imported {rows} rows into {} as import {} ({} to {})",
        site.domain,
        record.id,
        date_of_day(record.first_day),
        date_of_day(record.last_day)
    )?;
    Ok(())
}
