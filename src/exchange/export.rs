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
    ops::ControlFlow,
};

use chrono::NaiveDate;

use super::tables::{
    BROWSER_TABLE, CUSTOM_EVENTS, Col, DEVICE_TABLE, ENTRY_PAGES, EXIT_PAGES, LOCATION_TABLE,
    OS_TABLE, PAGES, SOURCES, Table, VISITORS,
};
use rustc_hash::FxBuildHasher;

use crate::{
    domain::{
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

pub use super::archive::{archive_name, write_zip};

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

/// A group: a table's dimension values as raw values (interned text ids;
/// a country's two bytes; a device's code + 1), at most seven.
type Key = [u64; 7];

/// Indexes of [`Agg::sums`].
const DURATION: usize = 0;
const BOUNCES: usize = 1;
const PAGEVIEWS: usize = 2;
const EVENTS: usize = 3;
const SCROLL: usize = 4;
const SCROLL_VISITS: usize = 5;
const TIME_MS: usize = 6;
const TIME_VISITS: usize = 7;

/// One group's running sums.
#[derive(Default)]
struct Agg {
    visitors: HashSet<u64, FxBuildHasher>,
    visits: HashSet<u64, FxBuildHasher>,
    sums: [u64; 8],
    /// First hostname seen (pages), an interned id.
    hostname: u32,
}

/// One day's groups, by table code.
type Day = BTreeMap<u8, HashMap<Key, Agg, FxBuildHasher>>;

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

/// Ids of the texts the custom events table looks for (0: never stored).
struct Special {
    with_url: Vec<u32>,
    with_path: Vec<u32>,
    url: u32,
    path: u32,
}

impl Special {
    fn new(view: &ReadView) -> Result<Self, StoreError> {
        let id = |t: &str| view.string_id(t).map(Option::unwrap_or_default);
        let ids = |ts: &[&str]| ts.iter().map(|t| id(t)).collect::<Result<Vec<_>, _>>();
        Ok(Self {
            with_url: ids(&GOALS_WITH_URL)?,
            with_path: ids(&GOALS_WITH_PATH)?,
            url: id("url")?,
            path: id("path")?,
        })
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
    let special = Special::new(view)?;
    let mut out: Rows = Vec::new();
    let mut day: Day = BTreeMap::new();
    let mut current: Option<u32> = None;
    let mut failure = None;
    view.for_each_visit(site.id, from, to, |key, rec| {
        let d = local_day(key.start_ms, tz);
        if let Some(c) = current.filter(|c| *c != d)
            && let Err(e) = flush(&mut day, date_of_day(c), &mut names, &mut out)
        {
            failure = Some(e);
            return ControlFlow::Break(StoreError::Stopped("export"));
        }
        current = Some(d);
        add_visit(&mut day, &special, rec, key.id);
        ControlFlow::Continue(())
    })
    .or_else(|e| failure.take().map_or(Err(e), Err))?;
    if let Some(c) = current {
        flush(&mut day, date_of_day(c), &mut names, &mut out)?;
    }
    Ok(out)
}

fn add_visit(day: &mut Day, special: &Special, rec: &SessionRecord, visit: u64) {
    let seconds = rec.duration_ms() / 1000;
    let bounce = u64::from(rec.is_bounce());
    let pageviews = rec.pageviews();
    let mut visit_group = |table: u8, key: Key| {
        let a = day.entry(table).or_default().entry(key).or_default();
        a.visitors.insert(rec.visitor);
        a.visits.insert(visit);
        a.sums[DURATION] += seconds;
        a.sums[BOUNCES] += bounce;
        a.sums[PAGEVIEWS] += pageviews;
    };
    let id = u64::from;
    visit_group(VISITORS, [0; 7]);
    // Plausible's order: source, referrer, medium, campaign, content, term.
    let u = &rec.utm;
    visit_group(
        SOURCES,
        [
            id(rec.source),
            id(rec.referrer),
            id(u[0]),
            id(u[1]),
            id(u[2]),
            id(u[4]),
            id(u[3]),
        ],
    );
    visit_group(ENTRY_PAGES, [id(rec.entry_path()), 0, 0, 0, 0, 0, 0]);
    visit_group(EXIT_PAGES, [id(rec.exit_path()), 0, 0, 0, 0, 0, 0]);
    let country = u64::from(u16::from_be_bytes(rec.country));
    visit_group(LOCATION_TABLE, [country, id(rec.region), 0, 0, 0, 0, 0]);
    visit_group(DEVICE_TABLE, [u64::from(rec.device) + 1, 0, 0, 0, 0, 0, 0]);
    visit_group(
        BROWSER_TABLE,
        [id(rec.browser), id(rec.browser_version), 0, 0, 0, 0, 0],
    );
    visit_group(OS_TABLE, [id(rec.os), id(rec.os_version), 0, 0, 0, 0, 0]);

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
    let groups = day.entry(PAGES).or_default();
    for (path, (views, scroll, engaged_ms, engaged)) in pages {
        let a = groups.entry([id(path), 0, 0, 0, 0, 0, 0]).or_default();
        if a.hostname == 0 {
            a.hostname = rec.hostname;
        }
        a.visitors.insert(rec.visitor);
        a.visits.insert(visit);
        a.sums[PAGEVIEWS] += views;
        if let Some(s) = scroll {
            a.sums[SCROLL] += u64::from(s);
            a.sums[SCROLL_VISITS] += 1;
        }
        if engaged {
            a.sums[TIME_MS] += engaged_ms;
            a.sums[TIME_VISITS] += 1;
        }
    }
    let groups = day.entry(CUSTOM_EVENTS).or_default();
    for e in rec.events.iter().filter(|e| !e.pageview) {
        let prop = |key: u32| {
            e.props
                .iter()
                .find(|(k, _)| key != 0 && *k == key)
                .map_or(0, |(_, v)| id(*v))
        };
        let link = if special.with_url.contains(&e.name) {
            prop(special.url)
        } else {
            0
        };
        let path = if special.with_path.contains(&e.name) {
            prop(special.path)
        } else {
            0
        };
        let a = groups
            .entry([id(e.name), link, path, 0, 0, 0, 0])
            .or_default();
        a.visitors.insert(rec.visitor);
        a.sums[EVENTS] += 1;
    }
}

/// The text of a raw value in a table's column.
fn text_of(names: &mut Names<'_>, code: u8, col: usize, raw: u64) -> Result<String, StoreError> {
    Ok(match (code, col) {
        (LOCATION_TABLE, 0) => {
            let b = u16::try_from(raw).unwrap_or(0).to_be_bytes();
            if b == [0, 0] {
                String::new()
            } else {
                String::from_utf8_lossy(&b).into_owned()
            }
        }
        // Cities are GeoNames ids in Plausible's files; Touchpoint keeps names.
        (LOCATION_TABLE, 2) => "0".to_owned(),
        (DEVICE_TABLE, 0) => u8::try_from(raw)
            .ok()
            .and_then(|c| c.checked_sub(1))
            .and_then(Device::from_code)
            .map_or_else(String::new, |d| d.as_str().to_owned()),
        _ => names.get(u32::try_from(raw).unwrap_or(0))?,
    })
}

/// Turns a day's groups into rows.
fn flush(
    day: &mut Day,
    date: NaiveDate,
    names: &mut Names<'_>,
    out: &mut Rows,
) -> Result<(), StoreError> {
    for (code, groups) in std::mem::take(day) {
        let Some(table) = Table::of(code) else {
            continue;
        };
        let width = table.names(Col::Text).count();
        let mut rows: Vec<(Vec<String>, Vec<u64>)> = Vec::with_capacity(groups.len());
        for (key, a) in groups {
            let mut texts = Vec::with_capacity(width);
            if code == PAGES {
                texts.push(names.get(a.hostname)?);
                texts.push(names.get(u32::try_from(key[0]).unwrap_or(0))?);
            } else {
                for (col, raw) in key.iter().enumerate().take(width) {
                    texts.push(text_of(names, code, col, *raw)?);
                }
            }
            let counts = table
                .names(Col::Count)
                .map(|c| match c {
                    "visitors" => a.visitors.len() as u64,
                    "visits" | "entrances" | "exits" => a.visits.len() as u64,
                    "visit_duration" => a.sums[DURATION],
                    "bounces" => a.sums[BOUNCES],
                    "pageviews" => a.sums[PAGEVIEWS],
                    "events" => a.sums[EVENTS],
                    "total_scroll_depth" => a.sums[SCROLL],
                    "total_scroll_depth_visits" => a.sums[SCROLL_VISITS],
                    "total_time_on_page" => a.sums[TIME_MS] / 1000,
                    "total_time_on_page_visits" => a.sums[TIME_VISITS],
                    _ => 0,
                })
                .collect();
            rows.push((texts, counts));
        }
        // Stable files: groups in text order.
        rows.sort();
        out.extend(rows.into_iter().map(|(t, c)| (code, date, t, c)));
    }
    Ok(())
}
