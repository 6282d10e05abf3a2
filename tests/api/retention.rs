//! Retention purges with a controllable clock: a site's visits, consent
//! records and lead identifiers go when older than its retention (24 months
//! at most, counted in whole local days), in bounded batches, with their days'
//! rollups unless the site keeps aggregates; each purge leaves a receipt.

use serde_json::{Value, json};
use touchpoint::{
    domain::SiteId, privacy::retention, stats::rollup::roll_up_all, store::PersonTable,
};

use crate::helpers::{CHROME, MIN, T0, TestApp, spawn_app_with};

const DAY: u64 = 24 * 60 * MIN;

/// Three visitors and a consent record on 2024-03-15 (T0).
async fn seeded() -> TestApp {
    // Tiny batches, so a purge takes several transactions.
    let app = spawn_app_with(&[("TOUCHPOINT__PRIVACY__PURGE_BATCH_ROWS", "2")]).await;
    for ip in ["203.0.113.1", "203.0.113.2", "203.0.113.3"] {
        app.pageview("/", CHROME, ip).await;
    }
    let decline = json!({"n": "consent", "u": "https://example.com/", "d": "example.com",
        "c": {"d": "decline", "v": "1", "m": "banner"}});
    let res = app
        .post_raw(
            &decline.to_string(),
            CHROME,
            &[("x-forwarded-for", "203.0.113.1")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 202);
    // Roll up the day, as the job would.
    app.clock.set_ms(T0 + 2 * DAY);
    roll_up_all(&app.state.store, app.clock.now_ms()).unwrap();
    app
}

fn purge(app: &TestApp) -> retention::PurgeReceipt {
    let r = retention::run(&app.state.auth, &app.state.store, 24, 2, app.clock.now_ms()).unwrap();
    r.into_iter().find(|r| r.site == "example.com").unwrap()
}

async fn visitors_on_t0(app: &TestApp) -> Value {
    app.results(json!({"site_id": "example.com", "metrics": ["visitors"],
        "date_range": ["2024-03-15", "2024-03-15"]}))
        .await[0]["metrics"][0]
        .clone()
}

#[tokio::test]
async fn data_older_than_24_months_goes_and_younger_stays() {
    let app = seeded().await;
    // 2026-03-14: 24 months less a day after the visits. Nothing goes.
    app.clock.set_ms(T0 + (365 + 364) * DAY);
    let kept = purge(&app);
    assert_eq!(kept.kept_from, "2024-03-14");
    assert_eq!(kept.total(), 0, "{kept:?}");
    assert_eq!(visitors_on_t0(&app).await, 3);

    // 2026-03-16: 24 months and a day. Visits, consent records and the
    // day's rollups go, in batches of two.
    app.clock.set_ms(T0 + (365 + 366) * DAY);
    let gone = purge(&app);
    assert_eq!(gone.kept_from, "2024-03-16");
    assert_eq!(gone.rows[&PersonTable::Sessions], 3, "{gone:?}");
    assert_eq!(gone.rows[&PersonTable::Consents], 1, "{gone:?}");
    // ClickHouse keeps no rollups (see the README).
    assert_eq!(
        gone.rollups > 0,
        crate::helpers::engine_from_env() == "embedded",
        "{gone:?}"
    );
    assert_eq!(visitors_on_t0(&app).await, 0);
    assert!(app.state.store.consent_log(SiteId(1)).unwrap().is_empty());

    // The receipt is in the workspace's audit log and on the site.
    let log = app.state.store.audit_log(app.acme(), 50).unwrap();
    let detail: Value = log
        .iter()
        .filter(|e| e.action == "purge")
        .map(|e| serde_json::from_str::<Value>(&app.state.auth.audit_detail(e)).unwrap())
        .find(|d| d["site"] == "example.com")
        .expect("a receipt");
    assert_eq!(detail["rows"]["sessions"], 3, "{detail}");
    let last = app.state.store.last_purge(SiteId(1)).unwrap().unwrap();
    assert!(last.contains("\"kept_from\":\"2024-03-16\""), "{last}");

    // Nothing left: another run deletes nothing.
    assert_eq!(purge(&app).total(), 0);
}

#[tokio::test]
async fn a_site_can_keep_less_and_keep_anonymous_aggregates() {
    let app = seeded().await;
    app.edit_site(|s| {
        s.retention_months = Some(6);
        s.keep_aggregates = true;
    });
    // 2024-09-14: six months less a day.
    app.clock.set_ms(T0 + 183 * DAY);
    assert_eq!(purge(&app).total(), 0);
    // 2024-09-16: six months and a day. Visits go; the day's totals stay.
    app.clock.set_ms(T0 + 185 * DAY);
    let gone = purge(&app);
    assert_eq!(gone.retention_months, 6);
    assert_eq!(gone.rows[&PersonTable::Sessions], 3);
    assert_eq!(gone.rollups, 0, "aggregates kept");
    // With ClickHouse there are no rollups to keep: the day is gone (README).
    let kept = if crate::helpers::engine_from_env() == "embedded" {
        3
    } else {
        0
    };
    assert_eq!(visitors_on_t0(&app).await, kept, "from the kept rollup");
    // A filtered view needs visits: there are none left.
    let filtered = app
        .results(json!({"site_id": "example.com", "metrics": ["visitors"],
            "date_range": ["2024-03-15", "2024-03-15"], "filters": [["is", "event:page", ["/"]]]}))
        .await;
    assert_eq!(filtered[0]["metrics"][0], 0);
}

/// A day kept in its segment only (cold) is counted, purged and leaves no
/// visit behind, as a day of rows does; its anonymous totals stay.
#[tokio::test]
async fn a_cold_day_is_counted_and_purged_like_any_other() {
    let app = seeded().await;
    app.edit_site(|s| {
        s.retention_months = Some(6);
        s.keep_aggregates = true;
    });
    app.clock.set_ms(T0 + 5 * DAY);
    roll_up_all(&app.state.store, app.clock.now_ms()).unwrap();
    let embedded = crate::helpers::engine_from_env() == "embedded";
    let cold = crate::helpers::cold_days(&app);
    assert_eq!(cold.is_empty(), !embedded, "{cold:?}");
    let page = json!({"site_id": "example.com", "metrics": ["visitors"],
        "date_range": ["2024-03-15", "2024-03-15"], "filters": [["is", "event:page", ["/"]]]});
    assert_eq!(app.results(page.clone()).await[0]["metrics"][0], 3);

    app.clock.set_ms(T0 + 185 * DAY);
    let counted = retention::purge_all(&app.state.store, 24, 2, app.clock.now_ms(), true).unwrap();
    let (_, r) = counted
        .iter()
        .find(|(s, _)| s.domain.as_str() == "example.com")
        .unwrap();
    assert_eq!(r.rows[&PersonTable::Sessions], 3);
    assert_eq!(visitors_on_t0(&app).await, 3, "a dry run deletes nothing");
    let gone = purge(&app);
    assert_eq!(gone.rows[&PersonTable::Sessions], 3, "{gone:?}");
    assert_eq!(app.results(page).await[0]["metrics"][0], 0);
    assert_eq!(visitors_on_t0(&app).await, if embedded { 3 } else { 0 });
    let view = app.state.store.read().unwrap();
    assert_eq!(view.session_count().unwrap(), 0);
    // The purged day's mark went; the empty days after it stay cold.
    let left = crate::helpers::cold_days(&app);
    assert!(cold.first().is_none_or(|d| !left.contains(d)), "{left:?}");
    drop(view);
    assert_eq!(purge(&app).total(), 0);
}

#[tokio::test]
async fn a_dry_run_counts_and_deletes_nothing() {
    let app = seeded().await;
    app.clock.set_ms(T0 + (365 + 366) * DAY);
    let counted = retention::purge_all(&app.state.store, 24, 2, app.clock.now_ms(), true).unwrap();
    let (_, r) = counted
        .iter()
        .find(|(s, _)| s.domain.as_str() == "example.com")
        .unwrap();
    assert!(r.dry_run);
    assert_eq!(r.rows[&PersonTable::Sessions], 3);
    assert_eq!(r.rows[&PersonTable::Consents], 1);
    assert_eq!(visitors_on_t0(&app).await, 3);
    assert_eq!(app.state.store.consent_log(SiteId(1)).unwrap().len(), 1);
    assert!(app.state.store.last_purge(SiteId(1)).unwrap().is_none());
}

#[tokio::test]
async fn admins_set_retention_on_the_settings_page_and_see_the_last_purge() {
    let app = seeded().await;
    let (mut web, admin) = app
        .member(
            "admin@acme.test",
            touchpoint::domain::Role::Admin,
            app.acme(),
        )
        .await;
    let (status, _, page) = web.get("/sites/example.com/settings").await;
    assert_eq!(status, 200);
    assert!(page.contains("No purge has run yet"), "{page}");
    let (status, _, page) = web
        .post("/sites/example.com/retention", &[("months", "30")])
        .await;
    assert_eq!(status, 400);
    assert!(page.contains("from 1 to 24"), "{page}");
    assert_eq!(app.example_site().retention_months, None, "unchanged");
    let (status, _, _) = web
        .post(
            "/sites/example.com/retention",
            &[("months", "6"), ("keep_aggregates", "1")],
        )
        .await;
    assert_eq!(status, 200);
    let site = app.example_site();
    assert_eq!(
        (site.retention_months, site.keep_aggregates),
        (Some(6), true)
    );

    app.clock.set_ms(T0 + 185 * DAY);
    purge(&app);
    // Months later: the login session is over, a new one is needed.
    let mut web = crate::web::WebClient::new(&app);
    web.login(&app, &admin).await;
    let (_, _, page) = web.get("/sites/example.com/settings").await;
    assert!(
        page.contains("Last purge 2024-09-16") && page.contains("kept from 2024-03-16"),
        "{page}"
    );
    assert!(page.contains("visits 3"), "{page}");
}

#[tokio::test]
async fn the_cli_dry_run_lists_what_would_go_and_purge_deletes_it() {
    let app = seeded().await;
    let dir = app.stop().await;
    // The binary runs on the real clock: 2024's visits are past 24 months.
    let dry = dir.run_ok(&["purge", "--dry-run"]);
    assert!(dry.contains("example.com: keeps 24 months"), "{dry}");
    assert!(dry.contains("would delete"), "{dry}");
    let line = |out: &str, table: &str| -> u64 {
        out.lines()
            .skip_while(|l| !l.starts_with("example.com"))
            .find(|l| l.trim_start().starts_with(table))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no {table} line in {out}"))
    };
    assert_eq!(line(&dry, "sessions_v1"), 3);
    assert_eq!(line(&dry, "consents_v1"), 1);
    let again = dir.run_ok(&["purge", "--dry-run"]);
    assert_eq!(line(&again, "sessions_v1"), 3, "a dry run deletes nothing");
    let done = dir.run_ok(&["purge"]);
    assert!(done.contains("deleted"), "{done}");
    assert_eq!(line(&done, "sessions_v1"), 3);
    let after = dir.run_ok(&["purge", "--dry-run"]);
    assert_eq!(line(&after, "sessions_v1"), 0);
}

#[tokio::test]
async fn the_record_of_a_consent_still_in_force_is_kept_as_its_proof() {
    let app = seeded().await;
    app.edit_site(|s| s.consent_mode = touchpoint::domain::ConsentMode::CookielessUntilConsent);
    app.clock.set_ms(T0);
    let accept = json!({"n": "consent", "u": "https://example.com/", "d": "example.com",
        "uid": "kept-proof-uid-0001", "c": {"d": "accept", "v": "1", "m": "banner"}});
    let r = app
        .post_raw(
            &accept.to_string(),
            CHROME,
            &[("x-forwarded-for", "203.0.113.4")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 202);
    assert_eq!(app.state.store.consent_log(SiteId(1)).unwrap().len(), 2);
    app.clock.set_ms(T0 + (365 + 366) * DAY);
    let gone = purge(&app);
    assert_eq!(
        gone.rows[&PersonTable::Consents],
        1,
        "only the decline goes"
    );
    let log = app.state.store.consent_log(SiteId(1)).unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].decision.as_str(), "accept");
}
