//! v2 filters on the seeded scenario.

use serde_json::json;

use crate::scenario::{owned, q, rows, seeded};

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
        assert_eq!(got, owned(want), "{why}");
    }
}
