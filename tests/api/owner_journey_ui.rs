//! A first-time owner's whole path in headless Chromium (issue #12), clicking
//! and typing: the one-time setup link, two-factor, the new site waiting for
//! its first pageview, the snippet copied from the page onto a shop that turns
//! the dashboard live, a goal, the consent mode and its new snippet with the
//! banner; then a customer from a newsletter campaign accepts, signs up and
//! buys, and the owner finds the purchase and the lead credited to the
//! campaign on Attribution and the hashed lead on Leads. Numbers are checked
//! against the Stats and attribution APIs at each step. Screenshots:
//! target/screenshots/journey-*.png.

use std::sync::{Arc, Mutex};

use fantoccini::{Client, Locator};
use serde_json::json;
use touchpoint::auth::totp;

use crate::{
    attribution::credited,
    browser::Browser,
    helpers::{CHROME, MIN, spawn_app},
    owner_shop::{DOMAIN, MAC_CHROME, api_key, credits, shop, today},
    ui_steps::{click, open_tab, stored, text_of, type_into, wait_for, wait_for_within, wait_url},
    web::PASSWORD,
};

/// Screenshot `target/screenshots/journey-N-name.png`.
async fn shot(b: &Browser, n: u32, name: &str) {
    b.screenshot(&format!("journey-{n:02}-{name}"))
        .await
        .unwrap();
}

/// The leading column's credit in the attribution table's row `label`:
/// (conversions, revenue as shown).
async fn row_credit(c: &Client, label: &str) -> (String, String) {
    for row in c
        .find_all(Locator::Css("#attribution tbody tr"))
        .await
        .unwrap()
    {
        let cells = row.find_all(Locator::Css("td")).await.unwrap();
        if cells[0].text().await.unwrap() == label {
            let lead = row.find(Locator::Css("td.num")).await.unwrap();
            let text = lead.text().await.unwrap();
            let conversions = lead.attr("data-conversions").await.unwrap().unwrap();
            let revenue = text.lines().nth(1).unwrap_or_default().to_owned();
            return (conversions, revenue);
        }
    }
    panic!("no row {label}: {}", text_of(c, "#attribution").await);
}

/// Chooses what the Attribution page credits and by what, as a person does.
async fn show_attribution(c: &Client, dimension: &str, conversion: &str) {
    let pick = |name: &'static str, value: &str| {
        let value = value.to_owned();
        async move {
            c.find(Locator::Css(&format!(
                "#attribution-form select[name={name}]"
            )))
            .await
            .unwrap()
            .select_by_value(&value)
            .await
            .unwrap();
        }
    };
    pick("dimension", dimension).await;
    pick("conversion", conversion).await;
    click(c, "#attribution-form button[type=submit]").await;
    let want = format!("dimension={}", dimension.replace(':', "%3A"));
    wait_url(c, "the report asked for", |u| {
        u.query().is_some_and(|q| q.contains(&want))
    })
    .await;
    wait_for(c, "the attribution report", "#attribution").await;
}

