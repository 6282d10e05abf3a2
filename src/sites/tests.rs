use super::*;
use crate::domain::{SiteId, WorkspaceId};
use serde_json::json;

fn site() -> Site {
    let mut s: Site = serde_json::from_value(json!({
        "id": 1, "domain": "example.com", "timezone": "UTC", "created_ms": 0
    }))
    .unwrap();
    s.allowed_hostnames = vec!["example.com".into()];
    s.id = SiteId(1);
    s.workspace = WorkspaceId(1);
    s
}

fn patch(v: Value) -> Result<Patch, String> {
    parse(v.as_object().unwrap(), 24)
}

#[test]
fn a_field_left_out_is_left_alone() {
    let mut s = site();
    let changed = apply(
        &mut s,
        patch(json!({"consent_mode": "require"})).unwrap(),
        24,
        |_| unreachable!(),
    );
    assert_eq!(changed, vec!["consent_mode"]);
    assert_eq!(s.consent_mode, ConsentMode::Require);
    assert_eq!(s.allowed_hostnames, vec!["example.com"], "kept");
    // Setting what is already set changes nothing.
    let again = apply(
        &mut s,
        patch(json!({"consent_mode": "require"})).unwrap(),
        24,
        |_| unreachable!(),
    );
    assert!(again.is_empty());
}

#[test]
fn every_field_is_validated_and_named_in_its_error() {
    for (bad, field) in [
        (json!({"timezone": "Mars/Olympus"}), "timezone"),
        (
            json!({"allowed_hostnames": ["not a host"]}),
            "allowed_hostnames",
        ),
        (
            json!({"allowed_hostnames": "example.com"}),
            "allowed_hostnames",
        ),
        (json!({"consent_mode": "maybe"}), "consent_mode"),
        (json!({"respect_dnt": "yes"}), "respect_dnt"),
        (json!({"policy_version": "v 1"}), "policy_version"),
        (json!({"retention_months": 25}), "retention_months"),
        (json!({"retention_months": 0}), "retention_months"),
        (json!({"lookback_days": 366}), "lookback_days"),
        (json!({"attribution_model": "best"}), "attribution_model"),
        (json!({"reporting_currency": "EURO"}), "reporting_currency"),
        (json!({"stripe_secret": "sk_live_x"}), "stripe_secret"),
        (json!({"scoring": {"rules": 3}}), "scoring"),
        (json!({"min_count": 1001}), "min_count"),
        (json!({"min_count": -1}), "min_count"),
        (json!({"min_count": "5"}), "min_count"),
        (json!({"colour": "red"}), "colour"),
    ] {
        let e = patch(bad.clone()).unwrap_err();
        assert!(e.contains(field), "{bad}: {e}");
    }
}

#[test]
fn retention_at_the_instance_maximum_is_none_of_its_own_and_nulls_clear() {
    let mut s = site();
    s.reporting_currency = Some("EUR".into());
    let p = patch(json!({"retention_months": 24, "reporting_currency": null,
        "stripe_secret": "whsec_abc", "allowed_hostnames": ["*.Example.com", "shop.example"]}))
    .unwrap();
    let changed = apply(&mut s, p, 24, |plain| format!("sealed:{plain}"));
    assert_eq!(s.retention_months, None);
    assert_eq!(s.reporting_currency, None);
    assert_eq!(s.stripe_secret_sealed.as_deref(), Some("sealed:whsec_abc"));
    assert_eq!(s.allowed_hostnames, vec!["*.example.com", "shop.example"]);
    assert!(changed.contains(&"stripe_secret") && changed.contains(&"reporting_currency"));
    apply(
        &mut s,
        patch(json!({"retention_months": 6})).unwrap(),
        24,
        |_| String::new(),
    );
    assert_eq!(s.retention_months, Some(6));
}

#[test]
fn settings_are_shown_as_key_value_lines_without_secrets() {
    let mut s = site();
    s.segment_write_key = Some("wk123".into());
    s.stripe_secret_sealed = Some("00ff".into());
    let lines = describe(&s, 24);
    assert_eq!(lines[0], "domain: example.com");
    for want in [
        "consent_mode: cookieless",
        "allowed_hostnames: example.com",
        "retention_months: 24",
        "lookback_days: 90",
        "attribution_model: last_non_direct",
        "reporting_currency: none",
        "stripe_secret: set",
        "segment_write_key: wk123",
    ] {
        assert!(lines.iter().any(|l| l == want), "{want} in {lines:?}");
    }
    assert!(!lines.iter().any(|l| l.contains("00ff")));
}

#[test]
fn text_values_from_the_command_line_parse_like_json() {
    let mut p = Patch::default();
    set_text(&mut p, "consent_mode", "require", 24).unwrap();
    set_text(&mut p, "allowed_hostnames", "a.example, *.b.example", 24).unwrap();
    set_text(&mut p, "respect_dnt", "true", 24).unwrap();
    set_text(&mut p, "reporting_currency", "none", 24).unwrap();
    assert_eq!(p.consent_mode, Some(ConsentMode::Require));
    assert_eq!(
        p.allowed_hostnames,
        Some(vec!["a.example".into(), "*.b.example".into()])
    );
    assert_eq!(p.respect_dnt, Some(true));
    assert_eq!(p.reporting_currency, Some(None));
    assert!(set_text(&mut p, "retention_months", "twelve", 24).is_err());
}

#[test]
fn a_minimum_count_is_off_by_default_and_set_from_json_or_text() {
    let mut s = site();
    assert_eq!(to_json(&s, 24)["min_count"], 0);
    let changed = apply(
        &mut s,
        patch(json!({"min_count": 5})).unwrap(),
        24,
        |_| unreachable!(),
    );
    assert_eq!(changed, vec!["min_count"]);
    assert_eq!(s.min_count.get(), 5);
    let mut p = Patch::default();
    set_text(&mut p, "min_count", "0", 24).unwrap();
    assert_eq!(p.min_count, Some(MinCount::OFF));
    let e = set_text(&mut p, "min_count", "many", 24).unwrap_err();
    assert!(e.contains("0 (off) to 1000"), "{e}");
}
