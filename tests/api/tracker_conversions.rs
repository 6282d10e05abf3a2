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

/// The attribution of the day's purchases by campaign.
async fn by_campaign(app: &TestApp) -> (u16, Value) {
    api(
        app,
        "/api/v1/attribution",
        purchases_query("visit:utm_campaign"),
    )
    .await
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

    let (status, body) = by_campaign(&app).await;
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
    let (_, body) = by_campaign(&app).await;
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
    let (_, body) = by_campaign(&app).await;
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
    assert!(
        page.contains("29.50 EUR"),
        "revenue on the lead, with its currency: {page}"
    );
    assert!(page.contains("C-2") || page.contains("purchase"), "{page}");
}

#[tokio::test]
async fn purchases_in_two_currencies_keep_the_report_and_name_what_was_not_converted() {
    let app = spawn_app().await;
    for (ip, campaign, amount, currency) in [
        ("198.51.100.1", "winter", "20.00", "EUR"),
        ("198.51.100.2", "winter", "30.00", "EUR"),
        ("198.51.100.3", "spring", "12.00", "USD"),
    ] {
        app.event(
            json!({"n": "pageview", "d": "example.com",
                "u": format!("https://example.com/?utm_source=ads&utm_medium=cpc&utm_campaign={campaign}")}),
            CHROME,
            ip,
        )
        .await;
        app.event(purchase(None, amount, currency), CHROME, ip)
            .await;
    }
    let (status, body) = by_campaign(&app).await;
    assert_eq!(
        status, 200,
        "one USD order among EUR ones keeps the report: {body}"
    );
    assert_eq!(
        body["meta"]["conversions"], 3,
        "every conversion counts: {body}"
    );
    assert_eq!(body["meta"]["currency"], "EUR");
    assert_eq!(body["meta"]["revenue"], 50.0);
    assert_eq!(
        body["meta"]["revenue_not_converted"],
        json!([{"currency": "USD", "revenue": 12.0, "conversions": 1}])
    );
    assert_eq!(credited(&body, "winter", "last_touch"), (2.0, 50.0));
    assert_eq!(credited(&body, "spring", "last_touch"), (1.0, 0.0));

    // With a rate the site gave, the USD order is valued too.
    app.edit_site(|s| {
        s.exchange_rates.insert("USD".into(), 0.5);
    });
    let (_, body) = by_campaign(&app).await;
    assert_eq!(body["meta"]["revenue"], 56.0, "{body}");
    assert_eq!(credited(&body, "spring", "last_touch"), (1.0, 6.0));
    assert_eq!(body["meta"]["revenue_not_converted"], json!([]));

    // The goals page shows a revenue goal's revenue, with its currency.
    app.state
        .store
        .add_goal(
            SiteId(1),
            touchpoint::store::GoalKind::Event("Purchase".into()),
        )
        .unwrap();
    use touchpoint::domain::Role;
    let (mut analyst, _) = app
        .member("analyst@acme.test", Role::Analyst, app.acme())
        .await;
    let (status, _, page) = analyst.get("/sites/example.com/goals?period=day").await;
    assert_eq!(status, 200);
    assert!(page.contains("<th class=\"num\">Revenue</th>"), "{page}");
    assert!(page.contains("56.00 EUR"), "50 EUR + 12 USD at 0.5: {page}");
}

#[tokio::test]
async fn goals_can_be_the_conversions_of_the_attribution_report() {
    use touchpoint::store::GoalKind;
    let app = spawn_app().await;
    let store = &app.state.store;
    store
        .add_goal(SiteId(1), GoalKind::Event("Signup".into()))
        .unwrap();
    store
        .add_goal(SiteId(1), GoalKind::Page("/pricing*".into()))
        .unwrap();
    let visit = |campaign: &str| {
        json!({"n": "pageview", "d": "example.com",
            "u": format!("https://example.com/?utm_source=ads&utm_medium=cpc&utm_campaign={campaign}")})
    };
    // Winter: pricing page, then signs up (twice in the visit: one conversion).
    app.event(visit("winter"), CHROME, "198.51.100.1").await;
    app.pageview("/pricing/teams", CHROME, "198.51.100.1").await;
    for _ in 0..2 {
        app.event(
            json!({"n": "Signup", "u": "https://example.com/pricing/teams", "d": "example.com"}),
            CHROME,
            "198.51.100.1",
        )
        .await;
    }
    // Spring: only the pricing page. Autumn: neither.
    app.event(visit("spring"), IPHONE, "198.51.100.2").await;
    app.pageview("/pricing", IPHONE, "198.51.100.2").await;
    app.event(visit("autumn"), CHROME, "198.51.100.3").await;

    let q = |conversion: &str| {
        json!({"site_id": "example.com", "date_range": ["2024-03-15", "2024-03-15"],
            "dimension": "visit:utm_campaign", "conversion": conversion})
    };
    let (status, body) = api(&app, "/api/v1/attribution", q("goal:Signup")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["meta"]["conversions"], 1, "one per visit: {body}");
    assert_eq!(credited(&body, "winter", "first_touch").0, 1.0);

    let (_, body) = api(&app, "/api/v1/attribution", q("goal:Visit /pricing*")).await;
    assert_eq!(body["meta"]["conversions"], 2, "{body}");
    assert_eq!(credited(&body, "winter", "last_touch").0, 1.0);
    assert_eq!(credited(&body, "spring", "last_touch").0, 1.0);
    assert!(
        body["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["dimension"] != "autumn" || r["models"]["last_touch"]["conversions"] == 0.0),
        "{body}"
    );

    let (status, body) = api(&app, "/api/v1/attribution", q("goal:Nope")).await;
    assert_eq!(status, 400);
    assert!(
        body.to_string().contains("Signup") && body.to_string().contains("Visit /pricing*"),
        "the error names the site's goals: {body}"
    );

    // The Attribution page offers the goals and reports one when chosen.
    use touchpoint::domain::Role;
    let (mut analyst, _) = app
        .member("analyst@acme.test", Role::Analyst, app.acme())
        .await;
    let (status, _, page) = analyst
        .get("/sites/example.com/attribution?period=day&conversion=goal%3ASignup&dimension=visit:utm_campaign")
        .await;
    assert_eq!(status, 200);
    assert!(
        page.contains(r#"<option value="goal:Signup" selected>"#),
        "{page}"
    );
    assert!(page.contains("winter"), "{page}");
}
