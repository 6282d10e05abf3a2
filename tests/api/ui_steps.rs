//! What a person does in the browser, for the Chromium tests of the owner's
//! path and the accessibility audit: type, click, wait for something to show,
//! read it, log in (with the two-factor step), and wait until Touchpoint has
//! stored what a page sent.

use std::time::Duration;

use fantoccini::{Client, Locator};
use touchpoint::auth::totp;

use crate::{
    helpers::TestApp,
    web::{PASSWORD, TestUser},
};

/// Types `text` into the field matching `css`.
pub(crate) async fn type_into(c: &Client, css: &str, text: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .send_keys(text)
        .await
        .unwrap_or_else(|e| panic!("typing into {css}: {e}"));
}

/// Clicks the element matching `css`.
pub(crate) async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("clicking {css}: {e}"));
}

/// Waits up to `secs` seconds for `css` to match (a click's page may still be loading).
pub(crate) async fn wait_for_within(c: &Client, what: &str, css: &str, secs: u64) {
    for _ in 0..secs * 20 {
        if c.find(Locator::Css(css)).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what}: no {css} at {}", c.current_url().await.unwrap());
}

/// Waits up to 10 seconds for `css` to match.
pub(crate) async fn wait_for(c: &Client, what: &str, css: &str) {
    wait_for_within(c, what, css, 10).await;
}

/// The text of the element matching `css`, as shown.
pub(crate) async fn text_of(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .unwrap()
}

/// Waits until `done` (what a page sent reaches Touchpoint a moment later).
pub(crate) async fn stored<F: std::future::Future<Output = bool>>(
    what: &str,
    done: impl Fn() -> F,
) {
    for _ in 0..200 {
        if done().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what}: not stored in time");
}

/// Logs `user` in through the real forms, calling `at_code_step` on the
/// two-factor step (when the user has one) before typing the code.
pub(crate) async fn log_in_with<F: std::future::Future<Output = ()>>(
    c: &Client,
    app: &TestApp,
    user: &TestUser,
    at_code_step: impl FnOnce() -> F,
) {
    c.goto(&format!("{}/login", app.url)).await.unwrap();
    type_into(c, "input[name=email]", &user.email).await;
    type_into(c, "input[name=password]", PASSWORD).await;
    click(c, "main form button[type=submit]").await;
    if let Some(secret) = &user.totp {
        wait_for(c, "the two-factor step", "input[name=code]").await;
        at_code_step().await;
        type_into(
            c,
            "input[name=code]",
            &totp::code_at(secret, app.clock.now_ms()),
        )
        .await;
        click(c, "main form button[type=submit]").await;
    }
    for _ in 0..200 {
        if !c.current_url().await.unwrap().path().starts_with("/login") {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{} still at the login", user.email);
}

/// Waits until the page's address satisfies `ok` (a click's navigation may
/// still be under way when the click returns).
pub(crate) async fn wait_url(c: &Client, what: &str, ok: impl Fn(&url::Url) -> bool) {
    for _ in 0..200 {
        if ok(&c.current_url().await.unwrap()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what}: still at {}", c.current_url().await.unwrap());
}

/// Opens the site's `label` tab from its navigation and waits until the new
/// page marks that tab as the current one.
pub(crate) async fn open_tab(c: &Client, label: &str) {
    let link = c
        .find(Locator::XPath(&format!(
            "//nav[@aria-label='Site']/a[normalize-space()='{label}']"
        )))
        .await
        .unwrap_or_else(|e| panic!("no {label} tab: {e}"));
    let href = link.attr("href").await.unwrap().unwrap();
    link.click().await.unwrap();
    wait_for(
        c,
        &format!("the {label} page"),
        &format!("nav[aria-label=Site] a[aria-current=page][href='{href}']"),
    )
    .await;
}
