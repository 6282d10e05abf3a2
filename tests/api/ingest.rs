use serde_json::json;

use crate::helpers::{CHROME, spawn_app};

#[tokio::test]
async fn long_and_short_field_names_text_plain_and_string_props_are_all_stored() {
    let app = spawn_app().await;
    let bodies = [
        json!({"name": "pageview", "url": "https://example.com/a", "domain": "example.com"}).to_string(),
        json!({"n": "pageview", "u": "https://example.com/b", "d": "example.com", "r": "https://news.ycombinator.com/"}).to_string(),
        json!({"n": "Signup", "u": "https://example.com/b", "d": "example.com", "p": "{\"plan\":\"pro\"}"}).to_string(),
        json!({"n": "Signup", "u": "https://example.com/b", "d": "example.com", "meta": {"plan": "free"}}).to_string(),
    ];
    for b in &bodies {
        let res = app.post_raw(b, CHROME, &[]).await;
        assert_eq!(res.status().as_u16(), 202, "{b}");
        assert_eq!(res.headers()["access-control-allow-origin"], "*");
    }
    let m = app.aggregate(&["pageviews", "events"], json!("day")).await;
    assert_eq!(m, vec![json!(2), json!(4)]);
    let rows = app
        .results(json!({"site_id": "example.com", "metrics": ["events"], "date_range": "day", "dimensions": ["event:props:plan"]}))
        .await;
    assert_eq!(rows.len(), 2, "{rows:?}");
}

#[tokio::test]
async fn invalid_events_are_rejected_with_400_and_a_message_and_nothing_is_stored() {
    let app = spawn_app().await;
    let many: serde_json::Map<String, serde_json::Value> =
        (0..31).map(|i| (format!("k{i}"), json!("v"))).collect();
    let cases: Vec<(&str, String, &str)> = vec![
        ("bad json", "{nope".into(), "request"),
        ("missing url", json!({"n": "pageview", "d": "example.com"}).to_string(), "url"),
        ("invalid url", json!({"n": "pageview", "u": "not a url", "d": "example.com"}).to_string(), "url"),
        ("data url", json!({"n": "pageview", "u": "data:text/html,x", "d": "example.com"}).to_string(), "url"),
        ("missing name", json!({"u": "https://example.com/", "d": "example.com"}).to_string(), "name"),
        ("name over 120", json!({"n": "x".repeat(121), "u": "https://example.com/", "d": "example.com"}).to_string(), "name"),
        ("31 props", json!({"n": "e", "u": "https://example.com/", "d": "example.com", "p": many}).to_string(), "props"),
        ("oversized body", json!({"n": "e", "u": "https://example.com/", "d": "example.com", "p": {"k": "v".repeat(9000)}}).to_string(), "request"),
        ("bad revenue", json!({"n": "Buy", "u": "https://example.com/", "d": "example.com", "$": {"amount": "x", "currency": "EUR"}}).to_string(), "revenue"),
    ];
    for (why, body, field) in cases {
        let res = app.post_raw(&body, CHROME, &[]).await;
        assert_eq!(res.status().as_u16(), 400, "{why}");
        let v: serde_json::Value = res.json().await.unwrap();
        let msg = v["errors"][field].as_str().unwrap_or_default();
        assert!(!msg.is_empty(), "{why}: expected errors.{field}, got {v}");
    }
    assert_eq!(
        app.aggregate(&["events"], json!("day")).await,
        vec![json!(0)]
    );
}

#[tokio::test]
async fn bots_and_unknown_sites_get_202_with_the_drop_reason_and_are_not_counted() {
    let app = spawn_app().await;
    let ev = json!({"n": "pageview", "u": "https://example.com/", "d": "example.com"}).to_string();
    for (ua, reason) in [
        (
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            "bot",
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36",
            "bot",
        ),
        ("curl/8.5.0", "bot"),
        ("", "bot"),
    ] {
        let res = app.post_raw(&ev, ua, &[]).await;
        assert_eq!(res.status().as_u16(), 202, "{ua}");
        assert_eq!(res.headers()["x-touchpoint-dropped"], reason, "{ua}");
    }
    let unknown =
        json!({"n": "pageview", "u": "https://nobody.example/", "d": "nobody.example"}).to_string();
    let res = app.post_raw(&unknown, CHROME, &[]).await;
    assert_eq!(res.headers()["x-touchpoint-dropped"], "unknown_site");
    assert_eq!(
        app.aggregate(&["events"], json!("day")).await,
        vec![json!(0)]
    );
}

#[tokio::test]
async fn one_event_can_count_for_several_sites_listed_in_domain() {
    let app = spawn_app().await;
    let b = json!({"n": "pageview", "u": "https://example.com/", "d": "example.com,other.example"})
        .to_string();
    assert_eq!(app.post_raw(&b, CHROME, &[]).await.status().as_u16(), 202);
    for site in ["example.com", "other.example"] {
        let r = app
            .results(json!({"site_id": site, "metrics": ["pageviews"], "date_range": "7d"}))
            .await;
        assert_eq!(r[0]["metrics"][0], 1, "{site}");
    }
}

#[tokio::test]
async fn cors_preflight_is_open_on_the_event_route_only() {
    let app = spawn_app().await;
    let res = app
        .client
        .request(reqwest::Method::OPTIONS, format!("{}/api/event", app.url))
        .header("origin", "https://example.com")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());
    assert_eq!(res.headers()["access-control-allow-origin"], "*");
    let res = app.get("/healthz").await;
    assert!(res.headers().get("access-control-allow-origin").is_none());
}
