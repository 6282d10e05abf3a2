use serde_json::{Value, json};

use crate::{
    helpers::{CHROME, MIN, T0, TestApp, spawn_app},
    scenario::{DAY1, Expected, owned, q, rows, seeded},
};

fn checked_queries() -> Vec<(&'static str, Value, Expected)> {
    vec![
        (
            "aggregate",
            q(
                json!([
                    "visitors",
                    "visits",
                    "pageviews",
                    "events",
                    "bounce_rate",
                    "visit_duration",
                    "views_per_visit"
                ]),
                json!([]),
                json!([]),
            ),
            vec![(
                vec![],
                vec![
                    json!(3),
                    json!(3),
                    json!(4),
                    json!(5),
                    json!(33),
                    json!(60),
                    json!(1.33),
                ],
            )],
        ),
        (
            "pages",
            q(
                json!(["visitors", "pageviews"]),
                json!(["event:page"]),
                json!([]),
            ),
            vec![
                (vec!["/"], vec![json!(2), json!(2)]),
                (vec!["/pricing"], vec![json!(2), json!(2)]),
            ],
        ),
        (
            "sources with percentage",
            q(
                json!(["visitors", "percentage"]),
                json!(["visit:source"]),
                json!([]),
            ),
            vec![
                (vec!["Direct / None"], vec![json!(1), json!(33.3)]),
                (vec!["Google"], vec![json!(1), json!(33.3)]),
                (vec!["newsletter"], vec![json!(1), json!(33.3)]),
            ],
        ),
        (
            "channels",
            q(json!(["visits"]), json!(["visit:channel"]), json!([])),
            vec![
                (vec!["Direct"], vec![json!(1)]),
                (vec!["Email"], vec![json!(1)]),
                (vec!["Organic Search"], vec![json!(1)]),
            ],
        ),
        (
            "event names",
            q(
                json!(["visitors", "events"]),
                json!(["event:name"]),
                json!([]),
            ),
            vec![
                (vec!["pageview"], vec![json!(3), json!(4)]),
                (vec!["Signup"], vec![json!(1), json!(1)]),
            ],
        ),
        (
            "campaigns",
            q(
                json!(["visitors"]),
                json!(["visit:utm_campaign"]),
                json!([]),
            ),
            vec![(vec!["spring"], vec![json!(1)])],
        ),
        (
            "devices",
            q(json!(["visitors"]), json!(["visit:device"]), json!([])),
            vec![
                (vec!["Desktop"], vec![json!(2)]),
                (vec!["Mobile"], vec![json!(1)]),
            ],
        ),
    ]
}

async fn check(app: &TestApp, from_rollups: bool) {
    for (why, query, want) in checked_queries() {
        let (status, body) = app.query(query.clone()).await;
        assert_eq!(status, 200, "{why}: {body}");
        assert_eq!(body["meta"]["from_rollups"], from_rollups, "{why}");
        let got = rows(body["results"].as_array().unwrap());
        assert_eq!(got, owned(want), "{why}");
    }
}

#[tokio::test]
async fn stats_api_v2_matches_hand_computed_numbers_from_scans_and_from_rollups() {
    let app = seeded().await;
    check(&app, false).await;
    let written =
        touchpoint::stats::rollup::roll_up_all(&app.state.store, T0 + 2 * 24 * 60 * MIN).unwrap();
    // ClickHouse aggregates every report itself: no rollups.
    let embedded = crate::helpers::engine_from_env() == "embedded";
    assert_eq!(
        written,
        if embedded { 2 } else { 0 },
        "both completed days are rolled up"
    );
    check(&app, embedded).await;
}

