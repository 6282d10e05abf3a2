//! Scans split across threads: by runs of days, each exact on its own
//! because visitors are distinct per day, or by groupings for a single day.

use std::collections::HashMap;

use super::{
    Groups, StatsError,
    engine::{Budget, Grouping, scan, scan_within},
    filter::Compiled,
    gate,
    query::{self, Dimension, Query},
    values::Texts,
};
use crate::{
    domain::{calendar, calendar::local_day},
    store::ReadView,
};

/// Splits dimension lists into `n` shares of about equal work, heaviest
/// first; event-level groupings cost about three visit-level ones.
fn share_out(dims: &[Vec<Dimension>], n: usize) -> Vec<Vec<usize>> {
    let cost = |d: &Vec<Dimension>| {
        if d.iter().any(Dimension::is_event_level) {
            3
        } else {
            1
        }
    };
    let mut order: Vec<usize> = (0..dims.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(cost(&dims[i])));
    let mut shares: Vec<(u32, Vec<usize>)> = vec![(0, Vec::new()); n.max(1)];
    for i in order {
        let lightest = shares.iter_mut().min_by_key(|s| s.0).expect("n >= 1");
        lightest.0 += cost(&dims[i]);
        lightest.1.push(i);
    }
    shares.retain(|s| !s.1.is_empty());
    shares.into_iter().map(|s| s.1).collect()
}

/// What scanning a day's visit rows costs against reading its segment, about
/// (measured on the 10M bench store: ~36 ms against 2–4 ms a day).
const ROW_DAY_COST: u32 = 10;

/// Splits days `first..=last` into at most `threads` runs of about equal
/// cost, a day with a segment (rolled up) costing 1 and one without
/// [`ROW_DAY_COST`], so the thread holding "today" gets fewer other days.
fn split_days(
    first: u32,
    last: u32,
    threads: usize,
    rolled: &std::collections::BTreeSet<u32>,
) -> Vec<(u32, u32)> {
    let cost = |d: u32| if rolled.contains(&d) { 1 } else { ROW_DAY_COST };
    let total: u32 = (first..=last).map(cost).sum();
    let threads = u32::try_from(threads.max(1)).unwrap_or(1);
    let mut parts = Vec::new();
    let (mut start, mut acc) = (first, 0);
    for d in first..=last {
        acc += cost(d);
        let k = u32::try_from(parts.len()).unwrap_or(u32::MAX) + 1;
        if d == last || (k < threads && acc * threads >= total * k) {
            parts.push((start, d));
            start = d + 1;
        }
    }
    parts
}

/// Most threads one scan uses.
const MAX_SCAN_THREADS: usize = 4;

/// Scans `[from_ms, to_ms)` into one map per dimension list, split into
/// day-aligned parts scanned on parallel threads. Merging the parts by addition
/// is exact because visitors are distinct per day and no day is split. With
/// fewer days than threads (today's view), the dimension lists are split
/// instead: each thread reads every visit but computes only its share of
/// groupings, so each grouping is still exact.
///
/// `extras`: whether the sums need revenue and engagement (see [`scan`]).
pub(super) fn scan_parallel(
    view: &ReadView,
    q: &Query,
    ((from_ms, to_ms), extras): ((u64, u64), bool),
    filter: Option<&query::Filter>,
    dims: &[Vec<Dimension>],
) -> Result<Vec<Groups>, StatsError> {
    let tz = q.timezone;
    // Compile once here so an invalid filter is reported before any thread starts.
    if let Some(f) = filter {
        Compiled::new(f, &Texts::new(view)).map_err(|e| StatsError::Invalid(e.0))?;
    }
    let first = local_day(from_ms, tz);
    let last = local_day(to_ms.saturating_sub(1).max(from_ms), tz);
    let days = last - first + 1;
    // Threads past the first only while the gate has slots free: reports
    // running at once share the cores instead of each taking all of them.
    let extra = gate::extra(
        std::thread::available_parallelism()
            .map_or(1, std::num::NonZero::get)
            .min(MAX_SCAN_THREADS)
            - 1,
    );
    let cores = 1 + extra.granted();
    let threads = cores.min(usize::try_from(days).unwrap_or(1)).max(1);
    let parts: Vec<(u64, u64)> = split_days(
        first,
        last,
        threads,
        &view.rolled_days(q.site, first, last)?,
    )
    .into_iter()
    .map(|(d, e)| {
        let (f, t) = calendar::days_to_ms(d, e, tz);
        (f.max(from_ms), t.min(to_ms))
    })
    .collect();
    // One budget for the report's threads together.
    let budget = (view.report_memory_limit() > 0).then(|| Budget::new(view.report_memory_limit()));
    // Jobs: (range, indices into `dims`).
    let shares = (cores / parts.len()).clamp(1, dims.len().max(1));
    let mut jobs: Vec<((u64, u64), Vec<usize>)> = Vec::new();
    for p in &parts {
        for share in share_out(dims, shares) {
            jobs.push((*p, share));
        }
    }
    let one = |(f, t): (u64, u64), which: &[usize]| -> Result<Vec<Groups>, StatsError> {
        let texts = Texts::new(view);
        let compiled = filter
            .map(|f| Compiled::new(f, &texts))
            .transpose()
            .map_err(|e| StatsError::Invalid(e.0))?;
        let mut gs = which
            .iter()
            .map(|&i| Grouping::new(dims[i].clone(), &texts))
            .collect::<Result<Vec<_>, _>>()?;
        match &budget {
            Some(b) => scan_within(
                view,
                (q.site, tz),
                (f, t, extras),
                compiled.as_ref(),
                &mut gs,
                b,
            )?,
            None => scan(view, q.site, tz, (f, t, extras), compiled.as_ref(), &mut gs)?,
        }
        Ok(gs.into_iter().map(Grouping::finish).collect())
    };
    let results: Vec<Result<Vec<Groups>, StatsError>> = if jobs.len() == 1 {
        vec![one(jobs[0].0, &jobs[0].1)]
    } else {
        std::thread::scope(|s| {
            let handles: Vec<_> = jobs
                .iter()
                .map(|(p, which)| s.spawn(move || one(*p, which)))
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err(StatsError::Invalid("scan thread panicked".into())))
                })
                .collect()
        })
    };
    let mut merged: Vec<Groups> = vec![HashMap::new(); dims.len()];
    for ((_, which), r) in jobs.iter().zip(results) {
        for (&i, map) in which.iter().zip(r?) {
            merge(&mut merged[i], map);
        }
    }
    Ok(merged)
}

/// Adds `from` into `into`, the smaller into the larger (a map is moved, not
/// copied, when the other is empty: a breakdown may have a group per event).
pub(super) fn merge(into: &mut Groups, mut from: Groups) {
    if from.len() > into.len() {
        std::mem::swap(into, &mut from);
    }
    for (k, v) in from {
        into.entry(k).or_default().add(&v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_without_a_segment_weigh_more_in_the_split() {
        let rolled = (1..=29).collect();
        // 29 segment days and "today": the thread with today gets fewer days.
        assert_eq!(split_days(1, 30, 2, &rolled), vec![(1, 20), (21, 30)]);
        // Nothing rolled up: even runs.
        let none = std::collections::BTreeSet::new();
        assert_eq!(split_days(1, 4, 2, &none), vec![(1, 2), (3, 4)]);
        assert_eq!(split_days(1, 3, 4, &none), vec![(1, 1), (2, 2), (3, 3)]);
        assert_eq!(split_days(7, 7, 2, &rolled), vec![(7, 7)]);
    }
}
