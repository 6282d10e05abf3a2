//! A full disk, on a real small filesystem (a tmpfs mounted for the test; it
//! needs root and fails without it): the real binary refuses writes with 503
//! while reads go on, logs the cause once rather than once per refused
//! event, and accepts writes again once space is freed — without a restart
//! and without losing an acknowledged event.

use std::{
    path::{Path, PathBuf},
    process::{Child, Command},
    time::Duration,
};

use serde_json::{Value, json};

use crate::process::{cmd, post_event, serve_logged, setup};

/// A tmpfs of `mb` MiB mounted on a fresh directory, unmounted when dropped.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(mb: u64) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let st = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mb}m"), "tmpfs"])
            .arg(dir.path())
            .status()
            .expect("mount(8) runs");
        assert!(
            st.success(),
            "this test mounts a tmpfs and needs root (as .ci/run has)"
        );
        Self { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Bytes still free.
    fn free(&self) -> u64 {
        let out = Command::new("stat")
            .args(["-f", "-c", "%a %S"])
            .arg(self.path())
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        let mut parts = text.split_whitespace().map(|n| n.parse::<u64>().unwrap());
        parts.next().unwrap() * parts.next().unwrap()
    }

    /// Fills the disk with file `name` until `leave` bytes are free (0:
    /// until it refuses).
    fn fill(&self, name: &str, leave: u64) -> PathBuf {
        use std::io::Write;
        let path = self.path().join(name);
        let mut f = std::fs::File::create(&path).unwrap();
        let chunk = vec![7u8; 64 << 10];
        loop {
            let free = self.free();
            if free <= leave {
                break;
            }
            let n = usize::try_from((free - leave).min(chunk.len() as u64)).unwrap();
            if f.write_all(&chunk[..n]).and_then(|()| f.flush()).is_err() {
                break;
            }
        }
        path
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// `serve` with its log in `log`, killed when dropped.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(dir: &Path, log: &Path, min_free_mb: u64) -> Self {
        let mut c = cmd(dir);
        c.env("TOUCHPOINT__STORAGE__MIN_FREE_MB", min_free_mb.to_string());
        let (child, url) = serve_logged(c, std::fs::File::create(log).unwrap());
        Self { child, url }
    }
}

/// A served store on a fresh 96 MiB disk holding 200 acknowledged events,
/// with `storage.min_free_mb` at `min_free_mb`.
struct Setup {
    // Dropped in this order: the server before the disk it writes to.
    server: Server,
    key: String,
    log: PathBuf,
    _logs: tempfile::TempDir,
    disk: SmallDisk,
}

