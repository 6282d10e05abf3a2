//! The bound on open visits in memory, through the real writer and store:
//! past `max_open_visits` no visit of two or more events loses its
//! continuation, across a restart too; visits of one event pushed out end
//! there; parked visits leave the store once idle or erased.

use std::{collections::HashMap, sync::Arc, time::Duration};

use crate::{
    domain::{Domain, SiteId, Timezone},
    ingest::{
        enrich::test_pageview,
        writer::{self, WriterConfig, WriterHandle},
    },
    metrics::Metrics,
    store::{PersonKeys, Store},
};

/// 2026-03-02 10:00 UTC.
const T: u64 = 1_772_445_600_000;
const MINUTE: u64 = 60_000;
const VISITORS: u64 = 1_000;
/// Well under `VISITORS`: most visits get parked.
const MAX_OPEN: usize = 100;

struct Writer {
    handle: WriterHandle,
    join: std::thread::JoinHandle<()>,
}

fn start(store: &Store, now_ms: u64) -> Writer {
    let cfg = WriterConfig {
        batch_size: 128,
        flush_interval: Duration::from_millis(1),
        queue_capacity: 10_000,
        queue_bytes: 64 << 20,
        max_open_visits: MAX_OPEN,
    };
    let (handle, join) =
        writer::spawn(store, cfg, Arc::new(Metrics::default()), now_ms).expect("a writer");
    Writer { handle, join }
}

impl Writer {
    /// `per` pageviews of each of `visitors` in turn (a visitor's 1 ms
    /// apart, visitors 10 ms apart from `at_ms`), all acknowledged.
    fn round(&self, visitors: impl Iterator<Item = u64>, at_ms: u64, path: &str, per: u64) {
        let acks: Vec<_> = visitors
            .flat_map(|v| (0..per).map(move |k| (v, k)))
            .map(|(v, k)| {
                let e = test_pageview(v + 1, at_ms + v * 10 + k, path);
                self.handle.enqueue(e).expect("room in the queue")
            })
            .collect();
        for ack in acks {
            ack.blocking_recv().expect("an answer").expect("stored");
        }
    }

    fn stop(self) {
        drop(self.handle);
        self.join.join().expect("the writer stops");
    }
}

fn new_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let store = Store::open(dir.path()).expect("a store");
    let ws = store.create_workspace("W", 0).expect("a workspace").id;
    let site = store
        .add_site(
            ws,
            &Domain::parse("example.com").unwrap(),
            Timezone::default(),
            0,
        )
        .expect("a site");
    assert_eq!(site.id, SiteId(1));
    (dir, store)
}

/// Events per visit, by visitor hash (each visitor's visits in time order).
fn visits(store: &Store) -> HashMap<u64, Vec<usize>> {
    let mut out: HashMap<u64, Vec<usize>> = HashMap::new();
    for (_, r) in store.sessions_since(0).expect("rows") {
        out.entry(r.visitor).or_default().push(r.events.len());
    }
    out
}

#[test]
fn visitors_past_the_bound_continue_their_visits_and_parked_visits_go_once_idle() {
    let (_dir, store) = new_store();
    let w = start(&store, T);
    // Two pageviews each.
    w.round(0..VISITORS, T, "/first", 2);
    let parked = store.parked_visit_count().unwrap();
    assert!(parked >= VISITORS - MAX_OPEN as u64, "{parked} parked");
    // Every visitor comes back within the 30 minutes: one visit each.
    w.round(0..VISITORS, T + 10 * MINUTE, "/second", 1);
    // Ten come back after 45 idle minutes: a new visit each. The batch also
    // drops the parked visits that went idle.
    w.round(0..10, T + 55 * MINUTE, "/third", 1);
    assert_eq!(store.parked_visit_count().unwrap(), 0);
    w.stop();

    let by_visitor = visits(&store);
    assert_eq!(by_visitor.len(), VISITORS as usize);
    for (v, events) in &by_visitor {
        let want: &[usize] = if *v <= 10 { &[3, 1] } else { &[3] };
        assert_eq!(events, want, "visitor {v}");
    }
}

