//! Identifiers and consent at the server: a first-party id and lead digests
//! are kept only for a site that allows identifiers and a visitor whose
//! accept is on record; decisions are logged; a decline withdraws them.

use serde_json::{Value, json};
use touchpoint::domain::{ConsentMode, SiteId};

use crate::helpers::{CHROME, IPHONE, TestApp, spawn_app};

const UID: &str = "Zx8_visitor-0001-abcdef";

fn digest(s: &str) -> String {
    touchpoint::privacy::sha256_hex(s.as_bytes())
}

async fn send(app: &TestApp, body: Value, ua: &str, ip: &str) -> (u16, Option<String>) {
    let r = app
        .post_raw(&body.to_string(), ua, &[("x-forwarded-for", ip)])
        .await;
    let refused = r
        .headers()
        .get("x-touchpoint-refused")
        .map(|v| v.to_str().unwrap().to_owned());
    (r.status().as_u16(), refused)
}

fn subject(app: &TestApp) -> [u8; 32] {
    let site = SiteId(1);
    app.state.auth.keys.blind_index(
        "consent-subject",
        &[&site.0.to_be_bytes()[..], UID.as_bytes()].concat(),
    )
}

fn pv(uid: Option<&str>) -> Value {
    let mut e = json!({"n": "pageview", "u": "https://example.com/", "d": "example.com"});
    if let Some(u) = uid {
        e["uid"] = json!(u);
    }
    e
}

#[tokio::test]
async fn identifiers_need_a_consenting_site_and_visitor_and_a_decline_withdraws_them() {
    let app = spawn_app().await;
    let lead = json!({"n": "lead", "u": "https://example.com/contact", "d": "example.com", "uid": UID,
        "p": {"form": "contact"}, "l": {"e": digest("ada@example.com"), "p": digest("+4915112345678")}});
    // Cookieless site: ids and digests are refused, the events still count.
    assert_eq!(
        send(&app, pv(Some(UID)), CHROME, "203.0.113.1").await,
        (202, Some("uid".into()))
    );
    assert_eq!(
        send(&app, lead.clone(), CHROME, "203.0.113.1").await,
        (202, Some("uid, lead".into()))
    );
    let mut no_uid = lead.clone();
    no_uid.as_object_mut().unwrap().remove("uid");
    assert_eq!(
        send(&app, no_uid, CHROME, "203.0.113.1").await,
        (202, Some("lead".into()))
    );

    // A site that asks for consent, before the visitor decided: still refused.
    app.edit_site(|s| {
        s.consent_mode = ConsentMode::Require;
        s.policy_version = "3".into();
    });
    assert_eq!(
        send(&app, pv(Some(UID)), CHROME, "203.0.113.1").await,
        (202, Some("uid".into()))
    );
    let claim = |d: &str, v: &str, m: &str| json!({"n": "consent", "u": "https://example.com/", "d": "example.com", "uid": UID, "c": {"d": d, "v": v, "m": m}});
    // An accept for another policy version, or claimed from a privacy signal, is logged but grants nothing.
    for (v, m) in [("2", "banner"), ("3", "gpc")] {
        assert_eq!(
            send(&app, claim("accept", v, m), CHROME, "203.0.113.1").await,
            (202, None)
        );
        assert_eq!(
            send(&app, pv(Some(UID)), CHROME, "203.0.113.1").await,
            (202, Some("uid".into())),
            "{v} {m}"
        );
    }
    let consent = |d: &str| claim(d, "3", "banner");
    let before = app.aggregate(&["events"], json!("day")).await[0].clone();
    assert_eq!(
        send(&app, consent("accept"), CHROME, "203.0.113.1").await,
        (202, None)
    );
    assert_eq!(
        app.aggregate(&["events"], json!("day")).await[0],
        before,
        "a consent record is not an event"
    );
    let log = app.state.store.consent_log(SiteId(1)).unwrap();
    assert_eq!(log.len(), 3, "every claim is logged");
    assert_eq!((log[2].policy.as_str(), log[2].subject.len()), ("3", 64));

    // Accepted: the id is the visitor (two devices, one visitor) and digests are kept, keyed.
    assert_eq!(
        send(&app, pv(Some(UID)), CHROME, "198.51.100.1").await,
        (202, None)
    );
    assert_eq!(
        send(&app, pv(Some(UID)), IPHONE, "198.51.100.2").await,
        (202, None)
    );
    // The cookieless visitor from 203.0.113.1 plus one for the id, not one per device.
    assert_eq!(app.aggregate(&["visitors"], json!("day")).await[0], 2);
    assert_eq!(
        send(&app, lead.clone(), CHROME, "198.51.100.1").await,
        (202, None)
    );
    let id = app
        .state
        .store
        .lead_identity(SiteId(1), &subject(&app))
        .unwrap()
        .unwrap();
    assert_eq!(id.email.as_ref().unwrap().len(), 64);
    assert_ne!(
        id.email.as_deref(),
        Some(digest("ada@example.com").as_str()),
        "stored keyed, not as sent"
    );
    app.state.store.probe_write().unwrap();
    let file = std::fs::read(app.data_dir.path().join(touchpoint::store::FILE_NAME)).unwrap();
    for needle in [digest("ada@example.com"), UID.to_owned()] {
        assert!(
            !file.windows(needle.len()).any(|w| w == needle.as_bytes()),
            "{needle} stored as sent"
        );
    }

    // Decline: consent and identifiers are withdrawn.
    assert_eq!(
        send(&app, consent("decline"), CHROME, "198.51.100.1").await,
        (202, None)
    );
    assert!(
        app.state
            .store
            .lead_identity(SiteId(1), &subject(&app))
            .unwrap()
            .is_none()
    );
    assert_eq!(
        send(&app, pv(Some(UID)), CHROME, "198.51.100.1").await,
        (202, Some("uid".into()))
    );
    assert_eq!(app.state.store.consent_log(SiteId(1)).unwrap().len(), 4);
    // A new policy version voids the accept it was given under.
    assert_eq!(
        send(&app, consent("accept"), CHROME, "198.51.100.1").await,
        (202, None)
    );
    assert_eq!(
        send(&app, pv(Some(UID)), CHROME, "198.51.100.1").await,
        (202, None)
    );
    app.edit_site(|s| s.policy_version = "4".into());
    assert_eq!(
        send(&app, pv(Some(UID)), CHROME, "198.51.100.1").await,
        (202, Some("uid".into()))
    );
}

#[tokio::test]
async fn plain_identifiers_and_bad_consent_records_are_rejected() {
    let app = spawn_app().await;
    for (case, body, field) in [
        (
            "plain email",
            json!({"n": "lead", "u": "https://example.com/", "d": "example.com", "l": {"e": "ada@example.com"}}),
            "l",
        ),
        (
            "consent without decision",
            json!({"n": "consent", "u": "https://example.com/", "d": "example.com"}),
            "c",
        ),
        (
            "bad uid",
            json!({"n": "pageview", "u": "https://example.com/", "d": "example.com", "uid": "x"}),
            "uid",
        ),
    ] {
        let r = app.post_raw(&body.to_string(), CHROME, &[]).await;
        assert_eq!(r.status(), 400, "{case}");
        let err: Value = r.json().await.unwrap();
        assert!(err["errors"][field].is_string(), "{case}: {err}");
    }
    assert_eq!(app.aggregate(&["events"], json!("day")).await[0], 0);
}
