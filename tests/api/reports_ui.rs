//! Reading the reports over HTTP (issue #12): goal-filtered overviews as
//! conversions, property breakdowns, the goals page's period, realtime's
//! sources and countries, country names and KPI changes without a previous
//! period. The seeded day and the page readers here serve report_controls.rs too.

use regex::Regex;
use reqwest::StatusCode;
use serde_json::json;
use touchpoint::domain::Role;

use crate::{
    helpers::{CHROME, IPHONE, MIN, T0, TestApp, spawn_app},
    web::WebClient,
};

const GB: &str = "81.2.69.142";
const US: &str = "8.8.8.8";
const US2: &str = "8.8.4.4";
const AU: &str = "1.1.1.1";

fn ev(name: &str, path: &str) -> serde_json::Value {
    json!({"n": name, "u": format!("https://example.com{path}"), "d": "example.com"})
}

/// Today (2024-03-15, UTC) from 10:00, four visitors:
///   V1 GB Chrome from Google: / → /pricing, Signup {plan: pro} and an
///      outbound click {url: https://partner.example/a} on /pricing
///   V2 US iPhone direct: /pricing, Signup {plan: team} on /pricing
///   V3 AU Chrome from Google: / → /blog, an outbound click on /blog
///   V4 US Chrome from Twitter: / (a bounce)
/// Goals: Signup and Visit /pricing. The clock ends at 10:12.
pub(crate) async fn seeded() -> (TestApp, WebClient) {
    let app = spawn_app().await;
    let google = |mut e: serde_json::Value| {
        e["r"] = json!("https://www.google.com/");
        e
    };
    let outbound = |path: &str| {
        let mut e = ev("Outbound Link: Click", path);
        e["p"] = json!({"url": "https://partner.example/a"});
        e
    };
    let signup = |plan: &str| {
        let mut e = ev("Signup", "/pricing");
        e["p"] = json!({"plan": plan});
        e
    };
    let mut twitter = ev("pageview", "/");
    twitter["r"] = json!("https://twitter.com/x");
    let steps = [
        (google(ev("pageview", "/")), CHROME, GB),
        (ev("pageview", "/pricing"), CHROME, GB),
        (signup("pro"), CHROME, GB),
        (outbound("/pricing"), CHROME, GB),
        (ev("pageview", "/pricing"), IPHONE, US),
        (signup("team"), IPHONE, US),
        (google(ev("pageview", "/")), CHROME, AU),
        (ev("pageview", "/blog"), CHROME, AU),
        (outbound("/blog"), CHROME, AU),
        (twitter, CHROME, US2),
    ];
    for (i, (e, ua, ip)) in steps.into_iter().enumerate() {
        app.clock
            .set_ms(T0 + [0, 1, 2, 3, 5, 6, 8, 9, 10, 12][i] * MIN);
        app.event(e, ua, ip).await;
    }
    let (mut admin, _) = app.member("adm@example.com", Role::Admin, app.acme()).await;
    admin.get("/sites/example.com/goals").await;
    for (kind, value) in [("event", "Signup"), ("page", "/pricing")] {
        let (s, _, body) = admin
            .post(
                "/sites/example.com/goals",
                &[("kind", kind), ("value", value)],
            )
            .await;
        assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    }
    (app, admin)
}

/// The HTML of the element that carries `marker` (`data-panel="sources"`),
/// up to the end of its section.
pub(crate) fn section<'a>(html: &'a str, marker: &str) -> &'a str {
    let start = html
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} in {html}"));
    let rest = &html[start..];
    &rest[..rest.find("</section>").unwrap_or(rest.len())]
}

