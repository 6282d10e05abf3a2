use serde_json::{Value, json};

use crate::helpers::{CHROME, IPHONE, MIN, T0, TestApp, spawn_app};

/// The seeded scenario (hand-computed numbers in the tests below):
/// day 1 (2024-03-15, UTC):
///   V1 Chrome  10:00 "/" from google.com, 10:02 "/pricing"        2 pv, 120 s
///   V2 iPhone  10:05 "/pricing?utm_*=newsletter/email/spring",
///              10:06 custom "Signup" {plan: pro}                  1 pv + 1 event, 60 s
///   V3 Chrome  10:10 "/" direct                                   1 pv, bounce
/// day 2: V4 Chrome 10:00 "/blog" from t.co                        1 pv, bounce
async fn seeded() -> TestApp {
    let app = spawn_app().await;
    let ev = |u: &str, r: Option<&str>| {
        let mut e =
            json!({"n": "pageview", "u": format!("https://example.com{u}"), "d": "example.com"});
        if let Some(r) = r {
            e["r"] = json!(r);
        }
        e
    };
    app.event(
        ev("/", Some("https://www.google.com/")),
        CHROME,
        "198.51.100.1",
    )
    .await;
    app.clock.advance_ms(2 * MIN);
    app.event(
        ev("/pricing", Some("https://example.com/")),
        CHROME,
        "198.51.100.1",
    )
    .await;
    app.clock.advance_ms(3 * MIN);
    app.event(
        ev(
            "/pricing?utm_source=newsletter&utm_medium=email&utm_campaign=spring",
            None,
        ),
        IPHONE,
        "198.51.100.2",
    )
    .await;
    app.clock.advance_ms(MIN);
    app.event(
        json!({"n": "Signup", "u": "https://example.com/pricing", "d": "example.com", "p": {"plan": "pro"}}),
        IPHONE,
        "198.51.100.2",
    )
    .await;
    app.clock.advance_ms(4 * MIN);
    app.event(ev("/", None), CHROME, "198.51.100.3").await;
    app.clock.set_ms(T0 + 24 * 60 * MIN);
    app.app_salts.rotate(app.clock.now_ms()).unwrap();
    app.event(
        ev("/blog", Some("https://t.co/xyz")),
        CHROME,
        "198.51.100.4",
    )
    .await;
    app
}

const DAY1: &str = "2024-03-15";

fn rows(results: &[Value]) -> Vec<(Vec<String>, Vec<Value>)> {
    results
        .iter()
        .map(|r| {
            (
                r["dimensions"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|d| d.as_str().unwrap().to_owned())
                    .collect(),
                r["metrics"].as_array().unwrap().clone(),
            )
        })
        .collect()
}

fn q(metrics: Value, dims: Value, filters: Value) -> Value {
    json!({"site_id": "example.com", "metrics": metrics, "date_range": [DAY1, DAY1], "dimensions": dims, "filters": filters})
}

/// Queries whose answers are checked by hand, and later re-checked from rollups.
/// Expected rows: (dimension values, metric values).
type Expected = Vec<(Vec<&'static str>, Vec<Value>)>;

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
        let want: Vec<(Vec<String>, Vec<Value>)> = want
            .into_iter()
            .map(|(d, m)| (d.into_iter().map(String::from).collect(), m))
            .collect();
        assert_eq!(got, want, "{why}");
    }
}

#[tokio::test]
async fn stats_api_v2_matches_hand_computed_numbers_from_scans_and_from_rollups() {
    let app = seeded().await;
    check(&app, false).await;
    let written =
        touchpoint::stats::rollup::roll_up_all(&app.state.store, T0 + 2 * 24 * 60 * MIN).unwrap();
    assert_eq!(written, 2, "both completed days are rolled up");
    check(&app, true).await;
}

