//! The OpenAPI document (`GET /api/openapi.json`) is true of the live server:
//! schemathesis (PyPI, pinned by .ci/run in the venv at target/py) reads it
//! from the server, generates requests for every operation (valid and
//! invalid, with and without the API key and the Segment write key) and
//! checks that no answer is a 5xx and that every answer's status, content
//! type and body are ones the document gives for that operation.
//!
//! The run is bounded and repeatable: one worker, a fixed number of cases per
//! operation and phase, Hypothesis' derandomized generation (schemathesis'
//! deterministic mode, which needs no example database) and a fixed seed
//! for a run without it. Most generated site, goal and import ids are the
//! traffic's, so the reports answer with rows; the others name nothing
//! (404). Destructive operations run too, on this throwaway app; only
//! a site made for it is ever deleted.

use std::{path::PathBuf, time::Instant};

use serde_json::{Value, json};

use crate::helpers::{CHROME, IPHONE, MIN, T0, TestApp, spawn_app};

/// The schemathesis executable of the venv .ci/run makes.
fn schemathesis() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/py/bin/schemathesis")
}

/// The site the run may delete.
const THROWAWAY: &str = "throwaway.example";
/// Generated cases per operation and phase.
const MAX_EXAMPLES: &str = "25";
/// The seed (used only when the deterministic mode is off).
const SEED: &str = "20240315";

