//! Headers every answer carries, including the ones no handler wrote (a
//! router 404, an API error), and `/metrics` behind its token.

use crate::helpers::{spawn_app, spawn_app_with};

fn header<'r>(r: &'r reqwest::Response, name: &str) -> Option<&'r str> {
    r.headers().get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn every_answer_carries_the_security_headers_and_errors_are_not_cached() {
    let app = spawn_app().await;
    let unknown_site = app
        .client
        .get(format!("{}/api/v1/sites/nowhere.example", app.url))
        .bearer_auth(&app.api_key)
        .send()
        .await
        .unwrap();
    for (what, r) in [
        ("a page nobody serves", app.get("/no/such/page").await),
        ("an API 404", unknown_site),
        (
            "a bad path parameter",
            app.get("/api/v1/sites/example.com/imports/abc").await,
        ),
        ("the health probe", app.get("/healthz").await),
    ] {
        assert!(r.status().as_u16() < 500, "{what}");
        assert_eq!(
            header(&r, "cross-origin-opener-policy"),
            Some("same-origin"),
            "{what}"
        );
        assert!(
            header(&r, "permissions-policy").is_some_and(|p| p.contains("camera=()")),
            "{what}"
        );
        assert!(header(&r, "content-security-policy").is_some(), "{what}");
        assert_eq!(
            header(&r, "x-content-type-options"),
            Some("nosniff"),
            "{what}"
        );
        assert!(
            header(&r, "strict-transport-security").is_none(),
            "{what}: no HSTS over http"
        );
        if !r.status().is_success() {
            assert_eq!(header(&r, "cache-control"), Some("no-store"), "{what}");
        }
    }
    // The dashboard's pages keep their own policy.
    let login = app.get("/login").await;
    assert!(
        header(&login, "content-security-policy").is_some_and(|c| c.contains("script-src 'self'"))
    );
    // Over HTTPS (a trusted proxy says so): HSTS.
    let r = app
        .client
        .get(format!("{}/login", app.url))
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();
    assert_eq!(
        header(&r, "strict-transport-security"),
        Some("max-age=31536000; includeSubDomains")
    );
}

#[tokio::test]
async fn metrics_ask_for_their_token_when_one_is_set() {
    let open = spawn_app().await;
    assert_eq!(
        open.get("/metrics").await.status().as_u16(),
        200,
        "open without a token"
    );
    let app =
        spawn_app_with(&[("TOUCHPOINT__SERVER__METRICS_TOKEN", "t0k3n-for-prometheus")]).await;
    assert_eq!(app.get("/metrics").await.status().as_u16(), 401);
    let get = |token: &'static str| {
        app.client
            .get(format!("{}/metrics", app.url))
            .bearer_auth(token)
            .send()
    };
    assert_eq!(get("wrong").await.unwrap().status().as_u16(), 401);
    let r = get("t0k3n-for-prometheus").await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("touchpoint_events_accepted_total")
    );
}
