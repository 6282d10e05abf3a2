//! Plausible's v1 Stats API on the seeded scenario of `stats_api`.

use serde_json::json;
use touchpoint::domain::{Domain, Timezone};

use crate::{
    helpers::{CHROME, MIN, T0, spawn_app},
    scenario::seeded,
};

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

/// Percent-encodes a query parameter value.
fn enc(v: &str) -> String {
    url::form_urlencoded::byte_serialize(v.as_bytes()).collect()
}

#[tokio::test]
async fn v1_filters_escape_pipes_in_values() {
    let app = spawn_app().await;
    for (i, path) in [
        "/a|b",
        "/a",
        "/b",
        "/x?utm_campaign=NL%20-%20SH%20%7C%20Smart%20Shopping",
        "/x?utm_campaign=Smart%20Shopping",
    ]
    .into_iter()
    .enumerate()
    {
        app.pageview(path, CHROME, &format!("198.51.100.{}", i + 1))
            .await;
    }
    let day = "site_id=example.com&period=day&date=2024-03-15";
    let count = |filter: &'static str| {
        let app = &app;
        async move {
            let (s, b) = app
                .get_api(&format!(
                    "/api/v1/stats/aggregate?{day}&metrics=visitors&filters={}",
                    enc(filter)
                ))
                .await;
            assert_eq!(s, 200, "{filter}: {b}");
            b["results"]["visitors"]["value"].as_u64().unwrap()
        }
    };
    let breakdown = |property: &'static str, filter: &'static str| {
        let app = &app;
        async move {
            let (s, b) = app
                .get_api(&format!(
                    "/api/v1/stats/breakdown?{day}&property={property}&filters={}",
                    enc(filter)
                ))
                .await;
            assert_eq!(s, 200, "{filter}: {b}");
            b["results"].clone()
        }
    };
    let (s, b) = app
        .get_api(&format!(
            "/api/v1/stats/breakdown?{day}&property=event:page"
        ))
        .await;
    assert_eq!(s, 200);
    assert!(
        b["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["page"] == "/a|b"),
        "the page is stored as /a|b: {b}"
    );

    assert_eq!(
        count(r"event:page==/a\|b").await,
        1,
        "escaped: the page /a|b"
    );
    assert_eq!(
        breakdown("event:page", r"event:page==/a\|b").await,
        json!([{"page": "/a|b", "visitors": 1}])
    );
    // Unescaped, `|` separates values: "/a" or "b" (no page is "b").
    assert_eq!(count("event:page==/a|b").await, 1, "unescaped: /a or b");
    assert_eq!(
        breakdown("event:page", "event:page==/a|b").await,
        json!([{"page": "/a", "visitors": 1}])
    );
    assert_eq!(count("event:page==/a|/b").await, 2);

    let campaign = r"visit:utm_campaign==NL - SH \| Smart Shopping";
    assert_eq!(count(campaign).await, 1, "escaped campaign");
    assert_eq!(
        breakdown("visit:utm_campaign", campaign).await,
        json!([{"utm_campaign": "NL - SH | Smart Shopping", "visitors": 1}])
    );
    // Unescaped: "NL - SH" or "Smart Shopping", which only the other visit has.
    assert_eq!(
        breakdown(
            "visit:utm_campaign",
            "visit:utm_campaign==NL - SH | Smart Shopping"
        )
        .await,
        json!([{"utm_campaign": "Smart Shopping", "visitors": 1}])
    );

    for (filter, needle) in [
        ("event:page==", "empty value"),
        ("visit:nope==1", "visit:nope"),
        ("event:page=/a", "operator"),
    ] {
        let (s, b) = app
            .get_api(&format!(
                "/api/v1/stats/aggregate?{day}&filters={}",
                enc(filter)
            ))
            .await;
        assert_eq!(s, 400, "{filter}: {b}");
        assert!(
            b["error"].as_str().unwrap_or_default().contains(needle),
            "{filter}: {b}"
        );
    }
}

/// 2020-03-29T00:00Z; Stockholm springs forward at 01:00Z (02:00 → 03:00 local).
const SPRING_2020: u64 = 1_585_440_000_000;
/// 2020-10-25T00:00Z; Stockholm falls back at 01:00Z (03:00 → 02:00 local).
const FALL_2020: u64 = 1_603_584_000_000;

