//! Data-subject requests on the privacy page: an owner finds a consenting
//! visitor by the email they gave (typed plainly, matched through the keyed
//! index), exports everything held about them as JSON, and erases it: no row
//! references them afterwards, Stats API totals drop, the receipt's counts
//! match, and nobody else's data is touched. Also the request log, the
//! consent log with its CSV, and who may use the page.

use serde_json::{Value, json};
use touchpoint::{
    domain::{ConsentMode, Role, SiteId},
    privacy::ids,
    stats::rollup::roll_up_all,
};

use crate::helpers::{CHROME, IPHONE, MIN, T0, TestApp, spawn_app};

const UID: &str = "Jane-uid-0001-abcdef";

fn digest(s: &str) -> String {
    touchpoint::privacy::sha256_hex(s.as_bytes())
}

async fn send(app: &TestApp, body: Value, ua: &str, ip: &str) {
    let r = app
        .post_raw(&body.to_string(), ua, &[("x-forwarded-for", ip)])
        .await;
    assert_eq!(r.status().as_u16(), 202);
    assert!(r.headers().get("x-touchpoint-refused").is_none(), "{body}");
}

/// Jane accepts, browses on two devices and leaves her email in a form;
/// Bob browses cookieless.
async fn seeded() -> TestApp {
    let app = spawn_app().await;
    app.edit_site(|s| s.consent_mode = ConsentMode::CookielessUntilConsent);
    let at = |path: &str| format!("https://example.com{path}");
    send(
        &app,
        json!({"n": "consent", "u": at("/"), "d": "example.com", "uid": UID,
        "c": {"d": "accept", "v": "1", "m": "banner"}}),
        CHROME,
        "198.51.100.1",
    )
    .await;
    for (path, ua, ip) in [
        ("/", CHROME, "198.51.100.1"),
        ("/pricing", IPHONE, "198.51.100.2"),
    ] {
        send(
            &app,
            json!({"n": "pageview", "u": at(path), "d": "example.com", "uid": UID}),
            ua,
            ip,
        )
        .await;
    }
    send(&app, json!({"n": "lead", "u": at("/contact"), "d": "example.com", "uid": UID,
        "p": {"form": "contact"}, "l": {"e": digest("jane@example.com"), "p": digest("+442079460958")}}),
        CHROME, "198.51.100.1").await;
    app.pageview("/", CHROME, "203.0.113.7").await;
    app.pageview("/blog", CHROME, "203.0.113.7").await;
    app
}

fn subject(app: &TestApp) -> [u8; 32] {
    ids::consent_subject(&app.state.auth.keys, SiteId(1), UID)
}

#[tokio::test]
async fn an_owner_finds_exports_and_erases_a_person_and_gets_a_receipt() {
    find_export_and_erase(2).await;
}

/// The same, the day cold: its visits kept in its day segment only.
#[tokio::test]
async fn an_owner_finds_exports_and_erases_a_person_on_a_cold_day() {
    find_export_and_erase(5).await;
}