#[tokio::test]
async fn timeseries_ordering_and_pagination_work() {
    let app = seeded().await;
    let r = app
        .results(json!({"site_id": "example.com", "metrics": ["visitors"], "date_range": "7d", "dimensions": ["time:day"]}))
        .await;
    assert_eq!(
        rows(&r),
        vec![
            (vec!["2024-03-15".to_owned()], vec![json!(3)]),
            (vec!["2024-03-16".to_owned()], vec![json!(1)])
        ]
    );
    let r = app
        .results(json!({"site_id": "example.com", "metrics": ["visitors"], "date_range": [DAY1, DAY1], "dimensions": ["time:hour"]}))
        .await;
    assert_eq!(
        rows(&r),
        vec![(vec!["2024-03-15 10:00:00".to_owned()], vec![json!(3)])]
    );
    let r = app
        .results(json!({"site_id": "example.com", "metrics": ["visitors"], "date_range": "7d", "dimensions": ["event:page"],
            "order_by": [["event:page", "desc"]], "pagination": {"limit": 2, "offset": 1}}))
        .await;
    let pages: Vec<String> = rows(&r).into_iter().map(|(d, _)| d[0].clone()).collect();
    assert_eq!(pages, vec!["/blog", "/"]);
}

#[tokio::test]
async fn bad_stats_requests_get_clear_errors() {
    let app = seeded().await;
    let cases = [
        (
            "unknown metric",
            json!({"site_id": "example.com", "metrics": ["nope"], "date_range": "day"}),
            400,
            "nope",
        ),
        (
            "unknown dimension",
            json!({"site_id": "example.com", "metrics": ["visitors"], "date_range": "day", "dimensions": ["visit:shoe"]}),
            400,
            "visit:shoe",
        ),
        (
            "bad period",
            json!({"site_id": "example.com", "metrics": ["visitors"], "date_range": "fortnight"}),
            400,
            "fortnight",
        ),
        (
            "bad regex",
            json!({"site_id": "example.com", "metrics": ["visitors"], "date_range": "day", "filters": [["matches", "event:page", ["("]]]}),
            400,
            "regular expression",
        ),
        (
            "unknown site",
            json!({"site_id": "nope.example", "metrics": ["visitors"], "date_range": "day"}),
            404,
            "not found",
        ),
        (
            "percentage without dimension",
            json!({"site_id": "example.com", "metrics": ["percentage"], "date_range": "day"}),
            400,
            "percentage",
        ),
        (
            "reversed range",
            json!({"site_id": "example.com", "metrics": ["visitors"], "date_range": ["2024-03-15", "2024-03-01"]}),
            400,
            "before",
        ),
    ];
    for (why, body, status, needle) in cases {
        let (s, b) = app.query(body).await;
        assert_eq!(s, status, "{why}: {b}");
        assert!(
            b["error"].as_str().unwrap_or_default().contains(needle),
            "{why}: {b}"
        );
    }
    let res = app
        .client
        .post(format!("{}/api/v2/query", app.url))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401);
    let res = app
        .client
        .post(format!("{}/api/v2/query", app.url))
        .bearer_auth("tp_wrong")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401);
}

#[tokio::test]
async fn days_and_hours_are_bucketed_in_the_sites_timezone() {
    let app = spawn_app().await;
    // 2024-03-16 03:30 UTC is 23:30 on the 15th in New York (EDT, UTC-4).
    app.clock.set_ms(T0 + 17 * 60 * MIN + 30 * MIN);
    app.event(
        json!({"n": "pageview", "u": "https://other.example/", "d": "other.example"}),
        CHROME,
        "198.51.100.1",
    )
    .await;
    let r = app
        .results(json!({"site_id": "other.example", "metrics": ["visitors"], "date_range": "7d", "dimensions": ["time:hour"]}))
        .await;
    assert_eq!(
        rows(&r),
        vec![(vec!["2024-03-15 23:00:00".to_owned()], vec![json!(1)])]
    );
    let (_, b) = app
        .get_api("/api/v1/stats/aggregate?site_id=other.example&period=day&date=2024-03-15")
        .await;
    assert_eq!(b["results"]["visitors"]["value"], 1, "{b}");
    let (_, b) = app
        .get_api("/api/v1/stats/aggregate?site_id=other.example&period=day&date=2024-03-16")
        .await;
    assert_eq!(b["results"]["visitors"]["value"], 0, "{b}");
}
