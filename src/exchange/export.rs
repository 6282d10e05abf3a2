//! A site's statistics as Plausible's CSV export: the ten tables of
//! [`super::tables`], one row per local day and group, in a zip of CSV
//! files named `imported_<table>_<first>_<last>.csv`, as Plausible's
//! exporter writes them (ClickHouse `CSVWithNames`: the header and texts
//! quoted, numbers not). Built from the visits day by day, through the
//! store's engine-neutral read, so memory holds one day's groups.
//!
//! What can't be carried: cities are GeoNames ids in Plausible's files and
//! names here, so `city` is written as 0 (unknown); goals' `link_url` and
//! `path` come from the `url` and `path` properties of Plausible's special
//! goals only.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    io::{Seek, Write},
    ops::ControlFlow,
};

use chrono::NaiveDate;

use super::tables::{
    BROWSER_TABLE, CUSTOM_EVENTS, Col, DEVICE_TABLE, ENTRY_PAGES, EXIT_PAGES, LOCATION_TABLE,
    OS_TABLE, PAGES, SOURCES, TABLES, Table, VISITORS,
};
use crate::{
    domain::{
        Timezone,
        calendar::{date_of_day, days_to_ms, local_day},
        device::Device,
    },
    store::{ReadView, Site, StoreError, record::SessionRecord},
};

