//! Consent given during a visit, with the real tracker and banner in headless
//! Chromium: a visitor lands cookieless from a campaign, accepts the banner,
//! browses on and sends a marked form; that is one visitor and one visit, the
//! campaign keeps the whole visit and the lead is credited to it. And on a
//! plain-http page (no Web Crypto) identify sends nothing and warns.

use std::time::Duration;

use fantoccini::Locator;
use serde_json::{Value, json};
use touchpoint::domain::{ConsentMode, SiteId};

use crate::{
    attribution::{api, credited},
    browser::Browser,
    helpers::{MIN, TestApp, spawn_app},
    tracker_consent_ui::FORM,
    tracker_ui::{js, site_with},
    ui_steps::{click, stored, type_into},
};

const DAY: &str = "2024-03-15";
const LANDING: &str = "/?utm_source=podcast&utm_medium=audio&utm_campaign=winter";
/// Plain links to the site's other pages, before the marked form.
const LINKS: &str = r#"<nav><a id="to-episodes" href="/episodes">Episodes</a> <a id="to-contact" href="/contact">Contact</a></nav>"#;

/// How many `name` events Touchpoint has stored today.
async fn count(app: &TestApp, name: &str) -> u64 {
    let r = app
        .results(
            json!({"site_id": "example.com", "metrics": ["events"], "date_range": [DAY, DAY],
            "filters": [["is", "event:name", [name]]]}),
        )
        .await;
    r.first().map_or(0, |r| r["metrics"][0].as_u64().unwrap())
}

/// Waits until Touchpoint stored `n` pageviews and `n` of the "Queued" event
/// every page of the test site sends, so the clock can move on.
async fn pages_stored(app: &TestApp, n: u64) {
    stored("what the page sent", || async {
        count(app, "pageview").await == n && count(app, "Queued").await == n
    })
    .await;
}

fn lead_query(dim: &str) -> Value {
    json!({"site_id": "example.com", "date_range": [DAY, DAY], "dimension": dim, "conversion": "lead"})
}

