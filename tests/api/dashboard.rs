//! Dashboard pages over HTTP: goals and conversions, realtime, site settings
//! (timezone, allowed hostnames), deletion, invitations, cookie flags.

use reqwest::StatusCode;
use serde_json::json;
use touchpoint::domain::Role;

use crate::{
    helpers::{CHROME, MIN, T0},
    scenario::{DAY1, seeded},
    web::{PASSWORD, WebClient},
};

fn day1() -> String {
    format!("period=custom&from={DAY1}&to={DAY1}")
}

#[tokio::test]
async fn goals_show_conversions_and_rates_matching_the_stats_api() {
    let app = seeded().await;
    let (mut admin, _) = app.member("adm@example.com", Role::Admin, app.acme()).await;
    let goals = "/sites/example.com/goals";
    admin.get(goals).await;
    for (kind, value, want) in [
        ("event", "Signup", StatusCode::SEE_OTHER),
        ("page", "/pricing*", StatusCode::SEE_OTHER),
        ("page", "pricing", StatusCode::BAD_REQUEST),
        ("event", "Signup", StatusCode::BAD_REQUEST),
        ("event", "pageview", StatusCode::BAD_REQUEST),
        ("other", "x", StatusCode::BAD_REQUEST),
    ] {
        let (s, _, body) = admin.post(goals, &[("kind", kind), ("value", value)]).await;
        assert_eq!(s, want, "{kind} {value}: {body}");
    }
    let total = app.aggregate(&["visitors"], json!([DAY1, DAY1])).await[0]
        .as_f64()
        .unwrap();
    let api = |filter: serde_json::Value| {
        let app = &app;
        async move {
            app.results(json!({"site_id": "example.com", "metrics": ["visitors"], "date_range": [DAY1, DAY1], "filters": [filter]}))
                .await[0]["metrics"][0]
                .as_f64()
                .unwrap()
        }
    };
    let signup = api(json!(["is", "event:name", ["Signup"]])).await;
    let pricing = api(json!(["matches", "event:page", ["^/pricing.*$"]])).await;
    assert_eq!(
        (total, signup, pricing),
        (3.0, 1.0, 2.0),
        "the scenario's numbers"
    );
    let (s, _, page) = admin.get(&format!("{goals}?{}", day1())).await;
    assert_eq!(s, StatusCode::OK);
    for (name, uniques, rate) in [
        ("Signup", signup, signup / total),
        ("Visit /pricing*", pricing, pricing / total),
    ] {
        let row = format!("{name}</a></td><td class=\"num\">{uniques}</td>");
        assert!(page.contains(&row), "{row} in {page}");
        assert!(
            page.contains(&format!("{:.1}%", rate * 100.0)),
            "{name} rate"
        );
    }
    // A goal's sources.
    let id = app
        .state
        .store
        .goals(touchpoint::domain::SiteId(1))
        .unwrap()[0]
        .id;
    let (_, _, page) = admin.get(&format!("{goals}?{}&goal={id}", day1())).await;
    assert!(page.contains("Signup by source"), "{page}");
    assert!(page.contains("<td>newsletter</td><td class=\"num\">1</td><td class=\"num\">1</td><td class=\"num\">100.0%</td>"), "{page}");
    // The overview's goals panel agrees.
    let (_, _, overview) = admin.get(&format!("/sites/example.com?{}", day1())).await;
    assert!(
        overview.contains("Visit /pricing*") && overview.contains("66.7%"),
        "{overview}"
    );
    // Deleting a goal.
    let (s, _, _) = admin.post(&format!("{goals}/{id}/delete"), &[]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(
        app.state
            .store
            .goals(touchpoint::domain::SiteId(1))
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn realtime_shows_current_visitors_and_their_pages() {
    let app = seeded().await;
    app.clock.advance_ms(MIN);
    app.pageview("/now", CHROME, "198.51.100.9").await;
    let (mut c, _) = app
        .member("ana@example.com", Role::Analyst, app.acme())
        .await;
    let (status, api) = app
        .get_api("/api/v1/stats/realtime/visitors?site_id=example.com")
        .await;
    assert_eq!(status, 200);
    let (_, _, page) = c.get("/sites/example.com/realtime").await;
    assert!(
        page.contains(&format!("id=\"current-visitors\">{api}<")),
        "{api} in {page}"
    );
    assert!(
        page.contains(">/now<") && page.contains(">/blog<"),
        "{page}"
    );
    app.clock.advance_ms(6 * MIN);
    let (_, _, page) = c.get("/sites/example.com/realtime").await;
    assert!(page.contains("id=\"current-visitors\">0<"), "{page}");
}

#[tokio::test]
async fn settings_change_the_timezone_and_restrict_hostnames() {
    let app = seeded().await;
    let (mut c, _) = app.member("adm@example.com", Role::Admin, app.acme()).await;
    let settings = "/sites/example.com/settings";
    let (s, _, page) = c.get(settings).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains("data-domain=&quot;example.com&quot;"),
        "snippet shown, escaped"
    );
    for (tz, hosts, want, why) in [
        (
            "Mars/Olympus",
            "",
            StatusCode::BAD_REQUEST,
            "unknown time zone",
        ),
        (
            "UTC",
            "not a host!",
            StatusCode::BAD_REQUEST,
            "only letters",
        ),
        (
            "Asia/Tokyo",
            "shop.example.com\n*.example.org",
            StatusCode::OK,
            "Saved",
        ),
    ] {
        let (s, _, body) = c
            .post(settings, &[("timezone", tz), ("hostnames", hosts)])
            .await;
        assert_eq!(s, want, "{tz} {hosts:?}");
        assert!(body.contains(why), "{why}: {body}");
    }
    assert_eq!(app.example_site().timezone.to_string(), "Asia/Tokyo");
    // Consent settings change the snippet to the consent-aware script.
    let keep = [
        ("timezone", "Asia/Tokyo"),
        ("hostnames", "shop.example.com\n*.example.org"),
    ];
    let (s, _, body) = c
        .post(
            settings,
            &[
                keep[0],
                keep[1],
                ("consent_mode", "maybe"),
                ("forms", "all"),
                ("policy_version", "2"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(body.contains("unknown consent mode"));
    let (s, _, body) = c
        .post(
            settings,
            &[
                keep[0],
                keep[1],
                ("consent_mode", "require"),
                ("forms", "all"),
                ("policy_version", "2"),
                ("respect_dnt", "1"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(body.contains("/js/tp.full.js"), "{body}");
    for attr in [
        "data-consent=&quot;require&quot;",
        "data-policy=&quot;2&quot;",
        "data-forms=&quot;all&quot;",
        "data-dnt",
    ] {
        assert!(body.contains(attr), "{attr}");
    }
    for (url, dropped) in [
        ("https://shop.example.com/a", None),
        ("https://www.shop.example.com/a", None),
        ("https://blog.example.org/a", None),
        ("https://example.org/a", None),
        ("https://evil.example.net/a", Some("hostname")),
    ] {
        let body = json!({"n": "pageview", "u": url, "d": "example.com"}).to_string();
        let r = app
            .post_raw(&body, CHROME, &[("x-forwarded-for", "203.0.113.5")])
            .await;
        assert_eq!(r.status(), 202);
        let got = r
            .headers()
            .get("x-touchpoint-dropped")
            .map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(got.as_deref(), dropped, "{url}");
    }
}

#[tokio::test]
async fn deleting_a_site_needs_its_domain_typed_and_removes_its_data() {
    let app = seeded().await;
    let (mut c, _) = app
        .member("boss@example.com", Role::Owner, app.acme())
        .await;
    c.get("/sites/example.com/settings").await;
    let (s, _, body) = c
        .post("/sites/example.com/delete", &[("confirm", "example.org")])
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(body.contains("Type the domain exactly"));
    assert_eq!(app.aggregate(&["visitors"], json!("all")).await[0], 4);
    let (s, location, _) = c
        .post("/sites/example.com/delete", &[("confirm", "example.com")])
        .await;
    assert_eq!(
        (s, location),
        (StatusCode::SEE_OTHER, format!("/workspaces/{}", app.acme()))
    );
    let (status, _) = app
        .query(json!({"site_id": "example.com", "metrics": ["visitors"], "date_range": "all"}))
        .await;
    assert_eq!(status, 404);
    assert_eq!(c.get("/sites/example.com").await.0, StatusCode::NOT_FOUND);
    let r = app
        .post_raw(
            &json!({"n": "pageview", "u": "https://example.com/", "d": "example.com"}).to_string(),
            CHROME,
            &[],
        )
        .await;
    assert_eq!(r.headers()["x-touchpoint-dropped"], "unknown_site");
}

#[tokio::test]
async fn an_invitation_link_creates_the_member_once() {
    let app = seeded().await;
    let (mut owner, _) = app
        .member("boss@example.com", Role::Owner, app.acme())
        .await;
    let ws = format!("/workspaces/{}", app.acme());
    owner.get(&ws).await;
    let (s, location, _) = owner
        .post(
            &format!("{ws}/members"),
            &[("email", "New.Person@example.com"), ("role", "analyst")],
        )
        .await;
    assert_eq!((s, location.as_str()), (StatusCode::SEE_OTHER, ws.as_str()));
    let (s, _, page) = owner.get(&location).await;
    assert_eq!(s, StatusCode::OK);
    let link = regex::Regex::new(r"(/invite/[0-9a-f]{64})")
        .unwrap()
        .captures(&page)
        .unwrap()[1]
        .to_owned();
    let mut guest = WebClient::new(&app);
    let (s, _, form) = guest.get(&link).await;
    assert_eq!(s, StatusCode::OK);
    assert!(form.contains("new.person@example.com") && form.contains("analyst"));
    let (s, _, _) = guest.post(&link, &[("password", "short")]).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, location, _) = guest.post(&link, &[("password", PASSWORD)]).await;
    assert_eq!((s, location.as_str()), (StatusCode::SEE_OTHER, "/sites"));
    let (_, _, sites) = guest.get("/sites").await;
    assert!(sites.contains("Acme") && sites.contains("analyst"));
    assert_eq!(
        WebClient::new(&app).get(&link).await.0,
        StatusCode::NOT_FOUND,
        "used up"
    );
    let (_, _, members) = owner.get(&ws).await;
    assert!(members.contains("new.person@example.com"));
}

#[tokio::test]
async fn an_invitation_dies_with_its_senders_ownership() {
    let app = seeded().await;
    let (mut first, _) = app
        .member("boss@example.com", Role::Owner, app.acme())
        .await;
    let (mut second, other) = app.member("co@example.com", Role::Owner, app.acme()).await;
    let ws = format!("/workspaces/{}", app.acme());
    second.get(&ws).await;
    let (s, location, _) = second
        .post(
            &format!("{ws}/members"),
            &[("email", "guest@example.com"), ("role", "owner")],
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, _, page) = second.get(&location).await;
    let link = regex::Regex::new(r"(/invite/[0-9a-f]{64})")
        .unwrap()
        .captures(&page)
        .unwrap()[1]
        .to_owned();
    assert_eq!(WebClient::new(&app).get(&link).await.0, StatusCode::OK);
    first.get(&ws).await;
    let (s, _, _) = first
        .post(
            &format!("{ws}/members/{}/role", other.id.0),
            &[("role", "viewer")],
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(
        WebClient::new(&app).get(&link).await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_custom_range_that_ends_before_it_starts_is_a_clear_error() {
    let app = seeded().await;
    let (mut c, _) = app
        .member("ana@example.com", Role::Analyst, app.acme())
        .await;
    let (s, _, body) = c
        .get("/sites/example.com?period=custom&from=2024-03-15&to=2024-03-01")
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(body.contains("ends before it starts"));
}

#[tokio::test]
async fn session_cookies_are_httponly_lax_and_secure_over_https() {
    let app = seeded().await;
    app.user(
        "ana@example.com",
        Role::Analyst,
        touchpoint::store::WorkspaceChoice::Existing(app.acme()),
    );
    for (proto, secure) in [(None, false), (Some("https"), true)] {
        let mut c = WebClient::new(&app);
        c.get("/login").await;
        let token = c.csrf.clone().unwrap();
        let mut req = c.client.post(format!("{}/login", app.url)).form(&[
            ("email", "ana@example.com"),
            ("password", PASSWORD),
            ("csrf", &token),
        ]);
        if let Some(p) = proto {
            req = req.header("x-forwarded-proto", p);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let cookie = r
            .headers()
            .get("set-cookie")
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            cookie.starts_with("tp_session=")
                && cookie.contains("HttpOnly")
                && cookie.contains("SameSite=Lax"),
            "{cookie}"
        );
        assert_eq!(cookie.contains("Secure"), secure, "{cookie}");
    }
    let _ = T0;
}
