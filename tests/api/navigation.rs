//! Finding one's way, over HTTP: one site navigation on every site page with
//! the tabs the member's role may open, error pages that keep the frame and
//! a way back, a new site's overview that shows its snippet and waits for
//! the first pageview, the skip link and page titles. The same in headless
//! Chromium: `navigation_ui.rs`.

use reqwest::StatusCode;
use touchpoint::domain::{ConsentMode, Role};

use crate::{
    helpers::{CHROME, TestApp, spawn_app},
    web::WebClient,
};

/// Every site page: (its tab's label, its path under /sites/example.com).
const PAGES: [(&str, &str); 8] = [
    ("Overview", ""),
    ("Realtime", "/realtime"),
    ("Goals", "/goals"),
    ("Funnels", "/funnels"),
    ("Attribution", "/attribution"),
    ("Leads", "/leads"),
    ("Privacy", "/privacy"),
    ("Settings", "/settings"),
];

/// The tabs each role is offered, in order.
fn tabs_of(role: Role) -> Vec<&'static str> {
    let reports = vec!["Overview", "Realtime", "Goals", "Funnels", "Attribution"];
    match role {
        Role::Viewer => reports,
        Role::Analyst => [reports, vec!["Leads"]].concat(),
        Role::Admin | Role::Owner => PAGES.iter().map(|(l, _)| *l).collect(),
    }
}