/// A ranked table's rows: (label, linked, numeric cells as shown).
pub(crate) fn rows(html: &str) -> Vec<(String, bool, Vec<String>)> {
    let tr = Regex::new(r"(?s)<tr>(.*?)</tr>").unwrap();
    let label =
        Regex::new(r#"(?s)<td class="label">.*?<(a|span)[^>]*>([^<]*)</(?:a|span)>"#).unwrap();
    let num = Regex::new(r#"<td class="num"[^>]*>([^<]*)</td>"#).unwrap();
    tr.captures_iter(html)
        .filter_map(|c| {
            let row = c.get(1).unwrap().as_str();
            let l = label.captures(row)?;
            Some((
                l[2].to_owned(),
                &l[1] == "a",
                num.captures_iter(row).map(|n| n[1].to_owned()).collect(),
            ))
        })
        .collect()
}

/// The KPI tiles: (data-metric, data-value, change text if any).
pub(crate) fn kpis(html: &str) -> Vec<(String, String, Option<String>)> {
    let tile = Regex::new(
        r#"(?s)class="kpi[^"]*"[^>]*data-metric="([^"]+)".*?data-value="([^"]*)".*?</span>(<span class="kpi-change[^"]*"[^>]*>([^<]*)</span>)?"#,
    )
    .unwrap();
    tile.captures_iter(html)
        .map(|c| {
            (
                c[1].to_owned(),
                c[2].to_owned(),
                c.get(4).map(|m| m.as_str().to_owned()),
            )
        })
        .collect()
}

pub(crate) fn row<'a>(
    rows: &'a [(String, bool, Vec<String>)],
    label: &str,
) -> &'a (String, bool, Vec<String>) {
    rows.iter()
        .find(|r| r.0 == label)
        .unwrap_or_else(|| panic!("{label} in {rows:?}"))
}

