//! The Sites API (Plausible's paths and shapes) and Touchpoint's settings
//! with patch semantics, for a key allowed to manage sites; the settings
//! form leaves what it doesn't post alone.

use serde_json::{Value, json};
use touchpoint::store::KeyScopes;

use crate::helpers::{T0, TestApp, spawn_app};

pub(crate) async fn call(
    app: &TestApp,
    key: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = app
        .client
        .request(method.parse().unwrap(), format!("{}{path}", app.url))
        .bearer_auth(key);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn sites_are_created_listed_read_changed_and_deleted_with_plausibles_shapes() {
    let app = spawn_app().await;
    let key = app.api_key.clone();
    let (s, b) = call(
        &app,
        &key,
        "POST",
        "/api/v1/sites",
        Some(json!({"domain": "new.example", "timezone": "Europe/Tallinn"})),
    )
    .await;
    assert_eq!(
        (s, &b),
        (
            200,
            &json!({"domain": "new.example", "timezone": "Europe/Tallinn", "custom_properties": []})
        )
    );
    // It takes events at once, and has a write key.
    assert!(
        app.state.sites.load()["new.example"]
            .segment_write_key
            .is_some()
    );
    let (s, b) = call(
        &app,
        &key,
        "POST",
        "/api/v1/sites",
        Some(json!({"domain": "new.example"})),
    )
    .await;
    assert_eq!(s, 400, "{b}");
    assert!(b["error"].as_str().unwrap().starts_with("domain:"), "{b}");
    let (s, b) = call(
        &app,
        &key,
        "POST",
        "/api/v1/sites",
        Some(json!({"timezone": "UTC"})),
    )
    .await;
    assert_eq!(
        (s, b["error"].as_str()),
        (400, Some("domain: can't be blank"))
    );
    let (s, b) = call(
        &app,
        &key,
        "POST",
        "/api/v1/sites",
        Some(json!({"domain": "x.example", "timezone": "Mars/Base"})),
    )
    .await;
    assert_eq!(
        (s, b["error"].as_str()),
        (400, Some("timezone: is invalid"))
    );

    let (s, b) = call(&app, &key, "GET", "/api/v1/sites", None).await;
    assert_eq!(s, 200);
    let domains: Vec<&str> = b["sites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["domain"].as_str().unwrap())
        .collect();
    assert_eq!(
        domains,
        vec!["new.example", "other.example", "example.com"],
        "newest first"
    );
    assert_eq!(
        b["meta"],
        json!({"after": null, "before": null, "limit": 100})
    );
    // Pages of one: the cursor walks the list.
    let (_, p1) = call(&app, &key, "GET", "/api/v1/sites?limit=1", None).await;
    assert_eq!(p1["sites"][0]["domain"], "new.example");
    let after = p1["meta"]["after"].as_str().unwrap().to_owned();
    let (_, p2) = call(
        &app,
        &key,
        "GET",
        &format!("/api/v1/sites?limit=1&after={after}"),
        None,
    )
    .await;
    assert_eq!(p2["sites"][0]["domain"], "other.example");
    let before = p2["meta"]["before"].as_str().unwrap().to_owned();
    let (_, p0) = call(
        &app,
        &key,
        "GET",
        &format!("/api/v1/sites?limit=1&before={before}"),
        None,
    )
    .await;
    assert_eq!(p0["sites"][0]["domain"], "new.example");

    let (s, b) = call(&app, &key, "GET", "/api/v1/sites/new.example", None).await;
    assert_eq!((s, b["timezone"].as_str()), (200, Some("Europe/Tallinn")));
    let (s, b) = call(
        &app,
        &key,
        "PUT",
        "/api/v1/sites/new.example",
        Some(json!({"timezone": "UTC"})),
    )
    .await;
    assert_eq!((s, b["timezone"].as_str()), (200, Some("UTC")));
    let (s, _) = call(
        &app,
        &key,
        "PUT",
        "/api/v1/sites/new.example",
        Some(json!({"domain": "renamed.example"})),
    )
    .await;
    assert_eq!(s, 400);

    let (s, b) = call(&app, &key, "DELETE", "/api/v1/sites/new.example", None).await;
    assert_eq!((s, b), (200, json!({"deleted": true})));
    let (s, b) = call(&app, &key, "GET", "/api/v1/sites/new.example", None).await;
    assert_eq!(
        (s, b["error"].as_str()),
        (404, Some("Site could not be found"))
    );
    assert!(
        !app.state.sites.load().contains_key("new.example")
            || app.state.sites.load()["new.example"].deleted_ms.is_some()
    );
}

#[tokio::test]
async fn goals_and_shared_links_are_found_or_created() {
    let app = spawn_app().await;
    let key = app.api_key.clone();
    let goal = json!({"site_id": "example.com", "goal_type": "event", "event_name": "Signup"});
    let (s, g) = call(&app, &key, "PUT", "/api/v1/sites/goals", Some(goal.clone())).await;
    assert_eq!(s, 200, "{g}");
    assert_eq!(g["display_name"], "Signup");
    assert_eq!(g["goal_type"], "event");
    assert_eq!(g["page_path"], Value::Null);
    assert_eq!(g["domain"], "example.com");
    let (_, again) = call(&app, &key, "PUT", "/api/v1/sites/goals", Some(goal)).await;
    assert_eq!(again["id"], g["id"], "the same goal, the same id");
    let (s, p) = call(
        &app,
        &key,
        "PUT",
        "/api/v1/sites/goals",
        Some(json!({"site_id": "example.com", "goal_type": "page", "page_path": "/pricing*"})),
    )
    .await;
    assert_eq!(
        (s, p["display_name"].as_str()),
        (200, Some("Visit /pricing*"))
    );
    let (s, b) = call(
        &app,
        &key,
        "PUT",
        "/api/v1/sites/goals",
        Some(json!({"site_id": "example.com", "goal_type": "event"})),
    )
    .await;
    assert_eq!(
        (s, b["error"].as_str()),
        (
            400,
            Some("Parameter `event_name` is required to create a goal")
        )
    );
    let (s, b) = call(&app, &key, "GET", "/api/v1/sites/goals", None).await;
    assert_eq!(
        (s, b["error"].as_str()),
        (400, Some("Parameter `site_id` is required to list goals"))
    );

    let (_, list) = call(
        &app,
        &key,
        "GET",
        "/api/v1/sites/goals?site_id=example.com",
        None,
    )
    .await;
    let names: Vec<&str> = list["goals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["display_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["Visit /pricing*", "Signup"]);
    let id = g["id"].as_u64().unwrap();
    let (s, b) = call(
        &app,
        &key,
        "DELETE",
        &format!("/api/v1/sites/goals/{id}?site_id=example.com"),
        None,
    )
    .await;
    assert_eq!((s, b), (200, json!({"deleted": true})));
    let (s, b) = call(
        &app,
        &key,
        "DELETE",
        &format!("/api/v1/sites/goals/{id}"),
        Some(json!({"site_id": "example.com"})),
    )
    .await;
    assert_eq!(
        (s, b["error"].as_str()),
        (404, Some("Goal could not be found"))
    );

    let (s, link) = call(
        &app,
        &key,
        "PUT",
        "/api/v1/sites/shared-links",
        Some(json!({"site_id": "example.com", "name": "WordPress"})),
    )
    .await;
    assert_eq!((s, link["name"].as_str()), (200, Some("WordPress")));
    let url = link["url"].as_str().unwrap();
    let (_, again) = call(
        &app,
        &key,
        "PUT",
        "/api/v1/sites/shared-links",
        Some(json!({"site_id": "example.com", "name": "WordPress"})),
    )
    .await;
    assert_eq!(again["url"], url, "found, not made again");
    let shared = app.client.get(url).send().await.unwrap();
    assert_eq!(
        shared.status().as_u16(),
        200,
        "{url} opens the shared dashboard"
    );
}

#[tokio::test]
async fn settings_change_by_patch_and_a_field_left_out_stays() {
    let app = spawn_app().await;
    let key = app.api_key.clone();
    let path = "/api/v1/sites/example.com/settings";
    let (s, b) = call(&app, &key, "PATCH", path,
        Some(json!({"allowed_hostnames": ["example.com", "*.example.com"], "retention_months": 6, "stripe_secret": "whsec_test"}))).await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = call(
        &app,
        &key,
        "PATCH",
        path,
        Some(json!({"consent_mode": "require", "lookback_days": 30})),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["consent_mode"], "require");
    assert_eq!(
        b["allowed_hostnames"],
        json!(["example.com", "*.example.com"]),
        "kept"
    );
    assert_eq!(b["retention_months"], 6);
    assert_eq!(b["lookback_days"], 30);
    assert_eq!(b["stripe_secret"], "set", "never shown");
    assert!(b["segment_write_key"].as_str().unwrap().len() == 32);
    // Refused as a whole: nothing of an invalid patch is applied.
    let (s, e) = call(
        &app,
        &key,
        "PATCH",
        path,
        Some(json!({"consent_mode": "cookieless", "retention_months": 999})),
    )
    .await;
    assert_eq!(s, 400);
    assert!(
        e["error"].as_str().unwrap().contains("retention_months"),
        "{e}"
    );
    let (_, now) = call(&app, &key, "GET", path, None).await;
    assert_eq!(now["consent_mode"], "require");
    // The site the tracker checks changed too.
    let site = app.state.sites.load()["example.com"].clone();
    assert_eq!(site.allowed_hostnames, vec!["example.com", "*.example.com"]);
    assert!(
        site.stripe_secret_sealed
            .is_some_and(|s| !s.contains("whsec"))
    );
}

#[tokio::test]
async fn a_key_that_only_reads_cant_manage_and_another_workspace_is_not_found() {
    let app = spawn_app().await;
    let (read_only, _) = app
        .state
        .auth
        .create_api_key(app.acme(), "stats", KeyScopes::default(), T0)
        .unwrap();
    let (s, _) = call(&app, &read_only, "GET", "/api/v1/sites", None).await;
    assert_eq!(s, 200);
    for (method, path, body) in [
        ("POST", "/api/v1/sites", json!({"domain": "a.example"})),
        ("DELETE", "/api/v1/sites/example.com", json!({})),
        (
            "PATCH",
            "/api/v1/sites/example.com/settings",
            json!({"respect_dnt": true}),
        ),
        (
            "PUT",
            "/api/v1/sites/goals",
            json!({"site_id": "example.com", "goal_type": "event", "event_name": "x"}),
        ),
    ] {
        let (s, b) = call(&app, &read_only, method, path, Some(body)).await;
        assert_eq!(s, 403, "{method} {path}: {b}");
    }
    let other = app.state.store.create_workspace("Other", T0).unwrap().id;
    let (theirs, _) = app
        .state
        .auth
        .create_api_key(
            other,
            "theirs",
            KeyScopes {
                conversions: false,
                sites: true,
            },
            T0,
        )
        .unwrap();
    let (s, _) = call(&app, &theirs, "GET", "/api/v1/sites/example.com", None).await;
    assert_eq!(s, 404);
    let (s, b) = call(&app, &theirs, "GET", "/api/v1/sites", None).await;
    assert_eq!((s, b["sites"].as_array().unwrap().len()), (200, 0));
    let (s, _) = call(&app, "tp_wrong", "GET", "/api/v1/sites", None).await;
    assert_eq!(s, 401);
}
