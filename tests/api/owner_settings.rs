//! A first-time owner's site settings (issue #12): a consent-mode change
//! warns and shows the new snippet; the optional scripts are offered to
//! copy; lead scoring has a form (JSON stays as the advanced way); Stripe's
//! four events read the same on the page and in the README; and a deleted
//! site is listed with its purge date and restored from the command line.

use touchpoint::{
    attribution::scoring::{Condition, Heading},
    domain::{Role, SiteId},
};

use crate::{
    helpers::{CHROME, MIN, T0, spawn_app},
    process::cmd,
};

fn snippet_warning(page: &str) -> Option<&str> {
    let w = page.split("id=\"snippet-changed\"").nth(1)?;
    w.split("</div>").next()
}

#[tokio::test]
async fn changing_the_consent_mode_warns_that_the_snippet_changed_and_shows_the_new_one() {
    let app = spawn_app().await;
    let (mut admin, _) = app.member("adam@acme.test", Role::Admin, app.acme()).await;
    let (_, _, page) = admin.get("/sites/example.com/settings").await;
    assert!(
        page.contains("/js/tp.js&quot;") || page.contains("/js/tp.js\""),
        "{page}"
    );
    let form = |mode: &'static str| {
        [
            ("timezone", "UTC"),
            ("hostnames", ""),
            ("consent_mode", mode),
            ("policy_version", "1"),
            ("forms", "marked"),
        ]
    };
    let (status, _, page) = admin
        .post("/sites/example.com/settings", &form("require"))
        .await;
    assert_eq!(status, 200);
    let warning = snippet_warning(&page).expect("a warning");
    assert!(warning.contains("never asks for consent"), "{warning}");
    let new = warning
        .split("id=\"snippet-new\">")
        .nth(1)
        .unwrap()
        .split("</pre>")
        .next()
        .unwrap();
    assert!(
        new.contains("/js/tp.full.js") && new.contains("data-consent=&quot;require&quot;"),
        "{new}"
    );
    assert!(
        warning.contains("data-copy-target=\"snippet-new\""),
        "{warning}"
    );
    // Saving without changing what the snippet says: no warning.
    let (_, _, page) = admin
        .post("/sites/example.com/settings", &form("require"))
        .await;
    assert!(snippet_warning(&page).is_none(), "{page}");
    // Back to cookieless: the old consent-aware pages would still ask.
    let (_, _, page) = admin
        .post("/sites/example.com/settings", &form("cookieless"))
        .await;
    assert!(
        snippet_warning(&page).is_some_and(|w| w.contains("keep asking for consent")),
        "{page}"
    );
}

#[tokio::test]
async fn the_consent_banner_and_extras_scripts_are_offered_as_snippets_that_load() {
    let app = spawn_app().await;
    let (mut admin, _) = app.member("adam@acme.test", Role::Admin, app.acme()).await;
    let (_, _, page) = admin.get("/sites/example.com/settings").await;
    for (id, script) in [
        ("snippet-consent", "/js/tp-consent.js"),
        ("snippet-extras", "/js/tp-extras.js"),
    ] {
        let pre = page
            .split(&format!("<pre class=\"snippet\" id=\"{id}\">"))
            .nth(1)
            .unwrap_or_else(|| panic!("{id}: {page}"))
            .split("</pre>")
            .next()
            .unwrap();
        let url = format!("{}{script}", app.url);
        assert!(pre.contains(&url), "{id}: {pre}");
        assert!(page.contains(&format!("data-copy-target=\"{id}\"")), "{id}");
        assert_eq!(
            app.get(script).await.status().as_u16(),
            200,
            "{script} is served"
        );
    }
    // A cookieless site is told the banner is for sites that ask.
    let scripts = page.split("id=\"scripts\"").nth(1).unwrap();
    assert!(
        scripts.contains("Only for a site that asks for consent"),
        "{scripts}"
    );
}

#[tokio::test]
async fn lead_scoring_is_a_form_of_rules_and_the_json_stays_as_the_advanced_way() {
    let app = spawn_app().await;
    let (mut admin, _) = app.member("adam@acme.test", Role::Admin, app.acme()).await;
    admin.get("/sites/example.com/settings").await;
    let row = |h, k, m, p, r| {
        [
            ("heading", h),
            ("kind", k),
            ("match", m),
            ("points", p),
            ("repeat", r),
        ]
    };
    let mut form: Vec<(&str, &str)> = Vec::new();
    form.extend(row("engagement", "page", "/pricing*", "10", "each"));
    form.extend(row("fit", "prop", "plan=enterprise", "40", "once"));
    form.extend(row("fit", "event", "", "0", "once"));
    form.extend([("threshold", "50"), ("half_life_days", "30")]);
    let (status, _, page) = admin.post("/sites/example.com/scoring", &form).await;
    assert_eq!(status, 200, "{page}");
    let s = app.example_site().scoring;
    assert_eq!(s.rules.len(), 2, "the blank row is left out");
    assert_eq!(
        (s.rules[0].heading, s.rules[0].each_time),
        (Heading::Engagement, true)
    );
    assert_eq!(
        s.rules[1].when,
        Condition::Prop {
            key: "plan".into(),
            value: "enterprise".into()
        }
    );
    assert_eq!((s.threshold, s.half_life_days), (50, 30));
    // The page shows the rules as rows, plus blank ones, and the JSON.
    let rules = page
        .split("id=\"scoring-rules\"")
        .nth(1)
        .unwrap()
        .split("</table>")
        .next()
        .unwrap();
    assert!(
        rules.contains("value=\"plan=enterprise\"") && rules.contains("value=\"/pricing*\""),
        "{rules}"
    );
    assert_eq!(rules.matches("name=\"match\"").count(), 2 + 3);
    assert!(page.contains("Advanced: edit the rules as JSON"), "{page}");
    // A wrong row is named and nothing changes.
    let bad = row("fit", "page", "pricing", "5", "once");
    let (status, _, page) = admin.post("/sites/example.com/scoring", &bad).await;
    assert_eq!(status, 400);
    assert!(page.contains("rule 1: a page starts with /"), "{page}");
    assert_eq!(app.example_site().scoring.rules.len(), 2);
    // JSON still works.
    let json = r#"{"rules": [{"heading": "fit", "when": {"event": "Demo"}, "points": 5}]}"#;
    let (status, _, _) = admin
        .post("/sites/example.com/scoring", &[("scoring", json)])
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        app.example_site().scoring.rules[0].when,
        Condition::Event("Demo".into())
    );
}

