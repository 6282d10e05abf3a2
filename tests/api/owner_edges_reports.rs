//! Rough edges a new owner met on the report pages (issue #12, second walk):
//! counts agree with their nouns ("1 conversion"); the attribution table says
//! which number is conversions and which revenue, in which currency; its
//! controls have visible captions and show the custom range's dates only for
//! a custom range; a campaign link with utm_source but no utm_medium
//! (Unassigned) gets a hint on how to give it a channel; date fields repeat
//! their date in ISO form.

use serde_json::json;
use touchpoint::{
    domain::{ConsentMode, Role},
    privacy::{ids, sha256_hex},
};

use crate::{
    attribution::{api, scenario},
    helpers::{CHROME, T0, TestApp, spawn_app},
    members_ui::unlabelled,
    owner_pages::send,
};

const DAY: u64 = 24 * 60 * 60_000;
const CAMPAIGNS: &str =
    "/sites/example.com/attribution?period=7d&dimension=visit:utm_campaign&conversion=purchase";

/// The part of `page` from `start` to the next `end`.
fn between<'a>(page: &'a str, start: &str, end: &str) -> &'a str {
    let from = page
        .find(start)
        .unwrap_or_else(|| panic!("no {start} in {page}"));
    let rest = &page[from..];
    &rest[..rest.find(end).map_or(rest.len(), |i| i + end.len())]
}

#[tokio::test]
async fn counts_agree_with_their_nouns_on_the_attribution_and_privacy_pages() {
    let app = scenario().await;
    let (mut viewer, _) = app.member("vic@acme.test", Role::Viewer, app.acme()).await;
    let (_, _, page) = viewer.get(CAMPAIGNS).await;
    assert!(
        page.contains("<strong>1</strong> conversion, revenue"),
        "{page}"
    );
    assert!(!page.contains("1</strong> conversions"), "{page}");
    assert!(page.contains("over 1 purchase;"), "{page}");
    let (_, _, page) = viewer.get(&format!("{CAMPAIGNS}&model=markov")).await;
    assert!(page.contains("Only 1 conversion: Markov"), "{page}");
    // Ann's one consent record.
    let (mut admin, _) = app.member("adam@acme.test", Role::Admin, app.acme()).await;
    let (_, _, page) = admin.get("/sites/example.com/privacy").await;
    assert!(page.contains("1 shown of 1 record."), "{page}");
}