/// The site navigation of a page: its links as (attributes, text), or none.
fn site_nav(page: &str) -> Option<Vec<(String, String)>> {
    let start = page.find(r#"<nav class="tabs site-nav" aria-label="Site">"#)?;
    let end = start + page[start..].find("</nav>")?;
    let links = regex::Regex::new(r"<a ([^>]*)>([^<]*)</a>").unwrap();
    Some(
        links
            .captures_iter(&page[start..end])
            .map(|c| (c[1].to_owned(), c[2].to_owned()))
            .collect(),
    )
}

/// The labels of a navigation's tabs.
fn labels(nav: &[(String, String)]) -> Vec<&str> {
    nav.iter().map(|(_, l)| l.as_str()).collect()
}

/// The labels of the tabs marked as the current page.
fn current(nav: &[(String, String)]) -> Vec<&str> {
    nav.iter()
        .filter(|(a, _)| a.contains(r#"aria-current="page""#))
        .map(|(_, l)| l.as_str())
        .collect()
}

/// The page's `<title>` text.
fn title(page: &str) -> &str {
    let start = page.find("<title>").map_or(0, |i| i + "<title>".len());
    let end = page[start..].find("</title>").map_or(start, |i| start + i);
    &page[start..end]
}

/// Gives example.com a first pageview, so its overview is a report.
pub async fn first_pageview(app: &TestApp) {
    app.pageview("/", CHROME, "198.51.100.7").await;
}

#[tokio::test]
async fn a_new_sites_overview_shows_its_snippet_and_waits_for_the_first_pageview_until_one_is_stored()
 {
    let app = spawn_app().await;
    let (mut owner, _) = app
        .member("boss@example.com", Role::Owner, app.acme())
        .await;
    let (s, _, page) = owner.get("/sites/example.com").await;
    assert_eq!(s, StatusCode::OK, "{page}");
    for (what, needle) in [
        ("the waiting state", "Waiting for the first pageview…"),
        ("its live status", r#"role="status""#),
        (
            "what the script polls",
            r#"data-waiting-url="/sites/example.com/status.json""#,
        ),
        ("the snippet", r#"<pre class="snippet" id="snippet">"#),
        (
            "the site's domain in it",
            "data-domain=&quot;example.com&quot;",
        ),
        (
            "the cookieless script",
            "/js/tp.js&quot;&gt;&lt;/script&gt;",
        ),
        ("a copy button", r#"data-copy-target="snippet""#),
        (
            "a link to change the consent mode",
            "/sites/example.com/settings",
        ),
    ] {
        assert!(page.contains(needle), "{what}: {needle} in {page}");
    }
    assert!(!page.contains(r#"class="kpis""#), "no zeros yet: {page}");
    let (s, _, status) = owner.get("/sites/example.com/status.json").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(status, r#"{"has_data":false}"#);

    // The snippet is the one of the site's consent mode.
    app.edit_site(|s| s.consent_mode = ConsentMode::Require);
    let (_, _, page) = owner.get("/sites/example.com").await;
    assert!(
        page.contains("data-consent=&quot;require&quot;") && page.contains("/js/tp.full.js"),
        "the consent-aware snippet: {page}"
    );
    assert!(page.contains("Waiting for the first pageview…"));

    app.edit_site(|s| s.consent_mode = ConsentMode::Cookieless);
    first_pageview(&app).await;
    let (_, _, status) = owner.get("/sites/example.com/status.json").await;
    assert_eq!(status, r#"{"has_data":true}"#);
    let (s, _, page) = owner.get("/sites/example.com").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        !page.contains("Waiting for the first pageview") && !page.contains(r#"id="snippet""#),
        "{page}"
    );
    assert!(page.contains(r#"class="kpis""#), "the report: {page}");
    // The other site of the workspace is still waiting; strangers learn nothing.
    let (_, _, other) = owner.get("/sites/other.example/status.json").await;
    assert_eq!(other, r#"{"has_data":false}"#);
    let (s, location, _) = WebClient::new(&app)
        .get("/sites/example.com/status.json")
        .await;
    assert_eq!(
        (s, location.starts_with("/login")),
        (StatusCode::SEE_OTHER, true)
    );
}

#[tokio::test]
async fn every_site_page_has_the_same_site_navigation_with_the_tabs_of_the_members_role_and_the_current_one_marked()
 {
    let app = spawn_app().await;
    first_pageview(&app).await;
    for (email, role) in [
        ("owner@example.com", Role::Owner),
        ("ana@example.com", Role::Analyst),
        ("vic@example.com", Role::Viewer),
    ] {
        let (mut c, _) = app.member(email, role, app.acme()).await;
        let want = tabs_of(role);
        let mut navs = Vec::new();
        for (label, path) in PAGES {
            let (s, _, page) = c.get(&format!("/sites/example.com{path}")).await;
            let nav = site_nav(&page).unwrap_or_else(|| panic!("{role} {label}: no site nav"));
            assert_eq!(labels(&nav), want, "{role} on {label}");
            if want.contains(&label) {
                assert_eq!(s, StatusCode::OK, "{role} may open {label}: {page}");
                assert_eq!(current(&nav), [label], "{role} on {label}");
                assert_eq!(
                    title(&page),
                    format!("{label} · example.com · Touchpoint"),
                    "{role} on {label}"
                );
                // The same links everywhere, whichever is current.
                let hrefs: Vec<String> = nav
                    .iter()
                    .map(|(a, _)| {
                        a.replace(r#" aria-current="page""#, "")
                            .replace(r#"class="active" "#, "")
                    })
                    .collect();
                navs.push(hrefs);
            } else {
                assert_eq!(s, StatusCode::FORBIDDEN, "{role} may not open {label}");
                assert!(current(&nav).is_empty(), "{role} on {label}'s 403");
            }
        }
        assert!(navs.windows(2).all(|w| w[0] == w[1]), "{role}: {navs:?}");
        assert_eq!(navs.len(), want.len());
    }
}

#[tokio::test]
async fn error_pages_keep_the_layout_the_site_navigation_when_the_site_is_known_and_a_way_back() {
    let app = spawn_app().await;
    first_pageview(&app).await;
    let (mut viewer, _) = app
        .member("vic@example.com", Role::Viewer, app.acme())
        .await;
    let frame = |page: &str, who: &str| {
        assert!(
            page.contains(r##"<a class="skip-link" href="#content">"##),
            "{who}: {page}"
        );
        assert!(
            page.contains(r#"<nav aria-label="Main">"#),
            "{who}: the top bar: {page}"
        );
        assert!(page.contains("vic@example.com"), "{who}: the user: {page}");
    };

    // A page the viewer's role can't open, from a link or typed.
    for path in ["/leads", "/privacy", "/settings"] {
        let (s, _, page) = viewer.get(&format!("/sites/example.com{path}")).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{path}");
        frame(&page, path);
        assert_eq!(
            site_nav(&page).map(|n| labels(&n).join(",")),
            Some(tabs_of(Role::Viewer).join(",")),
            "{path}: {page}"
        );
        assert!(page.contains("403 Forbidden"), "{page}");
        assert!(
            page.contains("Your role on example.com (viewer) does not allow this"),
            "{page}"
        );
        assert!(
            page.contains(r#"<a class="back" href="/sites/example.com">"#),
            "{path}: {page}"
        );
        assert_eq!(title(&page), "Forbidden · example.com · Touchpoint");
    }
    // A viewer posting an admin's form.
    viewer.get("/sites/example.com/goals").await;
    let (s, _, page) = viewer
        .post(
            "/sites/example.com/goals",
            &[("kind", "event"), ("value", "Signup")],
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(site_nav(&page).is_some(), "{page}");

    // A mistyped page of the site: 404 in the site's frame.
    let (s, _, page) = viewer.get("/sites/example.com/atribution").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    frame(&page, "mistyped page");
    assert!(
        site_nav(&page).is_some() && page.contains("404 Not Found"),
        "{page}"
    );
    assert!(page.contains(r#"href="/sites/example.com">"#), "{page}");

    // An unknown site: the frame without a site, back to the sites list.
    let (s, _, page) = viewer.get("/sites/nowhere.example/goals").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    frame(&page, "unknown site");
    assert!(site_nav(&page).is_none(), "{page}");
    assert!(page.contains(r#"<a class="back" href="/sites">"#), "{page}");
    assert!(
        !page.contains("nowhere.example"),
        "nothing said about it: {page}"
    );

    // A path no route knows: the page for a browser, nothing for a client.
    let r = viewer
        .client
        .get(format!("{}/no-such-page", app.url))
        .header("accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let page = r.text().await.unwrap();
    frame(&page, "unknown path");
    assert!(page.contains(r#"<a class="back" href="/sites">"#), "{page}");
    let r = app.get("/api/v2/nothing-here").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(r.text().await.unwrap(), "");

    // A 400 of a site page.
    let (s, _, page) = viewer
        .get("/sites/example.com/goals?period=custom&from=2024-03-15&to=2024-03-01")
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    frame(&page, "400");
    assert!(site_nav(&page).is_some(), "{page}");
    assert!(page.contains("ends before it starts"), "{page}");
    assert!(page.contains(r#"href="/sites/example.com""#), "{page}");

    // Logged out, the frame has no user and leads to the start page.
    let r = app
        .client
        .get(format!("{}/nothing", app.url))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    let page = r.text().await.unwrap();
    assert!(
        page.contains(r#"<a class="back" href="/">"#) && !page.contains("vic@"),
        "{page}"
    );
}

#[tokio::test]
async fn a_custom_range_ending_before_it_starts_answers_400_with_the_message_and_the_period_picker_in_the_overview()
 {
    let app = spawn_app().await;
    first_pageview(&app).await;
    let (mut c, _) = app
        .member("ana@example.com", Role::Analyst, app.acme())
        .await;
    let (s, _, page) = c
        .get("/sites/example.com?period=custom&from=2024-03-15&to=2024-03-01&f=source:Google")
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("The custom range ends before it starts."),
        "a sentence: {page}"
    );
    assert!(page.contains(r#"role="alert""#), "{page}");
    let nav = site_nav(&page).expect("the site's navigation");
    assert_eq!(current(&nav), ["Overview"]);
    assert_eq!(title(&page), "Overview · example.com · Touchpoint");
    assert!(
        page.contains(r#"aria-label="Period""#),
        "the picker: {page}"
    );
    assert!(
        page.contains(r#"name="from" value="2024-03-15""#)
            && page.contains(r#"name="to" value="2024-03-01""#),
        "the dates as typed, to correct: {page}"
    );
    assert!(
        page.contains("period=7d&amp;f=source%3AGoogle"),
        "presets keep the filter: {page}"
    );
    assert!(!page.contains(r#"class="kpis""#), "no report: {page}");
}

#[tokio::test]
async fn every_page_starts_with_a_skip_link_to_the_content_and_names_its_navigations() {
    let app = spawn_app().await;
    first_pageview(&app).await;
    let (mut c, _) = app
        .member("ana@example.com", Role::Analyst, app.acme())
        .await;
    let unnamed = regex::Regex::new(r#"<nav(?: class="[^"]*")?>"#).unwrap();
    for path in [
        "/sites",
        "/account",
        "/sites/example.com",
        "/sites/example.com/leads",
    ] {
        let (s, _, page) = c.get(path).await;
        assert_eq!(s, StatusCode::OK, "{path}");
        let body = &page[page.find("<body>").expect("a body") + "<body>".len()..];
        assert!(
            body.starts_with(r##"<a class="skip-link" href="#content">Skip to content</a>"##),
            "{path}: the first thing in the body: {}",
            &body[..body.len().min(200)]
        );
        assert!(
            page.contains(r#"<main class="page" id="content" tabindex="-1">"#),
            "{path}"
        );
        assert!(!unnamed.is_match(&page), "{path}: an unnamed nav: {page}");
    }
    let (_, _, login) = WebClient::new(&app).get("/login").await;
    assert!(
        login.contains(r##"<a class="skip-link" href="#content">"##),
        "{login}"
    );
}
