//! Day segments answer exactly what the visit rows answer: random visits
//! over four days (three rolled up), every dimension, metric and kind of
//! filter, run once through the segments and once through the rows.

use std::sync::atomic::Ordering;

use crate::{
    domain::{Domain, SiteId, Timezone, calendar::days_to_ms, calendar::local_day, money::Money},
    stats::{
        self, StatsError,
        engine::{SEGMENT_DAYS_READ, use_segments},
        query::{Dimension, Filter, Metric, Op, Query},
        rollup::{ROLLUP_DELAY_MS, roll_up_all},
    },
    store::{
        Batch, SessionAppend, SessionKey, Store,
        record::{Engagement, EventRecord, Revenue, SessionRecord},
    },
};

use crate::test_rng::Rng;

const TEXTS: [&str; 16] = [
    "/",
    "/pricing",
    "/docs/a",
    "/docs/b",
    "/blog/x", // paths 1..=5
    "Google",
    "Twitter",
    "news.example", // sources 6..=8
    "Signup",
    "Purchase", // event names 9..=10
    "plan",
    "pro",
    "free", // prop key 11, values 12..=13
    "x.example",
    "Chrome",
    "Firefox", // hostname 14, browsers 15..=16
];

pub(super) fn seeded(tz: Timezone) -> (tempfile::TempDir, Store, SiteId, u32, u64) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let ws = store.create_workspace("W", 0).unwrap().id;
    let site = store
        .add_site(ws, &Domain::parse("x.example").unwrap(), tz, 0)
        .unwrap()
        .id;
    let first = local_day(1_700_000_000_000, tz);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut sessions = Vec::new();
    for day in 0..4 {
        let (from, to) = days_to_ms(first + day, first + day, tz);
        let mut start = from;
        let mut id = u64::from(day) * 10_000;
        loop {
            start += 1 + rng.below(240_000);
            if start >= to {
                break;
            }
            id += 1;
            let mut header = SessionRecord {
                visitor: rng.below(150),
                hostname: 14,
                source: [0, 6, 7, 8][rng.below(4) as usize],
                channel: u8::try_from(rng.below(4)).unwrap(),
                country: [*b"US", *b"DE", *b"FR", [0, 0]][rng.below(4) as usize],
                browser: 15 + u32::try_from(rng.below(2)).unwrap(),
                device: u8::try_from(rng.below(3)).unwrap(),
                ..SessionRecord::default()
            };
            header.utm[0] = [0, 7][rng.below(2) as usize];
            let mut events = Vec::new();
            let mut offset = 0;
            for _ in 0..1 + rng.below(5) {
                offset += u32::try_from(rng.below(90_000)).unwrap();
                let custom = rng.below(4) == 0;
                let mut e = EventRecord {
                    offset_ms: offset,
                    path: 1 + u32::try_from(rng.below(5)).unwrap(),
                    pageview: !custom,
                    interactive: rng.below(8) != 0,
                    ..EventRecord::default()
                };
                if custom {
                    e.name = 9 + u32::try_from(rng.below(2)).unwrap();
                    if rng.below(2) == 0 {
                        e.props
                            .push((11, 12 + u32::try_from(rng.below(2)).unwrap()));
                    }
                    if e.name == 10 {
                        e.revenue = Some(Revenue {
                            amount_micros: i64::try_from(rng.below(9_000_000)).unwrap(),
                            currency: [*b"EUR", *b"USD"][rng.below(2) as usize],
                        });
                    }
                } else if rng.below(3) == 0 {
                    e.engagement = Some(Engagement {
                        engaged_ms: u32::try_from(rng.below(60_000)).unwrap(),
                        scroll: [None, Some(40), Some(100)][rng.below(3) as usize],
                    });
                }
                events.push(e);
            }
            sessions.push(SessionAppend {
                key: SessionKey {
                    site,
                    start_ms: start,
                    id,
                },
                day: first + day,
                header: Some(header),
                events,
                engagements: Vec::new(),
            });
        }
    }
    let batch = Batch {
        strings: (1..).zip(TEXTS.iter().map(|t| (*t).to_owned())).collect(),
        sessions,
        next_string_id: 100,
        next_session_id: 100_000,
        ..Batch::default()
    };
    store.commit_batch(&batch).unwrap();
    // Days 0..=2 are closed; day 3 is "today".
    let (today, _) = days_to_ms(first + 3, first + 3, tz);
    assert_eq!(roll_up_all(&store, today + ROLLUP_DELAY_MS).unwrap(), 3);
    (dir, store, site, first, today)
}

