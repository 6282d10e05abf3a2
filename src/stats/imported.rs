//! Imported statistics in reports, as Plausible includes them
//! (`include.imports`): the daily aggregates of imports (see
//! `domain::imported`) are added to a query's groups and total, when one
//! imported table holds every dimension and filtered dimension of the query
//! — else the query is answered without them, and says why
//! ([`Skip`], Plausible's `imports_skip_reason`).
//!
//! Imported rows are per day, like the engine's distinct visitors, so
//! visitors add up the same way. Imports cover days before the site's own
//! data (see `exchange::import`), so nothing is counted twice.

use super::{
    StatsError,
    batch::Parts,
    filter::RawLeaf,
    query::{Dimension, Filter, Query},
    values::{Texts, time_bucket},
};
use crate::{
    domain::{
        calendar::{days_to_ms, local_day},
        device::Device,
        imported::{self as t, Table},
    },
    store::{ImportedRow, ReadView, RollupSums},
};

/// Why imported data was left out of a query (Plausible's reasons).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// The site has no imports.
    NoImportedData,
    /// No import covers the query's dates.
    OutOfRange,
    /// Imports are daily: an hourly time dimension can't use them.
    UnsupportedInterval,
    /// No one imported table holds every dimension and filter.
    UnsupportedQuery,
}

impl Skip {
    /// Plausible's name of the reason.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NoImportedData => "no_imported_data",
            Self::OutOfRange => "out_of_range",
            Self::UnsupportedInterval => "unsupported_interval",
            Self::UnsupportedQuery => "unsupported_query",
        }
    }

    /// Plausible's warning for the reasons it warns about.
    #[must_use]
    pub fn warning(self) -> Option<&'static str> {
        match self {
            Self::UnsupportedQuery => Some(
                "Imported stats are not included in the results because query parameters are not supported.",
            ),
            Self::UnsupportedInterval => Some(
                "Imported stats are not included because the time dimension (i.e. the interval) is too short.",
            ),
            _ => None,
        }
    }
}

/// The imported table and text column of a dimension.
fn column(d: &Dimension) -> Option<(u8, &'static str)> {
    Some(match d {
        Dimension::Source => (t::SOURCES, "source"),
        Dimension::Referrer => (t::SOURCES, "referrer"),
        Dimension::Utm(0) => (t::SOURCES, "utm_source"),
        Dimension::Utm(1) => (t::SOURCES, "utm_medium"),
        Dimension::Utm(2) => (t::SOURCES, "utm_campaign"),
        Dimension::Utm(3) => (t::SOURCES, "utm_term"),
        Dimension::Utm(4) => (t::SOURCES, "utm_content"),
        Dimension::Page => (t::PAGES, "page"),
        Dimension::Hostname => (t::PAGES, "hostname"),
        Dimension::EntryPage => (t::ENTRY_PAGES, "entry_page"),
        Dimension::ExitPage => (t::EXIT_PAGES, "exit_page"),
        Dimension::Name => (t::CUSTOM_EVENTS, "name"),
        Dimension::Prop(k) if k == "url" => (t::CUSTOM_EVENTS, "link_url"),
        Dimension::Prop(k) if k == "path" => (t::CUSTOM_EVENTS, "path"),
        Dimension::Country => (t::LOCATION_TABLE, "country"),
        Dimension::Region => (t::LOCATION_TABLE, "region"),
        Dimension::Device => (t::DEVICE_TABLE, "device"),
        Dimension::Browser => (t::BROWSER_TABLE, "browser"),
        Dimension::BrowserVersion => (t::BROWSER_TABLE, "browser_version"),
        Dimension::Os => (t::OS_TABLE, "operating_system"),
        Dimension::OsVersion => (t::OS_TABLE, "operating_system_version"),
        _ => return None,
    })
}

fn filter_dims<'f>(f: &'f Filter, out: &mut Vec<&'f Dimension>) -> bool {
    match f {
        Filter::Leaf { dim, .. } => {
            out.push(dim);
            true
        }
        Filter::And(v) | Filter::Or(v) => v.iter().all(|c| filter_dims(c, out)),
        Filter::Not(c) => filter_dims(c, out),
        Filter::HasDone(_) => false,
    }
}

/// The one table a query can use.
fn table_for(q: &Query) -> Result<&'static Table, Skip> {
    if q.dimensions.contains(&Dimension::Hour) {
        return Err(Skip::UnsupportedInterval);
    }
    let mut dims: Vec<&Dimension> = q.dimensions.iter().filter(|d| !d.is_time()).collect();
    if let Some(f) = &q.filter
        && !filter_dims(f, &mut dims)
    {
        return Err(Skip::UnsupportedQuery);
    }
    let mut code = None;
    for d in dims {
        let (c, _) = column(d).ok_or(Skip::UnsupportedQuery)?;
        if code.is_some_and(|x| x != c) {
            return Err(Skip::UnsupportedQuery);
        }
        code = Some(c);
    }
    Table::of(code.unwrap_or(t::VISITORS)).ok_or(Skip::UnsupportedQuery)
}

