//! A site's settings, read, validated and changed in one place for the
//! Sites API, the command line (`touchpoint site show|set`) and the
//! dashboard: each field by its name, with patch semantics (a field left out
//! is left alone).

use serde_json::{Map, Value};

use crate::{
    attribution::Model,
    domain::{
        ConsentMode, Domain, FormCapture, MinCount, Timezone,
        money::{code_str, parse_code},
        scoring::Scoring,
    },
    store::{GoalKind, Site},
};

/// Most lead-scoring rules a site may have.
pub const MAX_SCORING_RULES: usize = 50;
/// Longest attribution lookback window, days.
pub const MAX_LOOKBACK_DAYS: u32 = 365;

/// A change of some of a site's settings; `None` leaves a setting alone.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Patch {
    /// IANA zone name.
    pub timezone: Option<Timezone>,
    /// Hostnames allowed to send events (`*.` prefix allowed); empty: any.
    pub allowed_hostnames: Option<Vec<String>>,
    /// When the tracker may identify visitors.
    pub consent_mode: Option<ConsentMode>,
    /// Which forms lead fields are hashed from.
    pub forms: Option<FormCapture>,
    /// Treat Do Not Track as a decline.
    pub respect_dnt: Option<bool>,
    /// The privacy policy version consent is asked for.
    pub policy_version: Option<String>,
    /// Months of visitor data kept (up to the instance's maximum).
    pub retention_months: Option<u32>,
    /// Keep anonymous daily rollups of purged days.
    pub keep_aggregates: Option<bool>,
    /// Attribution lookback window, days.
    pub lookback_days: Option<u32>,
    /// The model reports lead with.
    pub attribution_model: Option<Model>,
    /// Reporting currency; `Some(None)` clears it (automatic).
    pub reporting_currency: Option<Option<String>>,
    /// Stripe's webhook signing secret, plain (sealed when applied);
    /// `Some(None)` removes it.
    pub stripe_secret: Option<Option<String>>,
    /// Lead-scoring rules.
    pub scoring: Option<Scoring>,
    /// Counts below this read "fewer than k" where small groups could be
    /// singled out; 0: off.
    pub min_count: Option<MinCount>,
}

/// The names [`Patch`] reads, in the order [`describe`] shows them.
pub const FIELDS: &[&str] = &[
    "timezone",
    "allowed_hostnames",
    "consent_mode",
    "forms",
    "respect_dnt",
    "policy_version",
    "retention_months",
    "keep_aggregates",
    "lookback_days",
    "attribution_model",
    "reporting_currency",
    "stripe_secret",
    "scoring",
    "min_count",
];

/// A goal from its type (`event` or `page`) and its event name or page
/// path (`*` matches anything in a path).
///
/// # Errors
/// What is wrong, as a message.
pub fn goal_kind(kind: &str, value: &str) -> Result<GoalKind, &'static str> {
    let value = value.trim();
    match kind.trim() {
        _ if value.is_empty() || value.chars().count() > 200 => {
            Err("a goal needs a name or path of 1 to 200 characters")
        }
        "event" if value == "pageview" => {
            Err("\"pageview\" is not a custom event; use a pageview goal")
        }
        "event" => Ok(GoalKind::Event(value.to_owned())),
        "page" if !value.starts_with('/') => Err("a page path starts with /"),
        "page" => Ok(GoalKind::Page(value.to_owned())),
        _ => Err("choose a custom event or a pageview goal"),
    }
}

/// Parses one hostname entry (`*.` prefix allowed).
///
/// # Errors
/// A message naming the entry.
pub fn parse_hostname(entry: &str) -> Result<String, String> {
    let l = entry.trim();
    let (wild, rest) = l.strip_prefix("*.").map_or((false, l), |r| (true, r));
    let d = Domain::parse(rest).map_err(|e| format!("allowed_hostnames: {e}"))?;
    Ok(if wild {
        format!("*.{d}")
    } else {
        d.to_string()
    })
}

/// Checks a policy version: 1 to 32 letters, digits, `.`, `_` or `-`.
///
/// # Errors
/// The rule, as a message.
pub fn check_policy_version(v: &str) -> Result<String, String> {
    let v = v.trim();
    if v.is_empty()
        || v.len() > 32
        || !v
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    {
        return Err("policy_version must be 1 to 32 letters, digits, '.', '_' or '-'".into());
    }
    Ok(v.to_owned())
}

