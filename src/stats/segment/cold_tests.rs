//! Cold days (`store::cold`): completed days kept as their segment only
//! read, export, erase, purge and take writes exactly as their rows did.

use std::ops::ControlFlow;

use super::tests::seeded;
use crate::{
    domain::{Timezone, calendar::days_to_ms},
    stats::rollup::{ROLLUP_DELAY_MS, roll_up_all},
    store::{
        Batch, Cutoff, PersonKeys, PersonTable, SessionAppend, SessionKey, Store,
        record::{EventRecord, SessionRecord},
    },
};

const DAY_MS: u64 = 86_400_000;

fn tz() -> Timezone {
    Timezone::parse("America/New_York").unwrap()
}

/// Every visit of the site in `[from, to)`: key and decoded record.
fn visits(
    store: &Store,
    site: crate::domain::SiteId,
    from: u64,
    to: u64,
) -> Vec<(SessionKey, SessionRecord)> {
    let mut out = Vec::new();
    store
        .read()
        .unwrap()
        .for_each_session(site, from, to, |k, b| {
            out.push((k, SessionRecord::decode(b).unwrap()));
            ControlFlow::Continue(())
        })
        .unwrap();
    out
}

/// Visit rows stored as rows (not in cold days).
fn rows_stored(store: &Store) -> u64 {
    store
        .table_bytes()
        .unwrap()
        .into_iter()
        .find(|t| t.name == "sessions_v1")
        .map_or(0, |t| t.rows)
}

/// The seeded store with all four days cold: rolled up five days later.
fn frozen() -> (tempfile::TempDir, Store, crate::domain::SiteId, u32, u64) {
    let (dir, store, site, first, today) = seeded(tz());
    let later = today + 5 * DAY_MS + ROLLUP_DELAY_MS;
    roll_up_all(&store, later).unwrap();
    let view = store.read().unwrap();
    assert_eq!(view.cold_days(site, first, first + 3).unwrap().len(), 4);
    drop(view);
    (dir, store, site, first, today)
}

/// Freezing changes no visit any reader sees: whole ranges, ranges that
/// cut through days, single visits, counts and the first and last start.
#[test]
fn cold_days_read_as_their_rows() {
    let (_dir, store, site, first, today) = seeded(tz());
    let (from, to) = days_to_ms(first, first + 3, tz());
    let ranges = [
        (0, u64::MAX),
        (from, to),
        (from + 5 * 3_600_000, from + 40 * 3_600_000),
        (today - 1, today + 1),
    ];
    let before: Vec<_> = ranges
        .iter()
        .map(|&(a, b)| visits(&store, site, a, b))
        .collect();
    let view = store.read().unwrap();
    let (count, first_ms, last_ms) = (
        view.session_count().unwrap(),
        view.first_session_start(site).unwrap(),
        view.last_session_start(site).unwrap(),
    );
    // The seeded store rolled up day 3 on day 3: day 0 is cold already.
    assert_eq!(view.cold_days(site, 0, u32::MAX).unwrap().len(), 1);
    drop(view);
    let rows_before = rows_stored(&store);

    roll_up_all(&store, today + 5 * DAY_MS + ROLLUP_DELAY_MS).unwrap();
    let view = store.read().unwrap();
    // The two days after, empty, are cold too.
    assert_eq!(view.cold_days(site, 0, u32::MAX).unwrap().len(), 6);
    assert_eq!(
        rows_stored(&store),
        0,
        "every row went ({rows_before} before)"
    );
    assert!(rows_before > 1_000);
    for (r, b) in ranges.iter().zip(&before) {
        assert_eq!(&visits(&store, site, r.0, r.1), b, "{r:?}");
    }
    assert!(before[0].len() > 2_000 && before[2].len() > 100);
    assert_eq!(view.session_count().unwrap(), count);
    assert_eq!(view.first_session_start(site).unwrap(), first_ms);
    assert_eq!(view.last_session_start(site).unwrap(), last_ms);
    for (k, r) in before[0].iter().step_by(97) {
        let row = view.session_row(*k).unwrap().expect("the visit");
        assert_eq!(&SessionRecord::decode(&row).unwrap(), r);
    }
    let missing = SessionKey {
        id: 1 << 40,
        ..before[0][10].0
    };
    assert_eq!(view.session_row(missing).unwrap(), None);
}

