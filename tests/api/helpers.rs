//! Spawns the real application on a random port with a temporary data dir.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use touchpoint::{
    clock::Clock,
    config::Settings,
    domain::{Domain, Timezone},
    privacy,
    startup::{AppState, Application},
    store::ApiKeyRecord,
};

/// 2024-03-15T10:00:00Z, a Friday.
pub const T0: u64 = 1_710_496_800_000;
/// One minute.
pub const MIN: u64 = 60_000;
/// A desktop Chrome user agent.
pub const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
/// An iPhone Safari user agent.
pub const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1";

pub struct TestApp {
    pub url: String,
    pub client: reqwest::Client,
    pub clock: Clock,
    pub state: actix_web::web::Data<AppState>,
    pub app_salts: std::sync::Arc<touchpoint::ingest::visitor::SaltKeeper>,
    pub api_key: String,
    pub data_dir: tempfile::TempDir,
    /// The ClickHouse server holding the visits, when the app runs the
    /// ClickHouse engine (see [`spawn_app_with`]).
    pub clickhouse: Option<crate::clickhouse_server::ClickHouseServer>,
    handle: actix_web::dev::ServerHandle,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

/// Every byte of every file under `dir` (the admin socket holds none).
pub fn all_bytes(dir: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            out.extend(all_bytes(&p));
        } else if p.is_file() {
            out.extend(std::fs::read(&p).unwrap());
        }
    }
    out
}

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Settings for a test: random port, temp dir, jobs off (tests drive them),
/// loopback trusted as a proxy.
pub fn test_settings(data_dir: &Path, extra: &[(&str, &str)]) -> Settings {
    let mut env: Vec<(String, String)> = vec![
        ("TOUCHPOINT__SERVER__LISTEN".into(), "127.0.0.1:0".into()),
        (
            "TOUCHPOINT__STORAGE__DATA_DIR".into(),
            data_dir.display().to_string(),
        ),
        (
            "TOUCHPOINT__JOBS__SALT_ROTATION_SCHEDULE".into(),
            String::new(),
        ),
        (
            "TOUCHPOINT__JOBS__SALT_DESTROY_SCHEDULE".into(),
            String::new(),
        ),
        ("TOUCHPOINT__JOBS__ROLLUP_SCHEDULE".into(), String::new()),
        (
            "TOUCHPOINT__JOBS__LOGIN_CLEANUP_SCHEDULE".into(),
            String::new(),
        ),
        ("TOUCHPOINT__JOBS__PURGE_SCHEDULE".into(), String::new()),
        // Tests play the reverse proxy: X-Forwarded-For carries each visitor's IP.
        (
            "TOUCHPOINT__SERVER__TRUSTED_PROXIES".into(),
            "127.0.0.1/32".into(),
        ),
    ];
    env.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    Settings::load(None, env).expect("test settings")
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// The example site's cold days (`store::cold`): local day numbers.
pub fn cold_days(app: &TestApp) -> std::collections::BTreeSet<u32> {
    app.state
        .store
        .read()
        .unwrap()
        .cold_days(touchpoint::domain::SiteId(1), 0, u32::MAX)
        .unwrap()
}

/// The engine tests run on: `embedded` unless `TOUCHPOINT_TEST_ENGINE=clickhouse`
/// (`.ci/run` runs the report, funnel, attribution, purge and erasure tests
/// again that way).
pub fn engine_from_env() -> &'static str {
    match std::env::var("TOUCHPOINT_TEST_ENGINE").as_deref() {
        Ok("clickhouse") => "clickhouse",
        _ => "embedded",
    }
}

/// An app with the given settings, on the engine of [`engine_from_env`].
pub async fn spawn_app_with(extra: &[(&str, &str)]) -> TestApp {
    spawn_app_on(engine_from_env(), extra).await
}

