//! Email reports (issue 15) against a real SMTP server on loopback
//! (aiosmtpd, see `smtp_sink`): the report reaches its recipient with text,
//! HTML and the chart as an inline PNG, its numbers are the Stats API's for
//! the same week, it goes once per week, its unsubscribe link works without
//! a login, and recipients' addresses are never on disk in plain text.

use reqwest::StatusCode;
use serde_json::{Value, json};
use touchpoint::{
    domain::Role,
    mail::{chart::PNG_SIZE, numbers, schedule::send_due_reports},
    store::{GoalKind, Site},
};

use crate::{
    helpers::{CHROME, IPHONE, T0, TestApp, all_bytes, spawn_app_with},
    smtp_sink::{Received, SmtpSink},
};

pub const DAY: u64 = 86_400_000;
/// The week T0 (Friday 2024-03-15) is in.
const WEEK: &str = "2024-03-11,2024-03-17";
const WEEK_BEFORE: &str = "2024-03-04,2024-03-10";

pub async fn mail_app(sink: &SmtpSink) -> TestApp {
    let env = sink.env();
    let extra: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    spawn_app_with(&extra).await
}

pub fn example(app: &TestApp) -> Site {
    app.state.sites.load()["example.com"].clone()
}

async fn visit(app: &TestApp, at: u64, ip: &str, path: &str, referrer: Option<&str>) {
    app.clock.set_ms(at);
    let mut body =
        json!({"n": "pageview", "u": format!("https://example.com{path}"), "d": "example.com"});
    if let Some(r) = referrer {
        body["r"] = json!(r);
    }
    app.event(body, CHROME, ip).await;
}

/// Two weeks of traffic: one visit the week before T0's, five in T0's week
/// (sources, pages, a bounce, a goal conversion).
pub async fn seed(app: &TestApp) {
    let site = example(app);
    app.state
        .store
        .add_goal(site.id, GoalKind::Event("Signup".into()))
        .unwrap();
    visit(
        app,
        T0 - 7 * DAY,
        "10.0.0.9",
        "/",
        Some("https://www.google.com/"),
    )
    .await;
    visit(app, T0 - 3 * DAY, "10.0.0.4", "/blog", None).await;
    visit(app, T0, "10.0.0.1", "/", Some("https://www.google.com/")).await;
    visit(app, T0 + 60_000, "10.0.0.1", "/pricing", None).await;
    visit(
        app,
        T0,
        "10.0.0.2",
        "/pricing",
        Some("https://www.google.com/"),
    )
    .await;
    visit(app, T0, "10.0.0.3", "/", Some("https://duckduckgo.com/")).await;
    app.clock.set_ms(T0 + 120_000);
    app.event(
        json!({"n": "Signup", "u": "https://example.com/pricing", "d": "example.com"}),
        CHROME,
        "10.0.0.2",
    )
    .await;
    app.event(
        json!({"n": "pageview", "u": "https://example.com/", "d": "example.com"}),
        IPHONE,
        "10.0.0.5",
    )
    .await;
}

async fn v1(app: &TestApp, path: &str, dates: &str, extra: &str) -> Value {
    let (status, body) = app
        .get_api(&format!(
            "/api/v1/stats/{path}?site_id=example.com&period=custom&date={dates}{extra}"
        ))
        .await;
    assert_eq!(status, 200, "{path}: {body}");
    body["results"].clone()
}

/// `Label: value (previous week: value…` of the text part.
fn kpi(text: &str, label: &str) -> (String, String) {
    let line = text
        .lines()
        .find(|l| l.starts_with(&format!("{label}: ")))
        .unwrap_or_else(|| panic!("no {label} in\n{text}"));
    let re = regex::Regex::new(r"^[^:]+: (.+) \(previous week: ([^,)]+)").unwrap();
    let c = re.captures(line).unwrap_or_else(|| panic!("{line}"));
    (c[1].to_owned(), c[2].to_owned())
}

/// The `  label: visitors` rows under a heading of the text part.
fn list(text: &str, heading: &str) -> Vec<(String, String)> {
    text.split(&format!("\n{heading} (unique visitors)\n"))
        .nth(1)
        .unwrap_or_else(|| panic!("no {heading} in\n{text}"))
        .lines()
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.trim().rsplit_once(": "))
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
        .collect()
}

fn int(v: &Value) -> u64 {
    v.as_u64()
        .or_else(|| v.as_f64().map(|f| f.round() as u64))
        .unwrap()
}

