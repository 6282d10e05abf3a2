//! Slow clients can't exhaust the server: thousands of connections that send
//! a request's headers and then stall (`Content-Length: 100`, no body) are
//! each answered 408 and closed once `server.body_timeout_seconds` passes,
//! while a normal client keeps getting answers the whole time; beyond
//! `server.max_connections` a request is refused at once with a 503. Work
//! that waits its turn holds no thread: a flood of reports waits for its
//! turn asynchronously, and `/healthz` and logins are answered meanwhile.

use std::time::Duration;

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::{
    helpers::{CHROME, spawn_app, spawn_app_with},
    web::{PASSWORD, WebClient},
};

const STALLED: usize = 2000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_stalled_bodies_time_out_while_a_normal_client_is_answered() {
    let app = spawn_app_with(&[("TOUCHPOINT__SERVER__BODY_TIMEOUT_SECONDS", "3")]).await;
    let addr = app.url.trim_start_matches("http://").to_owned();
    let mut stalled = Vec::with_capacity(STALLED);
    for _ in 0..STALLED {
        let mut s = TcpStream::connect(&addr).await.expect("a connection");
        s.write_all(
            format!(
                "POST /api/event HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: {CHROME}\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n"
            )
            .as_bytes(),
        )
        .await
        .unwrap();
        stalled.push(s);
    }
    // All of them held open: a normal client is still answered, many times.
    for i in 0..20 {
        let r = app.get("/healthz").await;
        assert_eq!(
            r.status().as_u16(),
            200,
            "healthz #{i} while {STALLED} clients stall"
        );
        app.pageview(&format!("/while-stalled/{i}"), CHROME, "198.51.100.7")
            .await;
    }
    // Each stalled one gets a 408 and its connection closed.
    let mut timed_out = 0;
    for mut s in stalled {
        let mut buf = Vec::new();
        tokio::time::timeout(Duration::from_secs(60), s.read_to_end(&mut buf))
            .await
            .expect("a stalled connection is answered and closed")
            .unwrap();
        let head = String::from_utf8_lossy(&buf);
        assert!(head.starts_with("HTTP/1.1 408"), "{head}");
        timed_out += 1;
    }
    assert_eq!(timed_out, STALLED);
    // And the normal client's pageviews were stored.
    let (_, body) = app
        .query(
            serde_json::json!({"site_id": "example.com", "metrics": ["pageviews"],
            "date_range": "all", "filters": [["contains", "event:page", ["/while-stalled/"]]]}),
        )
        .await;
    assert_eq!(body["results"][0]["metrics"][0], 20, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn beyond_max_connections_a_request_is_refused_at_once_and_answered_again_after() {
    let app = spawn_app_with(&[("TOUCHPOINT__SERVER__MAX_CONNECTIONS", "40")]).await;
    let addr = app.url.trim_start_matches("http://").to_owned();
    // 40 idle connections: the server holds them (headers time out after 5 s).
    let mut idle = Vec::new();
    for _ in 0..40 {
        idle.push(TcpStream::connect(&addr).await.expect("a connection"));
    }
    // Once the server has taken them all in (it accepts asynchronously), a
    // fresh connection's request is refused at once and its connection closed.
    let mut answer = String::new();
    for _ in 0..30 {
        let mut s = TcpStream::connect(&addr).await.unwrap();
        s.write_all(format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes())
            .await
            .unwrap();
        let mut buf = Vec::new();
        // A keep-alive request: only a refusal closes the connection.
        let closed = tokio::time::timeout(Duration::from_millis(500), s.read_to_end(&mut buf))
            .await
            .is_ok();
        answer = String::from_utf8_lossy(&buf).to_ascii_lowercase();
        assert!(!answer.is_empty(), "answered at once, not left waiting");
        if answer.starts_with("http/1.1 503") {
            assert!(closed, "the refused connection is closed: {answer}");
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(answer.starts_with("http/1.1 503"), "{answer}");
    assert!(answer.contains("retry-after: 1"), "{answer}");
    // Once they go, requests are answered again.
    drop(idle);
    let mut status = 0;
    for _ in 0..50 {
        status = reqwest::Client::new()
            .get(format!("{}/healthz", app.url))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        if status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, 200);
}

/// With every report slot taken (as by reports running long), four times as
/// many Stats API queries as the HTTP workers' blocking pools hold wait at
/// once. They wait for their turn without a thread (`stats::gate::turn`):
/// only the turns handed out, one per slot, wait on a thread for the slot
/// itself (each waiting thread kept ~650 KB: 300 at once took the process
/// from 70 to 265 MB, and a full pool left logins queueing behind them).
/// `/healthz` and a login are answered while they wait; all are answered
/// after.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_reports_waits_without_holding_threads_and_logins_are_answered() {
    let workers = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let bound = workers * touchpoint::startup::blocking_threads_per_worker();
    let queries = 4 * bound;
    let app = spawn_app().await;
    app.pageview("/flooded", CHROME, "198.51.100.7").await;
    // Take every slot of the report gate from threads of our own.
    let slots = touchpoint::stats::gate::slots();
    let (release, released) = std::sync::mpsc::channel::<()>();
    let released = std::sync::Arc::new(std::sync::Mutex::new(released));
    let (taken_tx, taken_rx) = std::sync::mpsc::channel::<()>();
    let holders: Vec<_> = (0..slots)
        .map(|_| {
            let store = app.state.store.clone();
            let (released, taken_tx) = (released.clone(), taken_tx.clone());
            std::thread::spawn(move || {
                let _slot = touchpoint::stats::gate::enter_store(&store);
                taken_tx.send(()).unwrap();
                let _ = released.lock().unwrap().recv();
            })
        })
        .collect();
    for _ in 0..slots {
        taken_rx.recv().unwrap();
    }
    let answered_early = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut flood = tokio::task::JoinSet::new();
    for _ in 0..queries {
        let (client, url, key) = (app.client.clone(), app.url.clone(), app.api_key.clone());
        let answered_early = answered_early.clone();
        flood.spawn(async move {
            let status = client
                .post(format!("{url}/api/v2/query"))
                .bearer_auth(key)
                .json(
                    &serde_json::json!({"site_id": "example.com", "metrics": ["pageviews"],
                    "date_range": "all", "dimensions": ["event:page"]}),
                )
                .send()
                .await
                .unwrap()
                .status()
                .as_u16();
            answered_early.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            status
        });
    }
    // Let every query reach the server and wait as far in as it gets.
    for _ in 0..200 {
        if touchpoint::stats::gate::waiting() > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let waiting = touchpoint::stats::gate::waiting();
    assert!(waiting > 0, "the queries wait for the gate");
    // Turns are shared by every app of this process; a job of another test
    // (not started through a turn) may wait too: allow the slots again.
    assert!(
        waiting <= 2 * slots,
        "{waiting} threads wait for a report slot, beyond the {slots} turns"
    );
    let user = app.user(
        "flood@example.com",
        touchpoint::domain::Role::Analyst,
        touchpoint::store::WorkspaceChoice::Existing(app.acme()),
    );
    let mut web = WebClient::new(&app);
    let (status, location, _) = tokio::time::timeout(
        Duration::from_secs(30),
        web.password_step(&user.email, PASSWORD),
    )
    .await
    .expect("a login is answered while reports wait");
    assert_eq!(status.as_u16(), 303);
    assert!(!location.starts_with("/login"), "signed in, to {location}");
    let health = tokio::time::timeout(
        Duration::from_secs(30),
        app.client.get(format!("{}/healthz", app.url)).send(),
    )
    .await
    .expect("/healthz is answered while reports wait")
    .unwrap();
    assert_eq!(health.status().as_u16(), 200);
    assert_eq!(
        answered_early.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "no query is answered while the slots are taken"
    );
    for _ in 0..slots {
        release.send(()).unwrap();
    }
    for h in holders {
        h.join().unwrap();
    }
    let mut answered = 0;
    while let Some(status) = flood.join_next().await {
        assert_eq!(status.unwrap(), 200);
        answered += 1;
    }
    assert_eq!(answered, queries);
}