#[tokio::test]
async fn accepting_the_banner_mid_visit_keeps_one_visitor_one_visit_and_the_landings_campaign() {
    let browser = Browser::start()
        .await
        .expect("browser starts (needs chromium and chromium-driver: .ci/run installs them)");
    let app = spawn_app().await;
    app.edit_site(|s| s.consent_mode = ConsentMode::CookielessUntilConsent);
    let banner = format!(
        r#"<script defer src="{}/js/tp-consent.js" data-text="May we count your visits with a cookie?"></script>"#,
        app.url
    );
    let site = site_with(
        &app.url,
        "tp.full.js",
        r#" data-consent="cookieless-until-consent" data-forms="marked""#,
        &banner,
        &format!("{LINKS}{FORM}"),
    )
    .await;
    let c = &browser.client;
    let with_uid = |n: &'static str| move |b: &Value| b["n"] == n && b["uid"].is_string();

    // Lands from the podcast campaign: counted cookieless, the banner asks.
    c.goto(&format!("{}{LANDING}", site.url)).await.unwrap();
    let all = site
        .wait_for("cookieless pageview", 1, |b| b["n"] == "pageview")
        .await;
    assert!(all.iter().all(|b| b.get("uid").is_none()), "{all:?}");
    pages_stored(&app, 1).await;

    browser.screenshot("consent-upgrade-banner").await.unwrap();
    // A minute later, accepts the banner as a person would.
    app.clock.advance_ms(MIN);
    c.find(Locator::Css("#tp-consent button[data-tp-choice=accept]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert!(
        c.find(Locator::Id("tp-consent")).await.is_err(),
        "the banner goes away"
    );
    let shot = browser
        .screenshot("consent-upgrade-accepted")
        .await
        .unwrap();
    eprintln!("screenshot after accept: {}", shot.display());
    let all = site.wait_for("consent", 1, |b| b["n"] == "consent").await;
    let record = all.iter().find(|b| b["n"] == "consent").unwrap();
    assert_eq!(
        (&record["c"]["d"], &record["c"]["m"]),
        (&"accept".into(), &"banner".into())
    );
    let uid = record["uid"]
        .as_str()
        .expect("an id after accept")
        .to_owned();
    // The proxy saw it; the next page's id counts only once it is on record.
    stored("what the page sent", || async {
        !app.state.store.consent_log(SiteId(1)).unwrap().is_empty()
    })
    .await;

    // Two more pages, through the site's own links.
    for (n, link) in [(1, "to-episodes"), (2, "to-contact")] {
        app.clock.advance_ms(MIN);
        c.find(Locator::Id(link))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        site.wait_for("pageview with the id", n, with_uid("pageview"))
            .await;
        pages_stored(&app, 1 + n as u64).await;
    }
    assert!(
        c.find(Locator::Id("tp-consent")).await.is_err(),
        "no banner once decided"
    );

    // The marked form makes them a lead.
    app.clock.advance_ms(MIN);
    type_into(c, "#email", "Mia@Example.com").await;
    click(c, "#send").await;
    site.wait_for("lead", 1, with_uid("lead")).await;
    stored("what the page sent", || async {
        !app.state.store.leads(SiteId(1)).unwrap().is_empty()
    })
    .await;
    let all = site.all();
    assert!(
        all.iter()
            .filter(|b| b["n"] != "consent" && b.get("uid").is_some())
            .all(|b| b["uid"] == uid.as_str()),
        "one id after accept: {all:?}"
    );
    assert!(
        site.rejected.lock().unwrap().is_empty(),
        "{:?}",
        site.rejected
    );
    browser.close().await.unwrap();

    let day = json!([DAY, DAY]);
    let m = app
        .aggregate(
            &["visitors", "visits", "pageviews", "bounce_rate"],
            day.clone(),
        )
        .await;
    assert_eq!(
        m,
        vec![json!(1), json!(1), json!(3), json!(0)],
        "[visitors, visits, pageviews, bounce_rate]: one visitor, one visit"
    );
    let by = |dim: &str| {
        json!({"site_id": "example.com", "metrics": ["visitors", "visits"],
            "date_range": day, "dimensions": [dim]})
    };
    assert_eq!(
        app.results(by("visit:utm_campaign")).await,
        vec![json!({"dimensions": ["winter"], "metrics": [1, 1]})],
        "the campaign keeps the whole visit"
    );
    let sources = app.results(by("visit:source")).await;
    let sources: Vec<&Value> = sources.iter().map(|r| &r["dimensions"][0]).collect();
    assert_eq!(sources, [&json!("podcast")], "visit:source");

    let (status, body) = api(
        &app,
        "/api/v1/attribution",
        lead_query("visit:utm_campaign"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["meta"]["conversions"], 1, "{body}");
    for model in ["first_touch", "last_touch", "linear"] {
        assert_eq!(credited(&body, "winter", model).0, 1.0, "{model}: {body}");
    }
    let (status, body) = api(&app, "/api/v1/attribution", lead_query("visit:channel")).await;
    assert_eq!(status, 200, "{body}");
    let rows = body["results"].as_array().unwrap();
    assert!(!rows.is_empty(), "{body}");
    assert!(
        rows.iter().all(|r| r["dimension"] != "Direct"),
        "nothing is credited to Direct: {body}"
    );
}

#[tokio::test]
async fn identify_on_a_plain_http_page_sends_nothing_and_warns() {
    // A name that is not localhost: Chromium treats the page as insecure.
    let browser = Browser::start_with(&["--host-resolver-rules=MAP insecure.test 127.0.0.1"])
        .await
        .expect("browser starts (needs chromium and chromium-driver: .ci/run installs them)");
    let app = spawn_app().await;
    app.edit_site(|s| s.consent_mode = ConsentMode::CookielessUntilConsent);
    let site = site_with(
        &app.url,
        "tp.full.js",
        r#" data-consent="cookieless-until-consent" data-forms="marked""#,
        "",
        FORM,
    )
    .await;
    let page = site.url.replace("127.0.0.1", "insecure.test");
    assert_ne!(page, site.url);
    let c = &browser.client;
    c.goto(&format!("{page}/contact")).await.unwrap();
    site.wait_for("pageview", 1, |b| b["n"] == "pageview").await;
    // An accept first: without an id the tracker would not try at all.
    js(c, "tp('consent', 'accept')").await;
    site.wait_for("consent with an id", 1, |b| {
        b["n"] == "consent" && b["uid"].is_string()
    })
    .await;

    let status = c
        .execute(
            r#"window.warned = [];
            var warn = console.warn;
            console.warn = function () { warned.push([].join.call(arguments, ' ')); return warn.apply(console, arguments); };
            var threw = null;
            try { tp('identify', {email: 'ann@example.com'}); } catch (e) { threw = String(e); }
            return {secure: window.isSecureContext, subtle: !!(window.crypto && crypto.subtle),
                threw: threw, warned: warned.slice()};"#,
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        status,
        json!({"secure": false, "subtle": false, "threw": null,
            "warned": ["Touchpoint: lead not sent; hashing needs https"]}),
        "{status}"
    );
    // The marked form takes the same path.
    type_into(c, "#email", "ann@example.com").await;
    click(c, "#send").await;
    let warned = c.execute("return warned", vec![]).await.unwrap();
    assert_eq!(
        warned,
        json!([
            "Touchpoint: lead not sent; hashing needs https",
            "Touchpoint: lead not sent; hashing needs https"
        ])
    );

    // The tracker still works: a later event arrives, a lead never does.
    js(c, "tp('event', 'After')").await;
    site.wait_for("event after identify", 1, |b| b["n"] == "After")
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let all = site.all();
    assert!(
        all.iter().all(|b| b["n"] != "lead" && b.get("l").is_none()),
        "no lead: {all:?}"
    );
    let raw = site.bodies.lock().unwrap().join("\n");
    assert!(!raw.contains("ann@example.com"), "{raw}");
    assert!(
        all.iter()
            .any(|b| b["n"] == "pageview" && b["u"].as_str().unwrap().starts_with(&page)),
        "{all:?}"
    );
    browser.close().await.unwrap();
    assert!(app.state.store.leads(SiteId(1)).unwrap().is_empty());
}
