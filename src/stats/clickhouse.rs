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

use std::{collections::HashMap, fmt::Write as _};

use chrono::Offset;

use super::{
    Groups, StatsError,
    batch::Parts,
    filter::RawLeaf,
    query::{Dimension, Filter, Query},
    values::{Texts, time_bucket},
};
use crate::{
    domain::{Timezone, calendar::local_datetime},
    store::{
        ReadView, RollupSums,
        clickhouse::{ClickHouse, ClickHouseError, field},
    },
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
        names_events: q0
            .filter
            .as_ref()
            .is_some_and(|f| f.mentions(&Dimension::Name)),
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

    /// The filter as a condition on exploded event rows.
    fn filter_sql(&self, f: &Filter, texts: &Texts<'_>) -> Result<String, StatsError> {
        // The values each filtered dimension holds in the range, one query.
        let mut exprs: Vec<String> = Vec::new();
        let mut leaves = Vec::new();
        collect_leaves(f, texts, &mut leaves)?;
        for (dim, leaf) in &leaves {
            let e = base_expr(dim, leaf.prop_key());
            if !exprs.contains(&e) {
                exprs.push(e);
            }
        }
        let mut held: HashMap<String, Vec<u64>> = HashMap::new();
        if !exprs.is_empty() {
            let select: Vec<String> = exprs
                .iter()
                .map(|e| format!("arraySort(groupUniqArray(toUInt64({e})))"))
                .collect();
            let sql = format!(
                "SELECT {} FROM {}.events WHERE {} AND kind = 0",
                select.join(", "),
                self.ch.db(),
                self.range_sql()
            );
            self.ch.for_each_row::<ClickHouseError>(&sql, |row| {
                for (i, e) in exprs.iter().enumerate() {
                    let mut v = u64_array(row, i)?;
                    v.push(0);
                    v.sort_unstable();
                    v.dedup();
                    held.insert(e.clone(), v);
                }
                Ok(())
            })?;
        }
        let mut leaves = leaves.into_iter();
        self.node_sql(f, &mut leaves, &held)
    }

    fn node_sql<'t>(
        &self,
        f: &Filter,
        leaves: &mut std::vec::IntoIter<(&Dimension, RawLeaf<'t>)>,
        held: &HashMap<String, Vec<u64>>,
    ) -> Result<String, StatsError> {
        Ok(match f {
            Filter::Leaf { .. } => {
                let Some((dim, leaf)) = leaves.next() else {
                    return Err(StatsError::Invalid("filter leaves out of step".into()));
                };
                let values = held
                    .get(&base_expr(dim, leaf.prop_key()))
                    .cloned()
                    .unwrap_or_else(|| vec![0]);
                let (mut yes, mut no) = (Vec::new(), Vec::new());
                for v in values {
                    if leaf.accepts(v)? {
                        yes.push(v);
                    } else {
                        no.push(v);
                    }
                }
                let e = raw_expr(dim, leaf.prop_key());
                if yes.is_empty() {
                    "0".into()
                } else if no.is_empty() {
                    "1".into()
                } else if yes.len() <= no.len() {
                    format!("{e} IN ({})", list(&yes))
                } else {
                    format!("{e} NOT IN ({})", list(&no))
                }
            }
            Filter::And(v) if v.is_empty() => "1".into(),
            Filter::Or(v) if v.is_empty() => "0".into(),
            Filter::And(v) | Filter::Or(v) => {
                let op = if matches!(f, Filter::And(_)) {
                    " AND "
                } else {
                    " OR "
                };
                let parts = v
                    .iter()
                    .map(|c| self.node_sql(c, leaves, held))
                    .collect::<Result<Vec<_>, _>>()?;
                format!("({})", parts.join(op))
            }
            Filter::Not(c) => format!("NOT ({})", self.node_sql(c, leaves, held)?),
        })
    }

    /// The zone's UTC offset at `a_vs`, in ms, from its changes over the range.
    fn offset_sql(&self) -> String {
        let steps = offsets(self.q.timezone, self.q.from_ms, self.q.to_ms);
        let last = steps.last().map_or(0, |(_, o)| *o);
        if steps.len() <= 1 {
            return format!("toInt64({last})");
        }
        let mut s = String::from("multiIf(");
        for w in steps.windows(2) {
            let _ = write!(s, "a_vs < {}, toInt64({}), ", w[1].0, w[0].1);
        }
        let _ = write!(s, "toInt64({last}))");
        s
    }

    fn time_key(&self, dim: &Dimension) -> String {
        let off = self.offset_sql();
        let local = format!("(toInt64(a_vs) + {off})");
        match dim {
            // A local hour at one offset: a repeated hour is two keys.
            Dimension::Hour => {
                format!("intDiv({local}, 3600000) * 4096 + intDiv({off} + 86400000, 900000)")
            }
            Dimension::Week => format!("intDiv(intDiv({local}, 86400000) + 3, 7)"),
            Dimension::Month => format!("toYYYYMM(toDateTime(intDiv({local}, 1000), 'UTC'))"),
            _ => format!("intDiv({local}, 86400000)"),
        }
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
                let cur = u64_array(row, at)?;
                let sums = i64_array(row, at + 1)?;
                let counts = i64_array(row, at + 2)?;
                for ((c, m), e) in cur.iter().zip(&sums).zip(&counts) {
                    let b = u32::try_from(*c).unwrap_or(0).to_be_bytes();
                    s.revenue.add(
                        [b[1], b[2], b[3]],
                        *m,
                        u32::try_from(*e).unwrap_or(u32::MAX),
                    );
                }
                at += 3;
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

    /// Levels 2 to 5 over events one by one (`ARRAY JOIN`), for event-level
    /// groupings, filters on events, revenue and engagement.
    fn event_level_sql(
        &self,
        dims: &[Dimension],
        filter: Option<&str>,
        mut l1: Vec<String>,
        mut arrays: Vec<(&'static str, &'static str, &'static str)>,
    ) -> String {
        let q = self.q;
        if self.revenue {
            for a in [
                ("e_cur", "x_cur", "revenue_currency"),
                ("e_rev", "x_rev", "revenue_micros"),
            ] {
                if !arrays.contains(&a) {
                    arrays.push(a);
                }
            }
        }
        for (arr, _, col) in &arrays {
            if *col == "seq" {
                l1.push(format!("arraySort(groupArrayIf(seq, kind = 0)) AS {arr}"));
            } else {
                l1.push(format!(
                    "arraySort((x, s) -> s, groupArrayIf({col}, kind = 0), groupArrayIf(seq, kind = 0)) AS {arr}"
                ));
            }
        }
        if self.engagement {
            l1.push("groupArrayIf(seq, kind = 1) AS g_seq".into());
            l1.push("groupArrayIf(engaged_ms, kind = 1) AS g_ms".into());
            l1.push("groupArrayIf(scroll, kind = 1) AS g_sc".into());
        }
        let level1 = format!(
            "SELECT {} FROM {} WHERE {} GROUP BY visit_id",
            l1.join(", "),
            self.ch.events_from(q.site),
            self.range_sql()
        );
        // Level 2: per event.
        let keys: Vec<String> = dims
            .iter()
            .map(|d| {
                if d.is_time() {
                    self.time_key(d)
                } else {
                    raw_expr(d, self.prop_key_of(d))
                }
            })
            .collect();
        let key_names: Vec<String> = (0..dims.len()).map(|i| format!("k{i}")).collect();
        let mut l2: Vec<String> = keys
            .iter()
            .zip(&key_names)
            .map(|(e, n)| format!("{e} AS {n}"))
            .collect();
        l2.push(format!(
            "intDiv(toInt64(a_vs) + {}, 86400000) AS d",
            self.offset_sql()
        ));
        l2.extend(
            ["a_id", "a_vis", "a_bounce", "a_dur", "a_vs", "x_pv"]
                .iter()
                .map(|s| (*s).to_owned()),
        );
        if self.revenue {
            l2.push("x_cur".into());
            l2.push("x_rev".into());
        }
        if self.engagement {
            let same = "arrayResize([x_seq], length(g_seq), x_seq)";
            l2.push(format!(
                "arraySum(arrayMap((s, m, t) -> if(s = t, toUInt64(m), toUInt64(0)), g_seq, g_ms, {same})) AS x_em"
            ));
            l2.push(format!(
                "arrayCount((s, t) -> s = t, g_seq, {same}) AS x_en"
            ));
            l2.push(format!(
                "if(x_en = 0, -1, arrayReduce('max', arrayMap((s, c, t) -> if(s = t, toInt32(c), -1), g_seq, g_sc, {same}))) AS x_sc"
            ));
        }
        let joins: Vec<String> = arrays
            .iter()
            .map(|(arr, el, _)| format!("{arr} AS {el}"))
            .collect();
        let mut conds: Vec<String> = Vec::new();
        if let Some(f) = filter {
            conds.push(f.to_owned());
        }
        if dims.contains(&Dimension::Page) && !self.names_events {
            conds.push("x_pv = 1".into());
        }
        for d in dims {
            if matches!(d, Dimension::Prop(_)) {
                conds.push(format!("{} != 0", raw_expr(d, self.prop_key_of(d))));
            }
        }
        let level2 = format!(
            "SELECT {} FROM ({level1}) ARRAY JOIN {}{}",
            l2.join(", "),
            joins.join(", "),
            if conds.is_empty() {
                String::new()
            } else {
                format!(" WHERE {}", conds.join(" AND "))
            }
        );
        // Levels 3 to 5.
        let k = key_names.join(", ");
        let kc = if k.is_empty() {
            String::new()
        } else {
            format!("{k}, ")
        };
        let rev3 = if self.revenue {
            ", sumMap(if(x_cur != 0, [x_cur], emptyArrayUInt32()), if(x_cur != 0, [x_rev], emptyArrayInt64())) AS rs, \
             sumMap(if(x_cur != 0, [x_cur], emptyArrayUInt32()), if(x_cur != 0, [toInt64(1)], emptyArrayInt64())) AS rc"
        } else {
            ""
        };
        let rev45 = if self.revenue {
            ", sumMap(tupleElement(rs, 1), tupleElement(rs, 2)) AS rs, sumMap(tupleElement(rc, 1), tupleElement(rc, 2)) AS rc"
        } else {
            ""
        };
        let eng3 = if self.engagement {
            ", sum(x_em) AS em, sum(x_en > 0) AS en, sum(x_sc >= 0) AS sv, sum(if(x_sc >= 0, x_sc, 0)) AS ss"
        } else {
            ""
        };
        let eng45 = if self.engagement {
            ", sum(em) AS em, sum(en) AS en, sum(sv) AS sv, sum(ss) AS ss"
        } else {
            ""
        };
        let level3 = format!(
            "SELECT {kc}d, any(a_vis) AS vis, any(a_bounce) AS b, any(a_dur) AS du, count() AS ev, \
             sum(x_pv) AS pv, min(a_vs) AS mn{rev3}{eng3} FROM ({level2}) GROUP BY {kc}d, a_id"
        );
        let level4 = format!(
            "SELECT {kc}uniqExact(vis) AS v, count() AS n, sum(b) AS b, sum(du) AS du, sum(ev) AS ev, \
             sum(pv) AS pv, min(mn) AS mn{rev45}{eng45} FROM ({level3}) GROUP BY {kc}d"
        );
        let out_rev = if self.revenue {
            ", tupleElement(rs, 1), tupleElement(rs, 2), tupleElement(rc, 2)"
        } else {
            ""
        };
        let out_eng = if self.engagement {
            ", em, en, sv, ss"
        } else {
            ""
        };
        let level5 = format!(
            "SELECT {kc}v, n, b, du, ev, pv, mn{out_rev}{out_eng} FROM (\
             SELECT {kc}sum(v) AS v, sum(n) AS n, sum(b) AS b, sum(du) AS du, sum(ev) AS ev, \
             sum(pv) AS pv, min(mn) AS mn{rev45}{eng45} FROM ({level4}){})",
            if k.is_empty() {
                String::new()
            } else {
                format!(" GROUP BY {k}")
            }
        );
        level5
    }

    /// The statement for groupings, filters and metrics of whole visits:
    /// per visit, then per group and local day, then per group.
    fn visit_level_sql(
        &self,
        dims: &[Dimension],
        filter: Option<&str>,
        mut l1: Vec<String>,
    ) -> String {
        let q = self.q;
        l1.push("countIf(kind = 0) AS a_ev".into());
        l1.push("countIf(kind = 0 AND pageview = 1) AS a_pv".into());
        let level1 = format!(
            "SELECT {} FROM {} WHERE {} GROUP BY visit_id",
            l1.join(", "),
            self.ch.events_from(q.site),
            self.range_sql()
        );
        let mut keys: Vec<String> = dims
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let e = if d.is_time() {
                    self.time_key(d)
                } else {
                    raw_expr(d, 0)
                };
                format!("{e} AS k{i}")
            })
            .collect();
        let names: Vec<String> = (0..dims.len()).map(|i| format!("k{i}")).collect();
        let k = names.join(", ");
        let kc = if k.is_empty() {
            String::new()
        } else {
            format!("{k}, ")
        };
        keys.push(format!(
            "intDiv(toInt64(a_vs) + {}, 86400000) AS d",
            self.offset_sql()
        ));
        let level4 = format!(
            "SELECT {}, uniqExact(a_vis) AS v, count() AS n, sum(a_bounce) AS b, sum(a_dur) AS du, \
             sum(a_ev) AS ev, sum(a_pv) AS pv, min(a_vs) AS mn FROM ({level1}){} GROUP BY {kc}d",
            keys.join(", "),
            filter.map_or_else(String::new, |f| format!(" WHERE {f}"))
        );
        format!(
            "SELECT {kc}v, n, b, du, ev, pv, mn FROM (\
             SELECT {kc}sum(v) AS v, sum(n) AS n, sum(b) AS b, sum(du) AS du, sum(ev) AS ev, \
             sum(pv) AS pv, min(mn) AS mn FROM ({level4}){})",
            if k.is_empty() {
                String::new()
            } else {
                format!(" GROUP BY {k}")
            }
        )
    }

    fn prop_key_of(&self, d: &Dimension) -> u32 {
        match d {
            Dimension::Prop(k) => self.prop_keys.get(k).copied().unwrap_or(0),
            _ => 0,
        }
    }
}

