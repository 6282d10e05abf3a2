//! Funnels over HTTP: steps must happen in order within a visit; conversion
//! and drop-off per step, overall and by source; bad steps refused.

use serde_json::{Value, json};

use crate::{
    attribution::api,
    helpers::{CHROME, spawn_app},
};

/// A visitor's IP, referrer and events (name, path).
type Visit<'a> = (&'a str, Option<&'a str>, &'a [(&'a str, &'a str)]);

#[tokio::test]
async fn visits_count_for_the_steps_they_complete_in_order() {
    let app = spawn_app().await;
    let ev = |n: &str, path: &str, r: Option<&str>| json!({"n": n, "u": format!("https://example.com{path}"), "d": "example.com", "r": r});
    let google = Some("https://www.google.com/");
    let visits: [Visit<'_>; 4] = [
        // All three steps.
        (
            "203.0.113.1",
            google,
            &[
                ("pageview", "/pricing"),
                ("pageview", "/signup"),
                ("Signup", "/signup"),
            ],
        ),
        // Only the first.
        (
            "203.0.113.2",
            google,
            &[("pageview", "/pricing"), ("pageview", "/blog")],
        ),
        // Signup page before pricing: out of order, so only the first step.
        (
            "203.0.113.3",
            None,
            &[
                ("pageview", "/signup/form"),
                ("pageview", "/pricing"),
                ("Signup", "/pricing"),
            ],
        ),
        // Never on the pricing page: nothing.
        (
            "203.0.113.4",
            Some("https://twitter.com/"),
            &[("pageview", "/signup"), ("Signup", "/signup")],
        ),
    ];
    for (ip, r, events) in visits {
        for (n, path) in events {
            app.event(ev(n, path, r), CHROME, ip).await;
        }
    }
    let steps = json!([{"page": "/pricing"}, {"page": "/signup*"}, {"event": "Signup"}]);
    let (status, body) = api(
        &app,
        "/api/v1/funnel",
        json!({"site_id": "example.com",
        "date_range": "day", "steps": steps, "dimension": "visit:source"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let visits = |steps: &Value| -> Vec<u64> {
        steps
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["visits"].as_u64().unwrap())
            .collect()
    };
    assert_eq!(visits(&body["steps"]), [3, 1, 1]);
    assert_eq!(body["steps"][1]["conversion_rate"], 33.3);
    assert_eq!(body["steps"][1]["dropoff"], 2);
    let by: Vec<(String, Vec<u64>)> = body["breakdown"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["dimension"].as_str().unwrap().to_owned(),
                visits(&r["steps"]),
            )
        })
        .collect();
    assert_eq!(
        by,
        [
            ("Google".to_owned(), vec![2, 1, 1]),
            ("Direct / None".to_owned(), vec![1, 0, 0])
        ]
    );
    for (steps, what) in [
        (json!([{"page": "/only-one"}]), "2 to 8 steps"),
        (json!([{"page": "no-slash"}, {"event": "X"}]), "must be"),
        (
            json!([{"page": "/a", "event": "X"}, {"event": "Y"}]),
            "must be",
        ),
    ] {
        let (status, body) = api(
            &app,
            "/api/v1/funnel",
            json!({"site_id": "example.com",
            "date_range": "day", "steps": steps}),
        )
        .await;
        assert_eq!(status, 400);
        assert!(body["error"].as_str().unwrap().contains(what), "{body}");
    }
}

#[tokio::test]
async fn the_funnels_page_shows_steps_and_sources() {
    let app = spawn_app().await;
    let google = json!("https://www.google.com/");
    for (ip, events) in [
        (
            "203.0.113.1",
            vec![("pageview", "/pricing"), ("Signup", "/pricing")],
        ),
        ("203.0.113.2", vec![("pageview", "/pricing")]),
    ] {
        for (n, path) in events {
            app.event(json!({"n": n, "u": format!("https://example.com{path}"), "d": "example.com", "r": google}), CHROME, ip)
                .await;
        }
    }
    let (mut viewer, _) = app
        .member(
            "viewer@acme.test",
            touchpoint::domain::Role::Viewer,
            app.acme(),
        )
        .await;
    let (status, _, page) = viewer
        .get("/sites/example.com/funnels?period=7d&steps=%2Fpricing%0Aevent%3ASignup")
        .await;
    assert_eq!(status, 200, "{page}");
    let table = page
        .split("id=\"funnel\"")
        .nth(1)
        .unwrap()
        .split("</table>")
        .next()
        .unwrap();
    assert!(
        table.contains("<td>/pricing</td><td class=\"num\">2</td><td class=\"num\">100.0%</td>"),
        "{table}"
    );
    assert!(table.contains("<td>event:Signup</td><td class=\"num\">1</td><td class=\"num\">50.0%</td><td class=\"num\">1</td>"), "{table}");
    assert!(page.contains("<td>Google</td>"), "{page}");
    let (status, _, page) = viewer.get("/sites/example.com/funnels?steps=pricing").await;
    assert_eq!(status, 200);
    assert!(page.contains("neither a page"), "{page}");
}
