//! Rough edges a new owner met on the people and settings pages (issue #12,
//! second walk): the leads, lead, privacy and settings pages show times in
//! the site's zone, as its reports count days; the settings' time-zone field
//! is the setup form's list (and reads a city); after two-factor setup,
//! Continue leads to an owner's one site, away from the Copy button.

use reqwest::StatusCode;
use touchpoint::{domain::Role, privacy::retention};

use crate::{
    accounts::capture,
    helpers::spawn_app,
    members_ui::assert_zone_field,
    owner_pages::browser_lead,
    web::{PASSWORD, WebClient},
};

/// The part of `page` from `start` to the next `end`.
fn between<'a>(page: &'a str, start: &str, end: &str) -> &'a str {
    let from = page
        .find(start)
        .unwrap_or_else(|| panic!("no {start} in {page}"));
    let rest = &page[from..];
    &rest[..rest.find(end).map_or(rest.len(), |i| i + end.len())]
}

fn berlin(s: &mut touchpoint::store::Site) {
    s.timezone = touchpoint::domain::Timezone::parse("Europe/Berlin").unwrap();
}

#[tokio::test]
async fn the_leads_pages_show_times_in_the_sites_zone() {
    // Cleo landed on 2024-03-15 at 10:00 UTC and became a lead two days later.
    let (app, id) = browser_lead().await;
    app.edit_site(berlin);
    let (mut analyst, _) = app.member("ana@acme.test", Role::Analyst, app.acme()).await;
    let (_, _, list) = analyst.get("/sites/example.com/leads").await;
    let table = between(&list, "id=\"leads\"", "</table>");
    assert!(table.contains("<td>2024-03-17 11:00 CET</td>"), "{table}");
    assert!(!table.contains("UTC"), "{table}");
    let (_, _, profile) = analyst.get(&format!("/sites/example.com/leads/{id}")).await;
    let first = between(&profile, "id=\"first-visit\">", "</dd>");
    assert!(first.contains("2024-03-15 11:00 CET"), "{first}");
    let journey = between(&profile, "id=\"journey\"", "</table>");
    assert!(
        journey.contains("<td>2024-03-15 11:00 CET</td>"),
        "{journey}"
    );
    let conversions = between(&profile, "id=\"conversions\"", "</table>");
    assert!(
        conversions.contains("<td>2024-03-17 11:00 CET</td>"),
        "{conversions}"
    );
    assert!(!profile.contains(" UTC"), "{profile}");
}

#[tokio::test]
async fn the_privacy_and_settings_pages_show_times_in_the_sites_zone() {
    let (app, _) = browser_lead().await;
    app.edit_site(berlin);
    let (mut admin, _) = app.member("adam@acme.test", Role::Admin, app.acme()).await;
    let privacy = "/sites/example.com/privacy";
    admin.get(privacy).await;
    // A request received by letter on the 16th: that day in Berlin.
    let (status, _, _) = admin
        .post(
            &format!("{privacy}/requests"),
            &[("kind", "access"), ("received", "2024-03-16")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, page) = admin
        .post(
            &format!("{privacy}/lookup"),
            &[("kind", "email"), ("value", "cleo@example.com")],
        )
        .await;
    let found = between(&page, "id=\"found\"", "</section>");
    assert!(found.contains("2024-03-15 11:00 CET: /"), "{found}");
    let requests = between(&page, "id=\"requests\"", "</table>");
    assert!(
        requests.contains("<td>2024-03-16 00:00 CET</td>"),
        "{requests}"
    );
    let consents = between(&page, "id=\"consents\"", "</table>");
    assert!(
        consents.contains("<td>2024-03-15 11:00 CET</td>"),
        "{consents}"
    );
    assert!(!page.contains(" UTC"), "{page}");

    retention::run(&app.state.auth, &app.state.store, 24, 2, app.clock.now_ms()).unwrap();
    let (_, _, page) = admin.get("/sites/example.com/settings").await;
    let purge = between(&page, "id=\"last-purge\"", "</p>");
    assert!(purge.contains("Last purge 2024-03-17 11:00 CET"), "{purge}");
}

#[tokio::test]
async fn the_settings_time_zone_is_the_setup_forms_list_and_reads_a_city() {
    let app = spawn_app().await;
    let (mut admin, _) = app.member("adam@acme.test", Role::Admin, app.acme()).await;
    let settings = "/sites/example.com/settings";
    let (_, _, page) = admin.get(settings).await;
    assert_zone_field(&page, "settings-timezone", "UTC", false);
    assert!(!page.contains("IANA name"), "{page}");
    let (status, _, page) = admin.post(settings, &[("timezone", "London")]).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(app.example_site().timezone.to_string(), "Europe/London");
    assert_zone_field(&page, "settings-timezone", "Europe/London", false);
    // What was typed stays in the field, with what to do.
    let (status, _, page) = admin.post(settings, &[("timezone", "Atlantis")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("choose one from the list"), "{page}");
    assert_zone_field(&page, "settings-timezone", "Atlantis", false);
    assert_eq!(app.example_site().timezone.to_string(), "Europe/London");
}

/// Turns on two-factor for the logged-in client; returns the recovery page.
async fn enrol(app: &crate::helpers::TestApp, c: &mut WebClient) -> String {
    let (_, _, page) = c.get("/account/totp").await;
    let secret = capture(r#"name="secret" value="([A-Z2-7]+)""#, &page);
    let code = touchpoint::auth::totp::code_at(
        &touchpoint::auth::totp::secret_from_base32(&secret).unwrap(),
        app.clock.now_ms(),
    );
    let (status, _, page) = c
        .post("/account/totp", &[("secret", &secret), ("code", &code)])
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page
}

#[tokio::test]
async fn after_two_factor_setup_continue_leads_to_the_owners_one_site_apart_from_copy() {
    let app = spawn_app().await;
    let token = app.state.auth.setup_token().unwrap();
    let mut owner = WebClient::new(&app);
    owner.get(&format!("/setup?token={token}")).await;
    let (status, _, _) = owner
        .post(
            "/setup",
            &[
                ("token", token.as_str()),
                ("email", "owner@initech.example"),
                ("password", PASSWORD),
                ("workspace", "Initech"),
                ("domain", "initech.example"),
                ("timezone", "UTC"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let page = enrol(&app, &mut owner).await;
    let actions = between(
        &page,
        "<div class=\"actions\" id=\"recovery-actions\">",
        "</div>",
    );
    assert!(
        actions.contains(
            r#"<button class="copy" type="button" data-copy-target="recovery-codes">Copy</button>"#
        ),
        "{actions}"
    );
    assert!(
        actions.contains(r#"<a class="continue" href="/sites/initech.example">Continue</a>"#),
        "{actions}"
    );
    let (status, _, _) = owner.get("/sites/initech.example").await;
    assert_eq!(status, StatusCode::OK);
    // The two sit apart: the actions row is spaced by the stylesheet.
    let css = app.get("/assets/app.css").await.text().await.unwrap();
    let rule = between(&css, "div.actions {", "}");
    assert!(rule.contains("gap:"), "{rule}");

    // A member of a workspace with two sites continues to the list.
    let (mut viewer, _) = app.member("vi@acme.test", Role::Viewer, app.acme()).await;
    let page = enrol(&app, &mut viewer).await;
    assert!(
        page.contains(r#"<a class="continue" href="/sites">Continue</a>"#),
        "{page}"
    );
}
