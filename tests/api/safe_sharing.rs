//! Safe sharing: a site's minimum count (k). Shared links, email reports
//! and the viewer role see counts from 1 to k − 1 as "fewer than k" (and no
//! trace of the number: not in a cell, a `data-value`, a bar or the chart);
//! analysts and up, and the Stats API, see exact numbers; 0 is off.

use reqwest::StatusCode;
use serde_json::json;
use touchpoint::{
    domain::{MinCount, Role},
    mail::schedule::send_due_reports,
};

use crate::{
    helpers::{CHROME, T0, TestApp, spawn_app},
    mail::{DAY, mail_app, seed},
    process::{cmd, run_ok, setup},
    sites_api::call,
    smtp_sink::SmtpSink,
    web::WebClient,
};

const OVERVIEW: &str = "/sites/example.com?period=day";

/// Today: /big has 7 visitors, /three 3, /lonely 1 (two hours later, alone
/// in its hour); 11 in all. A Signup goal converted twice.
async fn traffic(app: &TestApp) {
    let site = app.example_site();
    app.state
        .store
        .add_goal(site.id, touchpoint::store::GoalKind::Event("Signup".into()))
        .unwrap();
    app.clock.set_ms(T0);
    for i in 0..7 {
        app.pageview("/big", CHROME, &format!("10.1.0.{i}")).await;
    }
    for i in 0..3 {
        app.pageview("/three", CHROME, &format!("10.2.0.{i}")).await;
    }
    for i in 0..2 {
        app.event(
            json!({"n": "Signup", "u": "https://example.com/three", "d": "example.com"}),
            CHROME,
            &format!("10.2.0.{i}"),
        )
        .await;
    }
    app.clock.set_ms(T0 + 2 * 3_600_000);
    app.pageview("/lonely", CHROME, "10.3.0.1").await;
}

fn set_k(app: &TestApp, k: u64) {
    app.edit_site(|s| s.min_count = MinCount::parse(k).unwrap());
}

/// The `<tr>` of a ranked list whose label is `label`.
fn row<'a>(html: &'a str, label: &str) -> &'a str {
    let needle = format!("title=\"{label}\"");
    let at = html
        .find(&needle)
        .unwrap_or_else(|| panic!("no row {label} in\n{html}"));
    let start = html[..at].rfind("<tr").unwrap();
    let end = at + html[at..].find("</tr>").unwrap();
    &html[start..end]
}

/// A page as k = 5 shows it: small rows hidden, indistinguishable from one
/// another, big ones and the total exact.
fn assert_suppressed(page: &str) {
    let three = row(page, "/three");
    let lonely = row(page, "/lonely");
    for (label, r) in [("/three", three), ("/lonely", lonely)] {
        assert!(
            r.contains("fewer than 5") && r.contains("&lt; 5"),
            "{label}: {r}"
        );
        assert!(!r.contains("data-value"), "{label} leaks its value: {r}");
    }
    assert!(!three.contains(">3<"), "/three shows its count: {three}");
    assert_eq!(
        three.replace("three", "X"),
        lonely.replace("lonely", "X"),
        "a hidden 3 and a hidden 1 look the same, bars included"
    );
    let big = row(page, "/big");
    assert!(
        big.contains("data-value=\"7\"") && !big.contains("fewer"),
        "{big}"
    );
    assert!(page.contains("data-value=\"11\""), "the total of 11 stays");
    // The hour with one visitor: its point says "fewer than 5", never 1.
    assert!(page.contains(": fewer than 5</title>"), "chart tooltip");
    assert!(!page.contains(": 1</title>"), "a chart point shows 1");
}

fn assert_exact(page: &str) {
    assert!(!page.contains("fewer than"), "nothing hidden");
    assert!(row(page, "/three").contains("data-value=\"3\""));
    assert!(row(page, "/lonely").contains("data-value=\"1\""));
}

#[tokio::test]
async fn a_viewer_sees_small_counts_as_fewer_than_k_and_an_admin_sees_them_exactly() {
    let app = spawn_app().await;
    traffic(&app).await;
    set_k(&app, 5);
    let (mut viewer, _) = app.member("val@acme.test", Role::Viewer, app.acme()).await;
    let (s, _, page) = viewer.get(OVERVIEW).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert_suppressed(&page);
    // The goal's two conversions, on the overview and the goals page: hidden
    // with their conversion rate.
    let (_, _, goals) = viewer.get("/sites/example.com/goals?period=day").await;
    let signup = &goals[goals.find("Signup").unwrap()..];
    let signup = &signup[..signup.find("</tr>").unwrap()];
    assert!(
        signup.contains("fewer than 5") && signup.contains("—"),
        "{signup}"
    );
    assert!(!signup.contains("%"), "a rate of a hidden count: {signup}");
    // Realtime: the one current visitor.
    let (_, _, rt) = viewer.get("/sites/example.com/realtime").await;
    assert!(rt.contains("fewer than 5"), "{rt}");
    assert!(!rt.contains("id=\"current-visitors\">1<"), "{rt}");

    // Pages made of small groups are not shown to viewers at all.
    for path in [
        "/sites/example.com/attribution",
        "/sites/example.com/funnels",
    ] {
        let (s, _, _) = viewer.get(path).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{path}");
    }

    let (mut admin, _) = app.member("ada@acme.test", Role::Admin, app.acme()).await;
    let (_, _, page) = admin.get(OVERVIEW).await;
    assert_exact(&page);
    for path in [
        "/sites/example.com/attribution",
        "/sites/example.com/funnels",
    ] {
        let (s, _, _) = admin.get(path).await;
        assert_eq!(s, StatusCode::OK, "{path}");
    }
    let (mut analyst, _) = app.member("ann@acme.test", Role::Analyst, app.acme()).await;
    let (_, _, page) = analyst.get(OVERVIEW).await;
    assert_exact(&page);
}

