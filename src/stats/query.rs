//! A stats query in Touchpoint's own terms, independent of the API that asked:
//! metrics, dimensions, filters, a resolved time range, order and pagination.

use std::fmt;

use crate::domain::{SiteId, Timezone, money::Money};

/// What to compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Metric {
    /// Distinct visitors (per day; see the README on exactness).
    Visitors,
    /// Visits.
    Visits,
    /// Pageviews.
    Pageviews,
    /// Pageviews per visit, 2 decimals.
    ViewsPerVisit,
    /// Percentage of visits with one interactive event, rounded.
    BounceRate,
    /// Mean visit length in seconds, rounded.
    VisitDuration,
    /// Events of every kind.
    Events,
    /// Share of the total visitors, with a dimension.
    Percentage,
    /// Sum of the revenue of matching events (one currency).
    TotalRevenue,
    /// Mean revenue per event that carried revenue.
    AverageRevenue,
    /// Mean seconds a page was visible per pageview with engagement data
    /// (needs `event:page` as a dimension or filter).
    TimeOnPage,
    /// Mean deepest scroll, percent, per pageview that reported it (needs
    /// `event:page` as a dimension or filter).
    ScrollDepth,
}

impl Metric {
    /// Parses Plausible's metric name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "visitors" => Self::Visitors,
            "visits" => Self::Visits,
            "pageviews" => Self::Pageviews,
            "views_per_visit" => Self::ViewsPerVisit,
            "bounce_rate" => Self::BounceRate,
            "visit_duration" => Self::VisitDuration,
            "events" => Self::Events,
            "percentage" => Self::Percentage,
            "total_revenue" => Self::TotalRevenue,
            "average_revenue" => Self::AverageRevenue,
            "time_on_page" => Self::TimeOnPage,
            "scroll_depth" => Self::ScrollDepth,
            _ => return None,
        })
    }

    /// Plausible's name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Visitors => "visitors",
            Self::Visits => "visits",
            Self::Pageviews => "pageviews",
            Self::ViewsPerVisit => "views_per_visit",
            Self::BounceRate => "bounce_rate",
            Self::VisitDuration => "visit_duration",
            Self::Events => "events",
            Self::Percentage => "percentage",
            Self::TotalRevenue => "total_revenue",
            Self::AverageRevenue => "average_revenue",
            Self::TimeOnPage => "time_on_page",
            Self::ScrollDepth => "scroll_depth",
        }
    }

    /// Revenue metrics: they come with a currency.
    #[must_use]
    pub fn is_revenue(self) -> bool {
        matches!(self, Self::TotalRevenue | Self::AverageRevenue)
    }

    /// Engagement metrics: about pages, so they need `event:page`.
    #[must_use]
    pub fn is_engagement(self) -> bool {
        matches!(self, Self::TimeOnPage | Self::ScrollDepth)
    }

    /// Computed from visits, never from rollups (which don't keep these sums).
    #[must_use]
    pub fn needs_scan(self) -> bool {
        self.is_revenue() || self.is_engagement()
    }
}

/// What to group or filter by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Dimension {
    /// `event:page`
    Page,
    /// `event:name`
    Name,
    /// `event:hostname`
    Hostname,
    /// `event:props:KEY`
    Prop(String),
    /// `visit:entry_page`
    EntryPage,
    /// `visit:exit_page`
    ExitPage,
    /// `visit:source`
    Source,
    /// `visit:referrer`
    Referrer,
    /// `visit:channel`
    Channel,
    /// `visit:utm_*`, index into `SessionRecord::utm` (source, medium, campaign, term, content).
    Utm(u8),
    /// `visit:click_id` — the kind of ad click id (Touchpoint extension).
    ClickId,
    /// `visit:device`
    Device,
    /// `visit:browser`
    Browser,
    /// `visit:browser_version`
    BrowserVersion,
    /// `visit:os`
    Os,
    /// `visit:os_version`
    OsVersion,
    /// `visit:country`
    Country,
    /// `visit:region`
    Region,
    /// `visit:city`
    City,
    /// `event:currency` — the currency of an event's revenue (Touchpoint extension).
    Currency,
    /// `time:hour`
    Hour,
    /// `time:day`
    Day,
    /// `time:week` (weeks start on Monday)
    Week,
    /// `time:month`
    Month,
}