/// An owner's data-subject flow, `days_later` days after the visits.
async fn find_export_and_erase(days_later: u64) {
    let app = seeded().await;
    // Roll the day up first: erasure must also correct rolled-up totals.
    app.clock.set_ms(T0 + days_later * 24 * 60 * MIN);
    roll_up_all(&app.state.store, app.clock.now_ms()).unwrap();
    let cold = crate::helpers::cold_days(&app);
    // Visits on ClickHouse have no cold days (nor rollups).
    let embedded = crate::helpers::engine_from_env() == "embedded";
    assert_eq!(cold.is_empty(), days_later < 3 || !embedded, "{cold:?}");
    let day = json!(["2024-03-15", "2024-03-15"]);
    assert_eq!(
        app.aggregate(&["visitors", "pageviews"], day.clone()).await,
        [json!(2), json!(4)]
    );

    let (mut web, _) = app.member("owner@acme.test", Role::Owner, app.acme()).await;
    let (status, _, page) = web.get("/sites/example.com/privacy").await;
    assert_eq!(status, 200);
    assert!(page.contains("Find a person"), "{page}");

    // Look up by the email as the person wrote it.
    let who = [("kind", "email"), ("value", " Jane@Example.com ")];
    let (status, _, page) = web.post("/sites/example.com/privacy/lookup", &who).await;
    assert_eq!(status, 200, "{page}");
    // Two devices at the same moment under one id: one visit.
    assert!(page.contains(": / → /pricing</p>"), "{page}");
    for (what, n) in [
        ("visits", 1),
        ("events", 3),
        ("consent records", 1),
        ("lead identifiers", 1),
    ] {
        assert!(
            page.contains(&format!(
                "<td class=\"label\">{what}</td><td class=\"num\">{n}</td>"
            )),
            "{what} {n}: {page}"
        );
    }

    // Export: one JSON document with the visits, events and consent.
    let (status, _, body) = web.post("/sites/example.com/privacy/export", &who).await;
    assert_eq!(status, 200);
    let doc: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(doc["identified_by"], "email");
    let visits = doc["visits"].as_array().unwrap();
    assert_eq!(visits.len(), 1);
    let mut pages: Vec<&str> = visits
        .iter()
        .flat_map(|v| v["events"].as_array().unwrap())
        .map(|e| e["page"].as_str().unwrap())
        .collect();
    pages.sort_unstable();
    assert_eq!(pages, ["/", "/contact", "/pricing"]);
    assert_eq!(doc["consent_records"][0]["decision"], "accept");
    assert_eq!(doc["lead_identifiers"].as_array().unwrap().len(), 1);
    assert!(!body.contains("jane@example.com") && !body.contains(&digest("jane@example.com")));
    // The same person by phone, and by their first-party id.
    for who in [
        [("kind", "phone"), ("value", "+44 20 7946 0958")],
        [("kind", "uid"), ("value", UID)],
    ] {
        let (_, _, body) = web.post("/sites/example.com/privacy/export", &who).await;
        let d: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(d["visits"].as_array().unwrap().len(), 1, "{who:?}");
    }

    // Erase needs the typed confirmation.
    let (status, _, _) = web.post("/sites/example.com/privacy/erase", &who).await;
    assert_eq!(status, 400);
    let mut confirmed = who.to_vec();
    confirmed.push(("confirm", "erase"));
    let (status, _, page) = web
        .post("/sites/example.com/privacy/erase", &confirmed)
        .await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains(
            "6 rows deleted (visits 1, consent records 1, consent in force 1, lead identifiers 1, leads 1, conversions 1, order ids 0)"
        ),
        "{page}"
    );

    // Nothing references her any more; Bob is untouched; totals dropped at once.
    let store = &app.state.store;
    let jane = ids::uid_visitor(&app.state.auth.keys, &subject(&app));
    let view = store.read().unwrap();
    let mut visitors = Vec::new();
    view.for_each_session(SiteId(1), 0, u64::MAX, |_, b| {
        visitors.push(
            touchpoint::store::record::SessionRecord::decode(b)
                .unwrap()
                .visitor,
        );
        std::ops::ControlFlow::Continue(())
    })
    .unwrap();
    assert_eq!(visitors.len(), 1, "Bob's visit stays");
    assert!(!visitors.contains(&jane));
    assert!(store.consent_log(SiteId(1)).unwrap().is_empty());
    assert!(
        store
            .lead_identity(SiteId(1), &subject(&app))
            .unwrap()
            .is_none()
    );
    assert!(!store.has_consent(SiteId(1), &subject(&app), "1").unwrap());
    assert_eq!(
        app.aggregate(&["visitors", "pageviews"], day.clone()).await,
        [json!(1), json!(2)]
    );
    // ...and stay right once the day is rolled up again.
    roll_up_all(store, app.clock.now_ms()).unwrap();
    assert_eq!(
        app.aggregate(&["visitors", "pageviews"], day).await,
        [json!(1), json!(2)]
    );

    // The receipt in the audit log has counts and no identifiers.
    let log = store.audit_log(app.acme(), 20).unwrap();
    let e = log.iter().find(|e| e.action == "subject_erasure").unwrap();
    let receipt: Value = serde_json::from_str(&app.state.auth.audit_detail(e)).unwrap();
    assert_eq!(
        receipt["rows"],
        json!({"consented_v2": 1, "consents_v1": 1, "conversions_v1": 1, "identities_v1": 1,
               "leads_v1": 1, "order_ids_v1": 0, "sessions_v1": 1})
    );
    assert!(!receipt.to_string().to_lowercase().contains("jane"));

    // The request log: export ×3, erasure, all completed (a lookup is no request).
    let reqs = store.requests(app.acme()).unwrap();
    let kinds: Vec<&str> = reqs.iter().rev().map(|r| r.kind.as_str()).collect();
    assert_eq!(kinds, ["export", "export", "export", "erasure"]);
    assert!(reqs.iter().all(|r| r.completed_ms.is_some()));
    // Looking her up again finds nothing.
    let (_, _, body) = web.post("/sites/example.com/privacy/export", &who).await;
    let d: Value = serde_json::from_str(&body).unwrap();
    assert!(d["visits"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn requests_received_by_mail_show_their_due_date_until_completed() {
    let app = seeded().await;
    let (mut web, _) = app.member("admin@acme.test", Role::Admin, app.acme()).await;
    let (status, to, _) = web
        .post(
            "/sites/example.com/privacy/requests",
            &[("kind", "erasure"), ("received", "2024-03-01")],
        )
        .await;
    assert_eq!(
        (status.as_u16(), to.as_str()),
        (303, "/sites/example.com/privacy")
    );
    let (_, _, page) = web.get("/sites/example.com/privacy").await;
    // Received 1 March, due 30 days later; still open on 15 March.
    assert!(page.contains("2024-03-31 00:00 UTC"), "{page}");
    assert!(page.contains(">open<"), "{page}");
    let id = app.state.store.requests(app.acme()).unwrap()[0]
        .id
        .to_string();
    let (status, _, _) = web
        .post(
            "/sites/example.com/privacy/erase",
            &[
                ("kind", "uid"),
                ("value", UID),
                ("confirm", "erase"),
                ("request", &id),
            ],
        )
        .await;
    assert_eq!(status, 200);
    let reqs = app.state.store.requests(app.acme()).unwrap();
    assert_eq!(
        reqs.len(),
        1,
        "the logged request was completed, not a new one"
    );
    assert_eq!(reqs[0].rows["sessions_v1"], 1);
    assert!(reqs[0].completed_ms.is_some());
    // Bob, cookieless, is erased by his visitor id while still browsing: his
    // open visit's next event goes with it, and nobody else's is lost.
    let view = app.state.store.read().unwrap();
    let mut bob = None;
    view.for_each_session(SiteId(1), 0, u64::MAX, |_, b| {
        let r = touchpoint::store::record::SessionRecord::decode(b).unwrap();
        if r.events.len() == 2 {
            bob = Some(r.visitor);
        }
        std::ops::ControlFlow::Continue(())
    })
    .unwrap();
    drop(view);
    let bob = format!("{:016x}", bob.expect("Bob's visit"));
    let (status, _, page) = web
        .post(
            "/sites/example.com/privacy/erase",
            &[("kind", "visitor"), ("value", &bob), ("confirm", "erase")],
        )
        .await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("(visits 1,"), "{page}");
    app.pageview("/again", CHROME, "203.0.113.7").await;
    app.pageview("/after", IPHONE, "203.0.113.8").await;
    let pages = app
        .results(json!({"site_id": "example.com", "metrics": ["pageviews"], "date_range": "day", "dimensions": ["event:page"]}))
        .await;
    let names: Vec<&str> = pages
        .iter()
        .map(|r| r["dimensions"][0].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"/after") && !names.contains(&"/again"),
        "{names:?}"
    );
    // A date in the future or a bad kind is refused.
    for form in [
        [("kind", "erasure"), ("received", "2030-01-01")],
        [("kind", "nope"), ("received", "2024-03-01")],
    ] {
        let (status, _, _) = web.post("/sites/example.com/privacy/requests", &form).await;
        assert_eq!(status, 400, "{form:?}");
    }
}

