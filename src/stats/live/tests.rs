//! A live day holds exactly the rollup a fresh build of the day would: random
//! batches of new and growing visits (visitors with several visits, exit
//! pages that move, bounces that stop being bounces), a consent upgrade
//! and an erasure, compared after every batch with the day built from rows.

use crate::{
    domain::{Domain, SiteId, Timezone, calendar::days_to_ms, calendar::local_day, money::Money},
    stats::{
        self,
        query::{Dimension, Metric, Query},
        rollup::{ROLLUP_DELAY_MS, build_day, roll_up_all, rollup_dims},
    },
    store::{
        Batch, PersonKeys, SessionAppend, SessionKey, Store, VisitorUpgrade,
        record::{EventRecord, SessionRecord},
    },
};

use crate::test_rng::Rng;

const TEXTS: [&str; 9] = [
    "/",
    "/pricing",
    "/docs/a",
    "/docs/b",
    "/blog/x", // paths 1..=5
    "Google",
    "Twitter", // sources 6..=7
    "Signup",  // event name 8
    "x.example",
];

/// (start ms, id, events so far) of each visit written.
type Written = Vec<(u64, u64, u32)>;

struct Day {
    _dir: tempfile::TempDir,
    store: Store,
    site: SiteId,
    tz: Timezone,
    day: u32,
    from: u64,
    to: u64,
    rng: Rng,
    visits: Written,
    next_id: u64,
}

impl Day {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let tz = Timezone::parse("America/New_York").unwrap();
        let ws = store.create_workspace("W", 0).unwrap().id;
        let site = store
            .add_site(ws, &Domain::parse("x.example").unwrap(), tz, 0)
            .unwrap()
            .id;
        let day = local_day(1_700_000_000_000, tz);
        let (from, to) = days_to_ms(day, day, tz);
        store
            .commit_batch(&Batch {
                strings: (1..).zip(TEXTS.iter().map(|t| (*t).to_owned())).collect(),
                next_string_id: 100,
                next_session_id: 1,
                ..Batch::default()
            })
            .unwrap();
        Self {
            _dir: dir,
            store,
            site,
            tz,
            day,
            from,
            to,
            rng: Rng(0x2545_f491_4f6c_dd1d),
            visits: Vec::new(),
            next_id: 1,
        }
    }

    fn event(&mut self, offset_ms: u32) -> EventRecord {
        let custom = self.rng.below(5) == 0;
        EventRecord {
            offset_ms,
            path: 1 + u32::try_from(self.rng.below(5)).unwrap(),
            pageview: !custom,
            name: if custom { 8 } else { 0 },
            interactive: true,
            ..EventRecord::default()
        }
    }

    /// One batch: `new` visits from 40 visitors, `grow` visits extended.
    fn batch(&mut self, new: usize, grow: usize) {
        let mut sessions = Vec::new();
        for _ in 0..new {
            let start = self.from + self.rng.below(self.to - self.from - 3_600_000);
            let header = SessionRecord {
                visitor: 1 + self.rng.below(40),
                hostname: 9,
                source: [0, 6, 7][self.rng.below(3) as usize],
                country: [*b"US", *b"DE", [0, 0]][self.rng.below(3) as usize],
                device: u8::try_from(self.rng.below(3)).unwrap(),
                ..SessionRecord::default()
            };
            let events = vec![self.event(0)];
            self.visits.push((start, self.next_id, 1));
            sessions.push(self.append(start, self.next_id, Some(header), events));
            self.next_id += 1;
        }
        for _ in 0..grow.min(self.visits.len()) {
            let i = self.rng.below(self.visits.len() as u64) as usize;
            let (start, id, n) = self.visits[i];
            if sessions.iter().any(|s: &SessionAppend| s.key.id == id) {
                continue;
            }
            let more = 1 + self.rng.below(2) as u32;
            let events = (0..more).map(|k| self.event((n + k) * 20_000)).collect();
            self.visits[i].2 += more;
            sessions.push(self.append(start, id, None, events));
        }
        self.commit(Batch {
            sessions,
            ..Batch::default()
        });
    }

    fn append(
        &self,
        start_ms: u64,
        id: u64,
        header: Option<SessionRecord>,
        events: Vec<EventRecord>,
    ) -> SessionAppend {
        SessionAppend {
            key: SessionKey {
                site: self.site,
                start_ms,
                id,
            },
            day: self.day,
            header,
            events,
            engagements: Vec::new(),
        }
    }

    fn commit(&self, mut batch: Batch) {
        (batch.next_string_id, batch.next_session_id) = self.store.writer_counters().unwrap();
        batch.next_session_id = batch.next_session_id.max(self.next_id);
        self.store.commit_batch(&batch).unwrap();
    }

    /// (code, value, visitors, visits, pageviews, events, bounces, duration),
    /// sorted: from the live day, and from the day built from rows.
    fn both(&self) -> (Vec<[u64; 8]>, Vec<[u64; 8]>) {
        let flat = |code: u8, value: u32, s: &crate::store::RollupSums| {
            [
                u64::from(code),
                u64::from(value),
                s.visitors,
                s.visits,
                s.pageviews,
                s.events,
                s.bounces,
                s.duration_ms,
            ]
        };
        let codes: Vec<u8> = std::iter::once(0)
            .chain(rollup_dims().into_iter().map(|d| d.0))
            .collect();
        let view = self.store.read().unwrap();
        let mut live: Vec<[u64; 8]> =
            super::rollup_rows(&view, (self.site, self.day, self.tz), &codes)
                .unwrap()
                .expect("the day fits")
                .into_iter()
                .flat_map(|(_, rows)| rows)
                .map(|r| flat(r.dim, r.value, &r.sums))
                .collect();
        let mut fresh: Vec<[u64; 8]> = build_day(&self.store, self.site, self.day)
            .unwrap()
            .rows
            .iter()
            .map(|(c, v, s)| flat(*c, *v, s))
            .collect();
        live.sort_unstable();
        fresh.sort_unstable();
        (live, fresh)
    }

    fn builds(&self) -> u64 {
        super::builds(&self.store.read().unwrap())
    }

    fn query(&self, dims: Vec<Dimension>) -> Query {
        Query {
            site: self.site,
            timezone: self.tz,
            from_ms: self.from,
            to_ms: self.to,
            metrics: vec![
                Metric::Visitors,
                Metric::Visits,
                Metric::Pageviews,
                Metric::BounceRate,
                Metric::VisitDuration,
                Metric::Events,
            ],
            dimensions: dims,
            filter: None,
            order_by: Vec::new(),
            limit: 10_000,
            offset: 0,
            money: Money::default(),
        }
    }
}

