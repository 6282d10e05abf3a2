//! Ad spend beside attribution: spend imported by CSV (API, dashboard and
//! command line) joins campaigns by their UTM values, and the attribution
//! report gains spend, ROAS under each model, CAC and cost per conversion —
//! checked against values worked out by hand from the journeys of
//! `attribution::scenario` (Ann: spring on day 0, may and a form on day 2,
//! a 120 EUR purchase on day 4).

use reqwest::StatusCode;
use serde_json::{Value, json};
use touchpoint::domain::Role;

use crate::{
    attribution::{api, scenario},
    helpers::TestApp,
    web::csrf_of,
};

const SPEND: &str = "date,source,medium,campaign,spend,currency,clicks,impressions\n\
    2024-03-15,google,cpc,spring,30.00,EUR,100,2000\n\
    2024-03-16,google,cpc,spring,10,EUR,20,\n\
    2024-03-17,newsletter,email,may,20,EUR,,\n\
    2024-03-17,facebook,paid_social,summer,50.00,EUR,,\n\
    2024-03-18,bing,cpc,spring,5,USD,,\n\
    2024-04-02,google,cpc,spring,999,EUR,,\n";

async fn import_csv(app: &TestApp, csv: &str) -> (u16, Value) {
    let r = app
        .client
        .post(format!("{}/api/v1/spend?site_id=example.com", app.url))
        .bearer_auth(&app.api_key)
        .header("content-type", "text/csv")
        .body(csv.to_owned())
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

fn row<'a>(body: &'a Value, label: &str) -> &'a Value {
    body["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["dimension"] == label)
        .unwrap_or_else(|| panic!("no {label} in {body}"))
}

