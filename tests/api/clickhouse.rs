//! The ClickHouse engine against a real server (Debian's 18.16, started per
//! test): events land there, reports answer as the embedded engine does, a
//! server that is down means 503 and an unhealthy probe — never a 202 that is
//! later lost — and erasure and purges reach it.

use serde_json::{Value, json};

use crate::helpers::{CHROME, IPHONE, MIN, T0, TestApp, spawn_app_on};

/// A small site's morning, sent identically to any app.
async fn seed(app: &TestApp) {
    let ev = |n: &str, path: &str, extra: Value| {
        let mut b = json!({"n": n, "u": format!("https://example.com{path}"), "d": "example.com"});
        if let (Some(o), Some(x)) = (b.as_object_mut(), extra.as_object()) {
            o.extend(x.clone());
        }
        b
    };
    let visitors: [(&str, &str, &str); 4] = [
        (
            "203.0.113.1",
            CHROME,
            "/?utm_source=news&utm_campaign=winter",
        ),
        ("203.0.113.2", IPHONE, "/pricing"),
        (
            "203.0.113.3",
            CHROME,
            "/docs/start?utm_source=google&utm_medium=cpc",
        ),
        ("203.0.113.4", IPHONE, "/"),
    ];
    for (i, (ip, ua, landing)) in visitors.iter().enumerate() {
        app.clock.set_ms(T0 + i as u64 * MIN);
        let referrer = if i == 1 { "https://www.bing.com/" } else { "" };
        app.event(ev("pageview", landing, json!({"r": referrer})), ua, ip)
            .await;
    }
    // Visitor 1 reads on, signs up and buys; visitor 3 reads docs.
    app.clock.set_ms(T0 + 5 * MIN);
    app.pageview("/pricing", CHROME, "203.0.113.1").await;
    app.event(
        ev("engagement", "/pricing", json!({"e": 12_000, "sd": 70})),
        CHROME,
        "203.0.113.1",
    )
    .await;
    app.clock.set_ms(T0 + 6 * MIN);
    app.event(
        ev(
            "Signup",
            "/pricing",
            json!({"p": {"plan": "pro", "seats": "3"}}),
        ),
        CHROME,
        "203.0.113.1",
    )
    .await;
    app.event(
        ev(
            "Purchase",
            "/checkout",
            json!({"$": {"amount": "49.90", "currency": "EUR"}}),
        ),
        CHROME,
        "203.0.113.1",
    )
    .await;
    app.clock.set_ms(T0 + 7 * MIN);
    app.pageview("/docs/install", CHROME, "203.0.113.3").await;
    app.event(
        ev(
            "engagement",
            "/docs/install",
            json!({"e": 30_000, "sd": 100}),
        ),
        CHROME,
        "203.0.113.3",
    )
    .await;
    // Visitor 2 comes back the next day.
    app.clock.set_ms(T0 + 24 * 60 * MIN);
    app.pageview("/blog/launch", IPHONE, "203.0.113.2").await;
}

/// Queries whose answers both engines must share.
fn queries() -> Vec<Value> {
    let base = |metrics: Value, dims: Value, filters: Value| {
        json!({"site_id": "example.com", "metrics": metrics, "dimensions": dims,
               "filters": filters, "date_range": ["2024-03-14", "2024-03-17"]})
    };
    let all = json!([
        "visitors",
        "visits",
        "pageviews",
        "views_per_visit",
        "bounce_rate",
        "visit_duration",
        "events"
    ]);
    vec![
        base(all.clone(), json!([]), json!([])),
        base(all.clone(), json!(["time:day"]), json!([])),
        base(all.clone(), json!(["event:page"]), json!([])),
        base(all.clone(), json!(["visit:source"]), json!([])),
        base(all.clone(), json!(["visit:entry_page"]), json!([])),
        base(
            all.clone(),
            json!(["visit:exit_page", "visit:device"]),
            json!([]),
        ),
        base(all.clone(), json!(["event:name"]), json!([])),
        base(
            json!(["visitors", "events"]),
            json!(["event:props:plan"]),
            json!([]),
        ),
        base(
            all.clone(),
            json!(["visit:utm_campaign"]),
            json!([["is", "visit:utm_source", ["news"]]]),
        ),
        base(
            all.clone(),
            json!(["event:page"]),
            json!([["contains", "event:page", ["docs"]]]),
        ),
        base(
            all.clone(),
            json!(["visit:browser"]),
            json!([["is_not", "event:page", ["/pricing"]]]),
        ),
        base(
            json!(["visitors", "time_on_page", "scroll_depth"]),
            json!(["event:page"]),
            json!([]),
        ),
        base(
            json!(["visitors", "total_revenue", "average_revenue"]),
            json!(["visit:source"]),
            json!([["is", "event:name", ["Purchase"]]]),
        ),
        base(
            all,
            json!(["time:hour"]),
            json!([["matches", "event:page", ["^/(pricing|docs/.*)$"]]]),
        ),
    ]
}