const UTM: [&str; 5] = [
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
];

impl Dimension {
    /// Parses Plausible's dimension name (`event:page`, `visit:utm_source`, `time:day`...).
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        if let Some(k) = s.strip_prefix("event:props:") {
            // Keys were normalised when stored: compare like with like.
            let k = crate::domain::text::filter_value(crate::domain::text::Field::PropKey, k);
            return (!k.is_empty()).then_some(Self::Prop(k));
        }
        if let Some(u) = s.strip_prefix("visit:")
            && let Some(i) = UTM.iter().position(|x| *x == u)
        {
            return Some(Self::Utm(u8::try_from(i).ok()?));
        }
        Some(match s {
            "event:page" => Self::Page,
            "event:name" | "event:goal" => Self::Name,
            // A visit has one hostname (its first event's), so its entry and
            // exit pages' hostnames are that one.
            "event:hostname" | "visit:entry_page_hostname" | "visit:exit_page_hostname" => {
                Self::Hostname
            }
            "visit:entry_page" => Self::EntryPage,
            "visit:exit_page" => Self::ExitPage,
            "visit:source" => Self::Source,
            "visit:referrer" => Self::Referrer,
            "visit:channel" => Self::Channel,
            "visit:click_id" => Self::ClickId,
            "event:currency" => Self::Currency,
            // Plausible's older name of the device class.
            "visit:device" | "visit:screen" => Self::Device,
            "visit:browser" => Self::Browser,
            "visit:browser_version" => Self::BrowserVersion,
            "visit:os" => Self::Os,
            "visit:os_version" => Self::OsVersion,
            // Codes only: Plausible's `*_name` variants are not offered, rather
            // than answering them with codes under a name key.
            "visit:country" => Self::Country,
            "visit:region" => Self::Region,
            "visit:city" => Self::City,
            "time:hour" => Self::Hour,
            "time:day" | "time" => Self::Day,
            "time:week" => Self::Week,
            "time:month" => Self::Month,
            _ => return None,
        })
    }

    /// True for dimensions of an event rather than a visit.
    #[must_use]
    pub fn is_event_level(&self) -> bool {
        matches!(
            self,
            Self::Page | Self::Name | Self::Hostname | Self::Prop(_) | Self::Currency
        )
    }

    /// True for time buckets.
    #[must_use]
    pub fn is_time(&self) -> bool {
        matches!(self, Self::Hour | Self::Day | Self::Week | Self::Month)
    }
}

impl fmt::Display for Dimension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Prop(k) => write!(f, "event:props:{k}"),
            Self::Utm(i) => write!(f, "visit:{}", UTM[usize::from(*i)]),
            other => f.write_str(match other {
                Self::Page => "event:page",
                Self::Name => "event:name",
                Self::Hostname => "event:hostname",
                Self::EntryPage => "visit:entry_page",
                Self::ExitPage => "visit:exit_page",
                Self::Source => "visit:source",
                Self::Referrer => "visit:referrer",
                Self::Channel => "visit:channel",
                Self::ClickId => "visit:click_id",
                Self::Currency => "event:currency",
                Self::Device => "visit:device",
                Self::Browser => "visit:browser",
                Self::BrowserVersion => "visit:browser_version",
                Self::Os => "visit:os",
                Self::OsVersion => "visit:os_version",
                Self::Country => "visit:country",
                Self::Region => "visit:region",
                Self::City => "visit:city",
                Self::Hour => "time:hour",
                Self::Day => "time:day",
                Self::Week => "time:week",
                _ => "time:month",
            }),
        }
    }
}

/// A filter comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Equal to any value.
    Is,
    /// Equal to none.
    IsNot,
    /// Contains any value.
    Contains,
    /// Contains none.
    ContainsNot,
    /// Matches any regex.
    Matches,
    /// Matches none.
    MatchesNot,
}

