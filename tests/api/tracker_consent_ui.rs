//! The consent-aware tracker (`/js/tp.full.js`) in headless Chromium:
//! `require` sends nothing before the visitor decides, an accept sets the
//! first-party id and form fields leave the page only as SHA-256 digests, a
//! decline sends no id, and Global Privacy Control outranks an accept.

use std::time::Duration;

use fantoccini::Locator;
use serde_json::Value;
use touchpoint::domain::{ConsentMode, SiteId};

use crate::{
    browser::Browser,
    helpers::spawn_app,
    tracker_ui::{js, site_with},
    ui_steps::{click, type_into},
};

pub(crate) const FORM: &str = r#"<form id="contact" data-tp-form>
<input type="email" name="email" id="email"><input type="tel" name="phone" id="phone">
<button id="send">Send</button></form>
<script>document.getElementById('contact').addEventListener('submit', function (e) { e.preventDefault(); });</script>"#;

fn digest(s: &str) -> String {
    touchpoint::privacy::sha256_hex(s.as_bytes())
}

#[tokio::test]
async fn require_mode_waits_for_a_decision_and_forms_leave_the_page_only_as_digests() {
    let browser = Browser::start()
        .await
        .expect("browser starts (needs chromium and chromium-driver: .ci/run installs them)");
    let app = spawn_app().await;
    app.edit_site(|s| {
        s.consent_mode = ConsentMode::Require;
        s.policy_version = "3".into();
    });
    let banner = format!(
        r#"<script defer src="{}/js/tp-consent.js" data-text="May we count you?" data-policy-url="/privacy"></script>"#,
        app.url
    );
    let site = site_with(
        &app.url,
        "tp.full.js",
        r#" data-consent="require" data-policy="3" data-forms="marked""#,
        &banner,
        FORM,
    )
    .await;
    let c = &browser.client;
    c.goto(&format!("{}/contact", site.url)).await.unwrap();
    js(c, "tp('event', 'Early')").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        site.all().is_empty(),
        "nothing before the decision: {:?}",
        site.all()
    );

    // The banner: a labelled region with a policy link and two real buttons.
    let region = c
        .find(Locator::Css("#tp-consent[role=region]"))
        .await
        .unwrap();
    assert_eq!(
        region.attr("aria-label").await.unwrap().as_deref(),
        Some("Privacy choices")
    );
    assert!(region.text().await.unwrap().contains("May we count you?"));
    let link = c.find(Locator::Css("#tp-consent a")).await.unwrap();
    assert!(
        link.attr("href")
            .await
            .unwrap()
            .unwrap()
            .ends_with("/privacy")
    );
    browser.screenshot("consent-banner").await.unwrap();
    c.find(Locator::Css("button[data-tp-choice=accept]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert!(
        c.find(Locator::Id("tp-consent")).await.is_err(),
        "the banner goes away"
    );
    let all = site
        .wait_for("held events after accept", 1, |b| b["n"] == "Early")
        .await;
    let record = all
        .iter()
        .find(|b| b["n"] == "consent")
        .expect("a consent record");
    assert_eq!(
        (&record["c"]["d"], &record["c"]["v"], &record["c"]["m"]),
        (&"accept".into(), &"3".into(), &"banner".into())
    );
    let uid = record["uid"]
        .as_str()
        .expect("an id after accept")
        .to_owned();
    assert_eq!(uid.len(), 32);
    site.wait_for("the held pageview", 1, |b| b["n"] == "pageview")
        .await;
    assert!(
        site.all()
            .iter()
            .filter(|b| b["n"] != "consent")
            .all(|b| b["uid"] == uid.as_str())
    );
    let cookie = c.get_named_cookie("_tp_uid").await.unwrap();
    assert_eq!(cookie.value(), uid);
    let saved = c
        .execute("return localStorage._tp_consent", vec![])
        .await
        .unwrap();
    let stored: Value = serde_json::from_str(saved.as_str().unwrap()).unwrap();
    assert_eq!(
        (&stored["d"], &stored["v"]),
        (&"accept".into(), &"3".into())
    );

    // A marked form: typed values never leave the page, their digests do.
    type_into(c, "#email", "  Ada@Example.COM ").await;
    type_into(c, "#phone", "+49 151 1234-5678").await;
    click(c, "#send").await;
    let all = site.wait_for("lead", 1, |b| b["n"] == "lead").await;
    let lead = all.iter().find(|b| b["n"] == "lead").unwrap();
    assert_eq!(lead["l"]["e"], digest("ada@example.com"));
    assert_eq!(lead["l"]["p"], digest("+4915112345678"));
    assert_eq!(lead["p"]["form"], "contact");
    let raw = site.bodies.lock().unwrap().join("\n");
    for typed in [
        "Ada@Example",
        "ada@example.com",
        "1234-5678",
        "4915112345678",
    ] {
        assert!(!raw.contains(typed), "{typed} left the page");
    }
    // The server kept the lead, keyed, under the consenting id.
    let subject = app.state.auth.keys.blind_index(
        "consent-subject",
        &[&1u32.to_be_bytes()[..], uid.as_bytes()].concat(),
    );
    let mut kept = false;
    for _ in 0..50 {
        kept = app
            .state
            .store
            .lead_identity(SiteId(1), &subject)
            .unwrap()
            .is_some();
        if kept {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        kept,
        "lead kept; consent log: {:?}",
        app.state.store.consent_log(SiteId(1)).unwrap()
    );

    // A new visitor who declines: cookieless from then on.
    js(
        c,
        "localStorage.clear(); document.cookie = '_tp_uid=; max-age=0; path=/'",
    )
    .await;
    site.bodies.lock().unwrap().clear();
    c.refresh().await.unwrap();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert!(site.all().is_empty(), "nothing before the decision");
    c.find(Locator::Css("button[data-tp-choice=decline]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    site.wait_for("pageview after decline", 1, |b| b["n"] == "pageview")
        .await;
    js(c, "tp('identify', {email: 'bob@example.com'})").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let all = site.all();
    assert!(
        all.iter()
            .all(|b| b.get("uid").is_none() && b.get("l").is_none()),
        "{all:?}"
    );
    assert!(
        c.get_named_cookie("_tp_uid").await.is_err(),
        "no id cookie after decline"
    );
    assert!(
        site.rejected.lock().unwrap().is_empty(),
        "{:?}",
        site.rejected
    );
    browser.close().await.unwrap();
    let log = app.state.store.consent_log(SiteId(1)).unwrap();
    let decisions: Vec<String> = log.iter().map(|e| format!("{:?}", e.decision)).collect();
    assert_eq!(decisions, ["Accept", "Decline"]);
}

#[tokio::test]
async fn global_privacy_control_is_a_decline_that_an_accept_cannot_override() {
    let browser = Browser::start()
        .await
        .expect("browser starts (needs chromium and chromium-driver: .ci/run installs them)");
    let app = spawn_app().await;
    app.edit_site(|s| s.consent_mode = ConsentMode::CookielessUntilConsent);
    let gpc =
        "<script>Object.defineProperty(navigator, 'globalPrivacyControl', {value: true});</script>";
    let site = site_with(
        &app.url,
        "tp.full.js",
        r#" data-consent="cookieless-until-consent""#,
        gpc,
        "",
    )
    .await;
    let c = &browser.client;
    c.goto(&site.url).await.unwrap();
    let all = site.wait_for("pageview", 1, |b| b["n"] == "pageview").await;
    let record = all
        .iter()
        .find(|b| b["n"] == "consent")
        .expect("GPC is recorded as a decline");
    assert_eq!(
        (&record["c"]["d"], &record["c"]["m"]),
        (&"decline".into(), &"gpc".into())
    );
    js(c, "tp('consent', 'accept'); tp('event', 'After')").await;
    site.wait_for("event", 1, |b| b["n"] == "After").await;
    let all = site.all();
    assert!(
        all.iter().all(|b| b.get("uid").is_none()),
        "no id under GPC: {all:?}"
    );
    assert_eq!(
        all.iter().filter(|b| b["n"] == "consent").count(),
        1,
        "the accept was ignored"
    );
    assert!(c.get_named_cookie("_tp_uid").await.is_err());
    assert!(
        site.rejected.lock().unwrap().is_empty(),
        "{:?}",
        site.rejected
    );
    browser.close().await.unwrap();
    assert_eq!(
        app.aggregate(&["pageviews"], serde_json::json!("day"))
            .await[0],
        1,
        "counted cookieless"
    );
}

#[tokio::test]
async fn a_decision_counts_only_for_the_policy_version_it_was_made_under() {
    let browser = Browser::start()
        .await
        .expect("browser starts (needs chromium and chromium-driver: .ci/run installs them)");
    let app = spawn_app().await;
    app.edit_site(|s| s.consent_mode = ConsentMode::Require);
    let banner = format!(
        r#"<script defer src="{}/js/tp-consent.js"></script>"#,
        app.url
    );
    let site = site_with(
        &app.url,
        "tp.full.js",
        r#" data-consent="require" data-policy="4""#,
        &banner,
        "",
    )
    .await;
    let c = &browser.client;
    c.goto(&site.url).await.unwrap();
    for (stored, sends) in [("3", false), ("4", true)] {
        js(
            c,
            &format!(
                "localStorage._tp_consent = JSON.stringify({{d: 'accept', t: 0, v: '{stored}'}})"
            ),
        )
        .await;
        c.refresh().await.unwrap();
        tokio::time::sleep(Duration::from_millis(1000)).await;
        let banner_shown = c.find(Locator::Id("tp-consent")).await.is_ok();
        assert_eq!(banner_shown, !sends, "policy {stored}: banner");
        assert_eq!(
            !site.all().is_empty(),
            sends,
            "policy {stored}: sent {:?}",
            site.all()
        );
    }
    browser.close().await.unwrap();
}