fn collect_leaves<'f, 't>(
    f: &'f Filter,
    texts: &'t Texts<'t>,
    out: &mut Vec<(&'f Dimension, RawLeaf<'t>)>,
) -> Result<(), StatsError> {
    match f {
        Filter::Leaf { dim, .. } => {
            let leaf = RawLeaf::new(f, texts)
                .map_err(|e| StatsError::Invalid(e.0))?
                .ok_or_else(|| StatsError::Invalid("not a leaf".into()))?;
            out.push((dim, leaf));
        }
        Filter::And(v) | Filter::Or(v) => {
            for c in v {
                collect_leaves(c, texts, out)?;
            }
        }
        Filter::Not(c) => collect_leaves(c, texts, out)?,
    }
    Ok(())
}

fn u64_array(row: &[&str], i: usize) -> Result<Vec<u64>, ClickHouseError> {
    parse_array(row, i)
}

fn i64_array(row: &[&str], i: usize) -> Result<Vec<i64>, ClickHouseError> {
    parse_array(row, i)
}

fn parse_array<T: std::str::FromStr>(row: &[&str], i: usize) -> Result<Vec<T>, ClickHouseError> {
    let bad = || ClickHouseError::Decode(format!("array field {i} of {row:?}"));
    let s = row.get(i).ok_or_else(bad)?;
    let inner = s
        .strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .ok_or_else(bad)?;
    if inner.is_empty() {
        return Ok(Vec::new());
    }
    inner
        .split(',')
        .map(|v| v.parse().map_err(|_| bad()))
        .collect()
}

