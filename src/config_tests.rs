use super::*;

pub(super) fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn embedded_example_parses_to_the_documented_defaults() {
    let s = Settings::load(None, []).unwrap();
    assert_eq!(s.server.listen, "127.0.0.1:8080".parse().unwrap());
    assert_eq!(s.storage.data_dir, PathBuf::from("./data"));
    assert_eq!(s.ingest.batch_size, 1024);
    assert!(s.server.trusted_proxies.is_empty());
}

#[test]
fn environment_overrides_every_kind_of_value() {
    let s = Settings::load(
        None,
        env(&[
            ("TOUCHPOINT__SERVER__LISTEN", "0.0.0.0:9000"),
            (
                "TOUCHPOINT__SERVER__TRUSTED_PROXIES",
                "10.0.0.0/8, 127.0.0.1/32",
            ),
            ("TOUCHPOINT__STORAGE__DATA_DIR", "/data"),
            ("TOUCHPOINT__INGEST__BATCH_SIZE", "64"),
            ("TOUCHPOINT__JOBS__ROLLUP_SCHEDULE", ""),
            ("UNRELATED", "x"),
        ]),
    )
    .unwrap();
    assert_eq!(s.server.listen.port(), 9000);
    assert_eq!(s.server.trusted_proxies.len(), 2);
    assert_eq!(s.storage.data_dir, PathBuf::from("/data"));
    assert_eq!(s.ingest.batch_size, 64);
    assert_eq!(s.jobs.rollup_schedule, "");
}

#[test]
fn invalid_settings_are_reported_clearly_naming_the_key() {
    let cases = [
        ("TOUCHPOINT__SERVER__NOPE", "1", "unknown setting"),
        (
            "TOUCHPOINT__INGEST__BATCH_SIZE",
            "many",
            "TOUCHPOINT__INGEST__BATCH_SIZE: expected an integer",
        ),
        (
            "TOUCHPOINT__AUTH__REQUIRE_MFA_FOR_ADMINS",
            "yes",
            "TOUCHPOINT__AUTH__REQUIRE_MFA_FOR_ADMINS: expected true or false",
        ),
        (
            "TOUCHPOINT__SERVER__LISTEN",
            "not an address",
            "invalid configuration: server.listen: invalid socket address",
        ),
        (
            "TOUCHPOINT__SERVER__TRUSTED_PROXIES",
            "10.0.0.0/99",
            "invalid configuration: server.trusted_proxies: \"10.0.0.0/99\" is neither",
        ),
        (
            "TOUCHPOINT__SERVER__TRUSTED_PROXIES",
            "127.0.0.1, localhost",
            "server.trusted_proxies: \"localhost\" is neither",
        ),
        (
            "TOUCHPOINT__SERVER__PUBLIC_URL",
            "analytics.example.com",
            "invalid configuration: server.public_url: \"analytics.example.com\" is not an http(s) address",
        ),
        (
            "TOUCHPOINT__SERVER__PUBLIC_URL",
            "https://example.com/analytics?x=1",
            "server.public_url: ",
        ),
        (
            "TOUCHPOINT__PRIVACY__RETENTION_MONTHS",
            "25",
            "privacy.retention_months must be from 1 to 24",
        ),
        (
            "TOUCHPOINT__PRIVACY__PURGE_BATCH_ROWS",
            "0",
            "privacy.purge_batch_rows must be at least 1",
        ),
        (
            "TOUCHPOINT__INGEST__QUEUE_CAPACITY",
            "-1",
            "ingest.queue_capacity: ",
        ),
        (
            "TOUCHPOINT__INGEST__MAX_OPEN_VISITS",
            "10",
            "ingest.max_open_visits must be at least 1000",
        ),
    ];
    for (k, v, want) in cases {
        let err = Settings::load(None, env(&[(k, v)]))
            .unwrap_err()
            .to_string();
        assert!(err.contains(want), "{k}={v}: got {err:?}, wanted {want:?}");
        assert!(!err.contains('\n'), "{k}={v}: one line, got {err:?}");
    }
    // The engine's name, and ClickHouse's address once that engine is chosen.
    let engine = |extra: &[(&str, &str)]| {
        let mut pairs = vec![("TOUCHPOINT__EVENTS__ENGINE", "clickhouse")];
        pairs.extend_from_slice(extra);
        Settings::load(None, env(&pairs)).map_err(|e| e.to_string())
    };
    let err = Settings::load(None, env(&[("TOUCHPOINT__EVENTS__ENGINE", "postgres")]))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("events.engine: unknown variant `postgres`"),
        "{err}"
    );
    let err = engine(&[("TOUCHPOINT__CLICKHOUSE__URL", "127.0.0.1:8123")]).unwrap_err();
    assert!(
        err.contains("clickhouse.url: \"127.0.0.1:8123\" is not an http(s) URL"),
        "{err}"
    );
    let err = engine(&[(
        "TOUCHPOINT__CLICKHOUSE__URL",
        "http://user:secret@127.0.0.1:8123",
    )])
    .unwrap_err();
    assert!(
        err.contains("not in the URL") && !err.contains("secret"),
        "{err}"
    );
    let err = engine(&[("TOUCHPOINT__CLICKHOUSE__DATABASE", " ")]).unwrap_err();
    assert!(
        err.contains("clickhouse.database must not be empty"),
        "{err}"
    );
    assert!(engine(&[]).is_ok());
    // Not checked while the embedded engine runs.
    assert!(Settings::load(None, env(&[("TOUCHPOINT__CLICKHOUSE__URL", "nope")])).is_ok());
}

