//! Country (and, with a MaxMind City database, region and city) from an IP.
//!
//! Two record layouts are understood: MaxMind's GeoIP2/GeoLite2 (`country.iso_code`,
//! `subdivisions[0].iso_code`, `city.names.en`) and ip-location-db's flat one
//! (`country_code`, `state1`, `city`). The embedded database is
//! geo-whois-asn-country (IP geolocation data by NRO, nro.net, via
//! ip-location-db; CC BY 4.0): country level only, with known wrong ranges.
//! Point `geoip.database` at a MaxMind City database for accurate data.

use std::net::IpAddr;

use maxminddb::{PathElement, Reader};

/// The embedded country database.
static EMBEDDED: &[u8] = include_bytes!("../assets/geo/geo-whois-asn-country.mmdb");

/// Where an IP is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GeoInfo {
    /// ISO 3166-1 alpha-2, upper case.
    pub country: Option<[u8; 2]>,
    /// ISO 3166-2 subdivision, e.g. `GB-ENG`.
    pub region: Option<String>,
    /// City name in English.
    pub city: Option<String>,
    /// The subdivision's English name, when the database gives one beside
    /// its code (MaxMind's), e.g. `England` for `GB-ENG`.
    pub region_name: Option<String>,
}

/// The database could not be used.
#[derive(Debug, thiserror::Error)]
#[error("geolocation database {path}: {reason}")]
pub struct GeoError {
    path: String,
    reason: String,
}

enum Db {
    Embedded(Reader<&'static [u8]>),
    File(Reader<Vec<u8>>),
}

/// A loaded database; share it behind an `Arc`.
pub struct GeoLookup {
    db: Db,
    description: String,
}

const PROBES: [&str; 4] = ["81.2.69.142", "2.125.160.216", "8.8.8.8", "2001:218::"];

impl GeoLookup {
    /// The embedded country database.
    ///
    /// # Panics
    /// Only if the embedded file is corrupt, which is a build defect.
    #[must_use]
    pub fn embedded() -> Self {
        let reader = Reader::from_source(EMBEDDED).expect("embedded geo database is valid");
        Self {
            db: Db::Embedded(reader),
            description: "embedded geo-whois-asn-country (country level)".into(),
        }
    }

    /// The embedded database when `path` is empty, else the file at `path`.
    ///
    /// # Errors
    /// A clear error when the file is missing, not an mmdb, or its records can't
    /// be decoded (a few lookups are tried at load time so a corrupt file fails
    /// at start, not on the first visitor).
    pub fn from_config(path: &str) -> Result<Self, GeoError> {
        if path.trim().is_empty() {
            return Ok(Self::embedded());
        }
        let err = |reason: String| GeoError {
            path: path.to_owned(),
            reason,
        };
        let reader = Reader::open_readfile(path).map_err(|e| err(e.to_string()))?;
        let kind = reader.metadata().database_type.clone();
        let me = Self {
            db: Db::File(reader),
            description: format!("{path} ({kind})"),
        };
        for ip in PROBES {
            me.try_lookup(ip.parse().expect("probe ips are valid"))
                .map_err(|e| err(format!("records can't be decoded: {e}")))?;
        }
        Ok(me)
    }

    /// What is loaded, for the log.
    #[must_use]
    pub fn description(&self) -> &str {
        &self.description
    }

    /// Looks an IP up; unknown or undecodable addresses give an empty result.
    #[must_use]
    pub fn lookup(&self, ip: IpAddr) -> GeoInfo {
        self.try_lookup(ip).unwrap_or_default()
    }

