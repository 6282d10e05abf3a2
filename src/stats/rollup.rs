//! Daily rollups: for each completed local day, the engine's own sums per value
//! of every common dimension, stored so unfiltered reports read a few hundred
//! rows instead of millions of events.

use std::{collections::BTreeSet, ops::ControlFlow};

use super::{
    engine::{Grouping, scan},
    query::Dimension,
    segment,
    values::Texts,
};
use crate::{
    domain::SiteId,
    domain::calendar::days_to_ms,
    domain::calendar::local_day,
    store::{COLD_AFTER_DAYS, RollupSums, Store, StoreError},
};

/// Dimensions kept in rollups, with their stable on-disk codes (0 is the total).
#[must_use]
pub fn rollup_dims() -> Vec<(u8, Dimension)> {
    vec![
        (1, Dimension::Page),
        (2, Dimension::Name),
        (3, Dimension::EntryPage),
        (4, Dimension::ExitPage),
        (5, Dimension::Source),
        (6, Dimension::Referrer),
        (7, Dimension::Channel),
        (8, Dimension::Utm(0)),
        (9, Dimension::Utm(1)),
        (10, Dimension::Utm(2)),
        (11, Dimension::Utm(3)),
        (12, Dimension::Utm(4)),
        (13, Dimension::Device),
        (14, Dimension::Browser),
        (15, Dimension::Os),
        (16, Dimension::Country),
        (17, Dimension::Region),
        (18, Dimension::City),
        (19, Dimension::Hostname),
        (20, Dimension::ClickId),
        // Hour buckets (local day × 24 + hour): "yesterday" and the hourly
        // comparison of "today" come from rollups too.
        (21, Dimension::Hour),
    ]
}

/// Code of a dimension kept in rollups.
#[must_use]
pub fn rollup_code(dim: &Dimension) -> Option<u8> {
    rollup_dims()
        .into_iter()
        .find(|(_, d)| d == dim)
        .map(|(c, _)| c)
}

/// A visit can still grow this long after its day ended; days are rolled up
/// only after this margin so rollups rarely need rebuilding.
pub const ROLLUP_DELAY_MS: u64 = 2 * 3_600_000;

/// One rollup row to store: (dimension code, value, sums).
pub type RollupRowData = (u8, u32, RollupSums);

/// One day's rollup rows, its segment's columns (see [`segment`]), and the
/// day's version they were read at.
pub struct Day {
    /// (dimension code, value, sums).
    pub rows: Vec<RollupRowData>,
    /// (column code, bytes).
    pub segment: Vec<(u8, Vec<u8>)>,
    /// The day's version when read.
    pub version: u64,
}

/// Computes one day's rollup rows and segment.
///
/// # Errors
/// Storage errors.
pub fn build_day(store: &Store, site: SiteId, day: u32) -> Result<Day, StoreError> {
    let view = store.read()?;
    // Read in the same snapshot as the visits, so a later change is detected.
    let version = view.day_version(site, day)?;
    let Some(s) = view.site(site)? else {
        return Ok(Day {
            rows: Vec::new(),
            segment: Vec::new(),
            version,
        });
    };
    let texts = Texts::new(&view);
    let dims = rollup_dims();
    let mut groupings = vec![Grouping::new(Vec::new(), &texts)?];
    for (_, d) in &dims {
        groupings.push(Grouping::new(vec![d.clone()], &texts)?);
    }
    let (from, to) = days_to_ms(day, day, s.timezone);
    scan(
        &view,
        site,
        s.timezone,
        (from, to, true),
        None,
        &mut groupings,
    )?;
    let mut columns = segment::Builder::new(s.timezone, from, to);
    view.for_each_visit(site, from, to, |key, rec| {
        columns.push(key.start_ms, key.id, rec);
        ControlFlow::Continue(())
    })?;
    let mut rows = Vec::new();
    for (i, g) in groupings.into_iter().enumerate() {
        let code = if i == 0 { 0 } else { dims[i - 1].0 };
        for (key, sums) in g.finish() {
            rows.push((code, u32::try_from(key[0]).unwrap_or(0), sums));
        }
    }
    Ok(Day {
        rows,
        segment: columns.finish(),
        version,
    })
}

