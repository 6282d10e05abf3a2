//! Plausible's export archive: the ten CSV files of [`super::export`]'s rows
//! in one zip, as Plausible's exporter writes them.

use std::io::{Seek, Write};

use chrono::NaiveDate;

use super::export::{ExportError, Rows};
use crate::{
    domain::imported::{Col, TABLES},
    store::Site,
};

/// Writes `rows` as Plausible's export zip: the ten files, each named for
/// `first..=last`, stored uncompressed as Plausible stores them.
///
/// # Errors
/// Write failures.
pub fn write_zip<W: Write + Seek>(
    w: W,
    rows: &Rows,
    first: NaiveDate,
    last: NaiveDate,
) -> Result<W, ExportError> {
    let mut zip = zip::ZipWriter::new(w);
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for table in &TABLES {
        zip.start_file(table.file_name(first, last), opts)?;
        let mut csv = csv::WriterBuilder::new()
            .quote_style(csv::QuoteStyle::NonNumeric)
            .from_writer(Vec::new());
        csv.write_record(table.columns.iter().map(|(n, _)| *n))?;
        for (_, date, texts, counts) in rows.iter().filter(|r| r.0 == table.code) {
            let mut record: Vec<String> = vec![date.to_string()];
            let (mut t, mut c) = (texts.iter(), counts.iter());
            for (_, kind) in &table.columns[1..] {
                record.push(match kind {
                    Col::Text => t.next().cloned().unwrap_or_default(),
                    _ => c.next().map(u64::to_string).unwrap_or_default(),
                });
            }
            csv.write_record(&record)?;
        }
        let bytes = csv
            .into_inner()
            .map_err(|e| ExportError::Io(e.into_error()))?;
        zip.write_all(&bytes)?;
    }
    Ok(zip.finish()?)
}

/// The archive's name, as Plausible names it: `example_com_20241231.zip`.
#[must_use]
pub fn archive_name(site: &Site, today: NaiveDate) -> String {
    format!(
        "{}_{}.zip",
        site.domain.as_str().replace('.', "_"),
        today.format("%Y%m%d")
    )
}
