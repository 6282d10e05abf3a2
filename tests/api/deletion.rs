//! Deleting in two steps: a deleted site or workspace disappears at once
//! (ingest, dashboard, Stats API), and the purge job deletes it for good after
//! its grace period (sites 14 days, workspaces 30), until when a workspace can
//! be restored from the command line.

use serde_json::json;
use touchpoint::{domain::Role, privacy::retention};

use crate::helpers::{CHROME, MIN, T0, TestApp, spawn_app};

const DAY: u64 = 24 * 60 * MIN;

fn visits(app: &TestApp) -> usize {
    let view = app.state.store.read().unwrap();
    let mut n = 0;
    view.for_each_session(touchpoint::domain::SiteId(1), 0, u64::MAX, |_, _| {
        n += 1;
        std::ops::ControlFlow::Continue(())
    })
    .unwrap();
    n
}

fn purge(app: &TestApp) {
    retention::run(
        &app.state.auth,
        &app.state.store,
        24,
        1000,
        app.clock.now_ms(),
    )
    .unwrap();
}

async fn event_dropped(app: &TestApp) -> Option<String> {
    let r = app
        .post_raw(
            &json!({"n": "pageview", "u": "https://example.com/", "d": "example.com"}).to_string(),
            CHROME,
            &[("x-forwarded-for", "203.0.113.5")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 202);
    r.headers()
        .get("x-touchpoint-dropped")
        .map(|v| v.to_str().unwrap().to_owned())
}

#[tokio::test]
async fn a_deleted_site_is_gone_at_once_and_its_data_after_14_days() {
    let app = spawn_app().await;
    app.pageview("/", CHROME, "203.0.113.1").await;
    let (mut owner, _) = app.member("owner@acme.test", Role::Owner, app.acme()).await;
    owner.get("/sites/example.com/settings").await;
    let (status, to, _) = owner
        .post("/sites/example.com/delete", &[("confirm", "example.com")])
        .await;
    assert_eq!(status, 303, "{to}");
    // Gone for everyone at once...
    assert_eq!(event_dropped(&app).await.as_deref(), Some("unknown_site"));
    assert_eq!(owner.get("/sites/example.com").await.0, 404);
    let (status, _) = app
        .query(json!({"site_id": "example.com", "metrics": ["visitors"], "date_range": "day"}))
        .await;
    assert_eq!(status, 404);
    // ...but its rows stay through the grace period.
    assert_eq!(visits(&app), 1);
    app.clock.set_ms(T0 + 13 * DAY);
    purge(&app);
    assert_eq!(visits(&app), 1, "13 days after: kept");
    app.clock.set_ms(T0 + 15 * DAY);
    purge(&app);
    assert_eq!(visits(&app), 0, "15 days after: purged");
    assert!(
        app.state
            .store
            .read()
            .unwrap()
            .site(touchpoint::domain::SiteId(1))
            .unwrap()
            .is_none()
    );
    // The domain can be added again, as a new site.
    let ws = app.acme();
    let again = app
        .state
        .store
        .add_site(
            ws,
            &touchpoint::domain::Domain::parse("example.com").unwrap(),
            Default::default(),
            T0,
        )
        .unwrap();
    assert_ne!(again.id.0, 1);
}

#[tokio::test]
async fn a_deleted_workspace_locks_everyone_out_can_be_restored_and_is_purged_after_30_days() {
    let app = spawn_app().await;
    app.pageview("/", CHROME, "203.0.113.1").await;
    let ws = app.acme();
    let (mut owner, _) = app.member("owner@acme.test", Role::Owner, ws).await;
    let (mut admin, _) = app.member("admin@acme.test", Role::Admin, ws).await;
    let page = format!("/workspaces/{}", ws.0);
    admin.get(&page).await;
    let delete = format!("/workspaces/{}/delete", ws.0);
    assert_eq!(
        admin.post(&delete, &[("confirm", "Acme")]).await.0,
        403,
        "owners only"
    );
    owner.get(&page).await;
    assert_eq!(owner.post(&delete, &[("confirm", "acme!")]).await.0, 400);
    let (status, to, _) = owner.post(&delete, &[("confirm", "Acme")]).await;
    assert_eq!((status.as_u16(), to.as_str()), (303, "/sites"));

    // Locked out at once: members, sites, API keys, ingest.
    assert_eq!(admin.get(&page).await.0, 404);
    assert_eq!(owner.get("/sites/example.com").await.0, 404);
    let (status, _) = app
        .query(json!({"site_id": "example.com", "metrics": ["visitors"], "date_range": "day"}))
        .await;
    assert_eq!(status, 401, "the workspace's API key stops working");
    assert_eq!(event_dropped(&app).await.as_deref(), Some("unknown_site"));
    app.clock.set_ms(T0 + 29 * DAY);
    purge(&app);
    assert_eq!(visits(&app), 1, "29 days after: kept, restorable");

    // Restored from the command line (the server stopped: one process owns the store).
    let dir = app.stop().await;
    let out = dir.run_ok(&["workspace", "list"]);
    assert!(out.contains("Acme (deleted 2024-03-15"), "{out}");
    let out = dir.run_ok(&["workspace", "restore", "acme"]);
    assert!(out.contains("restored Acme"), "{out}");
    let store = dir.store();
    assert!(store.workspaces().unwrap().iter().any(|w| w.name == "Acme"));
    assert!(
        store
            .read()
            .unwrap()
            .site_by_domain("example.com")
            .unwrap()
            .is_some()
    );

    // Deleted again and left past 30 days: purged for good, keys and members too.
    store.soft_delete_workspace(ws, T0).unwrap();
    let settings = crate::helpers::test_settings(dir.path(), &[]);
    let keys =
        std::sync::Arc::new(touchpoint::privacy::rekey::open_keys(&settings, &store).unwrap());
    let auth = touchpoint::auth::Auth::new(store.clone(), keys, settings.auth).unwrap();
    retention::run(&auth, &store, 24, 1000, T0 + 29 * DAY).unwrap();
    assert_eq!(store.deleted_workspaces().unwrap().len(), 1);
    retention::run(&auth, &store, 24, 1000, T0 + 31 * DAY).unwrap();
    assert!(store.deleted_workspaces().unwrap().is_empty());
    assert!(store.workspaces().unwrap().is_empty());
    assert!(store.sites().unwrap().is_empty());
    assert!(store.api_keys(ws).unwrap().is_empty());
    assert!(store.members(ws).unwrap().is_empty());
    assert!(store.audit_log(ws, 10).unwrap().is_empty());
    let instance = store
        .audit_log(touchpoint::domain::WorkspaceId(0), 10)
        .unwrap();
    assert!(
        instance.iter().any(|e| e.action == "purge_deleted"),
        "{instance:?}"
    );
}