#[tokio::test]
async fn stripe_settings_and_the_readme_name_the_same_four_events() {
    let app = spawn_app().await;
    let (mut admin, _) = app.member("adam@acme.test", Role::Admin, app.acme()).await;
    let (_, _, page) = admin.get("/sites/example.com/settings").await;
    let stripe = page
        .split("id=\"stripe\"")
        .nth(1)
        .unwrap()
        .split("</section>")
        .next()
        .unwrap();
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let events = [
        "checkout.session.completed",
        "checkout.session.async_payment_succeeded",
        "invoice.paid",
        "charge.refunded",
    ];
    assert!(stripe.contains("these four events"), "{stripe}");
    for e in events {
        assert!(
            stripe.contains(&format!("<code>{e}</code>")),
            "{e}: {stripe}"
        );
        assert!(readme.contains(&format!("`{e}`")), "{e} in the README");
    }
    assert_eq!(stripe.matches("<code>").count(), 4, "{stripe}");
}

#[tokio::test]
async fn a_deleted_site_is_listed_with_its_purge_date_and_restored_from_the_command_line() {
    let app = spawn_app().await;
    app.pageview("/", CHROME, "203.0.113.1").await;
    let (mut owner, _) = app.member("olga@acme.test", Role::Owner, app.acme()).await;
    let (_, _, page) = owner.get("/sites/example.com/settings").await;
    assert!(
        page.contains("touchpoint site restore example.com"),
        "{page}"
    );
    let (status, _, _) = owner
        .post("/sites/example.com/delete", &[("confirm", "example.com")])
        .await;
    assert_eq!(status, 303);
    app.clock.set_ms(T0 + 60 * MIN);
    let dir = app.stop().await;
    let list = dir.run_ok(&["site", "list"]);
    assert!(list.contains("other.example\tAmerica/New_York\n"), "{list}");
    assert!(
        list.contains(
            "1\texample.com\tUTC\t(deleted 2024-03-15 10:00 UTC, purged after 2024-03-29 10:00 UTC)"
        ),
        "{list}"
    );
    let out = dir.run_ok(&["site", "restore", "example.com"]);
    assert_eq!(out.trim(), "restored example.com");
    {
        let store = dir.store();
        let site = store
            .read()
            .unwrap()
            .site_by_domain("example.com")
            .unwrap()
            .expect("live again");
        assert_eq!(site.id, SiteId(1));
        let mut visits = 0;
        store
            .read()
            .unwrap()
            .for_each_session(SiteId(1), 0, u64::MAX, |_, _| {
                visits += 1;
                std::ops::ControlFlow::Continue(())
            })
            .unwrap();
        assert_eq!(visits, 1, "with its data");
        assert!(
            store
                .audit_log(site.workspace, 20)
                .unwrap()
                .iter()
                .any(|e| e.action == "site_restored")
        );
        // Deleted again while a new site took the domain: refused, one line.
        store.soft_delete_site(SiteId(1), T0).unwrap();
        store
            .add_site(site.workspace, &site.domain, site.timezone, T0)
            .unwrap();
    }
    let taken = cmd(dir.path())
        .envs(dir.engine_env())
        .args(["site", "restore", "example.com"])
        .output()
        .unwrap();
    assert!(!taken.status.success());
    let err = String::from_utf8_lossy(&taken.stderr);
    assert!(err.contains("is now used by another site"), "{err}");
    let none = cmd(dir.path())
        .envs(dir.engine_env())
        .args(["site", "restore", "nope.example"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&none.stderr).contains("no deleted site"));
}

#[tokio::test]
async fn the_settings_form_leaves_the_allowed_hostnames_alone_when_it_doesnt_post_them() {
    let app = spawn_app().await;
    app.edit_site(|s| s.allowed_hostnames = vec!["shop.example.com".into()]);
    let (mut admin, _) = app.member("adam@acme.test", Role::Admin, app.acme()).await;
    let (status, _, _) = admin
        .post(
            "/sites/example.com/settings",
            &[("timezone", "UTC"), ("consent_mode", "require")],
        )
        .await;
    assert_eq!(status, 200);
    let site = app.state.sites.load()["example.com"].clone();
    assert_eq!(site.allowed_hostnames, vec!["shop.example.com"]);
    assert_eq!(site.consent_mode, touchpoint::domain::ConsentMode::Require);
    // Posted empty, the box clears the list.
    admin
        .post(
            "/sites/example.com/settings",
            &[("timezone", "UTC"), ("hostnames", "")],
        )
        .await;
    assert!(
        app.state.sites.load()["example.com"]
            .allowed_hostnames
            .is_empty()
    );
}