/// Goals whose rows carry the link's `url` property (Plausible's list).
const GOALS_WITH_URL: [&str; 3] = [
    "Outbound Link: Click",
    "Cloaked Link: Click",
    "File Download",
];
/// Goals whose rows carry the `path` property.
const GOALS_WITH_PATH: [&str; 2] = ["404", "WP Form Completions"];

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Reading the store.
    #[error("reading the store: {0}")]
    Store(#[from] StoreError),
    /// Writing the archive.
    #[error("writing the export archive: {0}")]
    Zip(#[from] zip::result::ZipError),
    /// Writing a file.
    #[error("writing the export: {0}")]
    Io(#[from] std::io::Error),
    /// Writing CSV.
    #[error("writing CSV: {0}")]
    Csv(#[from] csv::Error),
}

/// One group's running sums.
#[derive(Default)]
struct Agg {
    visitors: HashSet<u64>,
    visits: HashSet<u64>,
    sums: HashMap<&'static str, u64>,
    /// First hostname seen (pages).
    hostname: Option<String>,
}

impl Agg {
    fn add(&mut self, k: &'static str, v: u64) {
        *self.sums.entry(k).or_default() += v;
    }
}

/// One day's groups per table.
type Day = BTreeMap<u8, BTreeMap<Vec<String>, Agg>>;

/// The rows of every table: (table code, local date, texts, counts).
pub type Rows = Vec<(u8, NaiveDate, Vec<String>, Vec<u64>)>;

/// Interned texts, resolved once.
struct Names<'v> {
    view: &'v ReadView,
    cache: HashMap<u32, String>,
}

impl Names<'_> {
    fn get(&mut self, id: u32) -> Result<String, StoreError> {
        if id == 0 {
            return Ok(String::new());
        }
        if let Some(s) = self.cache.get(&id) {
            return Ok(s.clone());
        }
        let s = self.view.string(id)?;
        self.cache.insert(id, s.clone());
        Ok(s)
    }
}

/// The first and last local dates with visits, if any.
///
/// # Errors
/// Storage errors.
pub fn date_range(
    view: &ReadView,
    site: &Site,
    now_ms: u64,
) -> Result<Option<(NaiveDate, NaiveDate)>, StoreError> {
    let Some(first) = view.first_session_start(site.id)? else {
        return Ok(None);
    };
    let tz = site.timezone;
    Ok(Some((
        date_of_day(local_day(first, tz)),
        date_of_day(local_day(now_ms, tz)),
    )))
}

/// Every table's rows for the local dates `first..=last`.
///
/// # Errors
/// Storage errors.
pub fn rows(
    view: &ReadView,
    site: &Site,
    first: NaiveDate,
    last: NaiveDate,
) -> Result<Rows, StoreError> {
    let tz = site.timezone;
    let (from, to) = days_to_ms(
        crate::domain::calendar::day_number(first),
        crate::domain::calendar::day_number(last),
        tz,
    );
    let mut names = Names {
        view,
        cache: HashMap::new(),
    };
    let mut out: Rows = Vec::new();
    let mut day: Day = BTreeMap::new();
    let mut current: Option<u32> = None;
    let mut rec = SessionRecord::default();
    let mut failure = None;
    view.for_each_session(site.id, from, to, |key, bytes| {
        if let Err(e) = rec.decode_into(bytes) {
            return ControlFlow::Break(e.into());
        }
        let d = local_day(key.start_ms, tz);
        if current.is_some_and(|c| c != d) {
            flush(&mut day, date_of_day(current.unwrap_or(d)), &mut out);
        }
        current = Some(d);
        if let Err(e) = add_visit(&mut day, &mut names, &rec, key.id, tz) {
            failure = Some(e);
            return ControlFlow::Break(StoreError::Conflict("export stopped".into()));
        }
        ControlFlow::Continue(())
    })
    .or_else(|e| failure.take().map_or(Err(e), Err))?;
    if let Some(c) = current {
        flush(&mut day, date_of_day(c), &mut out);
    }
    Ok(out)
}

fn add_visit(
    day: &mut Day,
    names: &mut Names<'_>,
    rec: &SessionRecord,
    visit: u64,
    _tz: Timezone,
) -> Result<(), StoreError> {
    let seconds = rec.duration_ms() / 1000;
    let bounce = u64::from(rec.is_bounce());
    let pageviews = rec.pageviews();
    let mut visit_group = |table: u8, key: Vec<String>| {
        let a = day.entry(table).or_default().entry(key).or_default();
        a.visitors.insert(rec.visitor);
        a.visits.insert(visit);
        a.add("visit_duration", seconds);
        a.add("bounces", bounce);
        a.add("pageviews", pageviews);
    };
    visit_group(VISITORS, Vec::new());
    // Plausible's order: source, medium, campaign, content, term.
    let mut sources = vec![names.get(rec.source)?, names.get(rec.referrer)?];
    for i in [0, 1, 2, 4, 3] {
        sources.push(names.get(rec.utm[i])?);
    }
    visit_group(SOURCES, sources);
    visit_group(ENTRY_PAGES, vec![names.get(rec.entry_path())?]);
    visit_group(EXIT_PAGES, vec![names.get(rec.exit_path())?]);
    let country = if rec.country == [0, 0] {
        String::new()
    } else {
        String::from_utf8_lossy(&rec.country).into_owned()
    };
    visit_group(
        LOCATION_TABLE,
        vec![country, names.get(rec.region)?, "0".into()],
    );
    let device = Device::from_code(rec.device).map_or("", Device::as_str);
    visit_group(DEVICE_TABLE, vec![device.to_owned()]);
    visit_group(
        BROWSER_TABLE,
        vec![names.get(rec.browser)?, names.get(rec.browser_version)?],
    );
    visit_group(
        OS_TABLE,
        vec![names.get(rec.os)?, names.get(rec.os_version)?],
    );

    let hostname = names.get(rec.hostname)?;
    // Pages: per page of the visit, its pageviews, deepest scroll and time.
    let mut pages: BTreeMap<u32, (u64, Option<u8>, u64, bool)> = BTreeMap::new();
    for e in rec.events.iter().filter(|e| e.pageview) {
        let p = pages.entry(e.path).or_default();
        p.0 += 1;
        if let Some(g) = e.engagement {
            p.1 = p.1.max(g.scroll);
            p.2 += u64::from(g.engaged_ms);
            p.3 = true;
        }
    }
    for (path, (views, scroll, engaged_ms, engaged)) in pages {
        let a = day
            .entry(PAGES)
            .or_default()
            .entry(vec![names.get(path)?])
            .or_default();
        a.hostname.get_or_insert_with(|| hostname.clone());
        a.visitors.insert(rec.visitor);
        a.visits.insert(visit);
        a.add("pageviews", views);
        if let Some(s) = scroll {
            a.add("total_scroll_depth", u64::from(s));
            a.add("total_scroll_depth_visits", 1);
        }
        if engaged {
            a.add("total_time_on_page_ms", engaged_ms);
            a.add("total_time_on_page_visits", 1);
        }
    }
    for e in rec.events.iter().filter(|e| !e.pageview) {
        let name = names.get(e.name)?;
        let prop = |names: &mut Names<'_>, key: &str| -> Result<String, StoreError> {
            for (k, v) in &e.props {
                if names.get(*k)? == key {
                    return names.get(*v);
                }
            }
            Ok(String::new())
        };
        let link = if GOALS_WITH_URL.contains(&name.as_str()) {
            prop(names, "url")?
        } else {
            String::new()
        };
        let path = if GOALS_WITH_PATH.contains(&name.as_str()) {
            prop(names, "path")?
        } else {
            String::new()
        };
        let a = day
            .entry(CUSTOM_EVENTS)
            .or_default()
            .entry(vec![name, link, path])
            .or_default();
        a.visitors.insert(rec.visitor);
        a.add("events", 1);
    }
    Ok(())
}

/// Turns a day's groups into rows.
fn flush(day: &mut Day, date: NaiveDate, out: &mut Rows) {
    for (code, groups) in std::mem::take(day) {
        let Some(table) = Table::of(code) else {
            continue;
        };
        for (mut texts, a) in groups {
            if code == PAGES {
                texts.insert(0, a.hostname.clone().unwrap_or_default());
            }
            let counts = table
                .names(Col::Count)
                .map(|c| match c {
                    "visitors" => a.visitors.len() as u64,
                    "visits" | "entrances" | "exits" => a.visits.len() as u64,
                    "total_time_on_page" => {
                        a.sums.get("total_time_on_page_ms").copied().unwrap_or(0) / 1000
                    }
                    other => a.sums.get(other).copied().unwrap_or(0),
                })
                .collect();
            out.push((code, date, texts, counts));
        }
    }
}

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