    fn try_lookup(&self, ip: IpAddr) -> Result<GeoInfo, maxminddb::MaxMindDbError> {
        match &self.db {
            Db::Embedded(r) => decode(r, ip),
            Db::File(r) => decode(r, ip),
        }
    }
}

fn decode<S: AsRef<[u8]>>(r: &Reader<S>, ip: IpAddr) -> Result<GeoInfo, maxminddb::MaxMindDbError> {
    use PathElement::{Index, Key};
    let res = r.lookup(ip)?;
    if !res.has_data() {
        return Ok(GeoInfo::default());
    }
    let country: Option<String> = match res.decode_path(&[Key("country"), Key("iso_code")])? {
        Some(c) => Some(c),
        None => res.decode_path(&[Key("country_code")])?,
    };
    let country = country.and_then(|c| {
        let b = c.as_bytes();
        (b.len() == 2 && b.iter().all(u8::is_ascii_alphabetic))
            .then(|| [b[0].to_ascii_uppercase(), b[1].to_ascii_uppercase()])
    });
    let sub: Option<String> = res.decode_path(&[Key("subdivisions"), Index(0), Key("iso_code")])?;
    let (region, region_name) = match (country, sub) {
        (Some(c), Some(s)) if !s.is_empty() => (
            Some(format!("{}-{s}", String::from_utf8_lossy(&c))),
            res.decode_path::<String>(&[Key("subdivisions"), Index(0), Key("names"), Key("en")])?
                .filter(|n| !n.is_empty()),
        ),
        // ip-location-db names the region itself.
        _ => (
            res.decode_path::<String>(&[Key("state1")])?
                .filter(|s| !s.is_empty()),
            None,
        ),
    };
    let city = match res.decode_path::<String>(&[Key("city"), Key("names"), Key("en")]) {
        Ok(Some(c)) => Some(c),
        // ip-location-db stores the city as a plain string, not a map.
        _ => res.decode_path::<String>(&[Key("city")]).ok().flatten(),
    }
    .filter(|c| !c.is_empty());
    Ok(GeoInfo {
        country,
        region,
        city,
        region_name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> String {
        format!("{}/tests/fixtures/geo/{name}", env!("CARGO_MANIFEST_DIR"))
    }

    #[test]
    fn embedded_database_knows_countries() {
        let g = GeoLookup::embedded();
        assert_eq!(g.lookup("8.8.8.8".parse().unwrap()).country, Some(*b"US"));
        assert_eq!(g.lookup("127.0.0.1".parse().unwrap()), GeoInfo::default());
    }

    #[test]
    fn maxmind_city_database_adds_region_and_city() {
        let g = GeoLookup::from_config(&fixture("GeoIP2-City-Test.mmdb")).unwrap();
        let london = g.lookup("81.2.69.142".parse().unwrap());
        assert_eq!(london.country, Some(*b"GB"));
        assert_eq!(london.region.as_deref(), Some("GB-ENG"));
        assert_eq!(london.region_name.as_deref(), Some("England"));
        assert_eq!(london.city.as_deref(), Some("London"));
        let se = g.lookup("89.160.20.112".parse().unwrap());
        assert_eq!(se.city.as_deref(), Some("Linköping"));
        assert_eq!(se.country, Some(*b"SE"));
    }

    #[test]
    fn maxmind_country_database_gives_countries_only() {
        let g = GeoLookup::from_config(&fixture("GeoLite2-Country-Test.mmdb")).unwrap();
        let r = g.lookup("2.125.160.216".parse().unwrap());
        assert_eq!(r.country, Some(*b"GB"));
        assert_eq!(r.city, None);
    }

    #[test]
    fn missing_or_corrupt_databases_fail_clearly() {
        let e = GeoLookup::from_config("/nonexistent.mmdb")
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("/nonexistent.mmdb"), "{e}");
        let e = GeoLookup::from_config(&fixture("LICENSE"))
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("LICENSE"), "{e}");
        let e = GeoLookup::from_config(&fixture("GeoIP2-City-Test-Broken-Double-Format.mmdb"))
            .err()
            .expect("MaxMind's deliberately corrupt database is refused at load")
            .to_string();
        assert!(e.contains("Broken-Double-Format"), "{e}");
    }
}
