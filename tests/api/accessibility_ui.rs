//! An automated accessibility audit in headless Chromium: axe-core (pinned
//! in `.ci/run`, which installs it into target/node) runs on every kind of
//! dashboard page — with data in it, before and after login, in the light
//! and the dark colour scheme — and no violation of impact "serious" or
//! "critical" may remain. A planted unlabelled field shows the audit bites.

use std::path::Path;

use fantoccini::{Client, Locator};
use serde_json::{Value, json};
use touchpoint::{
    domain::{Role, SiteId},
    store::{GoalKind, WorkspaceChoice},
};

use crate::{
    attribution::scenario,
    browser::Browser,
    helpers::{CHROME, TestApp},
    ui_steps::{click, log_in_with, type_into, wait_for},
};

/// The pinned version, as `.ci/run` names it (`AXE_CORE_VERSION=…`).
fn pinned_version() -> String {
    let run = Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/run");
    let text = std::fs::read_to_string(&run).unwrap();
    text.lines()
        .find_map(|l| l.trim().strip_prefix("AXE_CORE_VERSION="))
        .map(|v| v.trim_matches('"').to_owned())
        .expect(".ci/run pins AXE_CORE_VERSION")
}

/// axe-core's source, as `.ci/run` installs it; a clear failure when it is
/// missing or another version (never a skip).
fn axe_source() -> String {
    let version = pinned_version();
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("target/node/node_modules/axe-core/axe.min.js");
    let source = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}. The accessibility audit needs axe-core {version}: .ci/run installs it \
             (npm install --prefix target/node axe-core@{version}); run .ci/run or that step",
            path.display()
        )
    });
    assert!(
        source.starts_with(&format!("/*! axe v{version}\n")),
        "{} is not axe-core {version}: run .ci/run to install the pinned version",
        path.display()
    );
    source
}

/// Runs axe on the page shown; returns its serious and critical violations
/// as lines (rule id, impact, help, first node's target, how many nodes)
/// and how many rules passed.
async fn audit(c: &Client, axe: &str) -> (Vec<String>, usize) {
    let loaded = c.execute("return typeof window.axe", vec![]).await.unwrap();
    if loaded != "object" {
        // The driver evaluates the source: the page's CSP doesn't apply.
        c.execute(axe, vec![]).await.expect("axe-core loads");
    }
    let r = c
        .execute_async(
            r"const done = arguments[arguments.length - 1];
            axe.run(document, {resultTypes: ['violations']}).then(r => done({
                passes: r.passes.length,
                violations: r.violations
                    .filter(v => v.impact === 'serious' || v.impact === 'critical')
                    .map(v => ({id: v.id, impact: v.impact, help: v.help,
                        target: v.nodes[0].target.join(' '), nodes: v.nodes.length})),
            }), e => done({error: String(e)}));",
            vec![],
        )
        .await
        .expect("axe runs");
    assert!(r.get("error").is_none(), "axe failed: {r}");
    let lines = r["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            format!(
                "{} ({}): {} — first at `{}` ({} nodes)",
                v["id"].as_str().unwrap(),
                v["impact"].as_str().unwrap(),
                v["help"].as_str().unwrap(),
                v["target"].as_str().unwrap(),
                v["nodes"]
            )
        })
        .collect();
    (lines, r["passes"].as_u64().unwrap() as usize)
}

/// Opens `path`, waits for `css` (so the page audited is the one meant, not
/// a redirect) and audits it, adding its violations to `found`.
async fn audit_page(
    c: &Client,
    app: &TestApp,
    axe: &str,
    found: &mut Vec<String>,
    (name, path, css): (&str, &str, &str),
) {
    c.goto(&format!("{}{path}", app.url)).await.unwrap();
    audit_here(c, axe, found, name, css).await;
}

async fn audit_here(c: &Client, axe: &str, found: &mut Vec<String>, name: &str, css: &str) {
    wait_for(c, name, css).await;
    let (violations, passes) = audit(c, axe).await;
    assert!(passes > 10, "{name}: axe ran only {passes} passing rules");
    found.extend(violations.into_iter().map(|v| format!("{name}: {v}")));
}

/// The attribution scenario (a lead with a journey, a purchase), plus a
/// Signup goal completed today, lead scoring and a visitor online now.
async fn seeded() -> TestApp {
    let app = scenario().await;
    app.state
        .store
        .add_goal(SiteId(1), GoalKind::Event("Signup".into()))
        .unwrap();
    app.edit_site(|s| {
        s.scoring = serde_json::from_value(json!({"threshold": 20, "rules": [
            {"heading": "engagement", "when": {"event": "lead"}, "points": 30}]}))
        .unwrap();
    });
    for (ip, referrer) in [("192.0.2.1", "https://www.google.com/"), ("192.0.2.2", "")] {
        app.pageview("/pricing", CHROME, ip).await;
        let mut signup: Value = json!({"n": "Signup", "u": "https://example.com/pricing", "d": "example.com",
                "p": {"plan": "pro"}});
        if !referrer.is_empty() {
            signup["r"] = json!(referrer);
        }
        app.event(signup, CHROME, ip).await;
    }
    app
}

#[tokio::test]
async fn no_dashboard_page_has_a_serious_or_critical_accessibility_violation() {
    audit_every_page(false).await;
}

#[tokio::test]
async fn no_dashboard_page_has_a_serious_or_critical_accessibility_violation_in_dark_mode() {
    audit_every_page(true).await;
}

