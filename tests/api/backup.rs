//! Online backup and restore: `touchpoint backup` while the server runs and
//! events keep arriving writes a consistent store (it opens, and holds every
//! event acknowledged before it began and none that wasn't sent), and a
//! backup taken at rest, restored with `touchpoint restore` into a new data
//! dir with its key, answers every query exactly as the live server did.

use std::sync::{
    Arc,
    atomic::{AtomicBool, AtomicU64, Ordering},
};

use serde_json::{Value, json};

use crate::{
    helpers::{CHROME, TestApp, spawn_app},
    process::{cmd, run_ok as run, serve},
};

async fn query(url: &str, key: &str, q: Value) -> Value {
    reqwest::Client::new()
        .post(format!("{url}/api/v2/query"))
        .bearer_auth(key)
        .json(&q)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn questions() -> Vec<Value> {
    vec![
        json!({"site_id": "example.com", "metrics": ["visitors", "visits", "pageviews", "events"], "date_range": "all"}),
        json!({"site_id": "example.com", "metrics": ["pageviews"], "date_range": "all", "dimensions": ["event:page"],
               "order_by": [["event:page", "asc"]], "pagination": {"limit": 10000}}),
    ]
}

/// A served restore, stopped when dropped (a failing test leaves no server).
struct Served(std::process::Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Restores `backup` (and its key) into a new data dir and serves it.
fn restored(backup: &std::path::Path) -> (tempfile::TempDir, Served, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["restore", backup.to_str().unwrap()]);
    assert!(out.starts_with("restored "), "{out}");
    std::fs::copy(
        backup.with_extension("key"),
        dir.path().join("touchpoint.key"),
    )
    .unwrap();
    let (child, url) = serve(dir.path());
    (dir, Served(child), url)
}

async fn pageviews(url: &str, key: &str) -> u64 {
    let r = query(url, key, questions()[0].clone()).await;
    r["results"][0]["metrics"][2]
        .as_u64()
        .unwrap_or_else(|| panic!("{r}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_during_ingestion_is_consistent_and_one_at_rest_restores_to_identical_answers() {
    let app: TestApp = spawn_app().await;
    let app = Arc::new(app);
    let (acked, stop) = (
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicBool::new(false)),
    );
    let sender = {
        let (app, acked, stop) = (app.clone(), acked.clone(), stop.clone());
        tokio::spawn(async move {
            let mut i = 0u64;
            while !stop.load(Ordering::SeqCst) {
                app.pageview(
                    &format!("/p/{}", i % 50),
                    CHROME,
                    &format!("198.51.100.{}", i % 200),
                )
                .await;
                acked.fetch_add(1, Ordering::SeqCst);
                i += 1;
            }
        })
    };
    while acked.load(Ordering::SeqCst) < 300 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let files = tempfile::tempdir().unwrap();
    let during = files.path().join("during.redb");
    let before = acked.load(Ordering::SeqCst);
    let (dir, path) = (app.data_dir.path().to_owned(), during.clone());
    let out = tokio::task::spawn_blocking(move || {
        run(&dir, &["backup", path.to_str().unwrap(), "--with-key"])
    })
    .await
    .unwrap();
    let after = acked.load(Ordering::SeqCst);
    assert!(
        out.contains("backed up ") && out.contains("the master key is not in it"),
        "{out}"
    );
    assert!(
        after > before,
        "events kept being acknowledged during the backup"
    );
    stop.store(true, Ordering::SeqCst);
    sender.await.unwrap();

    // At rest: a second backup, and the live answers to compare with.
    let rest = files.path().join("rest.redb");
    let (dir, path) = (app.data_dir.path().to_owned(), rest.clone());
    tokio::task::spawn_blocking(move || {
        run(&dir, &["backup", path.to_str().unwrap(), "--with-key"])
    })
    .await
    .unwrap();
    let mut live = Vec::new();
    for q in questions() {
        live.push(query(&app.url, &app.api_key, q).await);
    }
    assert_eq!(
        live[0]["results"][0]["metrics"][2],
        acked.load(Ordering::SeqCst),
        "{}",
        live[0]
    );
    // Never over an existing file.
    let again = cmd(app.data_dir.path())
        .args(["backup", rest.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists already"));

    let (_d1, c1, url1) = restored(&rest);
    for (q, want) in questions().into_iter().zip(&live) {
        // The answers, not the echoed range: "all" ends today, and the live
        // app's clock is a test's.
        let got = query(&url1, &app.api_key, q).await;
        assert_eq!(got["results"], want["results"], "restored answers differ");
    }
    drop(c1);

    let (_d2, c2, url2) = restored(&during);
    let n = pageviews(&url2, &app.api_key).await;
    drop(c2);
    assert!(
        (before..=after + 1).contains(&n),
        "the backup taken during ingestion holds {n} pageviews; {before} were acknowledged before it began, {after} when it ended"
    );
}

#[tokio::test]
async fn restore_refuses_a_running_store_and_a_file_that_is_not_one() {
    let app = spawn_app().await;
    let files = tempfile::tempdir().unwrap();
    let junk = files.path().join("junk.redb");
    std::fs::write(&junk, b"not a store").unwrap();
    let (dir, j) = (app.data_dir.path().to_owned(), junk.clone());
    let out = tokio::task::spawn_blocking(move || {
        cmd(&dir)
            .args(["restore", j.to_str().unwrap()])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a readable Touchpoint store"));
    // A real backup can't be restored over the store the server holds.
    let good = files.path().join("good.redb");
    let (dir, g) = (app.data_dir.path().to_owned(), good.clone());
    tokio::task::spawn_blocking(move || run(&dir, &["backup", g.to_str().unwrap()]))
        .await
        .unwrap();
    let (dir, g) = (app.data_dir.path().to_owned(), good.clone());
    let out = tokio::task::spawn_blocking(move || {
        cmd(&dir)
            .args(["restore", g.to_str().unwrap()])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("in use by another Touchpoint process"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The backups `jobs.backup_schedule` has written so far, oldest first.
fn scheduled_backups(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().into_string().unwrap())
                .filter(|n| n.starts_with("touchpoint-") && n.ends_with(".redb"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread")]
async fn the_backup_job_writes_backups_on_its_schedule_and_keeps_the_newest() {
    let dir = tempfile::tempdir().unwrap();
    let key = crate::process::setup(dir.path());
    let backups = dir.path().join("kept");
    let mut c = cmd(dir.path());
    c.env("TOUCHPOINT__JOBS__BACKUP_SCHEDULE", "* * * * * *")
        .env("TOUCHPOINT__STORAGE__BACKUP_DIR", &backups)
        .env("TOUCHPOINT__STORAGE__BACKUP_KEEP", "2");
    let (child, url) = crate::process::serve_cmd(c);
    let server = Served(child);
    let client = reqwest::Client::new();
    for i in 0..20 {
        let r = crate::process::post_event(&client, &url, i).await;
        assert_eq!(r.status().as_u16(), 202);
    }
    // Every second a backup; never more than two kept.
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..100 {
        let now = scheduled_backups(&backups);
        assert!(now.len() <= 2, "{now:?}");
        seen.extend(now);
        if seen.len() >= 4 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(seen.len() >= 4, "backups written: {seen:?}");
    drop(server);
    let newest = backups.join(scheduled_backups(&backups).pop().unwrap());
    std::fs::copy(
        dir.path().join("touchpoint.key"),
        newest.with_extension("key"),
    )
    .unwrap();
    let (_d, served, url) = restored(&newest);
    assert_eq!(pageviews(&url, &key).await, 20);
    drop(served);
}
