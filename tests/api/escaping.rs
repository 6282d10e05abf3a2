//! Values visitors control (paths, referrers, UTM tags, event names, filter
//! values in the URL) are shown escaped, never as markup, and pages carry a
//! CSP that forbids inline script.

use reqwest::header::HeaderMap;
use serde_json::json;
use touchpoint::domain::Role;

use crate::{
    helpers::{CHROME, spawn_app},
    web::WebClient,
};

const SCRIPT: &str = "<script>alert(1)</script>";
const IMG: &str = r#""><img src=x onerror=alert(1)>"#;
const TITLE: &str = "</title><svg onload=alert(1)>";
/// A path with an ampersand and both quotes: URL parsing keeps `&` and `'`
/// and percent-encodes `"`.
const AMP_PATH: &str = r#"/a&b'c"d"#;

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// GETs a page with the client's session; returns status, headers and body.
async fn load(c: &WebClient, path: &str) -> (u16, HeaderMap, String) {
    let r = c
        .client
        .get(format!("{}{path}", c.base))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, headers, r.text().await.unwrap())
}

#[tokio::test]
async fn attacker_controlled_values_are_escaped_in_every_view() {
    let app = spawn_app().await;
    let pv = |u: String, r: Option<String>| {
        let mut e = json!({"n": "pageview", "u": u, "d": "example.com"});
        if let Some(r) = r {
            e["r"] = json!(r);
        }
        e
    };
    let events = [
        pv(format!("http://example.com/{SCRIPT}"), None),
        pv(format!("http://example.com{AMP_PATH}"), None),
        pv(
            "http://example.com/from-evil".into(),
            Some(format!("http://evil.example/{IMG}")),
        ),
        pv(
            format!(
                "http://example.com/landing?utm_source={}&utm_medium=email&utm_campaign={}",
                enc(IMG),
                enc(TITLE)
            ),
            None,
        ),
        json!({"n": SCRIPT, "u": "http://example.com/", "d": "example.com"}),
    ];
    for (i, e) in events.into_iter().enumerate() {
        app.event(e, CHROME, &format!("198.51.100.{}", i + 1)).await;
    }
    let (c, _) = app
        .member("analyst@example.com", Role::Analyst, app.acme())
        .await;

    // Each page, with what must show escaped there (so a dropped value fails too).
    let escaped_script = "&lt;script&gt;alert(1)&lt;/script&gt;";
    let escaped_img = "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;";
    // URL parsing percent-encodes `<`, `>` and `"` in paths, and ingestion
    // decodes them again (see `domain::text`), so the payloads reach the pages
    // as typed: they must show escaped.
    let script_path = "/&lt;script&gt;alert(1)&lt;/script&gt;";
    let amp_path = "/a&amp;b'c&quot;d";
    let filtered_page = format!("/sites/example.com?f={}", enc(&format!("page:/{SCRIPT}")));
    let filtered_source = format!("/sites/example.com?f={}", enc(&format!("source:{IMG}")));
    let pages: Vec<(&str, String, Vec<&str>)> = vec![
        (
            "top pages and custom events",
            "/sites/example.com?pages=page".to_owned(),
            vec![script_path, amp_path, escaped_script],
        ),
        (
            "sources",
            "/sites/example.com?sources=source".to_owned(),
            vec![escaped_img, "evil.example"],
        ),
        (
            "campaigns",
            "/sites/example.com?sources=utm_campaign".to_owned(),
            vec!["&lt;/title&gt;&lt;svg onload=alert(1)&gt;"],
        ),
        (
            "entry pages",
            "/sites/example.com?pages=entry_page".to_owned(),
            vec![script_path, amp_path],
        ),
        (
            "realtime",
            "/sites/example.com/realtime".to_owned(),
            vec![script_path, amp_path],
        ),
        (
            "a filter chip with a page path",
            filtered_page,
            vec!["/&lt;script&gt;alert(1)&lt;/script&gt;"],
        ),
        (
            "a filter chip with a source, and its data",
            filtered_source,
            vec![escaped_img, "/landing"],
        ),
    ];

    let script_tag = regex::Regex::new(r"(?is)<script\b([^>]*)>(.*?)</script\s*>").unwrap();
    for (what, path, shown) in &pages {
        let (status, headers, body) = load(&c, path).await;
        assert_eq!(status, 200, "{what}: {body}");
        let csp = headers
            .get("content-security-policy")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert!(csp.contains("script-src 'self'"), "{what}: CSP {csp:?}");
        for raw in [
            SCRIPT,
            IMG,
            TITLE,
            "/a&b'c",
            "<img src=x",
            "<svg onload",
            "onload=alert(1)>",
        ] {
            assert!(!body.contains(raw), "{what}: {raw:?} unescaped in {body}");
        }
        for escaped in shown {
            assert!(
                body.contains(escaped),
                "{what}: {escaped:?} missing from {body}"
            );
        }
        let tags: Vec<_> = script_tag.captures_iter(body.as_str()).collect();
        assert_eq!(
            tags.len(),
            body.to_ascii_lowercase().matches("<script").count(),
            "{what}: every <script> is closed"
        );
        for t in tags {
            assert!(
                t[1].contains("src=") && t[2].trim().is_empty(),
                "{what}: inline script {:?}",
                &t[0]
            );
        }
    }
}
