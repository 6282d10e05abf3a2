//! Stats API v2 against Plausible's query schema: conversion rates, location
//! names, behavioural filters, `24h` and date-time ranges, time labels;
//! each checked against hand-computed values.

use serde_json::{Value, json};

use crate::helpers::{CHROME, IPHONE, MIN, T0, TestApp, fixture, spawn_app, spawn_app_with};

/// Four visitors today: three on Chrome (one signs up), one on an iPhone
/// (signs up). T0 is 2024-03-15T10:00Z.
async fn four_visitors(app: &TestApp) {
    for (ip, ua, signup) in [
        ("198.51.100.1", CHROME, true),
        ("198.51.100.2", CHROME, false),
        ("198.51.100.3", CHROME, false),
        ("198.51.100.4", IPHONE, true),
    ] {
        app.pageview("/", ua, ip).await;
        if signup {
            app.event(
                json!({"n": "Signup", "u": "https://example.com/join", "d": "example.com"}),
                ua,
                ip,
            )
            .await;
        }
    }
}

fn q(extra: Value) -> Value {
    let mut q = json!({"site_id": "example.com", "date_range": "day"});
    for (k, v) in extra.as_object().unwrap() {
        q[k] = v.clone();
    }
    q
}

#[tokio::test]
async fn conversion_rates_are_visitors_over_the_visitors_without_the_goal_filter() {
    let app = spawn_app().await;
    four_visitors(&app).await;
    let goal = json!([["is", "event:goal", ["Signup"]]]);
    // 2 of 4 visitors signed up.
    let r = app
        .results(q(
            json!({"metrics": ["visitors", "conversion_rate"], "filters": goal}),
        ))
        .await;
    assert_eq!(r[0]["metrics"], json!([2, 50.0]));
    // Per browser: of all 4 visitors (conversion_rate), of the browser's own
    // (group_conversion_rate): Chrome 1 of 3, Safari 1 of 1.
    let r = app
        .results(q(json!({"metrics": ["visitors", "conversion_rate", "group_conversion_rate"],
            "filters": goal, "dimensions": ["visit:browser"], "order_by": [["visit:browser", "asc"]]})))
        .await;
    assert_eq!(
        r,
        vec![
            json!({"dimensions": ["Chrome"], "metrics": [1, 25.0, 33.3]}),
            json!({"dimensions": ["Safari"], "metrics": [1, 25.0, 100.0]})
        ]
    );
    // With event:goal as a dimension, a row per goal.
    let r = app
        .results(q(
            json!({"metrics": ["conversion_rate"], "dimensions": ["event:goal"],
            "filters": [["is", "event:goal", ["Signup"]]]}),
        ))
        .await;
    assert_eq!(
        r,
        vec![json!({"dimensions": ["Signup"], "metrics": [50.0]})]
    );
    // Only with a goal.
    let (status, body) = app.query(q(json!({"metrics": ["conversion_rate"]}))).await;
    assert_eq!(status, 400);
    assert_eq!(
        body["error"],
        "Metric `conversion_rate` can only be queried with event:goal filters or dimensions."
    );
}

#[tokio::test]
async fn has_done_keeps_the_visits_with_a_matching_event_and_has_not_done_the_others() {
    let app = spawn_app().await;
    four_visitors(&app).await;
    let done = json!(["has_done", ["is", "event:name", ["Signup"]]]);
    let r = app
        .results(q(
            json!({"metrics": ["visitors", "pageviews", "events"], "filters": [done]}),
        ))
        .await;
    // The two visits with a signup: their pageviews and all their events.
    assert_eq!(r[0]["metrics"], json!([2, 2, 4]));
    let r = app
        .results(q(json!({"metrics": ["visitors"], "filters": [["has_not_done", ["is", "event:name", ["Signup"]]]],
            "dimensions": ["visit:browser"]})))
        .await;
    assert_eq!(r, vec![json!({"dimensions": ["Chrome"], "metrics": [2]})]);
    // Pages the visitors who signed up saw (pageviews only: a behavioural
    // filter picks visits, not events).
    let r = app
        .results(q(
            json!({"metrics": ["pageviews"], "filters": [done], "dimensions": ["event:page"]}),
        ))
        .await;
    assert_eq!(r, vec![json!({"dimensions": ["/"], "metrics": [2]})]);
    for (bad, want) in [
        (
            json!(["has_done", ["has_done", ["is", "event:name", ["Signup"]]]]),
            "cannot be nested",
        ),
        (
            json!(["has_done", ["is", "visit:browser", ["Chrome"]]]),
            "event dimension filters",
        ),
    ] {
        let (status, body) = app
            .query(q(json!({"metrics": ["visitors"], "filters": [bad]})))
            .await;
        assert_eq!(status, 400);
        assert!(body["error"].as_str().unwrap().contains(want), "{body}");
    }
}

