use super::*;

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
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
    ];
    for (k, v, want) in cases {
        let err = Settings::load(None, env(&[(k, v)]))
            .unwrap_err()
            .to_string();
        assert!(err.contains(want), "{k}={v}: got {err:?}, wanted {want:?}");
        assert!(!err.contains('\n'), "{k}={v}: one line, got {err:?}");
    }
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

/// Rows of the README's configuration table: (key, env var, default).
fn readme_rows() -> Vec<(String, String, String)> {
    const README: &str = include_str!("../README.md");
    let section = README
        .split("\n## Configuration\n")
        .nth(1)
        .expect("README has a Configuration section");
    let section = section.split("\n## ").next().unwrap_or(section);
    section
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            let unquote = |c: &str| c.trim_matches('`').to_owned();
            let default = match cells[3] {
                "empty" => String::new(),
                d => unquote(d),
            };
            (unquote(cells[1]), unquote(cells[2]), default)
        })
        .collect()
}

/// Every `TOUCHPOINT__…=value` written in a document.
fn env_examples(doc: &str) -> Vec<(String, String)> {
    let re = regex::Regex::new(r"(TOUCHPOINT__[A-Z_]+)=([^\s`]*)").unwrap();
    re.captures_iter(doc)
        .map(|c| {
            // A sentence may end right after the value.
            let value = c[2].strip_suffix('.').unwrap_or(&c[2]);
            (c[1].to_owned(), value.to_owned())
        })
        .collect()
}

