//! The dashboard in real headless Chromium: log in through the form, read the
//! overview, click a source to filter, change the period — and check every
//! number shown against the Stats API for the same query. Screenshots land in
//! target/screenshots/. Fails when Chromium isn't installed (see
//! `Browser::start`; `.ci/run` installs it).

use fantoccini::{Client, Locator};
use serde_json::{Value, json};
use touchpoint::{domain::Role, store::WorkspaceChoice};

use crate::{
    browser::Browser,
    helpers::{CHROME, IPHONE, MIN, T0, TestApp, spawn_app},
    web::PASSWORD,
};

const DAY: u64 = 86_400_000;

/// Visits over three days from three sources; today is T0's date.
async fn seed(app: &TestApp) {
    let visits: [(u64, &str, Option<&str>, &[&str]); 7] = [
        (
            0,
            "1.1.1.1",
            Some("https://www.google.com/"),
            &["/", "/pricing"],
        ),
        (0, "1.1.1.2", Some("https://www.google.com/"), &["/blog"]),
        (0, "1.1.1.3", Some("https://twitter.com/x"), &["/"]),
        (0, "1.1.1.4", None, &["/pricing", "/signup", "/"]),
        (DAY, "1.1.1.5", Some("https://www.google.com/"), &["/"]),
        (
            2 * DAY,
            "1.1.1.6",
            Some("https://twitter.com/y"),
            &["/blog", "/"],
        ),
        (2 * DAY, "1.1.1.7", None, &["/"]),
    ];
    for (i, (ago, ip, referrer, pages)) in visits.iter().enumerate() {
        app.clock.set_ms(T0 - ago + i as u64 * MIN);
        for (j, path) in pages.iter().enumerate() {
            let mut ev = json!({"n": "pageview", "u": format!("https://example.com{path}"), "d": "example.com"});
            if j == 0
                && let Some(r) = referrer
            {
                ev["r"] = json!(r);
            }
            app.event(ev, if i % 2 == 0 { CHROME } else { IPHONE }, ip)
                .await;
        }
    }
    app.clock.set_ms(T0 + 30 * MIN);
}

/// The KPI values shown, by metric, as the page's exact `data-value`s.
async fn kpis(c: &Client) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for tile in c.find_all(Locator::Css(".kpi")).await.unwrap() {
        let metric = tile.attr("data-metric").await.unwrap().unwrap();
        let v = tile.find(Locator::Css(".kpi-value")).await.unwrap();
        let exact = v.attr("data-value").await.unwrap().unwrap();
        let shown = v.text().await.unwrap();
        out.push((metric, exact, shown));
    }
    out
}

/// Asserts the tiles equal the Stats API's aggregate for `range` and `filters`.
async fn assert_kpis_match(app: &TestApp, c: &Client, range: &str, filters: Value, step: &str) {
    let shown = kpis(c).await;
    let metrics: Vec<&str> = shown.iter().map(|(m, _, _)| m.as_str()).collect();
    assert_eq!(
        metrics,
        [
            "visitors",
            "visits",
            "pageviews",
            "views_per_visit",
            "bounce_rate",
            "visit_duration"
        ]
    );
    let api = app
        .results(json!({"site_id": "example.com", "metrics": metrics, "date_range": range, "filters": filters}))
        .await;
    let want = api[0]["metrics"].as_array().unwrap();
    for ((metric, exact, text), api_value) in shown.iter().zip(want) {
        let api_num = api_value.as_f64().unwrap();
        assert_eq!(
            exact.parse::<f64>().unwrap(),
            api_num,
            "{step}: {metric} tile vs Stats API"
        );
        if ["visitors", "visits", "pageviews"].contains(&metric.as_str()) {
            assert_eq!(
                text,
                &api_value.to_string(),
                "{step}: {metric} as displayed"
            );
        }
    }
}

