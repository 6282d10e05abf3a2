//! Email beyond the scheduled report: the settings page's test mail, the
//! `report send` command with and without a running server, what happens
//! without `[mail]`, and traffic spike alerts (once per day).

use reqwest::StatusCode;
use touchpoint::{domain::Role, mail::alerts};

use crate::{
    helpers::{CHROME, MIN, T0, spawn_app},
    mail::{DAY, assert_chart, assert_numbers_match_the_api, example, mail_app, seed},
    process::cmd,
    smtp_sink::SmtpSink,
};

async fn command(
    dir: &std::path::Path,
    args: &[&str],
    env: Vec<(&'static str, String)>,
) -> std::process::Output {
    let mut c = cmd(dir);
    c.args(args).envs(env);
    tokio::task::spawn_blocking(move || c.output().unwrap())
        .await
        .unwrap()
}

#[tokio::test]
async fn the_test_mail_button_and_the_report_command_send_last_weeks_report() {
    let sink = SmtpSink::start();
    let app = mail_app(&sink).await;
    seed(&app).await;
    app.clock.set_ms(T0 + 4 * DAY);
    let (mut admin, _) = app.member("ada@acme.test", Role::Admin, app.acme()).await;
    let (_, _, page) = admin.get("/sites/example.com/settings").await;
    assert!(
        page.contains("Send a test mail") && !page.contains("id=\"mail-off\""),
        "{page}"
    );
    let (status, _, page) = admin
        .post("/sites/example.com/mail/test", &[("to", "ada@acme.test")])
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Test mail sent to ada@acme.test."), "{page}");
    let got = sink.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].rcpt_tos, ["ada@acme.test"]);
    assert!(
        got[0]
            .subject
            .starts_with("Test: Weekly report for example.com"),
        "{}",
        got[0].subject
    );
    assert_numbers_match_the_api(&app, &got[0]).await;

    // A viewer may not send one.
    let (mut viewer, _) = app.member("vic@acme.test", Role::Viewer, app.acme()).await;
    viewer.get("/account").await;
    let (status, _, _) = viewer
        .post("/sites/example.com/mail/test", &[("to", "vic@acme.test")])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // While the server runs, the command is handed to it (its clock, its mail).
    let out = command(
        app.data_dir.path(),
        &[
            "report",
            "send",
            "example.com",
            "--to",
            "cli.reader@mailbox.test",
        ],
        Vec::new(),
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("sent the weekly report of example.com (2024-03-11 to 2024-03-17)"),
        "{stdout}"
    );
    let got = sink.received();
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].rcpt_tos, ["cli.reader@mailbox.test"]);
    assert_chart(&got[1]);
    assert_numbers_match_the_api(&app, &got[1]).await;

    // Stopped, the command sends with its own settings.
    let stopped = app.stop().await;
    let out = command(
        stopped.path(),
        &[
            "report",
            "send",
            "example.com",
            "--to",
            "offline.reader@mailbox.test",
        ],
        sink.env(),
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = sink.received();
    assert_eq!(got.len(), 3);
    assert_eq!(got[2].rcpt_tos, ["offline.reader@mailbox.test"]);
    assert!(
        got[2].subject.starts_with("Weekly report for example.com"),
        "{}",
        got[2].subject
    );
}

