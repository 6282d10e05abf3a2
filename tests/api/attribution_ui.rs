//! Attribution end to end with the real tracker in headless Chromium: a
//! visitor accepts, lands from a paid campaign, comes back two days later from
//! a newsletter and sends a form (a lead, hashed in the browser), then pays
//! through Stripe (a signed webhook); the revenue is credited to the right
//! campaigns under each model.

use serde_json::json;
use touchpoint::{domain::ConsentMode, privacy::stripe::sign};

use crate::{
    attribution::{api, credited},
    browser::Browser,
    helpers::{MIN, T0, spawn_app},
    tracker_consent_ui::FORM,
    tracker_ui::{js, site_with},
    ui_steps::{click, stored, type_into},
};

const DAY: u64 = 24 * 60 * MIN;
const SECRET: &str = "whsec_browser_test";

#[tokio::test]
async fn a_stripe_purchase_after_a_tracked_journey_is_credited_to_its_campaigns() {
    let browser = Browser::start()
        .await
        .expect("browser starts (needs chromium and chromium-driver: .ci/run installs them)");
    let app = spawn_app().await;
    app.edit_site(|s| {
        s.consent_mode = ConsentMode::CookielessUntilConsent;
        s.stripe_secret_sealed = Some(hex::encode(app.state.auth.keys.seal(
            &touchpoint::privacy::aad::site_stripe_secret(s.id.0),
            SECRET.as_bytes(),
        )));
    });
    let site = site_with(
        &app.url,
        "tp.full.js",
        r#" data-consent="cookieless-until-consent" data-forms="marked""#,
        "",
        FORM,
    )
    .await;
    let c = &browser.client;
    let with_uid =
        |n: &'static str| move |b: &serde_json::Value| b["n"] == n && b["uid"].is_string();

    // Day 0: from the paid campaign; the visitor accepts on the first page.
    let landing = format!(
        "{}/landing?utm_source=google&utm_medium=cpc&utm_campaign=spring&gclid=abc",
        site.url
    );
    c.goto(&landing).await.unwrap();
    site.wait_for("cookieless pageview", 1, |b| b["n"] == "pageview")
        .await;
    js(c, "tp('consent', 'accept')").await;
    site.wait_for("consent", 1, |b| b["n"] == "consent").await;
    // The proxy saw it; the next page's id counts only once it is on record.
    stored("what the page sent", || async {
        !app.state
            .store
            .consent_log(touchpoint::domain::SiteId(1))
            .unwrap()
            .is_empty()
    })
    .await;
    c.goto(&landing).await.unwrap();
    site.wait_for("pageview with the id", 1, with_uid("pageview"))
        .await;

    // The proxy saw it; wait until Touchpoint stored it before the clock moves.
    stored("what the page sent", || async {
        app.aggregate(&["pageviews"], json!("day")).await[0] == 2
    })
    .await;

    // Day 2: from the newsletter; the form makes them a lead.
    app.clock.set_ms(T0 + 2 * DAY);
    c.goto(&format!(
        "{}/news?utm_source=newsletter&utm_medium=email&utm_campaign=may",
        site.url
    ))
    .await
    .unwrap();
    site.wait_for("second pageview with the id", 2, with_uid("pageview"))
        .await;
    type_into(c, "#email", "Ann@Example.com").await;
    click(c, "#send").await;
    site.wait_for("lead", 1, with_uid("lead")).await;
    assert!(
        site.rejected.lock().unwrap().is_empty(),
        "{:?}",
        site.rejected
    );
    browser.close().await.unwrap();

    // Day 4: Stripe reports the payment.
    stored("what the page sent", || async {
        !app.state
            .store
            .leads(touchpoint::domain::SiteId(1))
            .unwrap()
            .is_empty()
    })
    .await;
    app.clock.set_ms(T0 + 4 * DAY);
    let now = i64::try_from(app.clock.now_ms() / 1000).unwrap();
    let event = json!({"id": "evt_1", "type": "checkout.session.completed", "created": now,
        "data": {"object": {"id": "cs_1", "payment_status": "paid", "amount_total": 4900,
        "currency": "eur", "payment_intent": "pi_1", "customer_details": {"email": "ann@example.com"}}}})
    .to_string();
    let r = app
        .client
        .post(format!("{}/hooks/stripe/example.com", app.url))
        .header(
            "stripe-signature",
            sign(SECRET.as_bytes(), event.as_bytes(), now),
        )
        .body(event)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);

    let (status, body) = api(&app, "/api/v1/attribution", json!({"site_id": "example.com",
        "date_range": ["2024-03-15", "2024-03-20"], "dimension": "visit:utm_campaign", "conversion": "purchase"})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["meta"]["revenue"], 49.0, "{body}");
    assert_eq!(credited(&body, "spring", "first_touch"), (1.0, 49.0));
    assert_eq!(credited(&body, "may", "last_touch"), (1.0, 49.0));
    assert_eq!(credited(&body, "spring", "linear"), (0.5, 24.5));
    assert_eq!(credited(&body, "may", "position_based"), (0.5, 24.5));
    let (_, channels) = api(
        &app,
        "/api/v1/attribution",
        json!({"site_id": "example.com",
        "date_range": ["2024-03-15", "2024-03-20"], "conversion": "purchase"}),
    )
    .await;
    assert_eq!(
        credited(&channels, "Paid Search", "first_touch"),
        (1.0, 49.0)
    );
    assert_eq!(credited(&channels, "Email", "last_touch"), (1.0, 49.0));
}
