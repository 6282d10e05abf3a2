//! The statements of one grouping: over whole visits, or over events one by
//! one (exploded from each visit's arrays).

use super::{Scope, raw_expr};
use crate::stats::query::Dimension;

impl Scope<'_> {
    /// The grouping's keys: `expr AS k0`... and their names `k0`...
    fn key_columns(&self, dims: &[Dimension]) -> (Vec<String>, Vec<String>) {
        dims.iter()
            .enumerate()
            .map(|(i, d)| {
                let e = if d.is_time() {
                    self.time_key(d)
                } else {
                    raw_expr(d, self.prop_key_of(d))
                };
                (format!("{e} AS k{i}"), format!("k{i}"))
            })
            .unzip()
    }

    /// Level 1: the columns `l1` per visit of the range.
    fn per_visit_sql(&self, l1: &[String]) -> String {
        format!(
            "SELECT {} FROM {} WHERE {} GROUP BY visit_id",
            l1.join(", "),
            self.ch.events_from(self.q.site),
            self.range_sql()
        )
    }

    /// Levels 2 to 5 over events one by one (`ARRAY JOIN`), for event-level
    /// groupings, filters on events, revenue and engagement.
    pub(super) fn event_level_sql(
        &self,
        dims: &[Dimension],
        filter: Option<&str>,
        mut l1: Vec<String>,
        mut arrays: Vec<(&'static str, &'static str, &'static str)>,
    ) -> String {
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
        let level1 = self.per_visit_sql(&l1);
        // Level 2: per event.
        let (mut l2, key_names) = self.key_columns(dims);
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
            ", tupleElement(rs, 1), tupleElement(rs, 2), tupleElement(rc, 1), tupleElement(rc, 2)"
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
    pub(super) fn visit_level_sql(
        &self,
        dims: &[Dimension],
        filter: Option<&str>,
        mut l1: Vec<String>,
    ) -> String {
        l1.push("countIf(kind = 0) AS a_ev".into());
        l1.push("countIf(kind = 0 AND pageview = 1) AS a_pv".into());
        let level1 = self.per_visit_sql(&l1);
        let (mut keys, names) = self.key_columns(dims);
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
}
