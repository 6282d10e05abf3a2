//! Dashboard page render time (report queries + HTML) on the self-seeded
//! store of 10 million events (one site, 30 days; see benches/query.rs).
//! `TOUCHPOINT_BENCH_EVENTS` picks another size.

mod support;

use chrono::Days;
use criterion::{Criterion, criterion_group, criterion_main};
use touchpoint::{
    dashboard::{
        site::{conversions, params::ViewState, report},
        views::overview::{Frame, overview},
    },
    domain::calendar::date_of_day,
    stats::realtime,
    store::{Goal, GoalKind},
};

fn bench(c: &mut Criterion) {
    let events = support::bench_events();
    let (_dir, store) = support::cached_store(events);
    let site = store.sites().unwrap().remove(0);
    // "Today" is the last seeded day, so 30d covers the whole month.
    let first = date_of_day(u32::try_from(support::START_MS / 86_400_000).unwrap());
    let today = first
        .checked_add_days(Days::new(support::DAYS - 1))
        .unwrap();
    // Its last minute: the chart of "today" is drawn through its last hour.
    let now = support::START_MS + support::DAYS * 86_400_000 - 60_000;
    let signup = Goal {
        id: 1,
        site: site.id,
        kind: GoalKind::Event("pageview".into()),
    };
    let cases: Vec<(&str, &str, Vec<Goal>)> = vec![
        ("overview_30d", "", vec![]),
        ("overview_7d", "period=7d", vec![]),
        ("overview_today_hourly", "period=day", vec![]),
        ("overview_12mo_monthly", "period=12mo", vec![]),
        (
            "overview_30d_other_tabs",
            "sources=utm_campaign&pages=exit_page&locations=city&devices=os",
            vec![],
        ),
        ("overview_30d_with_event_goal", "", vec![signup]),
        // Conversions: two scans (with and without the goal), property keys, values.
        (
            "overview_30d_goal_filtered_with_properties",
            "f=goal%3ASignup&prop=plan",
            vec![Goal {
                id: 2,
                site: site.id,
                kind: GoalKind::Event("Signup".into()),
            }],
        ),
        (
            "overview_30d_filtered_by_source",
            "f=source%3AGoogle",
            vec![],
        ),
    ];
    let mut g = c.benchmark_group(format!("dashboard_{events}"));
    g.sample_size(10);
    for (name, query, goals) in cases {
        let state = ViewState::parse(query).unwrap();
        g.bench_function(name, |b| {
            b.iter(|| {
                let view = store.read().unwrap();
                let o = report::overview(&view, &site, &goals, &state, now).unwrap();
                let frame = Frame {
                    site: &site,
                    base: "/sites/example.com".into(),
                    keep: None,
                    user: None,
                    role: Some(touchpoint::domain::Role::Owner),
                    imports: false,
                    notices: Vec::new(),
                };
                let html = overview(frame, &state, &o).into_string();
                assert!(html.len() > 1000);
                html
            });
        });
    }
    let goals = vec![Goal {
        id: 1,
        site: site.id,
        kind: GoalKind::Event("pageview".into()),
    }];
    let state = ViewState::default();
    g.bench_function("goals_page_30d", |b| {
        b.iter(|| {
            conversions::goals_only(&store.read().unwrap(), &site, &goals, &state, today).unwrap()
        });
    });
    g.bench_function("realtime_at_end_of_data", |b| {
        b.iter(|| realtime::current(&store.read().unwrap(), site.id, now).unwrap());
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
