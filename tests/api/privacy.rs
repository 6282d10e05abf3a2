use std::path::Path;

use serde_json::json;

use crate::helpers::{CHROME, IPHONE, all_bytes, spawn_app_with};

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
    // With the ClickHouse engine, the server's data directory and every
    // row of its tables are scanned too.
    let engine = app.clickhouse_bytes();
    let dir = app.stop().await;
    let mut bytes = all_bytes(dir.path());
    bytes.extend(engine);
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

/// After ingestion with consent, identifiers and lead forms, and account
/// activity (users, invitations, logins, failed logins, audit, a data-subject
/// lookup), no plaintext email, phone, IP or first-party id is anywhere in the
/// data dir, and no plain SHA-256 digest of an email or phone, hex or raw.
#[tokio::test]
async fn no_email_phone_ip_or_plain_digest_reaches_the_data_dir() {
    use touchpoint::domain::{ConsentMode, Role};

    let app = spawn_app_with(&[]).await;
    app.edit_site(|s| s.consent_mode = ConsentMode::CookielessUntilConsent);
    let people = [
        (
            "lead.one@customer.test",
            "+4915112345678",
            "uid-lead-one-0001",
            "203.0.113.61",
        ),
        (
            "Lead.Two@Customer.test",
            "+12025550147",
            "uid-lead-two-0002",
            "198.51.100.62",
        ),
    ];
    let digest = |s: &str| touchpoint::privacy::sha256(s.as_bytes());
    for (email, phone, uid, ip) in people {
        let base = json!({"u": "https://example.com/contact", "d": "example.com", "uid": uid});
        let with = |extra: serde_json::Value| {
            let mut o = base.clone();
            o.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            o
        };
        for body in [
            with(json!({"n": "consent", "c": {"d": "accept", "v": "1", "m": "banner"}})),
            with(json!({"n": "pageview"})),
            with(json!({"n": "lead", "p": {"form": "contact"}, "l": {
                "e": hex::encode(digest(&email.to_lowercase())), "p": hex::encode(digest(phone))}})),
        ] {
            let r = app
                .post_raw(&body.to_string(), CHROME, &[("x-forwarded-for", ip)])
                .await;
            assert_eq!(r.status().as_u16(), 202);
            assert!(r.headers().get("x-touchpoint-refused").is_none());
        }
    }
    // Account activity: an owner and an analyst, logins, a failed login for
    // an unknown address, an invitation, a data-subject lookup.
    let accounts = [
        "owner.person@agency.test",
        "analyst.person@agency.test",
        "nobody.here@agency.test",
        "invitee.person@agency.test",
    ];
    let (mut owner, _) = app.member(accounts[0], Role::Owner, app.acme()).await;
    app.member(accounts[1], Role::Analyst, app.acme()).await;
    let mut stranger = crate::web::WebClient::new(&app);
    stranger.get("/login").await;
    let (status, _, _) = stranger
        .post(
            "/login",
            &[("email", accounts[2]), ("password", "wrong password here")],
        )
        .await;
    assert_eq!(status, 401, "a failed login, audited");
    let ws = format!("/workspaces/{}/members", app.acme().0);
    owner.get(&format!("/workspaces/{}", app.acme().0)).await;
    let (status, location, _) = owner
        .post(&ws, &[("email", accounts[3]), ("role", "viewer")])
        .await;
    assert_eq!(status, 303);
    let (_, _, page) = owner.get(&location).await;
    assert!(page.contains("/invite/"), "an invitation was made");
    owner.get("/sites/example.com/privacy").await;
    let (status, _, _) = owner
        .post(
            "/sites/example.com/privacy/lookup",
            &[("kind", "email"), ("value", people[0].0)],
        )
        .await;
    assert_eq!(status, 200);

    // With the ClickHouse engine, the server's data directory and every
    // row of its tables are scanned too.
    let engine = app.clickhouse_bytes();
    let dir = app.stop().await;
    let mut bytes = all_bytes(dir.path());
    bytes.extend(engine);
    let lower = |s: &str| s.to_lowercase();
    for (email, phone, uid, ip) in people {
        for text in [
            email.to_owned(),
            lower(email),
            phone.to_owned(),
            phone[1..].to_owned(),
            uid.to_owned(),
            ip.to_owned(),
        ] {
            assert!(!contains(&bytes, text.as_bytes()), "{text} in the data dir");
        }
        for d in [digest(&lower(email)), digest(email), digest(phone)] {
            assert!(!contains(&bytes, &d), "a raw digest in the data dir");
            assert!(
                !contains(&bytes, hex::encode(d).as_bytes()),
                "a hex digest in the data dir"
            );
            assert!(
                !contains(&bytes, hex::encode_upper(d).as_bytes()),
                "a hex digest in the data dir"
            );
        }
    }
    for email in accounts {
        assert!(
            !contains(&bytes, email.as_bytes()),
            "{email} in the data dir"
        );
        assert!(
            !contains(&bytes, hex::encode(digest(email)).as_bytes()),
            "digest of {email}"
        );
        assert!(!contains(&bytes, &digest(email)), "raw digest of {email}");
    }
}