fn leaf(op: Op, dim: Dimension, v: &str) -> Filter {
    Filter::Leaf {
        op,
        dim,
        values: vec![v.into()],
        case_sensitive: false,
    }
}

fn filters() -> Vec<Option<Filter>> {
    let us = leaf(Op::Is, Dimension::Country, "US");
    let docs = leaf(Op::Contains, Dimension::Page, "/docs");
    vec![
        None,
        Some(us.clone()),
        Some(leaf(Op::IsNot, Dimension::Source, "Google")),
        Some(docs.clone()),
        Some(leaf(Op::Is, Dimension::Name, "Purchase")),
        Some(leaf(Op::Is, Dimension::Prop("plan".into()), "pro")),
        Some(leaf(Op::Matches, Dimension::EntryPage, "^/(docs|blog)")),
        Some(Filter::And(vec![us.clone(), docs.clone()])),
        Some(Filter::Or(vec![
            leaf(Op::Is, Dimension::Browser, "Firefox"),
            leaf(Op::Is, Dimension::Utm(0), "Twitter"),
        ])),
        Some(Filter::Not(Box::new(us))),
        Some(Filter::HasDone(Box::new(leaf(
            Op::Is,
            Dimension::Name,
            "Signup",
        )))),
        Some(Filter::Not(Box::new(Filter::HasDone(Box::new(docs))))),
    ]
}

fn groupings() -> Vec<Vec<Dimension>> {
    let mut out: Vec<Vec<Dimension>> = vec![
        vec![],
        vec![Dimension::Day],
        vec![Dimension::Hour],
        vec![Dimension::Page],
        vec![Dimension::Name],
        vec![Dimension::Prop("plan".into())],
        vec![Dimension::Currency],
        vec![Dimension::Source, Dimension::Page],
        vec![Dimension::Country, Dimension::Day],
    ];
    out.extend(super::VISIT_DIMS.iter().map(|d| vec![d.clone()]));
    out
}

fn run(store: &Store, q: &Query, segments: bool) -> Result<Vec<stats::Row>, String> {
    use_segments(segments);
    let view = store.read().unwrap();
    let out = stats::run(&view, q).map(|o| o.rows);
    use_segments(true);
    out.map_err(|e: StatsError| e.to_string())
}

#[test]
fn segments_and_rows_agree_on_every_query() {
    let tz = Timezone::parse("America/New_York").unwrap();
    let (_dir, store, site, first, today) = seeded(tz);
    let view = store.read().unwrap();
    for d in first..first + 3 {
        assert!(
            view.segment_column(site, d, super::col::HEADER)
                .unwrap()
                .is_some()
        );
    }
    drop(view);
    let ranges = [
        days_to_ms(first, first + 3, tz),
        days_to_ms(first + 1, first + 1, tz),
        // Not day-aligned: the partial days come from rows.
        (today - 30 * 3_600_000, today + 3_600_000),
    ];
    let before = SEGMENT_DAYS_READ.load(Ordering::Relaxed);
    let mut compared = 0;
    for (from_ms, to_ms) in ranges {
        for (n, filter) in filters().into_iter().enumerate() {
            for dims in groupings() {
                let engagement = dims.contains(&Dimension::Page);
                let mut metrics = vec![
                    Metric::Visitors,
                    Metric::Visits,
                    Metric::Pageviews,
                    Metric::BounceRate,
                    Metric::VisitDuration,
                    Metric::Events,
                ];
                // Half the reports show revenue: the others skip reading it.
                if n % 2 == 0 {
                    metrics.push(Metric::TotalRevenue);
                }
                if engagement {
                    metrics.extend([Metric::TimeOnPage, Metric::ScrollDepth]);
                }
                let q = Query {
                    site,
                    timezone: tz,
                    from_ms,
                    to_ms,
                    metrics,
                    dimensions: dims,
                    filter: filter.clone(),
                    order_by: Vec::new(),
                    limit: 10_000,
                    offset: 0,
                    money: Money::default(),
                };
                let rows = run(&store, &q, false);
                assert_eq!(run(&store, &q, true), rows, "{q:?}");
                compared += usize::from(rows.is_ok_and(|r| !r.is_empty()));
            }
        }
    }
    assert!(compared > 500, "only {compared} non-empty reports compared");
    // Segments were read (filtered queries over whole rolled-up days).
    assert!(SEGMENT_DAYS_READ.load(Ordering::Relaxed) > before + 100);
}

