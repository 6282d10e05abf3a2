//! A first-time owner's report pages (issue #12): attribution leads with
//! the site's model, compares the others on demand, labels conversions
//! without a visit one way, hides all-zero rows and says what to set up when
//! empty; funnels are saved by name, with a bar per step and the Overview's
//! periods.

use serde_json::json;
use touchpoint::domain::Role;

use crate::{
    attribution::{api, scenario},
    helpers::{CHROME, IPHONE, spawn_app},
    owner_pages::{actions, send},
};

/// The credits of the attribution table's row `label`, when it has one.
fn row_cells(page: &str, label: &str) -> Option<Vec<String>> {
    let table = page
        .split("id=\"attribution\"")
        .nth(1)?
        .split("</table>")
        .next()?;
    let row = table.split(&format!("<td>{label}</td>")).nth(1)?;
    let row = row.split("</tr>").next()?;
    Some(
        row.split("data-conversions=\"")
            .skip(1)
            .map(|c| c.split('"').next().unwrap().to_owned())
            .collect(),
    )
}

const CAMPAIGNS: &str =
    "/sites/example.com/attribution?period=7d&dimension=visit:utm_campaign&conversion=purchase";

#[tokio::test]
async fn the_attribution_page_leads_with_the_sites_model_and_compares_the_others_on_demand() {
    let app = scenario().await;
    let (mut viewer, _) = app.member("vic@acme.test", Role::Viewer, app.acme()).await;
    let (status, _, page) = viewer.get(CAMPAIGNS).await;
    assert_eq!(status, 200, "{page}");
    // Last non-direct by default: the newsletter (may) brought Ann back to buy.
    assert!(
        page.contains("<strong>Last non-direct</strong> (this site&#39;s model)")
            || page.contains("<strong>Last non-direct</strong> (this site's model)"),
        "{page}"
    );
    assert_eq!(row_cells(&page, "may").unwrap(), ["1.0000"]);
    assert!(
        row_cells(&page, "spring").is_none(),
        "no all-zero row: {page}"
    );
    // Compared on demand: every model, the site's marked.
    let (_, _, page) = viewer.get(&format!("{CAMPAIGNS}&compare=1")).await;
    assert_eq!(row_cells(&page, "spring").unwrap().len(), 8, "{page}");
    assert!(
        page.contains("(leading)") && page.contains("id=\"model-needs\""),
        "{page}"
    );
    assert!(
        page.contains("Needs several distinct multi-visit paths"),
        "Markov says what it needs: {page}"
    );
    // An admin makes first touch the site's model (next to the lookback).
    let (mut admin, _) = app.member("adam@acme.test", Role::Admin, app.acme()).await;
    let (_, _, settings) = admin.get("/sites/example.com/settings").await;
    assert!(
        settings.contains(
            "<option value=\"last_non_direct\" selected>Last non-direct (default)</option>"
        ),
        "{settings}"
    );
    let (status, _, _) = admin
        .post(
            "/sites/example.com/lookback",
            &[("days", "90"), ("model", "vibes")],
        )
        .await;
    assert_eq!(status, 400);
    let (status, _, _) = admin
        .post(
            "/sites/example.com/lookback",
            &[("days", "90"), ("model", "first_touch")],
        )
        .await;
    assert_eq!(status, 200);
    assert!(
        actions(&app, "settings_changed")
            .iter()
            .any(|d| d.contains("model first_touch"))
    );
    let (_, _, page) = viewer.get(CAMPAIGNS).await;
    assert_eq!(row_cells(&page, "spring").unwrap(), ["1.0000"]);
    assert!(row_cells(&page, "may").is_none(), "{page}");
}