#[test]
fn a_live_day_catches_up_to_exactly_what_rows_say() {
    let mut d = Day::new();
    d.batch(60, 0);
    let (live, fresh) = d.both();
    assert!(fresh.len() > 50, "a real day: {}", fresh.len());
    assert_eq!(live, fresh);
    assert_eq!(d.builds(), 1);
    for round in 0..12 {
        d.batch(20, 40);
        // Two batches between reads now and then: both are caught up.
        if round % 3 == 0 {
            d.batch(5, 10);
        }
        let (live, fresh) = d.both();
        assert_eq!(live, fresh, "round {round}");
    }
    assert_eq!(d.builds(), 1, "caught up from the log, never rebuilt");

    // A consent upgrade moves two visitors' visits to a third.
    d.commit(Batch {
        upgrades: vec![VisitorUpgrade {
            site: d.site,
            from: vec![3, 4],
            to: 5,
            since_ms: d.from,
            days: d.day..=d.day,
        }],
        ..Batch::default()
    });
    let (live, fresh) = d.both();
    assert_eq!(live, fresh, "after the upgrade");
    // One that matches no visit still raises the day's version.
    d.commit(Batch {
        upgrades: vec![VisitorUpgrade {
            site: d.site,
            from: vec![999],
            to: 5,
            since_ms: d.from,
            days: d.day..=d.day,
        }],
        ..Batch::default()
    });
    let (live, fresh) = d.both();
    assert_eq!(live, fresh, "after an upgrade of nobody");
    assert_eq!(d.builds(), 1, "upgrades are logged too");

    // An erasure isn't a batch: the day is read again.
    d.store
        .erase_person(
            d.site,
            &PersonKeys {
                visitors: vec![5],
                ..PersonKeys::default()
            },
        )
        .unwrap();
    let (live, fresh) = d.both();
    assert_eq!(live, fresh, "after the erasure");
    assert_eq!(d.builds(), 2);
}