#[test]
fn invalid_file_values_name_their_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.toml");
    let cases = [
        ("[server]\nlisten = 5\n", "server.listen: "),
        (
            "[server]\ntrusted_proxies = [\"10.0.0.1/33\"]\n",
            "server.trusted_proxies: \"10.0.0.1/33\" is neither",
        ),
        (
            "[server]\ntrusted_proxies = \"127.0.0.1\"\n",
            "server.trusted_proxies: ",
        ),
        ("[ingest]\nbatch_size = \"many\"\n", "ingest.batch_size: "),
        (
            "[auth]\nrequire_mfa_for_admins = 1\n",
            "auth.require_mfa_for_admins: ",
        ),
        ("[server]\nnope = 1\n", "server: unknown field `nope`"),
        ("[nope]\n", "unknown field `nope`"),
    ];
    for (text, want) in cases {
        std::fs::write(&path, text).unwrap();
        let err = Settings::load(Some(&path), []).unwrap_err().to_string();
        assert!(err.contains(want), "{text:?}: got {err:?}, wanted {want:?}");
    }
}

#[test]
fn trusted_proxies_take_bare_ips_and_cidrs() {
    let net = |s: &str| s.parse::<IpNet>().unwrap();
    for (entry, want) in [
        ("127.0.0.1", "127.0.0.1/32"),
        (" 10.1.2.3 ", "10.1.2.3/32"),
        ("::1", "::1/128"),
        ("2001:db8::7", "2001:db8::7/128"),
        ("10.0.0.0/8", "10.0.0.0/8"),
        ("192.168.0.0/16", "192.168.0.0/16"),
        ("fd00::/8", "fd00::/8"),
        ("0.0.0.0/0", "0.0.0.0/0"),
    ] {
        assert_eq!(parse_proxy(entry), Ok(net(want)), "{entry:?}");
    }
    for bad in [
        "",
        "localhost",
        "10.0.0.0/33",
        "::1/129",
        "10.0.0",
        "1.2.3.4:80",
    ] {
        assert!(parse_proxy(bad).is_err(), "{bad:?}");
    }
    // A bare IP trusts that address only.
    let one = parse_proxy("127.0.0.1").unwrap();
    assert!(one.contains(&"127.0.0.1".parse::<IpAddr>().unwrap()));
    assert!(!one.contains(&"127.0.0.2".parse::<IpAddr>().unwrap()));
}

#[test]
fn a_public_url_is_an_origin_kept_without_its_trailing_slash() {
    let with = |v: &str| {
        Settings::load(None, env(&[("TOUCHPOINT__SERVER__PUBLIC_URL", v)])).map(|s| s.server)
    };
    assert_eq!(with("").unwrap().public_origin(), None);
    assert_eq!(
        with("https://analytics.example.com/")
            .unwrap()
            .public_origin(),
        Some("https://analytics.example.com")
    );
    assert_eq!(
        with("http://[::1]:8080").unwrap().public_origin(),
        Some("http://[::1]:8080")
    );
    for bad in [
        "ftp://example.com",
        "https://example.com/sub",
        "https://user@example.com",
        "https://example.com/#x",
        "example.com",
    ] {
        assert!(with(bad).is_err(), "{bad}");
    }
}

#[test]
fn file_values_sit_between_defaults_and_environment() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.toml");
    std::fs::write(
        &path,
        "[server]\nlisten = \"127.0.0.1:7000\"\n[ingest]\nbatch_size = 3\n",
    )
    .unwrap();
    let s = Settings::load(Some(&path), env(&[("TOUCHPOINT__INGEST__BATCH_SIZE", "9")])).unwrap();
    assert_eq!(s.server.listen.port(), 7000);
    assert_eq!(s.ingest.batch_size, 9);
    assert_eq!(s.ingest.flush_interval_ms, 2);
    std::fs::write(&path, "[server]\nlisten = 5\n").unwrap();
    assert!(Settings::load(Some(&path), []).is_err());
}