/// Rolls up every completed, not yet rolled-up day of every site, from the
/// first day with data, and repacks each rolled day's visit rows into full
/// pages (`Store::repack_visits`). Returns the number of days written. This is the
/// scheduled job's body; tests and benches call it directly. Nothing with
/// visits on ClickHouse, which aggregates every report itself.
///
/// # Errors
/// Storage errors.
pub fn roll_up_all(store: &Store, now_ms: u64) -> Result<usize, StoreError> {
    let mut written = 0;
    // ClickHouse aggregates every report itself.
    if store.clickhouse().is_some() {
        return Ok(0);
    }
    for site in store.sites()? {
        let tz = site.timezone;
        let last_complete = local_day(now_ms.saturating_sub(ROLLUP_DELAY_MS), tz).saturating_sub(1);
        let view = store.read()?;
        let Some(first_ms) = view.first_session_start(site.id)? else {
            continue;
        };
        let first_day = local_day(first_ms, tz);
        if first_day > last_complete {
            continue;
        }
        let rolled = view.rolled_days(site.id, first_day, last_complete)?;
        drop(view);
        for day in first_day..=last_complete {
            if rolled.contains(&day) {
                continue;
            }
            let d = build_day(store, site.id, day)?;
            if store.put_rollup_day(site.id, day, &d.rows, &d.segment, d.version, now_ms)? {
                written += 1;
                if day + COLD_AFTER_DAYS < local_day(now_ms, tz) {
                    continue; // frozen just below: its rows go.
                }
                // The day's visits are over: their rows go into full pages.
                let (from_ms, to_ms) = days_to_ms(day, day, tz);
                store.repack_visits(site.id, from_ms, to_ms)?;
            }
        }
        freeze_days(store, &site, first_day, now_ms)?;
    }
    Ok(written)
}

