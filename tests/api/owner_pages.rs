//! A first-time owner's path through the people pages (issue #12): a lead
//! hashed in the browser explains itself and takes a name and email an admin
//! knows (sealed, audited, exported, moved by a correction, erased); a
//! privacy lookup is no request and receipts read in words. Attribution and
//! funnels are in `owner_reports`.

use serde_json::{Value, json};
use touchpoint::{
    domain::{ConsentMode, Role},
    privacy::{ids, sha256_hex},
};

use crate::helpers::{CHROME, MIN, T0, TestApp, spawn_app};

const DAY: u64 = 24 * 60 * MIN;
const UID: &str = "cleo-uid-00000000001";

pub(crate) async fn send(app: &TestApp, body: Value, ua: &str, ip: &str) {
    let r = app
        .post_raw(&body.to_string(), ua, &[("x-forwarded-for", ip)])
        .await;
    assert_eq!(r.status().as_u16(), 202, "{body}");
    assert!(r.headers().get("x-touchpoint-refused").is_none(), "{body}");
}

/// Cleo accepts, lands from a paid campaign and, two days later, leaves her
/// email in the "newsletter" form: a lead known only by a hash.
pub(crate) async fn browser_lead() -> (TestApp, String) {
    let app = spawn_app().await;
    app.edit_site(|s| s.consent_mode = ConsentMode::CookielessUntilConsent);
    let cleo = |n: &str, url: &str| json!({"n": n, "u": url, "d": "example.com", "uid": UID});
    let mut accept = cleo("consent", "https://example.com/");
    accept["c"] = json!({"d": "accept", "v": "1", "m": "banner"});
    send(&app, accept, CHROME, "198.51.100.7").await;
    let landing =
        "https://example.com/?utm_source=google&utm_medium=cpc&utm_campaign=spring&gclid=x";
    send(&app, cleo("pageview", landing), CHROME, "198.51.100.7").await;
    app.clock.set_ms(T0 + 2 * DAY);
    send(
        &app,
        cleo("pageview", "https://example.com/news"),
        CHROME,
        "198.51.100.7",
    )
    .await;
    let mut lead = cleo("lead", "https://example.com/news");
    lead["l"] = json!({"e": sha256_hex(b"cleo@example.com")});
    lead["p"] = json!({"form": "newsletter"});
    send(&app, lead, CHROME, "198.51.100.7").await;
    let id = ids::lead_email_index(&app.state.auth.keys, &sha256_hex(b"cleo@example.com"));
    (app, id)
}

pub(crate) fn actions(app: &TestApp, action: &str) -> Vec<String> {
    app.state
        .store
        .audit_log(app.acme(), 200)
        .unwrap()
        .iter()
        .filter(|e| e.action == action)
        .map(|e| app.state.auth.audit_detail(e))
        .collect()
}

#[tokio::test]
async fn a_lead_hashed_in_the_browser_says_so_and_shows_its_first_visit_form_and_score() {
    let (app, id) = browser_lead().await;
    app.edit_site(|s| {
        s.scoring = serde_json::from_value(json!({"rules": [
            {"heading": "engagement", "when": {"event": "lead"}, "points": 30}]}))
        .unwrap();
    });
    let (mut analyst, _) = app.member("ana@acme.test", Role::Analyst, app.acme()).await;
    let (_, _, list) = analyst.get("/sites/example.com/leads").await;
    assert!(
        list.contains(&format!("Hashed lead {}", &id[..12])),
        "{list}"
    );
    assert!(
        list.contains("id=\"hashed-note\"") && list.contains("never saw the address"),
        "{list}"
    );
    let (status, _, profile) = analyst.get(&format!("/sites/example.com/leads/{id}")).await;
    assert_eq!(status, 200);
    assert!(profile.contains("hashed there (SHA-256)"), "{profile}");
    assert!(
        profile.contains("<dd id=\"form\">newsletter</dd>"),
        "{profile}"
    );
    let first = profile.split("id=\"first-visit\">").nth(1).unwrap();
    let first = first.split("</dd>").next().unwrap();
    assert!(
        first.contains("Paid Search") && first.contains("spring") && first.contains("2024-03-15"),
        "{first}"
    );
    assert!(
        profile.contains("<dd id=\"score\">30 (fit 0, engagement 30)</dd>"),
        "{profile}"
    );
    assert!(
        !profile.contains("id=\"attach\""),
        "analysts can't attach: {profile}"
    );
}