#[test]
fn corrupt_or_missing_columns_are_errors() {
    let need = super::Need {
        dims: [true; super::VISIT_DIMS.len()],
        events: true,
        extras: true,
        visitor_ids: true,
        offsets: true,
    };
    let mut b = super::Builder::new(Timezone::default(), 0, 86_400_000);
    let rec = SessionRecord {
        events: vec![EventRecord {
            path: 3,
            pageview: true,
            ..EventRecord::default()
        }],
        ..SessionRecord::default()
    };
    b.push(5, 1, &rec);
    let cols = b.finish();
    let get = |skip: u8| {
        let cols = &cols;
        move |c: u8| -> Result<Option<Vec<u8>>, crate::store::StoreError> {
            Ok(cols
                .iter()
                .find(|(k, _)| *k == c && *k != skip)
                .map(|(_, v)| v.clone()))
        }
    };
    let whole = super::DaySegment::load(get(u8::MAX), &need).unwrap();
    assert_eq!((whole.visits, whole.visitors, whole.start_ms(0)), (1, 1, 5));
    for (code, _) in &cols {
        // Reports don't read visit ids and `utm_id` (whole visits do), and
        // segments written before them have none.
        let wanted = ![super::col::VISIT_ID, super::col::UTM_ID].contains(code);
        assert_eq!(
            super::DaySegment::load(get(*code), &need).is_err(),
            wanted,
            "{code}"
        );
    }
    let truncated = |c: u8| -> Result<Option<Vec<u8>>, crate::store::StoreError> {
        Ok(cols.iter().find(|(k, _)| *k == c).map(|(k, v)| {
            if *k == super::col::START {
                v[..v.len() - 1].to_vec()
            } else {
                v.clone()
            }
        }))
    };
    assert!(super::DaySegment::load(truncated, &need).is_err());
}

/// What attribution reads of each visit (start, visitor, one dimension) is
/// the same from segments as from rows.
#[test]
fn visit_attributes_agree_with_the_rows() {
    let tz = Timezone::parse("America/New_York").unwrap();
    let (_dir, store, site, first, today) = seeded(tz);
    let view = store.read().unwrap();
    let site = view.site(site).unwrap().unwrap();
    let before = SEGMENT_DAYS_READ.load(Ordering::Relaxed);
    let read = |range, dim: &Dimension, segments: bool| {
        use_segments(segments);
        let mut out = Vec::new();
        let r = super::for_each_visit(&view, &site, range, dim, |t, v, raw| {
            out.push((t, v, raw));
        });
        use_segments(true);
        r.unwrap();
        out
    };
    for range in [
        days_to_ms(first, first + 3, tz),
        (today - 30 * 3_600_000, today + 3_600_000),
        (0, u64::MAX),
    ] {
        for dim in &super::VISIT_DIMS {
            let rows = read(range, dim, false);
            assert!(!rows.is_empty());
            assert_eq!(read(range, dim, true), rows, "{dim}");
        }
    }
    assert!(SEGMENT_DAYS_READ.load(Ordering::Relaxed) >= before + 3 * 20);
    let need = super::Need {
        visitor_ids: true,
        ..super::Need::default()
    };
    let seg = super::read(&view, site.id, first, &need).unwrap().unwrap();
    assert!(seg.visits > 100 && seg.visitor_id(0) < 150);
}

/// Lead scoring's occurrences (every event of chosen visitors, with its time,
/// name, page and properties) are the same from segments as from rows.
#[test]
fn scoring_occurrences_agree_with_the_rows() {
    let tz = Timezone::parse("America/New_York").unwrap();
    let (_dir, store, site, _, _) = seeded(tz);
    let view = store.read().unwrap();
    let site = view.site(site).unwrap().unwrap();
    // Every third visitor is someone's, two visitors to an owner.
    let owner: std::collections::HashMap<u64, usize> = (0..150)
        .step_by(3)
        .map(|v| (v, usize::try_from(v / 6).unwrap()))
        .collect();
    let read = |segments: bool| {
        use_segments(segments);
        let out = crate::attribution::lead_facts::occurrences_by_visitor(&view, &site, &owner, 25);
        use_segments(true);
        out.unwrap()
    };
    let before = SEGMENT_DAYS_READ.load(Ordering::Relaxed);
    let rows = read(false);
    assert!(rows.iter().all(|o| !o.is_empty()));
    assert!(rows.iter().flatten().any(|o| !o.props.is_empty()));
    assert_eq!(read(true), rows);
    assert!(SEGMENT_DAYS_READ.load(Ordering::Relaxed) >= before + 3);
}