async fn serve_on_a_small_disk(min_free_mb: u64) -> Setup {
    let disk = SmallDisk::mount(96);
    let data = disk.path().join("data");
    let key = setup(&data);
    let logs = tempfile::tempdir().unwrap();
    let log = logs.path().join("serve.log");
    let server = Server::start(&data, &log, min_free_mb);
    let (before, other) = send(&server.url, 0, 200).await;
    assert_eq!((before, other.len()), (200, 0), "{other:?}");
    Setup {
        server,
        key,
        log,
        _logs: logs,
        disk,
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends `n` pageviews; how many were acknowledged (202), and the other
/// statuses seen.
async fn send(url: &str, from: u64, n: u64) -> (u64, Vec<(u16, Option<String>)>) {
    let client = reqwest::Client::new();
    let mut acked = 0;
    let mut other = Vec::new();
    for i in from..from + n {
        let r = post_event(&client, url, i).await;
        if r.status().as_u16() == 202 {
            acked += 1;
        } else {
            let retry = r
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_owned());
            other.push((r.status().as_u16(), retry));
        }
    }
    (acked, other)
}

async fn events(url: &str, key: &str) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(format!("{url}/api/v2/query"))
        .bearer_auth(key)
        .json(&json!({"site_id": "example.com", "metrics": ["events"], "date_range": "all"}))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

async fn health(url: &str) -> (u16, Value) {
    let r = reqwest::get(format!("{url}/healthz")).await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

fn log_lines(log: &Path, needle: &str) -> Vec<String> {
    std::fs::read_to_string(log)
        .unwrap()
        .lines()
        .filter(|l| l.contains(needle))
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_disk_refuses_writes_keeps_reads_and_recovers_without_a_restart() {
    let s = serve_on_a_small_disk(8).await;
    let url = s.server.url.clone();

    // Another process takes the disk down to 1 MiB free.
    let filler = s.disk.fill("filler", 1 << 20);
    let (acked, refused) = send(&url, 1_000, 300).await;
    assert_eq!(acked, 0, "nothing is accepted on a full disk");
    assert!(
        refused.iter().all(|r| *r == (503, Some("5".to_owned()))),
        "{refused:?}"
    );
    assert_eq!(
        health(&url).await,
        (503, json!({"status": "disk full"})),
        "/healthz says why"
    );
    // A backup that meets the full disk fails and leaves no partial file.
    let last = s.disk.fill("last", 0);
    let copy = s.disk.path().join("copy.redb");
    let out = cmd(&s.disk.path().join("data"))
        .args(["backup", copy.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(!copy.exists() && !copy.with_extension("partial").exists());
    std::fs::remove_file(last).unwrap();
    // Reads go on, from the same running process.
    let (status, body) = events(&url, &s.key).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["results"][0]["metrics"][0], 200, "{body}");

    // Space returns: writes resume, no restart.
    std::fs::remove_file(filler).unwrap();
    let (after, other) = send(&url, 2_000, 100).await;
    assert_eq!((after, other.len()), (100, 0), "{other:?}");
    assert_eq!(health(&url).await.0, 200);
    let (_, body) = events(&url, &s.key).await;
    assert_eq!(body["results"][0]["metrics"][0], 300, "{body}");

    drop(s.server);
    let full = log_lines(&s.log, "is full");
    assert_eq!(full.len(), 1, "the cause is logged once: {full:#?}");
    assert!(full[0].contains("storage.min_free_mb"), "{}", full[0]);
    assert_eq!(log_lines(&s.log, "accepts writes again").len(), 1);
    let errors = log_lines(&s.log, "ERROR");
    assert_eq!(
        errors.len(),
        1,
        "300 refused events, one error: {errors:#?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_write_that_meets_the_full_disk_itself_is_recovered_by_reopening_the_store() {
    // No reserve: redb's own write meets ENOSPC.
    let s = serve_on_a_small_disk(0).await;
    let url = s.server.url.clone();
    let before = 200;

    let filler = s.disk.fill("filler", 0);
    let (during, refused) = send(&url, 1_000, 300).await;
    assert!(!refused.is_empty(), "a full disk refuses some writes");
    assert!(
        refused.iter().all(|(s, _)| *s == 503),
        "refusals are 503s: {refused:?}"
    );
    std::fs::remove_file(filler).unwrap();
    // The store reopens on a later write (at most once a second).
    let mut after = 0;
    for round in 0..20 {
        let (n, _) = send(&url, 10_000 + round * 10, 10).await;
        after += n;
        if n == 10 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(
        after > 0,
        "writes resume without a restart; the log:\n{}",
        std::fs::read_to_string(&s.log).unwrap()
    );
    assert_eq!(health(&url).await.0, 200);
    let (status, body) = events(&url, &s.key).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["results"][0]["metrics"][0],
        before + during + after,
        "every acknowledged event, and only those: {body}"
    );
    drop(s.server);
    let causes = log_lines(&s.log, "No space left on device");
    assert!(!causes.is_empty(), "the log names the cause");
    assert!(
        causes.len() <= 3,
        "not once per refused event ({} refused): {causes:#?}",
        refused.len()
    );
}