#[test]
fn every_documented_example_loads() {
    let defaults = Settings::load(None, []).unwrap();

    // The example file itself, given as a config file, is the defaults.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, EXAMPLE_TOML).unwrap();
    assert_eq!(Settings::load(Some(&path), []).unwrap(), defaults);

    // The README's table: every key of the example file has a row, every
    // row's variable sets a real key, and its default is the embedded one.
    let rows = readme_rows();
    let example: toml::Table = EXAMPLE_TOML.parse().unwrap();
    let mut keys: Vec<String> = example
        .iter()
        .flat_map(|(section, t)| {
            t.as_table()
                .unwrap()
                .keys()
                .map(move |k| format!("{section}.{k}"))
        })
        .collect();
    let mut documented: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
    keys.sort();
    documented.sort();
    assert_eq!(documented, keys, "README table vs config.example.toml");
    for (key, var, default) in &rows {
        assert_eq!(
            *var,
            format!(
                "{ENV_PREFIX}{}",
                key.replace('.', "__").to_ascii_uppercase()
            ),
            "{key}"
        );
        let got = Settings::load(None, env(&[(var, default)]))
            .unwrap_or_else(|e| panic!("{var}={default:?}: {e}"));
        assert_eq!(
            got, defaults,
            "README's default of {key} is not the embedded one"
        );
    }

    // Every `TOUCHPOINT__…=value` the docs (and the Dockerfile) show.
    let docs = [
        ("README.md", include_str!("../README.md")),
        ("config.example.toml", EXAMPLE_TOML),
        ("Dockerfile", include_str!("../Dockerfile")),
    ];
    let mut shown = 0;
    for (doc, text) in docs {
        for (var, value) in env_examples(text) {
            if var == "TOUCHPOINT__SECTION__KEY" {
                continue;
            }
            Settings::load(None, env(&[(&var, &value)]))
                .unwrap_or_else(|e| panic!("{doc}: {var}={value}: {e}"));
            shown += 1;
        }
    }
    assert!(shown >= 3, "found {shown} environment examples");

    // Each form the comments and the table describe, as a file value and
    // as an environment value.
    let key = base64_key();
    let forms: &[(&str, &str, &str, &str)] = &[
        ("server", "listen", "\"0.0.0.0:8080\"", "0.0.0.0:8080"),
        ("server", "listen", "\"127.0.0.1:0\"", "127.0.0.1:0"),
        ("server", "listen", "\"[::]:8080\"", "[::]:8080"),
        ("server", "trusted_proxies", "[]", ""),
        ("server", "trusted_proxies", "[\"127.0.0.1\"]", "127.0.0.1"),
        ("server", "trusted_proxies", "[\"::1\"]", "::1"),
        (
            "server",
            "trusted_proxies",
            "[\"10.0.0.0/8\"]",
            "10.0.0.0/8",
        ),
        (
            "server",
            "trusted_proxies",
            "[\"127.0.0.1\", \"10.0.0.0/8\", \"::1\", \"fd00::/8\"]",
            "127.0.0.1, 10.0.0.0/8,::1 , fd00::/8",
        ),
        ("server", "public_url", "\"\"", ""),
        (
            "server",
            "public_url",
            "\"https://analytics.example.com\"",
            "https://analytics.example.com",
        ),
        (
            "server",
            "public_url",
            "\"http://10.0.0.5:8080/\"",
            "http://10.0.0.5:8080/",
        ),
        ("storage", "data_dir", "\"/data\"", "/data"),
        ("storage", "cache_mb", "256", "256"),
        (
            "geoip",
            "database",
            "\"/srv/GeoLite2-City.mmdb\"",
            "/srv/GeoLite2-City.mmdb",
        ),
        ("geoip", "database", "\"\"", ""),
        ("ingest", "batch_size", "64", "64"),
        ("ingest", "flush_interval_ms", "10", "10"),
        ("ingest", "queue_capacity", "100000", "100000"),
        ("ingest", "max_body_bytes", "65536", "65536"),
        (
            "jobs",
            "salt_rotation_schedule",
            "\"0 0 0 * * *\"",
            "0 0 0 * * *",
        ),
        ("jobs", "rollup_schedule", "\"\"", ""),
        ("jobs", "purge_schedule", "\"0 40 3 * * *\"", "0 40 3 * * *"),
        ("auth", "require_mfa_for_admins", "false", "false"),
        ("auth", "require_mfa_for_admins", "true", "true"),
        ("auth", "session_idle_minutes", "60", "60"),
        ("auth", "lockout_seconds", "30", "30"),
        ("privacy", "master_key", &key.0, &key.1),
        (
            "privacy",
            "key_file",
            "\"/run/secrets/touchpoint.key\"",
            "/run/secrets/touchpoint.key",
        ),
        ("privacy", "retention_months", "1", "1"),
        ("privacy", "retention_months", "24", "24"),
        ("privacy", "purge_batch_rows", "1", "1"),
    ];
    for (section, k, toml_value, env_value) in forms {
        std::fs::write(&path, format!("[{section}]\n{k} = {toml_value}\n")).unwrap();
        let from_file = Settings::load(Some(&path), [])
            .unwrap_or_else(|e| panic!("{section}.{k} = {toml_value}: {e}"));
        let var = format!(
            "{ENV_PREFIX}{}__{}",
            section.to_ascii_uppercase(),
            k.to_ascii_uppercase()
        );
        let from_env = Settings::load(None, env(&[(&var, env_value)]))
            .unwrap_or_else(|e| panic!("{var}={env_value}: {e}"));
        assert_eq!(
            from_file, from_env,
            "{section}.{k}: file and environment differ"
        );
    }

    // The documented meaning of the proxy forms.
    let s = Settings::load(
        None,
        env(&[(
            "TOUCHPOINT__SERVER__TRUSTED_PROXIES",
            "127.0.0.1, 10.0.0.0/8, ::1",
        )]),
    )
    .unwrap();
    let want: Vec<IpNet> = ["127.0.0.1/32", "10.0.0.0/8", "::1/128"]
        .iter()
        .map(|n| n.parse().unwrap())
        .collect();
    assert_eq!(s.server.trusted_proxies, want);
}

/// A master key as the docs make one (`openssl rand -base64 32`), as a
/// TOML string and as the raw environment value.
fn base64_key() -> (String, String) {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
    (format!("\"{b64}\""), b64)
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
