//! Importing Plausible's CSV export into a site: the zip as Plausible
//! writes it, or its CSV files one by one, named as Plausible's importer
//! reads them (`[imported_]<table>_<YYYYMMDD>_<YYYYMMDD>.csv`). Columns are
//! found by their header names (any order; a missing one counts 0 or "", as
//! in Plausible). Texts are normalised and redacted as the tracker's are,
//! so an email in a page path is never stored.
//!
//! Like Plausible, imported days are those **before the site's own data**:
//! rows on or after the local day of the site's first own visit, and rows
//! outside the dates in their file's name, are left out. The import is kept
//! apart, with an id, and can be deleted as a whole.

use std::io::Read;

use chrono::NaiveDate;

use super::tables::{Col, Table};
use crate::{
    domain::{
        calendar::{day_number, local_day},
        text::{self, Field},
    },
    store::{ImportRecord, ImportedRow, Site, Store, StoreError},
};

/// Largest archive or file accepted, bytes.
pub const MAX_IMPORT_BYTES: u64 = 1024 * 1024 * 1024;

/// Why an import failed (nothing of it is stored).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The input is not what Plausible exports; the text says where.
    #[error("{0}")]
    Invalid(String),
    /// Reading the zip.
    #[error("reading the zip: {0}")]
    Zip(#[from] zip::result::ZipError),
    /// Reading a file.
    #[error("reading the import: {0}")]
    Io(#[from] std::io::Error),
    /// Storing it.
    #[error("storing the import: {0}")]
    Store(#[from] StoreError),
}

fn invalid(m: impl Into<String>) -> ImportError {
    ImportError::Invalid(m.into())
}

/// One named input file.
pub struct File {
    /// Its name (the table and dates are read from it).
    pub name: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// The CSV files of a zip archive (other entries are ignored).
///
/// # Errors
/// A damaged archive, or one over [`MAX_IMPORT_BYTES`] unpacked.
pub fn unzip(bytes: &[u8]) -> Result<Vec<File>, ImportError> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))?;
    let mut out = Vec::new();
    let mut total = 0u64;
    for i in 0..zip.len() {
        let mut f = zip.by_index(i)?;
        if !f.is_file() || !f.name().ends_with(".csv") {
            continue;
        }
        total += f.size();
        if total > MAX_IMPORT_BYTES {
            return Err(invalid("the archive unpacks to more than 1 GB"));
        }
        let mut buf = Vec::with_capacity(usize::try_from(f.size()).unwrap_or(0));
        f.read_to_end(&mut buf)?;
        out.push(File {
            name: f.name().to_owned(),
            bytes: buf,
        });
    }
    Ok(out)
}

/// How a text column is normalised.
fn field_of(column: &str) -> Option<Field> {
    Some(match column {
        "page" | "entry_page" | "exit_page" | "path" => Field::Path,
        "hostname" => Field::Hostname,
        "referrer" => Field::Referrer,
        "source" | "utm_source" | "utm_medium" | "utm_campaign" | "utm_content" | "utm_term" => {
            Field::Query
        }
        "name" => Field::Name,
        "link_url" => Field::PropValue,
        _ => return None,
    })
}

/// A text as stored.
fn clean(column: &str, raw: &str) -> String {
    match (column, field_of(column)) {
        ("country", _) => raw.trim().to_ascii_uppercase(),
        (_, Some(f)) => text::normalise(f, raw),
        (_, None) => text::normalise(Field::PropValue, raw),
    }
}