#[tokio::test]
async fn the_consent_log_is_listed_filtered_and_exported_as_csv_and_only_for_owners_and_admins() {
    let app = seeded().await;
    send(
        &app,
        json!({"n": "consent", "u": "https://example.com/", "d": "example.com",
        "c": {"d": "decline", "v": "1", "m": "gpc"}}),
        IPHONE,
        "203.0.113.9",
    )
    .await;
    let (mut web, _) = app.member("admin@acme.test", Role::Admin, app.acme()).await;
    let (_, _, page) = web.get("/sites/example.com/privacy?decision=decline").await;
    assert!(page.contains("1 shown of 2 records"), "{page}");
    assert!(page.contains("<td>gpc</td>"), "{page}");
    let (status, _, csv) = web.get("/sites/example.com/consents.csv").await;
    assert_eq!(status, 200);
    let mut rows = csv::Reader::from_reader(csv.as_bytes());
    let recs: Vec<csv::StringRecord> = rows.records().map(Result::unwrap).collect();
    assert_eq!(recs.len(), 2);
    assert_eq!((&recs[0][1], &recs[0][2]), ("accept", "banner"));
    assert_eq!((&recs[1][1], &recs[1][2]), ("decline", "gpc"));
    assert_eq!(recs[0][4].len(), 64, "the keyed subject, not an id");

    for role in [Role::Analyst, Role::Viewer] {
        let (mut w, _) = app
            .member(&format!("{}@acme.test", role.as_str()), role, app.acme())
            .await;
        for path in [
            "/sites/example.com/privacy",
            "/sites/example.com/consents.csv",
        ] {
            let (status, _, _) = w.get(path).await;
            assert_eq!(status, 403, "{role:?} {path}");
        }
        let (status, _, _) = w
            .post(
                "/sites/example.com/privacy/lookup",
                &[("kind", "uid"), ("value", UID)],
            )
            .await;
        assert_eq!(status, 403, "{role:?}");
    }
}

