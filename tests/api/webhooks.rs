//! Signed webhooks end to end: an endpoint added with `touchpoint webhook
//! add` (handed to the running server), a real receiver on loopback that
//! verifies every signature with the reference Standard Webhooks library
//! (PyPI `standardwebhooks`, tests/scripts/webhook_receiver.py), the
//! attribution scenario's lead and purchase delivered with their attribution
//! summaries, retries after failures with the same message id, erasure
//! announced, and destinations on private addresses refused by default.

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::Duration,
};

use serde_json::Value;

use crate::{
    attribution::{api, scenario_with},
    helpers::TestApp,
};

/// The receiver: its process, URL and files.
pub(crate) struct Receiver {
    child: Child,
    pub(crate) url: String,
    pub(crate) secret_file: PathBuf,
    out_file: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Receiver {
    pub(crate) fn start(fail_first: u32) -> Self {
        Self::answering(fail_first, 204, 0)
    }

    /// A receiver answering `answer` after `fail_first` 500s, each after `delay_ms`.
    pub(crate) fn answering(fail_first: u32, answer: u16, delay_ms: u64) -> Self {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let python = root.join("target/py/bin/python");
        let dir = tempfile::tempdir().unwrap();
        let (secret_file, out_file) = (dir.path().join("secret"), dir.path().join("out.jsonl"));
        let mut child = Command::new(&python)
            .arg(root.join("tests/scripts/webhook_receiver.py"))
            .arg(&secret_file)
            .arg(&out_file)
            .arg(fail_first.to_string())
            .arg(answer.to_string())
            .arg(delay_ms.to_string())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "{} can't run ({e}): run the README's test command (.ci/run), which installs standardwebhooks",
                    python.display()
                )
            });
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port: u16 = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("the receiver didn't start: {line:?}"));
        Self {
            child,
            url: format!("http://127.0.0.1:{port}/hooks"),
            secret_file,
            out_file,
            _dir: dir,
        }
    }

    pub(crate) fn records(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.out_file)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// Waits (up to 60 s) until `done` holds for the records.
    pub(crate) async fn wait_for(&self, what: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        for _ in 0..600 {
            let r = self.records();
            if done(&r) {
                return r;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{what}: the receiver has {:#?}", self.records());
    }
}

/// `touchpoint webhook …` run against the app's data dir (the running
/// server takes it over its admin socket).
fn cli(app: &TestApp, args: &[&str]) -> std::process::Output {
    crate::process::cmd(app.data_dir.path())
        .args(args)
        .output()
        .unwrap()
}

/// `touchpoint webhook add` on `dir` with `env`; the secret it prints last.
pub(crate) fn add_in(dir: &Path, env: &[(&str, &str)], url: &str, events: &str) -> String {
    let out = crate::process::cmd(dir)
        .envs(env.iter().copied())
        .args([
            "webhook",
            "add",
            "example.com",
            "--url",
            url,
            "--events",
            events,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let secret = stdout.lines().last().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"), "{stdout}");
    secret
}

/// [`add_in`] for a running app (the server takes it over its admin socket).
pub(crate) fn add(app: &TestApp, url: &str, events: &str) -> String {
    add_in(app.data_dir.path(), &[], url, events)
}

pub(crate) fn of_type<'a>(records: &'a [Value], t: &str) -> Vec<&'a Value> {
    records
        .iter()
        .filter(|r| r["verified"] == true && r["body"]["type"] == t)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leads_and_purchases_reach_a_verifying_receiver_with_their_attribution() {
    let receiver = Receiver::start(0);
    let app = scenario_with(
        &[("TOUCHPOINT__WEBHOOKS__ALLOW_PRIVATE_DESTINATIONS", "true")],
        |app| {
            let secret = add(
                app,
                &receiver.url,
                "lead.created,conversion.created,person.erased",
            );
            std::fs::write(&receiver.secret_file, secret).unwrap();
        },
    )
    .await;
    let records = receiver
        .wait_for("a lead and a purchase", |r| {
            !of_type(r, "lead.created").is_empty() && !of_type(r, "conversion.created").is_empty()
        })
        .await;
    assert!(
        records.iter().all(|r| r["verified"] == true),
        "{records:#?}"
    );
    let lead = &of_type(&records, "lead.created")[0]["body"];
    let lead_id = lead["data"]["lead"]["id"].as_str().unwrap().to_owned();
    assert_eq!(lead["data"]["site"], "example.com");
    let summary = &lead["data"]["lead"]["attribution"];
    assert_eq!(summary["first_touch"]["campaign"], "spring", "{lead}");
    assert_eq!(summary["first_touch"]["channel"], "Paid Search");
    assert_eq!(summary["last_touch"]["campaign"], "may");
    assert_eq!(summary["model"], "last_non_direct");
    let purchase = &of_type(&records, "conversion.created")[0]["body"];
    let c = &purchase["data"]["conversion"];
    assert_eq!(
        (&c["type"], &c["value"], &c["currency"]),
        (&"purchase".into(), &"120".into(), &"EUR".into())
    );
    assert_eq!(c["order_id"], "A-1");
    // The API gave Ann's address in clear: the CRM gets it (sealed at rest here).
    assert_eq!(purchase["data"]["lead"]["email"], "ann@example.com");
    assert_eq!(purchase["data"]["lead"]["id"], lead_id.as_str());
    // Not subscribed: no lead.identified; each message once.
    let ids: std::collections::HashSet<_> = records.iter().map(|r| r["id"].clone()).collect();
    assert_eq!(ids.len(), records.len(), "{records:#?}");

    // Erasure is announced by id, so the CRM can erase too.
    let (status, body) = api(
        &app,
        "/api/v1/conversions",
        serde_json::json!({"site_id": "example.com", "email": "bo@example.com", "type": "purchase",
                           "value": "5", "currency": "EUR", "order_id": "B-1"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let erased = erase_ann(&app).await;
    assert!(erased > 0);
    let records = receiver
        .wait_for("person.erased", |r| !of_type(r, "person.erased").is_empty())
        .await;
    let gone = &of_type(&records, "person.erased")[0]["body"]["data"];
    assert_eq!(gone["lead"], serde_json::json!({"id": lead_id}));
    // No plaintext address is left on disk, webhook outbox included.
    let stopped = app.stop().await;
    let bytes = crate::helpers::all_bytes(stopped.path());
    assert!(
        !bytes.windows(15).any(|w| w == b"ann@example.com"),
        "an address is on disk in clear"
    );
}

/// Erases Ann through the store (as the dashboard's erasure does); rows erased.
async fn erase_ann(app: &TestApp) -> u64 {
    use touchpoint::privacy::subject::{self, Identifier};
    let st = app.state.clone();
    let site = app.example_site();
    tokio::task::spawn_blocking(move || {
        let k = subject::resolve(
            &st.store,
            &st.auth.keys,
            &site,
            &Identifier::Email("ann@example.com".into()),
        )
        .unwrap();
        st.store.erase_person(site.id, &k).unwrap().values().sum()
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_attempts_are_retried_on_schedule_with_the_same_id() {
    let receiver = Receiver::start(2);
    let app = scenario_with(
        &[("TOUCHPOINT__WEBHOOKS__ALLOW_PRIVATE_DESTINATIONS", "true")],
        |app| {
            let secret = add(app, &receiver.url, "conversion.created");
            std::fs::write(&receiver.secret_file, secret).unwrap();
        },
    )
    .await;
    let first = receiver
        .wait_for("a first attempt", |r| !r.is_empty())
        .await;
    assert_eq!(first[0]["answered"], 500);
    // Nothing before the retry is due (5 s, ±10 %), on the app's clock.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(receiver.records().len(), 1, "retried too early");
    app.clock.advance_ms(6_000);
    receiver
        .wait_for("a second attempt", |r| r.len() >= 2)
        .await;
    app.clock.advance_ms(6 * 60_000);
    let all = receiver
        .wait_for("the third attempt", |r| r.len() >= 3)
        .await;
    assert_eq!(all[2]["answered"], 204);
    assert!(all.iter().all(|r| r["id"] == all[0]["id"]), "{all:#?}");
    // Delivered: no more attempts.
    app.clock.advance_ms(86_400_000);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(receiver.records().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_destinations_are_refused_unless_allowed() {
    let app = crate::helpers::spawn_app().await;
    for url in [
        "http://127.0.0.1:9/hooks",
        "http://169.254.169.254/latest/meta-data",
        "http://10.0.0.5/",
    ] {
        let out = cli(
            &app,
            &[
                "webhook",
                "add",
                "example.com",
                "--url",
                url,
                "--events",
                "lead.created",
            ],
        );
        assert!(!out.status.success(), "{url}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("allow_private_destinations"), "{err}");
    }
    let out = cli(
        &app,
        &[
            "webhook",
            "add",
            "example.com",
            "--url",
            "https://crm.example.com/x",
            "--events",
            "lead.made",
        ],
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown event \"lead.made\""));
    // A public name is accepted; if it resolves to a private address, the
    // connection is refused at delivery (see webhooks::destination).
    let secret = add(&app, "http://localhost.example.invalid/", "lead.created");
    assert!(secret.len() > 40);
    let list = String::from_utf8(cli(&app, &["webhook", "list", "example.com"]).stdout).unwrap();
    assert!(
        list.starts_with("1\tenabled\tlead.created\thttp://localhost.example.invalid/"),
        "{list}"
    );
}