/// Parses one setting given as text (the command line's `--name value`):
/// booleans `true`/`false`, lists comma-separated, `scoring` as JSON, and
/// `none` (or empty) clearing `reporting_currency` and `stripe_secret`.
///
/// # Errors
/// A message naming the setting.
pub fn set_text(p: &mut Patch, name: &str, value: &str, max_retention: u32) -> Result<(), String> {
    let v = value.trim();
    let json = match name {
        "allowed_hostnames" => Value::Array(
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| Value::String(s.to_owned()))
                .collect(),
        ),
        "respect_dnt" | "keep_aggregates" => match v {
            "true" | "yes" | "on" => Value::Bool(true),
            "false" | "no" | "off" => Value::Bool(false),
            _ => return Err(format!("{name} must be true or false")),
        },
        "min_count" => Value::from(MinCount::parse_text(v)?.get()),
        "retention_months" | "lookback_days" => v
            .parse::<u64>()
            .map(Value::from)
            .map_err(|_| format!("{name} must be a whole number"))?,
        "reporting_currency" | "stripe_secret" if v.is_empty() || v == "none" => Value::Null,
        "scoring" => {
            serde_json::from_str(v).map_err(|e| format!("scoring must be JSON rules: {e}"))?
        }
        _ => Value::String(v.to_owned()),
    };
    let mut one = Map::new();
    one.insert(name.to_owned(), json);
    let parsed = parse(&one, max_retention)?;
    merge(p, parsed);
    Ok(())
}

fn merge(into: &mut Patch, from: Patch) {
    macro_rules! take {
        ($($f:ident),*) => { $( if from.$f.is_some() { into.$f = from.$f; } )* };
    }
    take!(
        timezone,
        allowed_hostnames,
        consent_mode,
        forms,
        respect_dnt,
        policy_version,
        retention_months,
        keep_aggregates,
        lookback_days,
        attribution_model,
        reporting_currency,
        stripe_secret,
        scoring,
        min_count
    );
}

/// Reads a patch from a JSON object of [`FIELDS`] (JSON `null` clears the
/// settings that can be empty). `max_retention` is the instance's
/// `privacy.retention_months`.
///
/// # Errors
/// The first invalid or unknown field, as a message naming it.
pub fn parse(o: &Map<String, Value>, max_retention: u32) -> Result<Patch, String> {
    let mut p = Patch::default();
    for (k, v) in o {
        let text = || {
            v.as_str()
                .map(str::trim)
                .ok_or_else(|| format!("{k} must be a string"))
        };
        let flag = || {
            v.as_bool()
                .ok_or_else(|| format!("{k} must be true or false"))
        };
        let whole = |lo: u64, hi: u64| {
            v.as_u64()
                .filter(|n| (lo..=hi).contains(n))
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| format!("{k} must be a whole number from {lo} to {hi}"))
        };
        match k.as_str() {
            "timezone" => {
                p.timezone = Some(Timezone::parse(text()?).map_err(|e| format!("timezone: {e}"))?);
            }
            "allowed_hostnames" => {
                let list = v
                    .as_array()
                    .ok_or("allowed_hostnames must be a list of hostnames")?;
                p.allowed_hostnames = Some(
                    list.iter()
                        .map(|h| {
                            h.as_str()
                                .ok_or_else(|| {
                                    "allowed_hostnames must be a list of hostnames".to_owned()
                                })
                                .and_then(parse_hostname)
                        })
                        .collect::<Result<_, _>>()?,
                );
            }
            "consent_mode" => {
                p.consent_mode =
                    Some(ConsentMode::parse(text()?).map_err(|e| format!("consent_mode: {e}"))?);
            }
            "forms" => {
                p.forms = Some(FormCapture::parse(text()?).map_err(|e| format!("forms: {e}"))?)
            }
            "respect_dnt" => p.respect_dnt = Some(flag()?),
            "policy_version" => p.policy_version = Some(check_policy_version(text()?)?),
            "retention_months" => {
                p.retention_months = Some(whole(1, u64::from(max_retention))?);
            }
            "keep_aggregates" => p.keep_aggregates = Some(flag()?),
            "lookback_days" => p.lookback_days = Some(whole(1, u64::from(MAX_LOOKBACK_DAYS))?),
            "attribution_model" => {
                p.attribution_model = Some(Model::parse(text()?).ok_or_else(|| {
                    format!(
                        "attribution_model must be one of {}",
                        Model::ALL.map(Model::as_str).join(", ")
                    )
                })?);
            }
            "reporting_currency" => {
                p.reporting_currency = Some(match v {
                    Value::Null => None,
                    _ => Some(parse_code(text()?).map(code_str).ok_or(
                        "reporting_currency must be a three-letter ISO 4217 code such as EUR, or null",
                    )?),
                });
            }
            "stripe_secret" => {
                p.stripe_secret = Some(match v {
                    Value::Null => None,
                    _ => {
                        let s = text()?;
                        if !s.starts_with("whsec_") || s.len() > 200 {
                            return Err("stripe_secret must be the endpoint's signing secret from Stripe (whsec_…), or null".into());
                        }
                        Some(s.to_owned())
                    }
                });
            }
            "scoring" => {
                let s: Scoring = serde_json::from_value(v.clone())
                    .map_err(|e| format!("scoring: the rules are not valid: {e}"))?;
                if s.rules.len() > MAX_SCORING_RULES {
                    return Err(format!("scoring: at most {MAX_SCORING_RULES} rules"));
                }
                p.scoring = Some(s);
            }
            "min_count" => {
                p.min_count = Some(
                    v.as_u64()
                        .ok_or_else(MinCount::rule)
                        .and_then(MinCount::parse)?,
                );
            }
            other => {
                return Err(format!(
                    "unknown setting {other:?}; the settings are {}",
                    FIELDS.join(", ")
                ));
            }
        }
    }
    Ok(p)
}

