//! The general settings form as posted (time zone, allowed hostnames,
//! consent, forms, DNT, policy version, minimum count) and how its fields are read.

use serde::Deserialize;

use crate::{
    domain::{ConsentMode, FormCapture, MinCount},
    store::Site,
};

/// `POST /sites/{domain}/settings`'s form.
#[derive(Deserialize)]
pub(super) struct SettingsInput {
    /// A zone as typed (an IANA name, or a city naming one).
    pub(super) timezone: String,
    /// Absent (a form without the box): the allowlist is left alone.
    #[serde(default)]
    pub(super) hostnames: Option<String>,
    #[serde(default)]
    pub(super) consent_mode: Option<String>,
    #[serde(default)]
    pub(super) forms: Option<String>,
    #[serde(default)]
    pub(super) respect_dnt: Option<String>,
    #[serde(default)]
    pub(super) policy_version: Option<String>,
    /// The minimum count shown on shared links, in email reports and to
    /// viewers; absent (a form without the field): unchanged, empty: off.
    #[serde(default)]
    pub(super) min_count: Option<String>,
}

/// The privacy part of the settings form (absent fields keep their values).
pub(super) fn privacy_choices(
    f: &SettingsInput,
    site: &Site,
) -> Result<(ConsentMode, FormCapture, String, MinCount), String> {
    let mode = f
        .consent_mode
        .as_deref()
        .map_or(Ok(site.consent_mode), ConsentMode::parse)?;
    let forms = f
        .forms
        .as_deref()
        .map_or(Ok(site.forms), FormCapture::parse)?;
    let policy = match f.policy_version.as_deref() {
        Some(v) => crate::sites::check_policy_version(v)?,
        None => site.policy_version.clone(),
    };
    let min_count = f
        .min_count
        .as_deref()
        .map_or(Ok(site.min_count), MinCount::parse_text)?;
    Ok((mode, forms, policy, min_count))
}

/// Parses the allowed-hostnames box (one per line, `*.` prefix allowed);
/// without the box, the site's list stays.
pub(super) fn parse_hostnames(text: Option<&str>, site: &Site) -> Result<Vec<String>, String> {
    let Some(text) = text else {
        return Ok(site.allowed_hostnames.clone());
    };
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(crate::sites::parse_hostname)
        .collect()
}
