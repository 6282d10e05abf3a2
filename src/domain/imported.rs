//! The ten tables of Plausible's CSV export, as Plausible's exporter writes
//! them and its importer reads them (`lib/plausible/exports.ex`,
//! `lib/plausible/imported/csv_importer.ex`): file names, exact columns in
//! order, and what each column holds. Every row is one local day (the
//! site's zone) and one group; counts are totals for that day and group:
//! `visitors` distinct that day, `visit_duration` total seconds, `bounces`
//! a count of bounced visits.

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Col {
    /// The row's date, `YYYY-MM-DD`.
    Date,
    /// A dimension value (text).
    Text,
    /// A count.
    Count,
}

/// One imported table.
#[derive(Debug)]
pub struct Table {
    /// Code in the store.
    pub code: u8,
    /// Plausible's table name, e.g. `imported_browsers`.
    pub name: &'static str,
    /// Columns in Plausible's order.
    pub columns: &'static [(&'static str, Col)],
}

use Col::{Count, Date, Text};

/// The columns of a table grouped by visits: the date, its texts, then the
/// five visit counts in Plausible's order.
macro_rules! visit_table {
    ($($text:literal),+) => {
        &[
            ("date", Date),
            $(($text, Text),)+
            ("visitors", Count),
            ("visits", Count),
            ("visit_duration", Count),
            ("bounces", Count),
            ("pageviews", Count),
        ]
    };
}

/// Table codes, in export order.
pub const VISITORS: u8 = 1;
/// `imported_sources`.
pub const SOURCES: u8 = 2;
/// `imported_pages`.
pub const PAGES: u8 = 3;
/// `imported_entry_pages`.
pub const ENTRY_PAGES: u8 = 4;
/// `imported_exit_pages`.
pub const EXIT_PAGES: u8 = 5;
/// `imported_custom_events`.
pub const CUSTOM_EVENTS: u8 = 6;
/// `imported_locations`.
pub const LOCATION_TABLE: u8 = 7;
/// `imported_devices`.
pub const DEVICE_TABLE: u8 = 8;
/// `imported_browsers`.
pub const BROWSER_TABLE: u8 = 9;
/// `imported_operating_systems`.
pub const OS_TABLE: u8 = 10;

/// The ten tables.
pub static TABLES: [Table; 10] = [
    Table {
        code: VISITORS,
        name: "imported_visitors",
        columns: &[
            ("date", Date),
            ("visitors", Count),
            ("pageviews", Count),
            ("bounces", Count),
            ("visits", Count),
            ("visit_duration", Count),
        ],
    },
    Table {
        code: SOURCES,
        name: "imported_sources",
        columns: &[
            ("date", Date),
            ("source", Text),
            ("referrer", Text),
            ("utm_source", Text),
            ("utm_medium", Text),
            ("utm_campaign", Text),
            ("utm_content", Text),
            ("utm_term", Text),
            ("pageviews", Count),
            ("visitors", Count),
            ("visits", Count),
            ("visit_duration", Count),
            ("bounces", Count),
        ],
    },
    Table {
        code: PAGES,
        name: "imported_pages",
        columns: &[
            ("date", Date),
            ("hostname", Text),
            ("page", Text),
            ("visits", Count),
            ("visitors", Count),
            ("pageviews", Count),
            ("total_scroll_depth", Count),
            ("total_scroll_depth_visits", Count),
            ("total_time_on_page", Count),
            ("total_time_on_page_visits", Count),
        ],
    },
    Table {
        code: ENTRY_PAGES,
        name: "imported_entry_pages",
        columns: &[
            ("date", Date),
            ("entry_page", Text),
            ("visitors", Count),
            ("entrances", Count),
            ("visit_duration", Count),
            ("bounces", Count),
            ("pageviews", Count),
        ],
    },
    Table {
        code: EXIT_PAGES,
        name: "imported_exit_pages",
        columns: &[
            ("date", Date),
            ("exit_page", Text),
            ("visitors", Count),
            ("visit_duration", Count),
            ("exits", Count),
            ("bounces", Count),
            ("pageviews", Count),
        ],
    },
    Table {
        code: CUSTOM_EVENTS,
        name: "imported_custom_events",
        columns: &[
            ("date", Date),
            ("name", Text),
            ("link_url", Text),
            ("path", Text),
            ("visitors", Count),
            ("events", Count),
        ],
    },
    Table {
        code: LOCATION_TABLE,
        name: "imported_locations",
        columns: visit_table!("country", "region", "city"),
    },
    Table {
        code: DEVICE_TABLE,
        name: "imported_devices",
        columns: visit_table!("device"),
    },
    Table {
        code: BROWSER_TABLE,
        name: "imported_browsers",
        columns: visit_table!("browser", "browser_version"),
    },
    Table {
        code: OS_TABLE,
        name: "imported_operating_systems",
        columns: visit_table!("operating_system", "operating_system_version"),
    },
];

