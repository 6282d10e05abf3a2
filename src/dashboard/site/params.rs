//! The overview's state, all in the URL so any view can be bookmarked or
//! shared: period (`period`, `from`, `to`), comparison (`compare`), the chart
//! metric (`metric`), filters (`f=key:value`, repeatable, combined with AND),
//! the tab of each panel and the property broken down (`prop`). Pure: parsed
//! from and written back to a query string.

use chrono::{Datelike, Days, Months, NaiveDate};

use crate::stats::query::{Dimension, Metric};

/// Longest custom range, about ten years (as the Stats API allows).
pub const MAX_RANGE_DAYS: i64 = 3660;

/// Periods offered by the picker.
pub const PERIODS: [(&str, &str); 7] = [
    ("day", "Today"),
    ("yesterday", "Yesterday"),
    ("7d", "Last 7 days"),
    ("30d", "Last 30 days"),
    ("month", "Month to date"),
    ("lastmonth", "Last month"),
    ("12mo", "Last 12 months"),
];

/// Metrics offered as KPI tiles (and chart metrics).
pub const KPI_METRICS: [(Metric, &str); 6] = [
    (Metric::Visitors, "Unique visitors"),
    (Metric::Visits, "Total visits"),
    (Metric::Pageviews, "Total pageviews"),
    (Metric::ViewsPerVisit, "Views per visit"),
    (Metric::BounceRate, "Bounce rate"),
    (Metric::VisitDuration, "Visit duration"),
];

/// The filter key of a goal, by its display name (`goal:Signup`,
/// `goal:Visit /pricing*`): not a dimension, resolved against the site's goals.
pub const GOAL_KEY: &str = "goal";

/// Filter keys that pick conversions: with one of them the overview shows
/// conversions (of a goal, or of a custom event by name) instead of traffic.
pub const CONVERSION_KEYS: [&str; 2] = [GOAL_KEY, "event"];

/// Chart metrics of the conversions view: unique and total conversions.
pub const CONVERSION_METRICS: [(Metric, &str); 2] = [
    (Metric::Visitors, "Unique conversions"),
    (Metric::Events, "Total conversions"),
];

/// Filter keys people can click, with the dimension each means.
pub const FILTER_KEYS: [(&str, &str); 19] = [
    ("source", "visit:source"),
    ("channel", "visit:channel"),
    ("referrer", "visit:referrer"),
    ("utm_source", "visit:utm_source"),
    ("utm_medium", "visit:utm_medium"),
    ("utm_campaign", "visit:utm_campaign"),
    ("utm_term", "visit:utm_term"),
    ("utm_content", "visit:utm_content"),
    ("page", "event:page"),
    ("entry_page", "visit:entry_page"),
    ("exit_page", "visit:exit_page"),
    ("country", "visit:country"),
    ("region", "visit:region"),
    ("city", "visit:city"),
    ("browser", "visit:browser"),
    ("os", "visit:os"),
    ("device", "visit:device"),
    ("hostname", "event:hostname"),
    ("event", "event:name"),
];

/// The panels and their tabs (URL key, tab keys with labels).
pub const PANELS: [(&str, &[(&str, &str)]); 4] = [
    (
        "sources",
        &[
            ("channel", "Channels"),
            ("source", "Sources"),
            ("utm_campaign", "Campaigns"),
            ("utm_medium", "Mediums"),
        ],
    ),
    (
        "pages",
        &[
            ("page", "Top pages"),
            ("entry_page", "Entry pages"),
            ("exit_page", "Exit pages"),
        ],
    ),
    (
        "locations",
        &[
            ("country", "Countries"),
            ("region", "Regions"),
            ("city", "Cities"),
        ],
    ),
    (
        "devices",
        &[
            ("browser", "Browsers"),
            ("os", "Operating systems"),
            ("device", "Devices"),
        ],
    ),
];

/// The parsed state of an overview URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewState {
    /// Period key (one of [`PERIODS`] or `custom`).
    pub period: String,
    /// Custom range start.
    pub from: Option<NaiveDate>,
    /// Custom range end.
    pub to: Option<NaiveDate>,
    /// Compare with the previous period.
    pub compare: bool,
    /// Chart metric name.
    pub metric: String,
    /// Filters as (key, value).
    pub filters: Vec<(String, String)>,
    /// Chosen tab per panel, as (panel, tab).
    pub tabs: Vec<(String, String)>,
    /// The custom property broken down, when one was chosen.
    pub prop: Option<String>,
    /// Add the site's imported statistics (on unless `imports=off`).
    pub imports: bool,
}

impl Default for ViewState {
    fn default() -> Self {
        Self {
            period: "30d".into(),
            from: None,
            to: None,
            compare: true,
            metric: "visitors".into(),
            filters: Vec::new(),
            tabs: Vec::new(),
            prop: None,
            imports: true,
        }
    }
}

/// Looks a filter key up.
#[must_use]
pub fn filter_dimension(key: &str) -> Option<Dimension> {
    FILTER_KEYS
        .iter()
        .find(|(k, _)| *k == key)
        .and_then(|(_, d)| Dimension::parse(d))
}

