//! Reports on the ClickHouse engine: each grouping of a query batch becomes
//! one SQL statement that ClickHouse runs (over a cluster, if it has one),
//! returning the same sums per group as the scan engine's
//! [`super::engine::scan`] — so metrics, labels, order and pages come out of
//! the same code for both engines.
//!
//! The statement follows the scan's rules level by level:
//! 1. per visit (`GROUP BY visit_id`): its attributes, entry and exit page,
//!    bounce and duration, its events as arrays in `seq` order (and the
//!    engagement pings, when asked for), its visitor through `visitor_aliases`;
//! 2. per event (`ARRAY JOIN`): the filter, and the scan's skips (a page
//!    grouping counts pageviews only unless the filter picks events by name;
//!    a property grouping skips events without the property);
//! 3. per group and visit: a visit counts once per group;
//! 4. per group and local day: distinct visitors (`uniqExact`), as the scan
//!    counts them per day;
//! 5. per group: sums over days.
//!
//! Filters are decided here, not in SQL text matching: for every value a
//! filtered dimension holds in the range, the same [`RawLeaf`] the scan uses
//! says yes or no, and the SQL compares raw ids with `IN` (or `NOT IN`, when
//! that list is shorter). Time buckets: ClickHouse groups by local hour, day,
//! week or month computed from the zone's UTC offsets over the range (passed
//! in as transitions), and each group's earliest visit start names its bucket
//! through [`time_bucket`], so bucket values are the scan's.

mod filter;
mod levels;
mod time;

use std::{collections::HashMap, fmt::Write as _};

use super::{
    Groups, StatsError,
    batch::Parts,
    query::{Dimension, Filter, Query},
    values::{Texts, time_bucket},
};
use crate::store::{
    ReadView, RollupSums,
    clickhouse::{ClickHouse, array_field, field},
};

/// Groups and totals of queries sharing one scope, computed by ClickHouse.
///
/// # Errors
/// [`StatsError::Invalid`] for a bad filter, else ClickHouse errors.
pub(super) fn parts(
    view: &ReadView,
    ch: &ClickHouse,
    qs: &[Query],
) -> Result<Vec<Parts>, StatsError> {
    let Some(q0) = qs.first() else {
        return Ok(Vec::new());
    };
    let empty = || Parts {
        groups: HashMap::new(),
        total: RollupSums::default(),
        used_rollups: false,
    };
    if q0.to_ms <= q0.from_ms {
        return Ok(qs.iter().map(|_| empty()).collect());
    }
    let texts = Texts::new(view);
    let mut prop_keys = HashMap::new();
    for d in qs.iter().flat_map(|q| &q.dimensions) {
        if let Dimension::Prop(k) = d
            && !prop_keys.contains_key(k)
        {
            prop_keys.insert(k.clone(), texts.id_of(k)?.unwrap_or(0));
        }
    }
    let scope = Scope {
        ch,
        q: q0,
        prop_keys,
        revenue: qs.iter().flat_map(|q| &q.metrics).any(|m| m.is_revenue()),
        engagement: qs
            .iter()
            .flat_map(|q| &q.metrics)
            .any(|m| m.is_engagement()),
        names_events: q0.filter.as_ref().is_some_and(Filter::names_events),
    };
    let filter = match &q0.filter {
        Some(f) => Some(scope.filter_sql(f, &texts)?),
        None => None,
    };
    let mut lists: Vec<Vec<Dimension>> = vec![Vec::new()];
    for q in qs {
        if !lists.contains(&q.dimensions) {
            lists.push(q.dimensions.clone());
        }
    }
    let maps = lists
        .iter()
        .map(|dims| scope.groups(dims, filter.as_deref()))
        .collect::<Result<Vec<_>, _>>()?;
    let total = maps[0].get(&[0; 4]).copied().unwrap_or_default();
    Ok(qs
        .iter()
        .map(|q| {
            let at = lists.iter().position(|l| *l == q.dimensions).unwrap_or(0);
            let groups = if q.dimensions.is_empty() {
                HashMap::from([([0; 4], total)])
            } else {
                maps[at].clone()
            };
            Parts {
                groups,
                total,
                used_rollups: false,
            }
        })
        .collect())
}