/// Applies `p` to `site`; `seal` seals a Stripe secret for the site.
/// Returns the names of the settings that changed.
pub fn apply(
    site: &mut Site,
    p: Patch,
    max_retention: u32,
    seal: impl Fn(&str) -> String,
) -> Vec<&'static str> {
    let mut changed = Vec::new();
    macro_rules! set {
        ($name:literal, $field:expr, $value:expr) => {{
            let v = $value;
            if $field != v {
                $field = v;
                changed.push($name);
            }
        }};
    }
    if let Some(v) = p.timezone {
        set!("timezone", site.timezone, v);
    }
    if let Some(v) = p.allowed_hostnames {
        set!("allowed_hostnames", site.allowed_hostnames, v);
    }
    if let Some(v) = p.consent_mode {
        set!("consent_mode", site.consent_mode, v);
    }
    if let Some(v) = p.forms {
        set!("forms", site.forms, v);
    }
    if let Some(v) = p.respect_dnt {
        set!("respect_dnt", site.respect_dnt, v);
    }
    if let Some(v) = p.policy_version {
        set!("policy_version", site.policy_version, v);
    }
    if let Some(v) = p.retention_months {
        // The instance's maximum is stored as "none of its own".
        set!(
            "retention_months",
            site.retention_months,
            (v < max_retention).then_some(v)
        );
    }
    if let Some(v) = p.keep_aggregates {
        set!("keep_aggregates", site.keep_aggregates, v);
    }
    if let Some(v) = p.lookback_days {
        set!("lookback_days", site.lookback_days, Some(v));
    }
    if let Some(v) = p.attribution_model {
        set!(
            "attribution_model",
            site.attribution_model,
            Some(v.as_str().to_owned())
        );
    }
    if let Some(v) = p.reporting_currency {
        set!("reporting_currency", site.reporting_currency, v);
    }
    if let Some(v) = p.stripe_secret {
        site.stripe_secret_sealed = v.as_deref().map(&seal);
        changed.push("stripe_secret");
    }
    if let Some(v) = p.scoring {
        set!("scoring", site.scoring, v);
    }
    if let Some(v) = p.min_count {
        set!("min_count", site.min_count, v);
    }
    changed
}

mod show;
pub use show::{describe, to_json};

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