/// An event for a visit of a cold day, and a new visit dated into one, put
/// that day back into rows in the same write; the next rollup run freezes
/// it again with the change.
#[test]
fn writes_to_a_cold_day_thaw_it() {
    let (_dir, store, site, first, today) = frozen();
    let mut expected = visits(&store, site, 0, u64::MAX);
    let (day1, _) = days_to_ms(first + 1, first + 1, tz());
    let (day2, _) = days_to_ms(first + 2, first + 2, tz());
    let grown = expected
        .iter()
        .position(|(k, _)| k.start_ms >= day1)
        .unwrap();
    let event = EventRecord {
        offset_ms: 3_000_000,
        path: 2,
        pageview: true,
        ..EventRecord::default()
    };
    let new_key = SessionKey {
        site,
        start_ms: day2 + 1,
        id: 99_999,
    };
    let header = SessionRecord {
        visitor: 7,
        hostname: 14,
        ..SessionRecord::default()
    };
    store
        .commit_batch(&Batch {
            sessions: vec![
                SessionAppend {
                    key: expected[grown].0,
                    day: first + 1,
                    header: None,
                    events: vec![event.clone()],
                    engagements: Vec::new(),
                },
                SessionAppend {
                    key: new_key,
                    day: first + 2,
                    header: Some(header.clone()),
                    events: vec![event.clone()],
                    engagements: Vec::new(),
                },
            ],
            next_string_id: 100,
            next_session_id: 100_000,
            ..Batch::default()
        })
        .unwrap();
    expected[grown].1.events.push(event.clone());
    let mut new_visit = header;
    new_visit.events.push(event);
    let at = expected.partition_point(|(k, _)| *k < new_key);
    expected.insert(at, (new_key, new_visit));

    let view = store.read().unwrap();
    let cold = view.cold_days(site, first, first + 3).unwrap();
    assert_eq!(cold, [first, first + 3].into_iter().collect());
    drop(view);
    assert_eq!(visits(&store, site, 0, u64::MAX), expected);

    roll_up_all(&store, today + 6 * DAY_MS).unwrap();
    let view = store.read().unwrap();
    assert_eq!(view.cold_days(site, first, first + 3).unwrap().len(), 4);
    drop(view);
    assert_eq!(rows_stored(&store), 0);
    assert_eq!(visits(&store, site, 0, u64::MAX), expected);
}

/// A person's visits on cold days are exported and erased; the days that
/// held none stay cold. Texts only cold days name survive a sweep.
#[test]
fn erasure_and_export_reach_cold_days() {
    let (_dir, store, site, _, _) = seeded(tz());
    let all = visits(&store, site, 0, u64::MAX);
    let who = PersonKeys {
        visitors: vec![all[0].1.visitor, all[1].1.visitor],
        subjects: Vec::new(),
        leads: Vec::new(),
    };
    let theirs: Vec<_> = all
        .iter()
        .filter(|(_, r)| who.visitors.contains(&r.visitor))
        .cloned()
        .collect();
    assert!(theirs.len() > 10);
    let exported = store.person_data(site, &who).unwrap().sessions;
    assert_eq!(exported, theirs);

    let (_dir2, store, site, _, _) = frozen();
    assert_eq!(store.sweep_strings(None, 1_000).unwrap(), 0);
    assert_eq!(store.read().unwrap().string(1).unwrap(), "/");
    assert_eq!(store.person_data(site, &who).unwrap().sessions, theirs);

    let counts = store.erase_person(site, &who).unwrap();
    assert_eq!(counts[&PersonTable::Sessions], theirs.len() as u64);
    let left = visits(&store, site, 0, u64::MAX);
    assert_eq!(left.len(), all.len() - theirs.len());
    assert!(left.iter().all(|(_, r)| !who.visitors.contains(&r.visitor)));
    assert!(store.person_data(site, &who).unwrap().sessions.is_empty());
}

/// A purge deletes cold days before its cutoff and thaws the one it cuts
/// through; a dry run counts the same.
#[test]
fn purges_reach_cold_days() {
    let (_dir, store, site, first, _) = frozen();
    let all = visits(&store, site, 0, u64::MAX);
    let (day2, _) = days_to_ms(first + 2, first + 2, tz());
    let cut = Cutoff {
        site,
        before_ms: day2 + 7 * 3_600_000,
        before_day: first + 2,
        keep_aggregates: true,
    };
    let gone = all
        .iter()
        .filter(|(k, _)| k.start_ms < cut.before_ms)
        .count();
    assert!(gone > 100);
    let counted = store
        .purge_old(PersonTable::Sessions, &cut, usize::MAX, true)
        .unwrap();
    assert_eq!(counted, gone as u64);
    let mut purged = 0;
    loop {
        let n = store
            .purge_old(PersonTable::Sessions, &cut, 500, false)
            .unwrap();
        purged += n;
        if n < 500 {
            break;
        }
    }
    assert_eq!(purged, gone as u64);
    assert_eq!(visits(&store, site, 0, u64::MAX), all[gone..]);
    let view = store.read().unwrap();
    assert_eq!(
        view.cold_days(site, first, first + 3).unwrap(),
        [first + 3].into_iter().collect()
    );
    assert_eq!(
        view.first_session_start(site).unwrap(),
        Some(all[gone].0.start_ms)
    );
}