#[tokio::test]
async fn a_rectified_email_finds_the_person_and_the_old_one_no_longer_does() {
    let app = seeded().await;
    let (mut web, _) = app.member("admin@acme.test", Role::Admin, app.acme()).await;
    web.get("/sites/example.com/privacy").await;
    let visits = |body: &str| -> usize {
        let d: Value = serde_json::from_str(body).unwrap();
        d["visits"].as_array().unwrap().len()
    };
    let by = |email: &'static str| [("kind", "email"), ("value", email)];
    let (_, _, body) = web
        .post("/sites/example.com/privacy/export", &by("jane@example.com"))
        .await;
    assert_eq!(visits(&body), 1);
    // Nothing to correct with: refused.
    let mut form = by("jane@example.com").to_vec();
    let (status, _, _) = web.post("/sites/example.com/privacy/rectify", &form).await;
    assert_eq!(status, 400);
    form.push(("new_email", "Jane.Doe@Example.org"));
    let (status, _, page) = web.post("/sites/example.com/privacy/rectify", &form).await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("Corrected 1 lead record (request #"),
        "{page}"
    );
    let (_, _, body) = web
        .post(
            "/sites/example.com/privacy/export",
            &by("jane.doe@example.org"),
        )
        .await;
    assert_eq!(visits(&body), 1, "found by the corrected email");
    let (_, _, body) = web
        .post("/sites/example.com/privacy/export", &by("jane@example.com"))
        .await;
    assert_eq!(visits(&body), 0, "not by the old one");
    // Her phone was kept as it was.
    let (_, _, body) = web
        .post(
            "/sites/example.com/privacy/export",
            &[("kind", "phone"), ("value", "+442079460958")],
        )
        .await;
    assert_eq!(visits(&body), 1);
    let reqs = app.state.store.requests(app.acme()).unwrap();
    assert!(
        reqs.iter()
            .any(|r| r.kind.as_str() == "rectification" && r.rows["identities_v1"] == 1)
    );
}