impl ViewState {
    /// Parses a query string; unknown or malformed values fall back to
    /// defaults, except a bad custom range, which is an error to show.
    ///
    /// # Errors
    /// A message for a malformed custom date or an inverted range.
    pub fn parse(query: &str) -> Result<Self, String> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap_or_default();
        let mut s = Self::default();
        for (k, v) in pairs {
            match k.as_str() {
                "period" if v == "custom" || PERIODS.iter().any(|(p, _)| *p == v) => s.period = v,
                "from" | "to" if !v.is_empty() => {
                    let d = NaiveDate::parse_from_str(&v, "%Y-%m-%d")
                        .map_err(|_| format!("{k} must be a date like 2024-03-15, not {v:?}"))?;
                    if k == "from" {
                        s.from = Some(d)
                    } else {
                        s.to = Some(d)
                    }
                }
                "compare" => s.compare = v != "off",
                "imports" => s.imports = v != "off",
                "metric"
                    if KPI_METRICS
                        .iter()
                        .chain(&CONVERSION_METRICS)
                        .any(|(m, _)| m.as_str() == v) =>
                {
                    s.metric = v;
                }
                "prop" if !v.is_empty() && v.len() <= 300 => s.prop = Some(v),
                "f" => {
                    if let Some((key, value)) = v.split_once(':')
                        && (key == GOAL_KEY || filter_dimension(key).is_some())
                        && !s.filters.iter().any(|(k2, v2)| k2 == key && v2 == value)
                    {
                        s.filters.push((key.to_owned(), value.to_owned()));
                    }
                }
                panel => {
                    if let Some((_, tabs)) = PANELS.iter().find(|(p, _)| *p == panel)
                        && tabs.iter().any(|(t, _)| *t == v)
                    {
                        s.tabs.retain(|(p, _)| p != panel);
                        s.tabs.push((panel.to_owned(), v));
                    }
                }
            }
        }
        if s.period == "custom" {
            let sane = |d: NaiveDate| (1970..=9999).contains(&d.year());
            match (s.from, s.to) {
                (Some(a), Some(b)) if !sane(a) || !sane(b) => {
                    return Err("custom dates must be between the years 1970 and 9999".into());
                }
                (Some(a), Some(b)) if (b - a).num_days() > MAX_RANGE_DAYS => {
                    return Err(format!(
                        "a custom range can span at most {MAX_RANGE_DAYS} days"
                    ));
                }
                (Some(a), Some(b)) if a <= b => {}
                (Some(_), Some(_)) => return Err("the custom range ends before it starts".into()),
                _ => return Err("a custom range needs both from and to dates".into()),
            }
        }
        Ok(s)
    }

    /// Writes the state back as a query string (defaults left out).
    #[must_use]
    pub fn to_query(&self) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        if self.period != "30d" {
            q.append_pair("period", &self.period);
        }
        if self.period == "custom" {
            for d in [self.from, self.to]
                .into_iter()
                .flatten()
                .zip(["from", "to"])
            {
                q.append_pair(d.1, &d.0.to_string());
            }
        }
        if !self.compare {
            q.append_pair("compare", "off");
        }
        if !self.imports {
            q.append_pair("imports", "off");
        }
        if self.metric != "visitors" {
            q.append_pair("metric", &self.metric);
        }
        for (k, v) in &self.filters {
            q.append_pair("f", &format!("{k}:{v}"));
        }
        for (p, t) in &self.tabs {
            q.append_pair(p, t);
        }
        if let Some(p) = &self.prop {
            q.append_pair("prop", p);
        }
        q.finish()
    }

    /// `?query` for a changed copy (or empty).
    #[must_use]
    pub fn href(&self, change: impl FnOnce(&mut Self)) -> String {
        let mut s = self.clone();
        change(&mut s);
        let q = s.to_query();
        if q.is_empty() {
            "?".into()
        } else {
            format!("?{q}")
        }
    }

    /// The chosen tab of a panel (its first tab by default).
    #[must_use]
    pub fn tab(&self, panel: &str) -> &str {
        self.tabs
            .iter()
            .find(|(p, _)| p == panel)
            .map(|(_, t)| t.as_str())
            .or_else(|| {
                PANELS
                    .iter()
                    .find(|(p, _)| *p == panel)
                    .map(|(_, t)| t[0].0)
            })
            .unwrap_or_default()
    }

    /// The chart metric: one of the KPI metrics, or of the conversion
    /// metrics when [`Self::converting`]; visitors when not offered.
    #[must_use]
    pub fn chart_metric(&self) -> Metric {
        let offered: &[(Metric, &str)] = if self.converting() {
            &CONVERSION_METRICS
        } else {
            &KPI_METRICS
        };
        offered
            .iter()
            .find(|(m, _)| m.as_str() == self.metric)
            .map_or(Metric::Visitors, |(m, _)| *m)
    }

    /// First and last local dates of the period, given today's local date.
    #[must_use]
    pub fn range(&self, today: NaiveDate) -> (NaiveDate, NaiveDate) {
        let back = |n: u64| today.checked_sub_days(Days::new(n)).unwrap_or(today);
        let month_start = today.with_day(1).unwrap_or(today);
        match self.period.as_str() {
            "day" => (today, today),
            "yesterday" => (back(1), back(1)),
            "7d" => (back(6), today),
            "month" => (month_start, today),
            "lastmonth" => {
                let start = month_start
                    .checked_sub_months(Months::new(1))
                    .unwrap_or(month_start);
                (start, month_start.pred_opt().unwrap_or(month_start))
            }
            "12mo" => (
                month_start
                    .checked_sub_months(Months::new(11))
                    .unwrap_or(month_start),
                today,
            ),
            "custom" => (self.from.unwrap_or(today), self.to.unwrap_or(today)),
            _ => (back(29), today),
        }
    }
}

/// The period of equal length just before `(first, last)`.
#[must_use]
pub fn previous(first: NaiveDate, last: NaiveDate) -> (NaiveDate, NaiveDate) {
    let days = u64::try_from((last - first).num_days()).unwrap_or(0) + 1;
    let end = first.pred_opt().unwrap_or(first);
    (
        end.checked_sub_days(Days::new(days - 1)).unwrap_or(end),
        end,
    )
}

#[path = "view_filters.rs"]
mod filters;

#[cfg(test)]
#[path = "params_tests.rs"]
mod tests;
