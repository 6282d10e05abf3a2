use std::path::Path;

use serde_json::json;

use crate::helpers::{CHROME, IPHONE, spawn_app_with};

fn all_bytes(dir: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            out.extend(all_bytes(&p));
        } else {
            out.extend(std::fs::read(&p).unwrap());
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn no_client_ip_or_user_agent_reaches_the_data_dir() {
    let app = spawn_app_with(&[]).await;
    let ips = [
        "203.0.113.77",
        "198.51.100.213",
        "2001:db8:85a3::8a2e:370:7334",
    ];
    for ip in ips {
        for ua in [CHROME, IPHONE] {
            app.event(
                json!({"n": "pageview", "u": "https://example.com/x", "d": "example.com", "r": "https://ref.example/"}),
                ua,
                ip,
            )
            .await;
        }
    }
    assert_eq!(
        app.aggregate(&["visitors"], json!("day")).await,
        vec![json!(6)]
    );
    let dir = app.stop().await;
    let bytes = all_bytes(dir.path());
    assert!(bytes.len() > 10_000, "the store was read");
    for ip in ips {
        let parsed: std::net::IpAddr = ip.parse().unwrap();
        assert!(!contains(&bytes, ip.as_bytes()), "{ip} as text");
        let raw: Vec<u8> = match parsed {
            std::net::IpAddr::V4(v) => v.octets().to_vec(),
            std::net::IpAddr::V6(v) => v.octets().to_vec(),
        };
        assert!(!contains(&bytes, &raw), "{ip} as raw bytes");
        if let std::net::IpAddr::V4(v) = parsed {
            assert!(
                !contains(&bytes, &v.to_ipv6_mapped().octets()),
                "{ip} as mapped v6"
            );
        }
    }
    for ua in [CHROME, IPHONE] {
        assert!(!contains(&bytes, ua.as_bytes()), "full user agent stored");
    }
}