#[tokio::test]
async fn reports_on_clickhouse_answer_as_the_embedded_engine_does() {
    let embedded = spawn_app_on("embedded", &[]).await;
    let ch = spawn_app_on("clickhouse", &[]).await;
    seed(&embedded).await;
    seed(&ch).await;
    let server = ch.clickhouse.as_ref().unwrap();
    // The events are on the server, one row each (pings included).
    assert_eq!(
        server
            .sql("SELECT count() FROM touchpoint_test.events WHERE kind = 0")
            .trim(),
        "9"
    );
    assert_eq!(
        server
            .sql("SELECT count() FROM touchpoint_test.events WHERE kind = 1")
            .trim(),
        "2"
    );
    for q in queries() {
        let a = embedded.results(q.clone()).await;
        let b = ch.results(q.clone()).await;
        assert!(!a.is_empty(), "{q}: no rows to compare");
        assert_eq!(a, b, "{q}");
    }
}

#[tokio::test]
async fn clickhouse_down_means_503_and_an_unhealthy_probe_until_it_is_back() {
    let mut app = spawn_app_on("clickhouse", &[]).await;
    app.pageview("/", CHROME, "203.0.113.1").await;
    app.clickhouse.as_mut().unwrap().kill();
    let res = app
        .post_raw(
            &json!({"n": "pageview", "u": "https://example.com/lost?", "d": "example.com"})
                .to_string(),
            CHROME,
            &[("x-forwarded-for", "203.0.113.2")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 503);
    assert!(res.headers().get("retry-after").is_some());
    let health = app.get("/healthz").await;
    assert_eq!(health.status().as_u16(), 503);
    assert_eq!(
        health.json::<Value>().await.unwrap()["status"],
        "events engine unreachable"
    );
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("touchpoint_commit_failures_total 1"),
        "{metrics}"
    );
    app.clickhouse.as_mut().unwrap().restart().unwrap();
    assert_eq!(app.get("/healthz").await.status().as_u16(), 200);
    app.pageview("/back", CHROME, "203.0.113.2").await;
    let pages: Vec<String> = app
        .results(json!({"site_id": "example.com", "metrics": ["pageviews"],
                        "dimensions": ["event:page"], "date_range": "day"}))
        .await
        .iter()
        .map(|r| r["dimensions"][0].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(pages.len(), 2, "{pages:?}");
    assert!(!pages.iter().any(|p| p.contains("lost")), "{pages:?}");
}

#[tokio::test]
async fn killing_clickhouse_mid_stream_loses_no_acknowledged_event() {
    let mut app = spawn_app_on("clickhouse", &[]).await;
    // Eight clients send pageviews of distinct pages while the server is
    // killed (kill -9) and, a moment later, started again.
    let mut senders = Vec::new();
    for c in 0..8u32 {
        let (client, url) = (app.client.clone(), app.url.clone());
        senders.push(tokio::spawn(async move {
            let (mut acked, mut refused) = (Vec::new(), 0);
            for i in 0..120u32 {
                let path = format!("/p/{c}/{i}");
                let res = client
                    .post(format!("{url}/api/event"))
                    .header("user-agent", CHROME)
                    .header("content-type", "text/plain")
                    .header("x-forwarded-for", format!("203.0.113.{}", c * 20 + i % 20))
                    .body(
                        json!({"n": "pageview", "u": format!("https://example.com{path}"), "d": "example.com"})
                            .to_string(),
                    )
                    .send()
                    .await
                    .unwrap();
                match res.status().as_u16() {
                    202 => acked.push(path),
                    503 => refused += 1,
                    s => panic!("{path}: {s}"),
                }
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
            (acked, refused)
        }));
    }
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    app.clickhouse.as_mut().unwrap().kill();
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    app.clickhouse.as_mut().unwrap().restart().unwrap();
    let (mut acked, mut refused) = (Vec::new(), 0);
    for s in senders {
        let (a, r) = s.await.unwrap();
        acked.extend(a);
        refused += r;
    }
    assert!(refused > 0, "the outage was seen");
    assert!(acked.len() > 200, "{} acknowledged", acked.len());
    let stored: std::collections::HashSet<String> = app
        .results(json!({"site_id": "example.com", "metrics": ["pageviews"],
                        "dimensions": ["event:page"], "date_range": "day",
                        "pagination": {"limit": 10000}}))
        .await
        .iter()
        .map(|r| r["dimensions"][0].as_str().unwrap().to_owned())
        .collect();
    let lost: Vec<&String> = acked.iter().filter(|p| !stored.contains(*p)).collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
    // Ingestion resumed after the restart: the last pages are there.
    assert!(stored.contains("/p/0/119"), "{} stored", stored.len());
}

/// `<yandex>` settings of one node of a two-shard cluster `tp_cluster`
/// (one replica each) whose nodes listen on `tcp` ports.
fn cluster_xml(tcp: [u16; 2], shard: usize, zk: u16) -> String {
    let shards: String = tcp
        .iter()
        .map(|p| {
            format!(
                "<shard><internal_replication>true</internal_replication>\
                 <replica><host>127.0.0.1</host><port>{p}</port></replica></shard>"
            )
        })
        .collect();
    format!(
        "<remote_servers><tp_cluster>{shards}</tp_cluster></remote_servers>\
         <zookeeper><node><host>127.0.0.1</host><port>{zk}</port></node>\
         <session_timeout_ms>30000</session_timeout_ms></zookeeper>\
         <macros><shard>0{}</shard><replica>r1</replica></macros>\
         <distributed_ddl><path>/clickhouse/task_queue/ddl</path></distributed_ddl>",
        shard + 1
    )
}

#[tokio::test]
async fn a_two_shard_cluster_answers_as_one_server_does() {
    use crate::clickhouse_server::{ClickHouseServer, ZooKeeper};
    let zk = ZooKeeper::start().expect("ZooKeeper starts");
    let ports = [
        ClickHouseServer::reserve_ports(),
        ClickHouseServer::reserve_ports(),
    ];
    let tcp = [ports[0][1], ports[1][1]];
    let nodes: Vec<ClickHouseServer> = (0..2)
        .map(|i| {
            ClickHouseServer::start_on(ports[i], &cluster_xml(tcp, i, zk.port))
                .expect("a cluster node starts")
        })
        .collect();
    let url = nodes[0].url();
    // A node whose ZooKeeper session is not up yet crashes on its first
    // ON CLUSTER statement (18.16): wait until both nodes can read ZooKeeper.
    let started = std::time::Instant::now();
    for n in &nodes {
        while let Err(e) = n.try_sql("SELECT count() FROM system.zookeeper WHERE path = '/'") {
            assert!(
                started.elapsed().as_secs() < 60,
                "a node can't reach ZooKeeper: {e}\n{}",
                n.error_log()
            );
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
    }
    let cluster = spawn_app_on(
        "embedded",
        &[
            ("TOUCHPOINT__EVENTS__ENGINE", "clickhouse"),
            ("TOUCHPOINT__CLICKHOUSE__URL", url.as_str()),
            ("TOUCHPOINT__CLICKHOUSE__DATABASE", "touchpoint_test"),
            ("TOUCHPOINT__CLICKHOUSE__CLUSTER", "tp_cluster"),
        ],
    )
    .await;
    let single = spawn_app_on("clickhouse", &[]).await;
    seed(&cluster).await;
    seed(&single).await;
    // Both shards hold some of the visits, in replicated local tables.
    let mut total = 0;
    for n in &nodes {
        let engine = n.sql(
            "SELECT engine FROM system.tables WHERE database = 'touchpoint_test' AND name = 'events_local' FORMAT TabSeparated",
        );
        assert_eq!(engine.trim(), "ReplicatedMergeTree");
        let rows: u64 = n
            .sql("SELECT count() FROM touchpoint_test.events_local")
            .trim()
            .parse()
            .unwrap();
        assert!(rows > 0, "a shard without rows");
        total += rows;
    }
    assert_eq!(total, 11, "9 events and 2 pings over both shards");
    for q in queries() {
        assert_eq!(
            single.results(q.clone()).await,
            cluster.results(q.clone()).await,
            "{q}"
        );
    }
    // An erasure is done on every shard when it returns.
    let visitors: Vec<u64> = cluster
        .state
        .store
        .sessions_since(0)
        .unwrap()
        .iter()
        .map(|(_, r)| r.visitor)
        .collect();
    let keys = touchpoint::store::PersonKeys {
        visitors,
        ..Default::default()
    };
    cluster
        .state
        .store
        .erase_person(touchpoint::domain::SiteId(1), &keys)
        .unwrap();
    for n in &nodes {
        assert_eq!(
            n.sql("SELECT count() FROM touchpoint_test.events_local")
                .trim(),
            "0",
            "rows left on a shard"
        );
    }
}

#[test]
fn check_config_connects_and_reports_the_schema_version() {
    use touchpoint::store::clickhouse::{ClickHouse, ClickHouseConfig};
    let server = crate::clickhouse_server::ClickHouseServer::start().expect("ClickHouse starts");
    let dir = tempfile::tempdir().unwrap();
    let url = server.url();
    let check = |url: &str, password: &str| {
        crate::process::cmd(dir.path())
            .arg("check-config")
            .env("TOUCHPOINT__EVENTS__ENGINE", "clickhouse")
            .env("TOUCHPOINT__CLICKHOUSE__URL", url)
            .env("TOUCHPOINT__CLICKHOUSE__DATABASE", "checked")
            .env("TOUCHPOINT__CLICKHOUSE__PASSWORD", password)
            .output()
            .unwrap()
    };
    let out = check(&url, "");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains(&format!(
            "# events: ClickHouse 18.16.1 at {url}, database checked, schema version 0 of 1: migrated at the next start"
        )),
        "{text}"
    );
    assert!(text.contains("configuration OK"), "{text}");
    // check-config changed nothing; a start migrates.
    assert!(!server.sql("SHOW DATABASES").lines().any(|l| l == "checked"));
    ClickHouse::connect(ClickHouseConfig {
        url: url.clone(),
        database: "checked".into(),
        user: "default".into(),
        password: String::new(),
        cluster: String::new(),
        timeout: std::time::Duration::from_secs(10),
        query_timeout: std::time::Duration::from_secs(600),
    })
    .unwrap();
    let text = String::from_utf8_lossy(&check(&url, "").stdout).into_owned();
    assert!(text.contains("schema version 1, current"), "{text}");
    // A wrong password and an unreachable server fail, naming the server and
    // never the password.
    let out = check(&url, "s3cret-value");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains(&format!("clickhouse: database checked at {url}")),
        "{err}"
    );
    assert!(
        err.contains("HTTP 401") || err.contains("HTTP 403") || err.contains("516"),
        "{err}"
    );
    assert!(!err.contains("s3cret-value"), "{err}");
    let out = check("http://127.0.0.1:9", "");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("cannot reach ClickHouse at http://127.0.0.1:9"),
        "{err}"
    );
}
