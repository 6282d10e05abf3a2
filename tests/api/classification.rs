use serde_json::json;

use crate::helpers::{CHROME, IPHONE, fixture, spawn_app, spawn_app_with};

#[tokio::test]
async fn utm_click_ids_and_referrers_classify_visits_into_channels() {
    let app = spawn_app().await;
    // (landing query, referrer, expected channel, expected source)
    let cases = [
        ("", None, "Direct", "Direct / None"),
        (
            "",
            Some("https://www.google.com/search?q=x"),
            "Organic Search",
            "Google",
        ),
        (
            "?gclid=abc",
            Some("https://www.google.com/"),
            "Paid Search",
            "Google",
        ),
        (
            "?msclkid=abc",
            Some("https://www.bing.com/"),
            "Paid Search",
            "Bing",
        ),
        (
            "?fbclid=abc",
            Some("https://m.facebook.com/"),
            "Paid Social",
            "Facebook",
        ),
        (
            "",
            Some("https://www.facebook.com/"),
            "Organic Social",
            "Facebook",
        ),
        (
            "?utm_source=newsletter&utm_medium=email",
            None,
            "Email",
            "newsletter",
        ),
        (
            "?utm_source=google&utm_medium=cpc&utm_campaign=brand",
            None,
            "Paid Search",
            "Google",
        ),
        (
            "?utm_source=partner&utm_medium=affiliate",
            None,
            "Affiliates",
            "partner",
        ),
        (
            "?utm_medium=display&utm_source=bannerco",
            None,
            "Display",
            "bannerco",
        ),
        (
            "?utm_source=textblast&utm_medium=sms",
            None,
            "SMS",
            "textblast",
        ),
        (
            "",
            Some("https://blog.somewhere.example/post"),
            "Referral",
            "blog.somewhere.example",
        ),
        ("?ref=blogroll42", None, "Unassigned", "blogroll42"),
    ];
    for (i, (query, referrer, _, _)) in cases.iter().enumerate() {
        let mut e = json!({"n": "pageview", "u": format!("https://example.com/c{i}{query}"), "d": "example.com"});
        if let Some(r) = referrer {
            e["r"] = json!(r);
        }
        // A distinct IP per case makes each its own visit.
        app.event(e, CHROME, &format!("198.51.100.{}", i + 10))
            .await;
    }
    for (i, (query, referrer, channel, source)) in cases.iter().enumerate() {
        let r = app
            .results(
                json!({"site_id": "example.com", "metrics": ["visits"], "date_range": "day",
                "dimensions": ["visit:channel", "visit:source"],
                "filters": [["is", "visit:entry_page", [format!("/c{i}")]]]}),
            )
            .await;
        assert_eq!(r.len(), 1, "case {i} {query} {referrer:?}: {r:?}");
        assert_eq!(
            r[0]["dimensions"],
            json!([channel, source]),
            "case {i}: {query} {referrer:?}"
        );
    }
    let r = app
        .results(json!({"site_id": "example.com", "metrics": ["visits"], "date_range": "day", "dimensions": ["visit:click_id"]}))
        .await;
    let kinds: Vec<&str> = r
        .iter()
        .map(|x| x["dimensions"][0].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["fbclid", "gclid", "msclkid"]);
}

