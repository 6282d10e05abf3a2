//! Finding one's way in headless Chromium: a new site's overview turns into
//! the dashboard at its first pageview, a viewer meets a 403 in the site's
//! frame, the skip link comes first, text inputs get a visible focus ring,
//! and at 390 px the overview starts on the first screen with a readable
//! chart. Screenshots: target/screenshots/navigation-*.png.

use std::time::Duration;

use fantoccini::{
    Client, Locator,
    actions::{InputSource, KeyAction, KeyActions},
    key::Key,
};
use touchpoint::{auth::totp, domain::Role, store::WorkspaceChoice};

use crate::{
    browser::Browser,
    helpers::{TestApp, spawn_app},
    navigation::first_pageview,
    web::{PASSWORD, TestUser},
};

/// Logs `user` in through the real forms (the TOTP step too when enrolled).
async fn log_in(c: &Client, app: &TestApp, user: &TestUser) {
    c.goto(&format!("{}/login", app.url)).await.unwrap();
    type_into(c, "input[name=email]", &user.email).await;
    type_into(c, "input[name=password]", PASSWORD).await;
    c.find(Locator::Css("main form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    if let Some(secret) = &user.totp {
        wait_for(c, "the TOTP step", "input[name=code]").await;
        let code = totp::code_at(secret, app.clock.now_ms());
        type_into(c, "input[name=code]", &code).await;
        c.find(Locator::Css("main form button[type=submit]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }
    for _ in 0..100 {
        if !c.current_url().await.unwrap().path().starts_with("/login") {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{} still at the login", user.email);
}

async fn type_into(c: &Client, css: &str, text: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .send_keys(text)
        .await
        .unwrap();
}

/// Waits up to `secs` seconds for `css` to match (after a reload, say).
async fn wait_for_within(c: &Client, what: &str, css: &str, secs: u64) {
    for _ in 0..secs * 20 {
        if c.find(Locator::Css(css)).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what}: no {css} at {}", c.current_url().await.unwrap());
}

async fn wait_for(c: &Client, what: &str, css: &str) {
    wait_for_within(c, what, css, 5).await;
}

/// A number the page computes.
async fn js_number(c: &Client, script: &str) -> f64 {
    c.execute(script, vec![])
        .await
        .unwrap_or_else(|e| panic!("{script}: {e}"))
        .as_f64()
        .unwrap_or_else(|| panic!("{script}: not a number"))
}

#[tokio::test]
async fn in_chromium_a_new_site_turns_live_at_its_first_pageview_a_viewer_meets_a_framed_403_and_the_overview_fits_390px()
 {
    let browser = Browser::start()
        .await
        .expect("browser starts (needs chromium and chromium-driver: .ci/run installs them)");
    let app = spawn_app().await;
    let acme = || WorkspaceChoice::Existing(app.acme());
    let owner = app.user("boss@example.com", Role::Owner, acme());
    let viewer = app.user("vic@example.com", Role::Viewer, acme());
    let c = &browser.client;

    // The owner, after two-factor, opens the new site: its snippet, waiting.
    log_in(c, &app, &owner).await;
    c.goto(&format!("{}/sites/example.com", app.url))
        .await
        .unwrap();
    let waiting = c
        .find(Locator::Css(".waiting"))
        .await
        .expect("the waiting state");
    assert!(
        waiting
            .text()
            .await
            .unwrap()
            .contains("Waiting for the first pageview…"),
        "{}",
        waiting.text().await.unwrap()
    );
    let snippet = c.find(Locator::Css("pre#snippet")).await.unwrap();
    assert!(
        snippet
            .text()
            .await
            .unwrap()
            .contains(r#"data-domain="example.com""#)
    );
    // Tab from the top: the skip link comes first, and it is shown.
    let tab = KeyActions::new("keyboard".into())
        .then(KeyAction::Down {
            value: Key::Tab.into(),
        })
        .then(KeyAction::Up {
            value: Key::Tab.into(),
        });
    c.perform_actions(tab).await.unwrap();
    let focused = c
        .execute("return document.activeElement.textContent", vec![])
        .await
        .unwrap();
    assert_eq!(focused, "Skip to content");
    let top = js_number(
        c,
        "return document.activeElement.getBoundingClientRect().top",
    )
    .await;
    assert!(top >= 0.0, "the focused skip link is on screen ({top})");
    browser
        .screenshot("navigation-1-waiting-for-the-first-pageview")
        .await
        .unwrap();

    // The first pageview arrives: the page turns into the dashboard by itself.
    first_pageview(&app).await;
    wait_for_within(c, "the dashboard after the first pageview", ".kpis", 15).await;
    assert!(c.find(Locator::Css(".waiting")).await.is_err());
    let visitors = c
        .find(Locator::Css(".kpi[data-metric=visitors] .kpi-value"))
        .await
        .unwrap();
    assert_eq!(visitors.text().await.unwrap(), "1");
    // Text inputs get a 2px solid focus ring.
    c.find(Locator::Css("form.custom input[name=from]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let ring = c
        .execute(
            "const s = getComputedStyle(document.activeElement); return [document.activeElement.name, s.outlineStyle, s.outlineWidth]",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(ring, serde_json::json!(["from", "solid", "2px"]));

    // The viewer follows a link to the settings: a 403 in the site's frame.
    c.delete_all_cookies().await.unwrap();
    log_in(c, &app, &viewer).await;
    c.goto(&format!("{}/sites/example.com/settings", app.url))
        .await
        .unwrap();
    let nav = c.find(Locator::Css("nav[aria-label=Site]")).await.unwrap();
    let tabs = nav.text().await.unwrap();
    assert!(
        tabs.contains("Attribution") && !tabs.contains("Settings") && !tabs.contains("Leads"),
        "{tabs}"
    );
    let back = c.find(Locator::Css("a.back")).await.unwrap();
    assert_eq!(
        back.attr("href").await.unwrap().as_deref(),
        Some("/sites/example.com")
    );
    browser
        .screenshot("navigation-2-forbidden-for-a-viewer")
        .await
        .unwrap();
    back.click().await.unwrap();
    wait_for(c, "the overview from the 403's link", ".kpis").await;

    // 390 px wide: the report starts on the first screen, the chart is readable.
    c.set_window_size(390, 844).await.unwrap();
    c.goto(&format!("{}/sites/example.com?period=day", app.url))
        .await
        .unwrap();
    wait_for(c, "the overview at 390px", ".kpis").await;
    let width = js_number(c, "return window.innerWidth").await;
    assert!(width <= 400.0, "the window is narrow ({width})");
    let overflow = js_number(
        c,
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth",
    )
    .await;
    assert!(overflow <= 0.0, "the page scrolls sideways by {overflow}px");
    let kpis = js_number(
        c,
        "return document.querySelector('.kpis').getBoundingClientRect().top",
    )
    .await;
    let screen = js_number(c, "return window.innerHeight").await;
    assert!(
        kpis < screen * 0.75,
        "the KPIs start at {kpis}px of {screen}px"
    );
    let chart = js_number(
        c,
        "return document.querySelector('svg.timeseries').getBoundingClientRect().height",
    )
    .await;
    assert!(chart >= 150.0, "the chart is {chart}px tall");
    browser
        .screenshot("navigation-3-overview-390px")
        .await
        .unwrap();
    // The chart's last x label fits in what the chart scrolls over.
    let room = js_number(
        c,
        "const chart = document.querySelector('.chart');
         const labels = chart.querySelectorAll('text.ts-axis[text-anchor=middle]');
         const last = labels[labels.length - 1].getBoundingClientRect();
         return chart.getBoundingClientRect().left + chart.scrollWidth - last.right",
    )
    .await;
    assert!(room >= 0.0, "the last label is clipped by {}px", -room);
    c.execute(
        "document.querySelector('.chart').scrollIntoView({block: 'center'})",
        vec![],
    )
    .await
    .unwrap();
    browser
        .screenshot("navigation-4-chart-390px")
        .await
        .unwrap();
    browser.close().await.unwrap();
}
