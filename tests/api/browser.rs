//! Headless Chromium for integration tests, driven over WebDriver (chromedriver + fantoccini).
//!
//! Cleanup, so no chromedriver/chromium outlives a test: chromedriver leads its
//! own process group, and `Drop` SIGKILLs the whole group (chromium is in it)
//! and reaps chromedriver, so a panicking test cleans up too; chromium runs with
//! `--remote-debugging-pipe` and exits when chromedriver (the other end of the
//! pipe) dies. No `unsafe`: the group is killed with kill(1).

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;

/// Chromium flags used for every session (besides `--user-data-dir` and `--remote-debugging-pipe`).
pub const CHROMIUM_ARGS: &[&str] = &[
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--window-size=1280,1600",
];

/// How long to wait for chromedriver to accept connections.
const DRIVER_READY_TIMEOUT: Duration = Duration::from_secs(20);

/// A headless Chromium session driven through a chromedriver child process; both are killed on drop.
pub struct Browser {
    /// The WebDriver client; use it to navigate, find elements, click, etc.
    pub client: Client,
    driver: Driver,
}

/// The chromedriver child (its own process group leader) and the fresh Chromium profile.
struct Driver {
    child: Child,
    /// Chromium's `--user-data-dir`; removed after the processes are dead (fields drop after `drop`).
    profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The group id is chromedriver's pid, which cannot be reused before we reap it below.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait(); // reap: no zombie chromedriver
    }
}

/// Resolves `$var` or `default` to an existing file; bare names are looked up in `PATH`.
fn find_binary(var: &str, default: &str) -> Option<PathBuf> {
    let name = std::env::var_os(var).unwrap_or_else(|| default.into());
    let name = PathBuf::from(name);
    if name.components().count() > 1 {
        return name.is_file().then_some(name);
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(&name))
        .find(|p| p.is_file())
}

impl Browser {
    /// Starts chromedriver on a free port and a fresh headless Chromium session.
    /// Fails when chromium/chromedriver are not installed: a browser test that
    /// can't run is a failure, never a silent pass (`.ci/run` installs them).
    ///
    /// Binaries: `/usr/bin/chromium` and `/usr/bin/chromedriver`, overridable with the `CHROMIUM`
    /// and `CHROMEDRIVER` env vars. Set `BROWSER_VERBOSE` to see chromedriver's output.
    pub async fn start() -> anyhow::Result<Browser> {
        Self::start_with(&[]).await
    }

    /// As [`Browser::start`], with `extra` Chromium flags after [`CHROMIUM_ARGS`]
    /// (e.g. `--host-resolver-rules=MAP insecure.test 127.0.0.1`).
    pub async fn start_with(extra: &[&str]) -> anyhow::Result<Browser> {
        let chromium = find_binary("CHROMIUM", "/usr/bin/chromium");
        let chromedriver = find_binary("CHROMEDRIVER", "/usr/bin/chromedriver");
        let (Some(chromium), Some(chromedriver)) = (chromium, chromedriver) else {
            bail!(
                "chromium/chromedriver not found (apt-get install chromium chromium-driver, or set CHROMIUM/CHROMEDRIVER)"
            );
        };
        let (driver, port) = spawn_driver(&chromedriver).await?;

        let mut args: Vec<String> = CHROMIUM_ARGS
            .iter()
            .chain(extra)
            .map(|s| s.to_string())
            .collect();
        args.push(format!(
            "--user-data-dir={}",
            driver.profile.path().display()
        ));
        args.push("--remote-debugging-pipe".into());
        let caps = serde_json::json!({
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": chromium, "args": args },
            "timeouts": { "pageLoad": 30_000, "script": 30_000, "implicit": 0 },
        });
        let serde_json::Value::Object(caps) = caps else {
            unreachable!()
        };
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .context("creating a chromedriver session")?; // on error `driver` is dropped = killed
        Ok(Browser { client, driver })
    }

    /// Saves a PNG screenshot of the current page to `target/screenshots/NAME.png` (creating the dir, path relative to CARGO_MANIFEST_DIR or the current dir), returns the path.
    pub async fn screenshot(&self, name: &str) -> anyhow::Result<PathBuf> {
        let base = match std::env::var_os("CARGO_MANIFEST_DIR") {
            Some(dir) => PathBuf::from(dir),
            None => std::env::current_dir()?,
        };
        let dir = base.join("target").join("screenshots");
        std::fs::create_dir_all(&dir)?;
        let png = self
            .client
            .screenshot()
            .await
            .context("taking a screenshot")?;
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png)?;
        Ok(path)
    }

    /// Closes the session cleanly.
    ///
    /// Chromedriver quits (and reaps) Chromium, then chromedriver itself is killed and reaped.
    pub async fn close(self) -> anyhow::Result<()> {
        let Browser { client, driver } = self;
        let res = client
            .close()
            .await
            .context("closing the WebDriver session");
        drop(driver);
        res
    }
}

/// Spawns chromedriver on a free port (fresh profile dir) and waits until it accepts connections;
/// retries twice in case another process grabbed the port first.
async fn spawn_driver(bin: &Path) -> anyhow::Result<(Driver, u16)> {
    let mut last_err = None;
    for _ in 0..3 {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let verbose = std::env::var_os("BROWSER_VERBOSE").is_some();
        let stdio = || {
            if verbose {
                Stdio::inherit()
            } else {
                Stdio::null()
            }
        };
        let mut cmd = Command::new(bin);
        cmd.arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(stdio())
            .stderr(stdio())
            .process_group(0);
        let profile = tempfile::Builder::new()
            .prefix("chromium-profile-")
            .tempdir()?;
        let child = cmd
            .spawn()
            .with_context(|| format!("spawning {}", bin.display()))?;
        let mut driver = Driver { child, profile };
        match wait_ready(&mut driver.child, port).await {
            Ok(()) => return Ok((driver, port)),
            Err(e) => last_err = Some(e), // `driver` dropped here: killed and reaped
        }
    }
    Err(last_err.expect("at least one attempt"))
}

/// Polls `127.0.0.1:port` until it accepts a TCP connection, chromedriver exits, or the timeout.
async fn wait_ready(child: &mut Child, port: u16) -> anyhow::Result<()> {
    let deadline = Instant::now() + DRIVER_READY_TIMEOUT;
    loop {
        if let Some(status) = child.try_wait()? {
            bail!("chromedriver exited early ({status}) on port {port}");
        }
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("chromedriver did not listen on port {port} within {DRIVER_READY_TIMEOUT:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