/// An app on `engine` (`embedded`, or `clickhouse` with a server of its own).
pub async fn spawn_app_on(engine: &str, extra: &[(&str, &str)]) -> TestApp {
    let data_dir = tempfile::tempdir().unwrap();
    let clickhouse = (engine == "clickhouse").then(|| {
        crate::clickhouse_server::ClickHouseServer::start()
            .expect("a ClickHouse server for the test starts")
    });
    let ch_url = clickhouse.as_ref().map(|c| c.url()).unwrap_or_default();
    let mut extra: Vec<(&str, &str)> = extra.to_vec();
    if clickhouse.is_some() {
        extra.extend([
            ("TOUCHPOINT__EVENTS__ENGINE", "clickhouse"),
            ("TOUCHPOINT__CLICKHOUSE__URL", ch_url.as_str()),
            ("TOUCHPOINT__CLICKHOUSE__DATABASE", "touchpoint_test"),
        ]);
    }
    let settings = test_settings(data_dir.path(), &extra);
    let clock = Clock::manual(T0);
    let app = Application::build_with_clock(settings, clock.clone()).expect("app builds");
    let state = app.state();
    let ws = state.store.create_workspace("Acme", T0).unwrap().id;
    for (domain, tz) in [
        ("example.com", "UTC"),
        ("other.example", "America/New_York"),
    ] {
        state
            .store
            .add_site(
                ws,
                &Domain::parse(domain).unwrap(),
                Timezone::parse(tz).unwrap(),
                T0,
            )
            .unwrap();
    }
    state.reload_sites().unwrap();
    let api_key = format!("tp_test_{}", hex::encode(privacy::random_bytes::<8>()));
    state
        .store
        .add_api_key(
            &privacy::sha256_hex(api_key.as_bytes()),
            &ApiKeyRecord {
                name: "test".into(),
                prefix: "tp_test".into(),
                created_ms: T0,
                workspace: ws,
                // The test key also records conversions and manages sites.
                conversions: true,
                sites: true,
            },
        )
        .unwrap();
    let url = app.url();
    let handle = app.server_handle();
    let app_salts = app.salts();
    let task = tokio::spawn(app.run_until_stopped());
    TestApp {
        url,
        // Idle connections are dropped before the server's 5 s keep-alive
        // closes them, so a request never reuses one being closed.
        client: reqwest::Client::builder()
            .pool_idle_timeout(std::time::Duration::from_secs(2))
            .build()
            .unwrap(),
        clock,
        state,
        app_salts,
        api_key,
        data_dir,
        clickhouse,
        handle,
        task: Some(task),
    }
}

impl TestApp {
    /// With the ClickHouse engine: every byte of the server's data directory
    /// and every row of Touchpoint's tables there as text (the twin of a scan
    /// of the data dir); empty with the embedded engine.
    pub fn clickhouse_bytes(&self) -> Vec<u8> {
        let Some(ch) = &self.clickhouse else {
            return Vec::new();
        };
        let mut out = all_bytes(&ch.data_dir());
        let tables = ch.sql(
            "SELECT name FROM system.tables WHERE database = 'touchpoint_test' FORMAT TabSeparated",
        );
        for t in tables.lines() {
            out.extend(
                ch.sql(&format!(
                    "SELECT * FROM touchpoint_test.`{t}` FORMAT TabSeparated"
                ))
                .into_bytes(),
            );
        }
        assert!(out.len() > 1000, "the ClickHouse data was read");
        out
    }

    /// POSTs a raw body to /api/event.
    pub async fn post_raw(
        &self,
        body: &str,
        ua: &str,
        headers: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut req = self
            .client
            .post(format!("{}/api/event", self.url))
            .header("user-agent", ua)
            .header("content-type", "text/plain")
            .body(body.to_owned());
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.send().await.expect("request sent")
    }

    /// POSTs an event and asserts it was stored.
    pub async fn event(&self, body: Value, ua: &str, ip: &str) {
        let res = self
            .post_raw(&body.to_string(), ua, &[("x-forwarded-for", ip)])
            .await;
        assert_eq!(res.status().as_u16(), 202, "event {body} not accepted");
        assert!(
            res.headers().get("x-touchpoint-dropped").is_none(),
            "event {body} dropped"
        );
    }