async fn call(app: &TestApp, method: &str, path: &str, body: Value) -> (u16, Value) {
    let r = app
        .client
        .request(method.parse().unwrap(), format!("{}{path}", app.url))
        .bearer_auth(&app.api_key)
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

/// What the run's configuration names: ids the traffic made.
struct Known {
    /// example.com's Segment write key.
    write_key: String,
    /// example.com's goal.
    goal_id: u64,
    /// other.example's import.
    import_id: u64,
}

/// Two days of visits on example.com (pageviews, a goal's event with
/// revenue), its goal, a server-side purchase, a Segment batch, a throwaway
/// site, and example.com's export imported into other.example: every report
/// has rows and every list an item.
async fn traffic(app: &TestApp) -> Known {
    for day in 0..2u64 {
        for n in 0..4u64 {
            app.clock.set_ms(T0 - (2 - day) * 1440 * MIN + n * 10 * MIN);
            let ip = format!("198.51.{day}.{n}");
            let ua = if n % 2 == 0 { CHROME } else { IPHONE };
            app.event(
                json!({"n": "pageview", "u": "https://example.com/?utm_source=news&utm_campaign=spring",
                       "d": "example.com", "r": "https://www.google.com/"}),
                ua,
                &ip,
            )
            .await;
            app.event(
                json!({"n": "Signup", "u": "https://example.com/signup", "d": "example.com",
                       "p": {"plan": "pro"}, "$": {"amount": "12.50", "currency": "EUR"}}),
                ua,
                &ip,
            )
            .await;
        }
    }
    app.clock.set_ms(T0);
    let (s, b) = call(app, "POST", "/api/v1/sites", json!({"domain": THROWAWAY})).await;
    assert_eq!(s, 200, "{b}");
    let (s, goal) = call(
        app,
        "PUT",
        "/api/v1/sites/goals",
        json!({"site_id": "example.com", "goal_type": "event", "event_name": "Signup"}),
    )
    .await;
    assert_eq!(s, 200, "{goal}");
    let (s, b) = call(
        app,
        "POST",
        "/api/v1/conversions",
        json!({"site_id": "example.com", "type": "purchase", "email": "ann@example.com",
               "value": "49.90", "currency": "EUR", "order_id": "A-1"}),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let write_key = app.state.sites.load()["example.com"]
        .segment_write_key
        .clone()
        .expect("every site has a write key");
    let r = app
        .client
        .post(format!("{}/v1/batch", app.url))
        .basic_auth(&write_key, Some(""))
        .json(
            &json!({"batch": [{"type": "page", "anonymousId": "anon-1", "name": "Docs",
            "properties": {"url": "https://example.com/docs", "path": "/docs"},
            "context": {"ip": "203.0.113.7", "userAgent": CHROME},
            "timestamp": "2024-03-15T09:00:00Z"}]}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let zip = app
        .client
        .get(format!(
            "{}/api/v1/sites/example.com/export?from=2024-03-12&to=2024-03-14",
            app.url
        ))
        .bearer_auth(&app.api_key)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let import: Value = app
        .client
        .post(format!("{}/api/v1/sites/other.example/imports", app.url))
        .bearer_auth(&app.api_key)
        .body(zip)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    Known {
        write_key,
        goal_id: goal["id"].as_u64().unwrap(),
        import_id: import["id"].as_u64().unwrap_or_else(|| panic!("{import}")),
    }
}

/// schemathesis' configuration: the document's two security schemes get the
/// API key and example.com's write key; most generated site, goal and import
/// ids are the traffic's (the others name none), except that only the
/// throwaway site is ever deleted.
fn config(api_key: &str, known: &Known) -> String {
    let Known {
        write_key,
        goal_id,
        import_id,
    } = known;
    format!(
        r#"[auth.openapi.bearerAuth]
bearer = "{api_key}"

[auth.openapi.segmentBasic]
username = "{write_key}"
password = ""

[dictionaries.sites]
values = ["example.com", "other.example"]

[dictionaries.goals]
values = ["{goal_id}"]

[dictionaries.imports]
values = [{import_id}]

[parameters]
"path.site_id" = {{ dictionary = "sites", probability = 0.7 }}
"query.site_id" = {{ dictionary = "sites", probability = 0.7 }}
"body.site_id" = {{ dictionary = "sites", probability = 0.7 }}
"path.goal_id" = {{ dictionary = "goals", probability = 0.5 }}
"path.import_id" = {{ dictionary = "imports", probability = 0.5 }}

[[operations]]
include-name = "DELETE /api/v1/sites/{{site_id}}"
parameters = {{ "path.site_id" = "{THROWAWAY}" }}
"#
    )
}

#[tokio::test]
async fn the_live_server_keeps_to_its_openapi_document() {
    let program = schemathesis();
    assert!(
        program.is_file(),
        "{} is missing: run the README's test command (.ci/run), which installs schemathesis",
        program.display()
    );
    let app = spawn_app().await;
    let known = traffic(&app).await;
    let dir = tempfile::tempdir().unwrap();
    let config_file = dir.path().join("schemathesis.toml");
    std::fs::write(&config_file, config(&app.api_key, &known)).unwrap();
    let schema_url = format!("{}/api/openapi.json", app.url);
    let started = Instant::now();
    let out = tokio::task::spawn_blocking(move || {
        let out = std::process::Command::new(&program)
            .current_dir(dir.path())
            .env("NO_COLOR", "1")
            .arg("--config-file")
            .arg(&config_file)
            .args(["run", &schema_url])
            .args([
                "--checks",
                "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
                "--max-examples",
                MAX_EXAMPLES,
                "--seed",
                SEED,
                "--generation-deterministic",
                "--workers",
                "1",
                "--request-timeout",
                "30",
                "--no-color",
            ])
            .output()
            .unwrap_or_else(|e| {
                panic!(
                    "{} can't run ({e}): run the README's test command (.ci/run), which installs schemathesis",
                    program.display()
                )
            });
        drop(dir);
        out
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "schemathesis failed, or found answers the document doesn't give ({:.0?}):\n{stdout}\n{}",
        started.elapsed(),
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("schemathesis ran in {:.0?}", started.elapsed());
    // Every operation was tested: "Selected: N/N" and "Tested: N".
    let count = |label: &str| {
        stdout
            .lines()
            .find_map(|l| l.trim().strip_prefix(label))
            .map(|n| n.split('/').next().unwrap_or_default().trim().to_owned())
    };
    let selected = count("Selected:");
    assert!(selected.is_some(), "{stdout}");
    assert_eq!(count("Tested:"), selected, "{stdout}");
}