#[tokio::test]
async fn browser_os_and_device_come_from_the_user_agent() {
    let app = spawn_app().await;
    let ipad = "Mozilla/5.0 (iPad; CPU OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1";
    let android = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36";
    for (i, ua) in [CHROME, ipad, android].iter().enumerate() {
        app.pageview("/", ua, &format!("198.51.100.{}", 50 + i))
            .await;
    }
    let dims = |d: &'static str| {
        let app = &app;
        async move {
            let r = app
                .results(json!({"site_id": "example.com", "metrics": ["visitors"], "date_range": "day", "dimensions": [d],
                    "order_by": [[d, "asc"]]}))
                .await;
            r.iter()
                .map(|x| x["dimensions"][0].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        dims("visit:device").await,
        vec!["Desktop", "Mobile", "Tablet"]
    );
    assert_eq!(dims("visit:browser").await, vec!["Chrome", "Safari"]);
    assert_eq!(dims("visit:os").await, vec!["Android", "Windows", "iOS"]);
}

#[tokio::test]
async fn geolocation_uses_a_configured_maxmind_city_database_via_trusted_proxy_headers() {
    let db = fixture("geo/GeoIP2-City-Test.mmdb");
    let app = spawn_app_with(&[("TOUCHPOINT__GEOIP__DATABASE", db.to_str().unwrap())]).await;
    app.pageview("/", CHROME, "81.2.69.142").await; // London, GB-ENG
    app.pageview("/", CHROME, "89.160.20.112").await; // Linköping, SE
    for (dim, want) in [
        ("visit:country", vec!["GB", "SE"]),
        ("visit:region", vec!["GB-ENG", "SE-E"]),
        ("visit:city", vec!["Linköping", "London"]),
    ] {
        let r = app
            .results(json!({"site_id": "example.com", "metrics": ["visitors"], "date_range": "day", "dimensions": [dim],
                "order_by": [[dim, "asc"]]}))
            .await;
        let got: Vec<&str> = r
            .iter()
            .map(|x| x["dimensions"][0].as_str().unwrap())
            .collect();
        assert_eq!(got, want, "{dim}");
    }
}

#[tokio::test]
async fn forwarding_headers_from_untrusted_peers_are_ignored() {
    let db = fixture("geo/GeoIP2-City-Test.mmdb");
    let app = spawn_app_with(&[
        ("TOUCHPOINT__GEOIP__DATABASE", db.to_str().unwrap()),
        ("TOUCHPOINT__SERVER__TRUSTED_PROXIES", ""),
    ])
    .await;
    app.pageview("/", CHROME, "81.2.69.142").await;
    let r = app
        .results(json!({"site_id": "example.com", "metrics": ["visitors"], "date_range": "day", "dimensions": ["visit:country"]}))
        .await;
    assert!(
        r.is_empty(),
        "loopback has no country; the spoofed header must not count: {r:?}"
    );
}

#[tokio::test]
async fn clients_a_trusted_proxy_does_not_name_are_separate_visitors_without_a_country() {
    let db = fixture("geo/GeoIP2-City-Test.mmdb");
    let app = spawn_app_with(&[
        ("TOUCHPOINT__GEOIP__DATABASE", db.to_str().unwrap()),
        // A bare IP, as config.example.toml documents.
        ("TOUCHPOINT__SERVER__TRUSTED_PROXIES", "127.0.0.1"),
    ])
    .await;
    app.pageview("/", CHROME, "81.2.69.142").await; // London: the proxy is believed
    // Two different browsers whose address the proxy doesn't know.
    app.pageview("/", CHROME, "unknown").await;
    app.pageview("/", IPHONE, "unknown").await;
    // Two people with the same browser build are not merged either.
    app.pageview("/", CHROME, "unknown").await;
    // RFC 7239 obfuscated identifier.
    app.pageview("/", CHROME, "_hidden").await;
    // An address left of the proxy's "unknown" was written by the client.
    app.pageview("/", CHROME, "81.2.69.142, unknown").await;

    let total = app.aggregate(&["visitors", "visits"], json!("day")).await;
    assert_eq!(
        total,
        vec![json!(6), json!(6)],
        "each unknown client is its own visitor"
    );
    let r = app
        .results(json!({"site_id": "example.com", "metrics": ["visitors"], "date_range": "day", "dimensions": ["visit:country"]}))
        .await;
    assert_eq!(
        r,
        vec![json!({"dimensions": ["GB"], "metrics": [1]})],
        "unknown clients have no country (not the proxy's, not a spoofed one)"
    );
}