/// Audits every kind of page, in the light colour scheme or the dark one.
async fn audit_every_page(dark: bool) {
    let axe = axe_source();
    let flags: &[&str] = if dark { &["--force-dark-mode"] } else { &[] };
    let browser = Browser::start_with(flags)
        .await
        .expect("browser starts (needs chromium and chromium-driver: .ci/run installs them)");
    let scheme = browser
        .client
        .execute(
            "return matchMedia('(prefers-color-scheme: dark)').matches",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(scheme, json!(dark), "the colour scheme asked for");
    let app = seeded().await;
    let c = &browser.client;
    let mut found = Vec::new();
    let site = "/sites/example.com";

    // Before anyone exists: the setup wizard, then the login.
    let token = app.state.auth.setup_token().expect("a setup token");
    let setup = format!("/setup?token={token}");
    audit_page(
        c,
        &app,
        &axe,
        &mut found,
        ("setup wizard", &setup, "form[action='/setup']"),
    )
    .await;
    let owner = app.user(
        "owner@example.com",
        Role::Owner,
        WorkspaceChoice::Existing(app.acme()),
    );
    let viewer = app.user(
        "viewer@example.com",
        Role::Viewer,
        WorkspaceChoice::Existing(app.acme()),
    );
    audit_page(
        c,
        &app,
        &axe,
        &mut found,
        ("login", "/login", "input[name=password]"),
    )
    .await;

    // The owner, two-factor step included.
    {
        let found = &mut found;
        let axe = &axe;
        log_in_with(c, &app, &owner, || async move {
            audit_here(c, axe, found, "two-factor login step", "input[name=code]").await;
        })
        .await;
    }
    let goal = app.state.store.goals(SiteId(1)).unwrap()[0].id;
    let lead = app.state.store.leads(SiteId(1)).unwrap()[0].id.clone();
    let pages = [
        ("sites", "/sites".to_owned(), "main ul a"),
        ("overview", format!("{site}?period=7d"), ".kpis"),
        (
            "overview with a goal filter",
            format!("{site}?period=7d&f=goal%3ASignup"),
            ".kpis",
        ),
        (
            "a new site's overview",
            "/sites/other.example".into(),
            ".waiting",
        ),
        ("realtime", format!("{site}/realtime"), "#current-visitors"),
        (
            "goals",
            format!("{site}/goals?period=7d&goal={goal}"),
            "table.data",
        ),
        (
            "funnels",
            format!("{site}/funnels?period=7d&steps=%2Fpricing%0Aevent%3ASignup"),
            "#funnel",
        ),
        (
            "attribution",
            format!("{site}/attribution?period=7d&compare=1"),
            "#attribution",
        ),
        (
            "attribution, empty",
            format!("{site}/attribution?period=day&conversion=lead"),
            "#attribution-empty",
        ),
        ("leads", format!("{site}/leads"), "#leads"),
        ("a lead", format!("{site}/leads/{lead}"), "#lead-facts"),
        ("privacy", format!("{site}/privacy"), "main form"),
        ("settings", format!("{site}/settings"), "#general"),
        (
            "workspace and members",
            format!("/workspaces/{}", app.acme()),
            "main select",
        ),
        ("account", "/account".into(), "input[name=new]"),
        ("attribution models", "/docs/attribution".into(), "main dl"),
    ];
    for (name, path, css) in &pages {
        audit_page(c, &app, &axe, &mut found, (name, path, css)).await;
    }
    // Settings after a save that changed the snippet: the warning.
    c.goto(&format!("{}{site}/settings", app.url))
        .await
        .unwrap();
    c.find(Locator::Css("#general select[name=consent_mode]"))
        .await
        .unwrap()
        .select_by_value("require")
        .await
        .unwrap();
    click(c, "#general button[type=submit]").await;
    audit_here(
        c,
        &axe,
        &mut found,
        "settings, snippet changed",
        "#snippet-asks",
    )
    .await;
    // A person found on the privacy page: export, correct, erase.
    c.goto(&format!("{}{site}/privacy", app.url)).await.unwrap();
    type_into(
        c,
        "form[action$='/lookup'] input[name=value]",
        "ann@example.com",
    )
    .await;
    click(c, "form[action$='/lookup'] button[type=submit]").await;
    audit_here(c, &axe, &mut found, "privacy, a person found", "#found").await;

    // A viewer: the two-factor setup page and a 403 in the site's frame.
    c.delete_all_cookies().await.unwrap();
    log_in_with(c, &app, &viewer, || async {}).await;
    audit_page(
        c,
        &app,
        &axe,
        &mut found,
        ("two-factor setup", "/account/totp", "#totp-secret"),
    )
    .await;
    audit_page(
        c,
        &app,
        &axe,
        &mut found,
        ("403", &format!("{site}/settings"), ".error-page"),
    )
    .await;
    let title = c.title().await.unwrap();
    assert!(title.starts_with("Forbidden"), "{title}");

    // The audit finds what it should: an unlabelled field is critical.
    c.execute(
        "document.querySelector('main').append(document.createElement('input'))",
        vec![],
    )
    .await
    .unwrap();
    let (planted, _) = audit(c, &axe).await;
    assert!(
        planted.iter().any(|v| v.starts_with("label (critical)")),
        "{planted:?}"
    );
    browser.close().await.unwrap();

    assert!(
        found.is_empty(),
        "serious or critical accessibility violations:\n{}",
        found.join("\n")
    );
}