/// Checks a report mail's numbers against the Stats API for the same weeks.
pub async fn assert_numbers_match_the_api(app: &TestApp, mail: &Received) {
    let text = mail.text("text/plain");
    let metrics = "&metrics=visitors,visits,pageviews,bounce_rate,visit_duration";
    let now = v1(app, "aggregate", WEEK, metrics).await;
    let before = v1(app, "aggregate", WEEK_BEFORE, metrics).await;
    assert!(
        int(&now["visitors"]["value"]) >= 4,
        "the seed counted: {now}"
    );
    let counts = numbers::Counts::default();
    for (label, key) in [
        ("Unique visitors", "visitors"),
        ("Total visits", "visits"),
        ("Total pageviews", "pageviews"),
    ] {
        let expected = (
            counts.count(int(&now[key]["value"])),
            counts.count(int(&before[key]["value"])),
        );
        assert_eq!(kpi(&text, label), expected, "{label}\n{text}");
    }
    let pct = |v: &Value| format!("{}%", int(&v["bounce_rate"]["value"]));
    assert_eq!(kpi(&text, "Bounce rate"), (pct(&now), pct(&before)));
    let dur = |v: &Value| numbers::duration(int(&v["visit_duration"]["value"]));
    assert_eq!(kpi(&text, "Visit duration"), (dur(&now), dur(&before)));
    for (heading, property, key) in [
        ("Top sources", "visit:source", "source"),
        ("Top pages", "event:page", "page"),
    ] {
        let api = v1(
            app,
            "breakdown",
            WEEK,
            &format!("&property={property}&limit=5"),
        )
        .await;
        let expected: Vec<(String, String)> = api
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let label = r[key].as_str().unwrap();
                let label = if label.is_empty() { "(none)" } else { label };
                (label.to_owned(), counts.count(int(&r["visitors"])))
            })
            .collect();
        assert!(!expected.is_empty(), "{heading}: the API has rows");
        assert_eq!(list(&text, heading), expected, "{heading}\n{text}");
    }
    let goal = app
        .results(json!({"site_id": "example.com", "metrics": ["visitors", "events"],
            "date_range": ["2024-03-11", "2024-03-17"], "filters": [["is", "event:goal", ["Signup"]]]}))
        .await;
    let m = &goal[0]["metrics"];
    let line = format!(
        "  Signup: {} unique visitors, {} conversions",
        counts.count(int(&m[0])),
        counts.count(int(&m[1]))
    );
    assert!(int(&m[1]) == 1 && text.contains(&line), "{line}\n{text}");
}

/// The report's chart: an inline PNG of the promised size, shown by the HTML.
pub fn assert_chart(mail: &Received) {
    let (png, cid) = mail.bytes("image/png");
    assert_eq!(cid, "<chart>");
    let img = resvg::tiny_skia::Pixmap::decode_png(&png).expect("the attachment is a PNG");
    assert_eq!((img.width(), img.height()), PNG_SIZE);
    assert!(mail.text("text/html").contains("src=\"cid:chart\""));
}

#[tokio::test]
async fn the_weekly_report_reaches_its_recipient_once_with_the_stats_apis_numbers_and_its_unsubscribe_link_works()
 {
    let sink = SmtpSink::start();
    let app = mail_app(&sink).await;
    let (mut admin, _) = app.member("ada@acme.test", Role::Admin, app.acme()).await;
    admin.get("/sites/example.com/settings").await;
    let to = "weekly.reader@mailbox.test";
    let (status, _, page) = admin
        .post(
            "/sites/example.com/mail/recipients",
            &[("email", to), ("weekly", "1")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains(to) && page.contains("Recipient saved."),
        "{page}"
    );
    seed(&app).await;

    // Tuesday after T0's week: that week is due, once.
    let tuesday = T0 + 4 * DAY;
    app.clock.set_ms(tuesday);
    let sent = send_due_reports(&app.state.outbox(), tuesday).unwrap();
    assert_eq!((sent.sent, sent.failed), (1, 0));
    let got = sink.received();
    assert_eq!(got.len(), 1);
    let mail = &got[0];
    assert_eq!(mail.rcpt_tos, vec![to.to_owned()]);
    assert!(
        mail.subject
            .starts_with("Weekly report for example.com: Mar 11, 2024"),
        "{}",
        mail.subject
    );
    let types: Vec<&str> = mail
        .parts
        .iter()
        .filter_map(|p| p["content_type"].as_str())
        .collect();
    assert_eq!(
        types,
        [
            "multipart/alternative",
            "text/plain",
            "multipart/related",
            "text/html",
            "image/png"
        ]
    );
    assert_numbers_match_the_api(&app, mail).await;
    assert_chart(mail);
    let again = send_due_reports(&app.state.outbox(), tuesday + 3_600_000).unwrap();
    assert_eq!(again.sent, 0, "a week's report goes once");

    // The address is sealed at rest: not in any file of the data dir.
    let bytes = all_bytes(app.data_dir.path());
    assert!(bytes.len() > 10_000, "the store was read");
    assert!(
        !bytes.windows(to.len()).any(|w| w == to.as_bytes()),
        "the recipient's address is on disk in plain text"
    );

    // The link works without a login: a GET only asks, the POST removes.
    let text = mail.text("text/plain");
    let link = text
        .lines()
        .find_map(|l| l.strip_prefix("Stop these mails: "))
        .expect("an unsubscribe link")
        .trim()
        .to_owned();
    assert!(link.starts_with(&app.url), "{link}");
    assert!(
        mail.headers["List-Unsubscribe"]
            .as_str()
            .unwrap()
            .contains(&link)
    );
    let anonymous = reqwest::Client::new();
    let page = anonymous.get(&link).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Unsubscribe"));
    assert_eq!(
        app.state
            .store
            .site_mail(example(&app).id)
            .unwrap()
            .recipients
            .len(),
        1
    );
    let done = anonymous.post(&link).send().await.unwrap();
    assert_eq!(done.status(), 200);
    assert!(done.text().await.unwrap().contains("no more reports"));
    assert!(
        app.state
            .store
            .site_mail(example(&app).id)
            .unwrap()
            .recipients
            .is_empty()
    );

    // The next week's report goes to nobody.
    let next = tuesday + 7 * DAY;
    app.clock.set_ms(next);
    assert_eq!(send_due_reports(&app.state.outbox(), next).unwrap().sent, 0);
    assert_eq!(sink.received().len(), 1, "no more mail after unsubscribing");

    // A made-up token removes nothing (and is not an error page for it).
    let forged = format!(
        "{}/mail/unsubscribe/{}/{}",
        app.url,
        example(&app).id.0,
        "ab".repeat(32)
    );
    assert_eq!(anonymous.post(&forged).send().await.unwrap().status(), 200);
}
