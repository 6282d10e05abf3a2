//! Webhooks from the dashboard (admins): an endpoint added with the form
//! (its secret shown once), delivered to a verifying receiver, its delivery
//! log and replay (same message id), an endpoint answering 410 disabled
//! with the reason on the overview, and no access for viewers. Also the
//! at-least-once promise across a SIGKILL of the real binary.

use reqwest::StatusCode;
use serde_json::json;
use touchpoint::domain::Role;

use crate::{
    attribution::api,
    helpers::spawn_app_with,
    webhooks::{Receiver, add, add_in, of_type},
};

const ALLOW: (&str, &str) = ("TOUCHPOINT__WEBHOOKS__ALLOW_PRIVATE_DESTINATIONS", "true");

fn purchase(order: &str) -> serde_json::Value {
    json!({"site_id": "example.com", "email": format!("{order}@example.com"), "type": "purchase",
           "value": "10", "currency": "EUR", "order_id": order})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_add_endpoints_read_the_delivery_log_replay_and_see_a_gone_endpoint_disabled() {
    let app = spawn_app_with(&[ALLOW]).await;
    let (mut viewer, _) = app.member("v@example.org", Role::Viewer, app.acme()).await;
    assert_eq!(
        viewer.get("/sites/example.com/webhooks").await.0,
        StatusCode::FORBIDDEN
    );
    let (mut admin, _) = app.member("a@example.org", Role::Admin, app.acme()).await;
    let (status, _, page) = admin.get("/sites/example.com/settings").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("/sites/example.com/webhooks"),
        "the settings page links to webhooks"
    );
    admin.get("/sites/example.com/webhooks").await;

    let receiver = Receiver::start(0);
    let (status, _, page) = admin
        .post(
            "/sites/example.com/webhooks",
            &[
                ("url", receiver.url.as_str()),
                ("events", "conversion.created"),
                ("events", "lead.created"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let secret = regex::Regex::new(r"<code>(whsec_[A-Za-z0-9+/=]+)</code>")
        .unwrap()
        .captures(&page)
        .expect("the secret is shown once")[1]
        .to_owned();
    std::fs::write(&receiver.secret_file, &secret).unwrap();
    let (_, _, again) = admin.get("/sites/example.com/webhooks").await;
    assert!(!again.contains(&secret), "the secret is shown only once");
    assert!(
        again.contains("conversion.created, lead.created")
            || again.contains("lead.created, conversion.created"),
        "{again}"
    );
    // No events: a clear error.
    let (status, _, page) = admin
        .post(
            "/sites/example.com/webhooks",
            &[("url", receiver.url.as_str())],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("Choose at least one event."));

    assert_eq!(
        api(&app, "/api/v1/conversions", purchase("o-1")).await.0,
        200
    );
    let got = receiver
        .wait_for("the purchase", |r| {
            !of_type(r, "conversion.created").is_empty()
        })
        .await;
    let id = of_type(&got, "conversion.created")[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // The log lists it delivered; a replay sends it again with the same id.
    let (_, _, log) = admin.get("/sites/example.com/webhooks/1").await;
    assert!(log.contains(&id) && log.contains("delivered"), "{log}");
    let replay =
        regex::Regex::new(r#"action="(/sites/example.com/webhooks/1/messages/\d+/replay)""#)
            .unwrap()
            .captures_iter(&log)
            .map(|c| c[1].to_owned())
            .find(|a| {
                let row = log
                    .split("<tr>")
                    .find(|r| r.contains(a.as_str()))
                    .unwrap_or_default();
                row.contains(&id)
            })
            .expect("a replay button on the purchase's row");
    let (status, _, _) = admin.post(&replay, &[]).await;
    assert_eq!(status, StatusCode::OK);
    receiver
        .wait_for("the replay", |r| {
            r.iter().filter(|x| x["id"] == id.as_str()).count() == 2
        })
        .await;

    // An endpoint that answers 410 is disabled at once; admins are told.
    let gone = Receiver::answering(0, 410, 0);
    let (_, _, page) = admin
        .post(
            "/sites/example.com/webhooks",
            &[("url", gone.url.as_str()), ("events", "conversion.created")],
        )
        .await;
    let secret = regex::Regex::new(r"<code>(whsec_[A-Za-z0-9+/=]+)</code>")
        .unwrap()
        .captures(&page)
        .unwrap()[1]
        .to_owned();
    std::fs::write(&gone.secret_file, secret).unwrap();
    assert_eq!(
        api(&app, "/api/v1/conversions", purchase("o-2")).await.0,
        200
    );
    gone.wait_for("the 410", |r| !r.is_empty()).await;
    let mut overview = String::new();
    for _ in 0..100 {
        overview = admin.get("/sites/example.com").await.2;
        if overview.contains("was disabled") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(overview.contains("answered 410 Gone"), "{overview}");
    assert!(
        !viewer
            .get("/sites/example.com")
            .await
            .2
            .contains("was disabled"),
        "only admins are told"
    );
    // Nothing more goes to it; enabling it again is a button.
    assert_eq!(
        api(&app, "/api/v1/conversions", purchase("o-3")).await.0,
        200
    );
    receiver
        .wait_for("o-3 to the first endpoint", |r| {
            r.iter()
                .any(|x| x["body"]["data"]["conversion"]["order_id"] == "o-3")
        })
        .await;
    assert_eq!(gone.records().len(), 1);
    let (_, _, page) = admin.get("/sites/example.com/webhooks").await;
    assert!(page.contains("/sites/example.com/webhooks/2/enable"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigkill_during_delivery_loses_no_message_and_resends_with_the_same_id() {
    use crate::process::{cmd, run_ok, setup};
    let dir = tempfile::tempdir().unwrap();
    let _ = setup(dir.path());
    let out = run_ok(
        dir.path(),
        &["apikey", "create", "--name", "crm", "--conversions"],
    );
    let key = out.lines().last().unwrap().trim().to_owned();
    // Slow answers, so the kill lands while messages are in flight.
    let receiver = Receiver::answering(0, 204, 150);
    let env = [("TOUCHPOINT__WEBHOOKS__ALLOW_PRIVATE_DESTINATIONS", "true")];
    let secret = add_in(dir.path(), &env, &receiver.url, "conversion.created");
    std::fs::write(&receiver.secret_file, secret).unwrap();
    let start = |dir: &std::path::Path| {
        let mut c = cmd(dir);
        c.envs(env);
        crate::process::serve_cmd(c)
    };
    let (mut child, url) = start(dir.path());
    let client = reqwest::Client::new();
    let n = 30;
    for i in 0..n {
        let r = client
            .post(format!("{url}/api/v1/conversions"))
            .bearer_auth(&key)
            .json(&purchase(&format!("k-{i}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    receiver
        .wait_for("a few deliveries", |r| r.len() >= 3)
        .await;
    child.kill().unwrap(); // SIGKILL, mid-delivery
    child.wait().unwrap();
    let before = receiver.records().len();
    assert!(
        before < n,
        "every message was delivered before the kill: kill sooner"
    );
    let (mut child, _) = start(dir.path());
    let got = receiver
        .wait_for("every order after the restart", |r| {
            (0..n).all(|i| {
                r.iter()
                    .any(|x| x["body"]["data"]["conversion"]["order_id"] == format!("k-{i}"))
            })
        })
        .await;
    child.kill().unwrap();
    child.wait().unwrap();
    // At least once, and a message sent twice keeps its id.
    for i in 0..n {
        let ids: std::collections::HashSet<_> = got
            .iter()
            .filter(|x| x["body"]["data"]["conversion"]["order_id"] == format!("k-{i}"))
            .map(|x| x["id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(ids.len(), 1, "order k-{i} went out under {ids:?}");
    }
    assert!(got.iter().all(|r| r["verified"] == true));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lead_whose_score_reaches_the_threshold_is_announced_once() {
    use touchpoint::domain::scoring::{Condition, Heading, Rule, Scoring};
    let receiver = Receiver::start(0);
    let app = crate::attribution::scenario_with(&[ALLOW], |app| {
        app.edit_site(|s| {
            s.scoring = Scoring {
                rules: vec![Rule {
                    heading: Heading::Engagement,
                    when: Condition::Page("/news*".into()),
                    points: 10,
                    each_time: false,
                }],
                threshold: 10,
                half_life_days: 0,
            };
        });
        let secret = add(app, &receiver.url, "lead.qualified");
        std::fs::write(&receiver.secret_file, secret).unwrap();
    })
    .await;
    // Scores are computed at most once a minute per site (the app's clock).
    app.clock.advance_ms(61_000);
    let got = receiver
        .wait_for("lead.qualified", |r| {
            !of_type(r, "lead.qualified").is_empty()
        })
        .await;
    let q = &of_type(&got, "lead.qualified")[0]["body"]["data"]["lead"];
    assert_eq!(q["attribution"]["last_touch"]["campaign"], "may", "{q}");
    // Once: later rounds don't announce it again.
    app.clock.advance_ms(61_000);
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert_eq!(of_type(&receiver.records(), "lead.qualified").len(), 1);
}
