//! Data out raw, and the dashboard's side of exports and imports: the
//! settings page's download, list and delete, and the reports' toggle.

use serde_json::{Value, json};

use crate::{
    exchange::{api, traffic, unzip},
    helpers::spawn_app,
};

#[tokio::test]
async fn events_export_raw_without_personal_data() {
    let app = spawn_app().await;
    traffic(&app).await;
    let r = api(
        &app,
        "GET",
        "/api/v1/sites/example.com/events?format=ndjson&from=2024-03-12&to=2024-03-12",
        None,
    )
    .await;
    assert_eq!(r.status().as_u16(), 200);
    let text = r.text().await.unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // 6 landings, 3 second pageviews, 3 signups.
    assert_eq!(lines.len(), 12);
    let signup = lines.iter().find(|l| l["name"] == "Signup").unwrap();
    assert_eq!(signup["props"], json!({"plan": "pro"}));
    assert_eq!(signup["page"], "/signup");
    assert!(
        lines
            .iter()
            .any(|l| l["utm_campaign"] == "spring" && l["browser"] == "Safari")
    );
    for l in &lines {
        let o = l.as_object().unwrap();
        assert_eq!(o.len(), 24);
        assert!(
            !o.contains_key("visitor") && !l.to_string().contains("198.51."),
            "{l}"
        );
    }
    let csv = api(
        &app,
        "GET",
        "/api/v1/sites/example.com/events?from=2024-03-12&to=2024-03-12",
        None,
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(
        csv.starts_with("timestamp,visit,name,hostname,page,"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 13);
    let r = api(
        &app,
        "GET",
        "/api/v1/sites/example.com/events?format=xml",
        None,
    )
    .await;
    assert_eq!(r.status().as_u16(), 400);
}

#[tokio::test]
async fn the_dashboard_exports_lists_and_deletes_imports_and_toggles_them_in_reports() {
    use touchpoint::domain::Role;
    let app = spawn_app().await;
    traffic(&app).await;
    let (mut admin, _) = app.member("adam@acme.test", Role::Admin, app.acme()).await;
    let (status, _, page) = admin.get("/sites/example.com/settings").await;
    assert_eq!(status, 200);
    let key = app.state.sites.load()["example.com"]
        .segment_write_key
        .clone()
        .unwrap();
    assert!(
        page.contains(&key),
        "the settings page shows the Segment write key"
    );
    let r = admin
        .client
        .get(format!("{}/sites/example.com/export", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["content-type"], "application/zip");
    let zip = r.bytes().await.unwrap().to_vec();
    assert_eq!(unzip(&zip).len(), 10);

    let r = api(
        &app,
        "POST",
        "/api/v1/sites/other.example/imports",
        Some(zip),
    )
    .await;
    assert_eq!(r.status().as_u16(), 200);
    let id = r.json::<Value>().await.unwrap()["id"].as_u64().unwrap();
    let overview =
        "/sites/other.example?period=custom&from=2024-03-12&to=2024-03-14&sources=source";
    let (_, _, page) = admin.get(overview).await;
    assert!(page.contains("Imported data"), "the toggle is offered");
    assert!(page.contains(">Google<"), "imported sources show");
    let (_, _, page) = admin.get(&format!("{overview}&imports=off")).await;
    assert!(!page.contains(">Google<"), "left out when toggled off");

    let (_, _, page) = admin.get("/sites/other.example/settings").await;
    assert!(
        page.contains(&format!("CSV #{id}")) && page.contains("2024-03-12 to 2024-03-14"),
        "listed"
    );
    let (status, _, page) = admin
        .post(&format!("/sites/other.example/imports/{id}/delete"), &[])
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("Import deleted.") && !page.contains(&format!("CSV #{id}")));
    let (_, _, page) = admin.get(overview).await;
    assert!(!page.contains("Imported data"));
}
