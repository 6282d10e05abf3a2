//! Several queries over one scope (site, zone, range, filter) answered
//! together: rollups where they can, and every query needing visits fed from
//! the same pass over them, so a dashboard page pays for at most one scan of
//! its range (plus one of the days not rolled up yet).

use std::collections::{BTreeSet, HashMap};

use super::{
    Groups, StatsError, live,
    query::{Dimension, Query},
    rollup, scan_parallel,
    values::time_bucket,
};
use crate::{
    domain::calendar::{self, local_day},
    store::{ReadView, RollupRow, RollupSums},
};

/// What a query's groups and total are built from.
pub(super) struct Parts {
    pub groups: Groups,
    pub total: RollupSums,
    pub used_rollups: bool,
}

/// Rollup code of a query's grouping: `Some(0)` for the total or a day, week
/// or month bucket; `None` when rollups can't answer it.
fn rollup_code(q: &Query) -> Option<u8> {
    if q.filter.is_some() || q.dimensions.len() > 1 || q.metrics.iter().any(|m| m.needs_scan()) {
        return None;
    }
    match q.dimensions.first() {
        None | Some(Dimension::Day | Dimension::Week | Dimension::Month) => Some(0),
        Some(d) => rollup::rollup_code(d),
    }
}

/// Whether two queries share what a scan is keyed on.
fn same_scope(a: &Query, b: &Query) -> bool {
    a.site == b.site
        && a.timezone == b.timezone
        && a.from_ms == b.from_ms
        && a.to_ms == b.to_ms
        && format!("{:?}", a.filter) == format!("{:?}", b.filter)
}

/// Groups and totals for queries sharing one scope.
///
/// # Errors
/// [`StatsError::Invalid`] for a bad filter or queries of different scopes.
pub(super) fn parts(view: &ReadView, qs: &[Query]) -> Result<Vec<Parts>, StatsError> {
    let Some(q0) = qs.first() else {
        return Ok(Vec::new());
    };
    if qs.iter().any(|q| !same_scope(q, q0)) {
        return Err(StatsError::Invalid(
            "queries of one batch must share site, range and filter".into(),
        ));
    }
    if let Some(ch) = view.clickhouse() {
        return super::clickhouse::parts(view, ch, qs);
    }
    let tz = q0.timezone;
    let mut out: Vec<Parts> = qs
        .iter()
        .map(|_| Parts {
            groups: HashMap::new(),
            total: RollupSums::default(),
            used_rollups: false,
        })
        .collect();
    if q0.to_ms <= q0.from_ms {
        return Ok(out);
    }
    let first = local_day(q0.from_ms, tz);
    let last = local_day(q0.to_ms - 1, tz);
    let aligned = calendar::days_to_ms(first, last, tz) == (q0.from_ms, q0.to_ms);
    let rolled = if aligned && q0.filter.is_none() {
        view.rolled_days(q0.site, first, last)?
    } else {
        BTreeSet::new()
    };
    let mut open = if aligned && q0.filter.is_none() && qs.iter().any(|q| rollup_code(q).is_some())
    {
        open_days(view, q0, (first, last), &rolled)?
    } else {
        Vec::new()
    };
    let mut live_rows: HashMap<u8, Vec<RollupRow>> = HashMap::new();
    if !open.is_empty() {
        let mut wanted: Vec<u8> = qs.iter().filter_map(rollup_code).chain([0]).collect();
        wanted.sort_unstable();
        wanted.dedup();
        // A day too big to hold in memory is scanned after all.
        let mut held = Vec::new();
        for &day in &open {
            if let Some(rows) = live::rollup_rows(view, (q0.site, day, tz), &wanted)? {
                held.push(day);
                for (code, rows) in rows {
                    live_rows.entry(code).or_default().extend(rows);
                }
            }
        }
        open = held;
    }
    let codes: Vec<Option<u8>> = qs
        .iter()
        .map(|q| rollup_code(q).filter(|_| !rolled.is_empty() || !open.is_empty()))
        .collect();
    if !rolled.is_empty() || !open.is_empty() {
        from_rollups(view, qs, &codes, (&rolled, &live_rows), &mut out)?;
    }
    // Queries rollups can't answer scan the whole range; the others only the
    // days neither rolled up nor open.
    let whole: Vec<usize> = (0..qs.len()).filter(|&i| codes[i].is_none()).collect();
    let partial: Vec<usize> = (0..qs.len()).filter(|&i| codes[i].is_some()).collect();
    let missing: BTreeSet<u32> = (first..=last)
        .filter(|d| !rolled.contains(d) && !open.contains(d))
        .collect();
    let spans: Vec<(u64, u64)> = spans(&missing)
        .into_iter()
        .map(|(a, b)| calendar::days_to_ms(a, b, tz))
        .collect();
    // With nothing rolled up every query is in `whole`: one pass for all.
    if !whole.is_empty() {
        scan_into(view, qs, (q0.from_ms, q0.to_ms), &whole, &mut out)?;
    }
    if !partial.is_empty() {
        for span in spans {
            scan_into(view, qs, span, &partial, &mut out)?;
        }
    }
    Ok(out)
}