struct Scope<'a> {
    ch: &'a ClickHouse,
    q: &'a Query,
    /// Interned ids of the property keys the queries group by.
    prop_keys: HashMap<String, u32>,
    revenue: bool,
    engagement: bool,
    names_events: bool,
}

/// A visit attribute: (alias at the visit level, its aggregate over the visit's rows).
fn visit_attr(dim: &Dimension) -> Option<(String, String)> {
    let any = |c: &str| Some((format!("a_{c}"), format!("any({c})")));
    match dim {
        Dimension::EntryPage => Some((
            "a_entry".into(),
            "argMinIf(path, seq, kind = 0 AND pageview = 1)".into(),
        )),
        Dimension::ExitPage => Some((
            "a_exit".into(),
            "argMaxIf(path, seq, kind = 0 AND pageview = 1)".into(),
        )),
        Dimension::Hostname => any("hostname"),
        Dimension::Source => any("source"),
        Dimension::Referrer => any("referrer"),
        Dimension::Channel => any("channel"),
        Dimension::Utm(i) => any(UTM_COLUMNS.get(usize::from(*i))?),
        Dimension::ClickId => any("click"),
        Dimension::Device => any("device"),
        Dimension::Browser => any("browser"),
        Dimension::BrowserVersion => any("browser_version"),
        Dimension::Os => any("os"),
        Dimension::OsVersion => any("os_version"),
        Dimension::Country => any("country"),
        Dimension::Region => any("region"),
        Dimension::City => any("city"),
        _ => None,
    }
}

const UTM_COLUMNS: [&str; 6] = [
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "utm_id",
];

/// Event arrays: (array alias, element alias, column).
fn event_array(dim: &Dimension) -> Vec<(&'static str, &'static str, &'static str)> {
    match dim {
        Dimension::Page => vec![("e_path", "x_path", "path")],
        Dimension::Name => vec![("e_name", "x_name", "name")],
        Dimension::Prop(_) => vec![
            ("e_keys", "x_keys", "prop_keys"),
            ("e_vals", "x_vals", "prop_values"),
        ],
        Dimension::Currency => vec![("e_cur", "x_cur", "revenue_currency")],
        _ => Vec::new(),
    }
}

/// The raw value of a non-time dimension on an exploded event row, as the
/// scan's `event_raw`/`visit_raw` give it.
fn raw_expr(dim: &Dimension, prop_key: u32) -> String {
    match dim {
        Dimension::Page => "x_path".into(),
        Dimension::Name => "x_name".into(),
        Dimension::Prop(_) => format!("x_vals[indexOf(x_keys, {prop_key})]"),
        Dimension::Currency => "x_cur".into(),
        d => visit_attr(d).map_or_else(|| "0".into(), |(alias, _)| alias),
    }
}

/// The raw value of a dimension on a row of `events` (for the values a
/// filtered dimension holds in the range).
fn base_expr(dim: &Dimension, prop_key: u32) -> String {
    match dim {
        Dimension::Page | Dimension::EntryPage | Dimension::ExitPage => "path".into(),
        Dimension::Name => "name".into(),
        Dimension::Prop(_) => format!("prop_values[indexOf(prop_keys, {prop_key})]"),
        Dimension::Currency => "revenue_currency".into(),
        d => visit_attr(d).map_or_else(
            || "0".into(),
            |(alias, _)| alias.trim_start_matches("a_").to_owned(),
        ),
    }
}

fn collect_dims<'f>(f: &'f Filter, out: &mut Vec<&'f Dimension>) {
    match f {
        Filter::Leaf { dim, .. } => out.push(dim),
        Filter::And(v) | Filter::Or(v) => v.iter().for_each(|c| collect_dims(c, out)),
        Filter::Not(c) => collect_dims(c, out),
        // Decided by a subquery on the events table, not on these rows.
        Filter::HasDone(_) => {}
    }
}

fn list<T: std::fmt::Display>(v: &[T]) -> String {
    let mut s = String::new();
    for (i, x) in v.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        let _ = write!(s, "{x}");
    }
    s
}

