use redb::ReadableTableMetadata;
use rustc_hash::FxHashSet;

use super::*;
use crate::{
    domain::SiteId,
    store::{SessionAppend, SessionKey},
};

const TEXTS: [&str; 8] = [
    "example.com",
    "/kept",
    "/rolled-up-only",
    "/gone",
    "Gone Campaign",
    "gone-key",
    "gone-value",
    "/noted",
];

/// A store with texts 1–8 (see [`TEXTS`]); a visit using 1 (hostname) and 2
/// (its page); a rollup row of the page dimension holding 3 and a channel
/// rollup row whose code, 4, is no text.
fn fixture() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let mut batch = Batch {
        strings: TEXTS
            .iter()
            .zip(1..)
            .map(|(t, id)| (id, (*t).to_owned()))
            .collect(),
        next_string_id: 9,
        next_session_id: 2,
        ..Batch::default()
    };
    batch.sessions.push(visit(1, 2));
    store.commit_batch(&batch).unwrap();
    let tx = store.db.begin_write().unwrap();
    {
        let mut t = tx.open_table(ROLLUPS).unwrap();
        t.insert((1, 10, 1, 3), [0u8; 48].as_slice()).unwrap();
        t.insert((1, 10, 7, 4), [0u8; 48].as_slice()).unwrap();
    }
    tx.commit().unwrap();
    (dir, store)
}

/// A new visit with id `id` whose one pageview is of text `path`.
fn visit(id: u64, path: u32) -> SessionAppend {
    SessionAppend {
        key: SessionKey {
            site: SiteId(1),
            start_ms: 1_000 * id,
            id,
        },
        day: 10,
        header: Some(SessionRecord {
            visitor: id,
            hostname: 1,
            ..SessionRecord::default()
        }),
        events: vec![EventRecord {
            path,
            pageview: true,
            interactive: true,
            ..EventRecord::default()
        }],
        engagements: Vec::new(),
    }
}

fn texts(store: &Store) -> Vec<String> {
    let tx = store.db.begin_read().unwrap();
    let by_id: Vec<String> = tx
        .open_table(STRINGS)
        .unwrap()
        .iter()
        .unwrap()
        .map(|r| r.unwrap().1.value().to_owned())
        .collect();
    let ids = tx.open_table(STRING_IDS).unwrap();
    assert_eq!(ids.len().unwrap(), by_id.len() as u64, "both tables agree");
    for t in &by_id {
        assert!(ids.get(t.as_str()).unwrap().is_some(), "{t} in both");
    }
    by_id
}

#[test]
fn a_full_sweep_deletes_exactly_the_texts_nothing_references() {
    let (_dir, store) = fixture();
    let gone = store.sweep_strings(None, 2).unwrap();
    assert_eq!(
        texts(&store),
        ["example.com", "/kept", "/rolled-up-only"],
        "a visit's texts and a rollup's (kept aggregates) stay; a code is no text"
    );
    assert_eq!(gone, 5);
    assert_eq!(store.sweep_strings(None, 2).unwrap(), 0, "nothing left");
}

#[test]
fn an_erasure_sweep_looks_only_at_the_erased_visits_texts() {
    let (_dir, store) = fixture();
    let only: FxHashSet<u32> = [0, 2, 3, 4, 42].into_iter().collect();
    assert_eq!(store.sweep_strings(Some(only), 10).unwrap(), 1);
    let left = texts(&store);
    assert!(!left.contains(&"/gone".to_owned()), "4 was unused");
    assert!(
        left.contains(&"gone-key".to_owned()),
        "6 was not asked about"
    );
    assert!(left.contains(&"/kept".to_owned()) && left.contains(&"/rolled-up-only".to_owned()));
}

#[test]
fn a_text_a_writer_batch_uses_during_a_sweep_is_spared() {
    let (_dir, store) = fixture();
    // The sweep has chosen its candidates (8, "/noted", among them) when a
    // writer batch commits a visit using 8, as the ingest writer does.
    let gone = store
        .sweep(None, 1, || {
            let mut gate = store.strings_guard();
            let batch = Batch {
                sessions: vec![visit(2, 8)],
                next_string_id: 9,
                next_session_id: 3,
                ..Batch::default()
            };
            store.commit_batch(&batch).unwrap();
            gate.committed(&batch);
        })
        .unwrap();
    assert_eq!(gone, 4);
    assert!(texts(&store).contains(&"/noted".to_owned()));
    // Notes last one sweep: the next one sees the visit itself.
    assert_eq!(store.sweep_strings(None, 1).unwrap(), 0);
    assert!(!store.strings.state.lock().unwrap().sweeping);
}

#[test]
fn every_deletion_moves_the_generation_on() {
    let (_dir, store) = fixture();
    let before = store.strings_guard().generation();
    store.sweep_strings(None, 2).unwrap();
    let after = store.strings_guard().generation();
    assert!(after > before, "a writer must forget its cached ids");
    store.sweep_strings(None, 2).unwrap();
    assert_eq!(store.strings_guard().generation(), after, "nothing deleted");
}
