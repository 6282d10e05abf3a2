use serde_json::json;

use crate::helpers::{CHROME, IPHONE, MIN, spawn_app};

#[tokio::test]
async fn visits_end_after_30_idle_minutes_and_bounce_and_duration_follow() {
    let app = spawn_app().await;
    // A: one pageview — a bounced visit.
    app.pageview("/", CHROME, "198.51.100.1").await;
    // B: three pageviews over ten minutes — one visit, 600 s, no bounce.
    app.pageview("/", IPHONE, "198.51.100.2").await;
    app.clock.advance_ms(5 * MIN);
    app.pageview("/pricing", IPHONE, "198.51.100.2").await;
    app.clock.advance_ms(5 * MIN);
    app.pageview("/signup", IPHONE, "198.51.100.2").await;
    // C: a pageview, 31 idle minutes, another — two bounced visits.
    app.pageview("/blog", CHROME, "198.51.100.3").await;
    app.clock.advance_ms(31 * MIN);
    app.pageview("/blog", CHROME, "198.51.100.3").await;
    // A non-interactive event doesn't end a bounce.
    app.event(
        json!({"n": "Scroll", "u": "https://example.com/blog", "d": "example.com", "i": false}),
        CHROME,
        "198.51.100.3",
    )
    .await;

    let m = app
        .aggregate(
            &[
                "visitors",
                "visits",
                "pageviews",
                "bounce_rate",
                "visit_duration",
                "views_per_visit",
                "events",
            ],
            json!("day"),
        )
        .await;
    // visits: A 1, B 1, C 2 = 4; bounces: A, C1, C2 = 3 → 75 %;
    // durations: 0 + 600 + 0 + 0 (the scroll comes at the same instant) = 600 / 4 = 150 s.
    assert_eq!(
        m,
        vec![
            json!(3),
            json!(4),
            json!(6),
            json!(75),
            json!(150),
            json!(1.5),
            json!(7)
        ]
    );

    let entry = app
        .results(json!({"site_id": "example.com", "metrics": ["visits"], "date_range": "day", "dimensions": ["visit:exit_page"]}))
        .await;
    let exits: Vec<(String, u64)> = entry
        .iter()
        .map(|r| {
            (
                r["dimensions"][0].as_str().unwrap().to_owned(),
                r["metrics"][0].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        exits,
        vec![("/blog".into(), 2), ("/".into(), 1), ("/signup".into(), 1)]
    );
}

#[tokio::test]
async fn visitor_ids_are_stable_within_a_day_and_change_with_the_salt() {
    let app = spawn_app().await;
    app.pageview("/", CHROME, "198.51.100.7").await;
    app.clock.advance_ms(60 * MIN);
    app.pageview("/", CHROME, "198.51.100.7").await;
    // Same person, same day: one visitor, two visits.
    assert_eq!(
        app.aggregate(&["visitors", "visits"], json!("day")).await,
        vec![json!(1), json!(2)]
    );
    // Another UA from the same IP is another visitor.
    app.pageview("/", IPHONE, "198.51.100.7").await;
    assert_eq!(
        app.aggregate(&["visitors"], json!("day")).await,
        vec![json!(2)]
    );

    // Next day: the salt rotates and the same IP + UA is a new, unlinkable id.
    app.clock.advance_ms(24 * 60 * MIN);
    assert!(app.app_salts.rotate(app.clock.now_ms()).unwrap());
    app.pageview("/", CHROME, "198.51.100.7").await;
    let r = app
        .results(json!({"site_id": "example.com", "metrics": ["visitors"], "date_range": "7d", "dimensions": ["time:day"]}))
        .await;
    let per_day: Vec<u64> = r
        .iter()
        .map(|x| x["metrics"][0].as_u64().unwrap())
        .collect();
    assert_eq!(per_day, vec![2, 1]);
}

#[tokio::test]
async fn a_visit_crossing_midnight_continues_under_yesterdays_salt() {
    let app = spawn_app().await;
    // 23:50 UTC on T0's day.
    let t = crate::helpers::T0 + 13 * 60 * MIN + 50 * MIN;
    app.clock.set_ms(t);
    app.pageview("/late", CHROME, "198.51.100.9").await;
    app.clock.set_ms(t + 15 * MIN); // 00:05 next day
    assert!(app.app_salts.rotate(app.clock.now_ms()).unwrap());
    app.pageview("/later", CHROME, "198.51.100.9").await;
    // 00:32: yesterday's salt is destroyed, but the visit (last event 00:05
    // plus 27 minutes) is still open and keeps going.
    app.clock.set_ms(t + 42 * MIN);
    assert_eq!(
        app.app_salts.destroy_expired(app.clock.now_ms()).unwrap(),
        1
    );
    app.pageview("/latest", CHROME, "198.51.100.9").await;
    let m = app
        .aggregate(&["visits", "pageviews", "bounce_rate"], json!("7d"))
        .await;
    assert_eq!(m, vec![json!(1), json!(3), json!(0)]);
}
