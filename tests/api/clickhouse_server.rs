//! A real ClickHouse server (Debian's `clickhouse-server`) for one test: free
//! ports, a temporary directory for everything it writes, a generated config.
//! It stops when dropped, and a watchdog shell stops it if the test process
//! dies first, so nothing is left running.

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

/// Where Debian puts the server.
const BINARIES: [&str; 3] = [
    "/usr/sbin/clickhouse-server",
    "/usr/bin/clickhouse-server",
    "clickhouse-server",
];

pub struct ClickHouseServer {
    pub http_port: u16,
    dir: tempfile::TempDir,
    watchdog: Option<Child>,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn binary() -> anyhow::Result<PathBuf> {
    for b in BINARIES {
        let p = Path::new(b);
        if p.is_absolute() && p.exists() {
            return Ok(p.to_owned());
        }
    }
    anyhow::bail!(
        "clickhouse-server is not installed: run the README's test command (.ci/run), \
         which installs Debian's clickhouse-server"
    )
}

impl ClickHouseServer {
    /// Free ports for a server: HTTP, native TCP, interserver.
    pub fn reserve_ports() -> [u16; 3] {
        [free_port(), free_port(), free_port()]
    }

    /// Starts a server with `extra` XML inside `<yandex>` (clusters, macros).
    pub fn start_with(extra: &str) -> anyhow::Result<Self> {
        // A port found free can be taken by another test before the server
        // binds it: then try fresh ones (a few times).
        let mut tries = 0;
        loop {
            match Self::start_on(Self::reserve_ports(), extra) {
                Err(e) if tries < 3 && format!("{e:#}").contains("Address already in use") => {
                    tries += 1;
                }
                started => return started,
            }
        }
    }