/// Personal data typed into free text — a page path, the fragment in hash
/// mode, the hostname, the referrer, every UTM value, `ref`, an event name,
/// property keys and values, a purchase's order id — is redacted at ingest
/// (plain and percent-encoded), and an order id that is an address is refused
/// by the conversions API: none of it is in any byte of the data dir.
#[tokio::test]
async fn no_email_phone_or_card_in_free_text_reaches_the_data_dir() {
    let app = spawn_app_with(&[]).await;
    let ip = "203.0.113.90";
    let page = |u: &str| json!({"n": "pageview", "u": u, "d": "example.com"});
    let mut referred = page(concat!(
        "https://example.com/users/paul@example.org/profile",
        "?utm_source=mary@example.org&utm_medium=%2B1%20555%200100%201234",
        "&utm_campaign=4111%201111%201111%201111&utm_term=mary%40example.org",
        "&utm_content=lisa%2540example.org&utm_id=%2B4915112345678"
    ));
    referred["r"] = json!("https://mail.example.net/read/ann@example.net/inbox");
    let mut hashed = page("https://example.com/app#/users/ann@example.net");
    hashed["h"] = json!(1);
    let bodies = [
        referred,
        page("https://example.com/u/mary%40example.org"),
        page("https://example.com/?ref=paul@example.org"),
        page("https://4111-1111-1111-1111.example.com/"),
        hashed,
        json!({"n": "Signup lisa@example.org", "u": "https://example.com/signup", "d": "example.com",
            "p": {"email": "lisa@example.org", "phone": "+1 555 0100 1234",
                  "card": "4111-1111-1111-1111", "ann@example.net": "an address as a key"}}),
        json!({"n": "Purchase", "u": "https://example.com/checkout", "d": "example.com",
            "p": {"order_id": "order-of-paul@example.org"},
            "$": {"amount": "9.99", "currency": "EUR"}}),
    ];
    for body in bodies {
        app.event(body, CHROME, ip).await;
    }
    let (status, body) = crate::attribution::api(
        &app,
        "/api/v1/conversions",
        json!({"site_id": "example.com", "email": "buyer@customer.test", "type": "purchase",
            "value": "5.00", "currency": "EUR", "order_id": "mary@example.org"}),
    )
    .await;
    assert_eq!(
        status, 400,
        "an order id that is an address is refused: {body}"
    );

    // The texts are there, redacted.
    let pages = app
        .results(
            json!({"site_id": "example.com", "metrics": ["pageviews"], "date_range": "day",
            "dimensions": ["event:page"]}),
        )
        .await;
    let pages: Vec<&str> = pages
        .iter()
        .map(|r| r["dimensions"][0].as_str().unwrap())
        .collect();
    for p in [
        "/users/[email]/profile",
        "/u/[email]",
        "/app#/users/[email]",
    ] {
        assert!(pages.contains(&p), "{p} in {pages:?}");
    }
    for (dims, want) in [
        (
            [
                "visit:utm_source",
                "visit:utm_medium",
                "visit:utm_campaign",
                "visit:referrer",
            ],
            json!([
                "[email]",
                "[phone]",
                "[card]",
                "mail.example.net/read/[email]/inbox"
            ]),
        ),
        (
            [
                "visit:utm_term",
                "visit:utm_content",
                "visit:entry_page",
                "visit:source",
            ],
            json!(["[email]", "[email]", "/users/[email]/profile", "[email]"]),
        ),
    ] {
        let rows = app
            .results(json!({"site_id": "example.com", "metrics": ["visitors"],
                "date_range": "day", "dimensions": dims}))
            .await;
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0]["dimensions"], want);
    }

    // With the ClickHouse engine, the server's data directory and every
    // row of its tables are scanned too.
    let engine = app.clickhouse_bytes();
    let dir = app.stop().await;
    let mut bytes = all_bytes(dir.path());
    bytes.extend(engine);
    assert!(contains(&bytes, b"[email]"), "the events were stored");
    for needle in [
        "mary@example.org",
        "mary%40example.org",
        "lisa%2540example.org",
        "lisa@example.org",
        "paul@example.org",
        "ann@example.net",
        "555 0100 1234",
        "555%200100",
        "4915112345678",
        "4111 1111 1111 1111",
        "4111-1111-1111-1111",
        "4111%201111",
        "4111111111111111",
    ] {
        assert!(
            !contains(&bytes, needle.as_bytes()),
            "{needle} in the data dir"
        );
    }
}