#[tokio::test]
async fn filters_select_visits_and_events() {
    let app = seeded().await;
    let cases = [
        (
            "visit filter",
            q(
                json!(["pageviews"]),
                json!([]),
                json!([["is", "visit:source", ["Google"]]]),
            ),
            vec![(vec![], vec![json!(2)])],
        ),
        (
            "event filter groups visits that saw the page",
            q(
                json!(["visitors"]),
                json!(["visit:source"]),
                json!([["is", "event:page", ["/pricing"]]]),
            ),
            vec![
                (vec!["Google"], vec![json!(1)]),
                (vec!["newsletter"], vec![json!(1)]),
            ],
        ),
        (
            "goal filter",
            q(
                json!(["visitors", "events"]),
                json!([]),
                json!([["is", "event:name", ["Signup"]]]),
            ),
            vec![(vec![], vec![json!(1), json!(1)])],
        ),
        (
            "contains, case-insensitive",
            q(
                json!(["visitors"]),
                json!([]),
                json!([["contains", "event:page", ["PRIC"]]]),
            ),
            vec![(vec![], vec![json!(2)])],
        ),
        (
            "matches",
            q(
                json!(["pageviews"]),
                json!([]),
                json!([["matches", "event:page", ["^/$"]]]),
            ),
            vec![(vec![], vec![json!(2)])],
        ),
        (
            "is_not",
            q(
                json!(["visits"]),
                json!([]),
                json!([["is_not", "visit:device", ["Mobile"]]]),
            ),
            vec![(vec![], vec![json!(2)])],
        ),
        (
            "or / not",
            q(
                json!(["visits"]),
                json!([]),
                json!([[
                    "or",
                    [
                        ["is", "visit:source", ["Google"]],
                        ["not", ["is", "visit:device", ["Desktop"]]]
                    ]
                ]]),
            ),
            vec![(vec![], vec![json!(2)])],
        ),
        (
            "props",
            q(
                json!(["events"]),
                json!([]),
                json!([["is", "event:props:plan", ["pro"]]]),
            ),
            vec![(vec![], vec![json!(1)])],
        ),
    ];
    for (why, query, want) in cases {
        let got = rows(&app.results(query).await);
        let want: Vec<(Vec<String>, Vec<Value>)> = want
            .into_iter()
            .map(|(d, m)| (d.into_iter().map(String::from).collect(), m))
            .collect();
        assert_eq!(got, want, "{why}");
    }
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
async fn v1_endpoints_answer_in_plausibles_shapes() {
    let app = seeded().await;
    let (s, b) = app.get_api("/api/v1/stats/aggregate?site_id=example.com&period=7d&metrics=visitors,pageviews,bounce_rate").await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        b,
        json!({"results": {"visitors": {"value": 4}, "pageviews": {"value": 5}, "bounce_rate": {"value": 50}}})
    );

    let (_, b) = app
        .get_api("/api/v1/stats/timeseries?site_id=example.com&period=7d")
        .await;
    let r = b["results"].as_array().unwrap();
    assert_eq!(r.len(), 7);
    assert_eq!(r[5], json!({"date": "2024-03-15", "visitors": 3}));
    assert_eq!(r[6], json!({"date": "2024-03-16", "visitors": 1}));
    assert_eq!(r[0], json!({"date": "2024-03-10", "visitors": 0}));

    let (_, b) = app
        .get_api("/api/v1/stats/breakdown?site_id=example.com&period=custom&date=2024-03-15,2024-03-15&property=event:page&metrics=visitors,pageviews&filters=visit:device%3D%3DDesktop")
        .await;
    assert_eq!(
        b,
        json!({"results": [{"page": "/", "visitors": 2, "pageviews": 2}, {"page": "/pricing", "visitors": 1, "pageviews": 1}]})
    );

    let (_, b) = app.get_api("/api/v1/stats/breakdown?site_id=example.com&period=7d&property=event:page&filters=event:page%3D%3D/p**").await;
    assert_eq!(b, json!({"results": [{"page": "/pricing", "visitors": 2}]}));

    let (s, b) = app
        .get_api("/api/v1/stats/realtime/visitors?site_id=example.com")
        .await;
    assert_eq!((s, b), (200, json!(1)));

    let (s, b) = app
        .get_api("/api/v1/stats/breakdown?site_id=example.com&period=7d")
        .await;
    assert_eq!(s, 400);
    assert!(b["error"].as_str().unwrap().contains("property"));
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

#[tokio::test]
async fn v1_refuses_ranges_and_pages_it_cannot_answer_sensibly() {
    let app = seeded().await;
    for (why, path, needle) in [
        (
            "ten-thousand-year range",
            "/api/v1/stats/timeseries?site_id=example.com&period=custom&date=0001-01-01,9999-12-31",
            "longer than",
        ),
        (
            "reversed range",
            "/api/v1/stats/aggregate?site_id=example.com&period=custom&date=2024-03-15,2024-03-01",
            "before",
        ),
        (
            "hours over a year",
            "/api/v1/stats/timeseries?site_id=example.com&period=12mo&interval=hour",
            "hour",
        ),
        (
            "far-future year",
            "/api/v1/stats/timeseries?site_id=example.com&period=custom&date=+262143-12-01,+262143-12-31&interval=hour",
            "",
        ),
        (
            "page overflow",
            "/api/v1/stats/breakdown?site_id=example.com&period=7d&property=event:page&page=18446744073709551615",
            "page",
        ),
        (
            "name variants are not offered",
            "/api/v1/stats/breakdown?site_id=example.com&period=7d&property=visit:country_name",
            "property",
        ),
    ] {
        let (s, b) = app.get_api(path).await;
        assert_eq!(s, 400, "{why}: {b}");
        assert!(
            b["error"].as_str().unwrap_or_default().contains(needle),
            "{why}: {b}"
        );
    }
    let (s, b) = app
        .get_api("/api/v1/stats/breakdown?site_id=example.com&period=7d&property=event:goal")
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        b["results"][0]["goal"], "pageview",
        "keyed by the property asked: {b}"
    );
}