/// The zone's UTC offset (ms) from `from_ms`, and each change of it before
/// `to_ms`: `[(from_ms, offset), (change_at, new_offset)...]`.
fn offsets(tz: Timezone, from_ms: u64, to_ms: u64) -> Vec<(u64, i64)> {
    let off = |t: u64| i64::from(local_datetime(t, tz).offset().fix().local_minus_utc()) * 1000;
    let mut out = vec![(from_ms, off(from_ms))];
    // Offsets change at most a few times a year: step six hours, then find
    // the exact millisecond of a change by bisection.
    const STEP: u64 = 6 * 3_600_000;
    let mut t = from_ms;
    while t < to_ms {
        let next = (t + STEP).min(to_ms);
        let (a, b) = (off(t), off(next));
        if a != b {
            let (mut lo, mut hi) = (t, next);
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if off(mid) == a {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            out.push((hi, b));
        }
        t = next;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_find_each_change_to_the_millisecond() {
        let berlin = Timezone::parse("Europe/Berlin").unwrap();
        // 2024: CET → CEST on 31 March 01:00 UTC, back on 27 October 01:00 UTC.
        let from = 1_704_067_200_000; // 2024-01-01
        let to = 1_735_689_600_000; // 2025-01-01
        assert_eq!(
            offsets(berlin, from, to),
            vec![
                (from, 3_600_000),
                (1_711_846_800_000, 7_200_000),
                (1_729_990_800_000, 3_600_000)
            ]
        );
        let utc = Timezone::parse("UTC").unwrap();
        assert_eq!(offsets(utc, from, to), vec![(from, 0)]);
    }
}