#[tokio::test]
async fn conversions_without_a_visit_have_one_label_everywhere_and_zero_rows_are_left_out() {
    let app = scenario().await;
    // Bo buys through the API only; Dan accepts, comes from an autumn campaign, never buys.
    let (status, _) = api(&app, "/api/v1/conversions", json!({"site_id": "example.com",
        "email": "bo@example.com", "type": "purchase", "value": 30, "currency": "EUR", "order_id": "B-1"})).await;
    assert_eq!(status, 200);
    let dan = |n: &str, url: &str| json!({"n": n, "u": url, "d": "example.com", "uid": "dan-uid-000000000001"});
    let mut accept = dan("consent", "https://example.com/");
    accept["c"] = json!({"d": "accept", "v": "1", "m": "banner"});
    send(&app, accept, IPHONE, "198.51.100.9").await;
    send(
        &app,
        dan("pageview", "https://example.com/?utm_campaign=autumn"),
        IPHONE,
        "198.51.100.9",
    )
    .await;
    let (_, body) = api(&app, "/api/v1/attribution", json!({"site_id": "example.com",
        "date_range": ["2024-03-15", "2024-03-20"], "dimension": "visit:utm_campaign", "conversion": "purchase"})).await;
    let labels: Vec<&str> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["dimension"].as_str().unwrap())
        .collect();
    assert!(
        labels.contains(&"(no visit)") && labels.contains(&"autumn"),
        "{body}"
    );
    let (mut viewer, _) = app.member("vic@acme.test", Role::Viewer, app.acme()).await;
    let (_, _, page) = viewer.get(&format!("{CAMPAIGNS}&compare=1")).await;
    assert_eq!(
        row_cells(&page, "(no visit)").unwrap(),
        vec!["1.0000"; 8],
        "{page}"
    );
    assert!(page.contains("id=\"no-visit-note\""), "{page}");
    assert!(
        row_cells(&page, "autumn").is_none(),
        "all zero under every model: {page}"
    );
    let revenue = page.split("id=\"revenue\"").nth(1).unwrap();
    assert!(revenue.contains("<td>(no visit)</td>"), "{revenue}");
    // By channel, nobody's conversion without a visit hides in Direct.
    let (_, _, page) = viewer
        .get("/sites/example.com/attribution?period=7d&conversion=purchase&compare=1")
        .await;
    assert!(
        row_cells(&page, "Direct").is_none() && row_cells(&page, "(no visit)").is_some(),
        "{page}"
    );
}

#[tokio::test]
async fn an_empty_attribution_page_says_what_to_set_up_and_where() {
    let app = spawn_app().await;
    app.pageview("/", CHROME, "203.0.113.1").await;
    let (mut admin, _) = app.member("adam@acme.test", Role::Admin, app.acme()).await;
    let (status, _, page) = admin.get("/sites/example.com/attribution").await;
    assert_eq!(status, 200);
    let empty = page
        .split("id=\"attribution-empty\"")
        .nth(1)
        .expect("an empty state");
    assert!(
        empty.contains("No purchases in this period (Last 30 days)"),
        "{empty}"
    );
    for (item, link) in [
        ("setup-purchases", "/sites/example.com/settings#stripe"),
        ("setup-consent", "/sites/example.com/settings#general"),
        ("setup-goals", "/sites/example.com/goals"),
    ] {
        let li = empty
            .split(&format!("id=\"{item}\""))
            .nth(1)
            .unwrap_or_else(|| panic!("{item}: {empty}"));
        assert!(
            li.split("</li>").next().unwrap().contains(link),
            "{item}: {li}"
        );
    }
    assert!(
        empty.contains("tp(&#39;purchase&#39;") || empty.contains("tp('purchase'"),
        "{empty}"
    );
    assert!(!page.contains("id=\"attribution\""), "no table of zeros");
    // New leads: the consent mode and forms, not Stripe's card.
    let (_, _, page) = admin
        .get("/sites/example.com/attribution?conversion=lead")
        .await;
    assert!(
        page.contains("id=\"setup-leads\"") && !page.contains("id=\"setup-purchases\""),
        "{page}"
    );
    // A viewer is told an admin can set it up, without links to settings.
    let (mut viewer, _) = app.member("vic@acme.test", Role::Viewer, app.acme()).await;
    let (_, _, page) = viewer.get("/sites/example.com/attribution").await;
    assert!(
        page.contains("an admin of this site can set it up"),
        "{page}"
    );
    assert!(!page.contains("/settings#"), "{page}");
}