/// Every byte of the data dir once the store is compacted (the store is
/// copy-on-write: deleted rows stay in free pages until compaction drops them).
fn compacted_bytes(dir: &Path) -> Vec<u8> {
    let mut store = touchpoint::store::Store::open(dir).unwrap();
    while store.compact().unwrap() {}
    drop(store);
    all_bytes(dir)
}

/// The visitor hash of the visit whose first page is `path`.
fn visitor_of(app: &crate::helpers::TestApp, path: &str) -> u64 {
    let id = app
        .state
        .store
        .read()
        .unwrap()
        .string_id(path)
        .unwrap()
        .expect("the page was stored");
    let visits = app.state.store.sessions_since(0).unwrap();
    visits
        .iter()
        .find(|(_, r)| r.entry_path() == id)
        .map(|(_, r)| r.visitor)
        .expect("a visit of the page")
}

/// An erasure deletes the texts only the erased visitor used (their unique
/// page, campaign and property value), and a retention purge those of the
/// visits it deletes: neither leaves them anywhere in the data dir, while the
/// texts of kept visits stay.
#[tokio::test]
async fn an_erasure_and_a_purge_leave_no_text_of_the_person_behind() {
    use touchpoint::{domain::SiteId, privacy::retention, store::PersonKeys};

    let app = spawn_app_with(&[]).await;
    let day = 24 * 60 * crate::helpers::MIN;
    let event = |u: &str, p: serde_json::Value| json!({"n": "Download", "u": u, "d": "example.com", "p": p});
    // Carol on day 0, to be purged 25 months later.
    app.pageview("/only-carol-visits-this-page-xyz", CHROME, "203.0.113.3")
        .await;
    app.clock.set_ms(crate::helpers::T0 + 800 * day);
    // Ann and Bob 800 days later: Ann is erased, Bob stays.
    app.pageview(
        "/only-ann-visits-this-page-xyz?utm_campaign=ann-only-campaign-xyz",
        CHROME,
        "203.0.113.1",
    )
    .await;
    app.event(
        event(
            "https://example.com/only-ann-visits-this-page-xyz",
            json!({"file": "ann-only-prop-value-xyz"}),
        ),
        CHROME,
        "203.0.113.1",
    )
    .await;
    app.pageview("/bob-stays-xyz", IPHONE, "203.0.113.2").await;

    let ann = visitor_of(&app, "/only-ann-visits-this-page-xyz");
    let keys = PersonKeys {
        visitors: vec![ann],
        ..PersonKeys::default()
    };
    let rows = app.state.store.erase_person(SiteId(1), &keys).unwrap();
    assert_eq!(rows[&touchpoint::store::PersonTable::Sessions], 1);
    let receipts =
        retention::run(&app.state.auth, &app.state.store, 24, 2, app.clock.now_ms()).unwrap();
    let r = receipts.iter().find(|r| r.site == "example.com").unwrap();
    assert_eq!(
        r.rows[&touchpoint::store::PersonTable::Sessions],
        1,
        "Carol"
    );

    let engine = app.clickhouse_bytes();
    let dir = app.stop().await;
    let mut bytes = compacted_bytes(dir.path());
    bytes.extend(engine);
    assert!(
        contains(&bytes, b"/bob-stays-xyz"),
        "kept visits keep their texts"
    );
    for gone in [
        "/only-ann-visits-this-page-xyz",
        "ann-only-campaign-xyz",
        "ann-only-prop-value-xyz",
        "/only-carol-visits-this-page-xyz",
    ] {
        assert!(!contains(&bytes, gone.as_bytes()), "{gone} in the data dir");
    }
}

/// The writer caches text ids across batches. After an erasure's sweep
/// deleted a text it had cached, the next visit of that page must intern it
/// anew, not reuse the deleted id (which would read as no page at all).
#[tokio::test]
async fn a_text_swept_while_the_writer_had_it_cached_is_interned_again() {
    use touchpoint::{domain::SiteId, store::PersonKeys};

    let app = spawn_app_with(&[]).await;
    let page = "/visited-before-and-after-an-erasure";
    app.pageview(page, CHROME, "203.0.113.1").await;
    let keys = PersonKeys {
        visitors: vec![visitor_of(&app, page)],
        ..PersonKeys::default()
    };
    app.state.store.erase_person(SiteId(1), &keys).unwrap();
    assert_eq!(
        app.state.store.read().unwrap().string_id(page).unwrap(),
        None,
        "the erasure's sweep deleted the text"
    );
    app.pageview(page, IPHONE, "203.0.113.2").await;
    let rows = app
        .results(json!({"site_id": "example.com", "metrics": ["visitors"],
            "date_range": "day", "dimensions": ["event:page"]}))
        .await;
    assert_eq!(
        rows,
        vec![json!({"dimensions": [page], "metrics": [1]})],
        "the page has its text"
    );
}