#[tokio::test]
async fn v1_hourly_timeseries_follows_the_sites_zone_through_dst() {
    let app = spawn_app().await;
    app.state
        .store
        .add_site(
            app.acme(),
            &Domain::parse("stockholm.example").unwrap(),
            Timezone::parse("Europe/Stockholm").unwrap(),
            T0,
        )
        .unwrap();
    app.state.reload_sites().unwrap();
    let visit = |at: u64, ip: &'static str| {
        let app = &app;
        async move {
            app.clock.set_ms(at);
            app.event(
                json!({"n": "pageview", "u": "https://stockholm.example/", "d": "stockholm.example"}),
                CHROME,
                ip,
            )
            .await;
        }
    };
    // Spring: 01:30 local (+01) and 03:30 local (+02), an hour apart.
    visit(SPRING_2020 + 30 * MIN, "198.51.100.1").await;
    visit(SPRING_2020 + 90 * MIN, "198.51.100.2").await;
    // Fall: 02:30 local twice, at +02 and then at +01.
    visit(FALL_2020 + 30 * MIN, "198.51.100.3").await;
    visit(FALL_2020 + 90 * MIN, "198.51.100.4").await;

    let series = |date: &'static str| {
        let app = &app;
        async move {
            let (s, b) = app
                .get_api(&format!(
                    "/api/v1/stats/timeseries?site_id=stockholm.example&period=day&date={date}"
                ))
                .await;
            assert_eq!(s, 200, "{b}");
            b["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    (
                        r["date"].as_str().unwrap().to_owned(),
                        r["visitors"].as_u64().unwrap(),
                    )
                })
                .collect::<Vec<_>>()
        }
    };
    let before_rollup = (series("2020-03-29").await, series("2020-10-25").await);
    // Rolled-up days (hour buckets stored as u32) answer the same. Up to the
    // fall day only: rolling up to 2024 takes long enough for the client's
    // idle connection to meet the server's keep-alive timeout.
    let store = app.state.store.clone();
    let rolled = tokio::task::spawn_blocking(move || {
        touchpoint::stats::rollup::roll_up_all(&store, FALL_2020 + 2 * 24 * 60 * MIN)
    })
    .await
    .unwrap()
    .unwrap();
    // ClickHouse aggregates every report itself: no rollups.
    assert_eq!(
        rolled > 200,
        crate::helpers::engine_from_env() == "embedded",
        "days rolled up: {rolled}"
    );
    assert_eq!(
        (series("2020-03-29").await, series("2020-10-25").await),
        before_rollup
    );

    let spring = series("2020-03-29").await;
    assert_eq!(spring.len(), 23, "{spring:?}");
    assert!(
        spring.iter().all(|(d, _)| d != "2020-03-29 02:00:00"),
        "02:00 doesn't exist that day: {spring:?}"
    );
    assert_eq!(spring[1], ("2020-03-29 01:00:00".to_owned(), 1));
    assert_eq!(spring[2], ("2020-03-29 03:00:00".to_owned(), 1));
    assert_eq!(spring.iter().map(|(_, v)| v).sum::<u64>(), 2);

    let fall = series("2020-10-25").await;
    assert_eq!(fall.len(), 25, "{fall:?}");
    assert_eq!(fall[2], ("2020-10-25 02:00:00+02:00".to_owned(), 1));
    assert_eq!(fall[3], ("2020-10-25 02:00:00+01:00".to_owned(), 1));
    assert_eq!(fall[4], ("2020-10-25 03:00:00".to_owned(), 0));

    // Days around the change keep their local dates.
    let (_, b) = app
        .get_api("/api/v1/stats/timeseries?site_id=stockholm.example&period=custom&date=2020-03-28,2020-03-30&interval=date")
        .await;
    assert_eq!(
        b,
        json!({"results": [
            {"date": "2020-03-28", "visitors": 0},
            {"date": "2020-03-29", "visitors": 2},
            {"date": "2020-03-30", "visitors": 0},
        ]})
    );
}