#[tokio::test]
async fn without_mail_settings_reports_are_off_and_each_place_says_so() {
    let app = spawn_app().await;
    let (mut admin, _) = app.member("ada@acme.test", Role::Admin, app.acme()).await;
    let (_, _, page) = admin.get("/sites/example.com/settings").await;
    assert!(page.contains("id=\"mail-off\""), "{page}");
    assert!(page.contains("mail.smtp_host"), "{page}");
    let (status, _, page) = admin
        .post("/sites/example.com/mail/test", &[("to", "ada@acme.test")])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("email is not set up on this server"),
        "{page}"
    );
    let out = command(
        app.data_dir.path(),
        &["report", "send", "example.com", "--to", "x@mailbox.test"],
        Vec::new(),
    )
    .await;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("email is not set up on this server"),
        "{stderr}"
    );
    let err = alerts::check(&app.state.outbox(), T0).unwrap_err();
    assert!(
        matches!(err, touchpoint::mail::MailError::NotConfigured),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_traffic_spike_alerts_the_alert_recipients_once_a_day() {
    let sink = SmtpSink::start();
    let app = mail_app(&sink).await;
    let (mut admin, _) = app.member("ada@acme.test", Role::Admin, app.acme()).await;
    admin.get("/sites/example.com/settings").await;
    for (email, alerts) in [
        ("oncall@mailbox.test", Some("1")),
        ("weekly.only@mailbox.test", None),
    ] {
        let mut form = vec![("email", email), ("weekly", "1")];
        form.extend(alerts.map(|a| ("alerts", a)));
        let (status, _, page) = admin
            .post("/sites/example.com/mail/recipients", &form)
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
    }
    let (status, _, page) = admin
        .post(
            "/sites/example.com/mail/alerts",
            &[("spike_visitors", "3"), ("drop_percent", "")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(
        app.state
            .store
            .site_mail(example(&app).id)
            .unwrap()
            .spike_visitors,
        Some(3)
    );
    let check = |now: u64| alerts::check(&app.state.outbox(), now).unwrap();

    app.clock.set_ms(T0);
    for ip in ["10.1.0.1", "10.1.0.2"] {
        app.pageview("/", CHROME, ip).await;
    }
    assert_eq!(check(T0), 0, "2 current visitors are under the threshold");
    assert!(sink.received().is_empty());
    app.pageview("/", CHROME, "10.1.0.3").await;
    assert_eq!(check(T0 + MIN), 1);
    let got = sink.received();
    assert_eq!(got.len(), 1, "alerts go to alert recipients only");
    assert_eq!(got[0].rcpt_tos, ["oncall@mailbox.test"]);
    assert_eq!(
        got[0].subject,
        "Traffic spike on example.com: 3 current visitors"
    );
    assert!(got[0].text("text/plain").contains("/mail/unsubscribe/"));

    // Still spiking (more so) later that day: no second alert.
    app.clock.set_ms(T0 + 2 * 60 * MIN);
    for ip in ["10.1.0.4", "10.1.0.5", "10.1.0.6", "10.1.0.7"] {
        app.pageview("/", CHROME, ip).await;
    }
    assert_eq!(check(T0 + 2 * 60 * MIN), 0);
    assert_eq!(sink.received().len(), 1, "one spike alert per day");

    // The next day's spike alerts again.
    let next = T0 + DAY;
    app.clock.set_ms(next);
    for ip in ["10.1.0.1", "10.1.0.2", "10.1.0.3"] {
        app.pageview("/", CHROME, ip).await;
    }
    assert_eq!(check(next), 1);
    assert_eq!(sink.received().len(), 2);
}

#[tokio::test]
async fn a_traffic_drop_below_the_usual_share_alerts_once() {
    let sink = SmtpSink::start();
    let app = mail_app(&sink).await;
    let site = example(&app);
    touchpoint::mail::recipients::save(
        &app.state.store,
        &app.state.auth.keys,
        site.id,
        &touchpoint::domain::Email::parse("oncall@mailbox.test").unwrap(),
        touchpoint::mail::recipients::Choices {
            weekly: false,
            monthly: false,
            alerts: true,
        },
        T0 - 8 * DAY,
    )
    .unwrap();
    app.state
        .store
        .update_site_mail(site.id, |row| {
            row.drop_percent = Some(50);
            Ok::<_, touchpoint::store::StoreError>(())
        })
        .unwrap();
    // The usual by 10:00: 10 visitors on each of the last 7 days.
    for back in (1..=7).rev() {
        app.clock.set_ms(T0 - back * DAY - 60 * MIN);
        for i in 0..10 {
            app.pageview("/", CHROME, &format!("10.2.{back}.{i}")).await;
        }
    }
    app.clock.set_ms(T0 - 30 * MIN);
    for i in 0..10 {
        app.pageview("/", CHROME, &format!("10.3.0.{i}")).await;
    }
    assert_eq!(
        alerts::check(&app.state.outbox(), T0).unwrap(),
        0,
        "a usual day: 10 of 10"
    );
    let got = alerts::due(
        &app.state.outbox(),
        &site,
        &app.state.store.site_mail(site.id).unwrap(),
        T0,
    )
    .unwrap();
    assert!(got.is_empty(), "{got:?}");

    // A day with 4 by 10:00 is below half the usual.
    let next = T0 + DAY;
    app.clock.set_ms(next - 30 * MIN);
    for i in 0..4 {
        app.pageview("/", CHROME, &format!("10.4.0.{i}")).await;
    }
    assert_eq!(alerts::check(&app.state.outbox(), next).unwrap(), 1);
    let mail = sink.received();
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].rcpt_tos, ["oncall@mailbox.test"]);
    assert_eq!(
        mail[0].subject,
        "Traffic drop on example.com: 4 visitors today"
    );
    assert!(
        mail[0].text("text/plain").contains("usually has 10"),
        "{:?}",
        mail[0].parts
    );
    assert_eq!(
        alerts::check(&app.state.outbox(), next + 30 * MIN).unwrap(),
        0,
        "once a day"
    );
}
