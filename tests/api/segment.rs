//! Segment's HTTP Tracking API end to end: the official libraries
//! (PyPI segment-analytics-python, npm @segment/analytics-node), unmodified,
//! pointed at Touchpoint with their `host` setting; what they send shows in
//! the Stats API and in attribution. Also the write key, Segment's limits and
//! answers, message-id de-duplication and the time window.

use serde_json::{Value, json};

use crate::{
    attribution::{api, credited},
    helpers::{CHROME, T0, TestApp, spawn_app},
};

const HOUR: u64 = 3_600_000;

/// The site's write key.
pub(crate) fn write_key(app: &TestApp, domain: &str) -> String {
    app.state.sites.load()[domain]
        .segment_write_key
        .clone()
        .expect("every site has a write key")
}

/// Ann lands from a paid campaign on the 13th, comes back from the
/// newsletter on the 14th and identifies herself; her order is completed
/// server-side (userId only) on the 15th. A crawler and an app screen too.
fn scenario() -> Value {
    let ctx = |ip: &str| json!({"ip": ip, "userAgent": CHROME});
    json!([
        {"call": "page", "anonymousId": "anon-ann", "name": "Pricing",
         "properties": {"url": "https://example.com/pricing?utm_source=google&utm_medium=cpc&utm_campaign=spring",
                        "path": "/pricing", "referrer": "https://www.google.com/"},
         "context": ctx("203.0.113.7"), "timestamp": "2024-03-13T09:00:00Z", "messageId": "m-1"},
        {"call": "page", "anonymousId": "anon-ann", "name": "Docs",
         "properties": {"url": "https://example.com/docs", "path": "/docs"},
         "context": ctx("203.0.113.7"), "timestamp": "2024-03-13T09:05:00Z", "messageId": "m-2"},
        {"call": "track", "anonymousId": "anon-ann", "event": "Signup", "properties": {"plan": "pro"},
         "context": {"ip": "203.0.113.7", "userAgent": CHROME, "page": {"path": "/docs", "url": "https://example.com/docs"}},
         "timestamp": "2024-03-13T09:06:00Z", "messageId": "m-3"},
        {"call": "page", "anonymousId": "anon-ann", "name": "News",
         "properties": {"url": "https://example.com/news", "path": "/news"},
         "context": {"ip": "203.0.113.7", "userAgent": CHROME,
                     "campaign": {"source": "newsletter", "medium": "email", "name": "may"}},
         "timestamp": "2024-03-14T12:00:00Z", "messageId": "m-4"},
        {"call": "identify", "anonymousId": "anon-ann", "userId": "u-42",
         "traits": {"email": "Ann@Example.com", "name": "Ann"},
         "timestamp": "2024-03-14T12:01:00Z", "messageId": "m-5"},
        {"call": "track", "userId": "u-42", "event": "Order Completed",
         "properties": {"order_id": "A-1", "revenue": 120, "currency": "EUR"},
         "timestamp": "2024-03-15T09:00:00Z", "messageId": "m-6"},
        {"call": "group", "userId": "u-42", "groupId": "acme", "traits": {"name": "Acme"},
         "timestamp": "2024-03-15T09:01:00Z", "messageId": "m-7"},
        {"call": "page", "anonymousId": "crawler", "name": "Home",
         "properties": {"url": "https://example.com/"},
         "context": {"userAgent": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"},
         "timestamp": "2024-03-15T09:02:00Z", "messageId": "m-8"},
        {"call": "screen", "anonymousId": "phone-1", "name": "Home",
         "timestamp": "2024-03-15T09:03:00Z", "messageId": "m-9"}
    ])
}

/// Runs one SDK driver script over `scenario` against the app.
async fn run_sdk(app: &TestApp, sdk: &str, scenario: &Value) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let (program, script) = match sdk {
        "python" => (
            root.join("target/py/bin/python"),
            root.join("tests/scripts/segment_python.py"),
        ),
        _ => (
            std::path::PathBuf::from("node"),
            root.join("tests/scripts/segment_node.mjs"),
        ),
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("scenario.json");
    std::fs::write(&file, scenario.to_string()).unwrap();
    let (url, key) = (app.url.clone(), write_key(app, "example.com"));
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(&program)
            .arg(&script)
            .arg(&url)
            .arg(&key)
            .arg(&file)
            .output()
            .unwrap_or_else(|e| {
                panic!(
                    "{} can't run ({e}): run the README's test command (.ci/run), which installs the Segment SDKs",
                    program.display()
                )
            })
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "the {sdk} SDK failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

async fn sdk_events_show_in_stats_and_attribution(sdk: &str) {
    let app = spawn_app().await;
    run_sdk(&app, sdk, &scenario()).await;
    let range = json!(["2024-03-13", "2024-03-15"]);
    // Ann's visits on the 13th and 14th, her server-side order (a visit of
    // her user id), the app's screen; the crawler is not counted. Visitors
    // are distinct per day, as for the tracker: Ann counts on both days.
    let m = app
        .aggregate(
            &["visitors", "visits", "pageviews", "events"],
            range.clone(),
        )
        .await;
    assert_eq!(m, vec![json!(4), json!(4), json!(4), json!(6)], "{sdk}");
    let rows = app
        .results(json!({"site_id": "example.com", "metrics": ["visitors"], "date_range": range,
            "dimensions": ["visit:utm_campaign"], "filters": [["is_not", "visit:utm_campaign", [""]]]}))
        .await;
    assert_eq!(
        rows,
        vec![
            json!({"dimensions": ["may"], "metrics": [1]}),
            json!({"dimensions": ["spring"], "metrics": [1]})
        ],
        "{sdk}: context.campaign counts as the URL's utm_*"
    );
    let rows = app
        .results(
            json!({"site_id": "example.com", "metrics": ["events"], "date_range": range,
            "dimensions": ["event:name"]}),
        )
        .await;
    for (name, n) in [("pageview", 4), ("Signup", 1), ("Order Completed", 1)] {
        assert!(
            rows.contains(&json!({"dimensions": [name], "metrics": [n]})),
            "{sdk}: {name} in {rows:?}"
        );
    }
    let pages = app
        .results(
            json!({"site_id": "example.com", "metrics": ["pageviews"], "date_range": range,
            "dimensions": ["event:page"]}),
        )
        .await;
    assert!(
        pages.contains(&json!({"dimensions": ["/Home"], "metrics": [1]})),
        "{pages:?}"
    );
    let chrome = app
        .results(
            json!({"site_id": "example.com", "metrics": ["visitors"], "date_range": range,
            "dimensions": ["visit:browser"], "filters": [["is", "visit:browser", ["Chrome"]]]}),
        )
        .await;
    // Ann's two days; the screen and the order sent no user agent.
    assert_eq!(
        chrome,
        vec![json!({"dimensions": ["Chrome"], "metrics": [2]})],
        "{sdk}"
    );

    // The identify made Ann a lead; her userId-only order is hers, credited
    // to her anonymous visits' campaigns.
    let q = |conv: &str| {
        json!({"site_id": "example.com", "date_range": ["2024-03-13", "2024-03-15"],
        "dimension": "visit:utm_campaign", "conversion": conv})
    };
    let (status, body) = api(&app, "/api/v1/attribution", q("purchase")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["meta"]["conversions"], 1, "{sdk}: {body}");
    assert_eq!(body["meta"]["revenue"], 120.0);
    assert_eq!(body["meta"]["currency"], "EUR");
    assert_eq!(credited(&body, "spring", "first_touch"), (1.0, 120.0));
    assert_eq!(credited(&body, "may", "last_non_direct"), (1.0, 120.0));
    let (_, body) = api(&app, "/api/v1/attribution", q("lead")).await;
    assert_eq!(body["meta"]["conversions"], 1, "{sdk}: one lead");
    assert_eq!(credited(&body, "may", "last_touch").0, 1.0);

    // Nothing of Ann's email is on disk in plain text.
    let stopped = app.stop().await;
    let bytes = crate::helpers::all_bytes(stopped.dir.path());
    for needle in ["Ann@Example.com", "ann@example.com", "u-42", "anon-ann"] {
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
            "{needle} is on disk"
        );
    }
}

#[tokio::test]
async fn the_python_sdk_sends_to_touchpoint_unmodified() {
    sdk_events_show_in_stats_and_attribution("python").await;
}

#[tokio::test]
async fn the_node_sdk_sends_to_touchpoint_unmodified() {
    sdk_events_show_in_stats_and_attribution("node").await;
}

pub(crate) async fn post(
    app: &TestApp,
    path: &str,
    auth: Option<&str>,
    body: &[u8],
    gzip: bool,
) -> (u16, Value) {
    let mut req = app
        .client
        .post(format!("{}{path}", app.url))
        .header("content-type", "application/json")
        .body(body.to_vec());
    if let Some(key) = auth {
        req = req.basic_auth(key, Some(""));
    }
    if gzip {
        req = req.header("content-encoding", "gzip");
    }
    let r = req.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn visits(app: &TestApp) -> Vec<Value> {
    app.aggregate(&["visits", "events"], json!(["2024-03-14", "2024-03-15"]))
        .await
}

#[tokio::test]
async fn write_keys_limits_and_answers_are_segments() {
    let app = spawn_app().await;
    let key = write_key(&app, "example.com");
    let track = |id: &str, ts: &str| json!({"type": "track", "userId": "u-1", "event": "Clicked", "messageId": id, "timestamp": ts});
    let batch =
        json!({"batch": [track("a", "2024-03-15T09:00:00Z"), track("b", "2024-03-15T09:01:00Z")]});
    let body = batch.to_string().into_bytes();

    let (s, b) = post(&app, "/v1/batch", None, &body, false).await;
    assert_eq!(
        (s, b["error"].as_str().unwrap_or("").contains("write key")),
        (401, true)
    );
    let (s, _) = post(&app, "/v1/batch", Some("not-a-key"), &body, false).await;
    assert_eq!(s, 401);
    let (s, b) = post(&app, "/v1/batch", Some(&key), &body, false).await;
    assert_eq!((s, b), (200, json!({"success": true})));
    assert_eq!(visits(&app).await, vec![json!(1), json!(2)]);

    // The same messages again (a retry): stored once.
    let (s, _) = post(&app, "/v1/batch", Some(&key), &body, false).await;
    assert_eq!(s, 200);
    assert_eq!(visits(&app).await, vec![json!(1), json!(2)]);

    // The key in the body, a single call on its own path, gzip.
    let single = json!({"writeKey": key, "userId": "u-2", "event": "Clicked", "timestamp": "2024-03-15T09:30:00Z"});
    let (s, _) = post(
        &app,
        "/v1/track",
        None,
        single.to_string().as_bytes(),
        false,
    )
    .await;
    assert_eq!(s, 200);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(
        &mut gz,
        json!({"batch": [track("c", "2024-03-15T09:20:00Z")]})
            .to_string()
            .as_bytes(),
    )
    .unwrap();
    let (s, b) = post(&app, "/v1/b", Some(&key), &gz.finish().unwrap(), true).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(visits(&app).await, vec![json!(2), json!(4)]);

    // Refused with a reason, and nothing of the request stored: an invalid
    // message, a time ahead of the clock or before retention, too large.
    let refused = [
        json!({"batch": [track("d", "2024-03-15T09:50:00Z"), {"type": "track", "event": "x"}]}),
        json!({"batch": [track("e", "2024-03-15T10:30:00Z")]}),
        json!({"batch": [track("f", "2019-01-01T00:00:00Z")]}),
        json!({"batch": [{"type": "track", "userId": "u", "event": "x", "properties": {"p": "x".repeat(33 * 1024)}}]}),
        json!({"batch": [{"type": "identify", "userId": "u", "traits": {"email": "not-an-address"}}]}),
        json!({"batch": [{"type": "track", "userId": "u", "event": "Order Completed", "properties": {"revenue": 5, "currency": "euro"}}]}),
    ];
    for (i, r) in refused.iter().enumerate() {
        let (s, b) = post(
            &app,
            "/v1/batch",
            Some(&key),
            r.to_string().as_bytes(),
            false,
        )
        .await;
        assert_eq!(s, 400, "{i}: {b}");
        assert!(!b["error"].as_str().unwrap().is_empty(), "{i}");
    }
    let (s, _) = post(&app, "/v1/batch", Some(&key), b"{\"batch\": [", false).await;
    assert_eq!(s, 400);
    let big = vec![b' '; 600 * 1024];
    let (s, _) = post(&app, "/v1/batch", Some(&key), &big, false).await;
    assert_eq!(s, 400, "over 500 KB");
    assert_eq!(
        visits(&app).await,
        vec![json!(2), json!(4)],
        "nothing refused was stored"
    );
    // One hour later, within the visit window of nothing: a new visit.
    app.clock.set_ms(T0 + HOUR);
    let later = json!({"batch": [track("g", "2024-03-15T10:59:00Z")]});
    let (s, _) = post(
        &app,
        "/v1/batch",
        Some(&key),
        later.to_string().as_bytes(),
        false,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(visits(&app).await, vec![json!(3), json!(5)]);
}

#[tokio::test]
async fn a_late_batch_of_older_events_makes_its_own_visit_and_leaves_the_open_one_going() {
    let app = spawn_app().await;
    let key = write_key(&app, "example.com");
    let page = |path: &str, ts: &str| json!({"type": "page", "anonymousId": "dev-1", "properties": {"path": path}, "timestamp": ts});
    let send = |msgs: Value| {
        let body = json!({"batch": msgs}).to_string();
        let (app, key) = (&app, key.clone());
        async move {
            let (s, b) = post(app, "/v1/batch", Some(&key), body.as_bytes(), false).await;
            assert_eq!(s, 200, "{b}");
        }
    };
    send(json!([
        page("/a", "2024-03-15T09:40:00Z"),
        page("/b", "2024-03-15T09:45:00Z")
    ]))
    .await;
    // An offline queue flushed late, out of order within the batch.
    send(json!([
        page("/y", "2024-03-15T07:10:00Z"),
        page("/x", "2024-03-15T07:00:00Z")
    ]))
    .await;
    send(json!([page("/c", "2024-03-15T09:50:00Z")])).await;
    let rows = app
        .results(
            json!({"site_id": "example.com", "metrics": ["visits", "pageviews"],
            "date_range": ["2024-03-15", "2024-03-15"], "dimensions": ["visit:entry_page"]}),
        )
        .await;
    assert_eq!(
        rows,
        vec![
            json!({"dimensions": ["/a"], "metrics": [1, 3]}),
            json!({"dimensions": ["/x"], "metrics": [1, 2]})
        ]
    );
}