#[tokio::test]
async fn a_shared_link_hides_small_counts_and_k_of_zero_shows_everything() {
    let app = spawn_app().await;
    traffic(&app).await;
    app.edit_site(|s| s.share_token = Some("t0k3n".repeat(6)));
    let link = format!("/share/example.com?auth={}&period=day", "t0k3n".repeat(6));
    let mut anon = WebClient::new(&app);
    let (s, _, page) = anon.get(&link).await;
    assert_eq!(s, StatusCode::OK);
    assert_exact(&page);
    set_k(&app, 5);
    let (_, _, page) = anon.get(&link).await;
    assert_suppressed(&page);
    // A rate charted per hour would come from the small hours: withheld.
    let (_, _, page) = anon.get(&format!("{link}&metric=bounce_rate")).await;
    assert!(page.contains("is not shown here"), "{page}");
    assert!(!page.contains("class=\"ts-hit\""), "{page}");

    set_k(&app, 0);
    let (mut viewer, _) = app.member("val@acme.test", Role::Viewer, app.acme()).await;
    let (_, _, page) = viewer.get(OVERVIEW).await;
    assert_exact(&page);
    let (_, _, page) = anon.get(&link).await;
    assert_exact(&page);
}

#[tokio::test]
async fn an_email_report_shows_small_counts_as_fewer_than_k() {
    let sink = SmtpSink::start();
    let app = mail_app(&sink).await;
    let (mut admin, _) = app.member("ada@acme.test", Role::Admin, app.acme()).await;
    admin.get("/sites/example.com/settings").await;
    let to = "outsider@mailbox.test";
    admin
        .post(
            "/sites/example.com/mail/recipients",
            &[("email", to), ("weekly", "1")],
        )
        .await;
    seed(&app).await;
    set_k(&app, 3);
    let tuesday = T0 + 4 * DAY;
    app.clock.set_ms(tuesday);
    let sent = send_due_reports(&app.state.outbox(), tuesday).unwrap();
    assert_eq!(sent.sent, 1);
    let mail = &sink.received()[0];
    let text = mail.text("text/plain");
    let html = mail.text("text/html");
    // The week had 5 visitors (shown); the week before 1 (hidden), so its
    // rates and the changes against it are withheld.
    assert!(
        text.contains("Unique visitors: 5 (previous week: fewer than 3)\n"),
        "{text}"
    );
    assert!(text.contains("Bounce rate: —"), "{text}");
    // Pages with one or two visitors; the goal's single conversion.
    assert!(text.contains("  /blog: fewer than 3\n"), "{text}");
    assert!(
        text.contains("  Signup: fewer than 3 unique visitors, fewer than 3 conversions"),
        "{text}"
    );
    assert!(!text.contains(": 1\n") && !text.contains(": 2\n"), "{text}");
    assert!(
        html.contains("fewer than 3") && !html.contains(">1<"),
        "{html}"
    );
}

#[tokio::test]
async fn the_minimum_is_set_and_validated_by_the_api_and_the_settings_form() {
    let app = spawn_app().await;
    let key = app.api_key.clone();
    let path = "/api/v1/sites/example.com/settings";
    let (s, b) = call(&app, &key, "GET", path, None).await;
    assert_eq!((s, &b["min_count"]), (200, &json!(0)), "off by default");
    let (s, b) = call(&app, &key, "PATCH", path, Some(json!({"min_count": 5}))).await;
    assert_eq!((s, &b["min_count"]), (200, &json!(5)), "{b}");
    for bad in [json!(1001), json!(-1), json!("5"), json!(2.5)] {
        let (s, b) = call(&app, &key, "PATCH", path, Some(json!({"min_count": bad}))).await;
        assert_eq!(s, 400, "{bad}: {b}");
        assert!(b.to_string().contains("min_count"), "{bad}: {b}");
    }
    assert_eq!(app.example_site().min_count.get(), 5, "kept after refusals");

    let (mut admin, _) = app.member("ada@acme.test", Role::Admin, app.acme()).await;
    let (_, _, page) = admin.get("/sites/example.com/settings").await;
    assert!(
        page.contains("name=\"min_count\"") && page.contains("value=\"5\""),
        "{page}"
    );
    let form = |k: &'static str| {
        [
            ("timezone", "UTC"),
            ("policy_version", "1"),
            ("min_count", k),
        ]
    };
    let (s, _, page) = admin.post("/sites/example.com/settings", &form("10")).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert_eq!(app.example_site().min_count.get(), 10);
    let (s, _, page) = admin
        .post("/sites/example.com/settings", &form("lots"))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("min_count must be a whole number from 0 (off) to 1000"),
        "{page}"
    );
    assert_eq!(app.example_site().min_count.get(), 10, "unchanged");
}

#[test]
fn the_command_line_sets_the_minimum_with_min_count() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path());
    run_ok(
        dir.path(),
        &["site", "set", "example.com", "--min-count", "5"],
    );
    let shown = run_ok(dir.path(), &["site", "show", "example.com"]);
    assert!(shown.lines().any(|l| l == "min_count: 5"), "{shown}");
    let bad = cmd(dir.path())
        .args(["site", "set", "example.com", "--min-count", "1001"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("min_count"));
}