#[tokio::test]
async fn an_admin_attaches_a_name_and_the_leads_own_email_sealed_audited_exported_and_erased() {
    let (app, id) = browser_lead().await;
    let page = format!("/sites/example.com/leads/{id}");
    let attach = format!("{page}/contact");
    let (mut analyst, _) = app.member("ana@acme.test", Role::Analyst, app.acme()).await;
    analyst.get(&page).await;
    let (status, _, _) = analyst.post(&attach, &[("name", "Cleo")]).await;
    assert_eq!(status, 403, "analysts see, admins attach");
    let (mut admin, _) = app.member("adam@acme.test", Role::Admin, app.acme()).await;
    let (_, _, profile) = admin.get(&page).await;
    assert!(profile.contains("id=\"attach\""), "{profile}");
    // Someone else's address is refused, and nothing is kept.
    let (status, _, refused) = admin
        .post(
            &attach,
            &[("name", "Cleo Dupont"), ("email", "bob@example.com")],
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        refused.contains("bob@example.com is not this lead&#39;s address")
            || refused.contains("bob@example.com is not this lead's address"),
        "{refused}"
    );
    let lead = |app: &TestApp, id: &str| {
        let id: [u8; 32] = hex::decode(id).unwrap().try_into().unwrap();
        app.state
            .store
            .lead(touchpoint::domain::SiteId(1), &id)
            .unwrap()
    };
    assert!(lead(&app, &id).unwrap().name_sealed.is_none());
    // Her own, typed as she might write it.
    let (status, to, _) = admin
        .post(
            &attach,
            &[("name", "Cleo Dupont"), ("email", " Cleo@Example.com ")],
        )
        .await;
    assert_eq!((status.as_u16(), to.as_str()), (303, page.as_str()));
    let (_, _, profile) = analyst.get(&page).await;
    assert!(
        profile.contains("Cleo Dupont (cleo@example.com)"),
        "{profile}"
    );
    let (_, _, list) = analyst.get("/sites/example.com/leads").await;
    assert!(list.contains("Cleo Dupont (cleo@example.com)"), "{list}");
    // Sealed at rest: not in the store's file; audited without the values.
    let file = std::fs::read(app.data_dir.path().join("touchpoint.redb")).unwrap();
    assert!(!file.windows(11).any(|w| w == b"Cleo Dupont"));
    // A rekey re-seals the name: the registry lists it.
    let mut seen = Vec::new();
    app.state
        .store
        .reseal(
            touchpoint::store::SealedTable::Leads,
            &mut |aads, _| {
                seen.extend(aads.iter().cloned());
                Ok(None)
            },
            &mut || {},
        )
        .unwrap();
    assert!(seen.contains(&touchpoint::privacy::aad::lead_name(&id)));
    let attached = actions(&app, "lead_contact_attached");
    assert_eq!(attached.len(), 1);
    assert!(attached[0].contains("name and email attached") && !attached[0].contains("Cleo"));
    assert!(
        actions(&app, "lead_pii_viewed")
            .iter()
            .any(|d| d.contains("2 emails or names shown"))
    );

    // Exported in clear, with the rest of the lead.
    let who = [("kind", "lead"), ("value", id.as_str())];
    admin.get("/sites/example.com/privacy").await;
    let (status, _, body) = admin.post("/sites/example.com/privacy/export", &who).await;
    assert_eq!(status, 200);
    let doc: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(doc["leads"][0]["name"], "Cleo Dupont", "{doc}");
    assert_eq!(doc["leads"][0]["email"], "cleo@example.com");
    // A corrected email moves the lead; the name goes with it.
    let (status, _, _) = admin
        .post(
            "/sites/example.com/privacy/rectify",
            &[
                ("kind", "lead"),
                ("value", &id),
                ("new_email", "cleo.d@example.com"),
            ],
        )
        .await;
    assert_eq!(status, 200);
    let moved = ids::lead_email_index(&app.state.auth.keys, &sha256_hex(b"cleo.d@example.com"));
    assert!(lead(&app, &id).is_none());
    let (_, _, profile) = analyst
        .get(&format!("/sites/example.com/leads/{moved}"))
        .await;
    assert!(profile.contains("<h2>Cleo Dupont</h2>"), "{profile}");
    // Erased with the lead.
    let (status, _, _) = admin
        .post(
            "/sites/example.com/privacy/erase",
            &[("kind", "lead"), ("value", &moved), ("confirm", "erase")],
        )
        .await;
    assert_eq!(status, 200);
    assert!(lead(&app, &moved).is_none());
}

#[tokio::test]
async fn a_privacy_lookup_is_audited_but_no_request_and_receipts_name_tables_in_words() {
    let (app, id) = browser_lead().await;
    let (mut owner, _) = app.member("olga@acme.test", Role::Owner, app.acme()).await;
    owner.get("/sites/example.com/privacy").await;
    let who = [("kind", "lead"), ("value", id.as_str())];
    let (status, _, page) = owner.post("/sites/example.com/privacy/lookup", &who).await;
    assert_eq!(status, 200);
    assert!(page.contains("id=\"found\""), "{page}");
    assert!(
        app.state.store.requests(app.acme()).unwrap().is_empty(),
        "exploring logs no request"
    );
    assert_eq!(actions(&app, "subject_lookup").len(), 1);
    // Asked to, a lookup answers an access request.
    let mut logged = who.to_vec();
    logged.push(("log", "1"));
    let (_, _, page) = owner
        .post("/sites/example.com/privacy/lookup", &logged)
        .await;
    let reqs = app.state.store.requests(app.acme()).unwrap();
    assert_eq!(reqs.len(), 1);
    assert_eq!(
        (reqs[0].kind.as_str(), reqs[0].completed_ms.is_some()),
        ("access", true)
    );
    assert!(
        page.contains(&format!("completing access request #{}", reqs[0].id)),
        "{page}"
    );
    // The erasure's receipt and the request log read in words.
    let mut erase = who.to_vec();
    erase.push(("confirm", "erase"));
    let (_, _, page) = owner.post("/sites/example.com/privacy/erase", &erase).await;
    assert!(page.contains("(visits 2, consent records 1, consent in force 1, lead identifiers 1, leads 1, conversions 1, order ids 0)"), "{page}");
    let requests = page
        .split("id=\"requests\"")
        .nth(1)
        .unwrap()
        .split("</table>")
        .next()
        .unwrap();
    assert!(
        requests.contains("visits 2, consent records 1"),
        "{requests}"
    );
    assert!(!page.contains("_v1") && !page.contains("_v2"), "{page}");
}
