//! The time-zone field, for any form that asks for a site's zone (the setup
//! wizard, "add site", the site's settings): a text input offering
//! chrono-tz's IANA names from a `<datalist>` (type "London" and the browser
//! suggests Europe/London), and [`parse_zone`], which reads what was typed —
//! an IANA name in any case, or a city that names one zone.
//! A fresh form says UTC; the dashboard's script replaces that with the
//! browser's own zone (`data-browser-zone`), so without JavaScript it stays UTC.

use std::sync::OnceLock;

use maud::{Markup, html};

use crate::domain::Timezone;

/// Areas whose `Area/Location` names are offered (the IANA regions; the
/// `Etc/…` offsets, legacy country aliases and abbreviations are left out).
const AREAS: [&str; 10] = [
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
];

/// The zone names offered, sorted: UTC, then every `Area/Location` of
/// chrono-tz's database in [`AREAS`].
#[must_use]
pub fn zone_names() -> &'static [&'static str] {
    static NAMES: OnceLock<Vec<&'static str>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let mut names: Vec<&'static str> = chrono_tz::TZ_VARIANTS
            .iter()
            .map(|t| t.name())
            .filter(|n| {
                n.split_once('/')
                    .is_some_and(|(area, _)| AREAS.contains(&area))
            })
            .collect();
        names.sort_unstable();
        names.insert(0, "UTC");
        names
    })
}

/// Reads a typed time zone: an IANA name (any case: `europe/london`), or a
/// place that ends exactly one offered name, spaces for underscores
/// (`London`, `new york`).
///
/// # Errors
/// A message for the person typing: unknown, or which zones a place could be.
pub fn parse_zone(input: &str) -> Result<Timezone, String> {
    if let Ok(tz) = Timezone::parse(input) {
        return Ok(tz);
    }
    let want = input.trim().replace(' ', "_").to_lowercase();
    let found: Vec<&str> = zone_names()
        .iter()
        .copied()
        .filter(|n| {
            n.to_lowercase() == want
                || n.rsplit('/')
                    .next()
                    .is_some_and(|place| place.to_lowercase() == want)
        })
        .collect();
    match found.as_slice() {
        [one] => Timezone::parse(one),
        [] => Err(format!(
            "unknown time zone {:?}: choose one from the list, such as Europe/London or America/New_York",
            input.trim()
        )),
        several => Err(format!(
            "{:?} could be {}: choose one",
            input.trim(),
            several.join(" or ")
        )),
    }
}

/// What a time-zone field shows.
pub struct ZoneField<'a> {
    /// The visible label ("Site time zone").
    pub label: &'a str,
    /// The form field's name.
    pub name: &'a str,
    /// The input's id, unique in the page (the list's is `{id}-zones`).
    pub id: &'a str,
    /// The value: what was typed before an error, else "UTC".
    pub value: &'a str,
    /// A fresh form: the script may put the browser's zone in place of UTC.
    pub fresh: bool,
}

/// A labelled time-zone input with the zone names as suggestions.
#[must_use]
pub fn zone_field(f: &ZoneField<'_>) -> Markup {
    let list = format!("{}-zones", f.id);
    html! {
        label {
            (f.label) " "
            input id=(f.id) type="text" name=(f.name) value=(f.value) list=(list) required
                autocomplete="off" spellcheck="false" placeholder="Europe/London"
                data-browser-zone[f.fresh];
        }
        datalist id=(list) { @for n in zone_names() { option value=(n) {} } }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_holds_region_zones_and_utc_but_no_aliases_of_offsets() {
        let names = zone_names();
        assert_eq!(names[0], "UTC");
        for n in [
            "Europe/London",
            "America/New_York",
            "Asia/Kolkata",
            "Pacific/Auckland",
        ] {
            assert!(names.contains(&n), "{n}");
        }
        for n in ["Etc/GMT+5", "US/Pacific", "GB", "EST"] {
            assert!(!names.contains(&n), "{n}");
        }
        assert!(names.iter().all(|n| Timezone::parse(n).is_ok()));
    }

    #[test]
    fn a_city_or_a_name_in_any_case_is_read_as_its_zone() {
        for (typed, zone) in [
            ("Europe/London", "Europe/London"),
            ("London", "Europe/London"),
            (" europe/london ", "Europe/London"),
            ("new york", "America/New_York"),
            ("utc", "UTC"),
        ] {
            assert_eq!(
                parse_zone(typed).map(|t| t.to_string()),
                Ok(zone.to_owned()),
                "{typed}"
            );
        }
        assert!(
            parse_zone("Atlantis")
                .unwrap_err()
                .contains("choose one from the list")
        );
        assert!(parse_zone("").is_err());
    }
}
