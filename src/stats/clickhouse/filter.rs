//! Filters as SQL: each leaf decided by the scan's own rules over the values
//! the range holds, sent as lists of ids.

use std::collections::HashMap;

use super::{Scope, base_expr, list, raw_expr};
use crate::{
    stats::{
        StatsError,
        filter::RawLeaf,
        query::{Dimension, Filter},
        values::Texts,
    },
    store::clickhouse::{ClickHouseError, array_field},
};

impl Scope<'_> {
    /// The filter as a condition on exploded event rows.
    pub(super) fn filter_sql(&self, f: &Filter, texts: &Texts<'_>) -> Result<String, StatsError> {
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
                    let mut v = array_field::<u64>(row, i)?;
                    v.push(0);
                    v.sort_unstable();
                    v.dedup();
                    held.insert(e.clone(), v);
                }
                Ok(())
            })?;
        }
        let mut leaves = leaves.into_iter();
        self.node_sql(f, &mut leaves, &held, false)
    }

    pub(super) fn node_sql<'t>(
        &self,
        f: &Filter,
        leaves: &mut std::vec::IntoIter<(&Dimension, RawLeaf<'t>)>,
        held: &HashMap<String, Vec<u64>>,
        base: bool,
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
                // On exploded rows, or (inside `has_done`) on rows of `events`.
                let e = if base {
                    base_expr(dim, leaf.prop_key())
                } else {
                    raw_expr(dim, leaf.prop_key())
                };
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
                    .map(|c| self.node_sql(c, leaves, held, base))
                    .collect::<Result<Vec<_>, _>>()?;
                format!("({})", parts.join(op))
            }
            Filter::Not(c) => format!("NOT ({})", self.node_sql(c, leaves, held, base)?),
            Filter::HasDone(c) => format!(
                "a_id IN (SELECT visit_id FROM {}.events WHERE {} AND kind = 0 AND {})",
                self.ch.db(),
                self.range_sql(),
                self.node_sql(c, leaves, held, true)?
            ),
        })
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
        Filter::Not(c) | Filter::HasDone(c) => collect_leaves(c, texts, out)?,
    }
    Ok(())
}