/// Reads one file's rows on days before `before_day`: (table, day, row).
fn read_file(
    f: &File,
    before_day: u32,
    out: &mut Vec<(u8, u32, ImportedRow)>,
) -> Result<&'static Table, ImportError> {
    let (table, first, last) = Table::from_file_name(&f.name).ok_or_else(|| {
        invalid(format!(
            "{}: not a file of Plausible's export (expected imported_<table>_<YYYYMMDD>_<YYYYMMDD>.csv)",
            f.name
        ))
    })?;
    let mut r = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(f.bytes.as_slice());
    let headers: Vec<String> = r
        .headers()
        .map_err(|e| invalid(format!("{}: {e}", f.name)))?
        .iter()
        .map(|h| h.trim().to_owned())
        .collect();
    let at = |name: &str| headers.iter().position(|h| h == name);
    let date_at = at("date").ok_or_else(|| invalid(format!("{}: no date column", f.name)))?;
    let texts: Vec<(&str, Option<usize>)> = table.names(Col::Text).map(|n| (n, at(n))).collect();
    let counts: Vec<(&str, Option<usize>)> = table.names(Col::Count).map(|n| (n, at(n))).collect();
    for (i, record) in r.records().enumerate() {
        let line = i + 2;
        let record = record.map_err(|e| invalid(format!("{} line {line}: {e}", f.name)))?;
        let cell = |c: usize| record.get(c).unwrap_or("").trim();
        let date = NaiveDate::parse_from_str(cell(date_at), "%Y-%m-%d").map_err(|_| {
            invalid(format!(
                "{} line {line}: date {:?} is not YYYY-MM-DD",
                f.name,
                cell(date_at)
            ))
        })?;
        let day = day_number(date);
        if date < first || date > last || day >= before_day {
            continue;
        }
        let texts = texts
            .iter()
            .map(|(n, c)| c.map_or_else(String::new, |c| clean(n, cell(c))))
            .collect();
        let counts = counts
            .iter()
            .map(|(n, c)| {
                let v = c.map_or("", |c| cell(c));
                if v.is_empty() {
                    return Ok(0);
                }
                v.parse::<u64>().map_err(|_| {
                    invalid(format!(
                        "{} line {line}: {n} {v:?} is not a whole number",
                        f.name
                    ))
                })
            })
            .collect::<Result<_, _>>()?;
        out.push((table.code, day, ImportedRow { texts, counts }));
    }
    Ok(table)
}

/// Imports `files` into `site` as one import; `progress` is called with the
/// bytes read so far and the total.
///
/// # Errors
/// [`ImportError::Invalid`] for files that aren't Plausible's, or when no
/// row falls before the site's own data; storage errors. Nothing is stored
/// then.
pub fn import(
    store: &Store,
    site: &Site,
    files: &[File],
    now_ms: u64,
    mut progress: impl FnMut(u64, u64),
) -> Result<ImportRecord, ImportError> {
    if files.is_empty() {
        return Err(invalid("no CSV files of Plausible's export were given"));
    }
    let total: u64 = files.iter().map(|f| f.bytes.len() as u64).sum();
    // Imported days end where the site's own data begins.
    let before_day = match store.read()?.first_session_start(site.id)? {
        Some(ms) => local_day(ms, site.timezone),
        None => local_day(now_ms, site.timezone) + 1,
    };
    let mut rows = Vec::new();
    let mut done = 0;
    let mut record = ImportRecord {
        id: 0,
        source: "csv".into(),
        first_day: u32::MAX,
        last_day: 0,
        created_ms: now_ms,
        rows: std::collections::BTreeMap::new(),
    };
    let mut seen = std::collections::HashSet::new();
    for f in files {
        let start = rows.len();
        let table = read_file(f, before_day, &mut rows)?;
        if !seen.insert(table.code) {
            return Err(invalid(format!(
                "{}: a second file of {}",
                f.name, table.name
            )));
        }
        *record.rows.entry(table.name.to_owned()).or_default() += (rows.len() - start) as u64;
        done += f.bytes.len() as u64;
        progress(done, total);
    }
    for (_, day, _) in &rows {
        record.first_day = record.first_day.min(*day);
        record.last_day = record.last_day.max(*day);
    }
    if rows.is_empty() {
        return Err(invalid(format!(
            "no row of the files falls before the site's own data (from {}); imported statistics fill only the days before it",
            crate::domain::calendar::date_of_day(before_day)
        )));
    }
    Ok(store.add_import(site.id, record, &rows)?)
}
