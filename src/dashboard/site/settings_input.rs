//! The general settings form as posted (time zone, allowed hostnames,
//! consent, forms, DNT, policy version) and how its fields are read.

use serde::Deserialize;

use crate::{
    domain::{ConsentMode, Domain, FormCapture},
    store::Site,
};

/// `POST /sites/{domain}/settings`'s form.
#[derive(Deserialize)]
pub(super) struct SettingsInput {
    /// A zone as typed (an IANA name, or a city naming one).
    pub(super) timezone: String,
    #[serde(default)]
    pub(super) hostnames: String,
    #[serde(default)]
    pub(super) consent_mode: Option<String>,
    #[serde(default)]
    pub(super) forms: Option<String>,
    #[serde(default)]
    pub(super) respect_dnt: Option<String>,
    #[serde(default)]
    pub(super) policy_version: Option<String>,
}

/// The privacy part of the settings form (absent fields keep their values).
pub(super) fn privacy_choices(
    f: &SettingsInput,
    site: &Site,
) -> Result<(ConsentMode, FormCapture, String), String> {
    let mode = f
        .consent_mode
        .as_deref()
        .map_or(Ok(site.consent_mode), ConsentMode::parse)?;
    let forms = f
        .forms
        .as_deref()
        .map_or(Ok(site.forms), FormCapture::parse)?;
    let policy = f
        .policy_version
        .as_deref()
        .map_or(site.policy_version.as_str(), str::trim)
        .to_owned();
    if policy.is_empty()
        || policy.len() > 32
        || !policy
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    {
        return Err("policy version must be 1 to 32 letters, digits, '.', '_' or '-'".into());
    }
    Ok((mode, forms, policy))
}

/// Parses the allowed-hostnames box: one per line, `*.` prefix allowed.
pub(super) fn parse_hostnames(text: &str) -> Result<Vec<String>, String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (wild, rest) = l.strip_prefix("*.").map_or((false, l), |r| (true, r));
            let d = Domain::parse(rest).map_err(|e| e.to_string())?;
            Ok(if wild {
                format!("*.{d}")
            } else {
                d.to_string()
            })
        })
        .collect()
}
