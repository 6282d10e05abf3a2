use serde_json::json;

use crate::helpers::{CHROME, spawn_app};

#[tokio::test]
async fn healthz_answers_200_when_the_store_is_writable() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(format!("{}/healthz", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
}

#[tokio::test]
async fn metrics_count_accepted_rejected_and_dropped_events() {
    let app = spawn_app().await;
    app.pageview("/", CHROME, "198.51.100.1").await;
    app.post_raw("{", CHROME, &[]).await;
    app.post_raw(
        &json!({"n": "pageview", "u": "https://example.com/", "d": "example.com"}).to_string(),
        "Googlebot/2.1",
        &[],
    )
    .await;
    let body = app
        .client
        .get(format!("{}/metrics", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for line in [
        "touchpoint_events_accepted_total 1",
        "touchpoint_events_rejected_total 1",
        "touchpoint_events_dropped_total{reason=\"bot\"} 1",
        "touchpoint_queue_depth 0",
        "touchpoint_commit_seconds_count 1",
        "touchpoint_batch_events_bucket{le=\"1\"} 1",
    ] {
        assert!(
            body.lines().any(|l| l == line),
            "missing {line:?} in\n{body}"
        );
    }
    assert!(body.contains("touchpoint_store_bytes "));
}

#[tokio::test]
async fn a_graceful_stop_commits_everything_that_was_acknowledged() {
    let app = spawn_app().await;
    for i in 0..20 {
        app.pageview(&format!("/p{i}"), CHROME, "198.51.100.1")
            .await;
    }
    let state = app.state.clone();
    app.stop().await;
    let view = state.store.read().unwrap();
    assert_eq!(view.session_count().unwrap(), 1);
}
