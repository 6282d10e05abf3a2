//! Store-level properties: batches round-trip and keys order visits by site, then time.

use proptest::prelude::*;

use super::{
    Batch, SessionAppend, SessionKey, Store,
    record::{EventRecord, SessionRecord},
};
use crate::domain::{Domain, SiteId, Timezone};

fn store_with_sites() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let ws = store.create_workspace("W", 0).unwrap().id;
    for d in ["a.example", "b.example"] {
        store
            .add_site(ws, &Domain::parse(d).unwrap(), Timezone::default(), 0)
            .unwrap();
    }
    (dir, store)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn range_scans_return_exactly_the_visits_started_in_range_in_key_order(
        visits in proptest::collection::vec((1u32..=2, 0u64..1_000_000, 1u32..4), 1..60),
        from in 0u64..1_000_000,
        len in 0u64..1_000_000,
    ) {
        let (_dir, store) = store_with_sites();
        let mut batch = Batch { next_session_id: 1000, next_string_id: 1, ..Batch::default() };
        for (i, (site, start, n)) in visits.iter().enumerate() {
            batch.sessions.push(SessionAppend {
                key: SessionKey { site: SiteId(*site), start_ms: *start, id: i as u64 + 1 },
                day: 0,
                header: Some(SessionRecord { visitor: i as u64, ..SessionRecord::default() }),
                events: (0..*n).map(|k| EventRecord { offset_ms: k * 10, pageview: true, interactive: true, path: k, ..EventRecord::default() }).collect(),
 engagements: Vec::new(),
            });
        }
        store.commit_batch(&batch).unwrap();
        let to = from + len;
        let view = store.read().unwrap();
        for site in [1u32, 2] {
            let mut got = Vec::new();
            view.for_each_session(SiteId(site), from, to, |k, bytes| {
                let r = SessionRecord::decode(bytes).unwrap();
                got.push((k.start_ms, k.id, r.events.len()));
                std::ops::ControlFlow::Continue(())
            }).unwrap();
            let mut want: Vec<(u64, u64, usize)> = visits
                .iter()
                .enumerate()
                .filter(|(_, (s, start, _))| *s == site && (from..to).contains(start))
                .map(|(i, (_, start, n))| (*start, i as u64 + 1, *n as usize))
                .collect();
            want.sort_unstable();
            prop_assert_eq!(got, want);
        }
    }
}

#[test]
fn appends_extend_an_existing_visit_and_events_of_an_erased_visit_are_dropped() {
    let (_dir, store) = store_with_sites();
    let key = SessionKey {
        site: SiteId(1),
        start_ms: 5,
        id: 1,
    };
    let pv = |offset_ms| EventRecord {
        offset_ms,
        pageview: true,
        interactive: true,
        ..EventRecord::default()
    };
    store
        .commit_batch(&Batch {
            sessions: vec![SessionAppend {
                key,
                day: 0,
                header: Some(SessionRecord::default()),
                events: vec![pv(0)],
                engagements: Vec::new(),
            }],
            ..Batch::default()
        })
        .unwrap();
    store
        .commit_batch(&Batch {
            sessions: vec![SessionAppend {
                key,
                day: 0,
                header: None,
                events: vec![pv(7)],
                engagements: Vec::new(),
            }],
            ..Batch::default()
        })
        .unwrap();
    let missing = SessionKey {
        site: SiteId(1),
        start_ms: 9,
        id: 2,
    };
    let bad = Batch {
        sessions: vec![
            SessionAppend {
                key,
                day: 0,
                header: None,
                events: vec![pv(9)],
                engagements: Vec::new(),
            },
            SessionAppend {
                key: missing,
                day: 0,
                header: None,
                events: vec![pv(0)],
                engagements: Vec::new(),
            },
        ],
        ..Batch::default()
    };
    // A visit erased while open: its events go, the rest of the batch stays.
    store.commit_batch(&bad).unwrap();
    let view = store.read().unwrap();
    let mut offsets = Vec::new();
    view.for_each_session(SiteId(1), 0, 100, |_, b| {
        offsets = SessionRecord::decode(b)
            .unwrap()
            .events
            .iter()
            .map(|e| e.offset_ms)
            .collect();
        std::ops::ControlFlow::Continue(())
    })
    .unwrap();
    assert_eq!(offsets, vec![0, 7, 9], "the other visit's event is kept");
    assert_eq!(
        view.session_count().unwrap(),
        1,
        "no row made for the erased visit"
    );
}

