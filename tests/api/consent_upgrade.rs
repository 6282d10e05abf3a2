//! Consent given during a visit (`cookieless-until-consent`): the visitor lands
//! cookieless from a campaign, accepts, browses on and is identified. The
//! visit must not split: one visitor, one visit, the campaign kept, and the
//! lead credited to the campaign it landed from.

use serde_json::{Value, json};
use touchpoint::domain::ConsentMode;

use crate::{
    attribution::{api, credited},
    helpers::{CHROME, MIN, T0, TestApp, spawn_app},
};

const UID: &str = "mia-uid-000000000001";
const IP: &str = "198.51.100.7";
const LANDING: &str =
    "https://example.com/?utm_source=podcast&utm_medium=audio&utm_campaign=winter";

async fn send(app: &TestApp, body: Value) {
    let r = app
        .post_raw(&body.to_string(), CHROME, &[("x-forwarded-for", IP)])
        .await;
    assert_eq!(r.status().as_u16(), 202, "{body}");
    assert!(r.headers().get("x-touchpoint-refused").is_none(), "{body}");
    assert!(r.headers().get("x-touchpoint-dropped").is_none(), "{body}");
}

fn ev(n: &str, url: &str, uid: bool) -> Value {
    let mut e = json!({"n": n, "u": url, "d": "example.com"});
    if uid {
        e["uid"] = json!(UID);
    }
    e
}

/// Accepts the banner, views two pages, identifies with a form.
async fn accept_browse_identify(app: &TestApp) {
    let mut accept = ev("consent", "https://example.com/", true);
    accept["c"] = json!({"d": "accept", "v": "1", "m": "banner"});
    send(app, accept).await;
    app.clock.advance_ms(MIN);
    send(app, ev("pageview", "https://example.com/episodes", true)).await;
    app.clock.advance_ms(MIN);
    send(app, ev("pageview", "https://example.com/contact", true)).await;
    let mut lead = ev("lead", "https://example.com/contact", true);
    lead["l"] = json!({"e": touchpoint::privacy::sha256_hex(b"mia@example.com")});
    lead["p"] = json!({"form": "contact"});
    send(app, lead).await;
}

fn lead_query(dim: &str) -> Value {
    json!({"site_id": "example.com", "date_range": ["2024-03-15", "2024-03-15"],
        "dimension": dim, "conversion": "lead"})
}

#[tokio::test]
async fn accepting_consent_mid_visit_keeps_one_visitor_one_visit_and_the_campaign() {
    let app = spawn_app().await;
    app.edit_site(|s| s.consent_mode = ConsentMode::CookielessUntilConsent);
    send(&app, ev("pageview", LANDING, false)).await;
    app.clock.advance_ms(MIN);
    accept_browse_identify(&app).await;

    let day = json!(["2024-03-15", "2024-03-15"]);
    let m = app
        .aggregate(
            &["visitors", "visits", "pageviews", "bounce_rate"],
            day.clone(),
        )
        .await;
    assert_eq!(
        m,
        vec![json!(1), json!(1), json!(3), json!(0)],
        "one visitor, one visit"
    );
    let by_campaign = app
        .results(
            json!({"site_id": "example.com", "metrics": ["visitors", "visits"],
            "date_range": day, "dimensions": ["visit:utm_campaign"]}),
        )
        .await;
    assert_eq!(
        by_campaign,
        vec![json!({"dimensions": ["winter"], "metrics": [1, 1]})],
        "the campaign keeps the whole visit"
    );

    let (status, body) = api(
        &app,
        "/api/v1/attribution",
        lead_query("visit:utm_campaign"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["meta"]["conversions"], 1, "{body}");
    for model in ["first_touch", "last_touch", "linear", "markov"] {
        assert_eq!(credited(&body, "winter", model).0, 1.0, "{model}: {body}");
    }
    let (_, body) = api(&app, "/api/v1/attribution", lead_query("visit:channel")).await;
    let rows = body["results"].as_array().unwrap();
    assert!(
        rows.iter().all(|r| r["dimension"] != "Direct"),
        "nothing is credited to Direct: {body}"
    );
}

#[tokio::test]
async fn an_earlier_visit_of_the_same_day_joins_the_journey_on_accept() {
    let app = spawn_app().await;
    app.edit_site(|s| s.consent_mode = ConsentMode::CookielessUntilConsent);
    app.clock.set_ms(T0);
    send(&app, ev("pageview", LANDING, false)).await;
    // Back two hours later, typing the address: a new, direct visit.
    app.clock.set_ms(T0 + 120 * MIN);
    send(&app, ev("pageview", "https://example.com/", false)).await;
    app.clock.advance_ms(MIN);
    accept_browse_identify(&app).await;

    let day = json!(["2024-03-15", "2024-03-15"]);
    let m = app.aggregate(&["visitors", "visits"], day).await;
    assert_eq!(m, vec![json!(1), json!(2)], "one person, two visits");
    let (_, body) = api(
        &app,
        "/api/v1/attribution",
        lead_query("visit:utm_campaign"),
    )
    .await;
    assert_eq!(credited(&body, "winter", "first_touch").0, 1.0, "{body}");
    let (_, body) = api(&app, "/api/v1/attribution", lead_query("visit:channel")).await;
    assert_eq!(credited(&body, "Direct", "last_touch").0, 1.0, "{body}");
    assert_eq!(credited(&body, "Direct", "first_touch").0, 0.0, "{body}");
}

#[tokio::test]
async fn another_persons_cookieless_visit_is_not_joined() {
    let app = spawn_app().await;
    app.edit_site(|s| s.consent_mode = ConsentMode::CookielessUntilConsent);
    // Someone else (another address) came from the campaign.
    app.event(
        json!({"n": "pageview", "u": LANDING, "d": "example.com"}),
        CHROME,
        "203.0.113.50",
    )
    .await;
    send(&app, ev("pageview", "https://example.com/", false)).await;
    accept_browse_identify(&app).await;
    let (_, body) = api(
        &app,
        "/api/v1/attribution",
        lead_query("visit:utm_campaign"),
    )
    .await;
    let rows = body["results"].as_array().unwrap();
    assert!(rows.iter().all(|r| r["dimension"] != "winter"), "{body}");
    let m = app
        .aggregate(&["visitors", "visits"], json!(["2024-03-15", "2024-03-15"]))
        .await;
    assert_eq!(m, vec![json!(2), json!(2)]);
}
