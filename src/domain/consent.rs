//! Consent: a site's privacy choices for its tracker (consent mode and form
//! capture) and a visitor's recorded decision (what and how). Decisions are
//! stored in the consent log under these serialized names.

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

/// A consent decision. Stored in consent records by its serialized name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    /// Identifiers allowed.
    Accept,
    /// Cookieless only.
    Decline,
}

/// How a decision was made. Stored in consent records by its serialized name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mechanism {
    /// The consent banner.
    Banner,
    /// The site's own consent platform through `tp('consent', ...)`.
    Api,
    /// The browser's Global Privacy Control signal.
    Gpc,
    /// The browser's Do Not Track signal (when the site honours it).
    Dnt,
    /// The site's public opt-out page (`/optout/{site}`).
    #[serde(rename = "optout")]
    OptOut,
}

impl Mechanism {
    /// Its name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Banner => "banner",
            Self::Api => "api",
            Self::Gpc => "gpc",
            Self::Dnt => "dnt",
            Self::OptOut => "optout",
        }
    }
}

impl Decision {
    /// Its name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Accept => "accept",
            Self::Decline => "decline",
        }
    }
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

    /// Consent records store these names: renaming a variant must not change them.
    #[test]
    fn decisions_and_mechanisms_keep_their_stored_names() {
        let decisions = [(Decision::Accept, "accept"), (Decision::Decline, "decline")];
        for (d, name) in decisions {
            assert_eq!(serde_json::to_string(&d).unwrap(), format!("\"{name}\""));
            assert_eq!(
                serde_json::from_str::<Decision>(&format!("\"{name}\"")).unwrap(),
                d
            );
            assert_eq!(d.as_str(), name);
        }
        let mechanisms = [
            (Mechanism::Banner, "banner"),
            (Mechanism::Api, "api"),
            (Mechanism::Gpc, "gpc"),
            (Mechanism::Dnt, "dnt"),
            (Mechanism::OptOut, "optout"),
        ];
        for (m, name) in mechanisms {
            assert_eq!(serde_json::to_string(&m).unwrap(), format!("\"{name}\""));
            assert_eq!(
                serde_json::from_str::<Mechanism>(&format!("\"{name}\"")).unwrap(),
                m
            );
            assert_eq!(m.as_str(), name);
        }
    }
}