#[test]
fn a_rollup_built_before_its_day_changed_is_not_stored() {
    let (_dir, store) = store_with_sites();
    let site = SiteId(1);
    let before = store.read().unwrap().day_version(site, 5).unwrap();
    let key = SessionKey {
        site,
        start_ms: 1,
        id: 1,
    };
    let batch = Batch {
        sessions: vec![SessionAppend {
            key,
            day: 5,
            header: Some(SessionRecord::default()),
            events: vec![],
            engagements: Vec::new(),
        }],
        ..Batch::default()
    };
    store.commit_batch(&batch).unwrap();
    assert!(
        !store.put_rollup_day(site, 5, &[], &[], before, 0).unwrap(),
        "stale rollup refused"
    );
    assert!(
        store
            .read()
            .unwrap()
            .rolled_days(site, 5, 5)
            .unwrap()
            .is_empty()
    );
    let now = store.read().unwrap().day_version(site, 5).unwrap();
    assert!(store.put_rollup_day(site, 5, &[], &[], now, 0).unwrap());
    assert_eq!(
        store.read().unwrap().rolled_days(site, 5, 5).unwrap().len(),
        1
    );
}

/// Commits one visit starting on local (UTC) day 20,000.
fn one_visit_on_day_20000(store: &Store, site: SiteId) {
    store
        .commit_batch(&Batch {
            sessions: vec![SessionAppend {
                key: SessionKey {
                    site,
                    start_ms: 20_000 * 86_400_000 + 5,
                    id: 1,
                },
                day: 20_000,
                header: Some(SessionRecord::default()),
                events: vec![EventRecord::default()],
                engagements: Vec::new(),
            }],
            next_session_id: 2,
            ..Batch::default()
        })
        .unwrap();
}

/// Schema 2 → 3: rolled-up days that still have visits lose their mark (so
/// the rollup job rebuilds them with a segment); a day whose visits were
/// purged keeps its rollups as they are.
#[test]
fn the_v3_migration_unrolls_days_with_visits_only() {
    let (dir, store) = store_with_sites();
    let site = SiteId(1);
    // Day 20,000 has a visit; day 19,000 only its rollup.
    one_visit_on_day_20000(&store, site);
    for day in [19_000, 20_000] {
        let version = store.read().unwrap().day_version(site, day).unwrap();
        assert!(
            store
                .put_rollup_day(site, day, &[], &[], version, 1)
                .unwrap()
        );
    }
    {
        let tx = store.db.begin_write().unwrap();
        tx.open_table(super::tables::META)
            .unwrap()
            .insert(
                super::tables::SCHEMA_VERSION_KEY,
                2u64.to_be_bytes().as_slice(),
            )
            .unwrap();
        tx.commit().unwrap();
    }
    drop(store);
    let store = Store::open(dir.path()).unwrap();
    let rolled = store.read().unwrap().rolled_days(site, 0, 30_000).unwrap();
    assert_eq!(rolled.into_iter().collect::<Vec<_>>(), vec![19_000]);
}

/// A day's segment holds its visits' attributes: purging the visits drops
/// it, even where the site keeps the day's rollups.
#[test]
fn purging_a_days_visits_drops_its_segment_and_keeps_its_rollups() {
    let (_dir, store) = store_with_sites();
    let site = SiteId(1);
    let day_ms = 20_000 * 86_400_000;
    one_visit_on_day_20000(&store, site);
    let version = store.read().unwrap().day_version(site, 20_000).unwrap();
    let segment = [(0, vec![1, 2, 3]), (1, vec![4])];
    assert!(
        store
            .put_rollup_day(site, 20_000, &[], &segment, version, 1)
            .unwrap()
    );
    let column = |c| {
        store
            .read()
            .unwrap()
            .segment_column(site, 20_000, c)
            .unwrap()
    };
    assert_eq!(column(0), Some(vec![1, 2, 3]));
    let cutoff = super::Cutoff {
        site,
        before_ms: day_ms + 86_400_000,
        before_day: 20_001,
        keep_aggregates: true,
    };
    let purged = store
        .purge_old(super::PersonTable::Sessions, &cutoff, 100, false)
        .unwrap();
    assert_eq!(purged, 1);
    assert_eq!((column(0), column(1)), (None, None));
    assert!(
        store
            .read()
            .unwrap()
            .rolled_days(site, 20_000, 20_000)
            .unwrap()
            .contains(&20_000)
    );
}

#[test]
fn table_bytes_lists_every_table_with_its_rows() {
    let (_dir, store) = store_with_sites();
    one_visit_on_day_20000(&store, SiteId(1));
    let tables = store.table_bytes().unwrap();
    let sessions = tables.iter().find(|t| t.name == "sessions_v1").unwrap();
    assert_eq!(sessions.rows, 1);
    assert!(sessions.stored > 0);
    assert!(tables.iter().any(|t| t.name == "day_segments_v2"));
}