async fn report(app: &TestApp, dimension: &str) -> Value {
    let (status, body) = api(
        app,
        "/api/v1/attribution",
        json!({"site_id": "example.com", "date_range": ["2024-03-15", "2024-03-20"],
               "dimension": dimension, "models": ["first_touch", "last_touch", "linear"]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test]
async fn spend_gives_each_campaign_its_roas_cac_and_cost_per_conversion_under_each_model() {
    let app = scenario().await;
    let (status, body) = import_csv(&app, SPEND).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"rows": 6, "replaced": 0}));

    // Every conversion (the lead on day 2 and the purchase on day 4).
    let body = report(&app, "visit:utm_campaign").await;
    assert_eq!(body["meta"]["conversions"], 2);
    let spend = &body["meta"]["spend"];
    // 30 + 10 + 20 + 50 EUR in the period; 999 is after it, 5 USD has no rate.
    assert_eq!(spend["total"], 110.0, "{body}");
    assert_eq!(spend["roas"], 1.09); // 120 / 110
    assert_eq!(
        spend["not_converted"],
        json!([{"currency": "USD", "spend": 5.0}])
    );
    let spring = row(&body, "spring");
    assert_eq!(spring["spend"], 40.0);
    // First touch: spring has both conversions, 120 EUR and the lead.
    let ft = &spring["models"]["first_touch"];
    assert_eq!(
        (&ft["conversions"], &ft["leads"], &ft["roas"]),
        (&json!(2.0), &json!(1.0), &json!(3.0))
    );
    assert_eq!(
        (&ft["cac"], &ft["cost_per_conversion"]),
        (&json!(40.0), &json!(20.0))
    );
    // Last touch: may has them; spring returned nothing on its spend.
    let lt = &spring["models"]["last_touch"];
    assert_eq!((&lt["roas"], &lt["cac"]), (&json!(0.0), &Value::Null));
    let may = row(&body, "may");
    assert_eq!(may["spend"], 20.0);
    assert_eq!(may["models"]["last_touch"]["roas"], 6.0);
    assert_eq!(may["models"]["last_touch"]["cac"], 20.0);
    // Linear: half of each conversion to each.
    let lin = &spring["models"]["linear"];
    assert_eq!(
        (&lin["revenue"], &lin["roas"], &lin["cac"]),
        (&json!(60.0), &json!(1.5), &json!(80.0))
    );
    // A campaign with spend and no conversion is a row of its own.
    let summer = row(&body, "summer");
    assert_eq!(summer["spend"], 50.0);
    assert_eq!(summer["models"]["first_touch"]["conversions"], 0.0);
    assert_eq!(summer["models"]["first_touch"]["roas"], 0.0);

    // Channels by GA4's rules, sources by their names, UTM values as sent.
    let body = report(&app, "visit:channel").await;
    assert_eq!(row(&body, "Paid Search")["spend"], 40.0);
    assert_eq!(row(&body, "Email")["spend"], 20.0);
    assert_eq!(row(&body, "Paid Social")["spend"], 50.0);
    assert_eq!(
        row(&body, "Paid Search")["models"]["first_touch"]["roas"],
        3.0
    );
    let body = report(&app, "visit:source").await;
    assert_eq!(row(&body, "Google")["spend"], 40.0);
    assert_eq!(row(&body, "Google")["models"]["first_touch"]["roas"], 3.0);
    let body = report(&app, "visit:utm_source").await;
    assert_eq!(row(&body, "google")["spend"], 40.0);
    // Dimensions spend doesn't join have none.
    let body = report(&app, "visit:referrer").await;
    assert_eq!(body["meta"]["spend"], Value::Null);
    assert!(
        body["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["spend"].is_null())
    );

    // Re-uploading a day replaces it: spring on the 16th is now 20.
    let (_, body) = import_csv(
        &app,
        "date,source,medium,campaign,spend,currency\n2024-03-16,google,cpc,spring,20,EUR\n",
    )
    .await;
    assert_eq!(body, json!({"rows": 1, "replaced": 1}));
    let body = report(&app, "visit:utm_campaign").await;
    assert_eq!(row(&body, "spring")["spend"], 50.0);
    assert_eq!(row(&body, "spring")["models"]["first_touch"]["roas"], 2.4);

    // A rate for USD brings the 5 USD in.
    app.edit_site(|s| {
        s.exchange_rates.insert("USD".into(), 0.9);
    });
    let body = report(&app, "visit:utm_campaign").await;
    assert_eq!(row(&body, "spring")["spend"], 54.5);
    assert_eq!(body["meta"]["spend"]["not_converted"], json!([]));
}

#[tokio::test]
async fn a_wrong_spend_row_refuses_the_whole_upload_and_names_its_line() {
    let app = scenario().await;
    let before = app
        .get_api("/api/v1/spend?site_id=example.com&from=2024-03-01&to=2024-03-31")
        .await;
    assert_eq!(before.1["results"], json!([]));
    for (csv, says) in [
        (
            "date,source,medium,campaign,spend,currency\n2024-03-15,g,cpc,a,1,EUR\n2024-03-16,g,cpc,a,1;5,EUR\n",
            "line 3: spend \"1;5\"",
        ),
        ("date,source,campaign,spend,currency\n", "\"medium\""),
        (
            "date,source,medium,campaign,spend,currency\n15/03/2024,g,cpc,a,1,EUR\n",
            "YYYY-MM-DD",
        ),
        (
            "date,source,medium,campaign,spend,currency\n2024-03-15,g,cpc,a,1,euro\n",
            "ISO 4217",
        ),
    ] {
        let (status, body) = import_csv(&app, csv).await;
        assert_eq!(status, 400, "{csv}: {body}");
        assert!(body["error"].as_str().unwrap().contains(says), "{body}");
    }
    // JSON rows name their index.
    let (status, body) = api(
        &app,
        "/api/v1/spend",
        json!({"site_id": "example.com", "rows": [
            {"date": "2024-03-15", "source": "g", "medium": "cpc", "campaign": "a", "spend": 2.5, "currency": "EUR"},
            {"date": "2024-03-15", "source": "g", "medium": "cpc", "campaign": "", "spend": 1, "currency": "EUR"}]}),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .starts_with("rows[1]: campaign"),
        "{body}"
    );
    let after = app
        .get_api("/api/v1/spend?site_id=example.com&from=2024-03-01&to=2024-03-31")
        .await;
    assert_eq!(
        after.1["results"],
        json!([]),
        "nothing of a refused upload is stored"
    );

    // A good upload is stored and listed.
    let (status, body) = api(
        &app,
        "/api/v1/spend",
        json!({"site_id": "example.com", "rows": [
            {"date": "2024-03-15", "source": "g", "medium": "cpc", "campaign": "a", "spend": 2.5, "currency": "EUR", "clicks": 3}]}),
    )
    .await;
    assert_eq!((status, &body), (200, &json!({"rows": 1, "replaced": 0})));
    let (_, list) = app
        .get_api("/api/v1/spend?site_id=example.com&from=2024-03-01&to=2024-03-31")
        .await;
    assert_eq!(
        list["results"],
        json!([{"date": "2024-03-15", "source": "g", "medium": "cpc", "campaign": "a",
                "spend": "2.5", "currency": "EUR", "clicks": 3, "impressions": null}])
    );
}

#[tokio::test]
async fn admins_upload_spend_on_the_attribution_page_and_see_roas_there() {
    let app = scenario().await;
    let (mut viewer, _) = app
        .member("viewer@example.org", Role::Viewer, app.acme())
        .await;
    let (status, _, page) = viewer.get("/sites/example.com/attribution").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains("Import spend"), "viewers get no upload form");
    let (mut admin, _) = app
        .member("admin@example.org", Role::Admin, app.acme())
        .await;
    let (_, _, page) = admin.get("/sites/example.com/attribution").await;
    assert!(page.contains("Import spend"));
    let csrf = csrf_of(&page).unwrap();
    let upload = |csrf: String, csv: &'static str| {
        reqwest::multipart::Form::new().text("csrf", csrf).part(
            "file",
            reqwest::multipart::Part::bytes(csv.as_bytes())
                .file_name("spend.csv")
                .mime_str("text/csv")
                .unwrap(),
        )
    };
    let url = format!("{}/sites/example.com/spend", app.url);
    // Without the token nothing is imported.
    let r = admin
        .client
        .post(&url)
        .multipart(upload("0".repeat(64), SPEND))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = admin
        .client
        .post(&url)
        .multipart(upload(csrf.clone(), "date,source\n"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("medium"));
    let r = admin
        .client
        .post(&url)
        .multipart(upload(csrf, SPEND))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(to.contains("spend_imported=6"), "{to}");
    let (_, _, page) = admin
        .get("/sites/example.com/attribution?period=custom&from=2024-03-15&to=2024-03-20&dimension=visit:utm_campaign&conversion=&model=first_touch&spend_imported=6")
        .await;
    assert!(page.contains("Imported 6 spend rows."), "{page}");
    assert!(page.contains("id=\"spend-total\""), "{page}");
    // spring: 40 EUR of spend, first touch 120 EUR back.
    let spring = page
        .split("<tr>")
        .find(|r| r.contains(">spring<"))
        .expect("a spring row");
    assert!(
        spring.contains("<td class=\"num spend\">40.00</td>"),
        "{spring}"
    );
    assert!(
        spring.contains("<td class=\"num roas\">3.00</td>"),
        "{spring}"
    );
    assert!(
        spring.contains("<td class=\"num cac\">40.00</td>"),
        "{spring}"
    );
    assert!(
        page.contains(">summer<"),
        "a campaign with spend only is listed"
    );
}

#[tokio::test]
async fn touchpoint_spend_import_reads_a_csv_from_the_command_line() {
    let app = scenario().await;
    let stopped = app.stop().await;
    let file = stopped.path().join("spend.csv");
    std::fs::write(&file, SPEND).unwrap();
    let out = stopped.run_ok(&["spend", "import", "example.com", file.to_str().unwrap()]);
    assert_eq!(
        out.trim(),
        "imported 6 spend rows into example.com (2024-03-15 to 2024-04-02; 0 replaced)"
    );
    let list = stopped.run_ok(&[
        "spend",
        "list",
        "example.com",
        "--from",
        "2024-03-15",
        "--to",
        "2024-03-16",
    ]);
    assert_eq!(
        list,
        "2024-03-15\tgoogle\tcpc\tspring\t30 EUR\n2024-03-16\tgoogle\tcpc\tspring\t10 EUR\n"
    );
    let bad = stopped.dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "date,source,medium,campaign,spend,currency\nx,g,c,a,1,EUR\n",
    )
    .unwrap();
    let out = crate::process::cmd(stopped.path())
        .envs(stopped.engine_env())
        .args(["spend", "import", "example.com", bad.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 2: date \"x\""), "{err}");
}