#[tokio::test]
async fn the_last_24_hours_and_date_time_ranges_are_instants() {
    let app = spawn_app().await;
    app.clock.set_ms(T0 - 25 * 60 * MIN);
    app.pageview("/old", CHROME, "198.51.100.1").await;
    app.clock.set_ms(T0 - 60 * MIN);
    app.pageview("/recent", CHROME, "198.51.100.2").await;
    app.clock.set_ms(T0);
    let (status, body) = app
        .query(q(json!({"metrics": ["visitors"], "date_range": "24h"})))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["results"][0]["metrics"], json!([1]));
    assert_eq!(
        body["query"]["date_range"],
        json!(["2024-03-14T10:00:00+00:00", "2024-03-15T10:00:00+00:00"])
    );
    let r = app
        .results(q(json!({"metrics": ["visitors"],
            "date_range": ["2024-03-14T08:00:00Z", "2024-03-14T09:30:00+00:00"]})))
        .await;
    assert_eq!(r[0]["metrics"], json!([1]), "the 08:00 visit only");
    // Ten years at most, as v1 allows.
    let (status, body) = app
        .query(q(
            json!({"metrics": ["visitors"], "date_range": ["1970-01-01", "2199-12-31"]}),
        ))
        .await;
    assert_eq!(status, 400);
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("longer than 3660 days"),
        "{body}"
    );
    // Any number of days, as Plausible's parser takes them: 2d is yesterday and today.
    let r = app
        .results(q(json!({"metrics": ["visitors"], "date_range": "2d"})))
        .await;
    assert_eq!(r[0]["metrics"], json!([2]));
    let r = app
        .results(q(json!({"metrics": ["visitors"], "date_range": "1d"})))
        .await;
    assert_eq!(r[0]["metrics"], json!([1]));
    // Plausible's other names of the device class and the hostname.
    let r = app
        .results(q(json!({"metrics": ["visitors"], "date_range": "2d",
            "dimensions": ["visit:screen", "visit:entry_page_hostname"]})))
        .await;
    assert_eq!(
        r,
        vec![json!({"dimensions": ["Desktop", "example.com"], "metrics": [2]})]
    );
}

#[tokio::test]
async fn time_labels_list_every_bucket_of_the_range() {
    let app = spawn_app().await;
    app.pageview("/", CHROME, "198.51.100.1").await;
    let (status, body) = app
        .query(q(
            json!({"metrics": ["visitors"], "date_range": ["2024-03-13", "2024-03-15"],
            "dimensions": ["time:day"], "include": {"time_labels": true}}),
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["meta"]["time_labels"],
        json!(["2024-03-13", "2024-03-14", "2024-03-15"])
    );
    assert_eq!(
        body["results"].as_array().unwrap().len(),
        1,
        "results stay sparse"
    );
    let (_, body) = app
        .query(q(json!({"metrics": ["visitors"], "dimensions": ["time:hour"], "include": {"time_labels": true}})))
        .await;
    let labels = body["meta"]["time_labels"].as_array().unwrap();
    assert_eq!(labels.len(), 24);
    assert_eq!(labels[10], "2024-03-15 10:00:00");
    let (status, body) = app
        .query(q(
            json!({"metrics": ["visitors"], "include": {"time_labels": true}}),
        ))
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (
            400,
            Some("Invalid include.time_labels: requires a time dimension.")
        )
    );
    let (status, _) = app
        .query(q(
            json!({"metrics": ["visitors"], "include": {"comparisons": true}}),
        ))
        .await;
    assert_eq!(status, 400, "unknown include options are refused");
}

#[tokio::test]
async fn location_names_group_as_codes_and_filter_by_name() {
    let db = fixture("geo/GeoIP2-City-Test.mmdb");
    let app = spawn_app_with(&[("TOUCHPOINT__GEOIP__DATABASE", db.to_str().unwrap())]).await;
    app.pageview("/", CHROME, "81.2.69.142").await; // London, GB-ENG
    app.pageview("/", CHROME, "89.160.20.112").await; // Linköping, SE-E
    app.pageview("/", CHROME, "198.51.100.9").await; // nowhere known
    let r = app
        .results(q(json!({"metrics": ["visitors"],
            "dimensions": ["visit:country_name", "visit:region_name", "visit:city_name"],
            "order_by": [["visit:country_name", "asc"]]})))
        .await;
    // The visit from nowhere known has no row, as with the codes.
    assert_eq!(
        r,
        vec![
            json!({"dimensions": ["United Kingdom", "England", "London"], "metrics": [1]}),
            json!({"dimensions": ["Sweden", "Östergötland County", "Linköping"], "metrics": [1]})
        ]
    );
    for (filter, want) in [
        (json!(["is", "visit:country_name", ["United Kingdom"]]), 1),
        (
            json!(["is_not", "visit:country_name", ["United Kingdom"]]),
            2,
        ),
        (json!(["contains", "visit:region_name", ["engl"]]), 1),
        (
            json!(["matches", "visit:country_name", ["^(Sweden|Norway)$"]]),
            1,
        ),
        (json!(["is", "visit:city_name", ["London", "Linköping"]]), 2),
        (json!(["is", "visit:country_name", ["Atlantis"]]), 0),
    ] {
        let r = app
            .results(q(
                json!({"metrics": ["visitors"], "filters": [filter.clone()]}),
            ))
            .await;
        assert_eq!(r[0]["metrics"], json!([want]), "{filter}");
    }
}