#[tokio::test]
async fn a_goal_filter_shows_conversions_and_the_breakdowns_of_the_converting_visits() {
    let (app, mut c) = seeded().await;
    let (s, _, page) = c
        .get("/sites/example.com?period=day&f=goal:Signup&sources=source")
        .await;
    assert_eq!(s, StatusCode::OK, "{page}");
    let tiles: Vec<(String, String)> = kpis(&page).into_iter().map(|(m, v, _)| (m, v)).collect();
    let want = [
        ("total_visitors", "4"),
        ("visitors", "2"),
        ("events", "2"),
        ("conversion_rate", "50"),
    ];
    assert_eq!(
        tiles,
        want.map(|(m, v)| (m.to_owned(), v.to_owned())),
        "Plausible's goal KPIs"
    );
    assert!(page.contains("Unique conversions") && page.contains("50.0%"));
    // The same numbers from the Stats API.
    let api = app
        .results(
            json!({"site_id": "example.com", "metrics": ["visitors", "events"], "date_range": "day",
            "filters": [["is", "event:name", ["Signup"]]]}),
        )
        .await;
    assert_eq!(api[0]["metrics"], json!([2, 2]));

    // Converted visitors by source, with each source's conversion rate.
    let sources = rows(section(&page, r#"data-panel="sources""#));
    assert_eq!(row(&sources, "Google").2, ["1", "50.0%"], "1 of Google's 2");
    assert_eq!(row(&sources, "Direct / None").2, ["1", "100.0%"]);
    // The pages where the conversions happened (custom events, not only pageviews).
    let pages = rows(section(&page, r#"data-panel="pages""#));
    assert_eq!(pages.len(), 1, "{pages:?}");
    assert_eq!(row(&pages, "/pricing").2, ["2", "100.0%"]);
    let places = rows(section(&page, r#"data-panel="locations""#));
    assert_eq!(row(&places, "United Kingdom").2, ["1", "100.0%"]);
    assert_eq!(row(&places, "United States").2, ["1", "50.0%"], "1 of 2");
    let devices = rows(section(&page, r#"data-panel="devices""#));
    assert_eq!(devices.len(), 2, "Chrome and Safari: {devices:?}");
    // The goals card shows the filtered goal only, with the KPIs' numbers.
    let goals = rows(section(&page, r#"data-panel="goals""#));
    assert_eq!(row(&goals, "Signup").2, ["2", "2", "50.0%"]);
    assert!(!goals.iter().any(|r| r.0.starts_with("Visit")), "{goals:?}");
}

#[tokio::test]
async fn a_page_goal_counts_the_visits_that_viewed_the_page() {
    let (_app, mut c) = seeded().await;
    let (_, _, page) = c
        .get("/sites/example.com?period=day&f=goal:Visit%20/pricing")
        .await;
    let tiles: Vec<String> = kpis(&page).into_iter().map(|(_, v, _)| v).collect();
    // V1 and V2 viewed /pricing; their Signups and V1's outbound click there
    // are not pageviews, so they are not completions of the page goal.
    assert_eq!(tiles, ["4", "2", "2", "50"]);
    let goals = rows(section(&page, r#"data-panel="goals""#));
    assert_eq!(row(&goals, "Visit /pricing").2, ["2", "2", "50.0%"]);
    // Unfiltered, each goal row links to filtering by it.
    let (_, _, page) = c.get("/sites/example.com?period=day").await;
    let goals = rows(section(&page, r#"data-panel="goals""#));
    assert_eq!(row(&goals, "Visit /pricing").2, ["2", "2", "50.0%"]);
    assert!(row(&goals, "Signup").1, "linked");
    assert!(page.contains("f=goal%3AVisit+%2Fpricing"), "{page}");
}

#[tokio::test]
async fn an_events_properties_break_down_into_values_with_visitors_and_events() {
    let (_app, mut c) = seeded().await;
    let (_, _, page) = c.get("/sites/example.com?period=day").await;
    assert!(
        page.contains("Choose a goal or a custom event"),
        "a hint without a filter"
    );
    let card = section(&page, r#"data-panel="goals""#);
    let events = rows(card);
    let outbound = row(&events, "Outbound Link: Click");
    assert!(outbound.1, "an event filters by itself");
    // Filtered by the outbound click: its property `url`, chosen by default.
    let (_, _, page) = c
        .get("/sites/example.com?period=day&f=event:Outbound%20Link:%20Click")
        .await;
    let card = section(&page, r#"data-panel="goals""#);
    assert!(card.contains(r#"data-prop="url""#), "{card}");
    let props = rows(&card[card.find("data-prop").unwrap()..]);
    assert_eq!(
        props,
        [(
            "https://partner.example/a".to_owned(),
            false,
            vec!["2".into(), "2".into(), "50.0%".into()]
        )]
    );
    // The pages the clicks happened on.
    let pages = rows(section(&page, r#"data-panel="pages""#));
    assert_eq!(
        pages.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(),
        ["/blog", "/pricing"]
    );
    // A goal's properties, by key, with links back to the card.
    let (_, _, page) = c
        .get("/sites/example.com?period=day&f=goal:Signup&prop=plan")
        .await;
    let card = section(&page, r#"data-panel="goals""#);
    assert!(
        card.contains("prop=plan#panel-goals"),
        "the key's tab comes back to the card: {card}"
    );
    let props = rows(&card[card.find("data-prop=\"plan\"").unwrap()..]);
    let values: Vec<(&str, &[String])> = props.iter().map(|r| (r.0.as_str(), &r.2[..2])).collect();
    assert_eq!(
        values,
        [
            ("pro", &["1".to_owned(), "1".to_owned()][..]),
            ("team", &["1".to_owned(), "1".to_owned()][..])
        ]
    );
}

#[tokio::test]
async fn the_goals_page_has_the_period_picker_right_aligned_numbers_and_a_small_delete() {
    let (app, mut c) = seeded().await;
    let (_, _, page) = c.get("/sites/example.com/goals?period=day").await;
    assert!(
        page.contains(r#"href="/sites/example.com/goals?period=yesterday""#),
        "the overview's periods: {page}"
    );
    assert!(
        page.contains(r#"<a class="active" href="/sites/example.com/goals?period=day">Today</a>"#)
    );
    assert!(page.contains(r#"<input type="date" name="from" value="2024-03-15""#));
    assert!(!page.contains("aria-pressed"), "no comparison on this page");
    assert!(
        page.contains("Signup</a></td><td class=\"num\">2</td>"),
        "{page}"
    );
    assert!(page.contains(r#"<th class="num">Uniques</th>"#));
    // Yesterday had no conversions.
    let (_, _, page) = c.get("/sites/example.com/goals?period=yesterday").await;
    assert!(
        page.contains("Signup</a></td><td class=\"num\">0</td>"),
        "{page}"
    );
    assert!(
        page.contains(r#"href="/sites/example.com/goals?period=yesterday&amp;goal="#),
        "choosing a goal keeps the period"
    );
    assert!(
        page.contains(r#"<button class="secondary small" type="submit" aria-label="Delete Signup">Delete</button>"#),
        "{page}"
    );
    assert!(page.contains(r#"data-confirm="Delete the goal Signup?""#));
    assert!(!page.contains("button class=\"danger\""));
    // Numeric headers are right-aligned over their numbers.
    let css = app
        .get(
            Regex::new(r#"href="(/assets/app\.css[^"]*)""#)
                .unwrap()
                .captures(&page)
                .unwrap()[1]
                .replace("&amp;", "&")
                .as_str(),
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(
        css.contains("table.data td.num, table.data th.num { text-align: right; }"),
        "{css}"
    );
}

#[tokio::test]
async fn realtime_pluralises_and_shows_sources_and_countries() {
    let (app, mut c) = seeded().await;
    // At 10:12 only V4 (10:12) and V3 (10:10) were active in the last 5 minutes.
    app.clock.set_ms(T0 + 16 * MIN);
    let (_, _, page) = c.get("/sites/example.com/realtime").await;
    assert!(page.contains(">1</span> current visitor ("), "{page}");
    let sources = rows(section(&page, ">Sources<"));
    assert_eq!(
        sources,
        [("Twitter".to_owned(), false, vec!["1".to_owned()])]
    );
    let countries = rows(section(&page, ">Countries<"));
    assert_eq!(
        countries,
        [("United States".to_owned(), false, vec!["1".to_owned()])]
    );
    app.clock.set_ms(T0 + 14 * MIN);
    let (_, _, page) = c.get("/sites/example.com/realtime").await;
    assert!(page.contains(">2</span> current visitors ("), "{page}");
    let sources = rows(section(&page, ">Sources<"));
    assert_eq!(sources.len(), 2, "Google and Twitter: {sources:?}");
    let countries = rows(section(&page, ">Countries<"));
    assert_eq!(
        countries.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(),
        ["Australia", "United States"]
    );
}

#[tokio::test]
async fn countries_show_their_common_names() {
    let (_app, mut c) = seeded().await;
    let (_, _, page) = c.get("/sites/example.com?period=day").await;
    let places = rows(section(&page, r#"data-panel="locations""#));
    let names: Vec<&str> = places.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(names, ["United States", "Australia", "United Kingdom"]);
    assert!(!page.contains("Great Britain") && !page.contains("of America"));
    let (_, _, page) = c.get("/sites/example.com?period=day&f=country:GB").await;
    assert!(
        page.contains("country is <strong>United Kingdom</strong>"),
        "{page}"
    );
}

#[tokio::test]
async fn kpis_without_a_previous_period_read_new() {
    let (_app, mut c) = seeded().await;
    let (_, _, page) = c.get("/sites/example.com?period=day").await;
    let tiles = kpis(&page);
    assert_eq!(tiles.len(), 6, "{tiles:?}");
    let bounce = tiles.iter().find(|t| t.0 == "bounce_rate").unwrap();
    assert_eq!(bounce.1, "25", "V4 of 4 bounced");
    for (metric, _, change) in &tiles {
        assert_eq!(
            change.as_deref(),
            Some("new"),
            "{metric}: yesterday had no visits"
        );
    }
    assert!(!page.contains(" pts"), "{page}");
}
