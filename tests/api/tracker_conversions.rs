//! Purchases sent by the tracker (`tp('purchase', …)`, or any Plausible-style
//! revenue event) are purchase conversions: a cookieless visitor's is credited
//! to that day's visits, an identified lead's is on the lead, and an order id
//! sent again by the conversions API is recorded once.

use serde_json::{Value, json};
use touchpoint::domain::{ConsentMode, SiteId};

use crate::{
    attribution::{api, credited},
    helpers::{CHROME, IPHONE, MIN, TestApp, spawn_app},
};

const UID: &str = "leo-uid-000000000001";

fn purchase(order: Option<&str>, amount: &str, currency: &str) -> Value {
    let mut e = json!({"n": "Purchase", "u": "https://example.com/checkout/done",
        "d": "example.com", "$": {"amount": amount, "currency": currency}});
    if let Some(o) = order {
        e["p"] = json!({"order_id": o});
    }
    e
}

fn purchases_query(dim: &str) -> Value {
    json!({"site_id": "example.com", "date_range": ["2024-03-15", "2024-03-15"],
        "dimension": dim, "conversion": "purchase"})
}

async fn send(app: &TestApp, body: Value, ua: &str, ip: &str) {
    let r = app
        .post_raw(&body.to_string(), ua, &[("x-forwarded-for", ip)])
        .await;
    assert_eq!(r.status().as_u16(), 202, "{body}");
    assert!(r.headers().get("x-touchpoint-refused").is_none(), "{body}");
}

#[tokio::test]
async fn a_cookieless_purchase_is_credited_to_the_visits_of_its_day() {
    let app = spawn_app().await;
    app.event(
        json!({"n": "pageview", "u": "https://example.com/?utm_source=podcast&utm_medium=audio&utm_campaign=winter", "d": "example.com"}),
        CHROME,
        "198.51.100.1",
    )
    .await;
    app.clock.advance_ms(MIN);
    app.event(
        purchase(Some("B-1001"), "24.50", "EUR"),
        CHROME,
        "198.51.100.1",
    )
    .await;
    // A Plausible-style revenue event (custom name, `$`) from someone else.
    app.event(
        json!({"n": "pageview", "u": "https://example.com/?utm_source=google&utm_medium=cpc&utm_campaign=brand", "d": "example.com"}),
        IPHONE,
        "203.0.113.4",
    )
    .await;
    app.event(
        json!({"n": "Order", "u": "https://example.com/thanks", "d": "example.com",
            "revenue": {"amount": "10", "currency": "EUR"}}),
        IPHONE,
        "203.0.113.4",
    )
    .await;

    let (status, body) = api(
        &app,
        "/api/v1/attribution",
        purchases_query("visit:utm_campaign"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["meta"]["conversions"], 2, "{body}");
    assert_eq!(body["meta"]["revenue"], 34.5, "{body}");
    assert_eq!(credited(&body, "winter", "last_touch"), (1.0, 24.5));
    assert_eq!(credited(&body, "brand", "first_touch"), (1.0, 10.0));

    // The same order sent again by a server counts once.
    let (status, body) = api(
        &app,
        "/api/v1/conversions",
        json!({"site_id": "example.com", "email": "someone@example.com", "type": "purchase",
            "value": "24.50", "currency": "EUR", "order_id": "B-1001"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["recorded"], false, "{body}");
    let (_, body) = api(
        &app,
        "/api/v1/attribution",
        purchases_query("visit:utm_campaign"),
    )
    .await;
    assert_eq!(body["meta"]["conversions"], 2, "{body}");
}

#[tokio::test]
async fn an_identified_visitors_purchases_are_their_leads_before_and_after_identify() {
    let app = spawn_app().await;
    app.edit_site(|s| s.consent_mode = ConsentMode::CookielessUntilConsent);
    let ip = "198.51.100.9";
    let with_uid = |mut e: Value| {
        e["uid"] = json!(UID);
        e
    };
    let mut accept = json!({"n": "consent", "u": "https://example.com/", "d": "example.com",
        "c": {"d": "accept", "v": "1", "m": "banner"}});
    accept = with_uid(accept);
    send(&app, accept, CHROME, ip).await;
    send(
        &app,
        with_uid(json!({"n": "pageview", "u": "https://example.com/?utm_source=newsletter&utm_medium=email&utm_campaign=march", "d": "example.com"})),
        CHROME,
        ip,
    )
    .await;
    // Bought before saying who they are, then identified, then bought again.
    send(
        &app,
        with_uid(purchase(Some("C-1"), "5.00", "EUR")),
        CHROME,
        ip,
    )
    .await;
    let mut lead =
        with_uid(json!({"n": "lead", "u": "https://example.com/account", "d": "example.com"}));
    lead["l"] = json!({"e": touchpoint::privacy::sha256_hex(b"leo@example.com")});
    send(&app, lead, CHROME, ip).await;
    send(
        &app,
        with_uid(purchase(Some("C-2"), "24.50", "EUR")),
        CHROME,
        ip,
    )
    .await;

    let conversions = app.state.store.conversions(SiteId(1), 0, u64::MAX).unwrap();
    let purchases: Vec<_> = conversions
        .iter()
        .filter(|c| c.kind == touchpoint::store::ConversionKind::Purchase)
        .collect();
    assert_eq!(purchases.len(), 2, "{conversions:?}");
    let lead_id = &conversions
        .iter()
        .find(|c| c.kind == touchpoint::store::ConversionKind::Lead)
        .unwrap()
        .lead;
    assert!(
        purchases.iter().all(|c| &c.lead == lead_id),
        "both purchases are the lead's: {conversions:?}"
    );
    let (_, body) = api(
        &app,
        "/api/v1/attribution",
        purchases_query("visit:utm_campaign"),
    )
    .await;
    assert_eq!(body["meta"]["conversions"], 2, "{body}");
    assert_eq!(credited(&body, "march", "first_touch"), (2.0, 29.5));

    // The lead's page shows them.
    use touchpoint::domain::Role;
    let (mut analyst, _) = app
        .member("analyst@acme.test", Role::Analyst, app.acme())
        .await;
    let (_, _, page) = analyst
        .get(&format!("/sites/example.com/leads/{lead_id}"))
        .await;
    assert!(page.contains("29.50"), "revenue on the lead: {page}");
    assert!(page.contains("C-2") || page.contains("purchase"), "{page}");
}
