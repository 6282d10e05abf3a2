//! Every documented form of every setting loads: config.example.toml, the
//! README's table and `TOUCHPOINT__` examples, the Dockerfile.

use super::{tests::env, *};

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
    // Constants code uses for the same defaults agree with the file.
    assert_eq!(
        defaults.ingest.max_open_visits,
        crate::ingest::session::DEFAULT_MAX_OPEN_VISITS
    );

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
            "metrics_token",
            "\"s3cret-token\"",
            "s3cret-token",
        ),
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
        ("storage", "max_report_mb", "0", "0"),
        ("storage", "min_free_mb", "0", "0"),
        ("storage", "backup_dir", "\"/backups\"", "/backups"),
        ("storage", "backup_keep", "30", "30"),
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
        ("ingest", "queue_mb", "64", "64"),
        ("ingest", "max_open_visits", "1000000", "1000000"),
        ("ingest", "max_body_bytes", "65536", "65536"),
        (
            "jobs",
            "salt_rotation_schedule",
            "\"0 0 0 * * *\"",
            "0 0 0 * * *",
        ),
        ("jobs", "rollup_schedule", "\"\"", ""),
        ("jobs", "purge_schedule", "\"0 40 3 * * *\"", "0 40 3 * * *"),
        (
            "jobs",
            "backup_schedule",
            "\"0 15 2 * * *\"",
            "0 15 2 * * *",
        ),
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