#[tokio::test]
async fn admins_save_named_funnels_everyone_opens_with_a_bar_per_step_and_the_overviews_periods() {
    let app = spawn_app().await;
    for (ip, events) in [
        (
            "203.0.113.1",
            vec![("pageview", "/pricing"), ("Signup", "/pricing")],
        ),
        ("203.0.113.2", vec![("pageview", "/pricing")]),
    ] {
        for (n, path) in events {
            app.event(
                json!({"n": n, "u": format!("https://example.com{path}"), "d": "example.com"}),
                CHROME,
                ip,
            )
            .await;
        }
    }
    let (mut admin, _) = app.member("adam@acme.test", Role::Admin, app.acme()).await;
    let (_, _, page) = admin
        .get("/sites/example.com/funnels?steps=%2Fpricing%0Aevent%3ASignup&period=day")
        .await;
    assert!(page.contains("id=\"save-funnel\""), "{page}");
    // One help paragraph, and the Overview's periods.
    let help = page
        .split("<p id=\"funnel-help\">")
        .nth(1)
        .unwrap()
        .split("</p>")
        .next()
        .unwrap();
    assert!(
        help.contains("event:Signup") && help.contains("/blog/*"),
        "{help}"
    );
    for label in [
        "Today",
        "Yesterday",
        "Month to date",
        "Last month",
        "Custom range",
    ] {
        assert!(
            page.contains(&format!(">{label}</option>")),
            "{label}: {page}"
        );
    }
    assert!(!page.contains("Last 6 months"), "{page}");
    let steps = "/pricing\r\nevent:Signup";
    let (status, to, _) = admin
        .post(
            "/sites/example.com/funnels",
            &[("name", "Signup"), ("steps", steps)],
        )
        .await;
    assert_eq!(status, 303);
    assert!(to.starts_with("/sites/example.com/funnels?funnel="), "{to}");
    let (status, _, page) = admin
        .post(
            "/sites/example.com/funnels",
            &[("name", "signup"), ("steps", steps)],
        )
        .await;
    assert_eq!(status, 400);
    assert!(page.contains("already exists"), "{page}");
    assert_eq!(actions(&app, "funnel_saved").len(), 1);

    let (mut viewer, _) = app.member("vic@acme.test", Role::Viewer, app.acme()).await;
    let (_, _, list) = viewer.get("/sites/example.com/funnels").await;
    assert!(
        list.contains(&format!("href=\"{to}\"")) && list.contains(">Signup</a>"),
        "{list}"
    );
    assert!(
        !list.contains("/delete") && !list.contains("id=\"save-funnel\""),
        "viewers only open: {list}"
    );
    let (_, _, page) = viewer.get(&format!("{to}&period=day")).await;
    assert!(
        page.contains("<h2 id=\"funnel-name\">Signup — Today</h2>"),
        "{page}"
    );
    let table = page
        .split("id=\"funnel\"")
        .nth(1)
        .unwrap()
        .split("</table>")
        .next()
        .unwrap();
    assert_eq!(table.matches("class=\"funnel-bar\"").count(), 2, "{table}");
    assert!(
        table.contains("aria-label=\"100% of the first step\"")
            && table.contains("aria-label=\"50% of the first step\""),
        "{table}"
    );
    assert_eq!(
        viewer
            .post(
                "/sites/example.com/funnels",
                &[("name", "Mine"), ("steps", steps)]
            )
            .await
            .0,
        403
    );

    let id = to.rsplit('=').next().unwrap();
    let (status, back, _) = admin
        .post(&format!("/sites/example.com/funnels/{id}/delete"), &[])
        .await;
    assert_eq!(
        (status.as_u16(), back.as_str()),
        (303, "/sites/example.com/funnels")
    );
    assert!(
        app.state
            .store
            .funnels(touchpoint::domain::SiteId(1))
            .unwrap()
            .is_empty()
    );
    assert_eq!(actions(&app, "funnel_deleted").len(), 1);
}
