//! Revenue metrics: purchases' revenue summed and averaged exactly (decimal
//! millionths), per dimension, from visits even when days are rolled up, and
//! kept per currency: shown in one, the rest named, by `event:currency` apart.

use serde_json::json;

use crate::helpers::{CHROME, MIN, T0, spawn_app};

#[tokio::test]
async fn revenue_is_summed_and_averaged_per_currency_and_mixed_currencies_are_kept_apart() {
    let app = spawn_app().await;
    let buy = |name: &str, amount: &str, currency: &str| {
        json!({"n": name, "u": "https://example.com/checkout", "d": "example.com",
               "$": {"amount": amount, "currency": currency}})
    };
    app.event(buy("Purchase", "9.99", "EUR"), CHROME, "203.0.113.1")
        .await;
    app.event(buy("Purchase", "20.015", "eur"), CHROME, "203.0.113.2")
        .await;
    app.event(buy("Renewal", "5", "USD"), CHROME, "203.0.113.3")
        .await;
    app.pageview("/", CHROME, "203.0.113.4").await;
    let q = |filters: serde_json::Value, dims: serde_json::Value| {
        json!({"site_id": "example.com", "metrics": ["total_revenue", "average_revenue", "events"],
               "date_range": "day", "filters": filters, "dimensions": dims})
    };
    let purchases = json!([["is", "event:name", ["Purchase"]]]);
    let r = app.results(q(purchases.clone(), json!([]))).await;
    assert_eq!(
        r[0]["metrics"],
        json!([{"value": 30.01, "currency": "EUR"}, {"value": 15.0, "currency": "EUR"}, 2])
    );

    // Two currencies: shown in the dominant one (two EUR events to one USD),
    // the USD named as not converted — never a 400, never silently summed.
    let (status, body) = app.query(q(json!([]), json!([]))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["results"][0]["metrics"],
        json!([{"value": 30.01, "currency": "EUR"}, {"value": 15.0, "currency": "EUR"}, 4])
    );
    assert_eq!(
        body["meta"]["revenue_not_converted"],
        json!({"USD": 5.0}),
        "{body}"
    );
    // Broken down by source: still answers.
    let (status, body) = app.query(q(json!([]), json!(["visit:source"]))).await;
    assert_eq!(status, 200, "{body}");
    // Grouped by currency, each row in its own.
    let mut rows = app.results(q(json!([]), json!(["event:currency"]))).await;
    rows.sort_by_key(|r| r["dimensions"][0].as_str().unwrap().to_owned());
    assert_eq!(
        rows,
        vec![
            json!({"dimensions": ["EUR"], "metrics": [{"value": 30.01, "currency": "EUR"}, {"value": 15.0, "currency": "EUR"}, 2]}),
            json!({"dimensions": ["USD"], "metrics": [{"value": 5.0, "currency": "USD"}, {"value": 5.0, "currency": "USD"}, 1]}),
        ]
    );
    // Filtered to one currency.
    let usd = app
        .results(q(json!([["is", "event:currency", ["USD"]]]), json!([])))
        .await;
    assert_eq!(
        usd[0]["metrics"][0],
        json!({"value": 5.0, "currency": "USD"})
    );
    // A reporting currency with a rate the site gave converts, and says so.
    app.edit_site(|s| {
        s.reporting_currency = Some("USD".into());
        s.exchange_rates.insert("EUR".into(), 1.1);
    });
    let (_, body) = app.query(q(json!([]), json!([]))).await;
    assert_eq!(
        body["results"][0]["metrics"][0],
        json!({"value": 38.01, "currency": "USD"}),
        "30.01 EUR × 1.1 + 5 USD: {body}"
    );
    assert!(
        body["meta"].get("revenue_not_converted").is_none(),
        "{body}"
    );
    app.edit_site(|s| {
        s.reporting_currency = None;
        s.exchange_rates.clear();
    });

    // Still exact once the day is rolled up: revenue never comes from rollups.
    app.clock.set_ms(T0 + 2 * 24 * 60 * MIN);
    touchpoint::stats::rollup::roll_up_all(&app.state.store, app.clock.now_ms()).unwrap();
    let by_browser = json!({"site_id": "example.com", "metrics": ["total_revenue"], "date_range": ["2024-03-15", "2024-03-15"],
        "filters": [["is", "event:name", ["Renewal"]]], "dimensions": ["visit:browser"]});
    let (status, body) = app.query(by_browser).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["results"],
        json!([{"dimensions": ["Chrome"], "metrics": [{"value": 5.0, "currency": "USD"}]}])
    );
    assert_eq!(body["meta"]["from_rollups"], false);
    // No revenue matched: null, not zero in some currency.
    let none = json!({"site_id": "example.com", "metrics": ["total_revenue"], "date_range": ["2024-03-15", "2024-03-15"],
        "filters": [["is", "event:page", ["/"]]]});
    assert_eq!(app.results(none).await[0]["metrics"], json!([null]));
}
