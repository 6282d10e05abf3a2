//! The real binary as a child process: CLI commands, restart, SIGKILL mid-stream.

use std::{
    io::{BufRead, BufReader},
    path::Path,
    process::{Child, Command, Stdio},
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
};

use serde_json::json;

use crate::helpers::CHROME;

const BIN: &str = env!("CARGO_BIN_EXE_touchpoint");

pub(crate) fn cmd(dir: &Path) -> Command {
    let mut c = Command::new(BIN);
    c.env("TOUCHPOINT__STORAGE__DATA_DIR", dir)
        .env("TOUCHPOINT__SERVER__LISTEN", "127.0.0.1:0")
        .env("TOUCHPOINT__JOBS__ROLLUP_SCHEDULE", "")
        .env("RUST_LOG", "warn");
    c
}

pub(crate) fn run_ok(dir: &Path, args: &[&str]) -> String {
    let out = cmd(dir).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Starts `serve` and returns the child and its URL from the "listening on" line.
pub(crate) fn serve(dir: &Path) -> (Child, String) {
    serve_cmd(cmd(dir))
}

/// [`serve`] with a prepared command (extra environment).
pub(crate) fn serve_cmd(c: Command) -> (Child, String) {
    serve_logged(c, Stdio::inherit())
}

/// [`serve_cmd`] with its log (stderr) sent to `log`.
pub(crate) fn serve_logged(mut c: Command, log: impl Into<Stdio>) -> (Child, String) {
    let mut child = c
        .arg("serve")
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = lines.next().expect("a line").unwrap();
    let url = line
        .split("listening on ")
        .nth(1)
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .trim()
        .to_owned();
    assert!(
        url.starts_with("http://127.0.0.1:") && !url.ends_with(":0"),
        "{url}"
    );
    // Keep draining stdout so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, url)
}

pub(crate) fn setup(dir: &Path) -> String {
    assert!(
        run_ok(
            dir,
            &["site", "add", "example.com", "--timezone", "Europe/London"]
        )
        .contains("example.com")
    );
    let out = run_ok(dir, &["apikey", "create", "--name", "ci"]);
    let key = out.lines().last().unwrap().trim().to_owned();
    assert!(key.starts_with("tp_") && key.len() > 20, "{out}");
    key
}

/// All-time metrics of example.com through the Stats API.
async fn all_time(url: &str, key: &str, metrics: &[&str]) -> serde_json::Value {
    let body: serde_json::Value = reqwest::Client::new()
        .post(format!("{url}/api/v2/query"))
        .bearer_auth(key)
        .json(&json!({"site_id": "example.com", "metrics": metrics, "date_range": "all"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["results"][0]["metrics"].clone()
}

pub(crate) async fn count_events(url: &str, key: &str) -> u64 {
    let m = all_time(url, key, &["events"]).await;
    m[0].as_u64().unwrap_or_else(|| panic!("{m}"))
}

pub(crate) fn event(i: u64) -> String {
    json!({"n": "pageview", "u": format!("https://example.com/p/{i}"), "d": "example.com"})
        .to_string()
}

/// Posts pageview `i` ([`event`]) as Chrome.
pub(crate) async fn post_event(client: &reqwest::Client, url: &str, i: u64) -> reqwest::Response {
    client
        .post(format!("{url}/api/event"))
        .header("user-agent", CHROME)
        .body(event(i))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn cli_manages_sites_and_keys_and_refuses_to_share_a_running_store() {
    let dir = tempfile::tempdir().unwrap();
    let key = setup(dir.path());
    assert!(run_ok(dir.path(), &["site", "list"]).contains("example.com\tEurope/London"));
    let bad = cmd(dir.path())
        .args(["site", "add", "not a domain"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("invalid domain"));
    assert!(run_ok(dir.path(), &["check-config"]).contains("configuration OK"));
    let bad_env = cmd(dir.path())
        .env("TOUCHPOINT__INGEST__BATCH_SIZE", "lots")
        .arg("check-config")
        .output()
        .unwrap();
    assert!(!bad_env.status.success());

    let (mut child, url) = serve(dir.path());
    // Commands that don't go through the admin socket still can't open the store.
    let locked = cmd(dir.path())
        .args(["purge", "--dry-run"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&locked.stderr);
    assert!(!locked.status.success());
    assert_eq!(
        stderr.trim().lines().count(),
        1,
        "one line, no panic: {stderr}"
    );
    assert!(
        stderr.contains("in use by another Touchpoint process"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"));

    let port = url.rsplit(':').next().unwrap();
    let healthcheck = || {
        cmd(dir.path())
            .env("TOUCHPOINT__SERVER__LISTEN", format!("127.0.0.1:{port}"))
            .arg("healthcheck")
            .output()
            .unwrap()
    };
    let hc = healthcheck();
    assert!(
        hc.status.success(),
        "{}",
        String::from_utf8_lossy(&hc.stderr)
    );
    assert_eq!(count_events(&url, &key).await, 0);
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        !healthcheck().status.success(),
        "healthcheck fails with the server gone"
    );
}

#[tokio::test]
async fn a_restart_after_sigterm_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let key = setup(dir.path());
    let (mut child, url) = serve(dir.path());
    let client = reqwest::Client::new();
    for i in 0..25 {
        let r = post_event(&client, &url, i).await;
        assert_eq!(r.status().as_u16(), 202);
    }
    assert_eq!(count_events(&url, &key).await, 25);
    let ok = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
    assert!(child.wait().unwrap().success(), "graceful exit on SIGTERM");
    let (mut child, url) = serve(dir.path());
    assert_eq!(count_events(&url, &key).await, 25);
    // The visit that was open before the restart is still open after it.
    let r = client
        .post(format!("{url}/api/event"))
        .header("user-agent", CHROME)
        .body(event(99))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 202);
    let m = all_time(&url, &key, &["visits", "pageviews"]).await;
    assert_eq!(m, json!([1, 26]));
    child.kill().unwrap();
    child.wait().unwrap();
}

#[tokio::test]
async fn every_acknowledged_event_survives_sigkill_mid_stream() {
    let dir = tempfile::tempdir().unwrap();
    let key = setup(dir.path());
    let (mut child, url) = serve(dir.path());
    let acked = Arc::new(AtomicU64::new(0));
    let sent = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for t in 0..8u64 {
        let (acked, sent, stop, url) = (acked.clone(), sent.clone(), stop.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut i = 0;
            while !stop.load(Ordering::SeqCst) {
                sent.fetch_add(1, Ordering::SeqCst);
                let r = client
                    .post(format!("{url}/api/event"))
                    .header("user-agent", CHROME)
                    .body(event(t * 1_000_000 + i))
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status().as_u16() == 202 => {
                        acked.fetch_add(1, Ordering::SeqCst);
                    }
                    _ => break,
                }
                i += 1;
            }
        }));
    }
    while acked.load(Ordering::SeqCst) < 400 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    child.kill().unwrap(); // SIGKILL: no chance to flush anything
    child.wait().unwrap();
    stop.store(true, Ordering::SeqCst);
    for t in tasks {
        t.await.unwrap();
    }
    let (acked, sent) = (acked.load(Ordering::SeqCst), sent.load(Ordering::SeqCst));
    let (mut child, url) = serve(dir.path());
    let stored = count_events(&url, &key).await;
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(stored >= acked, "{stored} stored < {acked} acknowledged");
    assert!(stored <= sent, "{stored} stored > {sent} sent");
}

#[tokio::test]
async fn serve_prints_a_setup_link_until_user_add_creates_someone_who_can_log_in() {
    use crate::web::WebClient;
    let dir = tempfile::tempdir().unwrap();
    let mut child = cmd(dir.path())
        .arg("serve")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let setup = lines.next().unwrap().unwrap();
    let link = setup
        .split(" at ")
        .nth(1)
        .unwrap_or_else(|| panic!("{first} / {setup}"));
    assert!(link.contains("/setup?token="), "{setup}");
    let page = reqwest::get(link).await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Set up Touchpoint"));
    child.kill().unwrap();
    child.wait().unwrap();

    let mut add = cmd(dir.path())
        .args([
            "user",
            "add",
            "Boss@Example.com",
            "--role",
            "viewer",
            "--workspace",
            "Acme",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    writeln!(add.stdin.take().unwrap(), "a long enough password").unwrap();
    let out = add.wait_with_output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("created user boss@example.com") && text.contains("\"Acme\""),
        "{text}"
    );
    let generated = run_ok(
        dir.path(),
        &[
            "user",
            "add",
            "ana@example.com",
            "--role",
            "analyst",
            "--workspace",
            "Acme",
        ],
    );
    let password = generated.lines().last().unwrap().trim().to_owned();
    assert_eq!(password.len(), 20, "{generated}");
    let weak = cmd(dir.path())
        .args([
            "user",
            "add",
            "x@example.com",
            "--role",
            "boss",
            "--workspace",
            "Acme",
        ])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&weak.stderr).contains("unknown role"));

    let (mut child, url) = serve(dir.path());
    let mut c = WebClient::at(&url);
    assert_eq!(
        c.get("/setup?token=x").await.0,
        404,
        "no setup once a user exists"
    );
    for (email, pw) in [
        ("boss@example.com", "a long enough password"),
        ("ana@example.com", password.as_str()),
    ] {
        let (status, _, body) = c.password_step(email, pw).await;
        assert_eq!(status, 303, "{email}: {body}");
        let (status, _, body) = c.get("/sites").await;
        assert_eq!(status, 200);
        assert!(body.contains("Acme"));
        c.post("/logout", &[]).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
}
