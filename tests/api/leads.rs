//! Leads pages (emails only for roles that may see them, audited) and the
//! revenue report, on the attribution scenario.

use serde_json::json;
use touchpoint::domain::Role;

use crate::{
    attribution::{api, scenario},
    helpers::TestApp,
    web::WebClient,
};

/// A logged-in member of the test workspace.
async fn acme_member(app: &TestApp, email: &str, role: Role) -> WebClient {
    app.member(email, role, app.acme()).await.0
}

#[tokio::test]
async fn leads_and_their_journeys_are_only_for_roles_that_may_see_people_audited() {
    let app = scenario().await;
    let mut viewer = acme_member(&app, "viewer@acme.test", Role::Viewer).await;
    let (status, _, _) = viewer.get("/sites/example.com/leads").await;
    assert_eq!(status, 403, "leads are people: not for viewers");
    let audited = |app: &TestApp| {
        app.state
            .store
            .audit_log(app.acme(), 100)
            .unwrap()
            .iter()
            .filter(|e| e.action == "lead_pii_viewed")
            .count()
    };
    assert_eq!(audited(&app), 0);

    let mut analyst = acme_member(&app, "analyst@acme.test", Role::Analyst).await;
    let (_, _, page) = analyst.get("/sites/example.com/leads").await;
    assert!(page.contains("ann@example.com"), "{page}");
    assert_eq!(audited(&app), 1, "every showing of an email is audited");
    let href = page
        .split("href=\"/sites/example.com/leads/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let (status, _, profile) = analyst
        .get(&format!("/sites/example.com/leads/{href}"))
        .await;
    assert_eq!(status, 200);
    let journey = profile
        .split("id=\"journey\"")
        .nth(1)
        .unwrap()
        .split("</table>")
        .next()
        .unwrap();
    assert_eq!(
        journey.matches("<tr>").count(),
        3,
        "a header and two visits: {journey}"
    );
    assert!(
        journey.contains("spring") && journey.contains("may") && journey.contains("Paid Search")
    );
    assert!(
        profile.contains("120.00 EUR") && profile.contains("A-1"),
        "{profile}"
    );
    assert_eq!(audited(&app), 2);
    let viewed = app.state.store.audit_log(app.acme(), 100).unwrap();
    assert!(viewed.iter().any(|e| e.action == "lead_viewed"));
    let (status, _, _) = viewer
        .get(&format!("/sites/example.com/leads/{href}"))
        .await;
    assert_eq!(status, 403);
    // Another site's or an unknown lead: not found.
    let (status, _, _) = analyst
        .get(&format!("/sites/other.example/leads/{href}"))
        .await;
    assert_eq!(status, 404);
    let (status, _, _) = analyst.get("/sites/example.com/leads/00").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn the_revenue_report_has_ltv_by_first_touch_time_to_convert_and_cohorts() {
    let app = scenario().await;
    // A second buyer through the API only (no visits).
    let (status, _) = api(&app, "/api/v1/conversions", json!({"site_id": "example.com",
        "email": "bo@example.com", "type": "purchase", "value": 30, "currency": "EUR", "order_id": "B-1"})).await;
    assert_eq!(status, 200);
    let (status, body) = api(
        &app,
        "/api/v1/revenue",
        json!({"site_id": "example.com",
        "date_range": ["2024-03-01", "2024-03-31"], "dimension": "visit:utm_campaign"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let ltv = body["ltv_by_first_touch"].as_array().unwrap();
    let of = |label: &str| {
        ltv.iter()
            .find(|r| r["first_touch"] == label)
            .unwrap_or_else(|| panic!("{label}: {body}"))
    };
    assert_eq!(
        (of("spring")["leads"].clone(), of("spring")["ltv"].clone()),
        (json!(1), json!(120.0))
    );
    assert_eq!(of("(no visit)")["revenue"], 30.0);
    assert_eq!(body["purchases"], 2);
    assert_eq!(body["average_order_value"], 75.0);
    assert_eq!(body["new_lead_revenue"], 150.0);
    // Ann: first visit day 0, lead day 2 (< 7 days), first purchase day 4 (< 7 days).
    assert_eq!(
        body["time_to_lead"][2],
        json!({"within": "< 7 days", "leads": 1})
    );
    assert_eq!(body["time_to_first_purchase"][2]["leads"], 1);
    assert_eq!(
        body["cohorts"],
        json!([{"month": "2024-03", "leads": 2, "cumulative_revenue": [150.0]}])
    );
}

#[tokio::test]
async fn scoring_rules_score_leads_and_date_their_qualification() {
    let app = scenario().await;
    use touchpoint::domain::Role;
    let mut admin = acme_member(&app, "admin@acme.test", Role::Admin).await;
    admin.get("/sites/example.com/settings").await;
    let (status, _, page) = admin
        .post(
            "/sites/example.com/scoring",
            &[("scoring", "{\"rules\": [{\"when\": 3}]}")],
        )
        .await;
    assert_eq!(status, 400);
    assert!(page.contains("not valid"), "{page}");
    let rules = json!({"rules": [
        {"heading": "engagement", "when": {"page": "/news*"}, "points": 10, "each_time": true},
        {"heading": "engagement", "when": {"event": "lead"}, "points": 50},
        {"heading": "fit", "when": {"prop": {"key": "form", "value": "newsletter"}}, "points": 5}
    ], "threshold": 60});
    let (status, _, _) = admin
        .post(
            "/sites/example.com/scoring",
            &[("scoring", &rules.to_string())],
        )
        .await;
    assert_eq!(status, 200);
    let (_, _, list) = admin.get("/sites/example.com/leads").await;
    // /news (10) and the form (50 + fit 5) on day 2: 65, qualified then.
    assert!(
        list.contains("65 (fit 5, engagement 60, qualified 2024-03-17 10:00 UTC)"),
        "{list}"
    );
    let href = list
        .split("href=\"/sites/example.com/leads/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let (_, _, profile) = admin.get(&format!("/sites/example.com/leads/{href}")).await;
    assert!(profile.contains("id=\"score\""), "{profile}");
}

#[tokio::test]
async fn the_lookback_window_is_a_site_setting() {
    let app = scenario().await;
    let mut admin = acme_member(&app, "admin@acme.test", Role::Admin).await;
    admin.get("/sites/example.com/settings").await;
    let (status, _, _) = admin
        .post("/sites/example.com/lookback", &[("days", "0")])
        .await;
    assert_eq!(status, 400);
    let (status, _, _) = admin
        .post("/sites/example.com/lookback", &[("days", "1")])
        .await;
    assert_eq!(status, 200);
    // The purchase on day 4 now has no visit within a day before it.
    let (_, body) = api(
        &app,
        "/api/v1/attribution",
        json!({"site_id": "example.com",
        "date_range": ["2024-03-15", "2024-03-20"], "dimension": "visit:utm_campaign",
        "conversion": "purchase"}),
    )
    .await;
    assert_eq!(body["meta"]["lookback_days"], 1);
    assert_eq!(body["results"][0]["dimension"], "(no visit)", "{body}");
}

#[tokio::test]
async fn an_attribution_row_drills_down_to_its_leads() {
    let app = scenario().await;
    // Bo bought through the API only: a lead with no visits.
    api(
        &app,
        "/api/v1/conversions",
        json!({"site_id": "example.com", "email": "bo@example.com",
        "type": "purchase", "value": 5, "currency": "EUR", "order_id": "B-2"}),
    )
    .await;
    let mut analyst = acme_member(&app, "analyst@acme.test", Role::Analyst).await;
    let (_, _, page) = analyst
        .get("/sites/example.com/attribution?period=7d&dimension=visit:utm_campaign&conversion=purchase&model=first_touch")
        .await;
    let link = "/sites/example.com/leads?dimension=visit:utm_campaign&amp;value=spring";
    assert!(page.contains(link), "{page}");
    let (_, _, all) = analyst.get("/sites/example.com/leads").await;
    assert_eq!(
        all.matches("href=\"/sites/example.com/leads/").count(),
        2,
        "Ann and Bo"
    );
    let (status, _, spring) = analyst
        .get("/sites/example.com/leads?dimension=visit:utm_campaign&value=spring")
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        spring.matches("href=\"/sites/example.com/leads/").count(),
        1,
        "{spring}"
    );
    assert!(spring.contains("ann@example.com") && !spring.contains("bo@example.com"));
    // Viewers see the report without links to people.
    let mut viewer = acme_member(&app, "viewer@acme.test", Role::Viewer).await;
    let (_, _, page) = viewer
        .get("/sites/example.com/attribution?period=7d&dimension=visit:utm_campaign&conversion=purchase")
        .await;
    assert!(!page.contains("/leads?"), "{page}");
}

#[tokio::test]
async fn the_leads_list_comes_in_pages_of_a_hundred_most_recent_first_and_finds_by_email() {
    let app = crate::helpers::spawn_app().await;
    for i in 0..250 {
        app.clock.advance_ms(1_000);
        let (status, body) = api(
            &app,
            "/api/v1/conversions",
            json!({"site_id": "example.com", "email": format!("lead-{i:03}@example.com"),
            "type": "lead"}),
        )
        .await;
        assert!(status < 300, "{status} {body}");
    }
    let mut analyst = acme_member(&app, "analyst@acme.test", Role::Analyst).await;
    let rows = |page: &str| page.matches("href=\"/sites/example.com/leads/").count();
    let (_, _, first) = analyst.get("/sites/example.com/leads").await;
    assert_eq!(rows(&first), 100);
    assert!(first.contains("lead-249@example.com") && first.contains("lead-150@example.com"));
    assert!(!first.contains("lead-149@example.com"), "{first}");
    assert!(first.contains("Page 1 of 3 (250 leads)"), "{first}");
    assert!(first.contains(r#"rel="next" href="/sites/example.com/leads?page=2""#));
    assert!(!first.contains(r#"rel="prev""#));
    // Only the shown page's emails were opened, and the audit says so.
    let entry = app
        .state
        .store
        .audit_log(app.acme(), 100)
        .unwrap()
        .into_iter()
        .find(|e| e.action == "lead_pii_viewed")
        .expect("audited");
    let detail = app.state.auth.audit_detail(&entry);
    assert!(detail.contains("100 emails or names"), "{detail}");

    let (_, _, last) = analyst.get("/sites/example.com/leads?page=3").await;
    assert_eq!(rows(&last), 50);
    assert!(last.contains("lead-000@example.com") && !last.contains("lead-050@example.com"));
    assert!(last.contains(r#"rel="prev" href="/sites/example.com/leads?page=2""#));
    assert!(!last.contains(r#"rel="next""#));
    // Past the end: the last page; nonsense: the first.
    let (_, _, past) = analyst.get("/sites/example.com/leads?page=99").await;
    assert!(past.contains("Page 3 of 3"), "{past}");
    let (status, _, _) = analyst.get("/sites/example.com/leads?page=x").await;
    assert_eq!(status, 200);

    // Found by email (as typed, any case), by its keyed index: no list.
    assert!(first.contains(r#"action="/sites/example.com/leads/find""#));
    let (status, location, _) = analyst
        .get("/sites/example.com/leads/find?email=+Lead-123%40Example.com+")
        .await;
    assert_eq!(status, 303);
    assert!(
        location.starts_with("/sites/example.com/leads/"),
        "{location}"
    );
    let (status, _, profile) = analyst.get(&location).await;
    assert_eq!(status, 200);
    assert!(profile.contains("lead-123@example.com"), "{profile}");
    let (status, location, _) = analyst
        .get("/sites/example.com/leads/find?email=nobody%40example.com")
        .await;
    assert_eq!(
        (status, location.as_str()),
        (
            reqwest::StatusCode::SEE_OTHER,
            "/sites/example.com/leads?missing=1"
        )
    );
    let (_, _, page) = analyst.get(&location).await;
    assert!(page.contains("No lead has that email address."), "{page}");
    let mut viewer = acme_member(&app, "viewer@acme.test", Role::Viewer).await;
    let (status, _, _) = viewer
        .get("/sites/example.com/leads/find?email=lead-123%40example.com")
        .await;
    assert_eq!(status, 403, "not for roles that may not see people");
}