    /// Starts a server on the given ports (see [`ClickHouseServer::reserve_ports`]).
    pub fn start_on(ports: [u16; 3], extra: &str) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let [http_port, tcp_port, inter] = ports;
        let d = dir.path().display().to_string();
        for sub in ["data", "tmp", "user_files", "format_schemas", "log"] {
            std::fs::create_dir_all(dir.path().join(sub))?;
        }
        std::fs::write(
            dir.path().join("config.xml"),
            format!(
                r#"<?xml version="1.0"?>
<yandex>
    <logger><level>warning</level><log>{d}/log/server.log</log><errorlog>{d}/log/server.err.log</errorlog><size>100M</size><count>1</count></logger>
    <listen_host>127.0.0.1</listen_host>
    <http_port>{http_port}</http_port>
    <tcp_port>{tcp_port}</tcp_port>
    <interserver_http_host>127.0.0.1</interserver_http_host>
    <interserver_http_port>{inter}</interserver_http_port>
    <max_connections>256</max_connections>
    <keep_alive_timeout>3</keep_alive_timeout>
    <max_concurrent_queries>100</max_concurrent_queries>
    <uncompressed_cache_size>67108864</uncompressed_cache_size>
    <mark_cache_size>67108864</mark_cache_size>
    <path>{d}/data/</path>
    <tmp_path>{d}/tmp/</tmp_path>
    <user_files_path>{d}/user_files/</user_files_path>
    <format_schema_path>{d}/format_schemas/</format_schema_path>
    <users_config>{d}/users.xml</users_config>
    <include_from>{d}/metrika.xml</include_from>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
    <umask>022</umask>
    <mlock_executable>false</mlock_executable>
    <dictionaries_config>{d}/*_dictionary.xml</dictionaries_config>
{extra}
</yandex>
"#
            ),
        )?;
        std::fs::write(
            dir.path().join("metrika.xml"),
            r#"<?xml version="1.0"?><yandex/>"#,
        )?;
        std::fs::write(
            dir.path().join("users.xml"),
            r#"<?xml version="1.0"?>
<yandex>
    <profiles><default><max_memory_usage>4000000000</max_memory_usage><load_balancing>random</load_balancing></default></profiles>
    <users><default><password></password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks><profile>default</profile><quota>default</quota></default></users>
    <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
"#,
        )?;
        let mut me = Self {
            http_port,
            dir,
            watchdog: None,
        };
        me.launch()?;
        Ok(me)
    }

    /// Starts a single server.
    pub fn start() -> anyhow::Result<Self> {
        Self::start_with("")
    }

    fn launch(&mut self) -> anyhow::Result<()> {
        let bin = binary()?;
        let d = self.dir.path();
        let child = guarded(
            r#""$1" --config-file="$2" >"$3/log/stdout.log" 2>&1"#,
            &[
                bin.as_os_str(),
                d.join("config.xml").as_os_str(),
                d.as_os_str(),
            ],
            &d.join("server.pid"),
        )?;
        self.watchdog = Some(child);
        let started = Instant::now();
        loop {
            if let Ok(body) = ping(self.http_port)
                && body.starts_with("Ok.")
            {
                return Ok(());
            }
            if started.elapsed() > Duration::from_secs(30) {
                let log = std::fs::read_to_string(d.join("log/server.err.log")).unwrap_or_default();
                anyhow::bail!("clickhouse-server did not answer /ping within 30 s: {log}");
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.http_port)
    }

    /// The server's data directory (what a scan for personal data reads).
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The server's error log.
    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("log/server.err.log")).unwrap_or_default()
    }

    /// Kills the server at once (`kill -9`), as a crash would.
    pub fn kill(&mut self) {
        if let Ok(pid) = std::fs::read_to_string(self.dir.path().join("server.pid")) {
            let _ = Command::new("kill").args(["-9", pid.trim()]).status();
        }
        if let Some(mut w) = self.watchdog.take() {
            let _ = w.wait();
        }
    }

    /// Starts it again on the same ports and data.
    pub fn restart(&mut self) -> anyhow::Result<()> {
        self.stop();
        self.launch()
    }

    /// Stops it cleanly and waits.
    pub fn stop(&mut self) {
        if let Some(mut w) = self.watchdog.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &w.id().to_string()])
                .status();
            let _ = w.wait();
        }
    }

    /// Runs SQL over HTTP: the answer's body, or the error answer's.
    pub fn try_sql(&self, sql: &str) -> Result<String, String> {
        match http(self.http_port, "POST", "/", sql) {
            Ok((200, body)) => Ok(body),
            Ok((status, body)) => Err(format!("{status}: {body}")),
            Err(e) => Err(e.to_string()),
        }
    }

    /// Runs SQL over HTTP and returns the answer's body (panics on an error answer).
    pub fn sql(&self, sql: &str) -> String {
        let (status, body) = http(self.http_port, "POST", "/", sql).expect("ClickHouse answers");
        assert!(status == 200, "ClickHouse refused {sql}: {body}");
        body
    }
}

impl Drop for ClickHouseServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn ping(port: u16) -> std::io::Result<String> {
    http(port, "GET", "/ping", "").map(|(_, b)| b)
}

/// A plain HTTP/1.0 request: (status, body).
fn http(port: u16, method: &str, path: &str, body: &str) -> std::io::Result<(u16, String)> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(60)))?;
    write!(
        s,
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
    let status = out
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    Ok((
        status,
        out.split("\r\n\r\n").nth(1).unwrap_or("").to_owned(),
    ))
}

/// A ZooKeeper server (Debian's `zookeeper`) for a cluster test: ClickHouse
/// needs it for `ON CLUSTER` statements and replicated tables. Stops when
/// dropped; a watchdog stops it if the test process dies first.
pub struct ZooKeeper {
    pub port: u16,
    _dir: tempfile::TempDir,
    watchdog: Child,
}

impl ZooKeeper {
    pub fn start() -> anyhow::Result<Self> {
        let jar = Path::new("/usr/share/java/zookeeper.jar");
        anyhow::ensure!(
            jar.exists(),
            "ZooKeeper is not installed: run the README's test command (.ci/run), which installs Debian's zookeeper"
        );
        let dir = tempfile::tempdir()?;
        let port = free_port();
        let d = dir.path().display().to_string();
        std::fs::create_dir_all(dir.path().join("data"))?;
        std::fs::write(
            dir.path().join("zoo.cfg"),
            format!(
                "tickTime=2000\ndataDir={d}/data\nclientPort={port}\nclientPortAddress=127.0.0.1\n\
                 admin.enableServer=false\nmaxClientCnxns=0\n4lw.commands.whitelist=ruok,srvr\n"
            ),
        )?;
        let watchdog = guarded(
            r#"java -Xmx256m -cp "$1" org.apache.zookeeper.server.quorum.QuorumPeerMain "$2/zoo.cfg" >"$2/zk.log" 2>&1"#,
            &[jar.as_os_str(), dir.path().as_os_str()],
            &dir.path().join("zk.pid"),
        )?;
        let me = Self {
            port,
            _dir: dir,
            watchdog,
        };
        let started = Instant::now();
        loop {
            use std::io::{Read, Write};
            // `srvr` names the mode only once the server serves requests
            // (`ruok` answers `imok` before that). A server still starting
            // may accept and never answer: the probe times out and retries.
            if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
                let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
                let _ = s.set_write_timeout(Some(Duration::from_secs(2)));
                let _ = s.write_all(b"srvr");
                let mut out = String::new();
                let _ = s.read_to_string(&mut out);
                if out.contains("Mode: standalone") {
                    return Ok(me);
                }
            }
            if started.elapsed() > Duration::from_secs(60) {
                anyhow::bail!("ZooKeeper did not serve within 60 s");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for ZooKeeper {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.watchdog.id().to_string()])
            .status();
        let _ = self.watchdog.wait();
    }
}

/// Runs the shell command `start` (its arguments `args`, as `$1`...) under a
/// watchdog shell that writes the command's pid to `pid_file`, stops it on
/// TERM, and stops it when the test process is gone — so nothing a test
/// starts outlives it.
fn guarded(start: &str, args: &[&std::ffi::OsStr], pid_file: &Path) -> std::io::Result<Child> {
    let script = format!(
        r#"{start} &
child=$!
echo $child >"$TP_PID_FILE"
trap 'kill -TERM $child 2>/dev/null; wait $child; exit 0' TERM
while kill -0 "$TP_WATCH_PID" 2>/dev/null && kill -0 $child 2>/dev/null; do sleep 0.2; done
kill -TERM $child 2>/dev/null
wait $child
"#
    );
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg("sh")
        .args(args)
        .env("TP_PID_FILE", pid_file)
        .env("TP_WATCH_PID", std::process::id().to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
}
