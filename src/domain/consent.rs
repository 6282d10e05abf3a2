//! A site's privacy choices for its tracker: consent mode and form capture.

use serde::{Deserialize, Serialize};

/// When the tracker may identify visitors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConsentMode {
    /// No cookie, no storage; visitors are the server's daily salted hash.
    #[default]
    Cookieless,
    /// Nothing is sent until the visitor decides; accept sets a first-party id.
    Require,
    /// Counted cookieless until (and unless) the visitor accepts.
    CookielessUntilConsent,
}

/// Which forms the tracker hashes lead fields from on submit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FormCapture {
    /// None.
    Off,
    /// Forms marked `data-tp-form`.
    #[default]
    Marked,
    /// Every form.
    All,
}

impl ConsentMode {
    /// Every mode, for pickers.
    pub const ALL: [ConsentMode; 3] = [
        Self::Cookieless,
        Self::Require,
        Self::CookielessUntilConsent,
    ];

    /// The name used in settings and the script tag.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cookieless => "cookieless",
            Self::Require => "require",
            Self::CookielessUntilConsent => "cookieless-until-consent",
        }
    }

    /// Parses a name.
    ///
    /// # Errors
    /// A message listing the modes.
    pub fn parse(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|m| m.as_str() == s.trim())
            .ok_or_else(|| format!("unknown consent mode {s:?}: expected cookieless, require or cookieless-until-consent"))
    }
}

impl FormCapture {
    /// Every choice, for pickers.
    pub const ALL: [FormCapture; 3] = [Self::Off, Self::Marked, Self::All];

    /// The name used in settings and the script tag.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::Marked => "marked",
            Self::All => "all",
        }
    }

    /// Parses a name.
    ///
    /// # Errors
    /// A message listing the choices.
    pub fn parse(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|m| m.as_str() == s.trim())
            .ok_or_else(|| format!("unknown form capture {s:?}: expected off, marked or all"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_bad_ones_are_explained() {
        for m in ConsentMode::ALL {
            assert_eq!(ConsentMode::parse(m.as_str()).unwrap(), m);
        }
        for f in FormCapture::ALL {
            assert_eq!(FormCapture::parse(f.as_str()).unwrap(), f);
        }
        assert!(
            ConsentMode::parse("opt-in")
                .unwrap_err()
                .contains("cookieless")
        );
        assert_eq!(ConsentMode::default(), ConsentMode::Cookieless);
    }
}