#[tokio::test]
async fn attribution_cells_say_which_number_is_conversions_and_which_revenue_in_the_currency() {
    let app = scenario().await;
    let (mut viewer, _) = app.member("vic@acme.test", Role::Viewer, app.acme()).await;
    let (_, _, page) = viewer.get(CAMPAIGNS).await;
    let table = between(
        &page,
        "<table class=\"data\" id=\"attribution\"",
        "</table>",
    );
    let caption = between(table, "<caption", "</caption>");
    assert!(
        caption.contains("conversions") && caption.contains("revenue (EUR)"),
        "{caption}"
    );
    // The newsletter's campaign takes the purchase under last non-direct.
    let may = between(table, "<td>may</td>", "</tr>");
    let says = "conversions 1.00 · revenue 120.00 EUR";
    assert!(
        may.contains(&format!(r#"title="{says}""#))
            && may.contains(&format!(r#"aria-label="{says}""#)),
        "{may}"
    );
    // The new leads' revenue names its currency too.
    let revenue = between(&page, "id=\"revenue\"", "</thead>");
    assert!(revenue.contains("Revenue (EUR)"), "{revenue}");
}

#[tokio::test]
async fn the_attribution_controls_have_captions_and_custom_dates_only_for_a_custom_range() {
    let app = scenario().await;
    let (mut viewer, _) = app.member("vic@acme.test", Role::Viewer, app.acme()).await;
    let (_, _, page) = viewer.get(CAMPAIGNS).await;
    let form = between(&page, "<form class=\"controls\"", "</form>");
    for caption in ["Period", "Credit by", "Conversions", "Model", "Lookback"] {
        assert!(
            form.contains(&format!(r#"<span class="caption">{caption}</span>"#)),
            "{caption}: {form}"
        );
    }
    assert_eq!(unlabelled(form), Vec::<String>::new(), "{form}");
    assert!(!form.contains("custom:"), "{form}");
    // A preset period: the custom range is folded away.
    assert!(
        form.contains(r#"<details class="custom-range"><summary>Custom range</summary>"#),
        "{form}"
    );
    // A custom range: unfolded, its dates in the summary.
    let (status, _, page) = viewer
        .get("/sites/example.com/attribution?period=custom&from=2024-03-14&to=2024-03-19&dimension=visit:utm_campaign")
        .await;
    assert_eq!(status, 200, "{page}");
    let form = between(&page, "<form class=\"controls\"", "</form>");
    assert!(
        form.contains(r#"<details class="custom-range" open><summary>Custom range: 2024-03-14 – 2024-03-19</summary>"#),
        "{form}"
    );
    assert!(
        form.contains(r#"<option value="custom" selected>Custom range</option>"#),
        "{form}"
    );
    // The funnels page uses the same period control.
    let (_, _, page) = viewer.get("/sites/example.com/funnels?period=7d").await;
    assert!(
        page.contains(r#"<details class="custom-range"><summary>Custom range</summary>"#),
        "{page}"
    );
}

#[tokio::test]
async fn date_fields_repeat_their_date_in_iso_form() {
    let app = scenario().await;
    let (mut admin, _) = app.member("adam@acme.test", Role::Admin, app.acme()).await;
    let iso = |d: &str| format!(r#"<span class="iso-date">{d}</span>"#);
    // The Overview's custom range, prefilled with the 7 days shown (to the
    // purchase's day, 2024-03-19).
    let (_, _, page) = admin.get("/sites/example.com?period=7d").await;
    let form = between(&page, "<form class=\"custom\"", "</form>");
    for (caption, date) in [("From", "2024-03-13"), ("To", "2024-03-19")] {
        assert!(
            form.contains(&format!(
                r#"<span class="caption">{caption} {}</span><input type="date" name="{}" value="{date}""#,
                iso(date),
                caption.to_lowercase()
            )),
            "{caption}: {form}"
        );
    }
    // Attribution's custom range.
    let (_, _, page) = admin
        .get("/sites/example.com/attribution?period=custom&from=2024-03-14&to=2024-03-19")
        .await;
    assert!(
        page.contains(&iso("2024-03-14")) && page.contains(&iso("2024-03-19")),
        "{page}"
    );
    // The privacy page's "received on" (empty until chosen; the script fills it).
    let (_, _, page) = admin.get("/sites/example.com/privacy").await;
    assert!(
        page.contains(r#"<span class="caption">Received on <span class="iso-date"></span></span><input type="date" name="received" required>"#),
        "{page}"
    );
}

/// Nia accepts and lands from a newsletter link tagged utm_source only (no
/// utm_medium: Unassigned), leaves her email in a form and, a day later,
/// buys through the conversions API. Returns her lead's id.
async fn unassigned_buyer() -> (TestApp, String) {
    let app = spawn_app().await;
    app.edit_site(|s| s.consent_mode = ConsentMode::CookielessUntilConsent);
    let nia = |n: &str, url: &str| json!({"n": n, "u": url, "d": "example.com", "uid": "nia-uid-000000000001"});
    let mut accept = nia("consent", "https://example.com/");
    accept["c"] = json!({"d": "accept", "v": "1", "m": "banner"});
    send(&app, accept, CHROME, "198.51.100.8").await;
    let landing = "https://example.com/news?utm_source=newsletter&utm_campaign=april";
    send(&app, nia("pageview", landing), CHROME, "198.51.100.8").await;
    let digest = sha256_hex(b"nia@example.com");
    let mut lead = nia("lead", "https://example.com/news");
    lead["l"] = json!({"e": digest});
    lead["p"] = json!({"form": "newsletter"});
    send(&app, lead, CHROME, "198.51.100.8").await;
    app.clock.set_ms(T0 + DAY);
    let (status, body) = api(
        &app,
        "/api/v1/conversions",
        json!({"site_id": "example.com", "email": "nia@example.com", "type": "purchase",
            "value": "49.00", "currency": "EUR", "order_id": "N-1"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let id = ids::lead_email_index(&app.state.auth.keys, &digest);
    (app, id)
}

#[tokio::test]
async fn unassigned_visits_get_a_hint_to_add_utm_medium_on_the_lead_and_attribution_pages() {
    let (app, id) = unassigned_buyer().await;
    let (mut analyst, _) = app.member("ana@acme.test", Role::Analyst, app.acme()).await;
    let (status, _, profile) = analyst.get(&format!("/sites/example.com/leads/{id}")).await;
    assert_eq!(status, 200);
    let first = between(&profile, "id=\"first-visit\">", "</dd>");
    assert!(first.contains("newsletter (Unassigned)"), "{first}");
    let note = between(&profile, "id=\"unassigned-note\"", "</p>");
    assert!(
        note.contains("utm_medium") && note.contains(r#"href="/docs/attribution#channels""#),
        "{note}"
    );
    let channels = "/sites/example.com/attribution?period=7d&dimension=visit:channel";
    let (_, _, page) = analyst.get(channels).await;
    let table = between(&page, "id=\"attribution\"", "</table>");
    assert!(table.contains(">Unassigned</a></td>"), "{table}");
    assert!(page.contains("id=\"unassigned-note\""), "{page}");
    // By campaign there is no Unassigned row, and no hint.
    let (_, _, page) = analyst
        .get("/sites/example.com/attribution?period=7d&dimension=visit:utm_campaign")
        .await;
    assert!(
        page.contains(">april</a></td>") && !page.contains("unassigned-note"),
        "{page}"
    );
    // The help it links to says what to add.
    let docs = app.get("/docs/attribution").await.text().await.unwrap();
    let help = between(&docs, "id=\"channels\"", "</section>");
    assert!(
        help.contains("<code>utm_medium=email</code>") && help.contains("Unassigned"),
        "{help}"
    );
}

#[tokio::test]
async fn tagged_campaigns_with_a_medium_get_no_unassigned_hint() {
    let app = scenario().await;
    let (mut analyst, _) = app.member("ana@acme.test", Role::Analyst, app.acme()).await;
    let (_, _, page) = analyst
        .get("/sites/example.com/attribution?period=7d&dimension=visit:channel")
        .await;
    assert!(page.contains(">Email</a></td>"), "{page}");
    assert!(!page.contains("unassigned-note"), "{page}");
    let id = ids::lead_email_index(&app.state.auth.keys, &sha256_hex(b"ann@example.com"));
    let (_, _, profile) = analyst.get(&format!("/sites/example.com/leads/{id}")).await;
    assert!(profile.contains("id=\"first-visit\""), "{profile}");
    assert!(!profile.contains("unassigned-note"), "{profile}");
}
