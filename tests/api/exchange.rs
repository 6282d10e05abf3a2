//! Data out and back in: a site exported as Plausible's CSV zip, imported
//! into a new site, answers the same totals and breakdowns for the covered
//! days (with `include.imports`); the files are Plausible's; imports are
//! listed and deletable; events export raw, without personal data.

use std::io::Read;

use serde_json::{Value, json};

use crate::helpers::{CHROME, IPHONE, MIN, T0, TestApp, spawn_app};

const DAY: u64 = 24 * 60 * MIN;

pub(crate) async fn api(
    app: &TestApp,
    method: &str,
    path: &str,
    body: Option<Vec<u8>>,
) -> reqwest::Response {
    let mut req = app
        .client
        .request(method.parse().unwrap(), format!("{}{path}", app.url))
        .bearer_auth(&app.api_key);
    if let Some(b) = body {
        req = req.body(b);
    }
    req.send().await.unwrap()
}

/// Three days of varied traffic on example.com, at whole seconds.
pub(crate) async fn traffic(app: &TestApp) {
    let visit = |day: u64, n: u64| T0 - (3 - day) * DAY + n * 7 * MIN;
    for day in 0..3 {
        for n in 0..6 {
            app.clock.set_ms(visit(day, n));
            let ip = format!("198.51.{day}.{n}");
            let ua = if n % 3 == 0 { IPHONE } else { CHROME };
            let landing = match n % 3 {
                0 => "https://example.com/?utm_source=news&utm_medium=email&utm_campaign=spring",
                1 => "https://example.com/pricing",
                _ => "https://example.com/docs/start",
            };
            let referrer = if n % 2 == 0 {
                "https://www.google.com/"
            } else {
                ""
            };
            app.event(
                json!({"n": "pageview", "u": landing, "d": "example.com", "r": referrer}),
                ua,
                &ip,
            )
            .await;
            if n % 2 == 1 {
                app.clock.set_ms(visit(day, n) + 65_000);
                app.event(
                    json!({"n": "pageview", "u": "https://example.com/signup", "d": "example.com"}),
                    ua,
                    &ip,
                )
                .await;
                app.clock.set_ms(visit(day, n) + 130_000);
                app.event(json!({"n": "Signup", "u": "https://example.com/signup", "d": "example.com", "p": {"plan": "pro"}}), ua, &ip)
                    .await;
            }
        }
    }
    app.clock.set_ms(T0);
}

pub(crate) fn unzip(bytes: &[u8]) -> Vec<(String, String)> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    (0..zip.len())
        .map(|i| {
            let mut f = zip.by_index(i).unwrap();
            let mut s = String::new();
            f.read_to_string(&mut s).unwrap();
            (f.name().to_owned(), s)
        })
        .collect()
}

async fn results(app: &TestApp, site: &str, q: Value, imports: bool) -> (Vec<Value>, Value) {
    let mut q = q;
    q["site_id"] = json!(site);
    q["date_range"] = json!(["2024-03-12", "2024-03-15"]);
    if imports {
        q["include"] = json!({"imports": true});
    }
    let (status, body) = app.query(q.clone()).await;
    assert_eq!(status, 200, "{q}: {body}");
    (
        body["results"].as_array().unwrap().clone(),
        body["meta"].clone(),
    )
}