impl Scope<'_> {
    fn range_sql(&self) -> String {
        format!(
            "site = {} AND visit_start_ms >= {} AND visit_start_ms < {}",
            self.q.site.0, self.q.from_ms, self.q.to_ms
        )
    }

    /// One grouping's sums.
    fn groups(&self, dims: &[Dimension], filter: Option<&str>) -> Result<Groups, StatsError> {
        let q = self.q;
        let mut filter_dims = Vec::new();
        if let Some(f) = &q.filter {
            collect_dims(f, &mut filter_dims);
        }
        let all_dims: Vec<&Dimension> = dims.iter().chain(filter_dims.iter().copied()).collect();
        // Level 1: per visit.
        let mut l1 = vec![
            "visit_id AS a_id".to_owned(),
            "any(visit_start_ms) AS a_vs".into(),
            "any(if(to_visitor = 0, visitor, to_visitor)) AS a_vis".into(),
            "countIf(kind = 0 AND interactive = 1) <= 1 AS a_bounce".into(),
            "maxIf(offset_ms, kind = 0) - argMinIf(offset_ms, seq, kind = 0) AS a_dur".into(),
        ];
        let mut arrays: Vec<(&str, &str, &str)> =
            vec![("e_seq", "x_seq", "seq"), ("e_pv", "x_pv", "pageview")];
        for d in &all_dims {
            if let Some((alias, agg)) = visit_attr(d) {
                let col = format!("{agg} AS {alias}");
                if !l1.contains(&col) {
                    l1.push(col);
                }
            }
            for a in event_array(d) {
                if !arrays.contains(&a) {
                    arrays.push(a);
                }
            }
        }
        // Visit-level groupings, filters and metrics need no events one by
        // one: a visit's counts are enough.
        let whole_visits = !self.revenue
            && !self.engagement
            && dims.iter().all(|d| !d.is_event_level())
            && q.filter.as_ref().is_none_or(|f| !f.has_event_leaf());
        let level5 = if whole_visits {
            self.visit_level_sql(dims, filter, l1)
        } else {
            self.event_level_sql(dims, filter, l1, arrays)
        };
        let mut out: Groups = HashMap::new();
        let n = dims.len();
        let tz = q.timezone;
        tracing::debug!(sql = %level5, "ClickHouse report query");
        self.ch.for_each_row::<StatsError>(&level5, |row| {
            let visits: u64 = field(row, n + 1)?;
            if visits == 0 {
                return Ok(());
            }
            let mn: u64 = field(row, n + 6)?;
            let mut key = [0u64; 4];
            for (i, d) in dims.iter().enumerate() {
                key[i] = if d.is_time() {
                    time_bucket(d, mn, tz)
                } else {
                    field(row, i)?
                };
            }
            let mut s = RollupSums {
                visitors: field(row, n)?,
                visits,
                bounces: field(row, n + 2)?,
                duration_ms: field(row, n + 3)?,
                events: field(row, n + 4)?,
                pageviews: field(row, n + 5)?,
                ..RollupSums::default()
            };
            let mut at = n + 7;
            if self.revenue {
                // `sumMap` leaves out keys whose sum is 0: the sums are
                // matched to the counts (never 0) by currency.
                let sum_keys = array_field::<u64>(row, at)?;
                let sums = array_field::<i64>(row, at + 1)?;
                let count_keys = array_field::<u64>(row, at + 2)?;
                let counts = array_field::<i64>(row, at + 3)?;
                for (c, e) in count_keys.iter().zip(&counts) {
                    let micros = sum_keys
                        .iter()
                        .position(|k| k == c)
                        .and_then(|i| sums.get(i))
                        .copied()
                        .unwrap_or(0);
                    let b = u32::try_from(*c).unwrap_or(0).to_be_bytes();
                    s.revenue.add(
                        [b[1], b[2], b[3]],
                        micros,
                        u32::try_from(*e).unwrap_or(u32::MAX),
                    );
                }
                at += 4;
            }
            if self.engagement {
                s.engaged_ms = field(row, at)?;
                s.engaged_views = field(row, at + 1)?;
                s.scroll_views = field(row, at + 2)?;
                s.scroll_sum = field(row, at + 3)?;
            }
            out.entry(key).or_default().add(&s);
            Ok(())
        })?;
        Ok(out)
    }

    fn prop_key_of(&self, d: &Dimension) -> u32 {
        match d {
            Dimension::Prop(k) => self.prop_keys.get(k).copied().unwrap_or(0),
            _ => 0,
        }
    }
}