/// Waits until the page's URL satisfies `ok` (a click's navigation may still
/// be under way when the click returns).
async fn wait_url(c: &Client, what: &str, ok: impl Fn(&url::Url) -> bool) -> url::Url {
    for _ in 0..200 {
        let url = c.current_url().await.unwrap();
        if ok(&url) {
            return url;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{what}: still at {}", c.current_url().await.unwrap());
}

async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap();
}

#[tokio::test]
async fn dashboard_in_chromium_filters_by_source_and_changes_period_with_numbers_matching_the_api()
{
    let browser = Browser::start()
        .await
        .expect("browser starts (needs chromium and chromium-driver: .ci/run installs them)");
    let app = spawn_app().await;
    seed(&app).await;
    app.user(
        "ana@example.com",
        Role::Analyst,
        WorkspaceChoice::Existing(app.acme()),
    );
    let c = &browser.client;

    // Log in through the real form.
    c.goto(&format!("{}/sites/example.com?period=day", app.url))
        .await
        .unwrap();
    assert!(c.current_url().await.unwrap().path().starts_with("/login"));
    c.find(Locator::Css("input[name=email]"))
        .await
        .unwrap()
        .send_keys("ana@example.com")
        .await
        .unwrap();
    c.find(Locator::Css("input[name=password]"))
        .await
        .unwrap()
        .send_keys(PASSWORD)
        .await
        .unwrap();
    click(c, "form.stack button[type=submit]").await;
    let url = wait_url(c, "after login", |u| !u.path().starts_with("/login")).await;
    assert_eq!(
        (url.path(), url.query()),
        ("/sites/example.com", Some("period=day")),
        "back where we started"
    );
    browser.screenshot("1-overview-today").await.unwrap();
    let locations = c
        .find(Locator::Css("section[data-panel=locations] td.label a"))
        .await
        .unwrap();
    assert_eq!(
        locations.text().await.unwrap(),
        "Australia",
        "country names, not codes"
    );
    assert!(
        locations
            .attr("href")
            .await
            .unwrap()
            .unwrap()
            .contains("f=country%3AAU")
    );
    assert_kpis_match(&app, c, "day", json!([]), "today").await;

    // The sources panel's Sources tab, then click Google.
    click(c, "section[data-panel=sources] nav.tabs a:nth-child(2)").await;
    wait_url(c, "after choosing the Sources tab", |u| {
        u.query().is_some_and(|q| q.contains("sources=source"))
    })
    .await;
    let rows = c
        .find_all(Locator::Css("section[data-panel=sources] td.label a"))
        .await
        .unwrap();
    let mut labels = Vec::new();
    for r in &rows {
        labels.push(r.text().await.unwrap());
    }
    assert!(labels.contains(&"Google".to_owned()), "{labels:?}");
    let api = app.results(json!({"site_id": "example.com", "metrics": ["visitors"], "date_range": "day", "dimensions": ["visit:source"]})).await;
    let nums = c
        .find_all(Locator::Css("section[data-panel=sources] td.num"))
        .await
        .unwrap();
    for (row, (label, num)) in api.iter().zip(labels.iter().zip(nums)) {
        assert_eq!(row["dimensions"][0].as_str().unwrap(), label);
        assert_eq!(
            num.text().await.unwrap(),
            row["metrics"][0].to_string(),
            "{label}"
        );
    }
    c.find(Locator::LinkText("Google"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_url(c, "after clicking Google", |u| {
        u.query().is_some_and(|q| q.contains("f=source%3AGoogle"))
    })
    .await;
    let chip = c
        .find(Locator::Css(".chip"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let chip = chip.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(chip.contains("source is Google"), "{chip}");
    browser.screenshot("2-filtered-by-google").await.unwrap();
    let google = json!([["is", "visit:source", ["Google"]]]);
    assert_kpis_match(&app, c, "day", google.clone(), "today, Google").await;

    // Last 7 days keeps the filter.
    c.find(Locator::LinkText("Last 7 days"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_url(c, "after choosing 7 days with the filter kept", |u| {
        u.query()
            .is_some_and(|q| q.contains("period=7d") && q.contains("f=source%3AGoogle"))
    })
    .await;
    browser.screenshot("3-google-last-7-days").await.unwrap();
    assert_kpis_match(&app, c, "7d", google, "7 days, Google").await;
    let visitors = &kpis(c).await[0];
    assert_eq!(
        visitors.2, "3",
        "Google brought 3 visitors over the three days"
    );

    // Removing the chip shows everything again; the chart has one point per day.
    click(c, ".chip-remove").await;
    wait_url(c, "after removing the chip", |u| {
        u.query().is_some_and(|q| !q.contains("f=source"))
    })
    .await;
    assert_kpis_match(&app, c, "7d", json!([]), "7 days").await;
    let hits = c
        .find_all(Locator::Css("svg.timeseries .ts-hit"))
        .await
        .unwrap();
    assert_eq!(hits.len(), 7);
    browser.screenshot("4-last-7-days").await.unwrap();
    browser.close().await.unwrap();
}
