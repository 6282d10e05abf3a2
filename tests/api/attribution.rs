//! Attribution end to end over HTTP: a consenting visitor arrives from a paid
//! campaign, comes back days later from a newsletter and fills in a form (a
//! lead), then buys through the conversions API; the purchase is credited to
//! the right campaigns and channels under each model. Also idempotent orders,
//! sealed plain emails, and the lead and its conversions in erasure.

use serde_json::{Value, json};
use touchpoint::{
    domain::{ConsentMode, SiteId},
    privacy::subject::{self, Identifier},
};

use crate::helpers::{CHROME, IPHONE, MIN, T0, TestApp, spawn_app, spawn_app_with};

const DAY: u64 = 24 * 60 * MIN;
const UID: &str = "ann-uid-000000000001";

async fn send(app: &TestApp, body: Value, ua: &str, ip: &str) {
    let r = app
        .post_raw(&body.to_string(), ua, &[("x-forwarded-for", ip)])
        .await;
    assert_eq!(r.status().as_u16(), 202, "{body}");
    assert!(r.headers().get("x-touchpoint-refused").is_none(), "{body}");
}

pub(crate) async fn api(app: &TestApp, path: &str, body: Value) -> (u16, Value) {
    let r = app
        .client
        .post(format!("{}{path}", app.url))
        .bearer_auth(&app.api_key)
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

/// Ann: paid search (spring) on day 0, newsletter (may) and a form on day 2,
/// a purchase through the API on day 4. Bob browses, never converts.
pub(crate) async fn scenario() -> TestApp {
    scenario_with(&[], |_| {}).await
}

/// [`scenario`] on an app with `extra` settings; `before` runs once the
/// app is up, before anything is sent.
pub(crate) async fn scenario_with(
    extra: &[(&str, &str)],
    before: impl FnOnce(&TestApp),
) -> TestApp {
    let app = spawn_app_with(extra).await;
    before(&app);
    app.edit_site(|s| s.consent_mode = ConsentMode::CookielessUntilConsent);
    let ann = |n: &str, url: &str| json!({"n": n, "u": url, "d": "example.com", "uid": UID});
    let mut accept = ann("consent", "https://example.com/");
    accept["c"] = json!({"d": "accept", "v": "1", "m": "banner"});
    send(&app, accept, CHROME, "198.51.100.1").await;
    send(
        &app,
        ann(
            "pageview",
            "https://example.com/?utm_source=google&utm_medium=cpc&utm_campaign=spring&gclid=x",
        ),
        CHROME,
        "198.51.100.1",
    )
    .await;
    app.pageview("/blog", IPHONE, "203.0.113.9").await;
    app.clock.set_ms(T0 + 2 * DAY);
    send(
        &app,
        ann(
            "pageview",
            "https://example.com/news?utm_source=newsletter&utm_medium=email&utm_campaign=may",
        ),
        IPHONE,
        "198.51.100.2",
    )
    .await;
    let digest = touchpoint::privacy::sha256_hex(b"ann@example.com");
    let mut lead = ann("lead", "https://example.com/news");
    lead["l"] = json!({"e": digest});
    lead["p"] = json!({"form": "newsletter"});
    send(&app, lead, IPHONE, "198.51.100.2").await;
    app.clock.set_ms(T0 + 4 * DAY);
    let (status, body) = api(
        &app,
        "/api/v1/conversions",
        json!({"site_id": "example.com",
        "email": "Ann@Example.com", "type": "purchase", "value": "120.00", "currency": "EUR",
        "order_id": "A-1"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["recorded"], true);
    app
}

pub(crate) fn credited(body: &Value, label: &str, model: &str) -> (f64, f64) {
    let row = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["dimension"] == label)
        .unwrap_or_else(|| panic!("no {label} in {body}"));
    let m = &row["models"][model];
    (
        m["conversions"].as_f64().unwrap(),
        m["revenue"].as_f64().unwrap(),
    )
}

#[tokio::test]
async fn a_purchase_is_credited_to_the_campaigns_of_its_journey_under_each_model() {
    let app = scenario().await;
    let q = |dim: &str| {
        json!({"site_id": "example.com", "date_range": ["2024-03-15", "2024-03-20"],
        "dimension": dim, "conversion": "purchase"})
    };
    let (status, body) = api(&app, "/api/v1/attribution", q("visit:utm_campaign")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["meta"]["conversions"], 1);
    assert_eq!(body["meta"]["revenue"], 120.0);
    assert_eq!(body["meta"]["currency"], "EUR");
    assert_eq!(credited(&body, "spring", "first_touch"), (1.0, 120.0));
    assert_eq!(credited(&body, "may", "first_touch"), (0.0, 0.0));
    assert_eq!(credited(&body, "may", "last_touch"), (1.0, 120.0));
    assert_eq!(credited(&body, "spring", "linear"), (0.5, 60.0));
    assert_eq!(credited(&body, "may", "position_based"), (0.5, 60.0));
    // Time decay (7-day half-life): spring is 4 days old, may 2 days old.
    let spring = 2f64.powf(-4.0 / 7.0);
    let may = 2f64.powf(-2.0 / 7.0);
    let want = (spring / (spring + may) * 100.0).round() / 100.0;
    assert_eq!(credited(&body, "spring", "time_decay").0, want);
    // Markov and Shapley credit both, summing to the one purchase.
    for m in ["markov", "shapley"] {
        let total = credited(&body, "spring", m).0 + credited(&body, "may", m).0;
        assert!((total - 1.0).abs() < 0.011, "{m}: {body}");
    }

    let (_, body) = api(&app, "/api/v1/attribution", q("visit:channel")).await;
    assert_eq!(credited(&body, "Paid Search", "first_touch"), (1.0, 120.0));
    assert_eq!(credited(&body, "Email", "last_non_direct"), (1.0, 120.0));

    // The form made Ann a lead: a lead conversion, credited to the newsletter last.
    let mut leads = q("visit:utm_campaign");
    leads["conversion"] = json!("lead");
    let (_, body) = api(&app, "/api/v1/attribution", leads).await;
    assert_eq!(body["meta"]["conversions"], 1);
    assert_eq!(credited(&body, "may", "last_touch").0, 1.0);

    // Bad questions get clear errors.
    for (bad, what) in [
        (
            json!({"site_id": "example.com", "date_range": "30d", "dimension": "event:page"}),
            "touchpoint dimension",
        ),
        (
            json!({"site_id": "example.com", "date_range": "30d", "models": ["magic"]}),
            "unknown model",
        ),
        (
            json!({"site_id": "example.com", "date_range": "30d", "lookback_days": 0}),
            "lookback_days",
        ),
    ] {
        let (status, body) = api(&app, "/api/v1/attribution", bad).await;
        assert_eq!(status, 400);
        assert!(body["error"].as_str().unwrap().contains(what), "{body}");
    }
}

#[tokio::test]
async fn orders_are_idempotent_emails_sealed_and_leads_join_erasure() {
    let app = scenario().await;
    // The same order again: not recorded twice.
    let (status, body) = api(
        &app,
        "/api/v1/conversions",
        json!({"site_id": "example.com",
        "email_sha256": touchpoint::privacy::sha256_hex(b"ann@example.com"), "type": "purchase",
        "value": 120, "currency": "EUR", "order_id": "A-1"}),
    )
    .await;
    assert_eq!(
        (status, body["recorded"].clone()),
        (200, json!(false)),
        "{body}"
    );
    // Bad input is refused.
    for (bad, what) in [
        (
            json!({"site_id": "example.com", "type": "purchase"}),
            "one of email",
        ),
        (
            json!({"site_id": "example.com", "email": "x@y.z", "type": "sale"}),
            "type must be",
        ),
        (
            json!({"site_id": "example.com", "email": "x@y.z", "type": "purchase", "value": 3}),
            "currency",
        ),
        (
            json!({"site_id": "example.com", "email": "nope", "type": "lead"}),
            "email",
        ),
        (
            json!({"site_id": "example.com", "email": "x@y.z", "type": "lead",
                   "email_sha256": touchpoint::privacy::sha256_hex(b"other@y.z")}),
            "different people",
        ),
        (
            json!({"site_id": "example.com", "email": "x@y.z", "type": "lead", "occurred_at": "2999-01-01T00:00:00Z"}),
            "occurred_at",
        ),
    ] {
        let (status, body) = api(&app, "/api/v1/conversions", bad).await;
        assert_eq!(status, 400);
        assert!(
            body["error"].as_str().unwrap().contains(what),
            "{what}: {body}"
        );
    }
    let (status, _) = api(
        &app,
        "/api/v1/conversions",
        json!({"site_id": "other-workspace.example",
        "email": "x@y.z", "type": "lead"}),
    )
    .await;
    assert_eq!(status, 404);

    // Ann's lead holds her two visits' subject and both conversions.
    let site = app.example_site();
    let keys = &app.state.auth.keys;
    let who = Identifier::Email("ann@example.com".into());
    let k = subject::resolve(&app.state.store, keys, &site, &who).unwrap();
    let data = app.state.store.person_data(SiteId(1), &k).unwrap();
    assert_eq!(data.leads.len(), 1);
    assert_eq!(data.leads[0].subjects.len(), 1);
    assert!(
        data.leads[0].email_sealed.is_some(),
        "the plain address, sealed"
    );
    assert_eq!(data.conversions.len(), 2, "lead + purchase");
    assert_eq!(data.sessions.len(), 2);

    // The plain address sent to the API is nowhere in the store file.
    app.state.store.probe_write().unwrap();
    let file = std::fs::read(app.data_dir.path().join(touchpoint::store::FILE_NAME)).unwrap();
    for needle in ["ann@example.com", "Ann@Example.com"] {
        assert!(
            !file.windows(needle.len()).any(|w| w == needle.as_bytes()),
            "{needle}"
        );
    }

    // Erasing Ann takes her lead, conversions and order ids with her.
    let rows = app.state.store.erase_person(SiteId(1), &k).unwrap();
    let n = |t: touchpoint::store::PersonTable| rows[&t];
    use touchpoint::store::PersonTable as T;
    assert_eq!(
        (
            n(T::Leads),
            n(T::Conversions),
            n(T::OrderIds),
            n(T::Sessions)
        ),
        (1, 2, 1, 2)
    );
    let (_, body) = api(
        &app,
        "/api/v1/attribution",
        json!({"site_id": "example.com",
        "date_range": ["2024-03-15", "2024-03-20"]}),
    )
    .await;
    assert_eq!(body["meta"]["conversions"], 0, "{body}");
    // The order id is free again (its conversion is gone).
    let (_, body) = api(&app, "/api/v1/conversions", json!({"site_id": "example.com",
        "email": "ann@example.com", "type": "purchase", "value": 1, "currency": "EUR", "order_id": "A-1"})).await;
    assert_eq!(body["recorded"], true);
}

#[tokio::test]
async fn the_attribution_page_shows_every_model_side_by_side() {
    let app = scenario().await;
    let (mut viewer, _) = app
        .member(
            "viewer@acme.test",
            touchpoint::domain::Role::Viewer,
            app.acme(),
        )
        .await;
    let (status, _, page) = viewer
        .get("/sites/example.com/attribution?period=7d&dimension=visit:utm_campaign&conversion=purchase&compare=1")
        .await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("<strong>1</strong> conversion, revenue"),
        "{page}"
    );
    // The spring row: first touch 1, last touch 0, linear 0.5 (columns in Model::ALL order).
    let row = page
        .split("<td>spring</td>")
        .nth(1)
        .unwrap()
        .split("</tr>")
        .next()
        .unwrap();
    let cells: Vec<&str> = row
        .split("data-conversions=\"")
        .skip(1)
        .map(|c| c.split('"').next().unwrap())
        .collect();
    assert_eq!(cells.len(), 8, "{row}");
    assert_eq!(
        &cells[..4],
        ["1.0000", "0.0000", "0.0000", "0.5000"],
        "{row}"
    );
    // The period's new leads' revenue: Ann, first touched by spring, 120.
    let revenue = page
        .split("id=\"revenue\"")
        .nth(1)
        .expect("a revenue section");
    assert!(
        revenue.contains("<td>spring</td><td class=\"num\">1</td><td class=\"num\">120.00</td>"),
        "{revenue}"
    );
    // The models' definitions are public.
    let docs = app.get("/docs/attribution").await;
    assert_eq!(docs.status().as_u16(), 200);
    assert!(docs.text().await.unwrap().contains("removal effect"));
}

#[tokio::test]
async fn only_keys_allowed_to_may_record_conversions() {
    let app = spawn_app().await;
    let post = |key: String| {
        let app = &app;
        async move {
            app.client
                .post(format!("{}/api/v1/conversions", app.url))
                .bearer_auth(key)
                .json(&json!({"site_id": "example.com", "email": "x@example.com", "type": "lead"}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    let auth = &app.state.auth;
    let (read_only, _) = auth
        .create_api_key(
            app.acme(),
            "stats",
            touchpoint::store::KeyScopes::default(),
            T0,
        )
        .unwrap();
    let (writer, rec) = auth
        .create_api_key(
            app.acme(),
            "crm",
            touchpoint::store::KeyScopes {
                conversions: true,
                sites: false,
            },
            T0,
        )
        .unwrap();
    assert!(rec.conversions);
    assert_eq!(post(read_only.clone()).await, 403);
    assert_eq!(post(writer).await, 200);
    // The read-only key still reads.
    let r = app
        .client
        .post(format!("{}/api/v2/query", app.url))
        .bearer_auth(&read_only)
        .json(&json!({"site_id": "example.com", "metrics": ["visitors"], "date_range": "day"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
}
