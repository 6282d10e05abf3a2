//! Country names as people say them: ISO 3166's English names (through
//! isocountry) except where the official name is not the one in common use
//! ("United Kingdom of Great Britain and Northern Ireland", "Viet Nam"...).
//! Region names come from the geolocation database (see `store::places`).

/// Common short names, by alpha-2 code, where they differ from ISO's.
const COMMON: [(&str, &str); 33] = [
    ("BN", "Brunei"),
    ("BO", "Bolivia"),
    ("BQ", "Caribbean Netherlands"),
    ("CC", "Cocos Islands"),
    ("CD", "DR Congo"),
    ("CG", "Republic of the Congo"),
    ("CZ", "Czechia"),
    ("FK", "Falkland Islands"),
    ("FM", "Micronesia"),
    ("GB", "United Kingdom"),
    ("IR", "Iran"),
    ("KP", "North Korea"),
    ("KR", "South Korea"),
    ("LA", "Laos"),
    ("MD", "Moldova"),
    ("MF", "Saint Martin"),
    ("MK", "North Macedonia"),
    ("PS", "Palestine"),
    ("RU", "Russia"),
    ("SH", "Saint Helena"),
    ("SX", "Sint Maarten"),
    ("SY", "Syria"),
    ("SZ", "Eswatini"),
    ("TR", "Turkey"),
    ("TW", "Taiwan"),
    ("TZ", "Tanzania"),
    ("UM", "U.S. Outlying Islands"),
    ("US", "United States"),
    ("VA", "Vatican City"),
    ("VE", "Venezuela"),
    ("VG", "British Virgin Islands"),
    ("VI", "U.S. Virgin Islands"),
    ("VN", "Vietnam"),
];

/// A country code's English name in common use (`GB` → United Kingdom,
/// `DE` → Germany); codes ISO doesn't know stay codes (`(none)`, `XX`).
#[must_use]
pub fn country_name(code: &str) -> String {
    if let Some((_, name)) = COMMON.iter().find(|(c, _)| *c == code) {
        return (*name).to_owned();
    }
    isocountry::CountryCode::for_alpha2(code)
        .map_or_else(|_| code.to_owned(), |c| c.name().to_owned())
}

/// Every ISO 3166-1 alpha-2 code.
pub fn country_codes() -> impl Iterator<Item = &'static str> {
    isocountry::CountryCode::iter().map(|c| c.alpha2())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countries_have_the_names_people_use() {
        for (code, name) in [
            ("GB", "United Kingdom"),
            ("US", "United States"),
            ("RU", "Russia"),
            ("IR", "Iran"),
            ("BO", "Bolivia"),
            ("KR", "South Korea"),
            ("TW", "Taiwan"),
            ("VN", "Vietnam"),
            ("CZ", "Czechia"),
            ("DE", "Germany"),
            ("CI", "Côte d'Ivoire"),
            ("(none)", "(none)"),
        ] {
            assert_eq!(country_name(code), name, "{code}");
        }
    }

    #[test]
    fn every_country_code_is_listed() {
        assert!(country_codes().any(|c| c == "EE"));
        assert!(country_codes().count() > 240);
    }

    #[test]
    fn every_override_is_a_real_code_with_a_different_or_pinned_name() {
        for (code, name) in COMMON {
            let iso = isocountry::CountryCode::for_alpha2(code)
                .unwrap_or_else(|_| panic!("{code} is an ISO code"));
            // Czechia and Turkey are pinned: isocountry's names change with
            // ISO's (Türkiye), the dashboard's shouldn't silently.
            assert!(
                iso.name() != name || ["CZ", "TR"].contains(&code),
                "{code}: {name} is ISO's name already"
            );
        }
    }
}
