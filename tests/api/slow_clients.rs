//! Slow clients can't exhaust the server: thousands of connections that send
//! a request's headers and then stall (`Content-Length: 100`, no body) are
//! each answered 408 and closed once `server.body_timeout_seconds` passes,
//! while a normal client keeps getting answers the whole time; beyond
//! `server.max_connections` a request is refused at once with a 503.

use std::time::Duration;

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::helpers::{CHROME, spawn_app_with};

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