/// One scan of `range` adding into the parts of the queries `which`.
fn scan_into(
    view: &ReadView,
    qs: &[Query],
    range: (u64, u64),
    which: &[usize],
    out: &mut [Parts],
) -> Result<(), StatsError> {
    let q0 = &qs[0];
    // Distinct dimension lists, the empty one (the total) first.
    let mut lists: Vec<Vec<Dimension>> = vec![Vec::new()];
    for &i in which {
        if !lists.contains(&qs[i].dimensions) {
            lists.push(qs[i].dimensions.clone());
        }
    }
    // Revenue and engagement are read only when some query shows them.
    let extras = which.iter().any(|&i| {
        qs[i]
            .metrics
            .iter()
            .any(|m| m.is_revenue() || m.is_engagement())
    });
    let mut maps = scan_parallel(view, q0, (range, extras), q0.filter.as_ref(), &lists)?;
    let total = maps[0].get(&[0; 4]).copied().unwrap_or_default();
    let at = |i: usize| {
        lists
            .iter()
            .position(|l| *l == qs[i].dimensions)
            .unwrap_or(0)
    };
    for (n, &i) in which.iter().enumerate() {
        let p = &mut out[i];
        p.total.add(&total);
        if qs[i].dimensions.is_empty() {
            p.groups.entry([0; 4]).or_default().add(&total);
            continue;
        }
        // The last query grouping this way takes the groups; the others copy.
        let a = at(i);
        let groups = if which[n + 1..].iter().any(|&j| at(j) == a) {
            maps[a].clone()
        } else {
            std::mem::take(&mut maps[a])
        };
        super::parallel::merge(&mut p.groups, groups);
    }
    Ok(())
}

/// Days of the site's own zone read live for a query over `first..=last`:
/// the open days of [`live::open_days`], unless a later day is rolled up
/// (the range is in the past) or the query asks another zone.
fn open_days(
    view: &ReadView,
    q0: &Query,
    (first, last): (u32, u32),
    rolled: &BTreeSet<u32>,
) -> Result<Vec<u32>, StatsError> {
    let site_zone = view.site(q0.site)?.map(|s| s.timezone);
    if site_zone != Some(q0.timezone)
        || !view
            .rolled_days(q0.site, last.saturating_add(1), u32::MAX)?
            .is_empty()
    {
        return Ok(Vec::new());
    }
    let Some(latest_ms) = view.last_session_start(q0.site)? else {
        return Ok(Vec::new());
    };
    Ok(live::open_days(
        (first, last),
        rolled,
        local_day(latest_ms, q0.timezone),
    ))
}

/// Adds the rollup rows of the `rolled` days, and the `live` rows of open
/// days by code, into the queries rollups can answer.
fn from_rollups(
    view: &ReadView,
    qs: &[Query],
    codes: &[Option<u8>],
    (rolled, live): (&BTreeSet<u32>, &HashMap<u8, Vec<RollupRow>>),
    out: &mut [Parts],
) -> Result<(), StatsError> {
    let q0 = &qs[0];
    let tz = q0.timezone;
    let read = |code: u8| -> Result<Vec<RollupRow>, StatsError> {
        let mut rows = if rolled.is_empty() {
            Vec::new()
        } else {
            view.rollup_rows(q0.site, rolled, code)?
        };
        rows.extend(live.get(&code).into_iter().flatten().copied());
        Ok(rows)
    };
    let mut rows_by_code: HashMap<u8, Vec<RollupRow>> = HashMap::new();
    for code in codes.iter().flatten() {
        if !rows_by_code.contains_key(code) {
            rows_by_code.insert(*code, read(*code)?);
        }
    }
    let totals = match rows_by_code.get(&0) {
        Some(rows) => rows.clone(),
        None => read(0)?,
    };
    for (i, q) in qs.iter().enumerate() {
        let Some(code) = codes[i] else { continue };
        let p = &mut out[i];
        p.used_rollups = !rolled.is_empty();
        let dim = q.dimensions.first();
        for r in &totals {
            p.total.add(&r.sums);
            if code == 0 {
                let key = match dim {
                    Some(d) if d.is_time() => {
                        let (ms, _) = calendar::days_to_ms(r.day, r.day, tz);
                        time_bucket(d, ms, tz)
                    }
                    _ => 0,
                };
                p.groups.entry([key, 0, 0, 0]).or_default().add(&r.sums);
            }
        }
        if code != 0 {
            for r in &rows_by_code[&code] {
                p.groups
                    .entry([u64::from(r.value), 0, 0, 0])
                    .or_default()
                    .add(&r.sums);
            }
        }
    }
    Ok(())
}

/// Contiguous runs in a set of days.
fn spans(days: &BTreeSet<u32>) -> Vec<(u32, u32)> {
    let mut out: Vec<(u32, u32)> = Vec::new();
    for &d in days {
        match out.last_mut() {
            Some(last) if last.1 + 1 == d => last.1 = d,
            _ => out.push((d, d)),
        }
    }
    out
}
