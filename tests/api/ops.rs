use serde_json::json;

use crate::helpers::{CHROME, spawn_app};

#[tokio::test]
async fn healthz_answers_200_when_the_store_is_writable() {
    let app = spawn_app().await;
    let res = app.get("/healthz").await;
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
    let body = app.get("/metrics").await.text().await.unwrap();
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
    // Kept until the end: with the ClickHouse engine it holds the server.
    let _stopped = app.stop().await;
    let view = state.store.read().unwrap();
    assert_eq!(view.session_count().unwrap(), 1);
}

#[tokio::test]
async fn a_full_queue_answers_503_with_retry_after_and_loses_nothing_it_acknowledged() {
    let app = crate::helpers::spawn_app_with(&[
        ("TOUCHPOINT__INGEST__QUEUE_CAPACITY", "1"),
        ("TOUCHPOINT__INGEST__BATCH_SIZE", "1"),
        ("TOUCHPOINT__INGEST__FLUSH_INTERVAL_MS", "0"),
    ])
    .await;
    let body =
        json!({"n": "pageview", "u": "https://example.com/", "d": "example.com"}).to_string();
    let sends = (0..300).map(|i| {
        let (client, url, body) = (app.client.clone(), app.url.clone(), body.clone());
        async move {
            let r = client
                .post(format!("{url}/api/event"))
                .header("user-agent", CHROME)
                .header("x-forwarded-for", format!("198.51.{}.{}", i / 250, i % 250))
                .body(body)
                .send()
                .await
                .unwrap();
            (
                r.status().as_u16(),
                r.headers().get("retry-after").is_some(),
            )
        }
    });
    let results = futures_join_all(sends).await;
    let accepted = results.iter().filter(|(s, _)| *s == 202).count();
    let refused: Vec<_> = results.iter().filter(|(s, _)| *s == 503).collect();
    assert_eq!(
        accepted + refused.len(),
        300,
        "only 202 or 503: {results:?}"
    );
    assert!(
        !refused.is_empty(),
        "300 simultaneous events overflow a queue of 1"
    );
    assert!(
        refused.iter().all(|(_, retry)| *retry),
        "every 503 carries Retry-After"
    );
    let stored = app.aggregate(&["events"], json!("day")).await[0]
        .as_u64()
        .unwrap();
    assert_eq!(stored, accepted as u64);
}

async fn futures_join_all<F: std::future::Future + Send + 'static>(
    fs: impl Iterator<Item = F>,
) -> Vec<F::Output>
where
    F::Output: Send + 'static,
{
    let handles: Vec<_> = fs.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}
