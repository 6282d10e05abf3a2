//! The command line while the real binary serves: site, goal and key
//! management, export and import, handed to the server over its admin
//! socket (and run on the store when the server is stopped).

use serde_json::json;

use crate::{
    helpers::CHROME,
    process::{cmd, count_events, event, post_event, run_ok, serve, setup},
};

#[tokio::test]
async fn while_the_server_runs_sites_goals_and_keys_are_managed_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path());
    let (mut child, url) = serve(dir.path());
    // The admin endpoint answers on the socket only, never over TCP.
    let r = reqwest::Client::new()
        .post(format!("{url}/admin/cli"))
        .json(&json!({"args": ["apikey", "create", "--name", "sneaky"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    // Run inside the server (it holds the store), with the same output.
    assert!(run_ok(dir.path(), &["site", "list"]).contains("example.com\tEurope/London"));
    let out = run_ok(
        dir.path(),
        &["apikey", "create", "--name", "live", "--sites"],
    );
    let key = out.lines().last().unwrap().trim().to_owned();
    assert!(key.starts_with("tp_"), "{out}");
    let sites: serde_json::Value = reqwest::Client::new()
        .get(format!("{url}/api/v1/sites"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        sites["sites"][0]["domain"], "example.com",
        "the new key works at once: {sites}"
    );

    assert!(
        run_ok(dir.path(), &["site", "add", "shop.example"]).contains("added site shop.example")
    );
    let shown = run_ok(dir.path(), &["site", "show", "shop.example"]);
    let write_key = shown
        .lines()
        .find_map(|l| l.strip_prefix("segment_write_key: "))
        .unwrap_or_else(|| panic!("{shown}"))
        .to_owned();
    assert_eq!(write_key.len(), 32, "{shown}");
    // The new site takes events at once, through the Segment API too.
    let r = reqwest::Client::new()
        .post(format!("{url}/v1/track"))
        .basic_auth(&write_key, Some(""))
        .json(&json!({"userId": "u1", "event": "Signup"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);

    let out = run_ok(
        dir.path(),
        &[
            "site",
            "set",
            "shop.example",
            "--consent-mode",
            "require",
            "--allowed-hostnames",
            "shop.example,*.shop.example",
        ],
    );
    assert!(
        out.contains("changed allowed_hostnames, consent_mode")
            || out.contains("changed consent_mode"),
        "{out}"
    );
    let shown = run_ok(dir.path(), &["site", "show", "shop.example"]);
    for want in [
        "consent_mode: require",
        "allowed_hostnames: shop.example,*.shop.example",
        "timezone: UTC",
    ] {
        assert!(shown.lines().any(|l| l == want), "{want} in {shown}");
    }
    let bad = cmd(dir.path())
        .args(["site", "set", "shop.example", "--retention-months", "0"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("retention_months"));

    let added = run_ok(
        dir.path(),
        &["goal", "add", "shop.example", "--event", "Signup"],
    );
    assert!(added.contains("event\tSignup"), "{added}");
    let again = run_ok(
        dir.path(),
        &["goal", "add", "shop.example", "--event", "Signup"],
    );
    assert_eq!(added, again, "an identical goal is kept");
    run_ok(
        dir.path(),
        &["goal", "add", "shop.example", "--page", "/pricing"],
    );
    let list = run_ok(dir.path(), &["goal", "list", "shop.example"]);
    assert_eq!(list.lines().count(), 2, "{list}");
    let id = added.split('\t').next().unwrap();
    assert!(run_ok(dir.path(), &["goal", "delete", "shop.example", id]).contains("deleted"));
    assert_eq!(
        run_ok(dir.path(), &["goal", "list", "shop.example"])
            .lines()
            .count(),
        1
    );

    child.kill().unwrap();
    child.wait().unwrap();
    // Stopped (its socket left behind), the commands open the store themselves.
    let shown = run_ok(dir.path(), &["site", "show", "shop.example"]);
    assert!(shown.contains("consent_mode: require"), "{shown}");
}

#[tokio::test]
async fn export_and_import_run_from_the_command_line_with_the_server_up_or_down() {
    let dir = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    setup(dir.path());
    let (mut child, url) = serve(dir.path());
    let client = reqwest::Client::new();
    for i in 0..3 {
        let r = client
            .post(format!("{url}/api/event"))
            .header("user-agent", CHROME)
            .header("x-forwarded-for", format!("198.51.100.{i}"))
            .body(event(i))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 202);
    }
    let zip = files.path().join("export.zip");
    let out = run_ok(
        dir.path(),
        &[
            "export",
            "example.com",
            "--format",
            "plausible-csv",
            "--output",
            zip.to_str().unwrap(),
        ],
    );
    assert!(
        out.contains("exported example.com") && zip.exists(),
        "{out}"
    );
    run_ok(dir.path(), &["site", "add", "copy.example"]);
    let out = run_ok(
        dir.path(),
        &["import", "copy.example", zip.to_str().unwrap()],
    );
    assert!(out.contains("into copy.example as import 1"), "{out}");
    let bad = cmd(dir.path())
        .args([
            "import",
            "copy.example",
            dir.path().join("missing.zip").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("missing.zip"));
    child.kill().unwrap();
    child.wait().unwrap();
    // Stopped: the commands open the store themselves; events go to stdout.
    let csv = run_ok(
        dir.path(),
        &["export", "example.com", "--format", "csv", "--output", "-"],
    );
    assert!(csv.starts_with("timestamp,visit,name,"), "{csv}");
    assert_eq!(csv.lines().count(), 4);
    let out = run_ok(
        dir.path(),
        &["import", "copy.example", zip.to_str().unwrap()],
    );
    assert!(out.contains("as import 2"), "{out}");
}

/// `compact` gives back the pages the store no longer uses: refused in one
/// line while the server runs; with it stopped, the file shrinks and every
/// event is still there.
#[tokio::test]
async fn compact_shrinks_a_stopped_store_and_keeps_every_event() {
    let dir = tempfile::tempdir().unwrap();
    let key = setup(dir.path());
    let (mut child, url) = serve(dir.path());
    let client = reqwest::Client::new();
    for i in 0..600 {
        let r = post_event(&client, &url, i).await;
        assert_eq!(r.status().as_u16(), 202);
    }
    assert_eq!(count_events(&url, &key).await, 600);
    let refused = cmd(dir.path()).arg("compact").output().unwrap();
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(
        stderr.contains("in use by another Touchpoint process"),
        "{stderr}"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    let file = dir.path().join("touchpoint.redb");
    let before = std::fs::metadata(&file).unwrap().len();
    let out = run_ok(dir.path(), &["compact"]);
    let after = std::fs::metadata(&file).unwrap().len();
    assert!(out.contains(&format!("{before} → {after} bytes")), "{out}");
    assert!(after < before, "{before} → {after}");
    let (mut child, url) = serve(dir.path());
    assert_eq!(count_events(&url, &key).await, 600);
    child.kill().unwrap();
    child.wait().unwrap();
}
