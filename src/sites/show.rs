//! A site's settings shown: as JSON for the API, as `key: value` lines for
//! `touchpoint site show`.

use serde_json::{Value, json};

use super::FIELDS;
use crate::store::Site;

/// The settings as JSON, by [`FIELDS`] name (the Stripe secret as whether
/// one is set), plus the site's read-only `domain` and `segment_write_key`.
#[must_use]
pub fn to_json(site: &Site, max_retention: u32) -> Value {
    json!({
        "domain": site.domain.as_str(),
        "timezone": site.timezone.to_string(),
        "allowed_hostnames": site.allowed_hostnames,
        "consent_mode": site.consent_mode.as_str(),
        "forms": site.forms.as_str(),
        "respect_dnt": site.respect_dnt,
        "policy_version": site.policy_version,
        "retention_months": site.retention_months.unwrap_or(max_retention),
        "keep_aggregates": site.keep_aggregates,
        "lookback_days": site.lookback_days(),
        "attribution_model": site.attribution_model().as_str(),
        "reporting_currency": site.reporting_currency,
        "stripe_secret": if site.stripe_secret_sealed.is_some() { "set" } else { "not set" },
        "scoring": site.scoring,
        "min_count": site.min_count.get(),
        "segment_write_key": site.segment_write_key,
    })
}

/// The settings as `key: value` lines (`touchpoint site show`).
#[must_use]
pub fn describe(site: &Site, max_retention: u32) -> Vec<String> {
    let Value::Object(o) = to_json(site, max_retention) else {
        return Vec::new();
    };
    let order = std::iter::once("domain")
        .chain(FIELDS.iter().copied())
        .chain(std::iter::once("segment_write_key"));
    order
        .map(|k| {
            let v = match &o[k] {
                Value::String(s) => s.clone(),
                Value::Null => "none".to_owned(),
                Value::Array(a) if k == "allowed_hostnames" => {
                    if a.is_empty() {
                        "any".to_owned()
                    } else {
                        a.iter()
                            .filter_map(Value::as_str)
                            .collect::<Vec<_>>()
                            .join(",")
                    }
                }
                v => v.to_string(),
            };
            format!("{k}: {v}")
        })
        .collect()
}
