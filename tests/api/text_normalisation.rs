//! Texts are normalised once (`domain::text`): a path arrives percent-encoded
//! or not and is one page, shown decoded; filters are normalised the same
//! way, so the decoded value people type finds it; bytes that are not UTF-8
//! keep their escapes instead of vanishing.

use serde_json::{Value, json};

use crate::helpers::{CHROME, IPHONE, TestApp, spawn_app};

async fn rows(app: &TestApp, dims: &[&str], filters: Value) -> Vec<(Value, Value)> {
    app.results(
        json!({"site_id": "example.com", "metrics": ["visitors", "pageviews"],
        "date_range": "day", "dimensions": dims, "filters": filters}),
    )
    .await
    .into_iter()
    .map(|r| (r["dimensions"].clone(), r["metrics"].clone()))
    .collect()
}

#[tokio::test]
async fn both_encodings_of_a_path_are_one_page_shown_decoded_and_filterable() {
    let app = spawn_app().await;
    app.pageview("/de/zehn-jahre-%C3%BCberdauern", CHROME, "203.0.113.1")
        .await;
    app.pageview("/de/zehn-jahre-überdauern", IPHONE, "203.0.113.2")
        .await;
    app.pageview("/de/other", CHROME, "203.0.113.3").await;

    let page = "/de/zehn-jahre-überdauern";
    let pages = rows(&app, &["event:page"], json!([])).await;
    assert!(
        pages.contains(&(json!([page]), json!([2, 2]))),
        "one page, decoded: {pages:?}"
    );
    assert_eq!(pages.len(), 2, "{pages:?}");

    for (what, filter) in [
        ("typed decoded", json!([["is", "event:page", [page]]])),
        (
            "typed encoded",
            json!([["is", "event:page", ["/de/zehn-jahre-%C3%BCberdauern"]]]),
        ),
        (
            "contains, decoded",
            json!([["contains", "event:page", ["überdauern"]]]),
        ),
        ("entry page", json!([["is", "visit:entry_page", [page]]])),
    ] {
        assert_eq!(
            rows(&app, &[], filter).await,
            vec![(json!([]), json!([2, 2]))],
            "{what}"
        );
    }
}

#[tokio::test]
async fn a_utm_value_that_is_not_utf8_keeps_its_escapes() {
    let app = spawn_app().await;
    app.pageview(
        "/?utm_source=%FF%FE&utm_campaign=sp%C3%A4t+sommer",
        CHROME,
        "203.0.113.1",
    )
    .await;
    let got = rows(
        &app,
        &["visit:utm_source", "visit:source", "visit:utm_campaign"],
        json!([]),
    )
    .await;
    assert_eq!(
        got,
        vec![(json!(["%FF%FE", "%FF%FE", "spät sommer"]), json!([1, 1]))]
    );
    let filtered = rows(
        &app,
        &[],
        json!([
            ["is", "visit:utm_source", ["%FF%FE"]],
            ["is", "visit:utm_campaign", ["spät sommer"]]
        ]),
    )
    .await;
    assert_eq!(filtered, vec![(json!([]), json!([1, 1]))]);
}