/// Makes cold (`Store::freeze_day`: their visits kept in their segment
/// only) the site's rolled-up days from `first_day` that ended
/// [`COLD_AFTER_DAYS`] days or more before `now_ms`. Returns how many.
///
/// # Errors
/// Storage errors.
pub fn freeze_days(
    store: &Store,
    site: &crate::store::Site,
    first_day: u32,
    now_ms: u64,
) -> Result<usize, StoreError> {
    // Day `d` ends at the start of `d + 1`.
    let Some(last) = local_day(now_ms, site.timezone).checked_sub(COLD_AFTER_DAYS + 1) else {
        return Ok(0);
    };
    if first_day > last {
        return Ok(0);
    }
    let view = store.read()?;
    let rolled = view.rolled_days(site.id, first_day, last)?;
    let cold = view.cold_days(site.id, first_day, last)?;
    // Days rolled up before segments held visit ids (schema 5) are rolled
    // up again first, so they can turn cold too (once each).
    let mut stale = BTreeSet::new();
    for &day in rolled.difference(&cold) {
        if view.segment_has_column(site.id, day, segment::col::HEADER)?
            && !view.segment_has_column(site.id, day, segment::col::VISIT_ID)?
        {
            stale.insert(day);
        }
    }
    drop(view);
    let mut n = 0;
    for &day in rolled.difference(&cold) {
        if stale.contains(&day) {
            let d = build_day(store, site.id, day)?;
            if !store.put_rollup_day(site.id, day, &d.rows, &d.segment, d.version, now_ms)? {
                continue; // changed meanwhile: rebuilt by the next run.
            }
        }
        // A day that can't be frozen (a corrupt segment) keeps its rows
        // and leaves the other days and sites to go on.
        match store.freeze_day(site.id, day) {
            Ok(frozen) => n += usize::from(frozen),
            Err(e) => tracing::warn!(site = site.id.0, day, error = ?e, "day not made cold"),
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Batch, TEXT_ROLLUP_DIMS};

    /// Rows of visits, each (key, bytes), in key order.
    fn rows(store: &Store, site: SiteId) -> Vec<(crate::store::SessionKey, Vec<u8>)> {
        let mut out = Vec::new();
        store
            .read()
            .unwrap()
            .for_each_session(site, 0, u64::MAX, |k, b| {
                out.push((k, b.to_vec()));
                ControlFlow::Continue(())
            })
            .unwrap();
        out
    }

    /// Unused bytes in the pages of the visit table.
    fn unused(store: &Store) -> u64 {
        let tables = store.table_bytes().unwrap();
        tables
            .iter()
            .find(|t| t.name == "sessions_v1")
            .unwrap()
            .unused
    }

    /// A day whose visits grew out of key order (as visits do) is repacked
    /// when it is rolled up: the same rows, in pages left nearly full.
    #[test]
    fn rolling_up_a_day_repacks_its_rows_and_changes_none() {
        use crate::{
            domain::{Timezone, calendar::local_day},
            store::{
                SessionAppend, SessionKey,
                record::{EventRecord, SessionRecord},
                test_store_with_site,
            },
        };
        let (_dir, store, site) = test_store_with_site();
        let tz = Timezone::default();
        let first = local_day(1_700_000_000_000, tz);
        let key = |day: u32, i: u64| SessionKey {
            site,
            start_ms: days_to_ms(first + day, first + day, tz).0 + i * 10,
            id: u64::from(day) * 10_000 + i + 1,
        };
        let event = |n: u32| EventRecord {
            offset_ms: n,
            pageview: true,
            ..EventRecord::default()
        };
        let mut sessions = Vec::new();
        for day in 0..2 {
            for i in 0..3_000u64 {
                sessions.push(SessionAppend {
                    key: key(day, i),
                    day: first + day,
                    header: Some(SessionRecord {
                        visitor: i * 7_919 + 1,
                        ..SessionRecord::default()
                    }),
                    events: vec![event(0)],
                    engagements: Vec::new(),
                });
            }
        }
        store
            .commit_batch(&Batch {
                sessions,
                next_session_id: 20_001,
                ..Batch::default()
            })
            .unwrap();
        // The first day's visits grow, in an order unrelated to their keys.
        let grown = (0..3_000u64)
            .map(|n| SessionAppend {
                key: key(0, n * 1_543 % 3_000),
                day: first,
                header: None,
                events: (1..6).map(event).collect(),
                engagements: Vec::new(),
            })
            .collect();
        store
            .commit_batch(&Batch {
                sessions: grown,
                next_session_id: 20_001,
                ..Batch::default()
            })
            .unwrap();
        let (before, unused_before) = (rows(&store, site), unused(&store));
        let today = days_to_ms(first + 1, first + 1, tz).0;
        assert_eq!(roll_up_all(&store, today + ROLLUP_DELAY_MS).unwrap(), 1);
        assert_eq!(rows(&store, site), before);
        let unused_after = unused(&store);
        assert!(
            unused_after * 2 < unused_before,
            "unused bytes of the visit table {unused_before} → {unused_after}"
        );
    }

    /// The store keeps the texts of [`TEXT_ROLLUP_DIMS`] alive: exactly the
    /// rolled-up dimensions whose values are interned ids.
    #[test]
    fn the_text_rollup_dims_are_those_whose_values_are_interned() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let batch = Batch {
            strings: vec![(1, "example.com".to_owned())],
            next_string_id: 2,
            next_session_id: 1,
            ..Batch::default()
        };
        store.commit_batch(&batch).unwrap();
        let view = store.read().unwrap();
        let texts = Texts::new(&view);
        // Id 1 reads "example.com" exactly for the dimensions holding ids.
        for (code, dim) in rollup_dims() {
            let interned = texts.text(&dim, 1).unwrap() == "example.com";
            assert_eq!(TEXT_ROLLUP_DIMS.contains(&code), interned, "{dim} ({code})");
        }
    }
}
