//! Engagement: the tracker's pings (time visible, deepest scroll) are credited
//! to the pageview they follow and reported as `time_on_page` and
//! `scroll_depth` per page. Over HTTP with exact numbers, and with the real
//! extras script in headless Chromium.

use std::time::Duration;

use serde_json::{Value, json};

use crate::{
    browser::Browser,
    helpers::{CHROME, IPHONE, MIN, T0, spawn_app},
    tracker_ui::{js, site_with},
};

fn ping(path: &str, sd: i64, e: u64) -> Value {
    json!({"n": "engagement", "u": format!("https://example.com{path}"), "d": "example.com", "sd": sd, "e": e})
}

fn by_page(rows: &[Value]) -> Vec<(String, Value)> {
    let mut v: Vec<(String, Value)> = rows
        .iter()
        .map(|r| {
            (
                r["dimensions"][0].as_str().unwrap().to_owned(),
                r["metrics"].clone(),
            )
        })
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

#[tokio::test]
async fn pings_credit_their_pageview_and_are_reported_per_page() {
    let app = spawn_app().await;
    let (a, b) = ("203.0.113.1", "203.0.113.2");
    // Visitor A reads /post (two pings: time sums, depth keeps its maximum),
    // then /pricing.
    app.pageview("/post", CHROME, a).await;
    app.event(ping("/post", 40, 20_000), CHROME, a).await;
    app.event(ping("/post", 80, 10_000), CHROME, a).await;
    app.pageview("/pricing", CHROME, a).await;
    app.event(ping("/pricing", 100, 4_000), CHROME, a).await;
    // Visitor B reads /post without measured scroll.
    app.pageview("/post", IPHONE, b).await;
    app.event(ping("/post", -1, 50_000), IPHONE, b).await;
    // A ping for a page the visit never viewed is ignored, and a ping from
    // someone without an open visit starts none.
    app.event(ping("/elsewhere", 90, 9_000), CHROME, a).await;
    app.event(ping("/post", 90, 9_000), CHROME, "203.0.113.9")
        .await;

    let q = json!({"site_id": "example.com", "date_range": "day", "dimensions": ["event:page"],
        "metrics": ["pageviews", "visits", "events", "time_on_page", "scroll_depth"]});
    let rows = app.results(q).await;
    assert_eq!(
        by_page(&rows),
        [
            // (30 s + 50 s) / 2 pageviews = 40 s; depth only from A's view.
            ("/post".to_owned(), json!([2, 2, 2, 40, 80])),
            ("/pricing".to_owned(), json!([1, 1, 1, 4, 100])),
        ],
        "pings are not events, visits or pages of their own"
    );
    let totals = app
        .aggregate(
            &["visitors", "visits", "events", "bounce_rate"],
            json!("day"),
        )
        .await;
    assert_eq!(totals, [json!(2), json!(2), json!(3), json!(50)]);

    // With a page filter, an aggregate; without event:page, a clear 400.
    let filtered = json!({"site_id": "example.com", "date_range": "day",
        "metrics": ["time_on_page", "scroll_depth"], "filters": [["is", "event:page", ["/pricing"]]]});
    assert_eq!(app.results(filtered).await[0]["metrics"], json!([4, 100]));
    let (status, body) = app
        .query(json!({"site_id": "example.com", "date_range": "day", "metrics": ["scroll_depth"]}))
        .await;
    assert_eq!(status, 400);
    assert!(
        body["error"].as_str().unwrap().contains("event:page"),
        "{body}"
    );

    // A page without pings has no engagement numbers: null, not 0.
    app.pageview("/quiet", CHROME, "203.0.113.3").await;
    let quiet = json!({"site_id": "example.com", "date_range": "day",
        "metrics": ["time_on_page", "scroll_depth"], "filters": [["is", "event:page", ["/quiet"]]]});
    assert_eq!(app.results(quiet).await[0]["metrics"], json!([null, null]));

    // The same numbers once the day is rolled up: they always come from visits.
    app.clock.set_ms(T0 + 2 * 24 * 60 * MIN);
    touchpoint::stats::rollup::roll_up_all(&app.state.store, app.clock.now_ms()).unwrap();
    let rolled = json!({"site_id": "example.com", "date_range": ["2024-03-15", "2024-03-15"],
        "dimensions": ["event:page"], "metrics": ["time_on_page", "scroll_depth"],
        "filters": [["is", "event:page", ["/post"]]]});
    assert_eq!(
        by_page(&app.results(rolled).await),
        [("/post".to_owned(), json!([40, 80]))]
    );
}

#[tokio::test]
async fn a_ping_goes_to_the_latest_view_of_its_page() {
    let app = spawn_app().await;
    let ip = "203.0.113.4";
    app.pageview("/a", CHROME, ip).await;
    app.event(ping("/a", 30, 3_000), CHROME, ip).await;
    app.pageview("/b", CHROME, ip).await;
    app.pageview("/a", CHROME, ip).await;
    app.event(ping("/a", 90, 7_000), CHROME, ip).await;
    // Each view of /a has its own ping: the mean over the two views.
    let q = json!({"site_id": "example.com", "date_range": "day", "dimensions": ["event:page"],
        "metrics": ["pageviews", "time_on_page", "scroll_depth"]});
    assert_eq!(
        by_page(&app.results(q).await),
        [
            ("/a".to_owned(), json!([2, 5, 60])),
            ("/b".to_owned(), json!([1, null, null])),
        ]
    );
    // Bad values are refused with the field named, and nothing is stored.
    let res = app
        .post_raw(
            &ping("/a", 150, 1).to_string(),
            CHROME,
            &[("x-forwarded-for", ip)],
        )
        .await;
    assert_eq!(res.status().as_u16(), 400);
    let body = res.text().await.unwrap();
    assert!(body.contains("\"sd\""), "{body}");
}

#[tokio::test]
async fn the_extras_script_reports_time_and_scroll_on_spa_navigation_and_page_hide() {
    let browser = Browser::start()
        .await
        .expect("browser starts (needs chromium and chromium-driver: .ci/run installs them)");
    let app = spawn_app().await;
    let head = format!(
        r#"<script defer src="{}/js/tp-extras.js" data-engagement></script>"#,
        app.url
    );
    let tall = r#"<div style="height: 4000px">Long read</div>"#;
    let site = site_with(&app.url, "tp.js", "", &head, tall).await;
    let c = &browser.client;
    c.goto(&format!("{}/article", site.url)).await.unwrap();
    site.wait_for("pageview", 1, |b| b["n"] == "pageview").await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    js(
        c,
        "window.scrollTo(0, document.documentElement.scrollHeight)",
    )
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Leaving the page within the app sends its ping, then the next pageview.
    js(c, "history.pushState({}, '', '/next')").await;
    let is_ping = |b: &Value| b["n"] == "engagement";
    let all = site.wait_for("ping on SPA navigation", 1, is_ping).await;
    let first = all.iter().find(|b| is_ping(b)).unwrap();
    assert!(
        first["u"].as_str().unwrap().ends_with("/article"),
        "{first}"
    );
    assert_eq!(first["sd"], 100, "{first}");
    let e = first["e"].as_u64().unwrap();
    assert!((1200..60_000).contains(&e), "{first}");
    site.wait_for("pageview of /next", 2, |b| b["n"] == "pageview")
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Leaving for good: the page is hidden and a beacon carries the last ping.
    c.goto("about:blank").await.unwrap();
    let all = site.wait_for("ping on page hide", 2, is_ping).await;
    let last = all.iter().filter(|b| is_ping(b)).nth(1).unwrap();
    assert!(last["u"].as_str().unwrap().ends_with("/next"), "{last}");
    assert!(last["e"].as_u64().unwrap() >= 300, "{last}");
    assert!(
        site.rejected.lock().unwrap().is_empty(),
        "{:?}",
        site.rejected
    );
    browser.close().await.unwrap();

    let q = json!({"site_id": "example.com", "date_range": "day", "dimensions": ["event:page"],
        "metrics": ["pageviews", "time_on_page", "scroll_depth"]});
    // The proxy sees a ping before Touchpoint stores it: wait for the last one.
    let mut rows = by_page(&app.results(q.clone()).await);
    for _ in 0..100 {
        if rows.len() == 2 && rows[1].1[1].is_u64() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        rows = by_page(&app.results(q.clone()).await);
    }
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[0].0, "/article");
    assert_eq!(rows[0].1[0], 1);
    assert_eq!(rows[0].1[1], json!((e as f64 / 1000.0).round() as u64));
    assert_eq!(rows[0].1[2], 100);
    assert_eq!(rows[1].0, "/next");
    assert!(rows[1].1[1].is_u64(), "/next has a time: {rows:?}");
}