/// A filter tree.
#[derive(Debug, Clone)]
pub enum Filter {
    /// One comparison.
    Leaf {
        /// Comparison.
        op: Op,
        /// What is compared.
        dim: Dimension,
        /// Candidates.
        values: Vec<String>,
        /// `contains`/`is` case sensitivity (regexes carry their own flags).
        case_sensitive: bool,
    },
    /// All must hold.
    And(Vec<Filter>),
    /// Any must hold.
    Or(Vec<Filter>),
    /// Must not hold.
    Not(Box<Filter>),
    /// Plausible's behavioural `has_done`: the visit has an event (in the
    /// range) for which the inner filter, of event dimensions only, holds.
    /// `has_not_done` is its `Not`.
    HasDone(Box<Filter>),
}

impl Filter {
    /// True if evaluating needs a visit's events (event-level leaves, or entry
    /// and exit pages, which are derived from events).
    #[must_use]
    pub fn needs_events(&self) -> bool {
        match self {
            Self::Leaf { dim, .. } => {
                dim.is_event_level() || matches!(dim, Dimension::EntryPage | Dimension::ExitPage)
            }
            Self::And(v) | Self::Or(v) => v.iter().any(Self::needs_events),
            Self::Not(f) => f.needs_events(),
            Self::HasDone(_) => true,
        }
    }

    /// True if any leaf compares `dim`.
    #[must_use]
    pub fn mentions(&self, dim: &Dimension) -> bool {
        match self {
            Self::Leaf { dim: d, .. } => d == dim,
            Self::And(v) | Self::Or(v) => v.iter().any(|f| f.mentions(dim)),
            Self::Not(f) | Self::HasDone(f) => f.mentions(dim),
        }
    }

    /// True if some leaf picks events by name, so the events it picks count
    /// in a page breakdown where they happened (a behavioural filter picks
    /// visits, not events).
    #[must_use]
    pub fn names_events(&self) -> bool {
        match self {
            Self::Leaf { dim, .. } => *dim == Dimension::Name,
            Self::And(v) | Self::Or(v) => v.iter().any(Self::names_events),
            Self::Not(f) => f.names_events(),
            Self::HasDone(_) => false,
        }
    }

    /// True if any leaf compares an event-level dimension.
    #[must_use]
    pub fn has_event_leaf(&self) -> bool {
        match self {
            Self::Leaf { dim, .. } => dim.is_event_level(),
            Self::And(v) | Self::Or(v) => v.iter().any(Self::has_event_leaf),
            Self::Not(f) => f.has_event_leaf(),
            // Decided per visit.
            Self::HasDone(_) => false,
        }
    }
}

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Smallest first.
    Asc,
    /// Largest first.
    Desc,
}

/// What to sort by.
#[derive(Debug, Clone, PartialEq)]
pub enum OrderKey {
    /// A metric.
    Metric(Metric),
    /// A dimension (by its value).
    Dimension(Dimension),
}

/// A fully resolved query.
#[derive(Debug, Clone)]
pub struct Query {
    /// Site.
    pub site: SiteId,
    /// Its zone: days and hours are local to it.
    pub timezone: Timezone,
    /// Visits starting at or after this unix ms...
    pub from_ms: u64,
    /// ...and before this one.
    pub to_ms: u64,
    /// Metrics in output order.
    pub metrics: Vec<Metric>,
    /// Dimensions in output order (at most [`MAX_DIMENSIONS`]).
    pub dimensions: Vec<Dimension>,
    /// Optional filter.
    pub filter: Option<Filter>,
    /// Sort keys.
    pub order_by: Vec<(OrderKey, Direction)>,
    /// Page size.
    pub limit: usize,
    /// Rows skipped.
    pub offset: usize,
    /// How revenue metrics are shown (the site's reporting currency and rates).
    pub money: Money,
}

/// Most dimensions in one query.
pub const MAX_DIMENSIONS: usize = 4;
