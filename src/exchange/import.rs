//! Importing Plausible's CSV export into a site: the zip as Plausible
//! writes it, or its CSV files one by one, named as Plausible's importer
//! reads them (`[imported_]<table>_<YYYYMMDD>_<YYYYMMDD>.csv`). Columns are
//! found by their header names (any order; a missing one counts 0 or "", as
//! in Plausible). Texts are normalised and redacted as the tracker's are,
//! so an email in a page path is never stored; a country that is not a
//! two-letter code is unknown.
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
    unzip_within(bytes, MAX_IMPORT_BYTES)
}

/// [`unzip`] with a limit of `max` bytes unpacked. The sizes in an archive's
/// headers are the sender's claims, and the decompressor does not hold an
/// entry to its claim: the limit is kept on the bytes actually unpacked.
fn unzip_within(bytes: &[u8], max: u64) -> Result<Vec<File>, ImportError> {
    let too_large = || {
        let limit = if max >= 1 << 30 {
            format!("{} GB", max >> 30)
        } else {
            format!("{max} bytes")
        };
        invalid(format!("the archive unpacks to more than {limit}"))
    };
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))?;
    let mut out = Vec::new();
    let mut total = 0u64;
    for i in 0..zip.len() {
        let f = zip.by_index(i)?;
        if !f.is_file() || !f.name().ends_with(".csv") {
            continue;
        }
        let room = max - total;
        if f.size() > room {
            return Err(too_large());
        }
        let name = f.name().to_owned();
        let mut buf = Vec::with_capacity(usize::try_from(f.size()).unwrap_or(0));
        total += f.take(room + 1).read_to_end(&mut buf)? as u64;
        if total > max {
            return Err(too_large());
        }
        out.push(File { name, bytes: buf });
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

/// A text as stored. A country is a code, two letters, or else unknown
/// (""), as Plausible writes an unknown one: the column is no free text to
/// keep whatever a file holds there.
fn clean(column: &str, raw: &str) -> String {
    match (column, field_of(column)) {
        ("country", _) => {
            let code = raw.trim();
            if code.len() == 2 && code.bytes().all(|b| b.is_ascii_alphabetic()) {
                code.to_ascii_uppercase()
            } else {
                String::new()
            }
        }
        (_, Some(f)) => text::normalise(f, raw),
        (_, None) => text::normalise(Field::PropValue, raw),
    }
}

/// Reads one file's rows on days before `before_day`: (table, day, row).
pub(crate) fn read_file(
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

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    /// A zip of one deflated CSV of `len` bytes whose headers claim `claim`.
    fn lying_zip(len: usize, claim: u32) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let deflated = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        w.start_file("imported_visitors_20240101_20240131.csv", deflated)
            .unwrap();
        w.write_all(&vec![b'1'; len]).unwrap();
        let mut bytes = w.finish().unwrap().into_inner();
        // The uncompressed size: 22 bytes into the local header, 24 into
        // the central directory's.
        for (signature, at) in [(*b"PK\x03\x04", 22), (*b"PK\x01\x02", 24)] {
            let start = bytes.windows(4).position(|w| w == signature).unwrap() + at;
            bytes[start..start + 4].copy_from_slice(&claim.to_le_bytes());
        }
        bytes
    }

    #[test]
    fn a_country_that_is_no_two_letter_code_is_imported_as_unknown() {
        // Found by fuzzing (plausible_import): the column was kept as sent,
        // an email address, control characters and all.
        let f = File {
            name: "imported_locations_20240101_20240131.csv".into(),
            bytes: b"date,country,region,city,visitors\n2024-01-01,de,DE-BE,Berlin,3\n\
                2024-01-02,mary@example.com,,,1\n2024-01-03,\"\0\0\",,,1\n"
                .to_vec(),
        };
        let mut rows = Vec::new();
        read_file(&f, u32::MAX, &mut rows).unwrap();
        let countries: Vec<&str> = rows.iter().map(|(_, _, r)| r.texts[0].as_str()).collect();
        assert_eq!(countries, ["DE", "", ""]);
    }

    #[test]
    fn an_archive_that_understates_its_size_is_held_to_the_limit() {
        let honest = unzip_within(&lying_zip(10_000, 10_000), 10_000).unwrap();
        assert_eq!(honest[0].bytes.len(), 10_000);
        let refusal = |zip: Vec<u8>| match unzip_within(&zip, 10_000) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("unpacked past the limit"),
        };
        for (len, claim) in [(10_001, 10), (10, 10_001)] {
            let err = refusal(lying_zip(len, claim));
            assert!(
                err.contains("more than 10000 bytes"),
                "{len} claiming {claim}: {err}"
            );
        }
    }
}
