//! A site's events for a date range, one line each, as CSV or NDJSON:
//! what reports show of each event and its visit, and nothing more — no
//! visitor id, IP or user agent; the visit is its number in the store, so
//! events of one visit can be put together.
//!
//! Columns: `timestamp` (RFC 3339, UTC, ms), `visit`, `name` (`pageview` or
//! the custom event's), `hostname`, `page`, `referrer`, `source`,
//! `channel`, `utm_source`, `utm_medium`, `utm_campaign`, `utm_term`,
//! `utm_content`, `country`, `region`, `city`, `device`, `browser`,
//! `browser_version`, `os`, `os_version`, `revenue` (decimal), `currency`,
//! `props` (a JSON object).

use std::{collections::HashMap, io::Write, ops::ControlFlow};

use serde_json::{Map, Value, json};

use crate::{
    domain::{channel::Channel, device::Device},
    store::{ReadView, Site, StoreError},
};

/// The columns, in order.
pub const COLUMNS: [&str; 24] = [
    "timestamp",
    "visit",
    "name",
    "hostname",
    "page",
    "referrer",
    "source",
    "channel",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "country",
    "region",
    "city",
    "device",
    "browser",
    "browser_version",
    "os",
    "os_version",
    "revenue",
    "currency",
    "props",
];

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// CSV with a header line.
    Csv,
    /// One JSON object per line.
    Ndjson,
}

impl Format {
    /// Parses `csv` or `ndjson`.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "csv" => Some(Self::Csv),
            "ndjson" | "jsonl" => Some(Self::Ndjson),
            _ => None,
        }
    }
}

/// Why writing failed.
#[derive(Debug, thiserror::Error)]
pub enum RawError {
    /// Reading the store.
    #[error("reading the store: {0}")]
    Store(#[from] StoreError),
    /// Writing out (the client went away, the disk is full...).
    #[error("writing the export: {0}")]
    Io(#[from] std::io::Error),
}

/// Writes the events of visits starting in `[from_ms, to_ms)` to `out`.
/// Returns the number of events written.
///
/// # Errors
/// Storage or write errors; what was written stays written.
pub fn write(
    view: &ReadView,
    site: &Site,
    from_ms: u64,
    to_ms: u64,
    format: Format,
    out: &mut dyn Write,
) -> Result<u64, RawError> {
    let mut cache: HashMap<u32, String> = HashMap::new();
    let mut text = |id: u32| -> Result<String, StoreError> {
        if id == 0 {
            return Ok(String::new());
        }
        if let Some(s) = cache.get(&id) {
            return Ok(s.clone());
        }
        let s = view.string(id)?;
        cache.insert(id, s.clone());
        Ok(s)
    };
    let csv = format == Format::Csv;
    if csv {
        out.write_all(&csv_line(&COLUMNS)?)?;
    }
    let mut n = 0u64;
    let mut failure: Option<RawError> = None;
    view.for_each_visit(site.id, from_ms, to_ms, |key, rec| {
        let mut one = || -> Result<(), RawError> {
            let country = if rec.country == [0, 0] {
                String::new()
            } else {
                String::from_utf8_lossy(&rec.country).into_owned()
            };
            let visit: Vec<(&str, Value)> = vec![
                ("hostname", json!(text(rec.hostname)?)),
                ("referrer", json!(text(rec.referrer)?)),
                ("source", json!(text(rec.source)?)),
                (
                    "channel",
                    json!(Channel::from_code(rec.channel).map_or("", Channel::as_str)),
                ),
                ("utm_source", json!(text(rec.utm[0])?)),
                ("utm_medium", json!(text(rec.utm[1])?)),
                ("utm_campaign", json!(text(rec.utm[2])?)),
                ("utm_term", json!(text(rec.utm[3])?)),
                ("utm_content", json!(text(rec.utm[4])?)),
                ("country", json!(country)),
                ("region", json!(text(rec.region)?)),
                ("city", json!(text(rec.city)?)),
                (
                    "device",
                    json!(Device::from_code(rec.device).map_or("", Device::as_str)),
                ),
                ("browser", json!(text(rec.browser)?)),
                ("browser_version", json!(text(rec.browser_version)?)),
                ("os", json!(text(rec.os)?)),
                ("os_version", json!(text(rec.os_version)?)),
            ];
            for e in &rec.events {
                let at = key.start_ms + u64::from(e.offset_ms);
                let ts = chrono::DateTime::from_timestamp_millis(i64::try_from(at).unwrap_or(0))
                    .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
                    .unwrap_or_default();
                let mut props = Map::new();
                for (k, v) in &e.props {
                    props.insert(text(*k)?, json!(text(*v)?));
                }
                let mut row = Map::new();
                row.insert("timestamp".into(), json!(ts));
                row.insert("visit".into(), json!(key.id));
                row.insert(
                    "name".into(),
                    json!(if e.pageview {
                        "pageview".to_owned()
                    } else {
                        text(e.name)?
                    }),
                );
                row.insert("page".into(), json!(text(e.path)?));
                for (k, v) in &visit {
                    row.insert((*k).to_owned(), v.clone());
                }
                let (revenue, currency) = e.revenue.map_or((String::new(), String::new()), |r| {
                    (
                        crate::domain::money::micros_to_decimal(r.amount_micros),
                        String::from_utf8_lossy(&r.currency).into_owned(),
                    )
                });
                row.insert("revenue".into(), json!(revenue));
                row.insert("currency".into(), json!(currency));
                row.insert("props".into(), Value::Object(props));
                if csv {
                    let cells: Vec<String> = COLUMNS
                        .iter()
                        .map(|c| match &row[*c] {
                            Value::String(s) => s.clone(),
                            v => v.to_string(),
                        })
                        .collect();
                    out.write_all(&csv_line(&cells)?)?;
                } else {
                    serde_json::to_writer(&mut *out, &row).map_err(std::io::Error::other)?;
                    out.write_all(b"\n")?;
                }
                n += 1;
            }
            Ok(())
        };
        match one() {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => {
                failure = Some(e);
                ControlFlow::Break(StoreError::Stopped("raw export"))
            }
        }
    })
    .map_err(|e| failure.take().unwrap_or(RawError::Store(e)))?;
    out.flush()?;
    Ok(n)
}

/// One CSV record, with its line end.
fn csv_line<S: AsRef<[u8]>>(cells: &[S]) -> Result<Vec<u8>, std::io::Error> {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    w.write_record(cells).map_err(std::io::Error::other)?;
    w.into_inner().map_err(|e| e.into_error())
}