#[tokio::test]
async fn a_new_owner_goes_from_the_setup_link_to_the_campaign_credited_with_a_lead_and_a_purchase()
{
    let owner_browser = Browser::start_with(&[&format!("--user-agent={CHROME}")])
        .await
        .expect("browser starts (needs chromium and chromium-driver: .ci/run installs them)");
    let app = spawn_app().await;
    let c = &owner_browser.client;
    let head = Arc::new(Mutex::new(String::new()));
    let shop_url = shop(head.clone()).await;

    // 1. The one-time setup link from the server's log.
    let token = app
        .state
        .auth
        .setup_token()
        .expect("a setup link at first start");
    c.goto(&format!("{}/setup?token={token}", app.url))
        .await
        .unwrap();
    type_into(c, "input[name=email]", "maria@bakery.example").await;
    type_into(c, "input[name=password]", PASSWORD).await;
    type_into(c, "input[name=workspace]", "Corner Bakery").await;
    type_into(c, "input[name=domain]", DOMAIN).await;
    let zone = c.find(Locator::Css("#setup-timezone")).await.unwrap();
    zone.clear().await.unwrap();
    zone.send_keys("Europe/Berlin").await.unwrap();
    shot(&owner_browser, 1, "setup").await;
    click(c, "form[action='/setup'] button[type=submit]").await;

    // 2. Two-factor before anything else: the key from the page into the "app".
    wait_for(c, "the two-factor setup", "#totp-secret").await;
    shot(&owner_browser, 2, "two-factor").await;
    let key = text_of(c, "#totp-secret").await;
    let secret = totp::secret_from_base32(&key).expect("a base32 key");
    type_into(
        c,
        "input[name=code]",
        &totp::code_at(&secret, app.clock.now_ms()),
    )
    .await;
    click(c, "form[action='/account/totp'] button[type=submit]").await;
    wait_for(c, "the recovery codes", "#recovery-codes").await;
    shot(&owner_browser, 3, "recovery-codes").await;
    let site = app
        .state
        .store
        .read()
        .unwrap()
        .site_by_domain(DOMAIN)
        .unwrap()
        .unwrap();
    assert_eq!(site.timezone.to_string(), "Europe/Berlin");
    let key = api_key(&app, site.workspace);
    let consent_log = || app.state.store.consent_log(site.id).unwrap();

    // 3. Continue leads to the one site: it waits for its first pageview,
    // with the snippet.
    click(c, &format!("#recovery-actions a[href='/sites/{DOMAIN}']")).await;
    wait_for(c, "the waiting overview", ".waiting").await;
    assert!(
        text_of(c, ".waiting")
            .await
            .contains("Waiting for the first pageview…")
    );
    let snippet = text_of(c, "pre#snippet").await;
    assert_eq!(
        snippet,
        format!(
            r#"<script defer data-domain="{DOMAIN}" src="{}/js/tp.js"></script>"#,
            app.url
        )
    );
    shot(&owner_browser, 4, "waiting-for-the-first-pageview").await;

    // 4. The snippet on the shop; the owner looks at it in another tab.
    *head.lock().unwrap() = snippet;
    let dashboard = c.window().await.unwrap();
    let tab = c.new_window(true).await.unwrap();
    c.switch_to_window(tab.handle).await.unwrap();
    c.goto(&format!("{shop_url}/")).await.unwrap();
    stored("the owner's pageview", || async {
        today(&app, &key, "pageviews", json!([])).await == 1
    })
    .await;
    shot(&owner_browser, 5, "the-shop").await;
    c.close_window().await.unwrap();
    c.switch_to_window(dashboard).await.unwrap();
    wait_for_within(c, "the dashboard after the first pageview", ".kpis", 20).await;
    let visitors = text_of(c, ".kpi[data-metric=visitors] .kpi-value").await;
    assert_eq!(visitors, "1");
    assert_eq!(today(&app, &key, "visitors", json!([])).await, 1);
    shot(&owner_browser, 6, "live").await;

    // 5. A goal: the Signup event.
    open_tab(c, "Goals").await;
    wait_for(
        c,
        "the goals page",
        "form[action$='/goals'] input[name=value]",
    )
    .await;
    type_into(c, "form[action$='/goals'] input[name=value]", "Signup").await;
    click(c, "form[method=post][action$='/goals'] button[type=submit]").await;
    wait_for(c, "the new goal", "table.data tbody a[href*='goal=']").await;
    assert_eq!(
        text_of(c, "table.data tbody a[href*='goal=']").await,
        "Signup"
    );
    shot(&owner_browser, 7, "goal-added").await;

    // 6. Consent: cookieless until consent; the new snippet and the banner.
    open_tab(c, "Settings").await;
    wait_for(c, "the settings", "#general select[name=consent_mode]").await;
    c.find(Locator::Css("#general select[name=consent_mode]"))
        .await
        .unwrap()
        .select_by_value("cookieless-until-consent")
        .await
        .unwrap();
    click(c, "#general button[type=submit]").await;
    wait_for(c, "the changed snippet", "#snippet-changed pre#snippet-new").await;
    shot(&owner_browser, 8, "snippet-changed").await;
    let tracker = text_of(c, "pre#snippet-new").await;
    assert_eq!(
        tracker,
        text_of(c, "pre#snippet").await,
        "the same snippet twice"
    );
    assert!(
        tracker.contains(r#"data-consent="cookieless-until-consent""#)
            && tracker.contains(r#"data-forms="marked""#)
            && tracker.contains("/js/tp.full.js"),
        "{tracker}"
    );
    let banner = text_of(c, "pre#snippet-consent").await;
    assert!(banner.contains("/js/tp-consent.js"), "{banner}");
    // The warning says what else the new snippet needs, and links to it.
    let asks = text_of(c, "#snippet-asks").await;
    assert!(asks.contains("consent banner"), "{asks}");
    click(c, "#snippet-asks a[href='#scripts']").await;
    wait_url(c, "the optional scripts", |u| {
        u.fragment() == Some("scripts")
    })
    .await;
    shot(&owner_browser, 9, "banner-snippet").await;
    *head.lock().unwrap() = format!("{tracker}\n{banner}");

    // 7. A customer, an hour later, from the newsletter's spring campaign.
    app.clock.advance_ms(60 * MIN);
    let customer = Browser::start_with(&[&format!("--user-agent={MAC_CHROME}")])
        .await
        .expect("a second browser starts");
    let v = &customer.client;
    v.goto(&format!(
        "{shop_url}/?utm_source=newsletter&utm_campaign=spring"
    ))
    .await
    .unwrap();
    let spring = json!([["is", "visit:utm_campaign", ["spring"]]]);
    stored("the landing", || async {
        today(&app, &key, "pageviews", spring.clone()).await == 1
    })
    .await;
    wait_for(
        v,
        "the consent banner",
        "#tp-consent button[data-tp-choice=accept]",
    )
    .await;
    shot(&customer, 10, "customer-sees-the-banner").await;
    click(v, "#tp-consent button[data-tp-choice=accept]").await;
    stored("the accept", || async { !consent_log().is_empty() }).await;
    assert!(
        v.find(Locator::Id("tp-consent")).await.is_err(),
        "the banner goes"
    );

    // Signs up, then buys.
    app.clock.advance_ms(2 * MIN);
    type_into(v, "#email", "Jo@Example.com").await;
    click(v, "#join").await;
    stored("the lead and the Signup", || async {
        !app.state.store.leads(site.id).unwrap().is_empty()
            && today(
                &app,
                &key,
                "events",
                json!([["is", "event:goal", ["Signup"]]]),
            )
            .await
                == 1
    })
    .await;
    app.clock.advance_ms(MIN);
    click(v, "#buy").await;
    stored("the purchase", || async {
        credits(&app, &key, "visit:utm_campaign", "purchase").await["meta"]["conversions"] == 1
    })
    .await;
    shot(&customer, 11, "customer-bought").await;
    customer.close().await.unwrap();
    assert_eq!(consent_log().len(), 1);
    assert_eq!(today(&app, &key, "visitors", json!([])).await, 2);
    assert_eq!(today(&app, &key, "visitors", spring.clone()).await, 1);

    // 8. The owner: the goal's conversion, then Attribution under the site's model.
    open_tab(c, "Goals").await;
    wait_for(c, "the goals page", "table.data tbody td.num").await;
    let row = text_of(c, "table.data tbody tr").await;
    let api_uniques = today(
        &app,
        &key,
        "visitors",
        json!([["is", "event:goal", ["Signup"]]]),
    )
    .await;
    assert_eq!(api_uniques, 1);
    // Signup, 1 unique of the 2 visitors, 1 in total: 50%.
    assert!(row.starts_with("Signup 1 1 50.0%"), "{row}");
    shot(&owner_browser, 12, "goal-converted").await;

    open_tab(c, "Attribution").await;
    wait_for(c, "the attribution page", "#attribution-form").await;
    let model = text_of(c, "#model-note").await;
    assert!(
        model.starts_with("Last non-direct (this site's model)"),
        "{model}"
    );
    show_attribution(c, "visit:utm_campaign", "purchase").await;
    let body = credits(&app, &key, "visit:utm_campaign", "purchase").await;
    assert_eq!(
        credited(&body, "spring", "last_non_direct"),
        (1.0, 49.0),
        "{body}"
    );
    assert_eq!(
        row_credit(c, "spring").await,
        ("1.0000".into(), "49.00".into())
    );
    assert_eq!(text_of(c, "#attribution thead th").await, "Campaign");
    let total = text_of(c, "main > p:not(.muted)").await;
    assert!(
        total.starts_with("1 conversion") && total.ends_with(", revenue 49.00 EUR"),
        "{total}"
    );
    shot(&owner_browser, 13, "attribution-purchase-by-campaign").await;
    show_attribution(c, "visit:utm_source", "lead").await;
    let body = credits(&app, &key, "visit:utm_source", "lead").await;
    assert_eq!(
        credited(&body, "newsletter", "last_non_direct").0,
        1.0,
        "{body}"
    );
    assert_eq!(row_credit(c, "newsletter").await.0, "1.0000");
    shot(&owner_browser, 14, "attribution-lead-by-source").await;

    // 9. Leads: the hashed lead, its form and its source.
    open_tab(c, "Leads").await;
    wait_for(c, "the leads", "#leads tbody a").await;
    let lead = text_of(c, "#leads tbody a").await;
    assert!(lead.starts_with("Hashed lead "), "{lead}");
    shot(&owner_browser, 15, "leads").await;
    click(c, "#leads tbody a").await;
    wait_for(c, "the lead", "#lead-facts").await;
    assert_eq!(text_of(c, "#form").await, "signup");
    let first = text_of(c, "#first-visit").await;
    assert!(
        first.starts_with("newsletter") && first.contains("campaign spring"),
        "{first}"
    );
    assert!(text_of(c, "#identified").await.contains("browser"));
    let conversions = text_of(c, "#conversions tbody").await;
    assert!(
        conversions.contains("49.00 EUR") && conversions.contains("O-1"),
        "{conversions}"
    );
    shot(&owner_browser, 16, "lead").await;
    owner_browser.close().await.unwrap();
}
