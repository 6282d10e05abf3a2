//! The Stripe webhook: signed events become purchases of the lead with the
//! customer's email, credited to the journey's campaigns; redeliveries and the
//! invoice of the same checkout count once; refunds reduce revenue; unsigned,
//! wrongly signed or stale events are refused; the email is sealed at rest.

use serde_json::{Value, json};
use touchpoint::{domain::Role, privacy::stripe::sign};

use crate::{
    attribution::{api, credited, scenario},
    helpers::TestApp,
};

const SECRET: &str = "whsec_test_0123456789";

async fn hook(
    app: &TestApp,
    domain: &str,
    event: &Value,
    signature: Option<String>,
) -> (u16, String) {
    let body = event.to_string();
    let now = i64::try_from(app.clock.now_ms() / 1000).unwrap();
    let sig = signature.unwrap_or_else(|| sign(SECRET.as_bytes(), body.as_bytes(), now));
    let r = app
        .client
        .post(format!("{}/hooks/stripe/{domain}", app.url))
        .header("stripe-signature", sig)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

fn checkout(app: &TestApp) -> Value {
    json!({"id": "evt_1", "type": "checkout.session.completed", "created": app.clock.now_ms() / 1000,
        "data": {"object": {"id": "cs_9", "payment_status": "paid", "amount_total": 9900, "currency": "eur",
        "invoice": "in_9", "customer_details": {"email": "ANN@example.com"}}}})
}

async fn purchases(app: &TestApp) -> Value {
    let (status, body) = api(app, "/api/v1/attribution", json!({"site_id": "example.com",
        "date_range": ["2024-03-15", "2024-03-20"], "dimension": "visit:utm_campaign", "conversion": "purchase"})).await;
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test]
async fn signed_stripe_events_become_purchases_credited_to_the_journey() {
    let app = scenario().await;
    // Without a secret the site refuses events.
    let (status, _) = hook(&app, "example.com", &checkout(&app), None).await;
    assert_eq!(status, 400);
    let (mut admin, _) = app.member("admin@acme.test", Role::Admin, app.acme()).await;
    admin.get("/sites/example.com/settings").await;
    let (status, _, _) = admin
        .post("/sites/example.com/stripe", &[("secret", "not-a-secret")])
        .await;
    assert_eq!(status, 400);
    let (status, _, page) = admin
        .post("/sites/example.com/stripe", &[("secret", SECRET)])
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("/hooks/stripe/example.com"), "{page}");

    let (status, msg) = hook(&app, "example.com", &checkout(&app), None).await;
    assert_eq!(
        (status, msg.contains("purchase recorded")),
        (200, true),
        "{msg}"
    );
    // Redelivered, and the same order's invoice: counted once.
    let (_, msg) = hook(&app, "example.com", &checkout(&app), None).await;
    assert!(msg.contains("already recorded"), "{msg}");
    let invoice = json!({"id": "evt_2", "type": "invoice.paid", "created": app.clock.now_ms() / 1000,
        "data": {"object": {"id": "in_9", "customer_email": "ann@example.com", "amount_paid": 9900, "currency": "eur"}}});
    let (_, msg) = hook(&app, "example.com", &invoice, None).await;
    assert!(msg.contains("already recorded"), "{msg}");

    let body = purchases(&app).await;
    assert_eq!(
        body["meta"]["conversions"], 2,
        "the API's and Stripe's: {body}"
    );
    assert_eq!(body["meta"]["revenue"], 219.0);
    assert_eq!(credited(&body, "spring", "first_touch"), (2.0, 219.0));
    assert_eq!(credited(&body, "may", "last_touch"), (2.0, 219.0));

    // A refund reduces revenue; Stripe's running total makes replays harmless.
    let refund = json!({"id": "evt_3", "type": "charge.refunded", "created": app.clock.now_ms() / 1000,
        "data": {"object": {"id": "ch_1", "invoice": "in_9", "amount_refunded": 2500, "currency": "eur"}}});
    for _ in 0..2 {
        let (_, msg) = hook(&app, "example.com", &refund, None).await;
        assert!(msg.contains("refund recorded"), "{msg}");
    }
    let body = purchases(&app).await;
    assert_eq!(body["meta"]["revenue"], 194.0);
    // An older, smaller running total delivered late doesn't lower it.
    let mut older = refund.clone();
    older["data"]["object"]["amount_refunded"] = json!(1000);
    hook(&app, "example.com", &older, None).await;
    assert_eq!(purchases(&app).await["meta"]["revenue"], 194.0);
    // A refund of an order not seen yet: Stripe is asked to retry.
    let mut early = refund.clone();
    early["data"]["object"]["invoice"] = json!("in_later");
    assert_eq!(hook(&app, "example.com", &early, None).await.0, 409);

    // Wrong secret, stale timestamp, tampered body, other site: refused.
    let body = checkout(&app).to_string();
    let now = i64::try_from(app.clock.now_ms() / 1000).unwrap();
    for (what, sig) in [
        ("wrong secret", sign(b"whsec_other", body.as_bytes(), now)),
        (
            "stale",
            sign(SECRET.as_bytes(), body.as_bytes(), now - 3600),
        ),
        ("none", String::new()),
    ] {
        let (status, _) = hook(&app, "example.com", &checkout(&app), Some(sig)).await;
        assert_eq!(status, 400, "{what}");
    }
    let mut tampered = checkout(&app);
    let sig = sign(SECRET.as_bytes(), tampered.to_string().as_bytes(), now);
    tampered["data"]["object"]["amount_total"] = json!(1);
    let (status, _) = hook(&app, "example.com", &tampered, Some(sig)).await;
    assert_eq!(status, 400, "tampered");
    assert_eq!(
        hook(&app, "nope.example", &checkout(&app), None).await.0,
        404
    );
    assert_eq!(purchases(&app).await["meta"]["conversions"], 2);

    // The customer's email and the secret are not in the store in plain text.
    app.state.store.probe_write().unwrap();
    let file = std::fs::read(app.data_dir.path().join(touchpoint::store::FILE_NAME)).unwrap();
    for needle in ["ann@example.com", "ANN@example.com", SECRET] {
        assert!(
            !file.windows(needle.len()).any(|w| w == needle.as_bytes()),
            "{needle}"
        );
    }
}
