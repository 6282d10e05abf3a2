//! A report holds at most `storage.max_report_mb`: past it, it stops with
//! [`StatsError::TooLarge`] (a 400 saying so), whether it scans visit rows or
//! day segments or reads rollups, and reports within it answer as without
//! one.

use actix_web::ResponseError;

use crate::{
    api::ApiError,
    domain::{Domain, SiteId, Timezone, calendar::days_to_ms, calendar::local_day, money::Money},
    stats::{
        self, StatsError,
        query::{Dimension, Filter, Metric, Op, Query},
        rollup::{ROLLUP_DELAY_MS, roll_up_all},
    },
    store::{
        Batch, SessionAppend, SessionKey, Store,
        record::{EventRecord, SessionRecord},
    },
};

/// Visits a day, each from its own visitor with its own page and property
/// value: a breakdown by either has a group per visit.
const VISITS: u32 = 10_000;
/// Interned texts: the event name, the property key, then one text a visit
/// (its page and its property value).
const NAME: u32 = 1;
const KEY: u32 = 2;
const DAYS: u32 = 2;

/// Two days: the first rolled up (read from its segment), the second "today"
/// (read from its rows).
fn seeded() -> (tempfile::TempDir, Store, SiteId, u32) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let ws = store.create_workspace("W", 0).unwrap().id;
    let tz = Timezone::default();
    let site = store
        .add_site(ws, &Domain::parse("x.example").unwrap(), tz, 0)
        .unwrap()
        .id;
    let first = local_day(1_700_000_000_000, tz);
    let mut strings = vec![(NAME, "Signup".to_owned()), (KEY, "plan".to_owned())];
    let mut sessions = Vec::new();
    for day in 0..DAYS {
        let (from, _) = days_to_ms(first + day, first + day, tz);
        for i in 0..VISITS {
            let n = day * VISITS + i;
            let value = 3 + n;
            strings.push((value, format!("/value-{n}")));
            sessions.push(SessionAppend {
                key: SessionKey {
                    site,
                    start_ms: from + u64::from(i) * 10,
                    id: u64::from(n) + 1,
                },
                day: first + day,
                header: Some(SessionRecord {
                    visitor: u64::from(n) * 7_919 + 1,
                    ..SessionRecord::default()
                }),
                events: vec![
                    EventRecord {
                        path: value,
                        pageview: true,
                        ..EventRecord::default()
                    },
                    EventRecord {
                        name: NAME,
                        props: vec![(KEY, value)],
                        ..EventRecord::default()
                    },
                ],
                engagements: Vec::new(),
            });
        }
    }
    store
        .commit_batch(&Batch {
            strings,
            sessions,
            next_string_id: 3 + DAYS * VISITS,
            next_session_id: u64::from(DAYS * VISITS) + 1,
            ..Batch::default()
        })
        .unwrap();
    let (today, _) = days_to_ms(first + 1, first + 1, tz);
    assert_eq!(roll_up_all(&store, today + ROLLUP_DELAY_MS).unwrap(), 1);
    (dir, store, site, first)
}

fn query(site: SiteId, day: u32, dimensions: Vec<Dimension>, filter: Option<Filter>) -> Query {
    let (from_ms, to_ms) = days_to_ms(day, day, Timezone::default());
    Query {
        site,
        timezone: Timezone::default(),
        from_ms,
        to_ms,
        metrics: vec![Metric::Visitors, Metric::Events],
        dimensions,
        filter,
        order_by: Vec::new(),
        limit: 10_000,
        offset: 0,
        money: Money::default(),
    }
}

fn by_plan() -> Vec<Dimension> {
    vec![Dimension::Prop("plan".into())]
}

/// A filter, so the rolled-up day is scanned (from its segment) rather than
/// read from its rollup.
fn signups() -> Option<Filter> {
    Some(Filter::Leaf {
        op: Op::Is,
        dim: Dimension::Name,
        values: vec!["Signup".into()],
        case_sensitive: true,
    })
}

fn run(store: &Store, q: &Query) -> Result<Vec<stats::Row>, StatsError> {
    stats::run(&store.read().unwrap(), q).map(|o| o.rows)
}

#[test]
fn a_report_past_its_memory_limit_is_refused_on_rows_segments_and_rollups_and_smaller_ones_answer()
{
    let (_dir, mut store, site, first) = seeded();
    let today = first + 1;
    // Unbounded: a row per visit, on either day.
    let unbounded_today = run(&store, &query(site, today, by_plan(), None)).unwrap();
    assert_eq!(unbounded_today.len(), VISITS as usize);
    let unbounded_closed = run(&store, &query(site, first, by_plan(), signups())).unwrap();
    assert_eq!(unbounded_closed.len(), VISITS as usize);

    let by_page = || vec![Dimension::Page];
    let unbounded_rollups = run(&store, &query(site, first, by_page(), None)).unwrap();
    assert_eq!(unbounded_rollups.len(), VISITS as usize);

    // 10,000 groups or rollup rows hold more than 1 MiB (~200 bytes each):
    // refused, on today's rows, on the closed day's segment and on its rollup.
    store.set_report_memory_limit(1 << 20);
    for q in [
        query(site, today, by_plan(), None),
        query(site, first, by_plan(), signups()),
        query(site, first, by_page(), None),
    ] {
        let e = match run(&store, &q) {
            Ok(rows) => panic!("answered past the limit: {} rows", rows.len()),
            Err(e) => e,
        };
        assert!(matches!(e, StatsError::TooLarge { limit_mb: 1 }), "{e:?}");
        assert!(e.to_string().contains("storage.max_report_mb"), "{e}");
        assert_eq!(ApiError::from(e).status_code(), 400);
    }
    // Within it: totals hold a group, and the table of the day's 10,000
    // visitors is ~280 KiB.
    let total = run(&store, &query(site, today, Vec::new(), None)).unwrap();
    assert_eq!(total[0].metrics[0], stats::Value::Int(u64::from(VISITS)));
    let total = run(&store, &query(site, first, Vec::new(), signups())).unwrap();
    assert_eq!(total[0].metrics[0], stats::Value::Int(u64::from(VISITS)));

    // A limit the report fits in answers exactly as without one.
    store.set_report_memory_limit(64 << 20);
    assert_eq!(
        run(&store, &query(site, today, by_plan(), None)).unwrap(),
        unbounded_today
    );
    assert_eq!(
        run(&store, &query(site, first, by_plan(), signups())).unwrap(),
        unbounded_closed
    );
    assert_eq!(
        run(&store, &query(site, first, by_page(), None)).unwrap(),
        unbounded_rollups
    );
}
