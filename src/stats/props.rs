//! Which custom property keys the events of a query carry, so a report can
//! offer them before breaking one down with `event:props:KEY`.

use std::{collections::HashMap, ops::ControlFlow};

use super::{StatsError, filter::Compiled, query::Query, values::Texts};
use crate::store::{ReadView, StoreError, record::SessionRecord};

/// Property keys of the events that `q`'s filter matches among the visits
/// that started in its range, as (key, events carrying it), most events
/// first then by key; at most `limit`. With an event-level filter only the
/// matching events count; with a visit-level one, every event of a matching
/// visit. `q`'s metrics, dimensions and order are ignored.
///
/// # Errors
/// [`StatsError::Invalid`] for a filter that doesn't compile (a bad regex),
/// else storage errors or a corrupt visit.
pub fn keys(view: &ReadView, q: &Query, limit: usize) -> Result<Vec<(String, u64)>, StatsError> {
    let _slot = super::gate::enter(view);
    let texts = Texts::new(view);
    let filter = q
        .filter
        .as_ref()
        .map(|f| Compiled::new(f, &texts))
        .transpose()
        .map_err(|e| StatsError::Invalid(e.0))?;
    let mut counts: HashMap<u32, u64> = HashMap::new();
    view.for_each_visit(q.site, q.from_ms, q.to_ms, |_, rec| {
        match count(rec, filter.as_ref(), &mut counts) {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => ControlFlow::Break(e),
        }
    })?;
    let mut out = counts
        .into_iter()
        .map(|(k, n)| Ok((texts.string(k)?, n)))
        .collect::<Result<Vec<_>, StoreError>>()?;
    out.retain(|(k, _)| !k.is_empty());
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out.truncate(limit);
    Ok(out)
}

fn count(
    rec: &SessionRecord,
    filter: Option<&Compiled<'_>>,
    counts: &mut HashMap<u32, u64>,
) -> Result<(), StoreError> {
    let visit_matches = match filter {
        Some(f) if !f.has_event_leaf => f.eval(rec, None)?,
        _ => true,
    };
    if !visit_matches {
        return Ok(());
    }
    for (j, e) in rec.events.iter().enumerate() {
        if let Some(f) = filter.filter(|f| f.has_event_leaf)
            && !f.eval(rec, Some(j))?
        {
            continue;
        }
        for (k, _) in &e.props {
            *counts.entry(*k).or_default() += 1;
        }
    }
    Ok(())
}
