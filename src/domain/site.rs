//! Sites: their ids, domains and timezones.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A site's numeric id, stable for its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SiteId(pub u32);

impl fmt::Display for SiteId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A site's domain as Plausible names sites: a lowercase host, no scheme,
/// no `www.`, no port, no path (e.g. `example.com`, `shop.example.co.uk`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Domain(String);

/// Why a domain was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid domain {input:?}: {reason}")]
pub struct DomainError {
    input: String,
    reason: &'static str,
}

impl Domain {
    /// Longest accepted domain, as DNS allows.
    pub const MAX_LEN: usize = 253;

    /// Parses user input, forgiving a scheme, a `www.` prefix, a trailing slash
    /// and upper case, because people paste URLs.
    ///
    /// # Errors
    /// When what is left is not a plausible host name.
    pub fn parse(input: &str) -> Result<Self, DomainError> {
        let err = |reason| DomainError {
            input: input.chars().take(100).collect(),
            reason,
        };
        let mut s = input.trim().to_ascii_lowercase();
        for scheme in ["https://", "http://"] {
            if let Some(rest) = s.strip_prefix(scheme) {
                s = rest.to_owned();
            }
        }
        let s = s.trim_end_matches('/');
        let s = s.strip_prefix("www.").unwrap_or(s);
        if s.is_empty() {
            return Err(err("empty"));
        }
        if s.len() > Self::MAX_LEN {
            return Err(err("longer than 253 characters"));
        }
        if !s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_')
        {
            return Err(err("only letters, digits, '-', '_' and '.' are allowed"));
        }
        if s.starts_with('.') || s.ends_with('.') || s.contains("..") {
            return Err(err("empty label"));
        }
        if s.split('.').any(|l| l.len() > 63) {
            return Err(err("a label is longer than 63 characters"));
        }
        Ok(Self(s.to_owned()))
    }

    /// The domain text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Domain {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Domain> for String {
    fn from(d: Domain) -> Self {
        d.0
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An IANA timezone (`Europe/London`); days and hours in reports are local to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Timezone(chrono_tz::Tz);

impl Timezone {
    /// Parses an IANA name.
    ///
    /// # Errors
    /// A message naming the input when it is not a known zone.
    pub fn parse(name: &str) -> Result<Self, String> {
        name.trim().parse::<chrono_tz::Tz>().map(Self).map_err(|_| {
            format!("unknown timezone {name:?} (expected an IANA name like Europe/London)")
        })
    }

    /// The zone.
    #[must_use]
    pub fn tz(self) -> chrono_tz::Tz {
        self.0
    }
}

impl Default for Timezone {
    fn default() -> Self {
        Self(chrono_tz::UTC)
    }
}

impl TryFrom<String> for Timezone {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Timezone> for String {
    fn from(t: Timezone) -> Self {
        t.0.name().to_owned()
    }
}

impl fmt::Display for Timezone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn pasted_urls_become_bare_domains() {
        for (input, want) in [
            ("example.com", "example.com"),
            ("https://www.Example.com/", "example.com"),
            ("http://shop.example.co.uk", "shop.example.co.uk"),
            ("  localhost ", "localhost"),
        ] {
            assert_eq!(Domain::parse(input).unwrap().as_str(), want, "{input}");
        }
    }

    #[test]
    fn bad_domains_are_refused_with_a_reason() {
        for (input, why) in [
            ("", "empty"),
            ("https://", "empty"),
            ("exa mple.com", "only letters"),
            ("example.com/path", "only letters"),
            ("a..b", "empty label"),
            (".a", "empty label"),
        ] {
            let e = Domain::parse(input).unwrap_err().to_string();
            assert!(e.contains(why), "{input:?}: {e}");
        }
        assert!(Domain::parse(&"a".repeat(64)).is_err());
        assert!(Domain::parse(&"a.".repeat(130)).is_err());
    }

    #[test]
    fn timezones_parse_by_iana_name() {
        assert_eq!(
            Timezone::parse("Europe/London").unwrap().to_string(),
            "Europe/London"
        );
        assert!(
            Timezone::parse("Mars/Olympus")
                .unwrap_err()
                .contains("Mars/Olympus")
        );
    }

    proptest! {
        #[test]
        fn parsed_domains_reparse_to_themselves(s in "[a-z0-9]{1,10}(\\.[a-z0-9-]{1,10}){0,3}") {
            if let Ok(d) = Domain::parse(&s) {
                prop_assert_eq!(Domain::parse(d.as_str()).unwrap(), d);
            }
        }

        #[test]
        fn domain_parse_never_panics(s in "\\PC{0,300}") {
            let _ = Domain::parse(&s);
        }
    }
}