/// Reports over the open day answer from the live day, and once the day is
/// rolled up the stored rollup answers the same.
#[test]
fn reports_from_the_live_day_equal_those_from_the_stored_rollup() {
    let mut d = Day::new();
    d.batch(80, 0);
    let queries: Vec<Query> = [
        vec![],
        vec![Dimension::Hour],
        vec![Dimension::Page],
        vec![Dimension::ExitPage],
        vec![Dimension::Source],
        vec![Dimension::Country],
    ]
    .into_iter()
    .map(|dims| d.query(dims))
    .collect();
    let mut answers = Vec::new();
    for round in 0..3 {
        d.batch(10, 30);
        let view = d.store.read().unwrap();
        answers = queries
            .iter()
            .map(|q| stats::run(&view, q).unwrap())
            .collect::<Vec<_>>();
        assert!(answers.iter().all(|o| !o.used_rollups), "round {round}");
    }
    assert_eq!(d.builds(), 1, "every report read the live day");
    assert_eq!(roll_up_all(&d.store, d.to + ROLLUP_DELAY_MS).unwrap(), 1);
    let view = d.store.read().unwrap();
    for (q, live) in queries.iter().zip(answers) {
        let stored = stats::run(&view, q).unwrap();
        assert!(stored.used_rollups);
        assert_eq!(stored.rows, live.rows, "{:?}", q.dimensions);
    }
}

/// A day that doesn't fit in the live days' memory is scanned instead, with
/// the same answers, and held again once there is room.
#[test]
fn a_day_too_big_to_hold_is_scanned_with_the_same_answers() {
    let mut d = Day::new();
    d.batch(80, 0);
    let q = d.query(vec![Dimension::Page]);
    let run = |d: &Day| stats::run(&d.store.read().unwrap(), &q).unwrap().rows;
    // The registry exists once a report asked; the first one then fits.
    let live = run(&d);
    assert_eq!(d.builds(), 1);
    let view = d.store.read().unwrap();
    let held = super::set_budget(&view, 100);
    assert!(held > 80 * 64, "rows and index are counted: {held}");
    drop(view);
    // Growing past the bound lets the day go: scanned from rows.
    d.batch(10, 20);
    let scanned = run(&d);
    assert_eq!(super::set_budget(&d.store.read().unwrap(), 100), 0);
    assert_ne!(scanned, live, "the batch changed the day");
    d.batch(0, 0);
    assert_eq!(run(&d), scanned);
    assert_eq!(d.builds(), 1, "not read whole while it can't fit");
    // Room again: held and read live, with the scan's answers.
    super::set_budget(&d.store.read().unwrap(), usize::MAX / 2);
    assert_eq!(run(&d), scanned);
    assert_eq!(d.builds(), 2);
    assert!(super::set_budget(&d.store.read().unwrap(), usize::MAX / 2) > 0);
}

#[test]
fn open_days_are_the_latest_with_visits_after_every_rolled_day() {
    let rolled: std::collections::BTreeSet<u32> = (1..=10).collect();
    // "This month" on day 15: the rest of the month is empty, not live.
    assert_eq!(super::open_days((1, 31), &rolled, 15), vec![15, 14]);
    assert_eq!(super::open_days((1, 31), &rolled, 11), vec![11]);
    // Nothing after the last rolled day has visits.
    assert!(super::open_days((1, 31), &rolled, 10).is_empty());
    // Nothing rolled up (a new site): its latest two days.
    let none = std::collections::BTreeSet::new();
    assert_eq!(super::open_days((20, 31), &none, 40), vec![31, 30]);
    assert_eq!(super::open_days((20, 31), &none, 20), vec![20]);
}