impl Table {
    /// The table of a code.
    #[must_use]
    pub fn of(code: u8) -> Option<&'static Self> {
        TABLES.iter().find(|t| t.code == code)
    }

    /// Names of its columns of one kind, in order.
    pub fn names(&self, kind: Col) -> impl Iterator<Item = &'static str> + '_ {
        self.columns
            .iter()
            .filter(move |(_, k)| *k == kind)
            .map(|(n, _)| *n)
    }

    /// Position of a count column among the counts.
    #[must_use]
    pub fn count_at(&self, name: &str) -> Option<usize> {
        self.names(Count).position(|n| n == name)
    }

    /// Position of a text column among the texts.
    #[must_use]
    pub fn text_at(&self, name: &str) -> Option<usize> {
        self.names(Text).position(|n| n == name)
    }

    /// The file name for a range of dates: `imported_browsers_20230101_20240312.csv`.
    #[must_use]
    pub fn file_name(&self, first: chrono::NaiveDate, last: chrono::NaiveDate) -> String {
        format!(
            "{}_{}_{}.csv",
            self.name,
            first.format("%Y%m%d"),
            last.format("%Y%m%d")
        )
    }

    /// The table a file name names, with its dates, as Plausible's importer
    /// reads names: `[imported_]<table>_<YYYYMMDD>_<YYYYMMDD>.csv`.
    #[must_use]
    pub fn from_file_name(
        name: &str,
    ) -> Option<(&'static Self, chrono::NaiveDate, chrono::NaiveDate)> {
        let base = name.rsplit(['/', '\\']).next()?.strip_suffix(".csv")?;
        let (rest, last) = base.rsplit_once('_')?;
        let (table, first) = rest.rsplit_once('_')?;
        let date = |s: &str| {
            (s.len() == 8)
                .then(|| chrono::NaiveDate::parse_from_str(s, "%Y%m%d").ok())
                .flatten()
        };
        let t = TABLES
            .iter()
            .find(|t| t.name == table || t.name.strip_prefix("imported_") == Some(table))?;
        Some((t, date(first)?, date(last)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_plausibles() {
        let header = |code| {
            Table::of(code)
                .unwrap()
                .columns
                .iter()
                .map(|(n, _)| *n)
                .collect::<Vec<_>>()
                .join(",")
        };
        assert_eq!(
            header(VISITORS),
            "date,visitors,pageviews,bounces,visits,visit_duration"
        );
        assert_eq!(
            header(SOURCES),
            "date,source,referrer,utm_source,utm_medium,utm_campaign,utm_content,utm_term,pageviews,visitors,visits,visit_duration,bounces"
        );
        assert_eq!(
            header(EXIT_PAGES),
            "date,exit_page,visitors,visit_duration,exits,bounces,pageviews"
        );
        assert_eq!(
            header(LOCATION_TABLE),
            "date,country,region,city,visitors,visits,visit_duration,bounces,pageviews"
        );
        assert_eq!(
            header(DEVICE_TABLE),
            "date,device,visitors,visits,visit_duration,bounces,pageviews"
        );
        assert_eq!(
            header(BROWSER_TABLE),
            "date,browser,browser_version,visitors,visits,visit_duration,bounces,pageviews"
        );
        assert_eq!(
            header(OS_TABLE),
            "date,operating_system,operating_system_version,visitors,visits,visit_duration,bounces,pageviews"
        );
    }

    #[test]
    fn file_names_are_read_as_plausibles_importer_reads_them() {
        let d = |s| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let (t, a, b) = Table::from_file_name("imported_browsers_20230101_20240312.csv").unwrap();
        assert_eq!(
            (t.code, a, b),
            (BROWSER_TABLE, d("2023-01-01"), d("2024-03-12"))
        );
        let (t, ..) =
            Table::from_file_name("export/operating_systems_20230101_20230102.csv").unwrap();
        assert_eq!(t.code, OS_TABLE);
        assert_eq!(
            Table::of(ENTRY_PAGES)
                .unwrap()
                .file_name(d("2024-01-01"), d("2024-01-31")),
            "imported_entry_pages_20240101_20240131.csv"
        );
        for bad in [
            "imported_visitors.csv",
            "imported_nope_20230101_20230102.csv",
            "imported_visitors_2023011_20230102.csv",
            "imported_visitors_20231301_20230102.csv",
        ] {
            assert!(Table::from_file_name(bad).is_none(), "{bad}");
        }
    }
}