#[tokio::test]
async fn an_export_imported_into_a_new_site_answers_the_same_totals_and_breakdowns() {
    let app = spawn_app().await;
    traffic(&app).await;
    let r = api(
        &app,
        "GET",
        "/api/v1/sites/example.com/export?format=plausible-csv",
        None,
    )
    .await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(
        r.headers()["content-disposition"],
        "attachment; filename=\"example_com_20240315.zip\""
    );
    let zip = r.bytes().await.unwrap().to_vec();
    let files = unzip(&zip);
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    for t in [
        "visitors",
        "sources",
        "pages",
        "entry_pages",
        "exit_pages",
        "custom_events",
        "locations",
        "devices",
        "browsers",
        "operating_systems",
    ] {
        assert!(
            names.contains(&format!("imported_{t}_20240312_20240315.csv").as_str()),
            "{t}: {names:?}"
        );
    }
    // Plausible's headers, exactly (lib/plausible/exports.ex).
    for (t, header) in [
        (
            "visitors",
            r#""date","visitors","pageviews","bounces","visits","visit_duration""#,
        ),
        (
            "sources",
            r#""date","source","referrer","utm_source","utm_medium","utm_campaign","utm_content","utm_term","pageviews","visitors","visits","visit_duration","bounces""#,
        ),
        (
            "pages",
            r#""date","hostname","page","visits","visitors","pageviews","total_scroll_depth","total_scroll_depth_visits","total_time_on_page","total_time_on_page_visits""#,
        ),
        (
            "entry_pages",
            r#""date","entry_page","visitors","entrances","visit_duration","bounces","pageviews""#,
        ),
        (
            "exit_pages",
            r#""date","exit_page","visitors","visit_duration","exits","bounces","pageviews""#,
        ),
        (
            "custom_events",
            r#""date","name","link_url","path","visitors","events""#,
        ),
        (
            "locations",
            r#""date","country","region","city","visitors","visits","visit_duration","bounces","pageviews""#,
        ),
        (
            "devices",
            r#""date","device","visitors","visits","visit_duration","bounces","pageviews""#,
        ),
        (
            "browsers",
            r#""date","browser","browser_version","visitors","visits","visit_duration","bounces","pageviews""#,
        ),
        (
            "operating_systems",
            r#""date","operating_system","operating_system_version","visitors","visits","visit_duration","bounces","pageviews""#,
        ),
    ] {
        let name = format!("imported_{t}_20240312_20240315.csv");
        let body = &files.iter().find(|(n, _)| *n == name).unwrap().1;
        assert_eq!(body.lines().next(), Some(header), "{name}");
        let columns = header.split(',').count();
        for line in body.lines().skip(1) {
            assert_eq!(line.split(',').count(), columns, "{name}: {line}");
        }
    }
    let visitors = &files
        .iter()
        .find(|(n, _)| n.starts_with("imported_visitors"))
        .unwrap()
        .1;
    let mut lines = visitors.lines();
    assert_eq!(
        lines.next(),
        Some(r#""date","visitors","pageviews","bounces","visits","visit_duration""#)
    );
    // 2024-03-12: 6 visits, 9 pageviews, 3 bounced, 3 × 130 s.
    assert_eq!(lines.next(), Some(r#""2024-03-12",6,9,3,6,390"#));

    let (s, _) = crate::sites_api::call(
        &app,
        &app.api_key,
        "POST",
        "/api/v1/sites",
        Some(json!({"domain": "copy.example", "timezone": "UTC"})),
    )
    .await;
    assert_eq!(s, 200);
    let r = api(
        &app,
        "POST",
        "/api/v1/sites/copy.example/imports",
        Some(zip.clone()),
    )
    .await;
    assert_eq!(r.status().as_u16(), 200);
    let record: Value = r.json().await.unwrap();
    assert_eq!(
        (record["first_date"].as_str(), record["last_date"].as_str()),
        (Some("2024-03-12"), Some("2024-03-14"))
    );

    let metrics = json!([
        "visitors",
        "visits",
        "pageviews",
        "bounce_rate",
        "visit_duration",
        "views_per_visit"
    ]);
    let (native, _) = results(&app, "example.com", json!({"metrics": metrics}), false).await;
    let (copied, meta) = results(&app, "copy.example", json!({"metrics": metrics}), true).await;
    assert_eq!(meta["imports_included"], true);
    assert_eq!(copied, native, "totals");
    assert_eq!(native[0]["metrics"], json!([18, 18, 27, 50, 65, 1.5]));
    // Plausible's files count no events beside pageviews outside custom
    // event rows: imported totals' events are their pageviews, as in Plausible.
    let (copied, _) = results(&app, "copy.example", json!({"metrics": ["events"]}), true).await;
    assert_eq!(copied[0]["metrics"], json!([27]));
    for (dim, metrics, filters) in [
        (
            "visit:source",
            json!(["visitors", "visits", "bounce_rate", "visit_duration"]),
            json!([]),
        ),
        (
            "visit:utm_campaign",
            json!(["visitors", "visits"]),
            json!([]),
        ),
        (
            "visit:entry_page",
            json!(["visitors", "visits", "bounce_rate"]),
            json!([]),
        ),
        ("visit:exit_page", json!(["visitors", "visits"]), json!([])),
        ("event:page", json!(["visitors", "pageviews"]), json!([])),
        (
            "visit:browser",
            json!(["visitors", "visits", "pageviews"]),
            json!([]),
        ),
        ("visit:os", json!(["visitors", "visit_duration"]), json!([])),
        (
            "visit:device",
            json!(["visitors", "bounce_rate"]),
            json!([]),
        ),
        (
            "event:name",
            json!(["visitors", "events"]),
            json!([["is_not", "event:name", ["pageview"]]]),
        ),
        (
            "time:day",
            json!(["visitors", "pageviews", "bounce_rate"]),
            json!([]),
        ),
        (
            "visit:source",
            json!(["visitors"]),
            json!([["is", "visit:source", ["Google"]]]),
        ),
    ] {
        let q = json!({"metrics": metrics, "dimensions": [dim], "filters": filters, "order_by": [[dim, "asc"]]});
        let (native, _) = results(&app, "example.com", q.clone(), false).await;
        let (copied, meta) = results(&app, "copy.example", q, true).await;
        assert!(!native.is_empty(), "{dim}");
        assert_eq!(copied, native, "{dim} with {filters}");
        assert_eq!(meta["imports_included"], true, "{dim}");
    }
    // Without asking, or asking what an import can't answer, no imports.
    let (copied, _) = results(
        &app,
        "copy.example",
        json!({"metrics": ["visitors"]}),
        false,
    )
    .await;
    assert_eq!(copied[0]["metrics"], json!([0]));
    let (_, meta) = results(
        &app,
        "copy.example",
        json!({"metrics": ["visitors"], "dimensions": ["visit:browser"],
        "filters": [["is", "event:page", ["/pricing"]]]}),
        true,
    )
    .await;
    assert_eq!(meta["imports_included"], false);
    assert_eq!(meta["imports_skip_reason"], "unsupported_query");
    let (_, meta) = results(
        &app,
        "copy.example",
        json!({"metrics": ["visitors"], "dimensions": ["time:hour"]}),
        true,
    )
    .await;
    assert_eq!(meta["imports_skip_reason"], "unsupported_interval");

    // Listed, and deleted as a whole.
    let list: Value = api(&app, "GET", "/api/v1/sites/copy.example/imports", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["imports"].as_array().unwrap().len(), 1);
    let id = record["id"].as_u64().unwrap();
    let r = api(
        &app,
        "DELETE",
        &format!("/api/v1/sites/copy.example/imports/{id}"),
        None,
    )
    .await;
    assert_eq!(r.status().as_u16(), 200);
    let (copied, meta) =
        results(&app, "copy.example", json!({"metrics": ["visitors"]}), true).await;
    assert_eq!(
        (
            copied[0]["metrics"].clone(),
            meta["imports_skip_reason"].clone()
        ),
        (json!([0]), json!("no_imported_data"))
    );
}

#[tokio::test]
async fn imports_fill_only_the_days_before_the_sites_own_data_and_bad_files_are_refused() {
    let app = spawn_app().await;
    traffic(&app).await;
    let zip = api(&app, "GET", "/api/v1/sites/example.com/export", None)
        .await
        .bytes()
        .await
        .unwrap()
        .to_vec();
    // other.example has its own data from the 13th on (New York time).
    app.clock.set_ms(T0 - 2 * DAY + 12 * 60 * MIN);
    app.event(
        json!({"n": "pageview", "u": "https://other.example/", "d": "other.example"}),
        CHROME,
        "203.0.113.1",
    )
    .await;
    app.clock.set_ms(T0);
    let r = api(
        &app,
        "POST",
        "/api/v1/sites/other.example/imports",
        Some(zip),
    )
    .await;
    assert_eq!(r.status().as_u16(), 200);
    let record: Value = r.json().await.unwrap();
    assert_eq!(
        (record["first_date"].as_str(), record["last_date"].as_str()),
        (Some("2024-03-12"), Some("2024-03-12"))
    );

    for (name, body, want) in [
        (
            "imported_visitors.csv",
            "date,visitors\n2024-03-01,3\n",
            "not a file of Plausible's export",
        ),
        (
            "imported_visitors_20240301_20240302.csv",
            "date,visitors\n2024-03-01,three\n",
            "line 2: visitors \"three\" is not a whole number",
        ),
        (
            "imported_visitors_20240301_20240302.csv",
            "date,visitors\n01/03/2024,3\n",
            "is not YYYY-MM-DD",
        ),
    ] {
        let r = api(
            &app,
            "POST",
            &format!("/api/v1/sites/example.com/imports?filename={name}"),
            Some(body.as_bytes().to_vec()),
        )
        .await;
        assert_eq!(r.status().as_u16(), 400);
        let b: Value = r.json().await.unwrap();
        assert!(b["error"].as_str().unwrap().contains(want), "{b}");
    }
    // One CSV on its own, its columns in another order, some left out.
    let r = api(
        &app,
        "POST",
        "/api/v1/sites/example.com/imports?filename=visitors_20240301_20240302.csv",
        Some(b"\"visitors\",\"date\",\"visits\"\n3,\"2024-03-01\",4\n".to_vec()),
    )
    .await;
    assert_eq!(r.status().as_u16(), 200);
    let (res, _) = {
        let mut q = json!({"site_id": "example.com", "metrics": ["visitors", "visits", "pageviews"],
            "date_range": ["2024-03-01", "2024-03-01"], "include": {"imports": true}});
        let (s, b) = app.query(q.take()).await;
        assert_eq!(s, 200);
        (b["results"].clone(), ())
    };
    assert_eq!(res[0]["metrics"], json!([3, 4, 0]));
}