/// A new zone voids the rollups; the cold days come back as rows first.
#[test]
fn a_zone_change_thaws_every_cold_day() {
    let (_dir, store, site, _, _) = frozen();
    let all = visits(&store, site, 0, u64::MAX);
    let mut s = store.read().unwrap().site(site).unwrap().unwrap();
    s.timezone = Timezone::parse("Asia/Tokyo").unwrap();
    store.update_site(&s).unwrap();
    assert!(
        store
            .read()
            .unwrap()
            .cold_days(site, 0, u32::MAX)
            .unwrap()
            .is_empty()
    );
    assert_eq!(rows_stored(&store), all.len() as u64);
    assert_eq!(visits(&store, site, 0, u64::MAX), all);
}

/// A backup holds the cold days: the copy reads the same visits.
#[test]
fn a_backup_holds_cold_days() {
    let (dir, store, site, _, _) = frozen();
    let all = visits(&store, site, 0, u64::MAX);
    let copy = dir.path().join("copy.redb");
    store.backup(&copy, &mut |_, _| {}).unwrap();
    drop(store);
    let other = tempfile::tempdir().unwrap();
    std::fs::copy(&copy, other.path().join(crate::store::FILE_NAME)).unwrap();
    let restored = Store::open(other.path()).unwrap();
    assert_eq!(visits(&restored, site, 0, u64::MAX), all);
}

/// A segment of `visits` for the local day `[from, to)` of `zone`.
fn segment_of(
    zone: Timezone,
    (from, to): (u64, u64),
    visits: &[(SessionKey, SessionRecord)],
) -> Vec<(u8, Vec<u8>)> {
    let mut b = super::Builder::new(zone, from, to);
    for (k, r) in visits {
        b.push(k.start_ms, k.id, r);
    }
    b.finish()
}

/// A day whose segment doesn't hold exactly its rows is not frozen.
#[test]
fn a_segment_that_differs_from_its_rows_is_not_frozen() {
    let (_dir, store, site, first, _) = seeded(tz());
    let day = first + 1;
    let (from, to) = days_to_ms(day, day, tz());
    let rows = visits(&store, site, from, to);
    // A segment of all the day's visits but one, stored as the day's.
    let short = segment_of(tz(), (from, to), &rows[1..]);
    let version = store.read().unwrap().day_version(site, day).unwrap();
    assert!(
        store
            .put_rollup_day(site, day, &[], &short, version, 1)
            .unwrap()
    );
    assert!(!store.freeze_day(site, day).unwrap());
    assert_eq!(visits(&store, site, from, to), rows);
    // Nor is one of the same visits built for another zone's day.
    let other = segment_of(Timezone::parse("Asia/Tokyo").unwrap(), (from, to), &rows);
    assert!(
        store
            .put_rollup_day(site, day, &[], &other, version, 2)
            .unwrap()
    );
    assert!(!store.freeze_day(site, day).unwrap());
    assert_eq!(visits(&store, site, from, to), rows);
    // Its true segment freezes.
    let true_one = segment_of(tz(), (from, to), &rows);
    assert!(
        store
            .put_rollup_day(site, day, &[], &true_one, version, 3)
            .unwrap()
    );
    assert!(store.freeze_day(site, day).unwrap());
    assert_eq!(visits(&store, site, from, to), rows);
}

/// A day rolled up before segments held visit ids is rolled up again, then
/// frozen.
#[test]
fn a_segment_without_visit_ids_is_rebuilt_then_frozen() {
    let (_dir, store, site, first, today) = seeded(tz());
    let day = first + 1;
    let (from, to) = days_to_ms(day, day, tz());
    let rows = visits(&store, site, from, to);
    let old: Vec<_> = segment_of(tz(), (from, to), &rows)
        .into_iter()
        .filter(|(code, _)| *code != super::col::VISIT_ID)
        .collect();
    let version = store.read().unwrap().day_version(site, day).unwrap();
    assert!(
        store
            .put_rollup_day(site, day, &[], &old, version, 1)
            .unwrap()
    );
    assert!(!store.freeze_day(site, day).unwrap());
    let s = store.read().unwrap().site(site).unwrap().unwrap();
    let later = today + 5 * DAY_MS;
    assert!(crate::stats::rollup::freeze_days(&store, &s, first, later).unwrap() >= 2);
    let view = store.read().unwrap();
    assert!(view.cold_days(site, day, day).unwrap().contains(&day));
    assert!(
        view.segment_column(site, day, super::col::VISIT_ID)
            .unwrap()
            .is_some()
    );
    drop(view);
    assert_eq!(visits(&store, site, from, to), rows);
}