    /// A pageview of `path` on example.com.
    pub async fn pageview(&self, path: &str, ua: &str, ip: &str) {
        self.event(
            json!({"n": "pageview", "u": format!("https://example.com{path}"), "d": "example.com"}),
            ua,
            ip,
        )
        .await;
    }

    /// POST /api/v2/query; returns status and body.
    pub async fn query(&self, q: Value) -> (u16, Value) {
        let res = self
            .client
            .post(format!("{}/api/v2/query", self.url))
            .bearer_auth(&self.api_key)
            .json(&q)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// Runs a v2 query that must succeed; returns its results.
    pub async fn results(&self, q: Value) -> Vec<Value> {
        let (status, body) = self.query(q.clone()).await;
        assert_eq!(status, 200, "query {q} failed: {body}");
        body["results"].as_array().unwrap().clone()
    }

    /// Aggregate metrics for example.com over `range`.
    pub async fn aggregate(&self, metrics: &[&str], range: Value) -> Vec<Value> {
        let r = self
            .results(json!({"site_id": "example.com", "metrics": metrics, "date_range": range}))
            .await;
        r[0]["metrics"].as_array().unwrap().clone()
    }

    /// A plain GET, no credentials.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .unwrap()
    }

    /// GET with the API key.
    pub async fn get_api(&self, path: &str) -> (u16, Value) {
        let res = self
            .client
            .get(format!("{}{path}", self.url))
            .bearer_auth(&self.api_key)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// Stops the server gracefully and waits for the writer to drain.
    pub async fn stop(mut self) -> Stopped {
        self.handle.stop(true).await;
        if let Some(t) = self.task.take() {
            t.await.unwrap().unwrap();
        }
        let Self {
            data_dir,
            state,
            app_salts,
            clickhouse,
            ..
        } = self;
        drop((state, app_salts));
        // Server worker threads drop their handles on the store a moment
        // after stopping: wait until another process could open it.
        for _ in 0..100 {
            match touchpoint::store::Store::open(data_dir.path()) {
                Err(touchpoint::store::StoreError::Locked(_)) => {
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
                _ => break,
            }
        }
        Stopped {
            dir: data_dir,
            clickhouse,
        }
    }
}

/// What a stopped app leaves: its data dir and, with the ClickHouse engine,
/// the still running server holding its visits.
pub struct Stopped {
    pub dir: tempfile::TempDir,
    pub clickhouse: Option<crate::clickhouse_server::ClickHouseServer>,
}

impl std::ops::Deref for Stopped {
    type Target = tempfile::TempDir;
    fn deref(&self) -> &tempfile::TempDir {
        &self.dir
    }
}

impl Stopped {
    /// The store, on the app's engine.
    pub fn store(&self) -> touchpoint::store::Store {
        let mut store = touchpoint::store::Store::open(self.dir.path()).unwrap();
        if let Some(ch) = &self.clickhouse {
            store.use_clickhouse(std::sync::Arc::new(
                touchpoint::store::clickhouse::ClickHouse::connect(
                    touchpoint::store::clickhouse::ClickHouseConfig {
                        url: ch.url(),
                        database: "touchpoint_test".into(),
                        user: "default".into(),
                        password: String::new(),
                        cluster: String::new(),
                        timeout: std::time::Duration::from_secs(30),
                        query_timeout: std::time::Duration::from_secs(600),
                    },
                )
                .unwrap(),
            ));
        }
        store
    }

    /// The environment a command needs to use the app's engine.
    pub fn engine_env(&self) -> Vec<(&'static str, String)> {
        match &self.clickhouse {
            Some(ch) => vec![
                ("TOUCHPOINT__EVENTS__ENGINE", "clickhouse".into()),
                ("TOUCHPOINT__CLICKHOUSE__URL", ch.url()),
                ("TOUCHPOINT__CLICKHOUSE__DATABASE", "touchpoint_test".into()),
            ],
            None => Vec::new(),
        }
    }

    /// Runs a command of the binary on the data dir and engine; its stdout.
    pub fn run_ok(&self, args: &[&str]) -> String {
        let out = crate::process::cmd(self.dir.path())
            .envs(self.engine_env())
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }
}