#[test]
fn visits_of_one_event_pushed_out_end_there() {
    let (_dir, store) = new_store();
    let w = start(&store, T);
    w.round(0..VISITORS, T, "/first", 1);
    assert_eq!(store.parked_visit_count().unwrap(), 0);
    // The most recent first: those still in memory continue.
    w.round((0..VISITORS).rev(), T + MINUTE, "/second", 1);
    w.stop();
    let by_visitor = visits(&store);
    assert_eq!(by_visitor.len(), VISITORS as usize);
    // The last of the first round stayed in memory and continued; the
    // earliest were pushed out and start again.
    let continued = by_visitor.values().filter(|e| *e == &[2]).count();
    let split = by_visitor.values().filter(|e| *e == &[1, 1]).count();
    assert_eq!(continued + split, VISITORS as usize);
    assert!(
        continued > 0 && continued <= MAX_OPEN,
        "{continued} continued"
    );
}

#[test]
fn a_restart_past_the_bound_parks_what_it_reads_back_and_visits_continue() {
    let (_dir, store) = new_store();
    let w = start(&store, T);
    w.round(0..VISITORS, T, "/first", 2);
    w.stop();
    // The new writer reads back all 1,000 open visits and keeps 100 in memory.
    let w = start(&store, T + 5 * MINUTE);
    w.round(0..VISITORS, T + 10 * MINUTE, "/second", 1);
    w.stop();
    let by_visitor = visits(&store);
    assert_eq!(by_visitor.len(), VISITORS as usize);
    assert!(by_visitor.values().all(|e| e == &[3]), "{by_visitor:?}");
}

#[test]
fn an_erased_visitor_leaves_no_parked_visit() {
    let (_dir, store) = new_store();
    let w = start(&store, T);
    w.round(0..VISITORS, T, "/first", 2);
    w.stop();
    // Visitor hashes are `v + 1`; the earliest are the first parked.
    let who = 3;
    assert!(store.parked_visit(SiteId(1), who).unwrap().is_some());
    let keys = PersonKeys {
        visitors: vec![who],
        ..PersonKeys::default()
    };
    store.erase_person(SiteId(1), &keys).expect("erased");
    assert_eq!(store.parked_visit(SiteId(1), who).unwrap(), None);
    assert!(store.parked_visit(SiteId(1), who + 1).unwrap().is_some());
    assert_eq!(
        store.parked_visit_count().unwrap(),
        store.parked_visit_count_expiring().unwrap(),
        "the erased visitor's expiry entry goes too"
    );
}

#[test]
fn a_parked_visit_that_moved_to_a_consenting_id_is_not_found_under_its_old_hash() {
    use crate::ingest::visitor::VisitorHashes;
    let (_dir, store) = new_store();
    let w = start(&store, T);
    w.round(0..VISITORS, T, "/first", 2);
    // Two early (parked) cookieless visitors accept consent; then the same
    // cookieless hash shows up again (another browser behind the same
    // address, or the visitor after withdrawing): in the same batch for the
    // first, in a later one for the second.
    let consent = |from: u64, to: u64, at: u64| {
        let mut e = test_pageview(to, at, "/accepted");
        e.cookieless = Some(VisitorHashes {
            current: from,
            previous: None,
        });
        e
    };
    for (from, to, together) in [(2, 5_002, true), (3, 5_003, false)] {
        assert!(store.parked_visit(SiteId(1), from).unwrap().is_some());
        let at = T + 5 * MINUTE;
        let mut first = Some(w.handle.enqueue(consent(from, to, at)).unwrap());
        if !together && let Some(ack) = first.take() {
            ack.blocking_recv().unwrap().unwrap();
        }
        let again = test_pageview(from, at + 1_000, "/again");
        let second = w.handle.enqueue(again).unwrap();
        if let Some(ack) = first {
            ack.blocking_recv().unwrap().unwrap();
        }
        second.blocking_recv().unwrap().unwrap();
    }
    w.stop();
    let by_visitor = visits(&store);
    // The journey goes on under the consenting id with the accept (3
    // events), and the later cookieless event starts a visit of its own,
    // never a 4th event of the journey. When it was in the batch of the
    // accept (the writer decides), the consent upgrade joins that visit to
    // the consenting visitor as well (every visit of the day under the
    // cookieless hash is theirs).
    let mut first: Vec<usize> = by_visitor[&5_002].clone();
    first.extend(by_visitor.get(&2).into_iter().flatten());
    first.sort_unstable();
    assert_eq!(first, vec![1, 3], "{by_visitor:?}");
    assert_eq!(by_visitor[&5_003], vec![3]);
    assert_eq!(by_visitor[&3], vec![1]);
    for from in [2, 3] {
        assert_eq!(store.parked_visit(SiteId(1), from).unwrap(), None);
    }
}
