//! The attribution page's period control in headless Chromium (issue #12):
//! the custom range's dates unfold when "Custom range" is chosen and fold
//! for a preset; setting a date there chooses the custom range and its
//! caption repeats the date in ISO form; the range applies.

use fantoccini::{Client, Locator};
use serde_json::json;
use touchpoint::{domain::Role, store::WorkspaceChoice};

use crate::{
    attribution::scenario,
    browser::Browser,
    ui_steps::{click, log_in_with, text_of, wait_for, wait_url},
};

const PAGE: &str = "/sites/example.com/attribution?period=7d&dimension=visit:utm_campaign";

/// Whether the custom range is unfolded.
async fn unfolded(c: &Client) -> bool {
    c.execute(
        "return document.querySelector('#attribution-form details.custom-range').open",
        vec![],
    )
    .await
    .unwrap()
    .as_bool()
    .unwrap()
}

/// The period chosen in the form.
async fn period(c: &Client) -> String {
    c.execute(
        "return document.querySelector('#attribution-form select[name=period]').value",
        vec![],
    )
    .await
    .unwrap()
    .as_str()
    .unwrap()
    .to_owned()
}

/// Sets the date field `name` as a date picker does (an input, then a change).
async fn set_date(c: &Client, name: &str, date: &str) {
    c.execute(
        "const i = document.querySelector(`#attribution-form input[name=${arguments[0]}]`);
         i.value = arguments[1];
         i.dispatchEvent(new Event('input', {bubbles: true}));
         i.dispatchEvent(new Event('change', {bubbles: true}));",
        vec![json!(name), json!(date)],
    )
    .await
    .unwrap();
}

async fn choose_period(c: &Client, value: &str) {
    c.find(Locator::Css("#attribution-form select[name=period]"))
        .await
        .unwrap()
        .select_by_value(value)
        .await
        .unwrap();
}

#[tokio::test]
async fn in_chromium_the_custom_range_unfolds_for_custom_and_its_captions_follow_the_dates() {
    let browser = Browser::start()
        .await
        .expect("browser starts (needs chromium and chromium-driver: .ci/run installs them)");
    let app = scenario().await;
    let viewer = app.user(
        "vic@acme.test",
        Role::Viewer,
        WorkspaceChoice::Existing(app.acme()),
    );
    let c = &browser.client;
    log_in_with(c, &app, &viewer, || async {}).await;
    c.goto(&format!("{}{PAGE}", app.url)).await.unwrap();
    wait_for(c, "the attribution form", "#attribution-form").await;
    assert!(!unfolded(c).await, "a preset period: no dates");

    choose_period(c, "custom").await;
    assert!(unfolded(c).await, "Custom range unfolds the dates");
    choose_period(c, "30d").await;
    assert!(!unfolded(c).await, "a preset folds them again");

    // Dates set in the unfolded range choose it, and read in ISO form.
    click(c, "#attribution-form details.custom-range summary").await;
    set_date(c, "from", "2024-03-14").await;
    set_date(c, "to", "2024-03-19").await;
    assert_eq!(period(c).await, "custom");
    assert_eq!(
        text_of(c, "#attribution-form label.date-field .iso-date").await,
        "2024-03-14"
    );
    click(c, "#attribution-form button[type=submit]").await;
    wait_url(c, "the custom range applied", |u| {
        u.query()
            .is_some_and(|q| q.contains("period=custom") && q.contains("from=2024-03-14"))
    })
    .await;
    wait_for(c, "the page of the range", "#attribution-total").await;
    assert_eq!(
        text_of(c, "#attribution-form details.custom-range summary").await,
        "Custom range: 2024-03-14 – 2024-03-19"
    );
    assert!(unfolded(c).await);
}
