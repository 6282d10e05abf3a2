//! A site's minimum count (k): counts from 1 to k − 1 read "fewer than k"
//! where small groups could be singled out (shared links, email reports, the
//! viewer role). 0 (the default) shows every count as is.

use serde::{Deserialize, Serialize};

/// A per-site minimum count; `MinCount::OFF` hides nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MinCount(u32);

impl MinCount {
    /// Shows every count.
    pub const OFF: Self = Self(0);
    /// The largest minimum a site may set.
    pub const MAX: u32 = 1000;
    /// The value a hidden count is replaced by before any view sees it: one
    /// value for all, so bars and chart points can't tell hidden counts apart.
    pub const STAND_IN: u64 = 1;

    /// A minimum from a whole number from 0 to [`MinCount::MAX`].
    ///
    /// # Errors
    /// The rule, as a message naming `min_count`.
    pub fn parse(n: u64) -> Result<Self, String> {
        u32::try_from(n)
            .ok()
            .filter(|n| *n <= Self::MAX)
            .map(Self)
            .ok_or_else(Self::rule)
    }

    /// A minimum typed as text (the command line, the settings form); empty
    /// is 0 (off).
    ///
    /// # Errors
    /// The rule, as a message naming `min_count`.
    pub fn parse_text(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.is_empty() {
            return Ok(Self::OFF);
        }
        s.parse::<u64>()
            .map_err(|_| Self::rule())
            .and_then(Self::parse)
    }

    /// What a minimum must be, as a message naming `min_count`.
    #[must_use]
    pub fn rule() -> String {
        format!(
            "min_count must be a whole number from 0 (off) to {}",
            Self::MAX
        )
    }

    /// k (0: off).
    #[must_use]
    pub fn get(self) -> u32 {
        self.0
    }

    /// Whether this minimum hides anything (k of 2 or more).
    #[must_use]
    pub fn is_on(self) -> bool {
        self.0 > 1
    }

    /// Whether `n` is hidden: more than 0 and less than k.
    #[must_use]
    pub fn hides(self, n: u64) -> bool {
        n > 0 && n < u64::from(self.0)
    }

    /// `n`, or [`MinCount::STAND_IN`] when it is hidden.
    #[must_use]
    pub fn mask(self, n: u64) -> u64 {
        if self.hides(n) { Self::STAND_IN } else { n }
    }

    /// A chart value: as [`MinCount::mask`] for whole counts.
    #[must_use]
    pub fn mask_f64(self, v: f64) -> f64 {
        if v > 0.0 && v < f64::from(self.0) {
            1.0
        } else {
            v
        }
    }

    /// How a hidden count reads in short: `< 5`.
    #[must_use]
    pub fn short(self) -> String {
        format!("< {}", self.0)
    }

    /// How a hidden count reads in words: `fewer than 5`.
    #[must_use]
    pub fn words(self) -> String {
        format!("fewer than {}", self.0)
    }
}

impl std::fmt::Display for MinCount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_from_one_to_k_minus_one_are_hidden_and_zero_is_not() {
        let k = MinCount::parse(5).unwrap();
        assert!(!k.hides(0));
        assert!(k.hides(1) && k.hides(4));
        assert!(!k.hides(5) && !k.hides(500));
        assert_eq!(k.mask(3), MinCount::STAND_IN);
        assert_eq!(k.mask(7), 7);
        assert_eq!(k.mask_f64(4.0), 1.0);
        assert_eq!(k.mask_f64(0.0), 0.0);
        assert_eq!(k.short(), "< 5");
        assert_eq!(k.words(), "fewer than 5");
        assert!(!MinCount::OFF.hides(1) && !MinCount::OFF.is_on());
    }

    #[test]
    fn a_minimum_is_a_whole_number_up_to_a_thousand() {
        assert_eq!(MinCount::parse_text(" 10 ").unwrap().get(), 10);
        assert_eq!(MinCount::parse_text("").unwrap(), MinCount::OFF);
        for bad in ["-1", "1001", "2.5", "five"] {
            let e = MinCount::parse_text(bad).unwrap_err();
            assert!(e.contains("min_count") && e.contains("1000"), "{bad}: {e}");
        }
    }
}