/// A row's sums as the engine's.
fn sums(table: &Table, row: &ImportedRow) -> RollupSums {
    let c = |name: &str| {
        table
            .count_at(name)
            .and_then(|i| row.counts.get(i))
            .copied()
            .unwrap_or(0)
    };
    let visits = match table.code {
        t::ENTRY_PAGES => c("entrances"),
        t::EXIT_PAGES => c("exits"),
        _ => c("visits"),
    };
    let pageviews = c("pageviews");
    RollupSums {
        visitors: c("visitors"),
        visits,
        pageviews,
        events: if table.code == t::CUSTOM_EVENTS {
            c("events")
        } else {
            pageviews
        },
        bounces: c("bounces"),
        duration_ms: c("visit_duration") * 1000,
        engaged_ms: c("total_time_on_page") * 1000,
        engaged_views: u32::try_from(c("total_time_on_page_visits")).unwrap_or(u32::MAX),
        scroll_views: u32::try_from(c("total_scroll_depth_visits")).unwrap_or(u32::MAX),
        scroll_sum: c("total_scroll_depth"),
        ..RollupSums::default()
    }
}

/// The text of a dimension in an imported row.
fn text<'r>(table: &Table, row: &'r ImportedRow, d: &Dimension) -> Option<&'r str> {
    let (_, col) = column(d)?;
    table
        .text_at(col)
        .and_then(|i| row.texts.get(i))
        .map(String::as_str)
}

/// The raw value of a dimension's text, as the engine keys groups.
fn raw(texts: &Texts<'_>, d: &Dimension, text: &str) -> Result<u64, StatsError> {
    Ok(match d {
        Dimension::Country => {
            let b = text.as_bytes();
            if b.len() == 2 {
                u64::from(u16::from_be_bytes([b[0], b[1]]))
            } else {
                0
            }
        }
        Dimension::Device => Device::parse(if text == "Laptop" { "Desktop" } else { text })
            .map_or(u64::MAX, |d| u64::from(d.code())),
        _ => texts.raw_of(text)?,
    })
}

/// Whether a row passes the filter; every leaf is visited, in order, so
/// `leaves` stays in step with the tree.
fn holds(
    f: &Filter,
    leaves: &mut std::slice::Iter<'_, RawLeaf<'_>>,
    table: &Table,
    row: &ImportedRow,
) -> bool {
    match f {
        Filter::Leaf { .. } => leaves
            .next()
            .is_some_and(|l| l.accepts_text(text(table, row, l.dimension()))),
        Filter::And(v) | Filter::Or(v) => {
            let each: Vec<bool> = v.iter().map(|c| holds(c, leaves, table, row)).collect();
            if matches!(f, Filter::And(_)) {
                each.iter().all(|b| *b)
            } else {
                each.iter().any(|b| *b)
            }
        }
        Filter::Not(c) => !holds(c, leaves, table, row),
        Filter::HasDone(_) => false,
    }
}

fn leaves<'t>(
    f: &Filter,
    texts: &'t Texts<'t>,
    out: &mut Vec<RawLeaf<'t>>,
) -> Result<(), StatsError> {
    match f {
        Filter::Leaf { .. } => {
            if let Some(l) = RawLeaf::new(f, texts).map_err(|e| StatsError::Invalid(e.0))? {
                out.push(l);
            }
        }
        Filter::And(v) | Filter::Or(v) => {
            for c in v {
                leaves(c, texts, out)?;
            }
        }
        Filter::Not(c) | Filter::HasDone(c) => leaves(c, texts, out)?,
    }
    Ok(())
}

/// Adds the imported rows a query can use to its parts; says why not when
/// it can't.
///
/// # Errors
/// Storage errors, or an invalid filter.
pub(super) fn add<'t>(
    view: &ReadView,
    texts: &'t Texts<'t>,
    q: &Query,
    p: &mut Parts,
) -> Result<Option<Skip>, StatsError> {
    let imports = view.imports(q.site)?;
    if imports.is_empty() {
        return Ok(Some(Skip::NoImportedData));
    }
    if q.to_ms <= q.from_ms {
        return Ok(Some(Skip::OutOfRange));
    }
    let (first, last) = (
        local_day(q.from_ms, q.timezone),
        local_day(q.to_ms - 1, q.timezone),
    );
    if !imports
        .iter()
        .any(|i| i.first_day <= last && i.last_day >= first)
    {
        return Ok(Some(Skip::OutOfRange));
    }
    let table = match table_for(q) {
        Ok(t) => t,
        Err(skip) => return Ok(Some(skip)),
    };
    let mut compiled = Vec::new();
    if let Some(f) = &q.filter {
        leaves(f, texts, &mut compiled)?;
    }
    let mut failure = None;
    view.for_each_imported(q.site, table.code, (first, last), |day, row| {
        if failure.is_some() {
            return;
        }
        if let Some(f) = &q.filter
            && !holds(f, &mut compiled.iter(), table, &row)
        {
            return;
        }
        let start = days_to_ms(day, day, q.timezone).0;
        let mut key = [0u64; 4];
        for (i, d) in q.dimensions.iter().enumerate() {
            key[i] = if d.is_time() {
                time_bucket(d, start, q.timezone)
            } else {
                match raw(texts, d, text(table, &row, d).unwrap_or("")) {
                    Ok(v) => v,
                    Err(e) => {
                        failure = Some(e);
                        return;
                    }
                }
            };
        }
        let s = sums(table, &row);
        p.groups.entry(key).or_default().add(&s);
        p.total.add(&s);
    })?;
    match failure {
        Some(e) => Err(e),
        None => Ok(None),
    }
}
