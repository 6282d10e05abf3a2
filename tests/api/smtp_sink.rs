//! A real SMTP server for the mail tests: aiosmtpd (pinned, in the venv at
//! target/py that .ci/run installs) run by tests/scripts/smtp_sink.py on a
//! free loopback port. Each accepted message is a JSON file in a temporary
//! directory, written before the server answers, so it is there once a send
//! returns. A missing venv or package fails the test.

use std::{
    io::{BufRead, BufReader},
    path::PathBuf,
    process::{Child, Command, Stdio},
};

use serde_json::Value;

pub struct SmtpSink {
    pub port: u16,
    dir: tempfile::TempDir,
    child: Child,
}

/// One received message.
#[derive(Debug, Clone)]
pub struct Received {
    pub rcpt_tos: Vec<String>,
    pub subject: String,
    pub headers: Value,
    pub parts: Vec<Value>,
}

impl Received {
    /// The decoded text of the first part of `content_type`.
    pub fn text(&self, content_type: &str) -> String {
        self.parts
            .iter()
            .find(|p| p["content_type"] == content_type)
            .and_then(|p| p["text"].as_str())
            .unwrap_or_else(|| panic!("no {content_type} part in {:?}", self.parts))
            .replace("\r\n", "\n")
    }

    /// The bytes of the first part of `content_type`, and its Content-ID.
    pub fn bytes(&self, content_type: &str) -> (Vec<u8>, String) {
        use base64::Engine;
        let p = self
            .parts
            .iter()
            .find(|p| p["content_type"] == content_type)
            .unwrap_or_else(|| panic!("no {content_type} part in {:?}", self.parts));
        let b = base64::engine::general_purpose::STANDARD
            .decode(p["base64"].as_str().unwrap())
            .unwrap();
        (b, p["content_id"].as_str().unwrap_or_default().to_owned())
    }
}

impl SmtpSink {
    pub fn start() -> Self {
        let python = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/py/bin/python");
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/scripts/smtp_sink.py");
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(&python)
            .arg(&script)
            .arg(dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "{} can't run ({e}): run the README's test command (.ci/run), which installs aiosmtpd",
                    python.display()
                )
            });
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line.trim().parse().unwrap_or_else(|_| {
            panic!("the SMTP sink did not start (is aiosmtpd installed in target/py? run .ci/run): {line:?}")
        });
        Self { port, dir, child }
    }

    /// Settings that send mail to this server.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("TOUCHPOINT__MAIL__SMTP_HOST", "127.0.0.1".into()),
            ("TOUCHPOINT__MAIL__SMTP_PORT", self.port.to_string()),
            (
                "TOUCHPOINT__MAIL__FROM",
                "Touchpoint <reports@touchpoint.test>".into(),
            ),
            ("TOUCHPOINT__MAIL__TLS", "none".into()),
            // Tests run the jobs' functions themselves.
            ("TOUCHPOINT__JOBS__MAIL_REPORT_SCHEDULE", String::new()),
            ("TOUCHPOINT__JOBS__TRAFFIC_ALERT_SCHEDULE", String::new()),
        ]
    }

    /// Every message received so far, oldest first.
    pub fn received(&self) -> Vec<Received> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|f| {
                let v: Value = serde_json::from_slice(&std::fs::read(f).unwrap()).unwrap();
                Received {
                    rcpt_tos: v["rcpt_tos"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|r| r.as_str().unwrap().to_owned())
                        .collect(),
                    subject: v["headers"]["Subject"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                    headers: v["headers"].clone(),
                    parts: v["parts"].as_array().unwrap().clone(),
                }
            })
            .collect()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
