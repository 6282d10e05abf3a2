//! Plausible's v1 Stats API on the seeded scenario of `stats_api`.

use serde_json::json;

use crate::scenario::seeded;

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
