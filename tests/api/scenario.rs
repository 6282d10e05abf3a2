//! The seeded scenario the Stats API tests check by hand, and helpers to compare rows.

use serde_json::{Value, json};

use crate::helpers::{CHROME, IPHONE, MIN, T0, TestApp, spawn_app};

/// The seeded scenario (the Stats API tests check it against hand-computed numbers):
/// day 1 (2024-03-15, UTC):
///   V1 Chrome  10:00 "/" from google.com, 10:02 "/pricing"        2 pv, 120 s
///   V2 iPhone  10:05 "/pricing?utm_*=newsletter/email/spring",
///              10:06 custom "Signup" {plan: pro}                  1 pv + 1 event, 60 s
///   V3 Chrome  10:10 "/" direct                                   1 pv, bounce
/// day 2: V4 Chrome 10:00 "/blog" from t.co                        1 pv, bounce
pub(crate) async fn seeded() -> TestApp {
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

pub(crate) const DAY1: &str = "2024-03-15";

pub(crate) fn rows(results: &[Value]) -> Vec<(Vec<String>, Vec<Value>)> {
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

pub(crate) fn q(metrics: Value, dims: Value, filters: Value) -> Value {
    json!({"site_id": "example.com", "metrics": metrics, "date_range": [DAY1, DAY1], "dimensions": dims, "filters": filters})
}

/// Queries whose answers are checked by hand, and later re-checked from rollups.
/// Expected rows: (dimension values, metric values).
pub(crate) type Expected = Vec<(Vec<&'static str>, Vec<Value>)>;

pub(crate) fn owned(want: Expected) -> Vec<(Vec<String>, Vec<Value>)> {
    want.into_iter()
        .map(|(d, m)| (d.into_iter().map(String::from).collect(), m))
        .collect()
}
